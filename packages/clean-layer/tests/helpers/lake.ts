import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Lake } from '@insightflow/lake';
import { S3ObjectStore } from '@insightflow/object-store';
import { type Catalog, instacartCatalog, LOCAL_DEFAULTS, type TableName } from '@insightflow/shared-config';
import { startTestS3, type TestS3, writeTestRun } from '@insightflow/testkit';
import {
  attachCleanTables,
  buildCleanTables,
  type CleanResult,
  CleanStore,
  DuckDbCleanEngine,
} from '../../src/index.js';

/** A real S3 API server with the raw and clean buckets, and the clean layer's parts over it. */
export interface CleanFixture {
  /** The catalog the fixture's lake, clean store and builds use: the built-in one unless given. */
  catalog: Catalog;
  s3: TestS3;
  raw: S3ObjectStore;
  clean: CleanStore;
  lake: Lake;
  build(tables?: TableName[], now?: Date): Promise<CleanResult>;
  /** Every row of a published clean table, read back from its Parquet with DuckDB, ordered by `orderBy`. */
  rows(table: TableName, orderBy: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

export async function startCleanFixture(catalog: Catalog = instacartCatalog()): Promise<CleanFixture> {
  const s3 = await startTestS3([LOCAL_DEFAULTS.rawBucket, LOCAL_DEFAULTS.cleanBucket]);
  const raw = new S3ObjectStore(s3.client, LOCAL_DEFAULTS.rawBucket);
  const cleanObjects = new S3ObjectStore(s3.client, LOCAL_DEFAULTS.cleanBucket);
  const clean = new CleanStore(cleanObjects, catalog);
  const lake = new Lake(raw, catalog);
  const engine = new DuckDbCleanEngine({ raw, clean: cleanObjects, memoryLimit: '128MB', threads: 2 });
  return {
    catalog,
    s3,
    raw,
    clean,
    lake,
    build: (tables, now) =>
      buildCleanTables({ catalog, lake, clean, engine, ...(now ? { now: () => now } : {}) }, tables),
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

/** Writes a committed batch run of the built-in catalog's `table` (parts as CSV lines under the header); returns its manifest key. */
export async function writeRun(raw: S3ObjectStore, table: TableName, runAt: Date, parts: string[][]): Promise<string> {
  await writeTestRun(raw, table, runAt, parts);
  return new Lake(raw, instacartCatalog()).manifestKey(table, runAt);
}

/** Writes a streaming object of the `orders` stream as Firehose would: one NDJSON row per line. */
export async function writeStreamObject(raw: S3ObjectStore, at: Date, rows: object[], tail: string): Promise<string> {
  const key = new Lake(raw, instacartCatalog()).streamingObjectKey('orders', 'insightflow-test-orders', at, at, tail);
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
