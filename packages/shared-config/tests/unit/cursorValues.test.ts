import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CursorValueError,
  compareCursorValues,
  cursorBase,
  lagAmount,
  parseDurationMicros,
  subtractLag,
} from '../../src/cursorValues.js';

describe('Function: subtractLag()', () => {
  it('subtracts a duration from a timestamp to the microsecond, across days, months and leap years', () => {
    expect(subtractLag('2026-03-01T01:00:00.000001', 'timestamp', '2h')).toBe('2026-02-28T23:00:00.000001');
    expect(subtractLag('2024-03-01T00:00:00.000000', 'timestamp', '1d')).toBe('2024-02-29T00:00:00.000000');
    expect(subtractLag('2000-01-01T00:00:00', 'timestamp', '1s')).toBe('1999-12-31T23:59:59.000000');
    expect(subtractLag('1970-01-01T00:00:00.5', 'timestamp', '1s')).toBe('1969-12-31T23:59:59.500000');
    expect(subtractLag('2038-01-19T03:14:08.000001', 'timestamp', '1h30m')).toBe('2038-01-19T01:44:08.000001');
  });

  it('renders a timestamptz in UTC, whatever offset the high-water mark carried', () => {
    expect(subtractLag('2026-12-03T10:00:00.123456+02:00', 'timestamptz', '15m')).toBe(
      '2026-12-03T07:45:00.123456+00:00',
    );
    expect(subtractLag('2026-12-03T10:00:00.000000-05:30', 'timestamptz', '90s')).toBe(
      '2026-12-03T15:28:30.000000+00:00',
    );
  });

  it('subtracts whole days from a date', () => {
    expect(subtractLag('2026-01-01', 'date', '1d')).toBe('2025-12-31');
    expect(subtractLag('0001-01-08', 'date', '7d')).toBe('0001-01-01');
  });

  it('subtracts exactly from integers beyond 2^53 and from decimals beyond double precision', () => {
    expect(subtractLag('9007199254740993', 'bigint', 1)).toBe('9007199254740992');
    expect(subtractLag('9223372036854775807', 'bigint', '0')).toBe('9223372036854775807');
    expect(subtractLag('12.50', 'decimal(10,2)', 0.5)).toBe('12.00');
    expect(subtractLag('12345678901234567890.000000000000000001', 'decimal(38,18)', '0.000000000000000002')).toBe(
      '12345678901234567889.999999999999999999',
    );
    expect(subtractLag('0.25', 'decimal(4,2)', 1)).toBe('-0.75');
  });

  it('agrees with Date arithmetic on millisecond timestamps (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1, 0, 1) + 86_400_000, max: Date.UTC(9999, 11, 31) }),
        fc.integer({ min: 0, max: 10 * 86_400 }),
        (ms, lagSeconds) => {
          const text = new Date(ms).toISOString().replace('Z', '000');
          const expected = new Date(ms - lagSeconds * 1000).toISOString().replace('Z', '000');
          expect(subtractLag(text, 'timestamp', `${lagSeconds}s`)).toBe(expected);
        },
      ),
    );
  });
});

describe('Function: compareCursorValues()', () => {
  it('orders values of every cursor type exactly', () => {
    expect(compareCursorValues('9007199254740993', '9007199254740992', 'bigint')).toBe(1);
    expect(compareCursorValues('-5', '3', 'integer')).toBe(-1);
    expect(compareCursorValues('1.10', '1.1', 'decimal(5,2)')).toBe(0);
    expect(compareCursorValues('2026-01-01T00:00:00.000001', '2026-01-01T00:00:00', 'timestamp')).toBe(1);
    expect(compareCursorValues('2026-01-01T02:00:00+02:00', '2026-01-01T00:00:00.000000+00:00', 'timestamptz')).toBe(0);
    expect(compareCursorValues('2025-12-31', '2026-01-01', 'date')).toBe(-1);
  });

  it('refuses a value that is not its type’s lake text, naming it', () => {
    expect(() => compareCursorValues('yesterday', '2026-01-01', 'date')).toThrow(/"yesterday" is not a date/);
    expect(() => compareCursorValues('1e3', '1', 'bigint')).toThrow(CursorValueError);
    expect(() => compareCursorValues('2026-01-01T00:00:00', '2026-01-01T00:00:00', 'timestamptz')).toThrow(
      /lacks the UTC offset/,
    );
  });
});

describe('Function: lagAmount()', () => {
  it('reads durations for time cursors, whole days for dates, numbers for numeric cursors', () => {
    expect(parseDurationMicros('1h30m')).toBe(5_400_000_000n);
    expect(lagAmount('2h', 'timestamp')).toBe(7_200_000_000n);
    expect(lagAmount('2d', 'date')).toBe(2n);
    expect(lagAmount(1000, 'bigint')).toBe(1000n);
    expect(lagAmount('0.5', 'decimal')).toBe('0.5');
  });

  it('refuses a lag of the wrong form with the form that fits', () => {
    expect(() => lagAmount(7200, 'timestamp')).toThrow(/duration such as 2h/);
    expect(() => lagAmount('12h', 'date')).toThrow(/whole days/);
    expect(() => lagAmount('2h', 'integer')).toThrow(/whole number/);
    expect(() => lagAmount(-1, 'integer')).toThrow(/whole number ≥ 0/);
    expect(() => lagAmount('2 hours', 'timestamptz')).toThrow(/not a duration/);
    expect(() => lagAmount('', 'timestamptz')).toThrow(/not a duration/);
  });
});

describe('Function: cursorBase()', () => {
  it('accepts the types that grow and refuses the others', () => {
    expect(cursorBase('decimal(18,4)')).toBe('decimal');
    expect(cursorBase('timestamptz')).toBe('timestamptz');
    expect(cursorBase('text')).toBeUndefined();
    expect(cursorBase('double')).toBeUndefined();
  });
});
