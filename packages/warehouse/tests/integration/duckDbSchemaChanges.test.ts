import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { instacartCatalog, SchemaChangeRefusedError } from '@insightflow/shared-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbWarehouse, describeCatalogTableChange } from '../../src/index.js';
import { EVERY_TYPE_COLUMNS, shipmentsCatalog, V1_COLUMNS, V2_COLUMNS } from '../helpers/schemaChangeCatalogs.js';

const open = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-evolve-'));
  return DuckDbWarehouse.open({ path: path.join(dir, 'w.duckdb') });
};

async function rowsOf(warehouse: DuckDbWarehouse, sql: string): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for await (const batch of warehouse.streamRows(sql)) rows.push(...batch.map((r) => [...r]));
  return rows;
}

/** The tables' columns (name, type, NOT NULL) and a hash of every row: what a refusal must leave alone. */
async function fingerprint(warehouse: DuckDbWarehouse): Promise<string> {
  const columns = await rowsOf(
    warehouse,
    "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'main' ORDER BY table_name, ordinal_position",
  );
  const shipments = await rowsOf(warehouse, 'SELECT * FROM shipments ORDER BY shipment_id');
  const carriers = await rowsOf(warehouse, 'SELECT * FROM carriers ORDER BY carrier_id');
  const text = JSON.stringify({ columns, shipments, carriers }, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
  return createHash('sha256').update(text).digest('hex');
}

const columnTypes = async (warehouse: DuckDbWarehouse, table: string) =>
  rowsOf(
    warehouse,
    `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = '${table}' ORDER BY ordinal_position`,
  );

describe('Adapter: DuckDbWarehouse.ensureCatalogTables(catalog) evolves tables by the catalog’s policy (real DuckDB)', () => {
  it('creates the Instacart tables once, then plans zero changes for the unchanged catalog', async () => {
    const catalog = instacartCatalog();
    const warehouse = await open();
    try {
      const first = await warehouse.ensureCatalogTables(catalog);
      expect(first.map(describeCatalogTableChange)).toEqual(
        instacartCatalog()
          .tableNames()
          .map((t) => `${t}: created`),
      );
      expect(await warehouse.ensureCatalogTables(catalog)).toEqual([]);
    } finally {
      await warehouse.close();
    }
  });

  it('plans zero changes for a table of every catalog type once created (varchar(n) and text are both VARCHAR)', async () => {
    let catalog = shipmentsCatalog([{ name: 'shipment_id', type: 'bigint', nullable: false }], {
      carriers: EVERY_TYPE_COLUMNS,
    });
    const warehouse = await open();
    try {
      await warehouse.ensureCatalogTables(catalog);
      expect(await warehouse.ensureCatalogTables(catalog)).toEqual([]);
      // DuckDB keeps no VARCHAR length: a longer varchar(n) is no change it could make.
      const longer = EVERY_TYPE_COLUMNS.map((c) => (c.name === 'c_varchar' ? { ...c, type: 'varchar(40)' } : c));
      catalog = shipmentsCatalog([{ name: 'shipment_id', type: 'bigint', nullable: false }], {
        carriers: longer,
        policy: 'freeze',
      });
      expect(await warehouse.ensureCatalogTables(catalog)).toEqual([]);
    } finally {
      await warehouse.close();
    }
  });

  describe('a loaded table', () => {
    let warehouse: DuckDbWarehouse;
    beforeAll(async () => {
      warehouse = await open();
      await warehouse.ensureCatalogTables(shipmentsCatalog(V1_COLUMNS));
      await warehouse.execute(
        "INSERT INTO shipments VALUES (1, 32767, 'ten chars!', 12345678.91, 0.5, 'A'), (2, NULL, '', NULL, NULL, 'B'), (3, -32768, 'x', -0.01, 1.25, '')",
      );
      await warehouse.execute('INSERT INTO carriers VALUES (7)');
    });
    afterAll(async () => {
      await warehouse?.close();
    });

    it('a narrowing in one table and an added column in another: refused, naming both types, and nothing changes', async () => {
      const catalog = shipmentsCatalog(
        V1_COLUMNS.map((c) => (c.name === 'price' ? { ...c, type: 'decimal(8,2)' } : c)),
        {
          carriers: [
            { name: 'carrier_id', type: 'integer', nullable: false },
            { name: 'name', type: 'text' },
          ],
        },
      );
      const before = await fingerprint(warehouse);
      const error = await warehouse.ensureCatalogTables(catalog).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SchemaChangeRefusedError);
      expect((error as SchemaChangeRefusedError).refused).toEqual([
        expect.objectContaining({ table: 'shipments', column: 'price', from: 'decimal(10,2)', to: 'decimal(8,2)' }),
      ]);
      expect((error as Error).message).toMatch(
        /^Refused a schema change in the warehouse; nothing was changed:\n {2}- shipments\.price: decimal\(10,2\) → decimal\(8,2\): a narrowing could lose values already loaded; drop shipments in the local warehouse/,
      );
      expect(await fingerprint(warehouse)).toBe(before);
    });

    it.each([
      [
        'a type with no safe cast',
        'qty',
        { type: 'text' },
        /shipments\.qty: smallint → text: no cast keeps every value/,
      ],
      ['NOT NULL added', 'label', { nullable: false }, /shipments\.label: varchar\(10\) → varchar\(10\) NOT NULL/],
    ])('%s is refused and nothing changes', async (_, name, change, message) => {
      const catalog = shipmentsCatalog(V1_COLUMNS.map((c) => (c.name === name ? { ...c, ...change } : c)));
      const before = await fingerprint(warehouse);
      await expect(warehouse.ensureCatalogTables(catalog)).rejects.toThrow(message);
      expect(await fingerprint(warehouse)).toBe(before);
    });

    it('freeze refuses even an added column', async () => {
      const catalog = shipmentsCatalog([...V1_COLUMNS, { name: 'note', type: 'text' }], { policy: 'freeze' });
      const before = await fingerprint(warehouse);
      await expect(warehouse.ensureCatalogTables(catalog)).rejects.toThrow(
        /shipments\.note: \(absent\) → text: a column was added; set schemaChanges: evolve/,
      );
      expect(await fingerprint(warehouse)).toBe(before);
    });

    it('a removed NOT NULL column is refused; a changed key is no change here (the local warehouse holds no key)', async () => {
      let catalog = shipmentsCatalog(V1_COLUMNS.filter((c) => c.name !== 'code'));
      const before = await fingerprint(warehouse);
      await expect(warehouse.ensureCatalogTables(catalog)).rejects.toThrow(
        /shipments\.code: text NOT NULL → \(removed\)/,
      );
      catalog = shipmentsCatalog(V1_COLUMNS, { key: ['shipment_id', 'code'] });
      expect(await warehouse.ensureCatalogTables(catalog)).toEqual([]);
      expect(await fingerprint(warehouse)).toBe(before);
    });

    it('evolve adds a column and widens four, in place: every value kept, the new column NULL', async () => {
      let catalog = shipmentsCatalog(V2_COLUMNS);
      const changes = await warehouse.ensureCatalogTables(catalog);
      expect(changes.map(describeCatalogTableChange)).toEqual([
        'shipments: widened column qty from smallint to integer',
        'shipments: widened column price from decimal(10,2) to decimal(12,2)',
        'shipments: widened column ratio from real to double',
        'shipments: column code (text) may now be NULL',
        'shipments: added column note (text)',
      ]);
      expect(await columnTypes(warehouse, 'shipments')).toEqual([
        ['shipment_id', 'BIGINT', 'NO'],
        ['qty', 'INTEGER', 'YES'],
        ['label', 'VARCHAR', 'YES'],
        ['price', 'DECIMAL(12,2)', 'YES'],
        ['ratio', 'DOUBLE', 'YES'],
        ['code', 'VARCHAR', 'YES'],
        ['note', 'VARCHAR', 'YES'],
      ]);
      const rows = await rowsOf(
        warehouse,
        'SELECT shipment_id::INTEGER, qty, label, price::VARCHAR, ratio, code, note FROM shipments ORDER BY shipment_id',
      );
      expect(rows).toEqual([
        [1, 32767, 'ten chars!', '12345678.91', 0.5, 'A', null],
        [2, null, '', null, null, 'B', null],
        [3, -32768, 'x', '-0.01', 1.25, '', null],
      ]);
      await warehouse.execute(
        "INSERT INTO shipments VALUES (4, 2000000000, 'twenty characters!!!', 9999999999.99, 0.1, NULL, 'new')",
      );
      expect(await warehouse.ensureCatalogTables(catalog)).toEqual([]);
      // A column gone from the catalog stays, holding NULL from now on.
      catalog = shipmentsCatalog(V2_COLUMNS.filter((c) => c.name !== 'note'));
      expect(await warehouse.ensureCatalogTables(catalog)).toEqual([]);
      expect((await columnTypes(warehouse, 'shipments')).map((c) => c[0])).toContain('note');
    });
  });
});
