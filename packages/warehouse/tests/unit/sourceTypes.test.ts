import { describe, expect, it } from 'vitest';
import { mapSourceType, type SourceColumn } from '../../src/index.js';
import { sourceColumn } from '../helpers/sourceColumns.js';

type Row = [label: string, column: SourceColumn, expected: string];

const sf = (dataType: string, overrides: Partial<SourceColumn> = {}) => sourceColumn('c', dataType, overrides);
const number = (p: number, s: number) => sf('NUMBER', { numericPrecision: p, numericScale: s });
const text = (n: number) => sf('TEXT', { characterMaximumLength: n });

const SNOWFLAKE: Row[] = [
  ['NUMBER(18,0)', number(18, 0), 'bigint'],
  ['NUMBER(9,0)', number(9, 0), 'bigint'],
  ['NUMBER(19,0)', number(19, 0), 'decimal(19,0)'],
  ['NUMBER(38,0) (INTEGER)', number(38, 0), 'decimal(38,0)'],
  ['NUMBER(18,4)', number(18, 4), 'decimal(18,4)'],
  ['NUMBER(10,2) written in the type', sf('NUMBER(10,2)'), 'decimal(10,2)'],
  ['FLOAT', sf('FLOAT'), 'double'],
  ['DOUBLE', sf('DOUBLE'), 'double'],
  ['REAL', sf('REAL'), 'double'],
  ['TEXT at the default length', text(16_777_216), 'text'],
  ['VARCHAR(40)', sf('VARCHAR', { characterMaximumLength: 40 }), 'varchar(40)'],
  ['TEXT(255)', text(255), 'varchar(255)'],
  ['BOOLEAN', sf('BOOLEAN'), 'boolean'],
  ['DATE', sf('DATE'), 'date'],
  ['TIME', sf('TIME'), 'time'],
  ['TIMESTAMP_NTZ', sf('TIMESTAMP_NTZ'), 'timestamp'],
  ['TIMESTAMP_TZ', sf('TIMESTAMP_TZ'), 'timestamptz'],
  ['TIMESTAMP_LTZ', sf('TIMESTAMP_LTZ'), 'timestamptz'],
  ['VARIANT', sf('VARIANT'), 'json'],
  ['OBJECT', sf('OBJECT'), 'json'],
  ['ARRAY', sf('ARRAY'), 'json'],
  ['BINARY', sf('BINARY', { characterMaximumLength: 8_388_608 }), 'binary'],
];

const DUCKDB: Row[] = [
  ['TINYINT', sf('TINYINT'), 'smallint'],
  ['SMALLINT', sf('SMALLINT'), 'smallint'],
  ['INTEGER', sf('INTEGER'), 'integer'],
  ['BIGINT', sf('BIGINT'), 'bigint'],
  ['HUGEINT', sf('HUGEINT'), 'decimal(38,0)'],
  ['DECIMAL(18,4)', sf('DECIMAL(18,4)', { numericPrecision: 18, numericScale: 4 }), 'decimal(18,4)'],
  ['REAL', sf('REAL'), 'real'],
  ['FLOAT', sf('FLOAT'), 'real'],
  ['DOUBLE', sf('DOUBLE'), 'double'],
  ['VARCHAR', sf('VARCHAR'), 'text'],
  ['BOOLEAN', sf('BOOLEAN'), 'boolean'],
  ['DATE', sf('DATE'), 'date'],
  ['TIME', sf('TIME'), 'time'],
  ['TIMESTAMP', sf('TIMESTAMP'), 'timestamp'],
  ['TIMESTAMP WITH TIME ZONE', sf('TIMESTAMP WITH TIME ZONE'), 'timestamptz'],
  ['JSON', sf('JSON'), 'json'],
  ['BLOB', sf('BLOB'), 'binary'],
];

describe('Function: mapSourceType()', () => {
  it.each(SNOWFLAKE)('maps Snowflake %s', (_label, column, expected) => {
    expect(mapSourceType('snowflake', column)).toEqual({ type: expected });
  });

  it.each(DUCKDB)('maps DuckDB %s', (_label, column, expected) => {
    expect(mapSourceType('duckdb', column)).toEqual({ type: expected });
  });

  it.each([
    ['snowflake', 'GEOGRAPHY', /ST_ASWKT/],
    ['snowflake', 'GEOMETRY', /ST_ASGEOJSON/],
    ['snowflake', 'VECTOR(FLOAT, 256)', /ARRAY/],
    ['snowflake', 'TIMESTAMP', /TIMESTAMP_TYPE_MAPPING/],
    ['duckdb', 'UUID', /VARCHAR/],
    ['duckdb', 'INTEGER[]', /to_json/],
    ['duckdb', 'STRUCT(x INTEGER)', /to_json/],
    ['duckdb', 'MAP(VARCHAR, INTEGER)', /to_json/],
    ['duckdb', 'INTERVAL', /epoch/],
    ['duckdb', 'UBIGINT', /DECIMAL\(20,0\)/],
    ['duckdb', 'TIMESTAMP_NS', /TIMESTAMP/],
    ['duckdb', 'TIME WITH TIME ZONE', /TIME/],
    ['duckdb', 'NUMBER', /view/],
    ['snowflake', 'HUGEINT', /view/],
  ] as const)('refuses %s %s, with a fix, instead of guessing', (dialect, dataType, fix) => {
    const mapping = mapSourceType(dialect, sf(dataType));
    expect(mapping).toEqual({ refused: { reason: expect.any(String), fix: expect.stringMatching(fix) } });
  });

  it('refuses a decimal outside the catalog\u2019s bounds', () => {
    expect(mapSourceType('snowflake', number(38, 39))).toMatchObject({
      refused: { reason: /precision 38 and scale 39/ },
    });
  });
});
