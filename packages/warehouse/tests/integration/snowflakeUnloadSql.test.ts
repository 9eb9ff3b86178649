import { type SnowflakeTestServer, startSnowflakeTestServer } from '@insightflow/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnowflakeWarehouse } from '../../src/adapters/snowflakeWarehouse.js';
import { exportQuerySql } from '../../src/index.js';
import { EVERY_TYPE_COLUMNS, shipmentsCatalog } from '../helpers/schemaChangeCatalogs.js';

const rawStage = { name: 'INSIGHTFLOW_RAW_STAGE', bucket: 'raw-bucket', prefix: 'data/' };

describe('Adapter: SnowflakeWarehouse.unload() of a batch run’s export query (real snowflake-sdk against the Snowflake-protocol test server; COPY result canned: DuckDB cannot write a stage)', () => {
  let server: SnowflakeTestServer;
  let warehouse: SnowflakeWarehouse;
  const catalog = shipmentsCatalog([{ name: 'shipment_id', type: 'bigint', nullable: false }], {
    carriers: EVERY_TYPE_COLUMNS,
  });

  beforeAll(async () => {
    server = await startSnowflakeTestServer();
    server.answer(/^COPY INTO @INSIGHTFLOW_RAW_STAGE\//, {
      columns: [
        { name: 'FILE_NAME', type: 'text' },
        { name: 'FILE_SIZE', type: 'fixed' },
        { name: 'ROW_COUNT', type: 'fixed' },
      ],
      rows: [['part_0_0_0.csv', '4096', '12']],
    });
    warehouse = await SnowflakeWarehouse.connect({
      account: 'insightflow-test',
      user: 'LOADER',
      credentials: { password: 'test-only' },
      database: 'INSIGHTFLOW',
      schema: 'RAW',
      accessUrl: server.accessUrl,
      rawStage,
    });
  });
  afterAll(async () => {
    await warehouse?.close();
    await server?.stop();
  });

  it('sends one COPY INTO the raw stage over the export query, every type rendered as lake text by Snowflake itself', async () => {
    const query = exportQuerySql(catalog.table('carriers'), 'snowflake');
    const files = await warehouse.unload({
      sql: query,
      bucket: 'raw-bucket',
      prefix: 'data/_unload/carriers/run/',
      maxFileBytes: 64_000_000,
    });
    expect(files).toEqual([{ key: 'data/_unload/carriers/run/part_0_0_0.csv', rows: 12, bytes: 4096 }]);
    expect(server.log.statements).toEqual([
      `COPY INTO @INSIGHTFLOW_RAW_STAGE/_unload/carriers/run/part FROM (${query}) ` +
        "FILE_FORMAT = (TYPE = CSV COMPRESSION = NONE FIELD_OPTIONALLY_ENCLOSED_BY = '\"' NULL_IF = ('') EMPTY_FIELD_AS_NULL = FALSE) " +
        'HEADER = TRUE MAX_FILE_SIZE = 64000000 OVERWRITE = TRUE DETAILED_OUTPUT = TRUE',
    ]);
    // The contract of the lake's text (issue 18, part 2), as Snowflake renders it.
    expect(query).toMatch(/^SELECT .* FROM CARRIERS$/);
    for (const rendering of [
      'TO_VARCHAR(ID) AS "id"',
      'TO_VARCHAR(C_TIMESTAMP, \'YYYY-MM-DD"T"HH24:MI:SS.FF6\') AS "c_timestamp"',
      'TO_VARCHAR(C_TIMESTAMPTZ, \'YYYY-MM-DD"T"HH24:MI:SS.FF6TZH:TZM\') AS "c_timestamptz"',
      'TO_VARCHAR(C_DATE, \'YYYY-MM-DD\') AS "c_date"',
      'TO_VARCHAR(C_BINARY, \'HEX\') AS "c_binary"',
      'TO_JSON(C_JSON) AS "c_json"',
      'C_TEXT AS "c_text"',
      'C_VARCHAR AS "c_varchar"',
    ]) {
      expect(query).toContain(rendering);
    }
  });
});
