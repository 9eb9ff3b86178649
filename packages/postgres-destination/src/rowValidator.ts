import type { ColumnSpec, TableSpec } from '@insightflow/shared-config';

/** A parsed CSV field: a string, or null for an unquoted empty field (SQL NULL). */
export type CsvField = string | null;

/** The outcome of validating one record. */
export type RowCheck = { ok: true } | { ok: false; reason: string };

const LIMITS = {
  int16: [-32_768, 32_767],
  int32: [-2_147_483_648, 2_147_483_647],
} as const;
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function checkField(column: ColumnSpec, value: CsvField): string | undefined {
  if (value === null) return column.nullable ? undefined : `${column.name} is empty but may not be NULL`;
  if (column.type === 'text') {
    if (column.allowed && !column.allowed.includes(value)) {
      return `${column.name} is ${JSON.stringify(value)}, expected one of ${column.allowed.join(', ')}`;
    }
    return undefined;
  }
  let n: number;
  if (column.type === 'float32') {
    if (!DECIMAL.test(value.trim())) return `${column.name} is ${JSON.stringify(value)}, not a number`;
    n = Number(value);
  } else {
    if (!INTEGER.test(value.trim())) return `${column.name} is ${JSON.stringify(value)}, not a whole number`;
    n = Number(value);
    const [lo, hi] = LIMITS[column.type];
    if (n < lo || n > hi) return `${column.name} is ${value}, outside the ${column.type} range`;
  }
  if (column.min !== undefined && n < column.min) return `${column.name} is ${value}, below the minimum ${column.min}`;
  if (column.max !== undefined && n > column.max) return `${column.name} is ${value}, above the maximum ${column.max}`;
  return undefined;
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
