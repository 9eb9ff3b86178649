import { Catalog, instacartCatalog } from '@insightflow/shared-config';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CleanFixture, startCleanFixture, streamedOrder, writeRun, writeStreamObject } from '../helpers/lake.js';

const RUN_AT = new Date('2026-11-30T10:00:00Z');

describe('clean layer on DuckDB, over the real S3 API server', () => {
  let f: CleanFixture;
  beforeAll(async () => {
    f = await startCleanFixture();
  });
  afterAll(async () => f?.stop());
  beforeEach(async () => {
    for (const bucket of [f.raw.bucket, f.clean.bucket]) {
      const keys = await f.s3.listKeys(bucket);
      if (keys.length > 0) await (bucket === f.raw.bucket ? f.raw : f.clean.store).delete(keys);
    }
  });

  it('types the newest run, keeps messy text exactly, NULL apart from the empty string, and partitions orders by eval_set', async () => {
    await writeRun(f.raw, 'products', new Date('2026-11-29T10:00:00Z'), [['1,old,1,1']]);
    await writeRun(f.raw, 'products', RUN_AT, [
      ['1,"Crème ""brûlée"", large",2,3', '2,"multi\nline, with comma",4,5'],
      ['3,"",6,7', '4,日本語 ✓,8,9'],
    ]);
    const result = await f.build(['products']);
    expect(result.tables[0]).toMatchObject({ table: 'products', status: 'built', rows: 4, rejects: 0 });
    const rows = await f.rows('products', 'product_id');
    expect(rows.map((r) => [r.product_id, r.product_name, r.aisle_id])).toEqual([
      [1, 'Crème "brûlée", large', 2],
      [2, 'multi\nline, with comma', 4],
      [3, '', 6],
      [4, '日本語 ✓', 8],
    ]);
    expect(rows[0]).toMatchObject({
      _source: 'batch',
      _source_key: expect.stringContaining('hhmm=1000/products_part0.csv'),
    });
  });

  it('merges streamed orders once each: the batch row wins over a streamed one, the first delivery over a redelivery', async () => {
    await writeRun(f.raw, 'orders', RUN_AT, [['1,1,prior,1,1,6,', '2,1,prior,2,5,10,23']]);
    await writeStreamObject(
      f.raw,
      new Date('2026-11-30T10:05:00Z'),
      [streamedOrder(2, 'train', 99), streamedOrder(3)],
      'a',
    );
    await writeStreamObject(
      f.raw,
      new Date('2026-11-30T10:06:00Z'),
      [streamedOrder(3, 'train', 55), streamedOrder(4)],
      'b',
    );
    const result = await f.build(['orders']);
    expect(result.tables[0]).toMatchObject({ status: 'built', rows: 4 });
    const rows = await f.rows('orders', 'order_id');
    expect(rows.map((r) => [r.order_id, r.user_id, r.eval_set, r.days_since_prior_order, r._source])).toEqual([
      [1, 1, 'prior', null, 'batch'],
      [2, 1, 'prior', 23, 'batch'],
      [3, 7, 'train', null, 'streaming'],
      [4, 7, 'train', null, 'streaming'],
    ]);
    const pointer = await f.clean.pointer('orders');
    expect(
      pointer?.files.map((x) => x.key).every((k) => /\/eval_set=(prior|train)\/part-[^/]+\.parquet$/.test(k)),
    ).toBe(true);
  });

  it('writes nothing when rerun without new inputs, and rebuilds (replacing the old version) when an input changes', async () => {
    await writeRun(f.raw, 'aisles', RUN_AT, [['1,fresh fruits', '2,"tea, herbal"']]);
    const first = await f.build(['aisles']);
    // The published version records the catalog it was built under.
    expect((await f.clean.pointer('aisles'))?.catalogHash).toBe(f.catalog.hash);
    const before = await f.s3.listKeys(f.clean.bucket);
    const again = await f.build(['aisles']);
    expect(again.tables[0]).toMatchObject({ status: 'unchanged', version: first.tables[0]?.version });
    expect(await f.s3.listKeys(f.clean.bucket)).toEqual(before);
    await writeRun(f.raw, 'aisles', new Date('2026-11-30T11:00:00Z'), [['1,fresh fruits', '3,soups']]);
    const third = await f.build(['aisles']);
    expect(third.tables[0]).toMatchObject({ status: 'built', rows: 2 });
    expect(third.tables[0]?.removed).toBeGreaterThan(0);
    const keys = await f.s3.listKeys(f.clean.bucket);
    expect(keys.filter((k) => k.includes(`v=${first.tables[0]?.version}`))).toEqual([]);
    expect((await f.rows('aisles', 'aisle_id')).map((r) => r.aisle)).toEqual(['fresh fruits', 'soups']);
  });

  it('quarantines a value that does not cast, naming the object and column, and keeps the rest', async () => {
    await writeRun(f.raw, 'aisles', RUN_AT, [['1,ok', 'x1,bad id', '99999999999999999999,huge']]);
    const result = await f.build(['aisles']);
    expect(result.tables[0]).toMatchObject({ rows: 1, rejects: 2 });
    const pointer = await f.clean.pointer('aisles');
    const rejects = (await f.s3.read(f.clean.bucket, `${pointer?.prefix}_rejects.csv`)).toString();
    expect(rejects).toContain('aisle_id,x1,does not cast to integer');
    expect(rejects).toContain('aisles_part0.csv');
  });

  it('refuses a run whose part was overwritten after its commit, and builds from the run before it', async () => {
    await writeRun(f.raw, 'aisles', new Date('2026-11-30T09:00:00Z'), [['1,older', '2,run']]);
    const manifest = await writeRun(f.raw, 'aisles', RUN_AT, [['1,newer']]);
    const part = f.lake.partKey('aisles', RUN_AT, 0);
    await f.raw.put(part, 'aisle_id,aisle\n1,"unterminated\n');
    const result = await f.build(['aisles']);
    expect(result.refused).toEqual([
      expect.objectContaining({ key: part, reason: expect.stringContaining('overwritten') }),
    ]);
    expect(manifest).toContain('hhmm=1000');
    expect((await f.rows('aisles', 'aisle_id')).map((r) => r.aisle)).toEqual(['older', 'run']);
  });

  it('quarantines a streamed line that is not a JSON row, with its object and line, and keeps the others', async () => {
    await writeRun(f.raw, 'orders', RUN_AT, [['1,1,prior,1,1,6,']]);
    const key = f.lake.streamingObjectKey(
      'orders',
      'insightflow-test-orders',
      new Date('2026-11-30T10:05:00Z'),
      new Date('2026-11-30T10:05:00Z'),
      'bad',
    );
    await f.raw.put(
      key,
      `${JSON.stringify(streamedOrder(2))}\n{"order_id": 3, broken\n[1,2]\n${JSON.stringify(streamedOrder(4))}\n`,
    );
    const result = await f.build(['orders']);
    expect(result.tables[0]).toMatchObject({ rows: 3, rejects: 2 });
    const pointer = await f.clean.pointer('orders');
    const rejects = (await f.s3.read(f.clean.bucket, `${pointer?.prefix}_rejects.csv`)).toString();
    expect(rejects).toContain(`${key},2,,"{""order_id"": 3, broken",not a JSON object of the row`);
    expect(rejects).toContain(`${key},3,,"[1,2]",not a JSON object of the row`);
    expect((await f.rows('orders', 'order_id')).map((r) => r.order_id)).toEqual([1, 2, 4]);
  });
});

