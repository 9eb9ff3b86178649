import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { planGeneration, writeStagedTables } from '@insightflow/instacart-generator';
import { Lake } from '@insightflow/lake';
import { type ObjectStore, S3ObjectStore } from '@insightflow/object-store';
import { postgresSync, syncLake } from '@insightflow/s3-to-rds-sync';
import { createTableSql, instacartCatalog, type TableName } from '@insightflow/shared-config';
import { startTestServices, type TestServices } from '@insightflow/testkit';
import { DuckDbWarehouse } from '@insightflow/warehouse';
import { parse } from 'csv-parse';
import type { ChildArgs } from './childRss.js';
import { type Figure, rateFigure, type Suite, timed } from './harness.js';

/** The benchmarks measure the Instacart demo: the built-in catalog. */
const catalog = instacartCatalog();

/**
 * The pipeline suite: every figure issue 14's goals name, each against the faster native path
 * measured in the same run on the same data.
 *
 * - Sync anchors (on the part files the sync loaded): `psql \copy` into a bare table (no
 *   constraints, no defaults); the same plus one `ADD PRIMARY KEY` (THE sync anchor); `psql \copy`
 *   into a table that keeps its key during the load.
 * - Ingest anchors: DuckDB `COPY (SELECT * FROM t) TO csv` of every table; the same plus an SDK
 *   upload of those files, one at a time, to the same S3 server (THE ingest anchor).
 * - Load, ingest (stream, unload) and sync each run in a child process (bench/childRss.ts) at
 *   the scale and at scale/10: peak RSS per stage, and the stage times for the end-to-end sum.
 */

const run = promisify(execFile);
const CHILD = path.join(path.dirname(new URL(import.meta.url).pathname), 'childRss.ts');
const RAW = 'insightflow-raw-bucket';
const STAGE = 'insightflow-stage';
const SYNC_TABLE = 'order_products_prior';
const ANCHOR_SCHEMA = 'insightflow_bench_anchor';
/** DuckDB memory_limit per stage, as the CLI opens the warehouse (packages/cli/src/commands/{load,ingest}.ts). */
const MEMORY_LIMIT = { load: '1GB', ingest: '128MB' } as const;
/** The CLI's default ingest mode (packages/cli/src/program.ts, `ingest --mode`). */
const CLI_INGEST_MODE = 'auto';
/** What the sync anchor's key build and the sync's own key build may use (postgres-destination). */
const KEY_BUILD_MEMORY = '256MB';
const GOALS = {
  syncRatio: 0.9,
  streamRatio: 0.5,
  unloadRatio: 0.8,
  rssMiB: 256,
  flatRatio: 1.1,
  endToEndSeconds: 60,
};
const INSERT_ROWS = 500_000;

interface StageRun {
  rows: number;
  seconds: number;
  maxRssBytes: number;
  /** Peaks of V8's heap and of the Buffers it tracks: what of the RSS is JavaScript's. */
  heapBytes: number;
  externalBytes: number;
}

async function childStage(stage: 'load' | 'ingest' | 'sync', args: ChildArgs): Promise<StageRun> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, stage, JSON.stringify(args)], {
    maxBuffer: 1 << 20,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return JSON.parse(stdout) as StageRun;
}

async function clearLake(services: TestServices): Promise<void> {
  const store = new S3ObjectStore(services.s3, RAW);
  const keys: string[] = [];
  for await (const object of store.list('data/')) keys.push(object.key);
  if (keys.length > 0) await store.delete(keys);
}

interface Stages {
  warehousePath: string;
  rows: number;
  load: StageRun;
  stream: StageRun;
  unload: StageRun;
  auto: StageRun;
  sync: StageRun;
}

/**
 * One scale, each stage in its own child process: generate the staged files, load them into a
 * fresh DuckDB file, ingest every table in unload mode, then stream mode, then auto mode (the
 * CLI's default: what the sync then reads), clearing the lake between them; drop the sync
 * schema, first sync of every table. Every ingest opens the same warehouse file read-only.
 */
