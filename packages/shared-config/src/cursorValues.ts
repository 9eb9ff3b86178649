import { parseColumnType } from './columnTypes.js';
import { InsightFlowError } from './errors.js';

/**
 * Cursor values: the high-water marks of incremental tables, exact.
 *
 * A cursor value is the lake's text form of its column (`rowValues.ts`): an integer's digits, a
 * decimal's digits, `YYYY-MM-DD`, or an ISO 8601 timestamp to the microsecond. Extraction keeps
 * the last committed run's upper bound as that text, and re-reads from it minus the table's lag.
 * Nothing here passes through a JavaScript number or Date: timestamps are counted in BigInt
 * microseconds, dates in days, decimals as scaled BigInts, so a bigint beyond 2^53 or a
 * microsecond is never rounded away.
 */

/** The column types a cursor may have. */
export const CURSOR_TYPES = ['timestamp', 'timestamptz', 'date', 'smallint', 'integer', 'bigint', 'decimal'] as const;
export type CursorBase = (typeof CURSOR_TYPES)[number];

/** How a cursor type is compared and lagged. */
export type CursorKind = 'time' | 'date' | 'integer' | 'decimal';

/** The base of a cursor column's catalog type, or undefined when that type cannot be a cursor. */
export function cursorBase(type: string): CursorBase | undefined {
  const base = parseColumnType(type)?.base;
  return (CURSOR_TYPES as readonly string[]).includes(base ?? '') ? (base as CursorBase) : undefined;
}

/** Whether a cursor of this base compares as a point in time, a day, a whole number or a decimal. */
export function cursorKind(base: CursorBase): CursorKind {
  switch (base) {
    case 'timestamp':
    case 'timestamptz':
      return 'time';
    case 'date':
      return 'date';
    case 'decimal':
      return 'decimal';
    default:
      return 'integer';
  }
}

/** A value that is not its cursor type's lake text, or a lag that does not fit its cursor. */
export class CursorValueError extends InsightFlowError {
  public constructor(message: string) {
    super(message, { kind: 'terminal' });
    this.name = 'CursorValueError';
  }
}

// ── Durations ──────────────────────────────────────────────────────────────────────────────

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const MICROS = { d: 86_400_000_000n, h: 3_600_000_000n, m: 60_000_000n, s: 1_000_000n } as const;

/** A lag for a time cursor: `90s`, `15m`, `2h`, `1d`, `1h30m` (units in that order). */
export function parseDurationMicros(text: string): bigint {
  const m = DURATION.exec(text);
  if (!m || text === '') {
    throw new CursorValueError(
      `${JSON.stringify(text)} is not a duration; write whole days, hours, minutes and seconds in that order, e.g. 90s, 15m, 2h, 1d or 1h30m`,
    );
  }
  const [, d, h, min, s] = m;
  return (
    BigInt(d ?? 0) * MICROS.d + BigInt(h ?? 0) * MICROS.h + BigInt(min ?? 0) * MICROS.m + BigInt(s ?? 0) * MICROS.s
  );
}

/**
 * A table's `lag` as its cursor counts: microseconds for a timestamp, days for a date, the
 * cursor's own units for a number. Throws {@link CursorValueError} saying which form fits.
 */
export function lagAmount(lag: string | number, base: CursorBase): bigint | string {
  const kind = cursorKind(base);
  if (kind === 'time' || kind === 'date') {
    if (typeof lag !== 'string') {
      throw new CursorValueError(
        `a ${base} cursor's lag is a duration such as 2h or 1d, not the number ${lag}; write it as text`,
      );
    }
    const micros = parseDurationMicros(lag);
    if (kind === 'time') return micros;
    if (micros % MICROS.d !== 0n) {
      throw new CursorValueError(`a date cursor's lag is whole days (e.g. 1d or 7d), not ${JSON.stringify(lag)}`);
    }
    return micros / MICROS.d;
  }
  const text = String(lag);
  if (kind === 'integer') {
    if (!/^\d+$/.test(text)) {
      throw new CursorValueError(
        `a ${base} cursor's lag is a whole number ≥ 0 (e.g. 1000), not ${JSON.stringify(lag)}`,
      );
    }
    return BigInt(text);
  }
  if (!/^\d+(\.\d+)?$/.test(text)) {
    throw new CursorValueError(`a decimal cursor's lag is a number ≥ 0 (e.g. 0.5), not ${JSON.stringify(lag)}`);
  }
  return text;
}

// ── Calendar arithmetic in days (proleptic Gregorian; years 1–9999, as the lake holds) ────────

/** Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil, in BigInt). */
function daysFromCivil(year: bigint, month: bigint, day: bigint): bigint {
  const y = month <= 2n ? year - 1n : year;
  const era = (y >= 0n ? y : y - 399n) / 400n;
  const yoe = y - era * 400n;
  const mp = (month + 9n) % 12n;
  const doy = (153n * mp + 2n) / 5n + day - 1n;
  const doe = yoe * 365n + yoe / 4n - yoe / 100n + doy;
  return era * 146_097n + doe - 719_468n;
}

/** The civil date of a day count since 1970-01-01 (H. Hinnant's civil_from_days, in BigInt). */
function civilFromDays(days: bigint): [bigint, bigint, bigint] {
  const z = days + 719_468n;
  const era = (z >= 0n ? z : z - 146_096n) / 146_097n;
  const doe = z - era * 146_097n;
  const yoe = (doe - doe / 1460n + doe / 36_524n - doe / 146_096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const day = doy - (153n * mp + 2n) / 5n + 1n;
  const month = mp < 10n ? mp + 3n : mp - 9n;
  return [month <= 2n ? yoe + era * 400n + 1n : yoe + era * 400n, month, day];
}

const pad = (n: bigint, width: number) => n.toString().padStart(width, '0');

const DATE = /^(\d{4,})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4,})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

