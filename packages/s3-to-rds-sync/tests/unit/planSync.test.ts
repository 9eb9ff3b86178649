import {
  instacartCatalog,
  objectIdentity,
  type SnapshotToLoad,
  type StreamObjectToLoad,
  type SyncState,
  type TableName,
} from '@insightflow/shared-config';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LakeView, oldestPending, planSync, type SyncMode, type SyncPlan } from '../../src/planSync.js';

const minute = (n: number) => new Date(Date.UTC(2026, 10, 1) + n * 60_000);

/** A lake view and a destination state drawn at random, the state partly caught up with the lake. */
const scenario = fc
  .record({
    runMinutes: fc.dictionary(fc.constantFrom(...instacartCatalog().tableNames()), fc.integer({ min: 0, max: 500 })),
    snapshotMinutes: fc.dictionary(
      fc.constantFrom(...instacartCatalog().tableNames()),
      fc.integer({ min: 0, max: 500 }),
    ),
    streamSizes: fc.array(fc.integer({ min: 1, max: 5_000_000 }), { maxLength: 30 }),
    loadedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    rows: fc.integer({ min: 1, max: 40_000_000 }),
    budgetMs: fc.option(fc.integer({ min: -30_000, max: 900_000 }), { nil: undefined }),
    mode: fc.constantFrom<SyncMode>('incremental', 'window', 'full'),
  })
  .map((s) => {
    const runs = new Map<TableName, SnapshotToLoad>();
    for (const [table, m] of Object.entries(s.runMinutes) as [TableName, number][]) {
      runs.set(table, {
        table,
        runAt: minute(m),
        manifestKey: `data/batch/${table}/${m}/_manifest.json`,
        rows: s.rows,
        parts: [{ key: `data/batch/${table}/${m}/${table}_part0.csv`, etag: `e${m}` }],
        force: false,
      });
    }
    const streams: StreamObjectToLoad[] = s.streamSizes.map((size, i) => ({
      table: 'orders',
      key: `data/streaming/orders/${String(i).padStart(4, '0')}`,
      etag: `s${i}`,
      size,
      arrivedAt: minute(i),
    }));
    const state: SyncState = {
      snapshots: new Map(
        (Object.entries(s.snapshotMinutes) as [TableName, number][]).map(([table, m]) => [table, minute(m)]),
      ),
      loadedObjects: new Set(
        streams.slice(0, Math.floor(streams.length * s.loadedShare)).map((o) => objectIdentity(o.key, o.etag)),
      ),
    };
    const lake: LakeView = { runs, streams, streamTables: ['orders'] };
    return { lake, state, mode: s.mode, budgetMs: s.budgetMs };
  });

type Scenario = { lake: LakeView; state: SyncState; mode: SyncMode; budgetMs: number | undefined };
const plan = (s: Scenario) =>
  planSync(
    s.lake,
    s.state,
    { mode: s.mode, tables: instacartCatalog().tableNames() },
    {
      rowsPerSecond: 300_000,
      ...(s.budgetMs === undefined ? {} : { remainingMs: s.budgetMs }),
    },
  );

/** The destination's state after the plan's units have been applied, as the destination would apply them. */
function applied(state: SyncState, result: SyncPlan): SyncState {
  const snapshots = new Map(state.snapshots);
  const loadedObjects = new Set(state.loadedObjects);
  for (const unit of result.units) {
    if (unit.kind === 'snapshot') snapshots.set(unit.table, unit.snapshot.runAt);
    if (unit.kind === 'stream-object') loadedObjects.add(objectIdentity(unit.object.key, unit.object.etag));
    if (unit.kind === 'rebuild') {
      if (unit.snapshot) snapshots.set(unit.table, unit.snapshot.runAt);
      for (const o of unit.objects) loadedObjects.add(objectIdentity(o.key, o.etag));
    }
  }
  return { snapshots, loadedObjects };
}

const objectsOf = (result: SyncPlan) =>
  result.units.flatMap((u) =>
    u.kind === 'snapshot'
      ? u.snapshot.parts.map((p) => p.key)
      : u.kind === 'stream-object'
        ? [u.object.key]
        : [...(u.snapshot?.parts.map((p) => p.key) ?? []), ...u.objects.map((o) => o.key)],
  );