async function measureStages(services: TestServices, scale: number, dir: string, log: (m: string) => void) {
  await services.query('DROP SCHEMA IF EXISTS insightflow_raw CASCADE');
  await clearLake(services);
  const plan = planGeneration({ scale, seed: 42 });
  const prefix = `bench-${scale}/`;
  await writeStagedTables({ store: new S3ObjectStore(services.s3, STAGE), prefix, plan });
  const warehousePath = path.join(dir, `warehouse-${scale}.duckdb`);
  const base = { s3Endpoint: services.services.s3Endpoint, rawBucket: RAW, warehousePath };
  log(`pipeline: scale ${scale}: load`);
  const load = await childStage('load', { ...base, memoryLimit: MEMORY_LIMIT.load, stage: { bucket: STAGE, prefix } });
  log(`pipeline: scale ${scale}: ingest, unload mode`);
  const ingest = (mode: 'stream' | 'unload' | 'auto') =>
    childStage('ingest', { ...base, mode, memoryLimit: MEMORY_LIMIT.ingest, readOnly: true });
  const unload = await ingest('unload');
  await clearLake(services);
  log(`pipeline: scale ${scale}: ingest, stream mode`);
  const stream = await ingest('stream');
  await clearLake(services);
  log(`pipeline: scale ${scale}: ingest, auto mode (the CLI's default)`);
  const auto = await ingest(CLI_INGEST_MODE);
  log(`pipeline: scale ${scale}: first sync of every table`);
  await services.query('DROP SCHEMA IF EXISTS insightflow_raw CASCADE');
  const sync = await childStage('sync', { ...base, databaseUrl: services.databaseUrl });
  const rows = Object.values(plan.rows).reduce((n, r) => n + r, 0);
  return { warehousePath, rows, load, stream, unload, auto, sync } satisfies Stages;
}

