import type { ColumnSpec, TableSpec } from './catalogSchema.js';
import { parseColumnType } from './columnTypes.js';

/**
 * A row's values in the lake's text form, and the checks every layer applies to them.
 *
 * The lake's CSV holds each value as text: NULL is an unquoted empty field, the empty string is
 * `""`, integers and decimals are their exact digits, booleans `true`/`false`, dates
 * `YYYY-MM-DD`, times `HH:MM:SS[.ffffff]`, timestamps ISO 8601 to the microsecond (`timestamptz`
 * with its UTC offset), JSON its text and binary upper- or lower-case hex without a prefix
 * (Snowflake's default `BINARY_FORMAT`). {@link checkRecord} holds a record to that form, so a
 * bad value is a rejected row with its column named, never a failed load.
 */

/** A parsed CSV field: a string, or null for an unquoted empty field (SQL NULL). */
export type CsvField = string | null;

/** The outcome of validating one record. */
export type RowCheck = { ok: true } | { ok: false; reason: string; column?: string };

/** Whole-number types, their ranges and the names messages give them. */
const INTEGER_RANGES: Record<string, { range: readonly [bigint, bigint]; label: string }> = {
  smallint: { range: [-32_768n, 32_767n], label: 'int16' },
  integer: { range: [-2_147_483_648n, 2_147_483_647n], label: 'int32' },
  bigint: { range: [-9_223_372_036_854_775_808n, 9_223_372_036_854_775_807n], label: 'int64' },
};
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL_FLOAT = /^[+-]?(inf|infinity|nan)$/i;
const BOOLEAN = /^(t|f|true|false|y|n|yes|no|on|off|1|0)$/i;
const DATE = /^(\d{4,})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?$/;
const TIMESTAMP = /^(\d{4,}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

function isCalendarDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
  return day <= days;
}

function isTimeOfDay(value: string): boolean {
  const m = TIME.exec(value);
  if (!m) return false;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // 24:00:00 is a valid end of day in SQL's TIME.
  return (h < 24 && min < 60 && s < 60) || (h === 24 && min === 0 && s === 0 && !m[4]?.match(/[1-9]/));
}

function checkRange(column: ColumnSpec, value: string, n: number): string | undefined {
  if (column.min !== undefined && n < column.min) return `${column.name} is ${value}, below the minimum ${column.min}`;
  if (column.max !== undefined && n > column.max) return `${column.name} is ${value}, above the maximum ${column.max}`;
  return undefined;
}

/** True when the number's whole part has at most `precision - scale` digits (extra fraction digits round). */
function decimalFits(value: string, precision: number, scale: number): boolean {
  const [mantissa = '', exponent = '0'] = value.replace(/^[+-]/, '').split(/[eE]/);
  const [whole = '', fraction = ''] = mantissa.split('.');
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return true;
  // Position of the decimal point after the first significant digit's place, shifted by the exponent.
  const leadingZeros = `${whole}${fraction}`.length - `${whole}${fraction}`.replace(/^0+/, '').length;
  const wholeDigits = whole.length - leadingZeros + Number(exponent);
  return wholeDigits <= precision - scale;
}

