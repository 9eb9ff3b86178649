import type { ObjectStore } from '@insightflow/object-store';
import {
  type Catalog,
  columnNames,
  emptyOutcome,
  type ObjectLoadResult,
  ObjectRefusedError,
  objectIdentity,
  quoteIdentifier,
  type SnapshotToLoad,
  type StreamObjectToLoad,
  type SyncDestination,
  type SyncState,
  type TableName,
  type TableShape,
  type TableSpec,
  type UnitOutcome,
} from '@insightflow/shared-config';
import type { ClientBase } from 'pg';
import { CopyRefusedError } from './errors.js';
import { type LoadOptions, loadCsvObject, loadNdjsonObject, type ObjectSource } from './loadObject.js';
import { migrate, qualified, rowsOfKind, SOURCE_ID_DEFAULT } from './migrations.js';
import { ensureTable, prepareCatalogTables, runTable } from './tableSchema.js';

/**
 * Sort memory for building a snapshot's key (PostgreSQL's, set for that statement only): enough
 * to sort tens of millions of keys in few passes, small beside any RDS instance class.
 */
const BULK_MAINTENANCE_WORK_MEM = '256MB';

/** SQL state of a unique violation: a duplicate key within a bulk-loaded snapshot. */
const UNIQUE_VIOLATION = '23505';

/**
 * The sync's destination in PostgreSQL, the `SyncDestination` port's adapter: the catalog's tables in the sync schema, the ledger of
 * loaded objects (`_loaded_objects`, keyed by bucket, key and ETag), the snapshot of each table
 * (`_snapshots`) and the rejects. Every unit runs in one transaction holding the table's advisory
 * lock, so concurrent syncs serialise per table and a crash mid-unit leaves nothing of it.
 */
export class PostgresDestination implements SyncDestination {
  /**
   * @param client a connected client; the destination runs its own transactions on it.
   * @param store the raw bucket, where the objects to load are read.
   * @param catalog the catalog whose tables the destination holds, and whose policy evolves them.
   */
  public constructor(
    private readonly client: ClientBase,
    private readonly store: ObjectStore,
    private readonly catalog: Catalog,
  ) {}

  public async migrate(): Promise<void> {
    await migrate(this.client);
    await prepareCatalogTables(this.client, this.catalog);
  }

  public async readState(): Promise<SyncState> {
    const snapshots = await this.client.query<{ table_name: TableName; run_at: Date }>(
      `SELECT table_name, run_at FROM ${qualified('_snapshots')}`,
    );
    const loaded = await this.client.query<{ key: string; etag: string }>(
      `SELECT key, etag FROM ${qualified('_loaded_objects')} WHERE bucket = $1 AND kind = 'stream'`,
      [this.store.bucket],
    );
    return {
      snapshots: new Map(snapshots.rows.map((r) => [r.table_name, r.run_at])),
      loadedObjects: new Set(loaded.rows.map((r) => objectIdentity(r.key, r.etag))),
    };
  }

  public async replaceSnapshot(snapshot: SnapshotToLoad): Promise<UnitOutcome> {
    return this.withTableLock(snapshot.table, (held) => this.replaceSnapshotInTransaction(snapshot, held, false));
  }

  public async loadStreamObject(object: StreamObjectToLoad): Promise<UnitOutcome> {
    return this.withTableLock(object.table, async () => {
      // Another sync may have loaded it while this one waited for the lock.
      const seen = await this.client.query(
        `SELECT 1 FROM ${qualified('_loaded_objects')} WHERE bucket = $1 AND key = $2 AND etag = $3`,
        [this.store.bucket, object.key, object.etag],
      );
      const outcome = emptyOutcome();
      if (seen.rowCount) outcome.filesSkipped++;
      else await this.loadStreamRows(object, outcome);
      return outcome;
    });
  }

  public async rebuildTable(
    table: TableName,
    snapshot: SnapshotToLoad | undefined,
    objects: readonly StreamObjectToLoad[],
  ): Promise<UnitOutcome> {
    return this.withTableLock(table, async (held) => {
      const outcome = snapshot ? await this.replaceSnapshotInTransaction(snapshot, held, true) : emptyOutcome();
      if (!snapshot) await this.client.query(`DELETE FROM ${qualified(table)}`);
      await this.client.query(`DELETE FROM ${qualified('_loaded_objects')} WHERE table_name = $1 AND kind = 'stream'`, [
        table,
      ]);
      for (const object of objects) await this.loadStreamRows(object, outcome);
      return outcome;
    });
  }

