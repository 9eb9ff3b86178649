import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CleanFixture, startCleanFixture, streamedOrder, writeRun, writeStreamObject } from '../helpers/lake.js';

/** One raw `orders` row: its key and a marker of where it came from, kept in user_id. */
interface RawOrder {
  orderId: number;
  marker: number;
}

/** The model: the newest run's rows (a key once), then streamed rows in delivery order, the first of each key winning. */
function dedupe(newestRun: RawOrder[], objects: RawOrder[][]): Map<number, number> {
  const kept = new Map<number, number>();
  for (const row of newestRun) if (!kept.has(row.orderId)) kept.set(row.orderId, row.marker);
  for (const object of objects) for (const row of object) if (!kept.has(row.orderId)) kept.set(row.orderId, row.marker);
  return kept;
}

const minute = (n: number) => new Date(Date.UTC(2026, 10, 30, 8, 0) + n * 60_000);
const keys = fc.integer({ min: 1, max: 40 });

describe('property: a clean table is the deduplicated raw (real S3 API server and DuckDB)', () => {
  let f: CleanFixture;
  beforeAll(async () => {
    f = await startCleanFixture();
  });
  afterAll(async () => f?.stop());

  it('for random runs, duplicate deliveries and late arrivals, clean = dedupe(raw)', async () => {
    let marker = 1000;
    const scenario = fc.record({
      // Older runs are replaced by the newest one; a run holds each key once (a warehouse table's rows).
      runs: fc.array(fc.uniqueArray(keys, { minLength: 0, maxLength: 15 }), { minLength: 1, maxLength: 3 }),
      // Streamed objects: keys overlap the run and each other (redeliveries); arrival minutes before
      // and after the newest run (late arrivals), in any order of delivery.
      objects: fc.array(
        fc.record({ minute: fc.integer({ min: 0, max: 120 }), keys: fc.array(keys, { minLength: 1, maxLength: 8 }) }),
        {
          maxLength: 5,
        },
      ),
    });
    await fc.assert(
      fc.asyncProperty(scenario, async ({ runs, objects }) => {
        for (const bucket of [f.raw.bucket, f.clean.bucket]) {
          const listed = await f.s3.listKeys(bucket);
          if (listed.length > 0) await (bucket === f.raw.bucket ? f.raw : f.clean.store).delete(listed);
        }
        let newest: RawOrder[] = [];
        for (const [i, run] of runs.entries()) {
          newest = run.map((orderId) => ({ orderId, marker: marker++ }));
          const lines = newest.map((r) => `${r.orderId},${r.marker},prior,1,1,6,`);
          await writeRun(f.raw, 'orders', minute(60 + i), lines.length > 0 ? [lines] : []);
        }
        const delivered: { key: string; rows: RawOrder[] }[] = [];
        for (const [i, object] of objects.entries()) {
          const rows = object.keys.map((orderId) => ({ orderId, marker: marker++ }));
          const key = await writeStreamObject(
            f.raw,
            minute(object.minute),
            rows.map((r) => streamedOrder(r.orderId, 'train', r.marker)),
            `o${i}`,
          );
          delivered.push({ key, rows });
        }
        // Delivery order is key order (arrival minute, then name), as the lake lists them.
        delivered.sort((a, b) => a.key.localeCompare(b.key));
        const expected = dedupe(
          newest,
          delivered.map((d) => d.rows),
        );

        const result = await f.build(['orders']);
        expect(result.tables[0]?.rows).toBe(expected.size);
        const rows = await f.rows('orders', 'order_id');
        expect(new Map(rows.map((r) => [Number(r.order_id), Number(r.user_id)]))).toEqual(expected);
      }),
      { numRuns: 25 },
    );
  });
});
