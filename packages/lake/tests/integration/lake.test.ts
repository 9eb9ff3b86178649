import { S3ObjectStore } from '@insightflow/object-store';
import { Catalog, instacartCatalog, type RunManifest, type TableName } from '@insightflow/shared-config';
import { startTestS3, type TestS3 } from '@insightflow/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Lake,
  LakeDocumentInvalidError,
  LakeDocumentMissingError,
  type Refusal,
  RunRefusedError,
} from '../../src/index.js';

const RAW = 'insightflow-raw-bucket';

/** Writes `count` one-row parts of a run and answers the manifest that would commit them (not yet written). */
async function writeRun(lake: Lake, table: TableName, runAt: Date, count = 1): Promise<RunManifest> {
  const parts: RunManifest['parts'] = [];
  for (let part = 0; part < count; part++) {
    const key = lake.partKey(table, runAt, part);
    const { etag, size } = await lake.store.put(key, 'a,b\n1,2\n');
    parts.push({ key, rows: 1, bytes: size, etag });
  }
  const at = runAt.toISOString();
  const totals = { rows: count, bytes: parts.reduce((n, p) => n + p.bytes, 0) };
  return { version: 1, table, runAt: at, startedAt: at, finishedAt: at, parts, ...totals, ...RUN_SHAPE(table) };
}

/** What a run's manifest says of its source, for a table of two columns. */
const RUN_SHAPE = (table: TableName) => ({
  mode: 'stream' as const,
  kind: 'snapshot' as const,
  source: 'duckdb' as const,
  query: `SELECT * FROM ${table}`,
  columns: ['a', 'b'],
});

