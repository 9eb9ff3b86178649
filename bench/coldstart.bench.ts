import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildLambda } from '../stacks/build/buildLambda.js';
import { readConfiguredCatalog } from '../stacks/build/configuredCatalog.js';
import type { Figure, Suite } from './harness.js';

/** Each Lambda package and its zip goal: the stream functions' zips are the smallest. */
const GOALS: Record<string, { zipMiB: number }> = {
  'batch-ingest': { zipMiB: 1 },
  'database-roles': { zipMiB: 1 },
  's3-to-rds-sync': { zipMiB: 1 },
  'snowflake-loader': { zipMiB: 1 },
  'stream-publisher': { zipMiB: 0.5 },
  'stream-transformer': { zipMiB: 0.5 },
};
const IMPORT_GOAL_MS = 150;
/** Child processes per figure; the median is reported. */
const RUNS = 9;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/**
 * Milliseconds a fresh Node process spends importing `file` (median of {@link RUNS} processes),
 * with the flags the Lambda runtime is given (`NODE_OPTIONS=--enable-source-maps`, see
 * stacks/constructs/nodeLambda.ts).
 */
function importMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      encoding: 'utf8',
    });
    times.push(Number(out));
  }
  return median(times);
}

/** Milliseconds `node -e 0` takes, start to exit (median of {@link RUNS}). */
function nodeStartMs(): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    execFileSync(process.execPath, ['-e', '0']);
    times.push(performance.now() - started);
  }
  return median(times);
}

/**
 * Cold start: each Lambda package is built (`stacks/build/buildLambda.ts`), its zip unpacked into an
 * empty directory (as Lambda unpacks it into /var/task: no node_modules to fall back on), and its
 * `index.mjs` imported in a fresh process per run. Figures: the import time against `node -e 0`
 * and against importing an empty module the same way; the zip size against its goal.
 */
export const coldstartSuite: Suite = {
  name: 'coldstart',
  async run({ log }): Promise<Figure[]> {
    const catalog = readConfiguredCatalog();
    const figures: Figure[] = [];
    const root = mkdtempSync(path.join(tmpdir(), 'insightflow-coldstart-'));
    try {
      const emptyModule = path.join(root, 'empty.mjs');
      writeFileSync(emptyModule, '');
      const nodeStart = nodeStartMs();
      const emptyImport = importMs(emptyModule);
      figures.push({ suite: 'coldstart', name: 'import of an empty module', value: emptyImport, unit: 'ms' });
      for (const [name, goal] of Object.entries(GOALS)) {
        log(`coldstart: building and importing ${name}`);
        const artifact = await buildLambda(path.resolve(import.meta.dirname, '../packages', name), catalog);
        const task = path.join(root, name);
        execFileSync('unzip', ['-q', artifact.zipPath, '-d', task]);
        const files = readdirSync(task, { recursive: true }).length;
        const ms = importMs(path.join(task, 'index.mjs'));
        figures.push({
          suite: 'coldstart',
          name: `${name} import (goal < ${IMPORT_GOAL_MS} ms)${ms < IMPORT_GOAL_MS ? '' : ' MISSED'}`,
          value: ms,
          unit: 'ms',
          anchor: { name: 'node -e 0, whole process', value: nodeStart },
          ratio: ms / nodeStart,
        });
        const mib = artifact.bytes / 1024 / 1024;
        figures.push({
          suite: 'coldstart',
          name: `${name}.zip, ${files} files (goal < ${goal.zipMiB} MiB)${mib < goal.zipMiB ? '' : ' MISSED'}`,
          value: mib,
          unit: 'MiB',
          anchor: { name: 'goal', value: goal.zipMiB },
          ratio: mib / goal.zipMiB,
        });
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    return figures;
  },
};
