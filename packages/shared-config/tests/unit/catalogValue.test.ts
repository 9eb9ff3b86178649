import { describe, expect, it } from 'vitest';
import {
  Catalog,
  cleanPointerKey,
  instacartCatalog,
  LakeKeyError,
  runManifestSchema,
  streamingPrefix,
  tableNameSchema,
  tablePrefix,
  UnknownStreamError,
  UnknownTableError,
} from '../../src/index.js';
import { contractExample } from '../helpers/catalogDocuments.js';

const shipments = () => Catalog.fromDocument(contractExample(), 'shipments.yaml');

describe('Class: Catalog', () => {
  it('answers tables, names, streams and the contract from its document', () => {
    const catalog = shipments();
    expect(catalog.tableNames()).toEqual(['shipments']);
    expect(catalog.has('shipments')).toBe(true);
    expect(catalog.has('orders')).toBe(false);
    expect(catalog.table('shipments').stage).toBe('custom/shipments/');
    expect(catalog.streams).toEqual([{ name: 'shipment_updates', table: 'shipments' }]);
    expect(catalog.streamTables()).toEqual(['shipments']);
    expect(catalog.schemaChanges).toBe('evolve');
  });

  it('refuses an unknown table with the valid names', () => {
    expect(() => shipments().table('orders')).toThrow(UnknownTableError);
    expect(() => shipments().table('orders')).toThrow(/catalog has shipments/);
  });

  it('hashes the document canonically: key order does not count, content does', () => {
    const reordered = Catalog.fromDocument(
      { schemaChanges: 'evolve', streams: contractExample().streams, tables: contractExample().tables },
      'b',
    );
    expect(reordered.hash).toBe(shipments().hash);
    expect(shipments().hash).toMatch(/^[0-9a-f]{64}$/);
    const frozen = Catalog.fromDocument({ ...contractExample(), schemaChanges: 'freeze' }, 'c');
    expect(frozen.hash).not.toBe(shipments().hash);
    expect(instacartCatalog().hash).not.toBe(shipments().hash);
  });
});

describe('A catalog passed as a value', () => {
  it('makes the built-in Instacart catalog one value among others', () => {
    expect(instacartCatalog()).toBe(instacartCatalog());
    expect(instacartCatalog().tableNames()).toContain('order_products_prior');
    expect(instacartCatalog().streams).toEqual([{ name: 'orders', table: 'orders' }]);
    expect(streamingPrefix(instacartCatalog(), 'orders')).toBe('data/streaming/orders/');
  });

  it('answers each function by the catalog it is given, not by another one', () => {
    const catalog = shipments();
    expect(catalog.tables.map((t) => t.name)).toEqual(['shipments']);
    expect(catalog.table('shipments').primaryKey).toEqual(['shipment_id']);
    expect(() => catalog.table('orders')).toThrow(/catalog has shipments/);
    expect(catalog.stream('shipment_updates').table).toBe('shipments');
    expect(() => catalog.stream('orders')).toThrow(UnknownStreamError);
    expect(tablePrefix(catalog, 'shipments')).toBe('data/batch/shipments/');
    expect(() => tablePrefix(catalog, 'orders')).toThrow(LakeKeyError);
    expect(tablePrefix(instacartCatalog(), 'orders')).toBe('data/batch/orders/');
    expect(() => cleanPointerKey(catalog, 'orders')).toThrow(/expected one of shipments/);
    expect(cleanPointerKey(instacartCatalog(), 'orders')).toBe('tables/orders/_current.json');
  });

  it("checks table names by its catalog's tables, naming them", () => {
    const schema = tableNameSchema(shipments());
    expect(schema.parse('shipments')).toBe('shipments');
    expect(schema.safeParse('orders').error?.issues[0]?.message).toBe('unknown table "orders"; use one of shipments');
    expect(tableNameSchema(instacartCatalog()).safeParse('orders').success).toBe(true);
  });

  it('refuses a run manifest of a table its catalog lacks', () => {
    const result = runManifestSchema(shipments()).safeParse({ table: 'orders' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.find((i) => i.path[0] === 'table')?.message).toBe(
      'unknown table "orders"; use one of shipments',
    );
  });
});
