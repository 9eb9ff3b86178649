import {
  type ColumnSpec,
  dialectIdentifier,
  parseColumnType,
  quoteIdentifier,
  type TableSpec,
} from '@insightflow/shared-config';
import type { Warehouse } from './warehouse.js';

/**
 * The query a batch run exports: every catalog column rendered by the warehouse itself as the
 * lake's text form (see `rowValues.ts` in shared-config), so a value never passes through a
 * JavaScript number or Date on its way to the CSV, and both ingest modes (rows streamed through
 * the SDK, or the warehouse's own unload) write the same text:
 * - whole numbers and decimals: their exact digits (bigints beyond 2^53 included);
 * - timestamps: ISO 8601 to the microsecond; `timestamptz` in UTC with its `+00:00` offset
 *   (Snowflake keeps the offset the value was stored with: the instant is the same);
 * - dates `YYYY-MM-DD`, times `HH:MM:SS.ffffff`, binary as hex, JSON as its text.
 * Each column is aliased to its catalog name, quoted, so the header is the catalog's spelling.
 */

type ExportDialect = Warehouse['kind'];

const ISO_DATE_TIME = {
  duckdb: '%Y-%m-%dT%H:%M:%S.%f',
  snowflake: 'YYYY-MM-DD"T"HH24:MI:SS.FF6',
} as const;

/** The SQL expression that renders one column's value as lake text (NULL stays NULL). */
export function exportColumnSql(column: ColumnSpec, dialect: ExportDialect): string {
  const c = dialectIdentifier(column.name, dialect);
  const base = parseColumnType(column.type)?.base;
  if (dialect === 'duckdb') {
    switch (base) {
      case 'timestamp':
        return `strftime(${c}, '${ISO_DATE_TIME.duckdb}')`;
      case 'timestamptz':
        return `strftime(${c} AT TIME ZONE 'UTC', '${ISO_DATE_TIME.duckdb}') || '+00:00'`;
      case 'date':
        return `strftime(${c}, '%Y-%m-%d')`;
      case 'binary':
        return `hex(${c})`;
      case 'text':
      case 'varchar':
        return c;
      default:
        return `CAST(${c} AS VARCHAR)`;
    }
  }
  switch (base) {
    case 'timestamp':
      return `TO_VARCHAR(${c}, '${ISO_DATE_TIME.snowflake}')`;
    case 'timestamptz':
      return `TO_VARCHAR(${c}, '${ISO_DATE_TIME.snowflake}TZH:TZM')`;
    case 'date':
      return `TO_VARCHAR(${c}, 'YYYY-MM-DD')`;
    case 'time':
      return `TO_VARCHAR(${c}, 'HH24:MI:SS.FF6')`;
    case 'binary':
      return `TO_VARCHAR(${c}, 'HEX')`;
    case 'json':
      return `TO_JSON(${c})`;
    case 'text':
    case 'varchar':
      return c;
    default:
      return `TO_VARCHAR(${c})`;
  }
}

/** `SELECT <every column as lake text> FROM <table>`: what a batch run of `table` exports. */
export function exportQuerySql(table: TableSpec, dialect: ExportDialect): string {
  const columns = table.columns.map(
    (column) => `${exportColumnSql(column, dialect)} AS ${quoteIdentifier(column.name)}`,
  );
  return `SELECT ${columns.join(', ')} FROM ${dialectIdentifier(table.name, dialect)}`;
}

/** Columns whose text may hold a comma, quote or line break, or be empty: always quoted in a CSV line. */
function quotedInCsv(column: ColumnSpec): boolean {
  const base = parseColumnType(column.type)?.base;
  return base === 'text' || base === 'varchar' || base === 'json' || base === 'binary';
}

/**
 * `SELECT <one CSV line per row> FROM <table>`: the warehouse itself renders each row as the
 * lake's CSV line (RFC 4180: NULL an empty field; text, JSON and binary always quoted, a quote
 * doubled, so the empty string is `""`), and the stream-mode ingest only joins lines. The same
 * values as {@link exportQuerySql}, without formatting a field in JavaScript.
 */
export function exportLinesSql(table: TableSpec, dialect: ExportDialect): string {
  const fields = table.columns.map((column) => {
    const value = exportColumnSql(column, dialect);
    if (!quotedInCsv(column)) return `COALESCE(${value}, '')`;
    const raw = dialectIdentifier(column.name, dialect);
    return `CASE WHEN ${raw} IS NULL THEN '' ELSE '"' || REPLACE(${value}, '"', '""') || '"' END`;
  });
  return `SELECT ${fields.join(` || ',' || `)} AS ${quoteIdentifier('line')} FROM ${dialectIdentifier(table.name, dialect)}`;
}
