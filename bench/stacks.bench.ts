import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'cdktf';
import { buildLambda } from '../scripts/build-lambda.js';
import { buildApp } from '../stacks/app.js';
import { environmentSettings } from '../stacks/config.js';
import { type Figure, type Suite, timed } from './harness.js';

const LAMBDAS = ['batch-ingest', 'stream-publisher', 'stream-transformer', 's3-to-rds-sync', 'snowflake-loader'];

/**
 * Whole-app synth time (goal under 5 s) against synthesising an empty cdktf app in the same
 * process, and each Lambda zip's size against its uncompressed bundle.
 */
export const stacksSuite: Suite = {
  name: 'stacks',
  async run(): Promise<Figure[]> {
    const figures: Figure[] = [];
    for (const name of LAMBDAS) {
      const dir = path.resolve(import.meta.dirname, '../packages', name);
      const artifact = await buildLambda(dir);
      const bundleDir = path.join(dir, 'dist', 'bundle');
      // index.mjs and its chunks (chunks/), each with its source map.
      const unzipped = readdirSync(bundleDir, { recursive: true, encoding: 'utf8' })
        .map((f) => statSync(path.join(bundleDir, f)))
        .reduce((n, stat) => n + (stat.isFile() ? stat.size : 0), 0);
      figures.push({
        suite: 'zips',
        name: `${name}.zip`,
        value: artifact.bytes / 1024,
        unit: 'KiB',
        anchor: { name: 'bundle + source maps, unzipped', value: unzipped / 1024 },
        ratio: artifact.bytes / unzipped,
      });
    }
    const empty = await timed(async () => {
      const out = mkdtempSync(path.join(tmpdir(), 'insightflow-synth-empty-'));
      new App({ outdir: out }).synth();
      rmSync(out, { recursive: true, force: true });
    });
    const whole = await timed(async () => {
      const out = mkdtempSync(path.join(tmpdir(), 'insightflow-synth-'));
      buildApp(environmentSettings(), out).synth();
      rmSync(out, { recursive: true, force: true });
    });
    figures.push({
      suite: 'stacks',
      name: 'whole-app synth (8 stacks)',
      value: whole.seconds,
      unit: 's',
      anchor: { name: 'empty cdktf app synth', value: empty.seconds },
      ratio: whole.seconds / empty.seconds,
      note: 'goal: under 5 s',
    });
    return figures;
  },
};