/** What is wrong with one value of `column`, or undefined when it is valid. */
export function checkField(column: ColumnSpec, value: CsvField): string | undefined {
  if (value === null) return column.nullable ? undefined : `${column.name} is empty but may not be NULL`;
  const type = parseColumnType(column.type);
  const shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  switch (type?.base) {
    case 'text':
    case 'varchar': {
      if (value.includes('\u0000')) return `${column.name} contains a NUL character, which PostgreSQL text cannot hold`;
      if (column.allowed && !column.allowed.includes(value)) {
        return `${column.name} is ${shown}, expected one of ${column.allowed.join(', ')}`;
      }
      if (type.base === 'varchar' && [...value].length > type.length) {
        return `${column.name} is ${[...value].length} characters long, longer than ${column.type} allows`;
      }
      return undefined;
    }
    case 'smallint':
    case 'integer':
    case 'bigint': {
      const trimmed = value.trim();
      if (!INTEGER.test(trimmed)) return `${column.name} is ${shown}, not a whole number`;
      const { range, label } = INTEGER_RANGES[type.base] as { range: readonly [bigint, bigint]; label: string };
      const big = BigInt(trimmed);
      if (big < range[0] || big > range[1]) return `${column.name} is ${value}, outside the ${label} range`;
      return checkRange(column, value, Number(trimmed));
    }
    case 'decimal': {
      const trimmed = value.trim();
      if (!DECIMAL.test(trimmed)) return `${column.name} is ${shown}, not a number`;
      if (!decimalFits(trimmed, type.precision, type.scale)) {
        return `${column.name} is ${value}, more whole digits than ${column.type} holds`;
      }
      return checkRange(column, value, Number(trimmed));
    }
    case 'real':
    case 'double': {
      const trimmed = value.trim();
      if (SPECIAL_FLOAT.test(trimmed)) return undefined;
      if (!DECIMAL.test(trimmed)) return `${column.name} is ${shown}, not a number`;
      return checkRange(column, value, Number(trimmed));
    }
    case 'boolean':
      return BOOLEAN.test(value.trim()) ? undefined : `${column.name} is ${shown}, not true or false`;
    case 'date':
      return isCalendarDate(value) ? undefined : `${column.name} is ${shown}, not a date (YYYY-MM-DD)`;
    case 'time':
      return isTimeOfDay(value) ? undefined : `${column.name} is ${shown}, not a time of day (HH:MM:SS[.ffffff])`;
    case 'timestamp':
    case 'timestamptz': {
      const m = TIMESTAMP.exec(value);
      const zoned = type.base === 'timestamptz';
      const example = zoned ? '2026-11-23T14:05:00.123456+00:00' : '2026-11-23T14:05:00.123456';
      if (!m || !isCalendarDate(m[1] as string) || !isTimeOfDay(m[2] as string)) {
        return `${column.name} is ${shown}, not an ISO 8601 timestamp such as ${example}`;
      }
      if (zoned && !m[3]) return `${column.name} is ${shown}, a timestamp without its UTC offset (such as ${example})`;
      if (!zoned && m[3])
        return `${column.name} is ${shown}, which has a UTC offset; a timestamp column holds local times`;
      return undefined;
    }
    case 'json': {
      try {
        JSON.parse(value);
      } catch {
        return `${column.name} is ${shown}, not JSON`;
      }
      // PostgreSQL's jsonb refuses the NUL escape.
      return /\\u0000/.test(value) ? `${column.name} holds \\u0000, which PostgreSQL's jsonb cannot store` : undefined;
    }
    case 'binary':
      return HEX.test(value)
        ? undefined
        : `${column.name} is ${shown}, not hex-encoded bytes (an even number of 0-9, A-F)`;
    default:
      return `${column.name} has type ${column.type}, which this version does not know`;
  }
}

/**
 * Checks a record against the catalog: field count, NULLs, every type's text form, ranges and
 * allowed values — the rules the PostgreSQL table enforces, stated in words, so a bad value is
 * reported with its column before it can fail a COPY.
 */
export function checkRecord(table: TableSpec, record: readonly CsvField[]): RowCheck {
  if (record.length !== table.columns.length) {
    return { ok: false, reason: `expected ${table.columns.length} fields, found ${record.length}` };
  }
  for (const [i, column] of table.columns.entries()) {
    const problem = checkField(column, record[i] as CsvField);
    if (problem) return { ok: false, reason: problem, column: column.name };
  }
  return { ok: true };
}

/** A JSON value of one column turned into its lake text, or the reason it cannot be. */
function fieldFromJson(column: ColumnSpec, value: unknown): { field: CsvField } | { reason: string } {
  if (value === null || value === undefined) return { field: null };
  const base = parseColumnType(column.type)?.base;
  if (base === 'json') return { field: JSON.stringify(value) };
  switch (typeof value) {
    case 'string':
      return { field: value };
    case 'boolean':
      return base === 'boolean'
        ? { field: String(value) }
        : { reason: `${column.name} is a boolean, not ${column.type}` };
    case 'number': {
      if (base === 'smallint' || base === 'integer' || base === 'bigint') {
        // JSON.parse already rounded an integer beyond 2^53: refuse it rather than store another number.
        if (!Number.isSafeInteger(value)) {
          return { reason: `${column.name} is ${value}, beyond 2^53 as a JSON number; send it as a string` };
        }
        return { field: String(value) };
      }
      if (base === 'decimal') {
        // A JSON number is a double: past 15 digits JSON.parse may already have changed it.
        const type = parseColumnType(column.type) as { precision: number };
        if (type.precision > 15) {
          return {
            reason: `${column.name} is a JSON number, which cannot hold ${column.type} exactly; send it as a string`,
          };
        }
        return { field: String(value) };
      }
      if (base === 'real' || base === 'double') return { field: String(value) };
      return { reason: `${column.name} is a number, not ${column.type}` };
    }
    default:
      return {
        reason: `${column.name} is a JSON ${Array.isArray(value) ? 'array' : typeof value}, not ${column.type}`,
      };
  }
}

/**
 * Turns one JSON object (a streamed record) into the table's record, in catalog column order,
 * then checks it with {@link checkRecord}. Unknown properties are ignored; a missing one is NULL.
 */
export function recordFromJson(
  table: TableSpec,
  value: unknown,
): { ok: true; record: CsvField[] } | { ok: false; reason: string; column?: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'not a JSON object of the row' };
  }
  const row = value as Record<string, unknown>;
  const record: CsvField[] = [];
  for (const column of table.columns) {
    const converted = fieldFromJson(column, row[column.name]);
    if ('reason' in converted) return { ok: false, reason: converted.reason, column: column.name };
    record.push(converted.field);
  }
  const check = checkRecord(table, record);
  return check.ok ? { ok: true, record } : check;
}
