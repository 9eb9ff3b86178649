import { Lake } from '@insightflow/lake';
import { S3ObjectStore } from '@insightflow/object-store';
import { type Catalog, instacartCatalog } from '@insightflow/shared-config';
import { type TestServices, writeTestRun } from '@insightflow/testkit';
import { postgresSync, type SyncDependencies, type SyncRequest, type SyncResult, syncLake } from '../../src/index.js';

export const RAW = 'insightflow-raw-bucket';

/** The raw bucket of the test services. */
export function rawStore(services: TestServices): S3ObjectStore {
  return new S3ObjectStore(services.s3, RAW);
}

/** CSV lines for `orders` rows 1..n (ids from `first`), NULL days on each user's first order. */
export function orderLines(n: number, first = 1): string[] {
  return Array.from({ length: n }, (_, i) => {
    const id = first + i;
    return `${id},${(id % 50) + 1},prior,${(id % 9) + 1},${id % 7},${id % 24},${id % 9 === 0 ? '' : id % 31}`;
  });
}

/** Writes a committed batch run: parts (CSV bodies without header) and, last, the manifest. */
export const writeRun = writeTestRun;

/** Writes a streaming object as Firehose would: NDJSON orders rows under the streaming prefix of `catalog`'s orders stream. */
export async function writeStreamingObject(
  store: S3ObjectStore,
  at: Date,
  orderIds: number[],
  tail?: string,
  catalog: Catalog = instacartCatalog(),
) {
  const lines = orderIds.map((id) =>
    JSON.stringify({
      order_id: id,
      user_id: 7,
      eval_set: 'prior',
      order_number: id % 5 === 0 ? 1 : 3,
      order_dow: 2,
      order_hour_of_day: 10,
      days_since_prior_order: id % 5 === 0 ? null : 4,
    }),
  );
  return writeStreamRows(store, 'orders', at, lines, tail ?? `${orderIds[0]}`, catalog);
}

/** Writes a streaming object of `catalog`'s stream `stream` as Firehose would: the NDJSON lines given. */
export async function writeStreamRows(
  store: S3ObjectStore,
  stream: string,
  at: Date,
  lines: string[],
  tail: string,
  catalog: Catalog = instacartCatalog(),
) {
  const key = new Lake(store, catalog).streamingObjectKey(stream, `insightflow-test-${stream}`, at, at, tail);
  await store.put(key, `${lines.join('\n')}\n`);
  return key;
}

/** Drops the sync's schema and empties the lake: a fresh start for one test. */
export async function resetAll(services: TestServices): Promise<void> {
  await services.query('DROP SCHEMA IF EXISTS insightflow_raw CASCADE');
  const store = rawStore(services);
  const keys: string[] = [];
  for await (const object of store.list('')) keys.push(object.key);
  await store.delete(keys);
}

/** One sync of the test services' lake into their PostgreSQL under `catalog`, on a connection of its own. */
export async function syncOnce(
  services: TestServices,
  request: SyncRequest = { mode: 'incremental' },
  extra: Pick<SyncDependencies, 'remainingMs' | 'onObject'> = {},
  catalog: Catalog = instacartCatalog(),
): Promise<SyncResult> {
  const client = await services.connect();
  try {
    return await syncLake({ ...postgresSync(client, rawStore(services), catalog), ...extra }, request);
  } finally {
    await client.end();
  }
}

/** Rows of a synced table matching `where`. */
export async function countRows(services: TestServices, table: string, where = 'true'): Promise<number> {
  const rows = await services.query<{ n: string }>(
    `SELECT count(*) AS n FROM insightflow_raw."${table}" WHERE ${where}`,
  );
  return Number(rows[0]?.n);
}
