import type { CommittedRun, Lake, LakeWindow, Refusal } from '@insightflow/lake';
import {
  type Catalog,
  type ObjectLoadResult,
  ObjectRefusedError,
  type SnapshotToLoad,
  type StreamObjectToLoad,
  type SyncDestination,
  type TableName,
  type UnitOutcome,
} from '@insightflow/shared-config';
import { applyUnit } from './applyUnit.js';
import { type LakeView, oldestPending, planSync, type SyncMode, type WorkUnit } from './planSync.js';

/** A sync request. */
export interface SyncRequest {
  mode: SyncMode;
  tables?: readonly TableName[];
  since?: Date;
  until?: Date;
}

/** What the sync needs from outside. */
export interface SyncDependencies {
  /** The catalog synced: its tables, and the streams that feed them. */
  catalog: Catalog;
  lake: Lake;
  destination: SyncDestination;
  /** Milliseconds left before the invocation must answer; unbounded when absent. */
  remainingMs?: () => number;
  /** Time kept back at the end of an invocation: the one deadline margin (default 20 s). */
  deadlineMarginMs?: number;
  /** Rows per second assumed when deciding whether a unit of work still fits. */
  rowsPerSecond?: number;
  onObject?: (table: TableName, key: string, result: ObjectLoadResult) => void;
}

/** Per-table outcome, in the CLI's data-movement contract. */
export type TableSyncResult = Omit<UnitOutcome, 'objects'>;

/** Adds one outcome's figures to a table's result (a unit's, or a round's in {@link syncUntilDone}). */
export function addToTableResult(target: TableSyncResult, outcome: TableSyncResult): void {
  target.rows += outcome.rows;
  target.rejected += outcome.rejected;
  target.duplicates += outcome.duplicates;
  target.filesLoaded += outcome.filesLoaded;
  target.filesSkipped += outcome.filesSkipped;
  if (outcome.snapshot) target.snapshot = outcome.snapshot;
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
  refused: Refusal[];
  /**
   * Per table, the age in seconds of the oldest lake object not yet loaded when the call ended
   * (0: up to date): the sync's lag, what its alarm watches.
   */
  lagSeconds: Record<string, number>;
}

const DEFAULT_DEADLINE_MARGIN_MS = 20_000;
const DEFAULT_ROWS_PER_SECOND = 300_000;

function snapshotOf(run: CommittedRun): SnapshotToLoad {
  return {
    table: run.manifest.table,
    runAt: run.runAt,
    manifestKey: run.manifestKey,
    rows: run.manifest.rows,
    columns: run.manifest.columns,
    parts: run.manifest.parts.map((p) => ({ key: p.key, etag: p.etag })),
    force: false,
  };
}

/**
 * What the lake holds for the request: each table's newest committed run, and the objects of
 * every catalog stream feeding a requested table, each tagged with that table (several streams
 * may feed one table: their objects are merged in arrival order, then by key).
 */
async function readLake(
  { catalog, lake }: Pick<SyncDependencies, 'catalog' | 'lake'>,
  tables: readonly TableName[],
  request: SyncRequest,
  refused: Refusal[],
) {
  const window: LakeWindow | undefined =
    request.mode === 'window'
      ? { ...(request.since ? { since: request.since } : {}), ...(request.until ? { until: request.until } : {}) }
      : undefined;
  const runs = new Map<TableName, SnapshotToLoad>();
  for (const table of tables) {
    const run = await lake.newestCommittedRun(table, window, refused);
    if (run) runs.set(table, snapshotOf(run));
  }
  const catalogStreams = catalog.streams.filter((s) => tables.includes(s.table));
  const streams: StreamObjectToLoad[] = [];
  for (const { name, table } of catalogStreams) {
    for (const o of await lake.streamingObjects(name, window, refused)) {
      streams.push({ table, key: o.key, etag: o.etag, size: o.size, arrivedAt: o.arrivedAt });
    }
  }
  streams.sort((a, b) => a.arrivedAt.getTime() - b.arrivedAt.getTime() || a.key.localeCompare(b.key));
  const view: LakeView = { runs, streams, streamTables: [...new Set(catalogStreams.map((s) => s.table))] };
  return view;
}

/**
 * Syncs the lake into the destination: migrates, reads what the lake and the destination hold,
 * plans the work ({@link planSync}) and applies it unit by unit ({@link applyUnit}), each in one
 * transaction. Stops taking new units before the deadline and answers `more: true`; a later call
 * resumes where this one stopped (batch runs are atomic, streaming objects one by one).
 */
export async function syncLake(deps: SyncDependencies, request: SyncRequest): Promise<SyncResult> {
  const { destination } = deps;
  const tables = request.tables ?? deps.catalog.tableNames();
  const margin = deps.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS;
  const rate = deps.rowsPerSecond ?? DEFAULT_ROWS_PER_SECOND;
  const available = () => (deps.remainingMs ? deps.remainingMs() - margin : undefined);
  const result: SyncResult = {
    tables: {},
    rows: 0,
    rejected: 0,
    filesLoaded: 0,
    filesSkipped: 0,
    more: false,
    refused: [],
    lagSeconds: {},
  };
  const tableResult = (table: TableName) => {
    result.tables[table] ??= { rows: 0, rejected: 0, duplicates: 0, filesLoaded: 0, filesSkipped: 0 };
    return result.tables[table];
  };
  for (const table of tables) tableResult(table);

  await destination.migrate();
  const view = await readLake(deps, tables, request, result.refused);
  const state = await destination.readState();
  const remaining = available();
  const plan = planSync(
    view,
    state,
    { mode: request.mode, tables },
    {
      rowsPerSecond: rate,
      ...(remaining === undefined ? {} : { remainingMs: remaining }),
    },
  );
  for (const [table, n] of plan.skipped) tableResult(table).filesSkipped += n;
  result.more = plan.more;

  const applied: WorkUnit[] = [];
  for (const [index, unit] of plan.units.entries()) {
    // The plan's estimates are checked against the clock as the work goes.
    const left = available();
    if (index > 0 && left !== undefined && left <= (unit.estimatedRows / rate) * 1000) {
      result.more = true;
      break;
    }
    const outcome = await applyRefusing(destination, unit, result.refused);
    if (outcome) {
      record(tableResult(unit.table), outcome, unit, deps);
      applied.push(unit);
    }
  }
  const pending = oldestPending(view, state, applied);
  const now = Date.now();
  for (const table of tables) {
    const since = pending.get(table);
    result.lagSeconds[table] = since ? Math.max(0, Math.round((now - since.getTime()) / 1000)) : 0;
  }
  for (const t of Object.values(result.tables)) {
    result.rows += t.rows;
    result.rejected += t.rejected;
    result.filesLoaded += t.filesLoaded;
    result.filesSkipped += t.filesSkipped;
  }
  return result;
}

/** Applies a unit; an object the destination refuses is recorded, and the sync goes on. */
async function applyRefusing(
  destination: SyncDestination,
  unit: WorkUnit,
  refused: Refusal[],
): Promise<UnitOutcome | undefined> {
  try {
    return await applyUnit(destination, unit);
  } catch (error) {
    if (!(error instanceof ObjectRefusedError)) throw error;
    refused.push({ key: error.key, reason: error.message });
    return undefined;
  }
}

function record(target: TableSyncResult, outcome: UnitOutcome, unit: WorkUnit, deps: SyncDependencies): void {
  addToTableResult(target, outcome);
  for (const { key, result } of outcome.objects) deps.onObject?.(unit.table, key, result);
}
