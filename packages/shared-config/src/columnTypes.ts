/**
 * The catalog's column types and what each one is in every system InsightFlow writes to: the one
 * table every DDL, COPY and crawler mapping reads ({@link COLUMN_TYPES}).
 */

/** The SQL dialects (and the lake's Parquet/Glue schema) InsightFlow writes types for. */
export const SqlDialect = {
  snowflake: 'snowflake',
  duckdb: 'duckdb',
  postgres: 'postgres',
  glue: 'glue',
} as const;
export type SqlDialect = (typeof SqlDialect)[keyof typeof SqlDialect];

/**
 * Every catalog type → its type per dialect. Parameterised types are written with their
 * parameters' names (`p`, `s`, `n`), which {@link sqlType} fills in.
 */
export const COLUMN_TYPES = {
  boolean: { snowflake: 'BOOLEAN', duckdb: 'BOOLEAN', postgres: 'boolean', glue: 'boolean' },
  smallint: { snowflake: 'NUMBER(5,0)', duckdb: 'SMALLINT', postgres: 'smallint', glue: 'smallint' },
  integer: { snowflake: 'NUMBER(10,0)', duckdb: 'INTEGER', postgres: 'integer', glue: 'int' },
  bigint: { snowflake: 'NUMBER(19,0)', duckdb: 'BIGINT', postgres: 'bigint', glue: 'bigint' },
  'decimal(p,s)': { snowflake: 'NUMBER(p,s)', duckdb: 'DECIMAL(p,s)', postgres: 'numeric(p,s)', glue: 'decimal(p,s)' },
  real: { snowflake: 'FLOAT', duckdb: 'REAL', postgres: 'real', glue: 'float' },
  double: { snowflake: 'FLOAT', duckdb: 'DOUBLE', postgres: 'double precision', glue: 'double' },
  text: { snowflake: 'VARCHAR', duckdb: 'VARCHAR', postgres: 'text', glue: 'string' },
  'varchar(n)': { snowflake: 'VARCHAR(n)', duckdb: 'VARCHAR', postgres: 'varchar(n)', glue: 'varchar(n)' },
  date: { snowflake: 'DATE', duckdb: 'DATE', postgres: 'date', glue: 'date' },
  // Glue and Athena have no time-of-day type; the lake keeps its text form.
  time: { snowflake: 'TIME', duckdb: 'TIME', postgres: 'time', glue: 'string' },
  timestamp: { snowflake: 'TIMESTAMP_NTZ', duckdb: 'TIMESTAMP', postgres: 'timestamp', glue: 'timestamp' },
  timestamptz: { snowflake: 'TIMESTAMP_TZ', duckdb: 'TIMESTAMPTZ', postgres: 'timestamptz', glue: 'timestamp' },
  json: { snowflake: 'VARIANT', duckdb: 'JSON', postgres: 'jsonb', glue: 'string' },
  binary: { snowflake: 'BINARY', duckdb: 'BLOB', postgres: 'bytea', glue: 'binary' },
} as const satisfies Record<string, Record<SqlDialect, string>>;

/** A key of {@link COLUMN_TYPES}: a plain type or a parameterised type's pattern. */
export type ColumnTypePattern = keyof typeof COLUMN_TYPES;

/** The catalog types that take no parameters. */
export const PLAIN_COLUMN_TYPES = [
  'boolean',
  'smallint',
  'integer',
  'bigint',
  'real',
  'double',
  'text',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'json',
  'binary',
] as const satisfies readonly ColumnTypePattern[];
export type PlainColumnType = (typeof PLAIN_COLUMN_TYPES)[number];

/** A catalog column type: a plain one, `decimal(p,s)` or `varchar(n)`. */
export type ColumnType = PlainColumnType | `decimal(${number},${number})` | `varchar(${number})`;

/** The largest decimal precision the catalog accepts (the bound Snowflake, DuckDB and PostgreSQL share). */
export const MAX_DECIMAL_PRECISION = 38;

/** A column type taken apart: its base and parameters. */
export type ParsedColumnType =
  | { base: PlainColumnType }
  | { base: 'decimal'; precision: number; scale: number }
  | { base: 'varchar'; length: number };

/** What a valid type looks like, for error messages. */
export const COLUMN_TYPE_HINT = `one of ${PLAIN_COLUMN_TYPES.join(', ')}, decimal(p,s) with 1 ≤ p ≤ ${MAX_DECIMAL_PRECISION} and 0 ≤ s ≤ p, or varchar(n) with n ≥ 1`;

const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;
const VARCHAR = /^varchar\(\s*(\d+)\s*\)$/;

/** Parses a catalog type; `undefined` when it is not one (see {@link COLUMN_TYPE_HINT}). */
export function parseColumnType(type: string): ParsedColumnType | undefined {
  if ((PLAIN_COLUMN_TYPES as readonly string[]).includes(type)) return { base: type as PlainColumnType };
  const decimal = DECIMAL.exec(type);
  if (decimal) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2]);
    const valid = precision >= 1 && precision <= MAX_DECIMAL_PRECISION && scale <= precision;
    return valid ? { base: 'decimal', precision, scale } : undefined;
  }
  const varchar = VARCHAR.exec(type);
  if (varchar) {
    const length = Number(varchar[1]);
    return length >= 1 ? { base: 'varchar', length } : undefined;
  }
  return undefined;
}

/** True when `type` is a catalog column type. */
export function isColumnType(type: string): type is ColumnType {
  return parseColumnType(type) !== undefined;
}

/** The column's type in `dialect`, from {@link COLUMN_TYPES}. */
export function sqlType(column: { readonly type: string }, dialect: SqlDialect): string {
  const parsed = parseColumnType(column.type);
  if (!parsed) throw new TypeError(`Column type ${JSON.stringify(column.type)} is not ${COLUMN_TYPE_HINT}.`);
  switch (parsed.base) {
    case 'decimal':
      return COLUMN_TYPES['decimal(p,s)'][dialect].replace('(p,s)', `(${parsed.precision},${parsed.scale})`);
    case 'varchar':
      return COLUMN_TYPES['varchar(n)'][dialect].replace('(n)', `(${parsed.length})`);
    default:
      return COLUMN_TYPES[parsed.base][dialect];
  }
}

const DIALECT_TITLES: Record<SqlDialect, string> = {
  snowflake: 'Snowflake',
  duckdb: 'DuckDB',
  postgres: 'PostgreSQL',
  glue: 'Parquet / Glue',
};

/** {@link COLUMN_TYPES} as a Markdown table: one row per catalog type, one column per dialect. */
export function columnTypesMarkdown(): string {
  const dialects = Object.values(SqlDialect);
  const header = `| Catalog type | ${dialects.map((d) => DIALECT_TITLES[d]).join(' | ')} |`;
  const rule = `| --- | ${dialects.map(() => '---').join(' | ')} |`;
  const rows = Object.entries(COLUMN_TYPES).map(
    ([type, byDialect]) => `| \`${type}\` | ${dialects.map((d) => `\`${byDialect[d]}\``).join(' | ')} |`,
  );
  return [header, rule, ...rows].join('\n');
}
