import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Lake } from '@insightflow/lake';
import { S3ObjectStore } from '@insightflow/object-store';
import { columnNames, getTable, LOCAL_DEFAULTS, type ManifestPart, type TableName } from '@insightflow/shared-config';
import { startTestS3, type TestS3 } from '@insightflow/testkit';
import {
  attachCleanTables,
  buildCleanTables,
  type CleanResult,
  CleanStore,
  DuckDbCleanEngine,
} from '../../src/index.js';

/** A real S3 API server with the raw and clean buckets, and the clean layer's parts over it. */
export interface CleanFixture {
  s3: TestS3;
  raw: S3ObjectStore;
  clean: CleanStore;
  lake: Lake;
  build(tables?: TableName[], now?: Date): Promise<CleanResult>;
  /** Every row of a published clean table, read back from its Parquet with DuckDB, ordered by `orderBy`. */
  rows(table: TableName, orderBy: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

export async function startCleanFixture(): Promise<CleanFixture> {
  const s3 = await startTestS3([LOCAL_DEFAULTS.rawBucket, LOCAL_DEFAULTS.cleanBucket]);
  const raw = new S3ObjectStore(s3.client, LOCAL_DEFAULTS.rawBucket);
  const cleanObjects = new S3ObjectStore(s3.client, LOCAL_DEFAULTS.cleanBucket);
  const clean = new CleanStore(cleanObjects);
  const lake = new Lake(raw);
  const engine = new DuckDbCleanEngine({ raw, clean: cleanObjects, memoryLimit: '128MB', threads: 2 });
  return {
    s3,
    raw,
    clean,
    lake,
    build: (tables, now) => buildCleanTables({ lake, clean, engine, ...(now ? { now: () => now } : {}) }, tables),
    async rows(table, orderBy) {
      const pointer = await clean.pointer(table);
      if (!pointer) throw new Error(`${table} has no published clean version`);
      const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-clean-read-'));
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      try {
        await attachCleanTables(connection, cleanObjects, [pointer], dir);
        const result = await connection.runAndReadAll(`SELECT * FROM "${table}" ORDER BY ${orderBy}`);
        return result.getRowObjectsJson() as Record<string, unknown>[];
      } finally {
        connection.closeSync();
        instance.closeSync();
        await rm(dir, { recursive: true, force: true });
      }
    },
    stop: () => s3.stop(),
  };
}

/** Writes a committed batch run of `table`: parts (CSV bodies with the header) and, last, the manifest. */
export async function writeRun(
  raw: S3ObjectStore,
  table: TableName,
  runAt: Date,
  parts: string[][],
  header = columnNames(getTable(table)).join(','),
): Promise<string> {
  const lake = new Lake(raw);
  const written: ManifestPart[] = [];
  for (const [index, lines] of parts.entries()) {
    const key = lake.partKey(table, runAt, index);
    const body = `${header}\n${lines.map((l) => `${l}\n`).join('')}`;
    const info = await raw.put(key, body, 'text/csv');
    written.push({ key, rows: lines.length, bytes: Buffer.byteLength(body), etag: info.etag });
  }
  await lake.commitRun({
    version: 1,
    table,
    runAt: runAt.toISOString(),
    mode: 'stream',
    source: 'duckdb',
    query: `SELECT * FROM ${table}`,
    columns: header.split(','),
    parts: written,
    rows: written.reduce((n, p) => n + p.rows, 0),
    bytes: written.reduce((n, p) => n + p.bytes, 0),
    startedAt: runAt.toISOString(),
    finishedAt: runAt.toISOString(),
  });
  return lake.manifestKey(table, runAt);
}

/** Writes a streaming object of the `orders` stream as Firehose would: one NDJSON row per line. */
export async function writeStreamObject(raw: S3ObjectStore, at: Date, rows: object[], tail: string): Promise<string> {
  const key = new Lake(raw).streamingObjectKey('orders', 'insightflow-test-orders', at, at, tail);
  await raw.put(key, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return key;
}

/** An `orders` row as the stream carries it. */
export function streamedOrder(orderId: number, evalSet = 'train', userId = 7): Record<string, unknown> {
  return {
    order_id: orderId,
    user_id: userId,
    eval_set: evalSet,
    order_number: 2,
    order_dow: 3,
    order_hour_of_day: 9,
    days_since_prior_order: null,
  };
}
