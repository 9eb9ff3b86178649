import { generateKeyPairSync } from 'node:crypto';
import { access } from 'node:fs/promises';
import { instacartCatalog } from '@insightflow/shared-config';
import { type SnowflakeTestServer, startSnowflakeTestServer } from '@insightflow/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnowflakeWarehouse } from '../../src/adapters/snowflakeWarehouse.js';
import { WarehouseError } from '../../src/index.js';

const catalog = instacartCatalog();
const stage = { name: 'INSIGHTFLOW_SOURCE_STAGE', bucket: 'stage-bucket', prefix: 'instacart/' };
const rawStage = { name: 'INSIGHTFLOW_RAW_STAGE', bucket: 'raw-bucket', prefix: '' };

describe('Adapter: SnowflakeWarehouse (real snowflake-sdk against the Snowflake-protocol test server)', () => {
  let server: SnowflakeTestServer;
  let warehouse: SnowflakeWarehouse;

  beforeAll(async () => {
    server = await startSnowflakeTestServer();
    await server.duckdb.run(
      `CREATE TABLE orders AS SELECT i AS order_id, i % 1000 + 1 AS user_id,
         CASE i % 3 WHEN 0 THEN 'prior' WHEN 1 THEN 'train' ELSE 'test' END AS eval_set,
         'Crème "brûlée", ' || i || E'\\nline two' AS note,
         CASE WHEN i % 10 = 0 THEN NULL ELSE (i % 31)::REAL END AS days_since_prior_order
       FROM range(1, 150001) t(i)`,
    );
    warehouse = await SnowflakeWarehouse.connect({
      account: 'insightflow-test',
      user: 'LOADER',
      credentials: { password: 'test-only' },
      database: 'INSIGHTFLOW',
      schema: 'RAW',
      accessUrl: server.accessUrl,
      sourceStage: stage,
      rawStage,
    });
  });

  afterAll(async () => {
    await warehouse?.close();
    await server?.stop();
  });

  it('streams 150 000 rows in batches over several downloaded result chunks, values intact', async () => {
    let rows = 0;
    let batches = 0;
    const sample = new Map<number, unknown[]>();
    for await (const batch of warehouse.streamRows('SELECT * FROM orders ORDER BY order_id')) {
      batches++;
      for (const row of batch) {
        rows++;
        if (row[0] === 10 || row[0] === 149_999) sample.set(row[0] as number, [...row]);
      }
    }
    expect(rows).toBe(150_000);
    expect(batches).toBeGreaterThan(10);
    expect(server.log.chunkDownloads).toBeGreaterThanOrEqual(5);
    expect(sample.get(10)).toEqual([10, 11, 'train', 'Crème "brûlée", 10\nline two', null]);
    expect(sample.get(149_999)).toEqual([149_999, 1000, 'test', 'Crème "brûlée", 149999\nline two', 21]);
  });

  it('raises a typed error carrying Snowflake\u2019s code and SQL state', async () => {
    const error = await warehouse.execute('SELECT * FROM missing_table').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseError);
    expect(error).toMatchObject({ code: '002003', sqlState: '42S02', kind: 'terminal' });
    expect((error as Error).message).toMatch(/missing_table/);
  });

  it('reports a missing table as having no row count', async () => {
    expect(await warehouse.countRows('aisles')).toBeUndefined();
    expect(await warehouse.countRows('orders')).toBe(150_000);
  });

  it('writes no snowflake.log in the working directory', async () => {
    await expect(access('snowflake.log')).rejects.toThrow();
  });

  it('COPY INTO with ON_ERROR=SKIP_FILE: a loaded file is reported (COPY result canned: DuckDB cannot read a stage)', async () => {
    server.answer(/^COPY INTO AISLES FROM @INSIGHTFLOW_SOURCE_STAGE FILES = \('aisles.csv'\)/, {
      columns: [
        { name: 'file', type: 'text' },
        { name: 'status', type: 'text' },
        { name: 'rows_parsed', type: 'fixed' },
        { name: 'rows_loaded', type: 'fixed' },
        { name: 'errors_seen', type: 'fixed' },
      ],
      rows: [['s3://stage-bucket/instacart/aisles.csv', 'LOADED', '134', '134', '0']],
    });
    const report = await warehouse.loadStagedFile({
      table: catalog.table('aisles'),
      bucket: 'stage-bucket',
      key: 'instacart/aisles.csv',
    });
    expect(report).toMatchObject({ status: 'loaded', rowsLoaded: 134, rowsRejected: 0 });
    const sql = server.log.statements.find((s) => s.startsWith('COPY INTO AISLES')) ?? '';
    expect(sql).toContain('ON_ERROR = SKIP_FILE');
    expect(sql).toContain('SKIP_HEADER = 1');
    expect(sql).not.toMatch(/FORCE/);
  });

  it('a file Snowflake\u2019s load metadata already has is reported as skipped (COPY result canned)', async () => {
    server.answer(/^COPY INTO DEPARTMENTS/, {
      columns: [{ name: 'status', type: 'text' }],
      rows: [['Copy executed with 0 files processed.']],
    });
    const report = await warehouse.loadStagedFile({
      table: catalog.table('departments'),
      bucket: 'stage-bucket',
      key: 'instacart/departments.csv',
    });
    expect(report).toMatchObject({ status: 'skipped', rowsLoaded: 0 });
  });

  it('a file with bad rows loads nothing and lists them with their lines (COPY and VALIDATE results canned)', async () => {
    server.answer(/^COPY INTO PRODUCTS/, {
      columns: [
        { name: 'file', type: 'text' },
        { name: 'status', type: 'text' },
        { name: 'rows_loaded', type: 'fixed' },
        { name: 'errors_seen', type: 'fixed' },
        { name: 'first_error', type: 'text' },
        { name: 'first_error_line', type: 'fixed' },
      ],
      rows: [['products.csv', 'LOAD_FAILED', '0', '2', "Numeric value 'abc' is not recognized", '7']],
    });
    server.answer(/VALIDATE\(PRODUCTS/, {
      columns: [
        { name: 'ERROR', type: 'text' },
        { name: 'LINE', type: 'fixed' },
        { name: 'COLUMN_NAME', type: 'text' },
      ],
      rows: [
        ["Numeric value 'abc' is not recognized", '7', '"PRODUCTS"["AISLE_ID":3]'],
        ['End of record reached while expected to parse column', '12', null],
      ],
    });
    const report = await warehouse.loadStagedFile({
      table: catalog.table('products'),
      bucket: 'stage-bucket',
      key: 'instacart/products.csv',
    });
    expect(report).toMatchObject({ status: 'rejected', rowsLoaded: 0, rowsRejected: 2 });
    expect(report.problems.map((p) => p.line)).toEqual([7, 12]);
  });

  it('a prefix stage is one COPY by header name over its .csv/.csv.gz files, one report per file (COPY and VALIDATE results canned)', async () => {
    server.answer(/^COPY INTO ORDERS FROM @INSIGHTFLOW_SOURCE_STAGE\/daily\/ PATTERN/, {
      columns: [
        { name: 'file', type: 'text' },
        { name: 'status', type: 'text' },
        { name: 'rows_parsed', type: 'fixed' },
        { name: 'rows_loaded', type: 'fixed' },
        { name: 'errors_seen', type: 'fixed' },
        { name: 'first_error', type: 'text' },
        { name: 'first_error_line', type: 'fixed' },
        { name: 'first_error_column_name', type: 'text' },
      ],
      rows: [
        ['s3://stage-bucket/instacart/daily/2.csv.gz', 'LOADED', '40', '40', '0', null, null, null],
        ['s3://stage-bucket/instacart/daily/1.csv', 'LOADED', '25', '25', '0', null, null, null],
        [
          's3://stage-bucket/instacart/daily/3.csv',
          'LOAD_FAILED',
          '9',
          '0',
          '1',
          "Numeric value 'x' is not recognized",
          '4',
          '"ORDERS"["ORDER_NUMBER":4]',
        ],
      ],
    });
    server.answer(/VALIDATE\(ORDERS/, {
      columns: [
        { name: 'ERROR', type: 'text' },
        { name: 'FILE', type: 'text' },
        { name: 'LINE', type: 'fixed' },
        { name: 'COLUMN_NAME', type: 'text' },
      ],
      rows: [["Numeric value 'x' is not recognized", 'daily/3.csv', '4', '"ORDERS"["ORDER_NUMBER":4]']],
    });
    const reports = await warehouse.loadStage({
      table: catalog.table('orders'),
      bucket: 'stage-bucket',
      location: 'instacart/daily/',
    });
    expect(reports.map((r) => [r.file, r.status, r.rowsLoaded, r.rowsRejected])).toEqual([
      ['instacart/daily/1.csv', 'loaded', 25, 0],
      ['instacart/daily/2.csv.gz', 'loaded', 40, 0],
      ['instacart/daily/3.csv', 'rejected', 0, 1],
    ]);
    expect(reports[2]?.problems).toEqual([
      { line: 4, column: '"ORDERS"["ORDER_NUMBER":4]', message: "Numeric value 'x' is not recognized" },
    ]);
    const sql = server.log.statements.find((s) => s.startsWith('COPY INTO ORDERS')) ?? '';
    expect(sql).toBe(
      "COPY INTO ORDERS FROM @INSIGHTFLOW_SOURCE_STAGE/daily/ PATTERN = '.*[.]csv([.]gz)?' " +
        "FILE_FORMAT = (TYPE = CSV PARSE_HEADER = TRUE FIELD_OPTIONALLY_ENCLOSED_BY = '\"' NULL_IF = () " +
        'EMPTY_FIELD_AS_NULL = TRUE COMPRESSION = AUTO) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE ON_ERROR = SKIP_FILE',
    );
    expect(sql).not.toMatch(/SKIP_HEADER|FILES =|FORCE/);
  });

  it('a prefix stage whose files Snowflake\u2019s load metadata all has reports no file (COPY result canned)', async () => {
    server.answer(/^COPY INTO AISLES FROM @INSIGHTFLOW_SOURCE_STAGE\/aisles\/ PATTERN/, {
      columns: [{ name: 'status', type: 'text' }],
      rows: [['Copy executed with 0 files processed.']],
    });
    expect(
      await warehouse.loadStage({
        table: catalog.table('aisles'),
        bucket: 'stage-bucket',
        location: 'instacart/aisles/',
      }),
    ).toEqual([]);
  });

  it('a key stage is the single-file COPY (COPY result canned)', async () => {
    server.answer(/^COPY INTO DEPARTMENTS FROM @INSIGHTFLOW_SOURCE_STAGE FILES = \('departments.csv'\)/, {
      columns: [{ name: 'status', type: 'text' }],
      rows: [['Copy executed with 0 files processed.']],
    });
    const reports = await warehouse.loadStage({
      table: catalog.table('departments'),
      bucket: 'stage-bucket',
      location: 'instacart/departments.csv',
    });
    expect(reports).toEqual([
      expect.objectContaining({ file: 'instacart/departments.csv', status: 'skipped', rowsLoaded: 0 }),
    ]);
  });

  it('unloads with COPY INTO the raw stage, reporting each file (COPY result canned)', async () => {
    server.answer(/^COPY INTO @INSIGHTFLOW_RAW_STAGE\/data\/batch\/orders\/run\/part FROM/, {
      columns: [
        { name: 'FILE_NAME', type: 'text' },
        { name: 'FILE_SIZE', type: 'fixed' },
        { name: 'ROW_COUNT', type: 'fixed' },
      ],
      rows: [
        ['part_0_1_0.csv', '900', '60'],
        ['part_0_0_0.csv', '1500', '100'],
      ],
    });
    const files = await warehouse.unload({
      sql: 'SELECT * FROM orders',
      bucket: 'raw-bucket',
      prefix: 'data/batch/orders/run/',
      maxFileBytes: 16_000_000,
    });
    expect(files).toEqual([
      { key: 'data/batch/orders/run/part_0_0_0.csv', rows: 100, bytes: 1500 },
      { key: 'data/batch/orders/run/part_0_1_0.csv', rows: 60, bytes: 900 },
    ]);
    const sql = server.log.statements.at(-1) ?? '';
    expect(sql).toMatch(/HEADER = TRUE MAX_FILE_SIZE = 16000000/);
    expect(sql).toMatch(/NULL_IF = \(''\) EMPTY_FIELD_AS_NULL = FALSE/);
  });
});

describe('Adapter: SnowflakeWarehouse authentication (protocol test server)', () => {
  it('signs in with a key pair (JWT), never sending a password', async () => {
    const server = await startSnowflakeTestServer();
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const warehouse = await SnowflakeWarehouse.connect({
      account: 'insightflow-test',
      user: 'LOADER',
      credentials: { privateKey },
      database: 'INSIGHTFLOW',
      schema: 'RAW',
      accessUrl: server.accessUrl,
    });
    await warehouse.execute('SELECT 1');
    await warehouse.close();
    await server.stop();
    expect(server.log.logins).toEqual([
      { authenticator: 'SNOWFLAKE_JWT', user: 'LOADER', hasToken: true, hasPassword: false },
    ]);
    expect(server.log.sessionsClosed).toBe(1);
  });
});
