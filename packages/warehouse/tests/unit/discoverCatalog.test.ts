import { describe, expect, it } from 'vitest';
import { describeProblem, discoverCatalog } from '../../src/index.js';
import { sourceColumn as col, sourceTable as table } from '../helpers/sourceColumns.js';

describe('Function: discoverCatalog()', () => {
  it('lower-cases Snowflake names, writes nullable only when false, and keeps the key order', () => {
    const result = discoverCatalog('snowflake', [
      table(
        'SHIPMENTS',
        [
          col('SHIPMENT_ID', 'NUMBER', { nullable: false, numericPrecision: 18, numericScale: 0 }),
          col('LINE', 'NUMBER', { nullable: false, numericPrecision: 4, numericScale: 0 }),
          col('AMOUNT', 'NUMBER', { numericPrecision: 18, numericScale: 4 }),
        ],
        ['SHIPMENT_ID', 'LINE'],
      ),
    ]);
    expect(result).toEqual({
      document: {
        tables: [
          {
            name: 'shipments',
            primaryKey: ['shipment_id', 'line'],
            columns: [
              { name: 'shipment_id', type: 'bigint', nullable: false },
              { name: 'line', type: 'bigint', nullable: false },
              { name: 'amount', type: 'decimal(18,4)' },
            ],
          },
        ],
        schemaChanges: 'evolve',
      },
      problems: [],
      missingTables: [],
    });
  });

  it('omits primaryKey for a table without one, and sorts tables by name', () => {
    const { document } = discoverCatalog('duckdb', [
      table('zebra', [col('a', 'INTEGER')]),
      table('Apple', [col('B', 'VARCHAR')]),
    ]);
    expect(document.tables).toEqual([
      { name: 'apple', columns: [{ name: 'b', type: 'text' }] },
      { name: 'zebra', columns: [{ name: 'a', type: 'integer' }] },
    ]);
  });

  it('leaves out an unmappable column and reports its table, column, type and a fix', () => {
    const result = discoverCatalog('snowflake', [
      table('STORES', [col('STORE_ID', 'NUMBER', { numericPrecision: 9, numericScale: 0 }), col('AREA', 'GEOGRAPHY')]),
    ]);
    expect(result.document.tables).toEqual([{ name: 'stores', columns: [{ name: 'store_id', type: 'bigint' }] }]);
    expect(result.problems).toEqual([
      { table: 'stores', column: 'area', sourceType: 'GEOGRAPHY', reason: expect.any(String), fix: expect.any(String) },
    ]);
    expect(describeProblem(result.problems[0] as never)).toMatch(/^stores\.area: GEOGRAPHY — .+; cast it in a view/);
  });

  it('reports names that do not fit the catalog instead of writing them', () => {
    const result = discoverCatalog('snowflake', [
      table('MixedCase', [col('A', 'BOOLEAN')]),
      table('HAS-DASH', [col('A', 'BOOLEAN')]),
      table(`T${'X'.repeat(63)}`, [col('A', 'BOOLEAN')]),
      table('OK', [col('A', 'BOOLEAN'), col('quoted', 'BOOLEAN'), col('1ST', 'BOOLEAN')]),
    ]);
    expect(result.document.tables).toEqual([{ name: 'ok', columns: [{ name: 'a', type: 'boolean' }] }]);
    expect(result.problems.map((p) => [p.table, p.column])).toEqual([
      ['MixedCase', undefined],
      ['HAS-DASH', undefined],
      [`T${'X'.repeat(63)}`, undefined],
      ['ok', 'quoted'],
      ['ok', '1ST'],
    ]);
    expect(result.problems.every((p) => /rename it/.test(p.fix))).toBe(true);
  });

  it('accepts a mixed-case DuckDB name (DuckDB names are case-insensitive)', () => {
    const { document, problems } = discoverCatalog('duckdb', [table('Orders', [col('OrderId', 'BIGINT')])]);
    expect(problems).toEqual([]);
    expect(document.tables[0]).toEqual({ name: 'orders', columns: [{ name: 'orderid', type: 'bigint' }] });
  });

  it('writes no primary key when a key column is left out, and says so', () => {
    const result = discoverCatalog('duckdb', [
      table('events', [col('id', 'UUID', { nullable: false }), col('at', 'TIMESTAMP')], ['id']),
    ]);
    expect(result.document.tables).toEqual([{ name: 'events', columns: [{ name: 'at', type: 'timestamp' }] }]);
    expect(result.problems.map((p) => [p.column, p.reason])).toEqual([
      ['id', expect.stringMatching(/catalog has no type/)],
      ['id', expect.stringMatching(/without a primary key/)],
    ]);
  });

  it('leaves out a table none of whose columns can be written, and says so', () => {
    const result = discoverCatalog('duckdb', [table('shapes', [col('s', 'STRUCT(x INTEGER)')])]);
    expect(result.document.tables).toEqual([]);
    expect(result.problems.map((p) => [p.table, p.column])).toEqual([
      ['shapes', 's'],
      ['shapes', undefined],
    ]);
  });

  it('restricts to the named tables case-insensitively, and lists the names that match none', () => {
    const sources = [table('A', [col('X', 'BOOLEAN')]), table('B', [col('X', 'BOOLEAN')])];
    const result = discoverCatalog('snowflake', sources, { tables: ['b', 'Nope'] });
    expect(result.document.tables.map((t) => t.name)).toEqual(['b']);
    expect(result.missingTables).toEqual(['Nope']);
  });
});
