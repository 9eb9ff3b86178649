import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT_READER, environmentReads, environmentViolations } from '../environmentReads.js';
import { dependencyViolations, readImportGraph } from '../importGraph.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Writes `files` (path → source) into a fresh directory laid out as the repository is. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'insightflow-deps-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

const pkg = (name: string) => JSON.stringify({ name: `@insightflow/${name}`, exports: { '.': './src/index.ts' } });

describe('The dependency rules, over the repository', () => {
  it('hold: no import circle, no core or adapter importing outward, lambda-handler only under handlers, stacks never importing scripts', () => {
    const graph = readImportGraph(ROOT);
    // The graph is the real one: the packages' sources, tests, stacks and scripts, with their edges.
    expect(graph.length).toBeGreaterThan(250);
    expect(graph.find((f) => f.file === 'packages/s3-to-rds-sync/src/planSync.ts')?.imports).toContain(
      'packages/shared-config/src/index.ts',
    );
    expect(dependencyViolations(graph)).toEqual([]);
  });
});

describe('Function: dependencyViolations() over a broken copy', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });
  const violationsOf = (files: Record<string, string>) => {
    const root = tree(files);
    roots.push(root);
    return dependencyViolations(readImportGraph(root)).map((v) => v.rule);
  };

  it('finds a circle of type-only imports inside a package', () => {
    expect(
      violationsOf({
        'packages/warehouse/package.json': pkg('warehouse'),
        'packages/warehouse/src/warehouse.ts': "import type { Change } from './changes.js';\nexport type W = Change;\n",
        'packages/warehouse/src/changes.ts':
          "import type { W } from './warehouse.js';\nexport type Change = { w?: W };\n",
      }),
    ).toEqual(['circle']);
  });

  it('finds two packages whose sources import each other', () => {
    expect(
      violationsOf({
        'packages/sync/package.json': pkg('sync'),
        'packages/sync/src/index.ts': "export { x } from '@insightflow/destination';\n",
        'packages/destination/package.json': pkg('destination'),
        'packages/destination/src/index.ts': "import type { y } from '@insightflow/sync';\nexport const x = 1;\n",
      }),
    ).toEqual(['package-circle']);
  });

  it('finds a core importing lambda-handler, a test importing it, and stacks importing scripts; a handler may', () => {
    expect(
      violationsOf({
        'packages/lambda-handler/package.json': pkg('lambda-handler'),
        'packages/lambda-handler/src/index.ts': 'export const defineHandler = 1;\n',
        'packages/ingest/package.json': pkg('ingest'),
        'packages/ingest/src/errors.ts': "import { defineHandler } from '@insightflow/lambda-handler';\n",
        'packages/ingest/src/handler.ts': "import { defineHandler } from '@insightflow/lambda-handler';\n",
        'packages/ingest/tests/unit/x.test.ts': "const m = await import('@insightflow/lambda-handler');\n",
        'stacks/main.ts': "import { build } from '../scripts/build-lambda.js';\n",
        'scripts/build-lambda.ts': "import { app } from '../stacks/main.js';\nexport const build = 1;\n",
      }).sort(),
    ).toEqual([
      'core-imports-outward',
      'lambda-handler-outside-handler',
      'lambda-handler-outside-handler',
      'stacks-import-scripts',
    ]);
  });
});

describe('Function: environmentViolations(), the rule that only config.ts reads process.env', () => {
  it('holds over the repository, whose scan finds config.ts reading it', () => {
    const reads = environmentReads(ROOT);
    expect(reads.map((r) => r.file)).toContain(ENVIRONMENT_READER);
    expect(environmentViolations(reads)).toEqual([]);
  });

  it('finds every form of read outside config.ts, and exempts tests and benchmarks, and a comment', () => {
    const root = tree({
      [ENVIRONMENT_READER]: 'export const read = (env = process.env) => env;\n',
      'stacks/build/plan.ts':
        "// process.env is not read here\nconst mirror = process.env.TF_PLUGIN_MIRROR ?? '/opt';\n",
      'scripts/entry.ts': "const { env } = process;\nconst home = process['env'].HOME;\n",
      'packages/cli/bin/cli.js': "process.env.FLAG ??= 'true';\n",
      'packages/local/src/spawn.ts': "import { env } from 'node:process';\nexport const e = env;\n",
      'packages/local/tests/unit/spawn.test.ts': 'const e = { ...process.env };\n',
      'packages/testkit/src/services.ts': 'const e = process.env.PATH;\n',
      'bench/run.ts': 'const e = process.env.PATH;\n',
      'faults/pipeline.faults.test.ts': 'const e = process.env;\n',
    });
    try {
      expect(environmentViolations(environmentReads(root)).map((v) => v.split(' ')[0])).toEqual([
        'packages/cli/bin/cli.js:1',
        'packages/local/src/spawn.ts:1',
        'stacks/build/plan.ts:2',
        'scripts/entry.ts:1',
        'scripts/entry.ts:2',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
