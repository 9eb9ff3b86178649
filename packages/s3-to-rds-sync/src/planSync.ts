import {
  objectIdentity,
  type SnapshotToLoad,
  type StreamObjectToLoad,
  type SyncState,
  type TableName,
} from '@insightflow/shared-config';

/**
 * What to load.
 * - `incremental`: the newest committed batch run of each table, if newer than the snapshot in
 *   the destination, and every streaming object not yet in the ledger.
 * - `window`: the same, restricted to runs and objects whose partition minute lies in
 *   [since, until] (UTC, both inclusive).
 * - `full`: rebuild each table from the lake in one transaction: its newest run, and for a
 *   table a catalog stream feeds, every object of its streams.
 */
export type SyncMode = 'incremental' | 'window' | 'full';

/** What the lake holds for the tables being synced (already filtered by the request's window). */
export interface LakeView {
  /** Each table's newest committed run, if it has one. */
  runs: ReadonlyMap<TableName, SnapshotToLoad>;
  /** Every requested stream's objects, each naming the table it loads into, in delivery order. */
  streams: readonly StreamObjectToLoad[];
  /** The tables catalog streams feed (whether or not their streams hold objects yet). */
  streamTables: readonly TableName[];
}

/** How much may still be done in this call. */
export interface SyncBudget {
  /** Milliseconds available for loading (the deadline margin already taken off); unbounded when absent. */
  remainingMs?: number;
  /** Rows per second assumed when estimating a unit. */
  rowsPerSecond: number;
}

/** One unit of work: one transaction in the destination. */
export type WorkUnit =
  | { kind: 'snapshot'; table: TableName; snapshot: SnapshotToLoad; estimatedRows: number }
  | { kind: 'stream-object'; table: TableName; object: StreamObjectToLoad; estimatedRows: number }
  | {
      kind: 'rebuild';
      table: TableName;
      snapshot: SnapshotToLoad | undefined;
      objects: readonly StreamObjectToLoad[];
      estimatedRows: number;
    };

/** The plan of one call. */
export interface SyncPlan {
  units: WorkUnit[];
  /** Per table, objects left alone because the destination already has them. */
  skipped: Map<TableName, number>;
  /** True when units were left for a later call because they would not fit the budget. */
  more: boolean;
}

/** Bytes per row assumed for a streaming object's estimate. */
export const STREAM_BYTES_PER_ROW = 120;

/**
 * Plans a sync: which snapshots to replace and which streaming objects to load, in order, within
 * the budget. Pure: the same lake view, state and budget give the same plan. A unit that does not
 * fit is left for the next call — unless it would be the first, so a unit larger than any budget
 * is still attempted rather than deferred forever.
 */
export function planSync(
  lake: LakeView,
  state: SyncState,
  request: { mode: SyncMode; tables: readonly TableName[] },
  budget: SyncBudget,
): SyncPlan {
  const units: WorkUnit[] = [];
  const skipped = new Map<TableName, number>();
  let spentMs = 0;
  let more = false;
  const fits = (rows: number) => {
    const cost = (rows / budget.rowsPerSecond) * 1000;
    if (units.length > 0 && budget.remainingMs !== undefined && spentMs + cost >= budget.remainingMs) return false;
    spentMs += cost;
    return true;
  };
  const skip = (table: TableName, n: number) => skipped.set(table, (skipped.get(table) ?? 0) + n);

  for (const table of request.tables) {
    const snapshot = lake.runs.get(table);
    const streamed = lake.streamTables.includes(table);
    const streams = streamed ? lake.streams.filter((o) => o.table === table) : [];
    const streamRows = (object: StreamObjectToLoad) => object.size / STREAM_BYTES_PER_ROW;

    if (request.mode === 'full') {
      const forced = snapshot ? { ...snapshot, force: true } : undefined;
      if (streamed) {
        const rows = (forced?.rows ?? 0) + streams.reduce((n, o) => n + streamRows(o), 0);
        if (!fits(rows)) {
          more = true;
          break;
        }
        units.push({ kind: 'rebuild', table, snapshot: forced, objects: streams, estimatedRows: rows });
      } else if (forced) {
        if (!fits(forced.rows)) {
          more = true;
          break;
        }
        units.push({ kind: 'snapshot', table, snapshot: forced, estimatedRows: forced.rows });
      }
      continue;
    }

    if (snapshot) {
      const current = state.snapshots.get(table);
      if (current && current.getTime() >= snapshot.runAt.getTime()) skip(table, snapshot.parts.length);
      else if (!fits(snapshot.rows)) {
        more = true;
        break;
      } else units.push({ kind: 'snapshot', table, snapshot, estimatedRows: snapshot.rows });
    }
    for (const object of streams) {
      if (state.loadedObjects.has(objectIdentity(object.key, object.etag))) {
        skip(table, 1);
        continue;
      }
      if (!fits(streamRows(object))) {
        more = true;
        break;
      }
      units.push({ kind: 'stream-object', table, object, estimatedRows: streamRows(object) });
    }
    if (more) break;
  }
  return { units, skipped, more };
}

/**
 * Per table, when the oldest lake object the destination does not hold yet landed (a batch run
 * newer than the table's snapshot, a streaming object not in the ledger), counting the units
 * `applied` since `state` was read as held. Absent: the table is up to date. What the sync's lag
 * metric is the age of.
 */
export function oldestPending(view: LakeView, state: SyncState, applied: readonly WorkUnit[]): Map<TableName, Date> {
  const snapshots = new Map(state.snapshots);
  const loaded = new Set(state.loadedObjects);
  for (const unit of applied) {
    if (unit.kind !== 'stream-object' && unit.snapshot) snapshots.set(unit.table, unit.snapshot.runAt);
    const objects = unit.kind === 'stream-object' ? [unit.object] : unit.kind === 'rebuild' ? unit.objects : [];
    for (const o of objects) loaded.add(objectIdentity(o.key, o.etag));
  }
  const oldest = new Map<TableName, Date>();
  const note = (table: TableName, at: Date) => {
    const current = oldest.get(table);
    if (!current || at < current) oldest.set(table, at);
  };
  for (const [table, run] of view.runs) {
    const held = snapshots.get(table);
    if (!held || held < run.runAt) note(table, run.runAt);
  }
  for (const object of view.streams) {
    if (!loaded.has(objectIdentity(object.key, object.etag))) note(object.table, object.arrivedAt);
  }
  return oldest;
}
