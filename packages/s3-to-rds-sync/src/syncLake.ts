import type { ObjectInfo, ObjectStore } from '@insightflow/object-store';
import {
  getTable,
  LakeKeyError,
  MANIFEST_FILE,
  type PartitionTime,
  parseManifestKey,
  parsePartKey,
  parseStreamingKey,
  partitionTime,
  quoteIdentifier,
  type RunManifest,
  RunManifestSchema,
  STREAMING_PREFIX,
  TABLE_NAMES,
  type TableName,
  tablePrefix,
} from '@insightflow/shared-config';
import type { ClientBase } from 'pg';
import { ObjectRefusedError } from './errors.js';
import {
  CopyRefusedError,
  loadCsvObject,
  loadNdjsonObject,
  type ObjectLoadResult,
  type ObjectSource,
} from './loadObject.js';
import { migrate, qualified } from './migrations.js';

/**
 * What to load.
 * - `incremental`: the newest committed batch run of each table, if newer than the snapshot in
 *   PostgreSQL, and every streaming object not yet in the ledger.
 * - `window`: the same, restricted to runs and objects whose partition minute lies in
 *   [since, until] (UTC, both inclusive).
 * - `full`: rebuild each table from the lake in one transaction: its newest run, and for
 *   `orders` every streaming object.
 */
export type SyncMode = 'incremental' | 'window' | 'full';

/** A sync request. */
export interface SyncRequest {
  mode: SyncMode;
  tables?: readonly TableName[];
  since?: Date;
  until?: Date;
}

/** What the sync needs from outside. */
export interface SyncDependencies {
  /** A connected client; the sync runs its own transactions on it. */
  client: ClientBase;
  /** The raw bucket. */
  store: ObjectStore;
  /** Milliseconds left before the invocation must answer; unbounded when absent. */
  remainingMs?: () => number;
  /** Rows per second assumed when deciding whether a unit of work still fits. */
  rowsPerSecond?: number;
  onObject?: (table: TableName, key: string, result: ObjectLoadResult) => void;
}

/** Per-table outcome, in the CLI's data-movement contract. */
export interface TableSyncResult {
  rows: number;
  rejected: number;
  duplicates: number;
  filesLoaded: number;
  filesSkipped: number;
  /** The batch run now in PostgreSQL, if this call replaced the snapshot. */
  snapshot?: string;
}

/** What one sync did. */
export interface SyncResult {
  tables: Record<string, TableSyncResult>;
  rows: number;
  rejected: number;
  filesLoaded: number;
  filesSkipped: number;
  /** True when the deadline stopped the sync: call again to continue. */
  more: boolean;
  /** Objects refused because their key, manifest or header does not fit the catalog. */
  refused: { key: string; reason: string }[];
}

/** Time kept back at the end of an invocation. */
const DEADLINE_MARGIN_MS = 20_000;
const DEFAULT_ROWS_PER_SECOND = 300_000;
/** Bytes per row assumed for a streaming object's estimate. */
const STREAM_BYTES_PER_ROW = 120;

