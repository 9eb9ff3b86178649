import { describe, expect, it } from 'vitest';
import {
  CatalogDocumentError,
  CatalogSchema,
  INSTACART_CATALOG,
  parseCatalogText,
  tableCursor,
  validateCatalog,
} from '../../src/index.js';
import { CONTRACT_EXAMPLE_YAML, contractExample } from '../helpers/catalogDocuments.js';

/** The message validateCatalog gives for `document`. */
function refusal(document: unknown): string {
  try {
    validateCatalog(document, 'catalog.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogDocumentError);
    return (error as Error).message;
  }
  throw new Error('the document was accepted');
}

describe('Schema: CatalogSchema', () => {
  it('accepts the contract example and fills in the defaults', () => {
    const catalog = CatalogSchema.parse(contractExample());
    expect(catalog.tables[0]).toMatchObject({ name: 'shipments', stage: 'custom/shipments/' });
    expect(catalog.tables[0]?.columns[1]).toMatchObject({ name: 'amount', type: 'decimal(18,4)', nullable: true });
    expect(catalog.streams).toEqual([{ name: 'shipment_updates', table: 'shipments' }]);
  });

  it('defaults stage to <name>/, primaryKey to none, streams to none and schemaChanges to evolve', () => {
    const catalog = CatalogSchema.parse({ tables: [{ name: 't', columns: [{ name: 'a', type: 'text' }] }] });
    expect(catalog).toEqual({
      tables: [
        {
          name: 't',
          stage: 't/',
          primaryKey: [],
          load: 'replace',
          columns: [{ name: 'a', type: 'text', nullable: true }],
        },
      ],
      streams: [],
      schemaChanges: 'evolve',
    });
  });

  it('accepts the built-in Instacart catalog', () => {
    const catalog = CatalogSchema.parse(INSTACART_CATALOG);
    expect(catalog.tables.map((t) => t.name)).toEqual([
      'aisles',
      'departments',
      'products',
      'orders',
      'order_products_prior',
      'order_products_train',
    ]);
    expect(catalog.streams).toEqual([{ name: 'orders', table: 'orders' }]);
  });

  it('refuses an unknown type at its path, listing the valid types', () => {
    const document = contractExample();
    (document.tables[0]?.columns[1] as { type: string }).type = 'money';
    const message = refusal(document);
    expect(message).toContain('Catalog catalog.yaml is not valid');
    expect(message).toContain('tables[0].columns[1].type: unknown type "money"');
    expect(message).toMatch(/boolean, smallint, integer, bigint.*decimal\(p,s\).*varchar\(n\)/);
  });

  it.each([
    ['decimal(0,0)'],
    ['decimal(39,2)'],
    ['decimal(4,5)'],
    ['varchar(0)'],
    ['int32'],
  ])('refuses the out-of-range or unknown type %s', (type) => {
    const document = contractExample();
    (document.tables[0]?.columns[1] as { type: string }).type = type;
    expect(refusal(document)).toContain(`unknown type "${type}"`);
  });

  it('refuses a primary key naming a missing column, listing the columns', () => {
    const document = contractExample();
    (document.tables[0] as { primaryKey: string[] }).primaryKey = ['shipment_no'];
    expect(refusal(document)).toContain(
      'tables[0].primaryKey[0]: primary key column shipment_no is not a column of table shipments; use one of shipment_id, amount',
    );
  });

  it('refuses a stream naming a missing table, listing the tables', () => {
    const document = contractExample();
    (document.streams[0] as { table: string }).table = 'parcels';
    expect(refusal(document)).toContain(
      'streams[0].table: stream shipment_updates names table parcels, which the catalog does not have; use one of shipments',
    );
  });

  it("refuses a stream named after another stream's error prefix", () => {
    const document = contractExample();
    (document.streams as { name: string; table: string }[]).push({
      name: 'shipment_updates_error',
      table: 'shipments',
    });
    expect(refusal(document)).toContain(
      'streams[1].name: stream shipment_updates_error would share its lake prefix with the error records of stream shipment_updates (data/streaming/shipment_updates_error/); give it another name',
    );
  });

  it('refuses duplicate table names', () => {
    const document = contractExample();
    document.tables.push(structuredClone(document.tables[0] as (typeof document.tables)[number]));
    expect(refusal(document)).toContain('tables[1].name: duplicate table shipments');
  });

  it('refuses duplicate column names', () => {
    const document = contractExample();
    (document.tables[0]?.columns[1] as { name: string }).name = 'shipment_id';
    expect(refusal(document)).toContain('tables[0].columns[1].name: duplicate column shipment_id in table shipments');
  });

  it.each([
    ['Shipments'],
    ['1shipments'],
    ['ship-ments'],
    ['a'.repeat(64)],
  ])('refuses the table name %s with the identifier rule', (name) => {
    const document = contractExample();
    (document.tables[0] as { name: string }).name = name;
    expect(refusal(document)).toMatch(/tables\[0\]\.name: a table name must be lower case letters, digits and _/);
  });

  it('refuses a column name that is not an identifier', () => {
    const document = contractExample();
    (document.tables[0]?.columns[0] as { name: string }).name = 'Shipment ID';
    expect(refusal(document)).toMatch(/tables\[0\]\.columns\[0\]\.name: a column name must be lower case/);
  });

  it('refuses an unknown schemaChanges value and a misspelt field', () => {
    expect(refusal({ ...contractExample(), schemaChanges: 'lenient' })).toContain(
      'schemaChanges: schemaChanges must be evolve or freeze',
    );
    const document = contractExample();
    (document.tables[0]?.columns[0] as Record<string, unknown>).nulable = false;
    expect(refusal(document)).toMatch(/tables\[0\]\.columns\[0\]: .*nulable/);
  });

  it('refuses a table without columns', () => {
    const document = contractExample();
    (document.tables[0] as { columns: unknown[] }).columns = [];
    expect(refusal(document)).toContain('tables[0].columns: a table needs at least one column');
  });
});

describe('Function: parseCatalogText()', () => {
  it('reads the YAML form', () => {
    expect(parseCatalogText(CONTRACT_EXAMPLE_YAML, 'catalog.yaml')).toEqual(CatalogSchema.parse(contractExample()));
  });

  it('reads the JSON form', () => {
    expect(parseCatalogText(JSON.stringify(contractExample()), 'catalog.json')).toEqual(
      CatalogSchema.parse(contractExample()),
    );
  });

  it('names the file when the text is not YAML', () => {
    expect(() => parseCatalogText('tables: [\n  {', 'broken.yaml')).toThrow(
      /Catalog broken\.yaml is not valid.*fix the syntax/s,
    );
  });

  it('names the file and the place when the document is invalid', () => {
    const text = CONTRACT_EXAMPLE_YAML.replace('type: bigint', 'type: bignum');
    expect(() => parseCatalogText(text, 'conf/catalog.yaml')).toThrow(
      /Catalog conf\/catalog\.yaml is not valid:\n {2}tables\[0\]\.columns\[0\]\.type: unknown type "bignum"/,
    );
  });
});

describe('Schema: CatalogTableSchema load, cursor, lag and deletes', () => {
  const shipments = (fields: Record<string, unknown>, columns: Record<string, unknown>[] = []) => ({
    tables: [
      {
        name: 'shipments',
        primaryKey: ['shipment_id'],
        columns: [
          { name: 'shipment_id', type: 'bigint', nullable: false },
          { name: 'updated_at', type: 'timestamptz', nullable: false },
          { name: 'is_deleted', type: 'boolean' },
          { name: 'note', type: 'text' },
          ...columns,
        ],
        ...fields,
      },
    ],
  });

  it('accepts the contract example and gives its cursor', () => {
    const catalog = validateCatalog(
      shipments({ load: 'merge', cursor: 'updated_at', lag: '2h', deletes: 'is_deleted' }),
      'catalog.yaml',
    );
    const table = catalog.tables[0];
    expect(table?.load).toBe('merge');
    expect(table && tableCursor(table)).toEqual({ column: 'updated_at', type: 'timestamptz', lag: '2h' });
  });

  it('gives a replace table no cursor', () => {
    const table = validateCatalog(shipments({}), 'catalog.yaml').tables[0];
    expect(table?.load).toBe('replace');
    expect(table && tableCursor(table)).toBeUndefined();
  });

  it('refuses append and merge without a cursor, and merge without a primary key, naming the field', () => {
    expect(refusal(shipments({ load: 'append' }))).toContain('tables[0].cursor: load: append reads only the rows');
    const keyless = shipments({ load: 'merge', cursor: 'updated_at', primaryKey: [] });
    expect(refusal(keyless)).toContain('tables[0].primaryKey: load: merge upserts rows by primary key');
  });

  it('refuses a cursor that is missing, of a type that does not grow, or nullable', () => {
    expect(refusal(shipments({ load: 'append', cursor: 'nope' }))).toContain('cursor nope is not a column');
    expect(refusal(shipments({ load: 'append', cursor: 'note' }))).toContain('cursor note is text; a cursor is one of');
    const nullable = shipments({ load: 'append', cursor: 'seen_at' }, [{ name: 'seen_at', type: 'timestamp' }]);
    expect(refusal(nullable)).toContain('declare it nullable: false');
  });

  it('refuses a lag of the wrong form for its cursor, and a lag on a keyless append table', () => {
    expect(refusal(shipments({ load: 'merge', cursor: 'updated_at', lag: 7200 }))).toContain(
      'tables[0].lag: a timestamptz cursor',
    );
    const numeric = shipments({ load: 'merge', cursor: 'shipment_id', lag: '2h' });
    expect(refusal(numeric)).toContain('a whole number');
    const keyless = shipments({ load: 'append', cursor: 'updated_at', lag: '1h', primaryKey: [] });
    expect(refusal(keyless)).toContain('an append table needs a primaryKey');
  });

  it('refuses deletes outside merge and on a column that is not boolean', () => {
    expect(refusal(shipments({ load: 'append', cursor: 'updated_at', deletes: 'is_deleted' }))).toContain(
      'deletes applies to load: merge only',
    );
    expect(refusal(shipments({ load: 'merge', cursor: 'updated_at', deletes: 'note' }))).toContain(
      'deletes note is text; it must be a boolean column',
    );
  });

  it('refuses cursor, lag or deletes on a replace table, and an unknown load', () => {
    expect(refusal(shipments({ cursor: 'updated_at' }))).toContain(
      'tables[0].cursor: cursor applies to load: append or merge',
    );
    expect(refusal(shipments({ load: 'upsert' }))).toContain('load must be one of replace, append, merge');
  });
});
