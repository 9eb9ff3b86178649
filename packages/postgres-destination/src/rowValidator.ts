import { type ColumnSpec, parseColumnType, type TableSpec } from '@insightflow/shared-config';

/** A parsed CSV field: a string, or null for an unquoted empty field (SQL NULL). */
export type CsvField = string | null;

/** The outcome of validating one record. */
export type RowCheck = { ok: true } | { ok: false; reason: string };

/** Whole-number types, their ranges and the names messages give them. */
const INTEGER_RANGES: Record<string, { range: readonly [bigint, bigint]; label: string }> = {
  smallint: { range: [-32_768n, 32_767n], label: 'int16' },
  integer: { range: [-2_147_483_648n, 2_147_483_647n], label: 'int32' },
  bigint: { range: [-9_223_372_036_854_775_808n, 9_223_372_036_854_775_807n], label: 'int64' },
};
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN = /^(t|f|true|false|y|n|yes|no|on|off|1|0)$/i;

function checkRange(column: ColumnSpec, value: string, n: number): string | undefined {
  if (column.min !== undefined && n < column.min) return `${column.name} is ${value}, below the minimum ${column.min}`;
  if (column.max !== undefined && n > column.max) return `${column.name} is ${value}, above the maximum ${column.max}`;
  return undefined;
}

function checkField(column: ColumnSpec, value: CsvField): string | undefined {
  if (value === null) return column.nullable ? undefined : `${column.name} is empty but may not be NULL`;
  const type = parseColumnType(column.type);
  switch (type?.base) {
    case 'text':
    case 'varchar': {
      if (column.allowed && !column.allowed.includes(value)) {
        return `${column.name} is ${JSON.stringify(value)}, expected one of ${column.allowed.join(', ')}`;
      }
      if (type.base === 'varchar' && [...value].length > type.length) {
        return `${column.name} is ${[...value].length} characters long, longer than ${column.type} allows`;
      }
      return undefined;
    }
    case 'smallint':
    case 'integer':
    case 'bigint': {
      if (!INTEGER.test(value.trim())) return `${column.name} is ${JSON.stringify(value)}, not a whole number`;
      const { range, label } = INTEGER_RANGES[type.base] as { range: readonly [bigint, bigint]; label: string };
      const big = BigInt(value.trim());
      if (big < range[0] || big > range[1]) return `${column.name} is ${value}, outside the ${label} range`;
      return checkRange(column, value, Number(value));
    }
    case 'real':
    case 'double':
    case 'decimal':
      if (!DECIMAL.test(value.trim())) return `${column.name} is ${JSON.stringify(value)}, not a number`;
      return checkRange(column, value, Number(value));
    case 'boolean':
      return BOOLEAN.test(value.trim()) ? undefined : `${column.name} is ${JSON.stringify(value)}, not true or false`;
    default:
      // Dates, times, JSON and binary: PostgreSQL's own input functions judge them.
      return undefined;
  }
}

/**
 * Checks a CSV record against the catalog: column count, NULLs, number formats and ranges, and
 * allowed values — the same rules the PostgreSQL table enforces, stated in words.
 */
export function checkRecord(table: TableSpec, record: readonly CsvField[]): RowCheck {
  if (record.length !== table.columns.length) {
    return { ok: false, reason: `expected ${table.columns.length} fields, found ${record.length}` };
  }
  for (const [i, column] of table.columns.entries()) {
    const problem = checkField(column, record[i] as CsvField);
    if (problem) return { ok: false, reason: problem };
  }
  return { ok: true };
}