function parseDate(text: string): bigint {
  const m = DATE.exec(text);
  if (!m) throw new CursorValueError(`${JSON.stringify(text)} is not a date (YYYY-MM-DD)`);
  return daysFromCivil(BigInt(m[1] as string), BigInt(m[2] as string), BigInt(m[3] as string));
}

function renderDate(days: bigint): string {
  const [y, m, d] = civilFromDays(days);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** Microseconds since 1970-01-01T00:00:00 UTC (a `timestamp`'s local time read as UTC). */
function parseTimestamp(text: string, zoned: boolean): bigint {
  const m = TIMESTAMP.exec(text);
  if (!m) throw new CursorValueError(`${JSON.stringify(text)} is not an ISO 8601 timestamp`);
  const [, y, mo, d, h, mi, s, fraction = '', zone] = m as unknown as string[];
  if (zoned !== (zone !== undefined)) {
    throw new CursorValueError(
      zoned
        ? `${JSON.stringify(text)} lacks the UTC offset a timestamptz cursor value carries`
        : `${JSON.stringify(text)} has a UTC offset, which a timestamp cursor value does not carry`,
    );
  }
  const days = daysFromCivil(BigInt(y as string), BigInt(mo as string), BigInt(d as string));
  const seconds = days * 86_400n + BigInt(h as string) * 3600n + BigInt(mi as string) * 60n + BigInt(s as string);
  let micros = seconds * 1_000_000n + BigInt((fraction as string).padEnd(6, '0'));
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    const offset = BigInt(digits.slice(0, 2)) * 3600n + BigInt(digits.slice(2, 4) || '0') * 60n;
    micros -= sign * offset * 1_000_000n;
  }
  return micros;
}

/** The lake's text of a timestamp: microseconds always, `+00:00` for a timestamptz. */
function renderTimestamp(micros: bigint, zoned: boolean): string {
  const perDay = 86_400_000_000n;
  const days = micros >= 0n ? micros / perDay : -((-micros + perDay - 1n) / perDay);
  const inDay = micros - days * perDay;
  const seconds = inDay / 1_000_000n;
  const fraction = inDay % 1_000_000n;
  const clock = `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}.${pad(fraction, 6)}`;
  return `${renderDate(days)}T${clock}${zoned ? '+00:00' : ''}`;
}

// ── Decimals as scaled BigInts ───────────────────────────────────────────────────────────────

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

function parseScaled(text: string, scale: number): bigint {
  const m = DECIMAL.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new CursorValueError(`${JSON.stringify(text)} is not a number`);
  const [, sign, whole = '', fraction = ''] = m;
  if (fraction.length > scale && /[1-9]/.test(fraction.slice(scale))) {
    throw new CursorValueError(`${JSON.stringify(text)} has more than ${scale} digits after the point`);
  }
  const digits = BigInt(`${whole || '0'}${fraction.slice(0, scale).padEnd(scale, '0')}`);
  return sign === '-' ? -digits : digits;
}

function renderScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

function decimalScale(type: string, ...texts: string[]): number {
  const parsed = parseColumnType(type);
  const declared = parsed?.base === 'decimal' ? parsed.scale : 0;
  return Math.max(declared, ...texts.map((t) => t.split('.')[1]?.length ?? 0));
}

// ── The operations ─────────────────────────────────────────────────────────────────────────

/** A cursor text as one comparable BigInt in its type's units, at `scale` for decimals. */
function ordinal(text: string, type: string, scale: number): bigint {
  const base = cursorBase(type);
  switch (base) {
    case 'timestamp':
    case 'timestamptz':
      return parseTimestamp(text, base === 'timestamptz');
    case 'date':
      return parseDate(text);
    case 'decimal':
      return parseScaled(text, scale);
    case undefined:
      throw new CursorValueError(`type ${type} cannot be a cursor; use one of ${CURSOR_TYPES.join(', ')}`);
    default:
      if (!/^[+-]?\d+$/.test(text.trim())) throw new CursorValueError(`${JSON.stringify(text)} is not a whole number`);
      return BigInt(text.trim());
  }
}

/** Negative, zero or positive as cursor value `a` is before, equal to or after `b` (exact). */
export function compareCursorValues(a: string, b: string, type: string): number {
  const scale = decimalScale(type, a, b);
  const [x, y] = [ordinal(a, type, scale), ordinal(b, type, scale)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * `value` minus the table's lag, as the lake's text of the cursor's type: where an increment
 * re-reads from. Exact to the microsecond and the last digit.
 */
export function subtractLag(value: string, type: string, lag: string | number): string {
  const base = cursorBase(type);
  if (!base) throw new CursorValueError(`type ${type} cannot be a cursor; use one of ${CURSOR_TYPES.join(', ')}`);
  const amount = lagAmount(lag, base);
  switch (base) {
    case 'timestamp':
    case 'timestamptz': {
      const zoned = base === 'timestamptz';
      return renderTimestamp(parseTimestamp(value, zoned) - (amount as bigint), zoned);
    }
    case 'date':
      return renderDate(parseDate(value) - (amount as bigint));
    case 'decimal': {
      const scale = decimalScale(type, value, String(amount));
      return renderScaled(parseScaled(value, scale) - parseScaled(String(amount), scale), scale);
    }
    default:
      return (ordinal(value, type, 0) - (amount as bigint)).toString();
  }
}
