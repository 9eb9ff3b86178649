import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { planGeneration, writeStagedTables } from '@insightflow/instacart-generator';
import { Lake } from '@insightflow/lake';
import { type ObjectStore, S3ObjectStore } from '@insightflow/object-store';
import { postgresSync, syncLake } from '@insightflow/s3-to-rds-sync';
import { getTable, tableNames } from '@insightflow/shared-config';
import { loadStagedFiles } from '@insightflow/snowflake-loader';
import { startTestServices, type TestServices } from '@insightflow/testkit';
import { DuckDbWarehouse } from '@insightflow/warehouse';
import { parse } from 'csv-parse';
import { type Figure, rateFigure, type Suite, timed } from './harness.js';

const run = promisify(execFile);
const CHILD = path.join(path.dirname(new URL(import.meta.url).pathname), 'childRss.ts');
const RAW = 'insightflow-raw-bucket';
const SYNC_TABLE = 'order_products_prior';

interface StageRun {
  rows: number;
  seconds: number;
  maxRssBytes: number;
}

async function childStage(stage: 'ingest' | 'sync', args: Record<string, unknown>): Promise<StageRun> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, stage, JSON.stringify(args)], {
    maxBuffer: 1 << 20,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return JSON.parse(stdout) as StageRun;
}

/** Generates, loads into a DuckDB warehouse, and returns it with the row total. */
async function prepareWarehouse(services: TestServices, scale: number, dir: string) {
  const plan = planGeneration({ scale, seed: 42 });
  const prefix = `bench-${scale}/`;
  await writeStagedTables({ store: new S3ObjectStore(services.s3, 'insightflow-stage'), prefix, plan });
  const warehousePath = path.join(dir, `warehouse-${scale}.duckdb`);
  const warehouse = await DuckDbWarehouse.open({ path: warehousePath, s3: services.s3 });
  await loadStagedFiles(warehouse, { bucket: 'insightflow-stage', prefix });
  await warehouse.close();
  return { warehousePath, rows: Object.values(plan.rows).reduce((n, r) => n + r, 0) };
}

async function resetDatabaseAndLake(services: TestServices): Promise<void> {
  await services.query('DROP SCHEMA IF EXISTS insightflow_raw CASCADE');
  const store = new S3ObjectStore(services.s3, RAW);
  const keys: string[] = [];
  for await (const object of store.list('data/')) keys.push(object.key);
  await store.delete(keys);
}

/** Ingest and sync at one scale in child processes: rates and peak memory. */
async function measureStages(services: TestServices, scale: number, dir: string) {
  await resetDatabaseAndLake(services);
  const { warehousePath, rows } = await prepareWarehouse(services, scale, dir);
  const s3Endpoint = services.services.s3Endpoint;
  const ingest = await childStage('ingest', { s3Endpoint, warehousePath, batchSize: 1_000_000 });
  const sync = await childStage('sync', { s3Endpoint, databaseUrl: services.databaseUrl });
  return { warehousePath, rows, ingest, sync };
}

