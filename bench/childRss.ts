/**
 * Runs one pipeline stage in this process and prints `{"rows": n, "seconds": s, "maxRssBytes": b}`,
 * so the bench can read a stage's peak memory on its own. Each stage opens the warehouse with the
 * DuckDB memory limit the CLI uses for it (packages/cli/src/commands/*.ts).
 * Usage: tsx bench/childRss.ts <load|ingest|sync|clean> <json-args>
 */
import { S3Client } from '@aws-sdk/client-s3';
import { ingestTables } from '@insightflow/batch-ingest';
import { buildCleanTables, CleanStore, DuckDbCleanEngine } from '@insightflow/clean-layer';
import { Lake } from '@insightflow/lake';
import { LOCAL_S3_CREDENTIALS } from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import { postgresSync, syncUntilDone } from '@insightflow/s3-to-rds-sync';
import { instacartCatalog, s3ClientOptions } from '@insightflow/shared-config';
import { loadStagedFiles } from '@insightflow/snowflake-loader';
import { DuckDbWarehouse } from '@insightflow/warehouse';
import pg from 'pg';

/** The benchmarks measure the Instacart demo: the built-in catalog. */
const catalog = instacartCatalog();

export interface ChildArgs {
  s3Endpoint: string;
  rawBucket: string;
  databaseUrl?: string;
  warehousePath?: string;
  /** DuckDB's memory_limit for the stage (what the CLI passes to openWarehouseFor). */
  memoryLimit?: string;
  /** DuckDB's worker threads (all cores when absent). */
  threads?: number;
  /** load: where the staged files are. */
  stage?: { bucket: string; prefix: string };
  /** ingest: the `mode` option of ingestTables. */
  mode?: 'auto' | 'stream' | 'unload';
  batchSize?: number;
  /** ingest: open the warehouse file read-only, so every ingest sees the same file. */
  readOnly?: boolean;
  /** clean: the clean bucket. */
  cleanBucket?: string;
}

const [stage, rawArgs] = process.argv.slice(2);
const args = JSON.parse(rawArgs ?? '{}') as ChildArgs;
const s3 = new S3Client({
  ...s3ClientOptions({ AWS_REGION: 'us-east-1', S3_ENDPOINT: args.s3Endpoint }),
  credentials: LOCAL_S3_CREDENTIALS,
});
const store = new S3ObjectStore(s3, args.rawBucket);
const started = performance.now();
// Where the peak sits: V8's heap and the buffers it tracks, sampled; the rest of RSS is native (DuckDB).
const jsPeak = { heapBytes: 0, externalBytes: 0 };
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  jsPeak.heapBytes = Math.max(jsPeak.heapBytes, usage.heapTotal);
  jsPeak.externalBytes = Math.max(jsPeak.externalBytes, usage.external);
}, 50);
let rows = 0;
if (stage === 'load') {
  const warehouse = await DuckDbWarehouse.open({
    path: args.warehousePath as string,
    s3,
    ...(args.memoryLimit ? { memoryLimit: args.memoryLimit } : {}),
    ...(args.threads ? { threads: args.threads } : {}),
  });
  const summary = await loadStagedFiles(warehouse, catalog, args.stage as { bucket: string; prefix: string });
  rows = summary.rows;
  await warehouse.close();
} else if (stage === 'ingest') {
  const warehouse = await DuckDbWarehouse.open({
    path: args.warehousePath as string,
    s3,
    readOnly: args.readOnly ?? false,
    ...(args.memoryLimit ? { memoryLimit: args.memoryLimit } : {}),
    ...(args.threads ? { threads: args.threads } : {}),
  });
  const result = await ingestTables({ catalog, warehouse, store }, catalog.tableNames(), {
    runAt: new Date(),
    mode: args.mode ?? 'stream',
    batchSize: args.batchSize ?? 1_000_000,
  });
  if (result.failures.length > 0) {
    throw new Error(`ingest failed: ${result.failures.map((f) => `${f.table}: ${f.error.message}`).join('; ')}`);
  }
  rows = result.rows;
  await warehouse.close();
} else if (stage === 'sync') {
  // What `insightflow sync` does: incremental rounds until nothing is left.
  const client = new pg.Client({ connectionString: args.databaseUrl });
  await client.connect();
  rows = (await syncUntilDone(postgresSync(client, store, catalog), { mode: 'incremental' })).rows;
  await client.end();
} else if (stage === 'clean') {
  // What `insightflow clean` does (packages/cli/src/localClean.ts): every table, DuckDB as the engine.
  const clean = new S3ObjectStore(s3, args.cleanBucket as string);
  const engine = new DuckDbCleanEngine({
    raw: store,
    clean,
    ...(args.memoryLimit ? { memoryLimit: args.memoryLimit } : {}),
    ...(args.threads ? { threads: args.threads } : {}),
  });
  rows = (
    await buildCleanTables({ catalog, lake: new Lake(store, catalog), clean: new CleanStore(clean, catalog), engine })
  ).rows;
} else {
  throw new Error(`unknown stage ${stage}: load, ingest, sync or clean`);
}
s3.destroy();
clearInterval(sampler);
process.stdout.write(
  JSON.stringify({
    rows,
    ...jsPeak,
    seconds: (performance.now() - started) / 1000,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  }),
);
