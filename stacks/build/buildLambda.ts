/**
 * Builds one Lambda package into a deterministic zip: esbuild bundles `src/handler.ts` (and
 * every dependency, snowflake-sdk included) into minified ESM with source maps — `index.mjs`
 * plus the chunks of what the code imports dynamically (the warehouse adapters: snowflake-sdk
 * loads at the first invocation's setup, not at import) — and yazl zips it with fixed
 * timestamps, permissions and entry order — so the same code always gives the same bytes, and
 * the stacks' `source_code_hash` changes only when the code does. Left out of every bundle:
 * snowflake-sdk's Azure and GCP clients (see {@link UNSHIPPED_MODULES}), its platform probes,
 * `yaml`, and zod's error-message translations other than English; dependencies' source maps
 * (see {@link withoutDependencyMappings}). `dist/metafile.json` (beside the zip, not in it) records
 * every input and its bytes in each output.
 * The catalog it is given is compiled in as `__INSIGHTFLOW_CATALOG__` (`bundledCatalog()` in
 * lambda-handler hands it to every handler), so a catalog change is a code change: a new hash,
 * and a change in the plan.
 *
 * Usage (from a Lambda package directory): tsx ../../stacks/build/buildLambda.ts
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Catalog } from '@insightflow/shared-config';
import { build, type Plugin } from 'esbuild';
import yazl from 'yazl';
import { readConfiguredCatalog } from './configuredCatalog.js';

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

/**
 * Packages snowflake-sdk requires but only calls on paths InsightFlow never takes: Azure Blob and
 * GCS stages (`azure_util.js`; GCS goes through axios) and Azure/GCP workload-identity
 * attestation. InsightFlow's stages are S3 and it authenticates with a key pair or password. Each
 * is replaced by a module that throws, naming the package, when the SDK reaches for it.
 */
export const UNSHIPPED_MODULES = /^(@azure\/[^/]+|@google-cloud\/[^/]+|google-auth-library)(\/.*)?$/;

/** The file a bundle's metafile is written to, in `dist/` beside the zip. */
export const METAFILE = 'metafile.json';

/**
 * `yaml` parses catalog files (`parseCatalogText()`), which only the CLI and the build read: a
 * Lambda's catalog is compiled in as a parsed document. Left out like {@link UNSHIPPED_MODULES}.
 */
const LAMBDA_UNUSED_MODULES = /^yaml$/;

