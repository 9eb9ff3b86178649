import { describe, expect, it } from 'vitest';
import {
  type ColumnSpec,
  checkField,
  checkRecord,
  instacartCatalog,
  recordFromJson,
  type TableSpec,
} from '../../src/index.js';

const orders = instacartCatalog().table('orders');

describe('Function: checkRecord()', () => {
  it('accepts a row that fits the catalog, NULL included where the column allows it', () => {
    expect(checkRecord(orders, ['1', '2', 'prior', '1', '0', '23', null])).toEqual({ ok: true });
  });

  it.each([
    [['1', '2', 'later', '1', '0', '23', '5'], /eval_set is "later", expected one of prior, train, test/],
    [['1', '2', 'prior', '1', '7', '23', '5'], /order_dow is 7, above the maximum 6/],
    [['1', '2', 'prior', 'x', '0', '23', '5'], /order_number is "x", not a whole number/],
    [[null, '2', 'prior', '1', '0', '23', '5'], /order_id is empty but may not be NULL/],
    [['1', '2', 'prior', '1', '0', '23'], /expected 7 fields, found 6/],
    [['99999999999', '2', 'prior', '1', '0', '23', '5'], /order_id is 99999999999, outside the int32 range/],
  ])('names the field and the problem: %j', (record, reason) => {
    const check = checkRecord(orders, record);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toMatch(reason);
  });
});

describe('Function: checkField(), every catalog type', () => {
  const column = (type: string, nullable = true) => ({ name: 'c', type, nullable }) as ColumnSpec;
  it.each([
    ['boolean', ['true', 'f', 'YES', '0']],
    ['smallint', ['-32768', '32767']],
    ['bigint', ['9223372036854775807', '-9223372036854775808', '9007199254740993']],
    ['decimal(38,10)', ['1234567890123456789012345678.0123456789', '-0.5', '1e3', '.5']],
    ['decimal(4,2)', ['99.99', '-12.345', '0.00001']],
    ['real', ['0.1', '-3.4028235e+38', 'inf', '-Infinity', 'NaN']],
    ['double', ['5e-324', '1.7976931348623157e+308', 'nan']],
    ['text', ['', '\\N', 'NULL', 'line\r\nbreak', '😀']],
    ['varchar(3)', ['😀😀😀', 'abc', '']],
    ['date', ['1900-02-28', '2000-02-29', '9999-12-31', '0001-01-01']],
    ['time', ['00:00:00', '23:59:59.999999', '24:00:00']],
    ['timestamp', ['1969-07-20T20:17:40.123456', '2099-12-31 23:59:59']],
    [
      'timestamptz',
      [
        '2038-01-19T03:14:08.000001+00:00',
        '2026-03-29 01:30:00-05:30',
        '2026-01-01T00:00:00Z',
        '2026-01-01 00:00:00+02',
      ],
    ],
    ['json', ['{"a":[1,2]}', '"scalar"', '42', 'null', '[]']],
    ['binary', ['', '00ff10', 'DEADBEEF']],
  ])('accepts the lake text of %s', (type, values) => {
    for (const value of values) expect(checkField(column(type), value), `${type} ${value}`).toBeUndefined();
  });

  it.each([
    ['boolean', 'maybe', /not true or false/],
    ['smallint', '32768', /outside the int16 range/],
    ['bigint', '9223372036854775808', /outside the int64 range/],
    ['bigint', '1.5', /not a whole number/],
    ['decimal(4,2)', '123.4', /more whole digits than decimal\(4,2\) holds/],
    ['decimal(4,2)', '1e3', /more whole digits/],
    ['double', '1,5', /not a number/],
    ['text', 'nul \u0000 inside', /NUL character/],
    ['varchar(3)', 'abcd', /4 characters long, longer than varchar\(3\)/],
    ['date', '2026-02-30', /not a date/],
    ['date', '2023-02-29', /not a date/],
    ['date', '26-01-01', /not a date/],
    ['time', '25:00:00', /not a time of day/],
    ['timestamp', '2026-13-01T00:00:00', /not an ISO 8601 timestamp/],
    ['timestamp', '2026-01-01T00:00:00+00:00', /has a UTC offset/],
    ['timestamptz', '2026-01-01T00:00:00', /without its UTC offset/],
    ['timestamptz', 'yesterday', /not an ISO 8601 timestamp/],
    ['json', '{"a":', /not JSON/],
    ['json', '"\\u0000"', /jsonb cannot store/],
    ['binary', 'ABC', /not hex-encoded bytes/],
    ['binary', '\\xDEAD', /not hex-encoded bytes/],
  ])('refuses %s %j, naming the column and the problem', (type, value, reason) => {
    expect(checkField(column(type), value)).toMatch(reason);
  });

  it('keeps NULL apart from the empty string', () => {
    expect(checkField(column('text', false), null)).toMatch(/c is empty but may not be NULL/);
    expect(checkField(column('text', false), '')).toBeUndefined();
  });
});

describe('Function: recordFromJson()', () => {
  const table = {
    name: 't',
    primaryKey: ['id'],
    stage: 't/',
    columns: [
      { name: 'id', type: 'bigint', nullable: false },
      { name: 'doc', type: 'json', nullable: true },
      { name: 'ok', type: 'boolean', nullable: true },
      { name: 'amount', type: 'decimal(38,2)', nullable: true },
    ],
  } as unknown as TableSpec;

  it('turns a streamed JSON object into the table record, in catalog order, missing properties NULL', () => {
    expect(recordFromJson(table, { ok: true, id: '9223372036854775807', doc: { a: [1] }, extra: 1 })).toEqual({
      ok: true,
      record: ['9223372036854775807', '{"a":[1]}', 'true', null],
    });
    expect(recordFromJson(table, { id: 1, amount: 12.5 })).toMatchObject({
      ok: false,
      column: 'amount',
      reason: /send it as a string/,
    });
    expect(recordFromJson(table, { id: 1, doc: null, amount: '12345678901234567890123456789012345.67' })).toEqual({
      ok: true,
      record: ['1', null, null, '12345678901234567890123456789012345.67'],
    });
  });

  it('refuses an integer JSON number beyond 2^53 (JSON.parse already changed it) and says to send a string', () => {
    const parsed = JSON.parse('{"id": 9007199254740993}');
    expect(recordFromJson(table, parsed)).toMatchObject({ ok: false, column: 'id', reason: /send it as a string/ });
  });

  it('refuses what is not a row object, and a value of the wrong JSON kind', () => {
    expect(recordFromJson(table, [1])).toMatchObject({ ok: false, reason: 'not a JSON object of the row' });
    expect(recordFromJson(table, { id: 1, ok: 'yes please' })).toMatchObject({ ok: false, column: 'ok' });
    expect(recordFromJson(table, { id: 1, amount: [1] })).toMatchObject({ ok: false, reason: /JSON array/ });
  });
});
