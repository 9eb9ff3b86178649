import { Catalog } from '@insightflow/shared-config';
import { describe, expect, it } from 'vitest';
import {
  currentTableShape,
  heldCatalogType,
  planCatalogTables,
  warehouseTypeKey,
} from '../../src/catalogTableChanges.js';
import { sourceColumn, sourceTable } from '../helpers/sourceColumns.js';

const tableOf = (columns: { name: string; type: string; nullable?: boolean }[]) => {
  const [table] = Catalog.fromDocument({ tables: [{ name: 't', columns }] }, 'a test catalog').tables;
  return table as NonNullable<typeof table>;
};
const rebuild = (t: string) => `rebuild ${t}`;

describe('Function: warehouseTypeKey()', () => {
  it('spells a type as the information schema reports it and as sqlType() writes it alike', () => {
    expect(
      warehouseTypeKey('snowflake', 'NUMBER', { numericPrecision: 5, numericScale: 0, characterMaximumLength: null }),
    ).toBe(warehouseTypeKey('snowflake', 'NUMBER(5,0)'));
    expect(
      warehouseTypeKey('snowflake', 'TEXT', {
        characterMaximumLength: 16_777_216,
        numericPrecision: null,
        numericScale: null,
      }),
    ).toBe(warehouseTypeKey('snowflake', 'VARCHAR'));
    expect(warehouseTypeKey('snowflake', 'REAL')).toBe('FLOAT');
    expect(warehouseTypeKey('snowflake', 'INTEGER')).toBe('NUMBER(38,0)');
    expect(warehouseTypeKey('duckdb', 'REAL')).toBe(warehouseTypeKey('duckdb', 'FLOAT'));
    expect(warehouseTypeKey('duckdb', 'TIMESTAMPTZ')).toBe('TIMESTAMP WITH TIME ZONE');
    expect(warehouseTypeKey('duckdb', 'VARCHAR(20)')).toBe('VARCHAR');
    // DuckDB reports binary precisions for integers; only a DECIMAL's are digits.
    expect(
      warehouseTypeKey('duckdb', 'INTEGER', { numericPrecision: 32, numericScale: 0, characterMaximumLength: null }),
    ).toBe('INTEGER');
  });
});

describe('Function: heldCatalogType()', () => {
  it.each([
    ['snowflake', sourceColumn('A', 'NUMBER', { numericPrecision: 5, numericScale: 0 }), 'smallint'],
    ['snowflake', sourceColumn('A', 'NUMBER', { numericPrecision: 18, numericScale: 0 }), 'decimal(18,0)'],
    ['snowflake', sourceColumn('A', 'FLOAT'), 'double'],
    ['snowflake', sourceColumn('A', 'TEXT', { characterMaximumLength: 16_777_216 }), 'text'],
    ['snowflake', sourceColumn('A', 'TEXT', { characterMaximumLength: 30 }), 'varchar(30)'],
    ['snowflake', sourceColumn('A', 'TIMESTAMP_LTZ'), 'timestamptz'],
    ['duckdb', sourceColumn('a', 'VARCHAR'), 'text'],
    ['duckdb', sourceColumn('a', 'TINYINT'), 'smallint'],
    ['duckdb', sourceColumn('a', 'DECIMAL(12,2)', { numericPrecision: 12, numericScale: 2 }), 'decimal(12,2)'],
    ['duckdb', sourceColumn('a', 'UUID'), undefined],
  ] as const)('%s %o holds %s', (dialect, column, type) => {
    expect(heldCatalogType(dialect, column)).toBe(type);
  });
});