async function readJson(store: ObjectStore, key: string): Promise<unknown> {
  const { body } = await store.get(key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const inWindow = (at: Date, request: SyncRequest) =>
  request.mode !== 'window' || ((!request.since || at >= request.since) && (!request.until || at <= request.until));

/** The newest committed run of a table within the request, with its manifest checked. */
async function newestRun(
  store: ObjectStore,
  table: TableName,
  request: SyncRequest,
  refused: SyncResult['refused'],
): Promise<RunManifest | undefined> {
  const runs: { runAt: Date; key: string }[] = [];
  for await (const object of store.list(tablePrefix(table))) {
    if (!object.key.endsWith(`/${MANIFEST_FILE}`)) continue;
    try {
      const { runAt } = parseManifestKey(object.key);
      if (inWindow(runAt, request)) runs.push({ runAt, key: object.key });
    } catch (error) {
      refused.push({ key: object.key, reason: (error as Error).message });
    }
  }
  runs.sort((a, b) => b.runAt.getTime() - a.runAt.getTime());
  for (const run of runs) {
    const parsed = RunManifestSchema.safeParse(await readJson(store, run.key));
    if (!parsed.success) {
      refused.push({ key: run.key, reason: `not a valid run manifest: ${parsed.error.issues[0]?.message}` });
      continue;
    }
    const manifest = parsed.data;
    const folder = run.key.slice(0, -MANIFEST_FILE.length);
    const foreign = manifest.parts.find((part) => {
      try {
        const location = parsePartKey(part.key);
        return location.table !== table || !part.key.startsWith(folder) || manifest.table !== table;
      } catch {
        return true;
      }
    });
    if (foreign) {
      refused.push({ key: run.key, reason: `lists ${JSON.stringify(foreign.key)}, which is not a part of this run` });
      continue;
    }
    return manifest;
  }
  return undefined;
}

function emptyResult(): TableSyncResult {
  return { rows: 0, rejected: 0, duplicates: 0, filesLoaded: 0, filesSkipped: 0 };
}

function sourceFor(store: ObjectStore, key: string): ObjectSource {
  return { bucket: store.bucket, key, open: async () => (await store.get(key)).body };
}

/** Runs `work` in a transaction holding the table's advisory lock: syncs of one table serialise. */
async function withTableLock<T>(client: ClientBase, table: TableName, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`insightflow_raw.${table}`]);
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Replaces a table's batch snapshot with a run, atomically: the old batch rows go and every part
 * of the new run comes in, with its ledger rows, in one transaction — readers see the old
 * snapshot or the new one, never a mix. Returns undefined when another sync got there first.
 */
async function replaceSnapshot(
  deps: SyncDependencies,
  manifest: RunManifest,
  mode: SyncMode,
  result: TableSyncResult,
  alsoInTransaction?: () => Promise<void>,
): Promise<boolean> {
  // Work added to the transaction (a full rebuild's stream rows) needs the key while it runs.
  const bulkUnsafe = alsoInTransaction !== undefined;
  const { client, store } = deps;
  const table = getTable(manifest.table);
  return withTableLock(client, table.name, async () => {
    const current = await client.query<{ run_at: Date }>(
      `SELECT run_at FROM ${qualified('_snapshots')} WHERE table_name = $1`,
      [table.name],
    );
    const currentRun = current.rows[0]?.run_at;
    if (mode !== 'full' && currentRun && currentRun.getTime() >= new Date(manifest.runAt).getTime()) {
      result.filesSkipped += manifest.parts.length;
      return false;
    }
    // Stream rows stay unless the table is rebuilt from scratch. Without any to keep, TRUNCATE:
    // still atomic for readers (they wait on its lock, then see only the new snapshot) and far
    // cheaper than deleting millions of rows and their index entries one by one.
    const keepsStreamRows =
      mode !== 'full' &&
      ((await client.query(`SELECT 1 FROM ${qualified(table.name)} WHERE "_source_kind" = 'stream' LIMIT 1`))
        .rowCount ?? 0) > 0;
    await client.query(
      keepsStreamRows
        ? `DELETE FROM ${qualified(table.name)} WHERE "_source_kind" = 'batch'`
        : `TRUNCATE ${qualified(table.name)}`,
    );
    const partition: PartitionTime = partitionTime(new Date(manifest.runAt));
    const loadParts = async (copyOnly: boolean) => {
      const totals = { rows: 0, rejected: 0, files: 0, loaded: [] as [string, ObjectLoadResult][] };
      for (const part of manifest.parts) {
        const head = await store.head(part.key);
        if (!head) throw new ObjectRefusedError(part.key, 'the manifest lists it but it is missing from the bucket');
        if (head.etag !== part.etag) {
          throw new ObjectRefusedError(
            part.key,
            `it changed after its run was committed (etag ${head.etag}, manifest ${part.etag})`,
          );
        }
        const loaded = await loadCsvObject(
          client,
          sourceFor(store, part.key),
          { table, kind: 'batch', partition },
          { copyOnly },
        );
        await client.query(
          `INSERT INTO ${qualified('_loaded_objects')} (bucket, key, etag, table_name, kind, rows, rejected, run_at)
           VALUES ($1, $2, $3, $4, 'batch', $5, $6, $7)
           ON CONFLICT (bucket, key, etag) DO UPDATE SET rows = EXCLUDED.rows, rejected = EXCLUDED.rejected, loaded_at = now()`,
          [store.bucket, part.key, part.etag, table.name, loaded.rows, loaded.rejected, manifest.runAt],
        );
        totals.rows += loaded.rows;
        totals.rejected += loaded.rejected;
        totals.files++;
        totals.loaded.push([part.key, loaded]);
      }
      return totals;
    };

    let totals: Awaited<ReturnType<typeof loadParts>> | undefined;
    if (!keepsStreamRows && !bulkUnsafe) {
      // Bulk load into the emptied table without its key, then build the key once, sorted: far
      // cheaper than maintaining a btree row by row. Bad data or a duplicate key undoes the
      // attempt (the table is still empty), and the careful load below runs instead.
      await client.query('SAVEPOINT insightflow_bulk');
      try {
        await client.query(
          `ALTER TABLE ${qualified(table.name)} DROP CONSTRAINT ${quoteIdentifier(`${table.name}_pkey`)}`,
        );
        totals = await loadParts(true);
        await client.query(
          `ALTER TABLE ${qualified(table.name)} ADD CONSTRAINT ${quoteIdentifier(`${table.name}_pkey`)} PRIMARY KEY (${table.primaryKey.map(quoteIdentifier).join(', ')})`,
        );
        await client.query('RELEASE SAVEPOINT insightflow_bulk');
      } catch (error) {
        await client.query('ROLLBACK TO SAVEPOINT insightflow_bulk');
        const duplicate = (error as { code?: string }).code === '23505';
        if (!(error instanceof CopyRefusedError) && !duplicate) throw error;
        totals = undefined;
      }
    }
    totals ??= await loadParts(false);
    result.rows += totals.rows;
    result.rejected += totals.rejected;
    result.filesLoaded += totals.files;
    for (const [key, loaded] of totals.loaded) deps.onObject?.(table.name, key, loaded);
    await client.query(
      `INSERT INTO ${qualified('_snapshots')} (table_name, run_at, manifest_key, rows) VALUES ($1, $2, $3, $4)
       ON CONFLICT (table_name) DO UPDATE SET run_at = EXCLUDED.run_at, manifest_key = EXCLUDED.manifest_key,
         rows = EXCLUDED.rows, loaded_at = now()`,
      [
        table.name,
        manifest.runAt,
        `${manifest.parts[0]?.key.replace(/[^/]+$/, '') ?? ''}${MANIFEST_FILE}`,
        manifest.rows,
      ],
    );
    result.snapshot = manifest.runAt;
    await alsoInTransaction?.();
    return true;
  });
}

/** A streaming object and the minute Firehose delivered it. */
interface StreamingObject {
  object: ObjectInfo;
  arrivedAt: Date;
}

/** Loads one streaming object and records it in the ledger, inside the caller's transaction. */
async function loadStreamingRows(
  deps: SyncDependencies,
  item: StreamingObject,
  result: TableSyncResult,
): Promise<void> {
  const { client, store } = deps;
  const { object, arrivedAt } = item;
  const loaded = await loadNdjsonObject(client, sourceFor(store, object.key), {
    table: getTable('orders'),
    kind: 'stream',
    partition: partitionTime(arrivedAt),
  });
  await client.query(
    `INSERT INTO ${qualified('_loaded_objects')} (bucket, key, etag, table_name, kind, rows, rejected)
     VALUES ($1, $2, $3, 'orders', 'stream', $4, $5)`,
    [store.bucket, object.key, object.etag, loaded.rows, loaded.rejected],
  );
  result.rows += loaded.rows;
  result.rejected += loaded.rejected;
  result.duplicates += loaded.duplicates;
  result.filesLoaded++;
  deps.onObject?.('orders', object.key, loaded);
}

/** Loads one streaming object, exactly once: its rows and its ledger row commit together. */
async function loadStreamingObject(
  deps: SyncDependencies,
  item: StreamingObject,
  result: TableSyncResult,
): Promise<void> {
  const { client, store } = deps;
  await withTableLock(client, 'orders', async () => {
    // Another sync may have loaded it while this one waited for the lock.
    const seen = await client.query(
      `SELECT 1 FROM ${qualified('_loaded_objects')} WHERE bucket = $1 AND key = $2 AND etag = $3`,
      [store.bucket, item.object.key, item.object.etag],
    );
    if (seen.rowCount) result.filesSkipped++;
    else await loadStreamingRows(deps, item, result);
  });
}

/** The streaming objects within the request, in delivery order; hostile keys are refused. */
async function streamingObjects(store: ObjectStore, request: SyncRequest, refused: SyncResult['refused']) {
  const objects: StreamingObject[] = [];
  for await (const object of store.list(STREAMING_PREFIX)) {
    try {
      const { arrivedAt } = parseStreamingKey(object.key);
      if (inWindow(arrivedAt, request)) objects.push({ object, arrivedAt });
    } catch (error) {
      if (error instanceof LakeKeyError) refused.push({ key: object.key, reason: error.message });
      else throw error;
    }
  }
  return objects.sort((a, b) => a.object.key.localeCompare(b.object.key));
}

/**
 * Syncs the lake into PostgreSQL: applies migrations, then loads what the mode selects. Stops
 * taking new work before the deadline and answers `more: true`; a later call resumes where
 * this one stopped (batch runs are atomic, streaming objects one by one).
 */
export async function syncLake(deps: SyncDependencies, request: SyncRequest): Promise<SyncResult> {
  const { client, store } = deps;
  await migrate(client);
  const tables = request.tables ?? TABLE_NAMES;
  const result: SyncResult = {
    tables: {},
    rows: 0,
    rejected: 0,
    filesLoaded: 0,
    filesSkipped: 0,
    more: false,
    refused: [],
  };
  const rate = deps.rowsPerSecond ?? DEFAULT_ROWS_PER_SECOND;
  let started = false;
  // A unit that does not fit the time left is left for the next call — unless nothing has run
  // yet, so that a unit larger than any budget is still attempted rather than deferred forever.
  const fits = (rows: number) => {
    if (!deps.remainingMs || !started) return true;
    return deps.remainingMs() - DEADLINE_MARGIN_MS > (rows / rate) * 1000;
  };

  for (const table of tables) {
    const tableResult = emptyResult();
    result.tables[table] = tableResult;
    const manifest = await newestRun(store, table, request, result.refused);
    const streams = table === 'orders' ? await streamingObjects(store, request, result.refused) : [];

    if (request.mode === 'full' && table === 'orders') {
      // Rebuild orders in one transaction: the snapshot and every streaming object, ledger included.
      const rebuildStreams = async () => {
        await client.query(
          `DELETE FROM ${qualified('_loaded_objects')} WHERE table_name = 'orders' AND kind = 'stream'`,
        );
        for (const item of streams) await loadStreamingRows(deps, item, tableResult);
      };
      started = true;
      try {
        if (manifest) await replaceSnapshot(deps, manifest, 'full', tableResult, rebuildStreams);
        else
          await withTableLock(client, 'orders', async () => {
            await client.query(`DELETE FROM ${qualified('orders')}`);
            await rebuildStreams();
          });
      } catch (error) {
        if (!(error instanceof ObjectRefusedError)) throw error;
        result.refused.push({ key: error.key, reason: error.message });
      }
      continue;
    }

    if (manifest) {
      if (!fits(manifest.rows)) {
        result.more = true;
        break;
      }
      started = true;
      try {
        await replaceSnapshot(deps, manifest, request.mode, tableResult);
      } catch (error) {
        if (!(error instanceof ObjectRefusedError)) throw error;
        result.refused.push({ key: error.key, reason: error.message });
      }
    }
    if (streams.length === 0) continue;

    const loaded = await client.query<{ key: string; etag: string }>(
      `SELECT key, etag FROM ${qualified('_loaded_objects')} WHERE bucket = $1 AND kind = 'stream'`,
      [store.bucket],
    );
    const done = new Set(loaded.rows.map((r) => `${r.key}\u0000${r.etag}`));
    for (const item of streams) {
      if (done.has(`${item.object.key}\u0000${item.object.etag}`)) {
        tableResult.filesSkipped++;
        continue;
      }
      if (!fits(item.object.size / STREAM_BYTES_PER_ROW)) {
        result.more = true;
        break;
      }
      started = true;
      try {
        await loadStreamingObject(deps, item, tableResult);
      } catch (error) {
        if (!(error instanceof ObjectRefusedError)) throw error;
        result.refused.push({ key: error.key, reason: error.message });
      }
    }
    if (result.more) break;
  }
  for (const t of Object.values(result.tables)) {
    result.rows += t.rows;
    result.rejected += t.rejected;
    result.filesLoaded += t.filesLoaded;
    result.filesSkipped += t.filesSkipped;
  }
  return result;
}