describe('clean layer on DuckDB, under a catalog other than the one a run was written under', () => {
  /** The built-in catalog with a nullable `note` added to aisles: a later schema change. */
  const built = instacartCatalog().document;
  const evolved = Catalog.fromDocument(
    {
      ...built,
      tables: built.tables.map((t) =>
        t.name === 'aisles' ? { ...t, columns: [...t.columns, { name: 'note', type: 'text', nullable: true }] } : t,
      ),
    },
    'the Instacart catalog with aisles.note',
  );
  let f: CleanFixture;
  beforeAll(async () => {
    f = await startCleanFixture(evolved);
  });
  afterAll(async () => f?.stop());

  it("reads the run by its own recorded columns (the new column NULL) and records the build's catalog hash", async () => {
    await writeRun(f.raw, 'aisles', RUN_AT, [['1,fresh fruits', '2,soups']]);
    const manifest = await f.lake.committedRun('aisles', RUN_AT);
    expect(manifest?.catalogHash).toBe(instacartCatalog().hash);
    expect(manifest?.columns).toEqual(['aisle_id', 'aisle']);
    expect(evolved.hash).not.toBe(instacartCatalog().hash);

    const result = await f.build(['aisles']);
    expect(result.tables[0]).toMatchObject({ status: 'built', rows: 2, rejects: 0 });
    expect((await f.rows('aisles', 'aisle_id')).map((r) => [r.aisle_id, r.aisle, r.note])).toEqual([
      [1, 'fresh fruits', null],
      [2, 'soups', null],
    ]);
    const pointer = await f.clean.pointer('aisles');
    expect(pointer?.catalogHash).toBe(evolved.hash);
    expect(pointer?.schema.map((c) => c.name)).toContain('note');
  });
});
