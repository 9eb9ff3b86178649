import { afterEach, describe, expect, it } from 'vitest';
import {
  activeCatalog,
  Catalog,
  getTable,
  instacartCatalog,
  isTableName,
  listTables,
  RunManifestSchema,
  streamingPrefix,
  tableNames,
  UnknownStreamError,
  UnknownTableError,
  useCatalog,
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

describe('Function: useCatalog()', () => {
  afterEach(() => useCatalog(instacartCatalog()));

  it('starts from the built-in Instacart catalog', () => {
    expect(activeCatalog()).toBe(instacartCatalog());
    expect(tableNames()).toContain('order_products_prior');
    expect(activeCatalog().streams).toEqual([{ name: 'orders', table: 'orders' }]);
    expect(streamingPrefix('orders')).toBe('data/streaming/orders/');
  });

  it('changes what getTable, tableNames, listTables and isTableName answer', () => {
    useCatalog(shipments());
    expect(tableNames()).toEqual(['shipments']);
    expect(listTables().map((t) => t.name)).toEqual(['shipments']);
    expect(getTable('shipments').primaryKey).toEqual(['shipment_id']);
    expect(isTableName('orders')).toBe(false);
    expect(() => getTable('orders')).toThrow(/catalog has shipments/);
    expect(activeCatalog().stream('shipment_updates').table).toBe('shipments');
    expect(() => activeCatalog().stream('orders')).toThrow(UnknownStreamError);
  });

  it('changes which tables a run manifest may name', () => {
    useCatalog(shipments());
    const result = RunManifestSchema.safeParse({ table: 'orders' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.find((i) => i.path[0] === 'table')?.message).toBe(
      'unknown table "orders"; use one of shipments',
    );
  });
});
