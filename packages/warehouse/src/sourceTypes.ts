import { type CatalogColumnType, decimalType } from './catalogDocument.js';
import type { SourceColumn, Warehouse } from './warehouse.js';

/** A source type mapped to a catalog type, or refused with the reason and the fix. */
export type TypeMapping = { type: CatalogColumnType } | { refused: { reason: string; fix: string } };

type TypeRule = (column: SourceColumn, args: number[]) => TypeMapping;

/** Snowflake's default (and largest) VARCHAR length: what `TEXT` and `STRING` mean. */
export const SNOWFLAKE_MAX_VARCHAR_LENGTH = 16_777_216;

/** The largest NUMBER precision whose integers all fit a 64-bit bigint. */
const BIGINT_DIGITS = 18;

const mapped = (type: CatalogColumnType): TypeMapping => ({ type });
const always =
  (type: CatalogColumnType): TypeRule =>
  () =>
    mapped(type);
const refused = (reason: string, fix: string): TypeMapping => ({ refused: { reason, fix } });

function decimalOrRefused(precision: number, scale: number, castTo: string): TypeMapping {
  const type = decimalType(precision, scale);
  return type
    ? mapped(type)
    : refused(
        `precision ${precision} and scale ${scale} are outside decimal(1..38, 0..p)`,
        `cast it to ${castTo} in a view`,
      );
}

/** NUMBER(p,s): the information schema's precision and scale, else those written in the type, else Snowflake's default (38,0). */
const snowflakeNumber: TypeRule = (column, args) => {
  const precision = column.numericPrecision ?? args[0] ?? 38;
  const scale = column.numericScale ?? args[1] ?? 0;
  if (scale === 0 && precision <= BIGINT_DIGITS) return mapped('bigint');
  return decimalOrRefused(precision, scale, 'NUMBER(38, s)');
};

const snowflakeText: TypeRule = (column, args) => {
  const length = column.characterMaximumLength ?? args[0] ?? SNOWFLAKE_MAX_VARCHAR_LENGTH;
  return length >= SNOWFLAKE_MAX_VARCHAR_LENGTH ? mapped('text') : mapped(`varchar(${length})`);
};

/** Snowflake's information-schema types (and their synonyms) → catalog types. */
export const SNOWFLAKE_TYPE_MAP: Readonly<Record<string, TypeRule>> = {
  NUMBER: snowflakeNumber,
  DECIMAL: snowflakeNumber,
  NUMERIC: snowflakeNumber,
  FLOAT: always('double'),
  FLOAT4: always('double'),
  FLOAT8: always('double'),
  DOUBLE: always('double'),
  'DOUBLE PRECISION': always('double'),
  REAL: always('double'),
  TEXT: snowflakeText,
  VARCHAR: snowflakeText,
  STRING: snowflakeText,
  BOOLEAN: always('boolean'),
  DATE: always('date'),
  TIME: always('time'),
  TIMESTAMP_NTZ: always('timestamp'),
  TIMESTAMP_TZ: always('timestamptz'),
  TIMESTAMP_LTZ: always('timestamptz'),
  VARIANT: always('json'),
  OBJECT: always('json'),
  ARRAY: always('json'),
  BINARY: always('binary'),
  VARBINARY: always('binary'),
};

/** DuckDB's information-schema types → catalog types. */
export const DUCKDB_TYPE_MAP: Readonly<Record<string, TypeRule>> = {
  TINYINT: always('smallint'),
  SMALLINT: always('smallint'),
  INTEGER: always('integer'),
  BIGINT: always('bigint'),
  HUGEINT: always('decimal(38,0)'),
  DECIMAL: (column, args) =>
    decimalOrRefused(column.numericPrecision ?? args[0] ?? 18, column.numericScale ?? args[1] ?? 3, 'DECIMAL(38, s)'),
  REAL: always('real'),
  FLOAT: always('real'),
  DOUBLE: always('double'),
  VARCHAR: always('text'),
  BOOLEAN: always('boolean'),
  DATE: always('date'),
  TIME: always('time'),
  TIMESTAMP: always('timestamp'),
  'TIMESTAMP WITH TIME ZONE': always('timestamptz'),
  JSON: always('json'),
  BLOB: always('binary'),
};

