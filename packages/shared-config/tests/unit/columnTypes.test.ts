import { describe, expect, it } from 'vitest';
import { COLUMN_TYPES, columnTypesMarkdown, PLAIN_COLUMN_TYPES, SqlDialect, sqlType } from '../../src/index.js';

describe('Table: COLUMN_TYPES', () => {
  it('maps every catalog type in every dialect', () => {
    expect(Object.keys(COLUMN_TYPES)).toEqual([
      'boolean',
      'smallint',
      'integer',
      'bigint',
      'decimal(p,s)',
      'real',
      'double',
      'text',
      'varchar(n)',
      'date',
      'time',
      'timestamp',
      'timestamptz',
      'json',
      'binary',
    ]);
    expect(Object.values(SqlDialect)).toEqual(['snowflake', 'duckdb', 'postgres', 'glue']);
    for (const byDialect of Object.values(COLUMN_TYPES))
      expect(Object.keys(byDialect)).toEqual(Object.values(SqlDialect));
  });

  it('renders as the Markdown table the README shows', () => {
    const table = columnTypesMarkdown();
    // Printed so the run shows the table the README carries.
    process.stdout.write(`${table}\n`);
    expect(table).toBe(
      [
        '| Catalog type | Snowflake | DuckDB | PostgreSQL | Parquet / Glue |',
        '| --- | --- | --- | --- | --- |',
        '| `boolean` | `BOOLEAN` | `BOOLEAN` | `boolean` | `boolean` |',
        '| `smallint` | `NUMBER(5,0)` | `SMALLINT` | `smallint` | `smallint` |',
        '| `integer` | `NUMBER(10,0)` | `INTEGER` | `integer` | `int` |',
        '| `bigint` | `NUMBER(19,0)` | `BIGINT` | `bigint` | `bigint` |',
        '| `decimal(p,s)` | `NUMBER(p,s)` | `DECIMAL(p,s)` | `numeric(p,s)` | `decimal(p,s)` |',
        '| `real` | `FLOAT` | `REAL` | `real` | `float` |',
        '| `double` | `FLOAT` | `DOUBLE` | `double precision` | `double` |',
        '| `text` | `VARCHAR` | `VARCHAR` | `text` | `string` |',
        '| `varchar(n)` | `VARCHAR(n)` | `VARCHAR` | `varchar(n)` | `varchar(n)` |',
        '| `date` | `DATE` | `DATE` | `date` | `date` |',
        '| `time` | `TIME` | `TIME` | `time` | `string` |',
        '| `timestamp` | `TIMESTAMP_NTZ` | `TIMESTAMP` | `timestamp` | `timestamp` |',
        '| `timestamptz` | `TIMESTAMP_TZ` | `TIMESTAMPTZ` | `timestamptz` | `timestamp` |',
        '| `json` | `VARIANT` | `JSON` | `jsonb` | `string` |',
        '| `binary` | `BINARY` | `BLOB` | `bytea` | `binary` |',
      ].join('\n'),
    );
  });
});

describe('Function: sqlType()', () => {
  it.each(PLAIN_COLUMN_TYPES)('reads %s from the table in every dialect', (type) => {
    for (const dialect of Object.values(SqlDialect))
      expect(sqlType({ type }, dialect)).toBe(COLUMN_TYPES[type][dialect]);
  });

  it('fills in decimal precision and scale', () => {
    expect(Object.values(SqlDialect).map((d) => sqlType({ type: 'decimal(18,4)' }, d))).toEqual([
      'NUMBER(18,4)',
      'DECIMAL(18,4)',
      'numeric(18,4)',
      'decimal(18,4)',
    ]);
  });

  it('fills in the varchar length where the dialect keeps it', () => {
    expect(Object.values(SqlDialect).map((d) => sqlType({ type: 'varchar(40)' }, d))).toEqual([
      'VARCHAR(40)',
      'VARCHAR',
      'varchar(40)',
      'varchar(40)',
    ]);
  });

  it('refuses a type that is not a catalog type', () => {
    expect(() => sqlType({ type: 'int32' }, 'postgres')).toThrow(/"int32" is not one of boolean/);
  });
});
