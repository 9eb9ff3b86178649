/**
 * `npm run bench [-- --scale F] [-- --only a,b]`: runs every suite, prints a table of figures
 * with their anchors and ratios, and writes bench/results/latest.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Command, Option } from '@commander-js/extra-typings';
import { cleanSuite } from './clean.bench.js';
import { coldstartSuite } from './coldstart.bench.js';
import { generatorSuite } from './generator.bench.js';
import type { Figure, Suite } from './harness.js';
import { pipelineSuite } from './pipeline.bench.js';
import { publishSuite } from './publish.bench.js';
import { stacksSuite } from './stacks.bench.js';
import { transformerSuite } from './transformer.bench.js';

const suites: Suite[] = [
  generatorSuite,
  transformerSuite,
  publishSuite,
  stacksSuite,
  coldstartSuite,
  pipelineSuite,
  cleanSuite,
];

const options = new Command('bench')
  .addOption(new Option('--scale <factor>', 'data-set scale (1 = 37 M rows)').argParser(Number).default(0.05))
  .addOption(new Option('--only <suites>', `comma-separated: ${suites.map((s) => s.name).join(', ')}`))
  .parse()
  .opts();

const selected = options.only ? suites.filter((s) => options.only?.split(',').includes(s.name)) : suites;
const figures: Figure[] = [];
for (const suite of selected) {
  figures.push(...(await suite.run({ scale: options.scale, log: (m) => process.stderr.write(`${m}\n`) })));
}

const format = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en') : n.toPrecision(3));
const rows = figures.map((f) => [
  f.suite,
  f.name,
  `${format(f.value)} ${f.unit}`,
  f.anchor ? `${f.anchor.name}: ${format(f.anchor.value)} ${f.unit}` : '—',
  f.ratio === undefined ? '—' : `${f.ratio.toFixed(2)}×`,
  f.note ?? '',
]);
const header = ['suite', 'figure', 'value', 'anchor (same run)', 'ratio', 'goal / note'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
const line = (cells: string[]) =>
  cells
    .map((c, i) => c.padEnd(widths[i] as number))
    .join('  ')
    .trimEnd();
process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
for (const r of rows) process.stdout.write(`${line(r)}\n`);

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(
  new URL('./results/latest.json', import.meta.url),
  `${JSON.stringify({ at: new Date().toISOString(), scale: options.scale, figures }, null, 2)}\n`,
);
