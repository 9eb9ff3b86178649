import { type CannedResult, type SnowflakeTestServer, startSnowflakeTestServer } from '@insightflow/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SnowflakeWarehouse } from '../../src/adapters/snowflakeWarehouse.js';
import { describeProblem, discoverCatalogFromWarehouse, WarehouseError } from '../../src/index.js';

const COLUMNS_SQL =
  'SELECT table_name, column_name, data_type, is_nullable, character_maximum_length, numeric_precision, numeric_scale ' +
  'FROM INSIGHTFLOW.INFORMATION_SCHEMA.COLUMNS WHERE table_schema = ? ORDER BY table_name, ordinal_position';
const KEYS_SQL = 'SHOW PRIMARY KEYS IN SCHEMA INSIGHTFLOW.RAW';

/** What Snowflake's INFORMATION_SCHEMA.COLUMNS holds for the tables below (DuckDB cannot produce Snowflake's type names). */
const INFORMATION_SCHEMA: CannedResult = {
  columns: [
    { name: 'TABLE_NAME', type: 'text' },
    { name: 'COLUMN_NAME', type: 'text' },
    { name: 'DATA_TYPE', type: 'text' },
    { name: 'IS_NULLABLE', type: 'text' },
    { name: 'CHARACTER_MAXIMUM_LENGTH', type: 'fixed' },
    { name: 'NUMERIC_PRECISION', type: 'fixed' },
    { name: 'NUMERIC_SCALE', type: 'fixed' },
  ],
  rows: [
    ['EVERY_TYPE', 'ID', 'NUMBER', 'NO', null, '18', '0'],
    ['EVERY_TYPE', 'BIG', 'NUMBER', 'YES', null, '38', '0'],
    ['EVERY_TYPE', 'AMOUNT', 'NUMBER', 'YES', null, '18', '4'],
    ['EVERY_TYPE', 'RATIO', 'FLOAT', 'YES', null, null, null],
    ['EVERY_TYPE', 'NOTE', 'TEXT', 'YES', '16777216', null, null],
    ['EVERY_TYPE', 'CODE', 'TEXT', 'YES', '12', null, null],
    ['EVERY_TYPE', 'FLAG', 'BOOLEAN', 'YES', null, null, null],
    ['EVERY_TYPE', 'DAY', 'DATE', 'YES', null, null, null],
    ['EVERY_TYPE', 'CLOCK', 'TIME', 'YES', null, null, null],
    ['EVERY_TYPE', 'AT_NTZ', 'TIMESTAMP_NTZ', 'YES', null, null, null],
    ['EVERY_TYPE', 'AT_TZ', 'TIMESTAMP_TZ', 'YES', null, null, null],
    ['EVERY_TYPE', 'AT_LTZ', 'TIMESTAMP_LTZ', 'YES', null, null, null],
    ['EVERY_TYPE', 'DOC', 'VARIANT', 'YES', null, null, null],
    ['EVERY_TYPE', 'ATTRS', 'OBJECT', 'YES', null, null, null],
    ['EVERY_TYPE', 'TAGS', 'ARRAY', 'YES', null, null, null],
    ['EVERY_TYPE', 'BYTES', 'BINARY', 'YES', '8388608', null, null],
    ['EVERY_TYPE', 'AREA', 'GEOGRAPHY', 'YES', null, null, null],
    ['EVERY_TYPE', 'EMBEDDING', 'VECTOR', 'YES', null, null, null],
    ['ORDER_LINES', 'ORDER_ID', 'NUMBER', 'NO', null, '38', '0'],
    ['ORDER_LINES', 'LINE_NO', 'NUMBER', 'NO', null, '4', '0'],
    ['ORDER_LINES', 'SKU', 'TEXT', 'YES', '16777216', null, null],
    ['QuotedName', 'X', 'BOOLEAN', 'YES', null, null, null],
  ],
};

/** SHOW PRIMARY KEYS answers with lower-case column names; the key's columns are listed out of order on purpose. */
const PRIMARY_KEYS: CannedResult = {
  columns: [
    { name: 'database_name', type: 'text' },
    { name: 'schema_name', type: 'text' },
    { name: 'table_name', type: 'text' },
    { name: 'column_name', type: 'text' },
    { name: 'key_sequence', type: 'fixed' },
    { name: 'constraint_name', type: 'text' },
  ],
  rows: [
    ['INSIGHTFLOW', 'RAW', 'ORDER_LINES', 'LINE_NO', '2', 'PK_ORDER_LINES'],
    ['INSIGHTFLOW', 'RAW', 'ORDER_LINES', 'ORDER_ID', '1', 'PK_ORDER_LINES'],
    ['INSIGHTFLOW', 'RAW', 'EVERY_TYPE', 'ID', '1', 'PK_EVERY_TYPE'],
  ],
};

