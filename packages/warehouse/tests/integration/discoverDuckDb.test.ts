import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbWarehouse, describeProblem, discoverCatalogFromWarehouse } from '../../src/index.js';

describe('Function: discoverCatalogFromWarehouse() over a DuckDB file warehouse (real DuckDB)', () => {
  let dir: string;
  let warehouse: DuckDbWarehouse;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insightflow-discover-'));
    warehouse = await DuckDbWarehouse.open({ path: path.join(dir, 'w.duckdb') });
    await warehouse.execute(
      `CREATE TABLE every_type (
         t TINYINT, s SMALLINT, i INTEGER NOT NULL, b BIGINT, h HUGEINT, d DECIMAL(18,4), r REAL, f FLOAT, x DOUBLE,
         v VARCHAR, v20 VARCHAR(20), ok BOOLEAN, day DATE, clock TIME, ts TIMESTAMP, ts_tz TIMESTAMPTZ, doc JSON,
         bytes BLOB
       )`,
    );
    await warehouse.execute(
      `CREATE TABLE order_lines (order_id BIGINT, line_no INTEGER, sku UUID, amount DECIMAL(10,2),
         PRIMARY KEY (line_no, order_id))`,
    );
    await warehouse.execute('CREATE TABLE "Mixed_Case" (Id BIGINT)');
    await warehouse.execute('CREATE TABLE "has space" (id BIGINT)');
    await warehouse.execute('CREATE VIEW order_skus AS SELECT order_id, sku::VARCHAR AS sku FROM order_lines');
    await warehouse.execute(
      'CREATE TABLE _insightflow_loaded_files (file_key VARCHAR NOT NULL, etag VARCHAR NOT NULL, PRIMARY KEY (file_key, etag))',
    );
  });
  afterAll(async () => {
    await warehouse?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('maps every mappable DuckDB type and the NOT NULL flag', async () => {
    const { document } = await discoverCatalogFromWarehouse(warehouse, { tables: ['every_type'] });
    expect(document).toEqual({
      tables: [
        {
          name: 'every_type',
          columns: [
            { name: 't', type: 'smallint' },
            { name: 's', type: 'smallint' },
            { name: 'i', type: 'integer', nullable: false },
            { name: 'b', type: 'bigint' },
            { name: 'h', type: 'decimal(38,0)' },
            { name: 'd', type: 'decimal(18,4)' },
            { name: 'r', type: 'real' },
            { name: 'f', type: 'real' },
            { name: 'x', type: 'double' },
            { name: 'v', type: 'text' },
            { name: 'v20', type: 'text' },
            { name: 'ok', type: 'boolean' },
            { name: 'day', type: 'date' },
            { name: 'clock', type: 'time' },
            { name: 'ts', type: 'timestamp' },
            { name: 'ts_tz', type: 'timestamptz' },
            { name: 'doc', type: 'json' },
            { name: 'bytes', type: 'binary' },
          ],
        },
      ],
      schemaChanges: 'evolve',
    });
  });

  it('writes a composite primary key in key order (not column order), leaves out an unmappable column and reports it with a fix', async () => {
    const { document, problems } = await discoverCatalogFromWarehouse(warehouse, { tables: ['ORDER_LINES'] });
    expect(document.tables).toEqual([
      {
        name: 'order_lines',
        primaryKey: ['line_no', 'order_id'],
        columns: [
          { name: 'order_id', type: 'bigint', nullable: false },
          { name: 'line_no', type: 'integer', nullable: false },
          { name: 'amount', type: 'decimal(10,2)' },
        ],
      },
    ]);
    expect(problems.map(describeProblem)).toEqual([
      'order_lines.sku: UUID — the catalog has no type for it; cast it in a view: col::VARCHAR AS col (text)',
    ]);
  });

  it('discovers every table and view but the load ledger, and reports a name the catalog cannot hold', async () => {
    const { document, problems, missingTables } = await discoverCatalogFromWarehouse(warehouse);
    expect(document.tables.map((t) => t.name)).toEqual(['every_type', 'mixed_case', 'order_lines', 'order_skus']);
    expect(document.tables.find((t) => t.name === 'order_skus')?.columns).toEqual([
      { name: 'order_id', type: 'bigint' },
      { name: 'sku', type: 'text' },
    ]);
    expect(problems.map((p) => [p.table, p.column ?? null])).toEqual([
      ['has space', null],
      ['order_lines', 'sku'],
    ]);
    expect(missingTables).toEqual([]);
  });

  it('lists a requested table that does not exist', async () => {
    const { missingTables, document } = await discoverCatalogFromWarehouse(warehouse, {
      tables: ['order_lines', 'nope'],
    });
    expect(missingTables).toEqual(['nope']);
    expect(document.tables.map((t) => t.name)).toEqual(['order_lines']);
  });
});
