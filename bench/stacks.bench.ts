import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'cdktf';
import { buildApp } from '../stacks/app.js';
import { buildLambda } from '../stacks/build/buildLambda.js';
import { readConfiguredCatalog } from '../stacks/build/configuredCatalog.js';
import { planStacks } from '../stacks/build/planStacks.js';
import { environmentSettings } from '../stacks/config.js';
import { type Figure, type Suite, timed } from './harness.js';

const PACKAGES = path.resolve(import.meta.dirname, '../packages');
/** Every workspace whose build is a Lambda zip (its build script runs stacks/build/buildLambda.ts). */
const LAMBDAS = readdirSync(PACKAGES).filter((name) => {
  try {
    return readFileSync(path.join(PACKAGES, name, 'package.json'), 'utf8').includes('buildLambda');
  } catch {
    return false;
  }
});
/** Issue 14's goal for `npm run plan` on this machine. */
const PLAN_GOAL_SECONDS = 30;

/**
 * Whole-app synth time (goal under 5 s) against synthesising an empty cdktf app in the same
 * process, and each Lambda zip's size against its uncompressed bundle.
 */
export const stacksSuite: Suite = {
  name: 'stacks',
  async run({ log }): Promise<Figure[]> {
    const figures: Figure[] = [];
    const catalog = readConfiguredCatalog();
    for (const name of LAMBDAS) {
      const dir = path.join(PACKAGES, name);
      const artifact = await buildLambda(dir, catalog);
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
      buildApp(environmentSettings(catalog), catalog, out).synth();
      rmSync(out, { recursive: true, force: true });
    });
    figures.push({
      suite: 'stacks',
      name: 'whole-app synth',
      value: whole.seconds,
      unit: 's',
      anchor: { name: 'empty cdktf app synth', value: empty.seconds },
      ratio: whole.seconds / empty.seconds,
      note: 'goal: under 5 s',
    });
    // What `npm run plan` does after its build (the zips were just built above).
    const plan = await timed(() => planStacks({ log: (line) => log(`plan: ${line}`) }));
    const stacks = Object.keys(plan.result).length;
    figures.push({
      suite: 'stacks',
      name: `terraform plan of every stack (${stacks}), offline`,
      value: plan.seconds,
      unit: 's',
      anchor: { name: 'goal', value: PLAN_GOAL_SECONDS },
      ratio: plan.seconds / PLAN_GOAL_SECONDS,
      note: `goal < ${PLAN_GOAL_SECONDS} s: ${plan.seconds < PLAN_GOAL_SECONDS ? 'met' : 'MISSED'}`,
    });
    return figures;
  },
};
