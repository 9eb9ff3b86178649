import { instacartCatalog, SchemaChangeRefusedError } from '@insightflow/shared-config';
import { type CannedResult, type SnowflakeTestServer, startSnowflakeTestServer } from '@insightflow/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { SnowflakeWarehouse } from '../../src/adapters/snowflakeWarehouse.js';
import { describeCatalogTableChange } from '../../src/index.js';
import { EVERY_TYPE_COLUMNS, shipmentsCatalog, V1_COLUMNS, V2_COLUMNS } from '../helpers/schemaChangeCatalogs.js';

const COLUMNS_SQL =
  'SELECT table_name, column_name, data_type, is_nullable, character_maximum_length, numeric_precision, numeric_scale ' +
  'FROM INSIGHTFLOW.INFORMATION_SCHEMA.COLUMNS WHERE table_schema = ? ORDER BY table_name, ordinal_position';
const KEYS_SQL = 'SHOW PRIMARY KEYS IN SCHEMA INSIGHTFLOW.RAW';
const DESCRIBE = [COLUMNS_SQL, KEYS_SQL];

/**
 * How Snowflake's INFORMATION_SCHEMA.COLUMNS describes a column of each catalog type as
 * `CREATE TABLE` wrote it (DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE):
 * written out here, not derived from COLUMN_TYPES, so the test can catch a wrong mapping.
 */
const SNOWFLAKE_REPORTS: Record<string, [string, string | null, string | null, string | null]> = {
  boolean: ['BOOLEAN', null, null, null],
  smallint: ['NUMBER', null, '5', '0'],
  integer: ['NUMBER', null, '10', '0'],
  bigint: ['NUMBER', null, '19', '0'],
  'decimal(10,2)': ['NUMBER', null, '10', '2'],
  'decimal(18,4)': ['NUMBER', null, '18', '4'],
  real: ['FLOAT', null, null, null],
  double: ['FLOAT', null, null, null],
  text: ['TEXT', '16777216', null, null],
  'varchar(10)': ['TEXT', '10', null, null],
  'varchar(12)': ['TEXT', '12', null, null],
  date: ['DATE', null, null, null],
  time: ['TIME', null, null, null],
  timestamp: ['TIMESTAMP_NTZ', null, null, null],
  timestamptz: ['TIMESTAMP_TZ', null, null, null],
  json: ['VARIANT', null, null, null],
  binary: ['BINARY', '8388608', null, null],
};

interface HeldTable {
  name: string;
  columns: readonly { name: string; type: string; nullable?: boolean }[];
  primaryKey?: readonly string[];
}

/** INFORMATION_SCHEMA.COLUMNS and SHOW PRIMARY KEYS as Snowflake answers them for these tables. */
function informationSchema(tables: readonly HeldTable[]): { columns: CannedResult; keys: CannedResult } {
  const columns: CannedResult = {
    columns: [
      { name: 'TABLE_NAME', type: 'text' },
      { name: 'COLUMN_NAME', type: 'text' },
      { name: 'DATA_TYPE', type: 'text' },
      { name: 'IS_NULLABLE', type: 'text' },
      { name: 'CHARACTER_MAXIMUM_LENGTH', type: 'fixed' },
      { name: 'NUMERIC_PRECISION', type: 'fixed' },
      { name: 'NUMERIC_SCALE', type: 'fixed' },
    ],
    rows: tables.flatMap((t) =>
      t.columns.map((c) => {
        const reported = SNOWFLAKE_REPORTS[c.type];
        if (!reported) throw new Error(`no Snowflake report written for ${c.type}`);
        const [dataType, length, precision, scale] = reported;
        return [
          t.name.toUpperCase(),
          c.name.toUpperCase(),
          dataType,
          c.nullable === false ? 'NO' : 'YES',
          length,
          precision,
          scale,
        ];
      }),
    ),
  };
  const keys: CannedResult = {
    columns: [
      { name: 'table_name', type: 'text' },
      { name: 'column_name', type: 'text' },
      { name: 'key_sequence', type: 'fixed' },
    ],
    rows: tables.flatMap((t) =>
      (t.primaryKey ?? []).map((c, i) => [t.name.toUpperCase(), c.toUpperCase(), String(i + 1)]),
    ),
  };
  return { columns, keys };
}