describe('Function: planSync() (pure: no database, no lake)', () => {
  it('never loads an object twice within a plan, nor one the destination already has (outside a full rebuild)', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const result = plan(s);
        const keys = objectsOf(result);
        expect(new Set(keys).size).toBe(keys.length);
        if (s.mode !== 'full') {
          for (const unit of result.units) {
            if (unit.kind === 'stream-object') {
              expect(s.state.loadedObjects.has(objectIdentity(unit.object.key, unit.object.etag))).toBe(false);
            }
          }
        }
      }),
    );
  });

  it('ends with each table\u2019s newest snapshot once every round has run, and a further round plans nothing', () => {
    fc.assert(
      fc.property(
        scenario.filter((s) => s.mode !== 'full'),
        (s) => {
          let state = s.state;
          for (let round = 0; round < 100; round++) {
            const result = plan({ ...s, state });
            state = applied(state, result);
            if (!result.more) break;
          }
          for (const [table, run] of s.lake.runs) {
            const before = s.state.snapshots.get(table);
            const expected = before && before > run.runAt ? before : run.runAt;
            expect(state.snapshots.get(table)).toEqual(expected);
          }
          for (const o of s.lake.streams) expect(state.loadedObjects.has(objectIdentity(o.key, o.etag))).toBe(true);
          expect(plan({ ...s, state }).units).toEqual([]);
        },
      ),
    );
  });

  it('keeps within the budget: every unit after the first fits what is left, and what is left over sets more', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const result = plan(s);
        const costs = result.units.map((u) => (u.estimatedRows / 300_000) * 1000);
        if (s.budgetMs !== undefined && costs.length > 1) {
          expect(costs.reduce((a, b) => a + b, 0)).toBeLessThan(s.budgetMs);
        }
        if (s.budgetMs === undefined) expect(result.more).toBe(false);
      }),
    );
  });

  it('attempts a unit larger than any budget rather than deferring it forever', () => {
    const snapshot: SnapshotToLoad = {
      table: 'order_products_prior',
      runAt: minute(5),
      manifestKey: 'k',
      rows: 32_434_489,
      parts: [{ key: 'p', etag: 'e' }],
      force: false,
    };
    const result = planSync(
      { runs: new Map([['order_products_prior', snapshot]]), streams: [], streamTables: ['orders'] },
      { snapshots: new Map(), loadedObjects: new Set() },
      { mode: 'incremental', tables: instacartCatalog().tableNames() },
      { rowsPerSecond: 300_000, remainingMs: 1_000 },
    );
    expect(result.units.map((u) => u.kind)).toEqual(['snapshot']);
  });

  it('skips a run no newer than the snapshot, counting its parts as skipped', () => {
    const run: SnapshotToLoad = {
      table: 'aisles',
      runAt: minute(5),
      manifestKey: 'k',
      rows: 134,
      parts: [
        { key: 'a', etag: '1' },
        { key: 'b', etag: '2' },
      ],
      force: false,
    };
    const result = planSync(
      { runs: new Map([['aisles', run]]), streams: [], streamTables: ['orders'] },
      { snapshots: new Map([['aisles', minute(5)]]), loadedObjects: new Set() },
      { mode: 'incremental', tables: ['aisles'] },
      { rowsPerSecond: 300_000 },
    );
    expect(result).toEqual({ units: [], skipped: new Map([['aisles', 2]]), more: false });
  });

  it('full mode rebuilds the streaming table in one unit and forces every other snapshot', () => {
    const run = (table: TableName): SnapshotToLoad => ({
      table,
      runAt: minute(1),
      manifestKey: 'k',
      rows: 10,
      parts: [{ key: `${table}/p`, etag: 'e' }],
      force: false,
    });
    const streams: StreamObjectToLoad[] = [{ table: 'orders', key: 's', etag: 'e', size: 100, arrivedAt: minute(2) }];
    const result = planSync(
      {
        runs: new Map([
          ['orders', run('orders')],
          ['aisles', run('aisles')],
        ]),
        streams,
        streamTables: ['orders'],
      },
      { snapshots: new Map([['aisles', minute(9)]]), loadedObjects: new Set([objectIdentity('s', 'e')]) },
      { mode: 'full', tables: ['aisles', 'orders'] },
      { rowsPerSecond: 300_000 },
    );
    expect(result.units.map((u) => [u.kind, u.table])).toEqual([
      ['snapshot', 'aisles'],
      ['rebuild', 'orders'],
    ]);
    expect(result.units.every((u) => u.kind !== 'snapshot' || u.snapshot.force)).toBe(true);
    expect(result.units[1]).toMatchObject({ kind: 'rebuild', objects: streams });
  });

  it("gives each streamed table its own streams' objects, and rebuilds a streamed table that has none yet", () => {
    const object = (table: TableName, key: string): StreamObjectToLoad => ({
      table,
      key,
      etag: 'e',
      size: 100,
      arrivedAt: minute(2),
    });
    const streams = [object('orders', 'a'), object('aisles', 'b'), object('orders', 'c')];
    const lake: LakeView = { runs: new Map(), streams, streamTables: ['orders', 'aisles', 'products'] };
    const state: SyncState = { snapshots: new Map(), loadedObjects: new Set() };
    const incremental = planSync(
      lake,
      state,
      { mode: 'incremental', tables: ['aisles', 'orders'] },
      { rowsPerSecond: 1 },
    );
    expect(incremental.units.map((u) => [u.table, u.kind === 'stream-object' ? u.object.key : u.kind])).toEqual([
      ['aisles', 'b'],
      ['orders', 'a'],
      ['orders', 'c'],
    ]);
    const full = planSync(lake, state, { mode: 'full', tables: ['products', 'orders'] }, { rowsPerSecond: 1 });
    expect(full.units.map((u) => [u.kind, u.table, u.kind === 'rebuild' ? u.objects.map((o) => o.key) : []])).toEqual([
      ['rebuild', 'products', []],
      ['rebuild', 'orders', ['a', 'c']],
    ]);
  });
});

describe('Function: oldestPending() — what the sync lag is the age of', () => {
  it('is the oldest object the destination lacks; a planned, applied plan leaves nothing pending', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const pending = oldestPending(s.lake, s.state, []);
        for (const [table, at] of pending) {
          const run = s.lake.runs.get(table);
          const held = s.state.snapshots.get(table);
          const runPending = run && (!held || held < run.runAt) ? [run.runAt] : [];
          const objects = s.lake.streams
            .filter((o) => o.table === table && !s.state.loadedObjects.has(objectIdentity(o.key, o.etag)))
            .map((o) => o.arrivedAt);
          expect(at.getTime()).toBe(Math.min(...[...runPending, ...objects].map((d) => d.getTime())));
        }
        const unbounded = planSync(
          s.lake,
          s.state,
          { mode: 'incremental', tables: instacartCatalog().tableNames() },
          { rowsPerSecond: 300_000 },
        );
        expect(oldestPending(s.lake, s.state, unbounded.units)).toEqual(new Map());
      }),
    );
  });
});