const connect = (server: SnowflakeTestServer, schema = 'raw') =>
  SnowflakeWarehouse.connect({
    account: 'insightflow-test',
    user: 'LOADER',
    credentials: { password: 'test-only' },
    database: 'insightflow',
    schema,
    accessUrl: server.accessUrl,
  });

describe('Function: discoverCatalogFromWarehouse() over Snowflake (real snowflake-sdk against the Snowflake-protocol test server)', () => {
  let server: SnowflakeTestServer;
  let warehouse: SnowflakeWarehouse;

  beforeAll(async () => {
    server = await startSnowflakeTestServer();
    server.answer(/INFORMATION_SCHEMA\.COLUMNS/, INFORMATION_SCHEMA);
    server.answer(/^SHOW PRIMARY KEYS/, PRIMARY_KEYS);
    warehouse = await connect(server);
  });
  afterAll(async () => {
    await warehouse?.close();
    await server?.stop();
  });
  beforeEach(() => {
    server.log.statements.length = 0;
    server.log.binds.length = 0;
  });

  it('sends the INFORMATION_SCHEMA query with the schema as a bind value, then SHOW PRIMARY KEYS (both answers canned)', async () => {
    await discoverCatalogFromWarehouse(warehouse);
    expect(server.log.statements).toEqual([COLUMNS_SQL, KEYS_SQL]);
    expect(server.log.binds).toEqual([['RAW'], []]);
  });

  it('maps every Snowflake type, lower-cases names, and orders the key by key_sequence (answers canned)', async () => {
    const { document } = await discoverCatalogFromWarehouse(warehouse);
    expect(document).toEqual({
      tables: [
        {
          name: 'every_type',
          primaryKey: ['id'],
          columns: [
            { name: 'id', type: 'bigint', nullable: false },
            { name: 'big', type: 'decimal(38,0)' },
            { name: 'amount', type: 'decimal(18,4)' },
            { name: 'ratio', type: 'double' },
            { name: 'note', type: 'text' },
            { name: 'code', type: 'varchar(12)' },
            { name: 'flag', type: 'boolean' },
            { name: 'day', type: 'date' },
            { name: 'clock', type: 'time' },
            { name: 'at_ntz', type: 'timestamp' },
            { name: 'at_tz', type: 'timestamptz' },
            { name: 'at_ltz', type: 'timestamptz' },
            { name: 'doc', type: 'json' },
            { name: 'attrs', type: 'json' },
            { name: 'tags', type: 'json' },
            { name: 'bytes', type: 'binary' },
          ],
        },
        {
          name: 'order_lines',
          primaryKey: ['order_id', 'line_no'],
          columns: [
            { name: 'order_id', type: 'decimal(38,0)', nullable: false },
            { name: 'line_no', type: 'bigint', nullable: false },
            { name: 'sku', type: 'text' },
          ],
        },
      ],
      schemaChanges: 'evolve',
    });
  });

  it('reports GEOGRAPHY, VECTOR and a quoted mixed-case table name instead of writing them (answers canned)', async () => {
    const { problems } = await discoverCatalogFromWarehouse(warehouse);
    expect(problems.map(describeProblem)).toEqual([
      expect.stringMatching(
        /^every_type\.area: GEOGRAPHY — the catalog has no type for it; cast it in a view, e\.g\. ST_ASWKT/,
      ),
      expect.stringMatching(/^every_type\.embedding: VECTOR — the catalog has no type for it; cast it in a view/),
      expect.stringMatching(/^QuotedName: — the name was created quoted.*; rename it/),
    ]);
  });

  it('refuses a schema name that is not an unquoted identifier before sending anything', async () => {
    const other = await connect(server, 'raw; DROP TABLE x');
    try {
      const error = await other.describeTables().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WarehouseError);
      expect((error as Error).message).toMatch(
        /SNOWFLAKE_SCHEMA="raw; DROP TABLE x" is not an unquoted Snowflake identifier/,
      );
      expect(server.log.statements).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