/** Replaces {@link UNSHIPPED_MODULES} with a module whose every export access throws. */
const leaveOutCloudClients: Plugin = {
  name: 'insightflow-unshipped-modules',
  setup(builder) {
    for (const filter of [UNSHIPPED_MODULES, LAMBDA_UNUSED_MODULES]) {
      builder.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'unshipped' }));
    }
    builder.onLoad({ filter: /^snowflake-sdk\/platform_detection$/, namespace: 'unshipped' }, () => ({
      loader: 'js',
      contents:
        "exports.DETECTION_TIMEOUT_MS = 200;\nexports.getDetectedPlatforms = () => Promise.resolve(['disabled']);",
    }));
    builder.onLoad({ filter: /.*/, namespace: 'unshipped' }, (args) => ({
      loader: 'js',
      contents: `module.exports = new Proxy({}, { get(_, key) {
  if (typeof key === 'symbol' || key === '__esModule' || key === 'then') return undefined;
  throw new Error(${JSON.stringify(`${args.path} is not bundled into InsightFlow's Lambdas (see UNSHIPPED_MODULES in stacks/build/buildLambda.ts); `)} + 'it was asked for ' + String(key) + '.');
} });`,
    }));
  },
};

/**
 * snowflake-sdk 3 probes, as it is first required, where it runs — an STS GetCallerIdentity and
 * HTTP requests to the AWS, Azure and GCP metadata addresses, up to 200 ms — for a telemetry
 * field of its login request, which awaits the probes. In the bundles its detection module is
 * what the SDK itself uses under `SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true`: it reports
 * `disabled` and sends nothing.
 */
const noSnowflakePlatformDetection: Plugin = {
  name: 'insightflow-no-snowflake-platform-detection',
  setup(builder) {
    builder.onResolve({ filter: /[\\/]telemetry[\\/]platform_detection(\.js)?$/ }, (args) =>
      /[\\/]snowflake-sdk[\\/]/.test(args.importer)
        ? { path: 'snowflake-sdk/platform_detection', namespace: 'unshipped' }
        : undefined,
    );
  },
};

/**
 * zod's namespace re-exports every locale (`z.locales`, ~200 kB minified); the handlers print
 * zod's messages in English only, so the bundle's locales module holds English alone.
 */
const englishZodLocales: Plugin = {
  name: 'insightflow-zod-english-locale',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir)
        ? { path: path.join(args.resolveDir, '..', 'locales', 'index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      loader: 'js',
      resolveDir: path.dirname(args.path),
      contents: "export { default as en } from './en.js';",
    }));
  },
};

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUE = new Map([...BASE64].map((c, i) => [c, i]));

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64_VALUE.get(char) as number;
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

function encodeVlq(values: readonly number[]): string {
  let out = '';
  for (const v of values) {
    let rest = v < 0 ? (-v << 1) | 1 : v << 1;
    do {
      let digit = rest & 31;
      rest >>>= 5;
      if (rest > 0) digit |= 32;
      out += BASE64[digit];
    } while (rest > 0);
  }
  return out;
}

/**
 * Keeps a source map's mappings into InsightFlow's own sources and drops those into
 * `node_modules` (and the build's stand-in modules): the functions run with
 * `--enable-source-maps` so our frames name our files and lines, while a frame inside a minified
 * dependency keeps its bundle position. Where a run of dropped mappings starts, an unmapped
 * segment ends the mapping before it (a minified chunk is one long line: without it, every
 * dependency position would resolve to the last own mapping to its left). Dependencies' maps
 * were most of each zip's bytes.
 */
export function withoutDependencyMappings(map: {
  sources: string[];
  names: string[];
  mappings: string;
  [field: string]: unknown;
}): typeof map {
  const isOwn = map.sources.map((source) => !source.includes('node_modules/') && !/^[a-z-]+:/.test(source));
  const sources: string[] = [];
  const names: string[] = [];
  const sourceIndex = new Map<number, number>();
  const nameIndex = new Map<number, number>();
  const absolute = [0, 0, 0, 0];
  const previous = [0, 0, 0, 0];
  const lines = map.mappings.split(';').map((line) => {
    let generatedColumn = 0;
    let previousColumn = 0;
    const kept: string[] = [];
    let mapped = false;
    const unmap = () => {
      if (!mapped) return;
      kept.push(encodeVlq([generatedColumn - previousColumn]));
      previousColumn = generatedColumn;
      mapped = false;
    };
    for (const segment of line.split(',')) {
      if (segment === '') continue;
      const [column = 0, ...rest] = decodeVlq(segment);
      generatedColumn += column;
      if (rest.length < 3) {
        unmap();
        continue;
      }
      for (let f = 0; f < rest.length; f++) absolute[f] = (absolute[f] as number) + (rest[f] as number);
      const [source, sourceLine, sourceColumn, name] = absolute as [number, number, number, number];
      if (!isOwn[source]) {
        unmap();
        continue;
      }
      mapped = true;
      if (!sourceIndex.has(source)) sourceIndex.set(source, sources.push(map.sources[source] as string) - 1);
      const fields = [generatedColumn - previousColumn];
      const newSource = sourceIndex.get(source) as number;
      fields.push(
        newSource - (previous[0] as number),
        sourceLine - (previous[1] as number),
        sourceColumn - (previous[2] as number),
      );
      previous[0] = newSource;
      previous[1] = sourceLine;
      previous[2] = sourceColumn;
      if (rest.length === 4) {
        if (!nameIndex.has(name)) nameIndex.set(name, names.push(map.names[name] as string) - 1);
        const newName = nameIndex.get(name) as number;
        fields.push(newName - (previous[3] as number));
        previous[3] = newName;
      }
      previousColumn = generatedColumn;
      kept.push(encodeVlq(fields));
    }
    return kept.join(',');
  });
  return { ...map, sources, names, mappings: lines.join(';') };
}

/** The files under `dir`, relative to it, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** The file beside each zip naming the hash of the catalog bundled into it (how synth-app sees a stale zip). */
export const CATALOG_STAMP = 'catalog.sha256';

/** What a build produced. */
export interface LambdaArtifact {
  zipPath: string;
  bytes: number;
  sha256: string;
}

/** Bundles and zips the Lambda package in `packageDir`. */
export async function buildLambda(
  packageDir: string,
  catalog: Catalog,
  extraFiles: readonly string[] = [],
): Promise<LambdaArtifact> {
  const name = path.basename(packageDir);
  const outDir = path.join(packageDir, 'dist');
  const bundleDir = path.join(outDir, 'bundle');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(bundleDir, { recursive: true });

  const { metafile } = await build({
    absWorkingDir: path.resolve(packageDir),
    entryPoints: { index: path.join(packageDir, 'src', 'handler.ts') },
    outdir: bundleDir,
    outExtension: { '.js': '.mjs' },
    // Dynamic imports become chunks loaded when first called; names are content hashes (stable).
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    plugins: [noSnowflakePlatformDetection, leaveOutCloudClients, englishZodLocales],
    bundle: true,
    platform: 'node',
    // ESM builds first (the AWS SDK's dist-es): esbuild tree-shakes them to the commands a
    // function sends, and they evaluate only what is used; CommonJS builds evaluate everything.
    mainFields: ['module', 'main'],
    target: NODE_TARGET,
    format: 'esm',
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    define: { __INSIGHTFLOW_CATALOG__: JSON.stringify(catalog.document) },
    banner: { js: ESM_BANNER },
    // DuckDB is the local warehouse only (loaded on demand); its native addon never ships to Lambda.
    external: ['@duckdb/*'],
    // Source map paths are relative; nothing machine-specific lands in the zip.
    sourceRoot: '',
    logLevel: 'warning',
  });

  await writeFile(path.join(outDir, METAFILE), `${JSON.stringify(metafile)}\n`);
  for (const output of Object.keys(metafile.outputs).filter((o) => o.endsWith('.map'))) {
    const file = path.resolve(packageDir, output);
    await writeFile(file, JSON.stringify(withoutDependencyMappings(JSON.parse(await readFile(file, 'utf8')))));
  }
  for (const extra of extraFiles) {
    await writeFile(path.join(bundleDir, path.basename(extra)), await readFile(extra));
  }
  const files = await filesUnder(bundleDir);
  const zip = new yazl.ZipFile();
  for (const file of files) {
    zip.addBuffer(await readFile(path.join(bundleDir, file)), file, { mtime: FIXED_TIME, mode: 0o100644 });
  }
  zip.end();
  const zipPath = path.join(outDir, `${name}.zip`);
  await pipeline(zip.outputStream, createWriteStream(zipPath));

  await writeFile(path.join(outDir, CATALOG_STAMP), `${catalog.hash}\n`);

  const bytes = await readFile(zipPath);
  return { zipPath, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('base64') };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const artifact = await buildLambda(process.cwd(), readConfiguredCatalog());
  process.stderr.write(
    `${path.relative(process.cwd(), artifact.zipPath)}: ${(artifact.bytes / 1024).toFixed(1)} KiB, sha256 ${artifact.sha256}\n`,
  );
}
