/**
 * Builds one Lambda package into a deterministic zip: esbuild bundles `src/handler.ts` (and
 * every dependency, snowflake-sdk included) into one minified ESM file with a source map, and
 * yazl zips it with fixed timestamps, permissions and entry order — so the same code always
 * gives the same bytes, and the stacks' `source_code_hash` changes only when the code does.
 * The active catalog document is compiled in as `__INSIGHTFLOW_CATALOG__` (the handlers use it),
 * so a catalog change is a code change: a new hash, and a change in the plan.
 *
 * Usage (from a Lambda package directory): tsx ../../scripts/build-lambda.ts
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { activeCatalog } from '@insightflow/shared-config';
import { build } from 'esbuild';
import yazl from 'yazl';
import { useConfiguredCatalog } from './configuredCatalog.js';

/**
 * The Lambda runtime the bundles target (the current Node.js runtime the AWS provider accepts);
 * the stacks deploy every function on it (stacks/constructs/nodeLambda.ts).
 */
export const LAMBDA_RUNTIME = 'nodejs22.x';
/** esbuild's target for {@link LAMBDA_RUNTIME}: `node22` for `nodejs22.x`. */
const NODE_TARGET = LAMBDA_RUNTIME.replace(/^nodejs(\d+)\.x$/, 'node$1');
const FIXED_TIME = new Date('1980-01-01T00:00:00Z');

/** An ESM bundle still meets CommonJS code (snowflake-sdk, pg) that expects these globals. */
const ESM_BANNER = [
  "import { createRequire as __insightflowCreateRequire } from 'node:module';",
  "import { fileURLToPath as __insightflowFileURLToPath } from 'node:url';",
  "import { dirname as __insightflowDirname } from 'node:path';",
  'const require = __insightflowCreateRequire(import.meta.url);',
  'const __filename = __insightflowFileURLToPath(import.meta.url);',
  'const __dirname = __insightflowDirname(__filename);',
].join('\n');

/** The file beside each zip naming the hash of the catalog bundled into it (how synth-app sees a stale zip). */
export const CATALOG_STAMP = 'catalog.sha256';

/** What a build produced. */
export interface LambdaArtifact {
  zipPath: string;
  bytes: number;
  sha256: string;
}

/** Bundles and zips the Lambda package in `packageDir`. */
export async function buildLambda(packageDir: string, extraFiles: readonly string[] = []): Promise<LambdaArtifact> {
  const name = path.basename(packageDir);
  const outDir = path.join(packageDir, 'dist');
  const bundleDir = path.join(outDir, 'bundle');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(bundleDir, { recursive: true });

  await build({
    entryPoints: [path.join(packageDir, 'src', 'handler.ts')],
    outfile: path.join(bundleDir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    target: NODE_TARGET,
    format: 'esm',
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    define: { __INSIGHTFLOW_CATALOG__: JSON.stringify(activeCatalog().document) },
    banner: { js: ESM_BANNER },
    // DuckDB is the local warehouse only (loaded on demand); its native addon never ships to Lambda.
    external: ['@duckdb/*'],
    // Source map paths are relative; nothing machine-specific lands in the zip.
    sourceRoot: '',
    logLevel: 'warning',
  });

  const files = ['index.mjs', 'index.mjs.map', ...extraFiles.map((f) => path.basename(f))].sort();
  for (const extra of extraFiles) {
    await writeFile(path.join(bundleDir, path.basename(extra)), await readFile(extra));
  }
  const zip = new yazl.ZipFile();
  for (const file of files) {
    zip.addBuffer(await readFile(path.join(bundleDir, file)), file, { mtime: FIXED_TIME, mode: 0o100644 });
  }
  zip.end();
  const zipPath = path.join(outDir, `${name}.zip`);
  await pipeline(zip.outputStream, createWriteStream(zipPath));

  await writeFile(path.join(outDir, CATALOG_STAMP), `${activeCatalog().hash}\n`);

  const bytes = await readFile(zipPath);
  return { zipPath, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('base64') };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  useConfiguredCatalog();
  const artifact = await buildLambda(process.cwd());
  process.stderr.write(
    `${path.relative(process.cwd(), artifact.zipPath)}: ${(artifact.bytes / 1024).toFixed(1)} KiB, sha256 ${artifact.sha256}\n`,
  );
}