const STATEMENT_DONE: CannedResult = {
  columns: [{ name: 'status', type: 'text' }],
  rows: [['Statement executed successfully.']],
};

/** A protocol server whose information schema holds `tables`; DDL answered as done (all canned: DuckDB cannot speak Snowflake DDL). */
async function serverHolding(tables: readonly HeldTable[]) {
  const server = await startSnowflakeTestServer();
  const { columns, keys } = informationSchema(tables);
  server.answer(/INFORMATION_SCHEMA\.COLUMNS/, columns);
  server.answer(/^SHOW PRIMARY KEYS/, keys);
  server.answer(/^(ALTER|CREATE) TABLE/, STATEMENT_DONE);
  const warehouse = await SnowflakeWarehouse.connect({
    account: 'insightflow-test',
    user: 'LOADER',
    credentials: { password: 'test-only' },
    database: 'INSIGHTFLOW',
    schema: 'RAW',
    accessUrl: server.accessUrl,
  });
  return { server, warehouse };
}

const V1_TABLES: HeldTable[] = [
  { name: 'shipments', columns: V1_COLUMNS, primaryKey: ['shipment_id'] },
  { name: 'carriers', columns: [{ name: 'carrier_id', type: 'integer', nullable: false }] },
];

describe('Adapter: SnowflakeWarehouse.ensureCatalogTables(catalog) (real snowflake-sdk against the Snowflake-protocol test server; information schema and DDL answers canned)', () => {
  const open: { server: SnowflakeTestServer; warehouse: SnowflakeWarehouse }[] = [];
  const holding = async (tables: readonly HeldTable[]) => {
    const opened = await serverHolding(tables);
    open.push(opened);
    return opened;
  };
  afterAll(async () => {
    for (const { server, warehouse } of open) {
      await warehouse.close();
      await server.stop();
    }
  });

  it('plans zero changes for the unchanged Instacart catalog: it only reads the information schema', async () => {
    const catalog = instacartCatalog();
    const { server, warehouse } = await holding(
      instacartCatalog().tables.map((t) => ({ name: t.name, columns: t.columns, primaryKey: t.primaryKey })),
    );
    expect(await warehouse.ensureCatalogTables(catalog)).toEqual([]);
    expect(server.log.statements).toEqual(DESCRIBE);
  });

  it('plans zero changes for a table of every catalog type (real and double are both FLOAT)', async () => {
    const columns = EVERY_TYPE_COLUMNS.map((c) => (c.name === 'c_decimal' ? { ...c, type: 'decimal(18,4)' } : c));
    const every = [
      {
        name: 'shipments',
        columns: [{ name: 'shipment_id', type: 'bigint', nullable: false }],
        primaryKey: ['shipment_id'],
      },
    ];
    const { server, warehouse } = await holding([...every, { name: 'carriers', columns }]);
    let catalog = shipmentsCatalog([{ name: 'shipment_id', type: 'bigint', nullable: false }], { carriers: columns });
    expect(await warehouse.ensureCatalogTables(catalog)).toEqual([]);
    const realAsDouble = columns.map((c) => (c.name === 'c_real' ? { ...c, type: 'double' } : c));
    catalog = shipmentsCatalog([{ name: 'shipment_id', type: 'bigint', nullable: false }], {
      carriers: realAsDouble,
      policy: 'freeze',
    });
    expect(await warehouse.ensureCatalogTables(catalog)).toEqual([]);
    expect(server.log.statements).toEqual([...DESCRIBE, ...DESCRIBE]);
  });

  it('creates a missing table with unquoted names and its key', async () => {
    const catalog = shipmentsCatalog(V1_COLUMNS);
    const { server, warehouse } = await holding([V1_TABLES[1] as HeldTable]);
    const changes = await warehouse.ensureCatalogTables(catalog);
    expect(changes.map(describeCatalogTableChange)).toEqual(['shipments: created']);
    expect(server.log.statements).toEqual([
      ...DESCRIBE,
      'CREATE TABLE IF NOT EXISTS SHIPMENTS (\n  SHIPMENT_ID NUMBER(19,0) NOT NULL,\n  QTY NUMBER(5,0),\n  LABEL VARCHAR(10),\n' +
        '  PRICE NUMBER(10,2),\n  RATIO FLOAT,\n  CODE VARCHAR NOT NULL,\n  PRIMARY KEY (SHIPMENT_ID)\n)',
    ]);
  });

  it('adds a column, widens NUMBER precision and VARCHAR length, drops NOT NULL: these exact statements', async () => {
    const catalog = shipmentsCatalog(V2_COLUMNS);
    const { server, warehouse } = await holding(V1_TABLES);
    const changes = await warehouse.ensureCatalogTables(catalog);
    expect(server.log.statements).toEqual([
      ...DESCRIBE,
      'ALTER TABLE SHIPMENTS ALTER COLUMN QTY SET DATA TYPE NUMBER(10,0)',
      'ALTER TABLE SHIPMENTS ALTER COLUMN LABEL SET DATA TYPE VARCHAR(20)',
      'ALTER TABLE SHIPMENTS ALTER COLUMN PRICE SET DATA TYPE NUMBER(12,2)',
      'ALTER TABLE SHIPMENTS ALTER COLUMN CODE DROP NOT NULL',
      'ALTER TABLE SHIPMENTS ADD COLUMN NOTE VARCHAR',
    ]);
    // real → double is no change in Snowflake: both are FLOAT.
    expect(changes.map(describeCatalogTableChange)).toEqual([
      'shipments: widened column qty from smallint to integer',
      'shipments: widened column label from varchar(10) to varchar(20)',
      'shipments: widened column price from decimal(10,2) to decimal(12,2)',
      'shipments: column code (text) may now be NULL',
      'shipments: added column note (text)',
    ]);
  });

  it.each([
    [
      'a narrowing',
      'qty',
      'integer',
      'smallint',
      /qty: integer → smallint: a narrowing could lose values already loaded; rebuild SHIPMENTS in Snowflake/,
      'integer',
    ],
    [
      'a scale change (a widening Snowflake cannot apply in place)',
      'price',
      'decimal(10,2)',
      'decimal(12,3)',
      /price: decimal\(10,2\) → decimal\(12,3\): Snowflake cannot change NUMBER\(10,2\) to NUMBER\(12,3\) in place/,
      'decimal(10,2)',
    ],
    [
      'NUMBER to FLOAT (a widening Snowflake cannot apply in place)',
      'qty',
      'smallint',
      'double',
      /qty: smallint → double: Snowflake cannot change NUMBER\(5,0\) to FLOAT in place/,
      'smallint',
    ],
  ])('refuses %s and sends no DDL at all, not even for another table’s added column', async (_, name, held, declared, message) => {
    const heldTables = [
      { ...(V1_TABLES[0] as HeldTable), columns: V1_COLUMNS.map((c) => (c.name === name ? { ...c, type: held } : c)) },
      V1_TABLES[1] as HeldTable,
    ];
    const catalog = shipmentsCatalog(
      V1_COLUMNS.map((c) => (c.name === name ? { ...c, type: declared } : c)),
      {
        carriers: [
          { name: 'carrier_id', type: 'integer', nullable: false },
          { name: 'name', type: 'text' },
        ],
      },
    );
    const { server, warehouse } = await holding(heldTables);
    const error = await warehouse.ensureCatalogTables(catalog).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaChangeRefusedError);
    expect((error as Error).message).toMatch(
      /^Refused a schema change in the warehouse; nothing was changed:\n {2}- shipments\./,
    );
    expect((error as Error).message).toMatch(message);
    expect(server.log.statements).toEqual(DESCRIBE);
  });

  it('refuses a changed primary key, read from SHOW PRIMARY KEYS', async () => {
    const catalog = shipmentsCatalog(V1_COLUMNS, { key: ['shipment_id', 'code'] });
    const { server, warehouse } = await holding(V1_TABLES);
    await expect(warehouse.ensureCatalogTables(catalog)).rejects.toThrow(
      /shipments\.\(primary key\): \(shipment_id\) → \(shipment_id, code\): the primary key changed/,
    );
    expect(server.log.statements).toEqual(DESCRIBE);
  });
});