describe('Class: Lake (real S3 API server)', () => {
  let s3: TestS3;
  let lake: Lake;

  beforeAll(async () => {
    s3 = await startTestS3();
    lake = new Lake(new S3ObjectStore(s3.client, RAW), instacartCatalog());
  });
  afterAll(async () => {
    await s3?.stop();
  });

  describe('JSON documents', () => {
    const Doc = z.object({ n: z.number() });

    it('reads back what putJson wrote, checked by the schema', async () => {
      await lake.putJson('state/test/doc.json', { n: 3 });
      expect(await lake.getJson('state/test/doc.json', Doc)).toEqual({ n: 3 });
    });

    it('getJson on a missing key throws a LakeDocumentMissingError naming the key', async () => {
      const attempt = lake.getJson('state/test/absent.json', Doc);
      await expect(attempt).rejects.toBeInstanceOf(LakeDocumentMissingError);
      await expect(attempt).rejects.toThrow(/state\/test\/absent\.json/);
    });

    it('getJson on a document that is not JSON or misses the schema throws LakeDocumentInvalidError naming the key', async () => {
      await lake.store.put('state/test/garbled.json', '{"n": ');
      await lake.putJson('state/test/wrong.json', { n: 'three' });
      await expect(lake.getJson('state/test/garbled.json', Doc)).rejects.toThrow(LakeDocumentInvalidError);
      await expect(lake.getJson('state/test/garbled.json', Doc)).rejects.toThrow(/garbled\.json.*not JSON/);
      await expect(lake.getJson('state/test/wrong.json', Doc)).rejects.toThrow(/wrong\.json/);
    });

    it('getJsonIfExists answers undefined for a missing key and the document otherwise', async () => {
      expect(await lake.getJsonIfExists('state/test/absent.json', Doc)).toBeUndefined();
      expect(await lake.getJsonIfExists('state/test/doc.json', Doc)).toEqual({ n: 3 });
    });
  });

  describe('batch runs: writer side', () => {
    it('commitRun writes the manifest that committedRun then returns; before it, the run is not committed', async () => {
      const runAt = new Date('2026-03-01T10:00:00Z');
      const manifest = await writeRun(lake, 'aisles', runAt, 2);
      expect(await lake.committedRun('aisles', runAt)).toBeUndefined();
      const { manifestKey } = await lake.commitRun(manifest);
      expect(manifestKey).toBe('data/batch/aisles/year=2026/month=03/day=01/hhmm=1000/_manifest.json');
      expect(await lake.committedRun('aisles', runAt)).toEqual(manifest);
    });

    it('commitRun refuses a manifest listing a part of another run, and writes nothing', async () => {
      const runAt = new Date('2026-03-01T11:00:00Z');
      const manifest = await writeRun(lake, 'aisles', runAt);
      const other = lake.partKey('aisles', new Date('2026-03-01T10:00:00Z'), 0);
      const bad = { ...manifest, parts: [{ ...(manifest.parts[0] as RunManifest['parts'][0]), key: other }] };
      await expect(lake.commitRun(bad)).rejects.toBeInstanceOf(RunRefusedError);
      expect(await lake.committedRun('aisles', runAt)).toBeUndefined();
    });

    it('beginRun removes an uncommitted attempt’s parts and scratch, and leaves other runs alone', async () => {
      const runAt = new Date('2026-03-01T12:00:00Z');
      await writeRun(lake, 'departments', runAt, 3);
      await lake.store.put(`${lake.scratchPrefix('departments', runAt)}0.csv`, 'x');
      const neighbour = await writeRun(lake, 'departments', new Date('2026-03-01T12:01:00Z'));
      await lake.beginRun('departments', runAt);
      expect(await s3.listKeys(RAW, lake.runFolder('departments', runAt))).toEqual([]);
      expect(await lake.store.head(neighbour.parts[0]?.key as string)).toBeDefined();
    });

    it('beginRun refuses a committed run and deletes nothing', async () => {
      const runAt = new Date('2026-03-01T10:00:00Z');
      await expect(lake.beginRun('aisles', runAt)).rejects.toBeInstanceOf(RunRefusedError);
      expect(await s3.listKeys(RAW, lake.runFolder('aisles', runAt))).toHaveLength(3);
    });

    it('abandonRun removes a failed attempt’s parts and scratch; clearScratch removes only the scratch', async () => {
      const runAt = new Date('2026-03-01T13:00:00Z');
      await writeRun(lake, 'products', runAt, 2);
      await lake.store.put(`${lake.scratchPrefix('products', runAt)}0.csv`, 'x');
      await lake.clearScratch('products', runAt);
      expect(await s3.listKeys(RAW, lake.runFolder('products', runAt))).toEqual([
        lake.partKey('products', runAt, 0),
        lake.partKey('products', runAt, 1),
      ]);
      await lake.abandonRun('products', runAt);
      expect(await s3.listKeys(RAW, lake.runFolder('products', runAt))).toEqual([]);
    });
  });

  describe('batch runs: reader side', () => {
    const minute = (hhmm: string) => new Date(`2026-04-02T${hhmm.slice(0, 2)}:${hhmm.slice(2)}:00Z`);

    beforeAll(async () => {
      for (const hhmm of ['0900', '0930', '1000']) await lake.commitRun(await writeRun(lake, 'orders', minute(hhmm)));
    });

    it('committedRuns lists runs newest first, within an inclusive window', async () => {
      const all = await lake.committedRuns('orders');
      expect(all.map((r) => r.runAt)).toEqual([minute('1000'), minute('0930'), minute('0900')]);
      const windowed = await lake.committedRuns('orders', { since: minute('0900'), until: minute('0930') });
      expect(windowed.map((r) => r.runAt)).toEqual([minute('0930'), minute('0900')]);
      expect(await lake.committedRuns('orders', { since: minute('0901'), until: minute('0959') })).toHaveLength(1);
    });

    it('newestCommittedRun returns the newest run in the window with its manifest', async () => {
      const refused: Refusal[] = [];
      const run = await lake.newestCommittedRun('orders', { until: minute('0930') }, refused);
      expect(run?.runAt).toEqual(minute('0930'));
      expect(run?.manifest.table).toBe('orders');
      expect(run?.manifestKey).toBe(lake.manifestKey('orders', minute('0930')));
      expect(refused).toEqual([]);
    });

    it('newestCommittedRun skips invalid and foreign manifests and misplaced manifest keys, recording each refusal', async () => {
      const garbled = minute('1100');
      const foreign = minute('1101');
      const otherTable = minute('1102');
      await lake.store.put(lake.manifestKey('orders', garbled), JSON.stringify({ version: 2 }));
      const borrowing = await writeRun(lake, 'orders', foreign);
      const elsewhere = lake.partKey('orders', minute('0900'), 0);
      await lake.store.put(
        lake.manifestKey('orders', foreign),
        JSON.stringify({ ...borrowing, parts: [{ ...borrowing.parts[0], key: elsewhere }] }),
      );
      const aisles = await writeRun(lake, 'orders', otherTable);
      await lake.store.put(lake.manifestKey('orders', otherTable), JSON.stringify({ ...aisles, table: 'aisles' }));
      const misplaced = 'data/batch/orders/year=2026/month=13/day=01/hhmm=0000/_manifest.json';
      await lake.store.put(misplaced, '{}');

      const refused: Refusal[] = [];
      const run = await lake.newestCommittedRun('orders', undefined, refused);
      expect(run?.runAt).toEqual(minute('1000'));
      expect(refused.map((r) => r.key).sort()).toEqual(
        [
          misplaced,
          lake.manifestKey('orders', garbled),
          lake.manifestKey('orders', foreign),
          lake.manifestKey('orders', otherTable),
        ].sort(),
      );
      expect(refused.find((r) => r.key === lake.manifestKey('orders', garbled))?.reason).toMatch(
        /^not a valid run manifest: /,
      );
      expect(refused.find((r) => r.key === lake.manifestKey('orders', foreign))?.reason).toBe(
        `lists ${JSON.stringify(elsewhere)}, which is not a part of this run`,
      );
    });

    it('newestCommittedRun answers undefined when no run lies in the window', async () => {
      expect(await lake.newestCommittedRun('orders', { until: minute('0859') }, [])).toBeUndefined();
    });

    it('runsSinceSnapshot returns the newest snapshot and the increments after it, oldest first', async () => {
      const day = (hhmm: string) => new Date(`2026-04-03T${hhmm.slice(0, 2)}:${hhmm.slice(2)}:00Z`);
      const commit = async (hhmm: string, kind: 'snapshot' | 'increment') =>
        lake.commitRun({ ...(await writeRun(lake, 'order_products_prior', day(hhmm))), kind });
      await commit('0800', 'increment');
      await commit('0900', 'snapshot');
      await commit('0910', 'increment');
      await commit('0920', 'increment');
      await lake.store.put(lake.manifestKey('order_products_prior', day('0915')), '{"version": 1}');

      const refused: Refusal[] = [];
      const since = await lake.runsSinceSnapshot('order_products_prior', { since: day('0000') }, refused);
      expect(since.snapshot?.runAt).toEqual(day('0900'));
      expect(since.increments.map((r) => r.runAt)).toEqual([day('0910'), day('0920')]);
      expect(refused.map((r) => r.key)).toEqual([lake.manifestKey('order_products_prior', day('0915'))]);

      const before = await lake.runsSinceSnapshot(
        'order_products_prior',
        { since: day('0000'), until: day('0859') },
        [],
      );
      expect(before.snapshot).toBeUndefined();
      expect(before.increments.map((r) => r.runAt)).toEqual([day('0800')]);
    });
  });

  describe('streaming objects', () => {
    const folder = 'data/streaming/orders/year=2026/month=05/day=03/';

    beforeAll(async () => {
      await lake.store.put(`${folder}hhmm=1201/b-object`, '{}\n');
      await lake.store.put(`${folder}hhmm=1200/a-object`, '{}\n');
      await lake.store.put(`${folder}hhmm=1202/c-object`, '{}\n');
      await lake.store.put(`${folder}hhmm=1200/.hidden`, '{}\n');
      await lake.store.put(`${folder}hhmm=1200/o'; DROP TABLE orders;--`, '{}\n');
      await lake.store.put(`${folder}hhmm=2460/impossible-minute`, '{}\n');
      await lake.store.put('data/streaming/orders/loose-object', '{}\n');
    });

    it('lists streaming objects sorted by key with their arrival minute, and refuses hostile keys', async () => {
      const refused: Refusal[] = [];
      const objects = await lake.streamingObjects('orders', undefined, refused);
      expect(objects.map((o) => o.key)).toEqual([
        `${folder}hhmm=1200/a-object`,
        `${folder}hhmm=1201/b-object`,
        `${folder}hhmm=1202/c-object`,
      ]);
      expect(objects[0]).toMatchObject({ stream: 'orders', arrivedAt: new Date('2026-05-03T12:00:00Z'), size: 3 });
      expect(objects[0]?.etag).toMatch(/^[0-9a-f]+$/);
      expect(refused.map((r) => r.key).sort()).toEqual(
        [
          `${folder}hhmm=1200/.hidden`,
          `${folder}hhmm=1200/o'; DROP TABLE orders;--`,
          `${folder}hhmm=2460/impossible-minute`,
          'data/streaming/orders/loose-object',
        ].sort(),
      );
    });

    it('keeps only streaming objects whose arrival minute lies in the inclusive window', async () => {
      const at = (hhmm: string) => new Date(`2026-05-03T12:${hhmm}:00Z`);
      const objects = await lake.streamingObjects('orders', { since: at('00'), until: at('01') }, []);
      expect(objects.map((o) => o.arrivedAt)).toEqual([at('00'), at('01')]);
    });

    describe('with a catalog of two streams', () => {
      const twoStreams = Catalog.fromDocument(
        {
          tables: [
            { name: 'shipments', primaryKey: ['shipment_id'], columns: [{ name: 'shipment_id', type: 'bigint' }] },
            { name: 'events', columns: [{ name: 'body', type: 'text' }] },
          ],
          streams: [
            { name: 'shipment_updates', table: 'shipments' },
            { name: 'clicks', table: 'events' },
          ],
        },
        'two streams',
      );

      it("lists each stream's objects under its own prefix, and counts them per stream", async () => {
        const at = new Date('2026-05-03T12:00:00Z');
        const streamsLake = new Lake(lake.store, twoStreams);
        const shipment = streamsLake.streamingObjectKey(
          'shipment_updates',
          'insightflow-dev-shipment_updates',
          at,
          at,
          's1',
        );
        const click = streamsLake.streamingObjectKey('clicks', 'insightflow-dev-clicks', at, at, 'c1');
        const failed = streamsLake.streamingErrorKey(
          'clicks',
          'processing-failed',
          'insightflow-dev-clicks',
          at,
          at,
          'e1',
        );
        for (const key of [shipment, click, failed]) await streamsLake.store.put(key, '{}\n');
        expect(click).toMatch(
          /^data\/streaming\/clicks\/year=2026\/month=05\/day=03\/hhmm=1200\/insightflow-dev-clicks-1-/,
        );
        expect(failed).toMatch(/^data\/streaming\/clicks_error\/processing-failed\/year=2026\/month=05\/day=03\//);

        expect(
          (await streamsLake.streamingObjects('shipment_updates', undefined, [])).map((o) => [o.stream, o.key]),
        ).toEqual([['shipment_updates', shipment]]);
        expect((await streamsLake.streamingObjects('clicks', undefined, [])).map((o) => o.key)).toEqual([click]);
        const summary = await streamsLake.summary(['shipments', 'events'], ['shipment_updates', 'clicks']);
        expect(summary.streaming).toEqual({
          objects: 2,
          errorObjects: 1,
          streams: { shipment_updates: { objects: 1, errorObjects: 0 }, clicks: { objects: 1, errorObjects: 1 } },
        });
        // The lake opened with the Instacart catalog knows no such stream, whatever another lake knows.
        await expect(lake.streamingObjects('clicks', undefined, [])).rejects.toThrow(/unknown stream "clicks"/);
      });
    });
  });

  describe('summary', () => {
    it('counts per table its committed runs and other objects, and the streaming and error objects', async () => {
      await lake.store.put('data/streaming/orders_error/processing-failed/year=2026/month=05/day=03/x', '{}');
      const summary = await lake.summary(['orders', 'aisles', 'order_products_train'], ['orders']);
      expect(summary).toEqual({
        bucket: RAW,
        batch: {
          // 3 committed + 3 refused-but-manifest-named + 1 misplaced manifest; 5 of those runs have a part.
          orders: { committedRuns: 7, objects: 5 },
          aisles: { committedRuns: 1, objects: 3 },
          order_products_train: { committedRuns: 0, objects: 0 },
        },
        streaming: { objects: 7, errorObjects: 1, streams: { orders: { objects: 7, errorObjects: 1 } } },
      });
    });
  });
});