async function readObject(store: ObjectStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of (await store.get(key)).body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The psql-\copy and multi-row-INSERT anchors on the same part files the sync loaded. */
async function syncAnchors(services: TestServices, dir: string) {
  const lake = new Lake(new S3ObjectStore(services.s3, RAW));
  const { store } = lake;
  const newest = await lake.newestCommittedRun(SYNC_TABLE, undefined, []);
  if (!newest) throw new Error(`no committed run of ${SYNC_TABLE} to measure the sync anchors on`);
  const { manifest } = newest;
  const files: string[] = [];
  for (const part of manifest.parts) {
    const file = path.join(dir, path.basename(part.key));
    await writeFile(file, await readObject(store, part.key));
    files.push(file);
  }
  const columns = getTable(SYNC_TABLE)
    .columns.map((c) => c.name)
    .join(', ');
  const table = `insightflow_raw.${SYNC_TABLE}`;

  // Ours: rebuild the table's snapshot from the same files (full mode, one transaction).
  const client = await services.connect();
  const ours = await timed(() => syncLake(postgresSync(client, store), { mode: 'full', tables: [SYNC_TABLE] }));
  await client.end();

  // psql \copy of the same files into the same table (provenance defaults set for the session).
  await services.query(`TRUNCATE ${table}`);
  const settings = "SELECT set_config('insightflow.source_id','1',false)";
  const psqlArgs = [services.databaseUrl, '-q', '-v', 'ON_ERROR_STOP=1', '-c', settings];
  for (const file of files)
    psqlArgs.push('-c', `\\copy ${table} (${columns}) FROM '${file}' WITH (FORMAT csv, HEADER true)`);
  const psql = await timed(() => run('psql', psqlArgs));

  // The original's method: multi-row INSERTs of 10 000 rows each, on the first 500 000 rows.
  await services.query(`TRUNCATE ${table}`);
  const insertClient = await services.connect();
  await insertClient.query(settings);
  const insert = await timed(async () => {
    let batch: string[][] = [];
    let inserted = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const values = batch.map((_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`).join(', ');
      await insertClient.query(`INSERT INTO ${table} (${columns}) VALUES ${values}`, batch.flat());
      inserted += batch.length;
      batch = [];
    };
    for (const file of files) {
      for await (const record of createReadStream(file).pipe(parse({ from_line: 2 }))) {
        batch.push(record as string[]);
        if (batch.length === 10_000) await flush();
        if (inserted + batch.length >= 500_000) break;
      }
      if (inserted + batch.length >= 500_000) break;
    }
    await flush();
    return inserted;
  });
  await insertClient.end();
  return {
    rows: ours.result.rows,
    ours: ours.seconds,
    psql: psql.seconds,
    insertRows: insert.result,
    insert: insert.seconds,
  };
}

/** Ingest, sync, and their memory at two scales. */
export const pipelineSuite: Suite = {
  name: 'pipeline',
  async run({ scale, log }): Promise<Figure[]> {
    const services = await startTestServices();
    const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-bench-'));
    try {
      const smallScale = scale / 10;
      log(`pipeline: ingest and sync at scale ${smallScale} (memory baseline)`);
      const small = await measureStages(services, smallScale, dir);
      log(`pipeline: ingest and sync at scale ${scale}`);
      const large = await measureStages(services, scale, dir);

      // DuckDB's own COPY … TO csv of the same tables, in the same run.
      const warehouse = await DuckDbWarehouse.open({ path: large.warehousePath, readOnly: true });
      const duckCopy = await timed(async () => {
        for (const table of tableNames()) {
          await warehouse.execute(`COPY (SELECT * FROM "${table}") TO '${path.join(dir, `${table}.csv`)}' (HEADER)`);
        }
      });
      await warehouse.close();

      log('pipeline: sync vs psql \\copy vs multi-row INSERT on the same files');
      const anchors = await syncAnchors(services, dir);
      const mb = (bytes: number) => bytes / 1024 / 1024;
      return [
        rateFigure('ingest', `ingest stream mode, 6 tables (scale ${scale})`, large.ingest.rows, large.ingest.seconds, {
          name: 'DuckDB COPY TO csv',
          rows: large.rows,
          seconds: duckCopy.seconds,
        }),
        rateFigure('sync', `sync ${SYNC_TABLE} (full rebuild)`, anchors.rows, anchors.ours, {
          name: 'psql \\copy, same files',
          rows: anchors.rows,
          seconds: anchors.psql,
        }),
        rateFigure('sync', `sync ${SYNC_TABLE} (full rebuild)`, anchors.rows, anchors.ours, {
          name: 'multi-row INSERT ×10 000',
          rows: anchors.insertRows,
          seconds: anchors.insert,
        }),
        rateFigure('sync', `sync all tables, incremental (scale ${scale})`, large.sync.rows, large.sync.seconds, {
          name: 'psql \\copy, same files',
          rows: anchors.rows,
          seconds: anchors.psql,
        }),
        {
          suite: 'memory',
          name: `ingest peak RSS, scale ${scale}`,
          value: mb(large.ingest.maxRssBytes),
          unit: 'MiB',
          anchor: { name: `scale ${smallScale}`, value: mb(small.ingest.maxRssBytes) },
          ratio: large.ingest.maxRssBytes / small.ingest.maxRssBytes,
          note: 'flat memory: ratio ≈ 1',
        },
        {
          suite: 'memory',
          name: `sync peak RSS, scale ${scale}`,
          value: mb(large.sync.maxRssBytes),
          unit: 'MiB',
          anchor: { name: `scale ${smallScale}`, value: mb(small.sync.maxRssBytes) },
          ratio: large.sync.maxRssBytes / small.sync.maxRssBytes,
          note: 'flat memory: ratio ≈ 1',
        },
      ];
    } finally {
      await services.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
