import { WarehouseError } from './errors.js';
import type { SourceTable } from './warehouse.js';

/** The columns both adapters read from `INFORMATION_SCHEMA.COLUMNS`, in this order. */
const COLUMN_FIELDS =
  'table_name, column_name, data_type, is_nullable, character_maximum_length, numeric_precision, numeric_scale';

/** An unquoted Snowflake identifier (a database or schema name from the configuration). */
const UNQUOTED_SNOWFLAKE_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,254}$/;

function snowflakeIdentifier(value: string, setting: string): string {
  if (!UNQUOTED_SNOWFLAKE_IDENTIFIER.test(value)) {
    throw new WarehouseError(
      `${setting}=${JSON.stringify(value)} is not an unquoted Snowflake identifier: use letters, digits, _ and $, starting with a letter or _.`,
    );
  }
  return value.toUpperCase();
}

/**
 * The statements that describe a Snowflake schema. The schema name is a bind value; the database
 * and schema are identifiers in the statement text (binds cannot name objects), so they are
 * checked to be unquoted identifiers first.
 */
export function snowflakeInformationSchemaSql(database: string, schema: string) {
  const db = snowflakeIdentifier(database, 'SNOWFLAKE_DATABASE');
  const sch = snowflakeIdentifier(schema, 'SNOWFLAKE_SCHEMA');
  return {
    columns: {
      sql: `SELECT ${COLUMN_FIELDS} FROM ${db}.INFORMATION_SCHEMA.COLUMNS WHERE table_schema = ? ORDER BY table_name, ordinal_position`,
      binds: [sch],
    },
    primaryKeys: `SHOW PRIMARY KEYS IN SCHEMA ${db}.${sch}`,
  };
}

/**
 * The DuckDB database's own tables and views in `main`, without the adapter's load ledger
 * (`_insightflow_loaded_files`).
 */
export const DUCKDB_COLUMNS_SQL =
  `SELECT ${COLUMN_FIELDS} FROM information_schema.columns ` +
  "WHERE table_catalog = current_database() AND table_schema = 'main' AND table_name <> '_insightflow_loaded_files' " +
  'ORDER BY table_name, ordinal_position';

/** One row per primary-key column, with its 1-based position in the key (as SHOW PRIMARY KEYS gives it). */
export const DUCKDB_PRIMARY_KEYS_SQL =
  'SELECT table_name, unnest(constraint_column_names) AS column_name, ' +
  'generate_subscripts(constraint_column_names, 1) AS key_sequence FROM duckdb_constraints() ' +
  "WHERE database_name = current_database() AND schema_name = 'main' AND constraint_type = 'PRIMARY KEY'";

/** A field of a result row by its name, whichever case the driver gave the column names in. */
function field(row: Record<string, unknown>, name: string): unknown {
  return row[name] ?? row[name.toUpperCase()] ?? null;
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/**
 * Groups information-schema column rows (ordered by table, then ordinal position) and
 * primary-key rows (`table_name`, `column_name`, `key_sequence`) into tables.
 */
export function sourceTablesFrom(
  columnRows: readonly Record<string, unknown>[],
  keyRows: readonly Record<string, unknown>[],
): SourceTable[] {
  const tables = new Map<string, SourceTable>();
  for (const row of columnRows) {
    const name = String(field(row, 'table_name'));
    let table = tables.get(name);
    if (!table) {
      table = { name, columns: [], primaryKey: [] };
      tables.set(name, table);
    }
    table.columns.push({
      name: String(field(row, 'column_name')),
      dataType: String(field(row, 'data_type')),
      nullable: String(field(row, 'is_nullable')).toUpperCase() !== 'NO',
      characterMaximumLength: numberOrNull(field(row, 'character_maximum_length')),
      numericPrecision: numberOrNull(field(row, 'numeric_precision')),
      numericScale: numberOrNull(field(row, 'numeric_scale')),
    });
  }
  const keys = [...keyRows].sort((a, b) => Number(field(a, 'key_sequence')) - Number(field(b, 'key_sequence')));
  for (const row of keys) {
    tables.get(String(field(row, 'table_name')))?.primaryKey.push(String(field(row, 'column_name')));
  }
  return [...tables.values()];
}
