import type { TableName } from './catalog.js';
import { InsightFlowError } from './errors.js';

/**
 * The sync's destination as a port: what it has loaded (the ledger and the snapshots), and the
 * three ways a unit of work lands, each in one transaction. The sync's core (`s3-to-rds-sync`:
 * `planSync`, `applyUnit`, `syncLake`) uses only this; the PostgreSQL adapter
 * (`PostgresDestination`, `postgres-destination`) implements it. It lives here, not in
 * s3-to-rds-sync, because the sync's handler wires that adapter: the adapter importing its port
 * from the sync's package would make the two packages depend on each other. The planner is tested
 * against plain values of {@link SyncState}, without any database.
 */

/** What the destination holds now. */
export interface SyncState {
  /** Per table, the batch run its snapshot came from. */
  snapshots: ReadonlyMap<TableName, Date>;
  /** Streaming objects already loaded, as {@link objectIdentity} strings. */
  loadedObjects: ReadonlySet<string>;
}

/** How an object is known in the ledger: its key and ETag (a rewritten object is a new one). */
export function objectIdentity(key: string, etag: string): string {
  return `${key}\u0000${etag}`;
}

/** A committed batch run to make the table's snapshot. */
export interface SnapshotToLoad {
  table: TableName;
  runAt: Date;
  manifestKey: string;
  /** Rows the manifest reports. */
  rows: number;
  parts: readonly { key: string; etag: string }[];
  /** The columns of the run's files, from its manifest; the catalog's when absent. */
  columns?: readonly string[];
  /** Replace even when the current snapshot is as new (a full rebuild). */
  force: boolean;
}

/** A streaming object to append to its table. */
export interface StreamObjectToLoad {
  table: TableName;
  key: string;
  etag: string;
  /** Bytes, for estimating how long it takes. */
  size: number;
  arrivedAt: Date;
}

/** What loading one object did. */
export interface ObjectLoadResult {
  rows: number;
  rejected: number;
  /** Stream rows skipped because their order was already loaded (at-least-once delivery). */
  duplicates: number;
  /** `copy`: bytes straight into COPY. `validated`: row by row, bad rows to the rejects table. */
  path: 'copy' | 'validated';
}

/**
 * An object whose header or key does not match the catalog: nothing from it is executed. The
 * destination throws it; the sync records the refusal and goes on with the next unit.
 */
export class ObjectRefusedError extends InsightFlowError {
  public constructor(
    public readonly key: string,
    reason: string,
  ) {
    super(`Refused s3 object ${JSON.stringify(key)}: ${reason}. Nothing from it was loaded.`);
    this.name = 'ObjectRefusedError';
  }
}

/** What one unit of work did. */
export interface UnitOutcome {
  rows: number;
  rejected: number;
  duplicates: number;
  filesLoaded: number;
  filesSkipped: number;
  /** The batch run now in the destination, when this unit replaced the snapshot. */
  snapshot?: string;
  objects: { key: string; result: ObjectLoadResult }[];
}

/** The destination's side of a sync. */
export interface SyncDestination {
  /** Creates or evolves the schema before any load. */
  migrate(): Promise<void>;
  readState(): Promise<SyncState>;
  /**
   * Replaces the table's batch snapshot with the run, atomically (readers see the old snapshot
   * or the new one), keeping its stream rows. Skips, changing nothing, when the snapshot is
   * already as new and `force` is off (another sync got there first).
   */
  replaceSnapshot(snapshot: SnapshotToLoad): Promise<UnitOutcome>;
  /** Appends a streaming object's rows and its ledger row together; skips one already loaded. */
  loadStreamObject(object: StreamObjectToLoad): Promise<UnitOutcome>;
  /** Rebuilds a stream table from scratch in one transaction: its snapshot (if any) and every object. */
  rebuildTable(
    table: TableName,
    snapshot: SnapshotToLoad | undefined,
    objects: readonly StreamObjectToLoad[],
  ): Promise<UnitOutcome>;
}

/** An outcome that did nothing yet. */
export function emptyOutcome(): UnitOutcome {
  return { rows: 0, rejected: 0, duplicates: 0, filesLoaded: 0, filesSkipped: 0, objects: [] };
}