describe('Function: planCatalogTables()', () => {
  it('takes a type discover maps to the declared one as no change (Snowflake TIMESTAMP_LTZ, OBJECT; DuckDB TINYINT)', () => {
    const held = sourceTable('T', [sourceColumn('AT', 'TIMESTAMP_LTZ'), sourceColumn('DOC', 'OBJECT')]);
    const declared = tableOf([
      { name: 'at', type: 'timestamptz' },
      { name: 'doc', type: 'json' },
    ]);
    expect(planCatalogTables('snowflake', [held], [declared], 'freeze', rebuild)).toEqual({
      create: [],
      evolve: [],
      refused: [],
    });
    const tiny = sourceTable('t', [sourceColumn('n', 'TINYINT')]);
    expect(
      planCatalogTables('duckdb', [tiny], [tableOf([{ name: 'n', type: 'smallint' }])], 'freeze', rebuild).refused,
    ).toEqual([]);
  });

  it('widens a Snowflake NUMBER(18,0) (which discover calls bigint) to bigint’s NUMBER(19,0) in place', () => {
    const held = sourceTable('T', [sourceColumn('ID', 'NUMBER', { numericPrecision: 18, numericScale: 0 })]);
    const plan = planCatalogTables('snowflake', [held], [tableOf([{ name: 'id', type: 'bigint' }])], 'evolve', rebuild);
    expect(plan.evolve[0]?.applied).toEqual([{ kind: 'widen', column: 'id', from: 'decimal(18,0)', to: 'bigint' }]);
  });

  it('refuses a column of a type the catalog has none for, naming the warehouse’s type', () => {
    const held = sourceTable('t', [sourceColumn('id', 'UUID')]);
    const plan = planCatalogTables('duckdb', [held], [tableOf([{ name: 'id', type: 'text' }])], 'evolve', rebuild);
    expect(plan.refused).toEqual([
      {
        table: 't',
        column: 'id',
        from: 'UUID',
        to: 'text',
        reason: 'no cast keeps every value already loaded',
        fix: 'rebuild t',
      },
    ]);
  });

  it('creates a table the warehouse lacks, matching Snowflake’s upper-case names', () => {
    const other = sourceTable('OTHER', [sourceColumn('X', 'BOOLEAN')]);
    const plan = planCatalogTables(
      'snowflake',
      [other],
      [tableOf([{ name: 'x', type: 'boolean' }])],
      'freeze',
      rebuild,
    );
    expect(plan.create.map((t) => t.name)).toEqual(['t']);
    expect(
      planCatalogTables(
        'snowflake',
        [sourceTable('T', other.columns)],
        [tableOf([{ name: 'x', type: 'boolean' }])],
        'freeze',
        rebuild,
      ).create,
    ).toEqual([]);
  });
});

describe('Function: planCatalogTables() and quoted Snowflake names', () => {
  it('does not take a quoted lower-case Snowflake table or column for the catalog’s (unquoted) one', () => {
    const quoted = sourceTable('t', [sourceColumn('x', 'BOOLEAN')]);
    const declared = tableOf([{ name: 'x', type: 'boolean' }]);
    expect(planCatalogTables('snowflake', [quoted], [declared], 'evolve', rebuild).create.map((t) => t.name)).toEqual([
      't',
    ]);
    const quotedColumn = sourceTable('T', [sourceColumn('X', 'BOOLEAN'), sourceColumn('y', 'BOOLEAN')]);
    expect(planCatalogTables('snowflake', [quotedColumn], [declared], 'evolve', rebuild)).toEqual({
      create: [],
      evolve: [],
      refused: [],
    });
  });
});

describe('Function: currentTableShape() and the DuckDB key', () => {
  const declared = () =>
    Catalog.fromDocument(
      { tables: [{ name: 't', primaryKey: ['id'], columns: [{ name: 'id', type: 'integer', nullable: false }] }] },
      'a keyed catalog',
    ).tables[0] as NonNullable<ReturnType<typeof tableOf>>;

  it('takes the declared key for a DuckDB table without one (the tables load creates), and compares a key a table has', () => {
    const unkeyed = sourceTable('t', [sourceColumn('id', 'INTEGER', { nullable: false })]);
    expect(currentTableShape('duckdb', unkeyed, declared()).primaryKey).toEqual(['id']);
    const keyed = sourceTable(
      't',
      [sourceColumn('id', 'INTEGER', { nullable: false }), sourceColumn('n', 'INTEGER')],
      ['n'],
    );
    expect(planCatalogTables('duckdb', [keyed], [declared()], 'evolve', rebuild).refused).toEqual([
      expect.objectContaining({ column: '(primary key)', from: '(n)', to: '(id)' }),
    ]);
  });
});