/** What to cast a type nobody maps to, by dialect and type (a default otherwise). */
const FIXES: Record<Warehouse['kind'], Readonly<Record<string, string>>> = {
  snowflake: {
    GEOGRAPHY: 'cast it in a view, e.g. ST_ASWKT(col) AS col (text) or ST_ASGEOJSON(col) AS col (json)',
    GEOMETRY: 'cast it in a view, e.g. ST_ASWKT(col) AS col (text) or ST_ASGEOJSON(col) AS col (json)',
    VECTOR: 'cast it in a view, e.g. col::ARRAY AS col (json)',
    TIMESTAMP: 'the type depends on TIMESTAMP_TYPE_MAPPING: cast it to TIMESTAMP_NTZ or TIMESTAMP_TZ in a view',
  },
  duckdb: {
    UUID: 'cast it in a view: col::VARCHAR AS col (text)',
    INTERVAL: 'cast it in a view, e.g. epoch(col) AS col_seconds (double) or col::VARCHAR (text)',
    LIST: 'cast it in a view: to_json(col) AS col (json)',
    STRUCT: 'cast it in a view: to_json(col) AS col (json)',
    MAP: 'cast it in a view: to_json(col) AS col (json)',
    UNION: 'cast it in a view: to_json(col) AS col (json)',
    ENUM: 'cast it in a view: col::VARCHAR AS col (text)',
    BIT: 'cast it in a view: col::VARCHAR AS col (text)',
    UTINYINT: 'cast it in a view: col::SMALLINT AS col',
    USMALLINT: 'cast it in a view: col::INTEGER AS col',
    UINTEGER: 'cast it in a view: col::BIGINT AS col',
    UBIGINT: 'cast it in a view: col::DECIMAL(20,0) AS col',
    UHUGEINT: 'cast it in a view: col::DECIMAL(38,0) AS col, if the values fit',
    TIMESTAMP_NS: 'cast it in a view: col::TIMESTAMP AS col (microseconds)',
    TIMESTAMP_MS: 'cast it in a view: col::TIMESTAMP AS col',
    TIMESTAMP_S: 'cast it in a view: col::TIMESTAMP AS col',
    'TIME WITH TIME ZONE': 'cast it in a view: col::TIME AS col (the offset is dropped) or col::VARCHAR (text)',
  },
};

/** `NAME(1,2)` → NAME and [1, 2]; DuckDB's `INTEGER[]` → LIST, `STRUCT(…)` → STRUCT. */
export function parseTypeName(dataType: string): { name: string; args: number[] } {
  const text = dataType.trim().toUpperCase();
  if (text.endsWith(']')) return { name: 'LIST', args: [] };
  const match = /^([A-Z_][A-Z0-9_ ]*?)\s*(?:\((.*)\))?$/s.exec(text);
  if (!match?.[1]) return { name: text, args: [] };
  const args = (match[2] ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => /^\d+$/.test(a))
    .map(Number);
  return { name: match[1], args };
}

/**
 * Maps one source column's type to a catalog type, by the dialect's table. A type the table does
 * not list is refused — with the reason and a fix — never guessed.
 */
export function mapSourceType(dialect: Warehouse['kind'], column: SourceColumn): TypeMapping {
  const { name, args } = parseTypeName(column.dataType);
  const rule = (dialect === 'snowflake' ? SNOWFLAKE_TYPE_MAP : DUCKDB_TYPE_MAP)[name];
  if (rule) return rule(column, args);
  const fix =
    FIXES[dialect][name] ??
    'cast it in a view to a type the catalog has (text, json, a number or a timestamp) and discover the view';
  return refused('the catalog has no type for it', fix);
}