  /**
   * Runs `work` in a transaction holding the table's advisory lock, after bringing the table to
   * the catalog (its schema changes commit or roll back with the load).
   */
  private async withTableLock<T>(table: TableName, work: (held: TableShape) => Promise<T>): Promise<T> {
    const { client } = this;
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`insightflow_raw.${table}`]);
      const { shape } = await ensureTable(client, this.catalog.table(table), this.catalog.schemaChanges);
      const result = await work(shape);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private source(key: string): ObjectSource {
    return { bucket: this.store.bucket, key, open: async () => (await this.store.get(key)).body };
  }

  /**
   * The snapshot replacement itself, inside the caller's transaction. `rebuilding`: stream rows
   * are reloaded in the same transaction, so the key must be there while they load.
   */
  private async replaceSnapshotInTransaction(
    snapshot: SnapshotToLoad,
    held: TableShape,
    rebuilding: boolean,
  ): Promise<UnitOutcome> {
    const { client } = this;
    const catalogTable = this.catalog.table(snapshot.table);
    // The run's files hold the columns its manifest lists (a run written before a schema change still loads).
    const table = runTable(catalogTable, held, snapshot.columns ?? columnNames(catalogTable), snapshot.manifestKey);
    const outcome = emptyOutcome();
    const current = await client.query<{ run_at: Date }>(
      `SELECT run_at FROM ${qualified('_snapshots')} WHERE table_name = $1`,
      [table.name],
    );
    const currentRun = current.rows[0]?.run_at;
    if (!snapshot.force && currentRun && currentRun.getTime() >= snapshot.runAt.getTime()) {
      outcome.filesSkipped += snapshot.parts.length;
      return outcome;
    }
    // Stream rows stay unless the table is rebuilt from scratch. Without any to keep, TRUNCATE:
    // still atomic for readers (they wait on its lock, then see only the new snapshot) and far
    // cheaper than deleting millions of rows and their index entries one by one.
    const keepsStreamRows =
      !snapshot.force &&
      ((
        await client.query(
          `SELECT 1 FROM ${qualified('_loaded_objects')} WHERE table_name = $1 AND kind = 'stream' AND rows > 0 LIMIT 1`,
          [table.name],
        )
      ).rowCount ?? 0) > 0;
    // Stream rows stay unless the table is rebuilt from scratch. Without any to keep, TRUNCATE:
    // still atomic for readers (they wait on its lock, then see only the new snapshot) and far
    // cheaper than deleting millions of rows and their index entries one by one.
    const empty = async () =>
      client.query(
        keepsStreamRows
          ? `DELETE FROM ${qualified(table.name)} WHERE ${rowsOfKind(table.name, 'batch')}`
          : `TRUNCATE ${qualified(table.name)}`,
      );
    // A keyless table has no key to drop and rebuild, so stream rows beside it do not matter.
    const bulk = table.primaryKey.length === 0 || (!keepsStreamRows && !rebuilding);
    const loaded = bulk && (await this.bulkLoadParts(table, snapshot, outcome, empty, !keepsStreamRows));
    if (!loaded) {
      await empty();
      await this.loadParts(table, snapshot, {}, outcome);
    }
    await client.query(
      `INSERT INTO ${qualified('_snapshots')} (table_name, run_at, manifest_key, rows) VALUES ($1, $2, $3, $4)
       ON CONFLICT (table_name) DO UPDATE SET run_at = EXCLUDED.run_at, manifest_key = EXCLUDED.manifest_key,
         rows = EXCLUDED.rows, loaded_at = now()`,
      [table.name, snapshot.runAt.toISOString(), snapshot.manifestKey, snapshot.rows],
    );
    outcome.snapshot = snapshot.runAt.toISOString();
    return outcome;
  }

  /**
   * Bulk load: empty the table, drop its key, COPY every part (FREEZE after a TRUNCATE), then
   * build the key once, sorted — far cheaper than maintaining a btree row by row. All of it runs
   * in one subtransaction, so bad data or a duplicate key undoes the attempt (the old snapshot is
   * back) and answers false, and the careful load runs instead. A table without a primary key has
   * no constraint to drop or build: its parts are just copied.
   */
  private async bulkLoadParts(
    table: TableSpec,
    snapshot: SnapshotToLoad,
    outcome: UnitOutcome,
    empty: () => Promise<unknown>,
    truncates: boolean,
  ): Promise<boolean> {
    const { client } = this;
    const keyed = table.primaryKey.length > 0;
    const constraint = quoteIdentifier(`${table.name}_pkey`);
    const attempt = { ...emptyOutcome() };
    await client.query('SAVEPOINT insightflow_bulk');
    try {
      await empty();
      if (keyed) await client.query(`ALTER TABLE ${qualified(table.name)} DROP CONSTRAINT ${constraint}`);
      await this.loadParts(
        table,
        snapshot,
        { copyOnly: true, freeze: truncates, constantSourceId: truncates },
        attempt,
      );
      if (truncates) {
        await client.query(
          `ALTER TABLE ${qualified(table.name)} ALTER COLUMN "_source_id" SET DEFAULT ${SOURCE_ID_DEFAULT}`,
        );
      }
      if (keyed) {
        // One sort for the whole table: give it the memory to sort in one pass where it can.
        await client.query(`SET LOCAL maintenance_work_mem = '${BULK_MAINTENANCE_WORK_MEM}'`);
        await client.query(
          `ALTER TABLE ${qualified(table.name)} ADD CONSTRAINT ${constraint} PRIMARY KEY (${table.primaryKey.map(quoteIdentifier).join(', ')})`,
        );
      }
      await client.query('RELEASE SAVEPOINT insightflow_bulk');
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT insightflow_bulk');
      const duplicate = (error as { code?: string }).code === UNIQUE_VIOLATION;
      if (!(error instanceof CopyRefusedError) && !duplicate) throw error;
      return false;
    }
    outcome.rows += attempt.rows;
    outcome.rejected += attempt.rejected;
    outcome.filesLoaded += attempt.filesLoaded;
    outcome.objects.push(...attempt.objects);
    return true;
  }

  /** Loads every part of the run with its ledger row, checking each is the object committed. */
  private async loadParts(
    table: TableSpec,
    snapshot: SnapshotToLoad,
    options: LoadOptions,
    outcome: UnitOutcome,
  ): Promise<void> {
    for (const part of snapshot.parts) {
      const head = await this.store.head(part.key);
      if (!head) throw new ObjectRefusedError(part.key, 'the manifest lists it but it is missing from the bucket');
      if (head.etag !== part.etag) {
        throw new ObjectRefusedError(
          part.key,
          `it changed after its run was committed (etag ${head.etag}, manifest ${part.etag})`,
        );
      }
      const sourceId = await this.ledgerRow(part.key, part.etag, table.name, 'batch', snapshot.runAt);
      const loaded = await loadCsvObject(
        this.client,
        this.source(part.key),
        { table, kind: 'batch', sourceId },
        options,
      );
      await this.recordLoad(sourceId, loaded);
      outcome.rows += loaded.rows;
      outcome.rejected += loaded.rejected;
      outcome.filesLoaded++;
      outcome.objects.push({ key: part.key, result: loaded });
    }
  }

  /** Loads one streaming object and records it in the ledger, inside the caller's transaction. */
  private async loadStreamRows(object: StreamObjectToLoad, outcome: UnitOutcome): Promise<void> {
    const sourceId = await this.ledgerRow(object.key, object.etag, object.table, 'stream', undefined);
    const loaded = await loadNdjsonObject(this.client, this.source(object.key), {
      table: this.catalog.table(object.table),
      kind: 'stream',
      sourceId,
    });
    await this.recordLoad(sourceId, loaded);
    outcome.rows += loaded.rows;
    outcome.rejected += loaded.rejected;
    outcome.duplicates += loaded.duplicates;
    outcome.filesLoaded++;
    outcome.objects.push({ key: object.key, result: loaded });
  }

  /**
   * The object's ledger row, written before its rows (they reference its id) in the same
   * transaction; a batch part loaded again (a rebuild) keeps its row and id.
   */
  private async ledgerRow(
    key: string,
    etag: string,
    table: string,
    kind: 'batch' | 'stream',
    runAt: Date | undefined,
  ): Promise<number> {
    const { rows } = await this.client.query<{ id: number }>(
      `INSERT INTO ${qualified('_loaded_objects')} (bucket, key, etag, table_name, kind, rows, run_at)
       VALUES ($1, $2, $3, $4, $5, 0, $6)
       ON CONFLICT (bucket, key, etag) DO UPDATE SET loaded_at = now()
       RETURNING id`,
      [this.store.bucket, key, etag, table, kind, runAt?.toISOString() ?? null],
    );
    return rows[0]?.id as number;
  }

  /** What loading the object did, on its ledger row. */
  private async recordLoad(sourceId: number, loaded: ObjectLoadResult): Promise<void> {
    await this.client.query(`UPDATE ${qualified('_loaded_objects')} SET rows = $2, rejected = $3 WHERE id = $1`, [
      sourceId,
      loaded.rows,
      loaded.rejected,
    ]);
  }
}
