import { getTable } from '@insightflow/shared-config';
import { describe, expect, it } from 'vitest';
import { checkRecord } from '../../src/index.js';

const orders = getTable('orders');

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