async function readObject(store: ObjectStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of (await store.get(key)).body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The part files of each table's newest committed run (what the sync loaded), as local files. */
async function downloadParts(lake: Lake, dir: string) {
  const parts = new Map<TableName, { files: string[]; rows: number }>();
  for (const table of catalog.tableNames()) {
    const newest = await lake.newestCommittedRun(table, undefined, []);
    if (!newest) throw new Error(`no committed run of ${table} to measure the sync anchors on`);
    const tableDir = path.join(dir, 'parts', table);
    await mkdir(tableDir, { recursive: true });
    const files: string[] = [];
    for (const part of newest.manifest.parts) {
      const file = path.join(tableDir, path.basename(part.key));
      await writeFile(file, await readObject(lake.store, part.key));
      files.push(file);
    }
    parts.set(table, { files, rows: newest.manifest.rows });
  }
  return parts;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const columnList = (table: TableName) =>
  catalog
    .table(table)
    .columns.map((c) => ident(c.name))
    .join(', ');

/**
 * `psql` with each command as its own `-c`, stopping at the first error; `singleTransaction`
 * runs them all in one transaction (`psql -1`).
 */
function psql(services: TestServices, commands: string[], singleTransaction = false) {
  const flags = ['-q', '-v', 'ON_ERROR_STOP=1', ...(singleTransaction ? ['-1'] : [])];
  return run('psql', [services.databaseUrl, ...flags, ...commands.flatMap((c) => ['-c', c])], {
    maxBuffer: 1 << 24,
  });
}

function copyCommands(qualified: string, table: TableName, files: string[], freeze = false): string[] {
  const options = `FORMAT csv, HEADER true${freeze ? ', FREEZE' : ''}`;
  return files.map((f) => `\\copy ${qualified} (${columnList(table)}) FROM '${f}' WITH (${options})`);
}

/** The DDL of a table of the catalog's columns: `keyed` keeps the primary key, else no constraints at all. */
function tableDdl(table: TableName, qualified: string, keyed: boolean): string {
  const ddl = createTableSql(catalog.table(table), 'postgres', { qualifiedName: qualified, primaryKey: keyed });
  return keyed ? ddl : ddl.replaceAll(' NOT NULL', '');
}

/** A fresh table of the catalog's columns, created in its own transaction. */
async function freshTable(services: TestServices, table: TableName, name: string, keyed: boolean) {
  const qualified = `${ident(ANCHOR_SCHEMA)}.${ident(name)}`;
  await services.query(`DROP TABLE IF EXISTS ${qualified}`);
  await services.query(tableDdl(table, qualified, keyed));
  return qualified;
}

/**
 * Per table: `psql \copy` of its part files into a bare table, then `ADD PRIMARY KEY`; for
 * order_products_prior also a `psql \copy` into a table keyed during the load, and the original
 * system's multi-row INSERTs (the first {@link INSERT_ROWS} rows, into a keyed table).
 */
async function syncAnchors(services: TestServices, parts: Map<TableName, { files: string[]; rows: number }>) {
  await services.query(`DROP SCHEMA IF EXISTS ${ident(ANCHOR_SCHEMA)} CASCADE`);
  await services.query(`CREATE SCHEMA ${ident(ANCHOR_SCHEMA)}`);
  const perTable = new Map<TableName, { rows: number; bare: number; key: number }>();
  for (const [table, { files, rows }] of parts) {
    const qualified = `${ident(ANCHOR_SCHEMA)}.${ident(`${table}_bare`)}`;
    const bare = await timed(() =>
      psql(services, [tableDdl(table, qualified, false), ...copyCommands(qualified, table, files, true)], true),
    );
    const primaryKey = catalog.table(table).primaryKey;
    const key =
      primaryKey.length === 0
        ? { seconds: 0 }
        : await timed(() =>
            psql(services, [
              `SET maintenance_work_mem = '${KEY_BUILD_MEMORY}'`,
              `ALTER TABLE ${qualified} ADD PRIMARY KEY (${primaryKey.map(ident).join(', ')})`,
            ]),
          );
    perTable.set(table, { rows, bare: bare.seconds, key: key.seconds });
    await services.query(`DROP TABLE ${qualified}`);
  }
  const sync = parts.get(SYNC_TABLE);
  if (!sync) throw new Error(`no part files of ${SYNC_TABLE}`);
  const keyedTable = await freshTable(services, SYNC_TABLE, `${SYNC_TABLE}_keyed`, true);
  const keyed = await timed(() => psql(services, copyCommands(keyedTable, SYNC_TABLE, sync.files)));

  const insertTable = await freshTable(services, SYNC_TABLE, `${SYNC_TABLE}_insert`, true);
  const columns = catalog.table(SYNC_TABLE).columns.length;
  const client = await services.connect();
  const insert = await timed(async () => {
    let batch: string[][] = [];
    let inserted = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const values = batch
        .map((_, i) => `(${Array.from({ length: columns }, (_, c) => `$${i * columns + c + 1}`).join(', ')})`)
        .join(', ');
      await client.query(`INSERT INTO ${insertTable} (${columnList(SYNC_TABLE)}) VALUES ${values}`, batch.flat());
      inserted += batch.length;
      batch = [];
    };
    for (const file of sync.files) {
      for await (const record of createReadStream(file).pipe(parse({ from_line: 2 }))) {
        batch.push(record as string[]);
        if (batch.length === 10_000) await flush();
        if (inserted + batch.length >= INSERT_ROWS) break;
      }
      if (inserted + batch.length >= INSERT_ROWS) break;
    }
    await flush();
    return inserted;
  });
  await client.end();
  await services.query(`DROP SCHEMA ${ident(ANCHOR_SCHEMA)} CASCADE`);
  return { perTable, keyed: keyed.seconds, insertRows: insert.result, insert: insert.seconds };
}

/** DuckDB's own CSV export of every table, then a plain SDK upload of those files, one at a time. */
async function ingestAnchors(services: TestServices, warehousePath: string, dir: string) {
  const exportDir = path.join(dir, 'export');
  await mkdir(exportDir, { recursive: true });
  const files = catalog.tableNames().map((table) => ({ table, file: path.join(exportDir, `${table}.csv`) }));
  const warehouse = await DuckDbWarehouse.open({
    path: warehousePath,
    readOnly: true,
    // The anchor gets the larger cache: it is the limit, not a copy of the CLI's settings.
    memoryLimit: MEMORY_LIMIT.load,
  });
  const exported = await timed(async () => {
    for (const { table, file } of files) {
      await warehouse.execute(`COPY (SELECT * FROM ${ident(table)}) TO '${file}' (HEADER)`);
    }
  });
  await warehouse.close();
  const store = new S3ObjectStore(services.s3, RAW);
  const keys = files.map(({ table }) => `bench-anchor/${table}.csv`);
  const uploaded = await timed(async () => {
    for (const [i, { file }] of files.entries()) {
      await store.upload(keys[i] as string, createReadStream(file), { contentType: 'text/csv; charset=utf-8' });
    }
  });
  await store.delete(keys);
  await rm(exportDir, { recursive: true, force: true });
  return { exportSeconds: exported.seconds, uploadSeconds: uploaded.seconds };
}

const seconds = (s: number) => `${s.toFixed(2)} s`;
const status = (met: boolean) => (met ? 'met' : 'MISSED');

/** A rate figure judged against a ratio goal. */
function goalRate(
  suite: string,
  name: string,
  rows: number,
  spent: number,
  anchor: { name: string; rows: number; seconds: number },
  goal: number,
): Figure {
  const figure = rateFigure(suite, name, rows, spent, anchor);
  const ratio = figure.ratio as number;
  return {
    ...figure,
    note: `goal ≥ ${goal}×: ${status(ratio >= goal)} (${seconds(spent)} vs ${seconds(anchor.seconds)})`,
  };
}

/** Load, ingest, sync and their memory at two scales, with every anchor issue 14 names. */
export const pipelineSuite: Suite = {
  name: 'pipeline',
  async run({ scale, log }): Promise<Figure[]> {
    const services = await startTestServices();
    const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-bench-'));
    try {
      const smallScale = Number((scale / 10).toPrecision(6));
      log(`pipeline: stages at scale ${smallScale} (memory baseline)`);
      const small = await measureStages(services, smallScale, dir, log);
      log(`pipeline: stages at scale ${scale}`);
      const large = await measureStages(services, scale, dir, log);

      log('pipeline: ingest anchors (DuckDB COPY TO csv, then SDK upload)');
      const ingestAnchor = await ingestAnchors(services, large.warehousePath, dir);

      log('pipeline: sync anchors (psql \\copy bare, + key build, keyed; multi-row INSERT)');
      const lake = new Lake(new S3ObjectStore(services.s3, RAW), catalog);
      const parts = await downloadParts(lake, dir);
      const anchors = await syncAnchors(services, parts);

      log(`pipeline: full rebuild of ${SYNC_TABLE}`);
      const client = await services.connect();
      const rebuild = await timed(() =>
        syncLake(postgresSync(client, lake.store, catalog), { mode: 'full', tables: [SYNC_TABLE] }),
      );
      await client.end();

      const syncTable = anchors.perTable.get(SYNC_TABLE) as { rows: number; bare: number; key: number };
      const bareKey = {
        name: 'psql \\copy bare + ADD PRIMARY KEY',
        rows: syncTable.rows,
        seconds: syncTable.bare + syncTable.key,
      };
      const allTables = [...anchors.perTable.values()].reduce(
        (sum, t) => ({ rows: sum.rows + t.rows, seconds: sum.seconds + t.bare + t.key }),
        { rows: 0, seconds: 0 },
      );
      const nativeExport = { name: 'DuckDB COPY TO csv', rows: large.rows, seconds: ingestAnchor.exportSeconds };
      const exportUpload = {
        name: 'DuckDB COPY TO csv + SDK upload',
        rows: large.rows,
        seconds: ingestAnchor.exportSeconds + ingestAnchor.uploadSeconds,
      };

      const mib = (bytes: number) => bytes / 1024 / 1024;
      const memory = (stage: string, at: StageRun, base: StageRun): Figure => {
        const value = mib(at.maxRssBytes);
        const ratio = at.maxRssBytes / base.maxRssBytes;
        const rssNote =
          scale === 1
            ? `goal < ${GOALS.rssMiB} MiB: ${status(value < GOALS.rssMiB)}`
            : `goal < ${GOALS.rssMiB} MiB at scale 1 (${value < GOALS.rssMiB ? 'under' : 'OVER'} it here)`;
        return {
          suite: 'memory',
          name: `${stage} peak RSS (scale ${scale})`,
          value,
          unit: 'MiB',
          anchor: { name: `scale ${smallScale}`, value: mib(base.maxRssBytes) },
          ratio,
          note:
            `${rssNote}; flat goal ≤ ${GOALS.flatRatio}×: ${status(ratio <= GOALS.flatRatio)}; ` +
            `JS heap ${mib(at.heapBytes).toFixed(0)} MiB, Buffers ${mib(at.externalBytes).toFixed(0)} MiB`,
        };
      };
      const endToEnd = large.load.seconds + large[CLI_INGEST_MODE].seconds + large.sync.seconds;
      const rowsOf = (s: StageRun) => s.rows;

      return [
        // Sync: anchors, then the figures against bare copy + key build.
        {
          ...rateFigure(
            'sync',
            `anchor: psql \\copy into a bare table, ${SYNC_TABLE}`,
            syncTable.rows,
            syncTable.bare,
            bareKey,
          ),
          note: `${seconds(syncTable.bare)}; the key build adds ${seconds(syncTable.key)}`,
        },
        {
          suite: 'sync',
          name: `ANCHOR: psql \\copy bare + ADD PRIMARY KEY, ${SYNC_TABLE}`,
          value: syncTable.rows / bareKey.seconds,
          unit: 'rows/s',
          note: `${syncTable.rows.toLocaleString('en')} rows in ${seconds(bareKey.seconds)}`,
        },
        {
          ...rateFigure(
            'sync',
            `anchor: psql \\copy into a keyed table, ${SYNC_TABLE}`,
            syncTable.rows,
            anchors.keyed,
            bareKey,
          ),
          note: `${seconds(anchors.keyed)} (the key kept during the load)`,
        },
        goalRate(
          'sync',
          `sync ${SYNC_TABLE}, full rebuild`,
          rebuild.result.rows,
          rebuild.seconds,
          bareKey,
          GOALS.syncRatio,
        ),
        goalRate(
          'sync',
          `sync every table, first sync into empty tables (child)`,
          large.sync.rows,
          large.sync.seconds,
          { name: 'Σ psql \\copy bare + ADD PRIMARY KEY, every table', ...allTables },
          GOALS.syncRatio,
        ),
        {
          ...rateFigure(
            'sync',
            `original system's method: multi-row INSERT ×10 000 (first ${anchors.insertRows.toLocaleString('en')} rows)`,
            anchors.insertRows,
            anchors.insert,
            bareKey,
          ),
          note: `the method InsightFlow replaced; no goal (${seconds(anchors.insert)})`,
        },
        // Ingest: anchors, then both modes against export + upload.
        {
          ...rateFigure(
            'ingest',
            'anchor: DuckDB COPY TO csv, every table',
            large.rows,
            ingestAnchor.exportSeconds,
            exportUpload,
          ),
          note: `${seconds(ingestAnchor.exportSeconds)}; the upload adds ${seconds(ingestAnchor.uploadSeconds)}`,
        },
        {
          suite: 'ingest',
          name: 'ANCHOR: DuckDB COPY TO csv + SDK upload, every table',
          value: large.rows / exportUpload.seconds,
          unit: 'rows/s',
          note: `${large.rows.toLocaleString('en')} rows in ${seconds(exportUpload.seconds)}`,
        },
        goalRate(
          'ingest',
          'ingest stream mode, every table (child)',
          rowsOf(large.stream),
          large.stream.seconds,
          exportUpload,
          GOALS.streamRatio,
        ),
        goalRate(
          'ingest',
          'ingest unload mode, every table (child)',
          rowsOf(large.unload),
          large.unload.seconds,
          exportUpload,
          GOALS.unloadRatio,
        ),
        goalRate(
          'ingest',
          `ingest ${CLI_INGEST_MODE} mode (the CLI's default), every table (child)`,
          rowsOf(large.auto),
          large.auto.seconds,
          exportUpload,
          GOALS.unloadRatio,
        ),
        {
          ...rateFigure(
            'ingest',
            'ingest stream mode vs native export alone',
            rowsOf(large.stream),
            large.stream.seconds,
            nativeExport,
          ),
          note: 'no goal: how far from DuckDB writing the CSV itself',
        },
        // Memory: each stage's child-process peak, against the same stage at scale/10.
        {
          ...memory(`load (DuckDB memory_limit ${MEMORY_LIMIT.load})`, large.load, small.load),
        },
        memory(`ingest stream (memory_limit ${MEMORY_LIMIT.ingest})`, large.stream, small.stream),
        memory(`ingest unload (memory_limit ${MEMORY_LIMIT.ingest})`, large.unload, small.unload),
        memory(`ingest auto (memory_limit ${MEMORY_LIMIT.ingest})`, large.auto, small.auto),
        memory('sync', large.sync, small.sync),
        // End to end.
        {
          suite: 'pipeline',
          name: `load + ingest (${CLI_INGEST_MODE}) + sync, scale ${scale} (child stages)`,
          value: endToEnd,
          unit: 's',
          anchor: { name: 'goal at scale 1', value: GOALS.endToEndSeconds },
          ratio: endToEnd / GOALS.endToEndSeconds,
          note:
            `goal < ${GOALS.endToEndSeconds} s at scale 1` +
            (scale === 1 ? `: ${status(endToEnd < GOALS.endToEndSeconds)}` : ' (not judged at this scale)') +
            ` — load ${seconds(large.load.seconds)}, ingest ${seconds(large[CLI_INGEST_MODE].seconds)}, sync ${seconds(large.sync.seconds)}`,
        },
      ];
    } finally {
      await services.query(`DROP SCHEMA IF EXISTS ${ident(ANCHOR_SCHEMA)} CASCADE`).catch(() => undefined);
      await services.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
