import { describe, expect, it } from 'vitest';
import { FIREHOSE_RESPONSE_LIMIT, transformRecords } from '../../src/index.js';
import { firehoseEvent, firehoseRecord, orderEvent } from '../helpers/firehoseEvents.js';

const decode = (data: string) => Buffer.from(data, 'base64').toString('utf8');

describe('Function: transformRecords()', () => {
  it('emits one orders row per event, columns in table order, without event_time', () => {
    const { records } = transformRecords([firehoseRecord(1, orderEvent({ extra_field: 'x' }))]);
    expect(records[0]?.result).toBe('Ok');
    expect(decode(records[0]?.data as string)).toBe(
      '{"order_id":3500001,"user_id":42,"eval_set":"prior","order_number":5,"order_dow":2,"order_hour_of_day":9,"days_since_prior_order":7}\n',
    );
    expect(records[0]?.metadata).toEqual({ partitionKeys: { year: '2026', month: '11', day: '23', hhmm: '1405' } });
  });

  it("keeps a first order's null days_since_prior_order null (never 0)", () => {
    const { records } = transformRecords([
      firehoseRecord(1, orderEvent({ order_number: 1, days_since_prior_order: null })),
    ]);
    expect(JSON.parse(decode(records[0]?.data as string)).days_since_prior_order).toBeNull();
  });

  it('keeps a value over the 30-day cap out instead of silently capping it', () => {
    const { records, summary } = transformRecords([firehoseRecord(1, orderEvent({ days_since_prior_order: 45 }))]);
    expect(records[0]?.result).toBe('ProcessingFailed');
    expect(Object.keys(summary.reasons)[0]).toMatch(/^days_since_prior_order:/);
  });

  it.each([
    ['bad base64', { recordId: 'r', approximateArrivalTimestamp: 0, data: '%%%not-base64%%%' }, 'data is not base64'],
    ['broken JSON', firehoseRecord(1, '{"order_id": 1,', true), 'data is not JSON'],
    ['a missing field', firehoseRecord(1, orderEvent({ user_id: undefined })), 'user_id:'],
    ['a string where a number belongs', firehoseRecord(1, orderEvent({ order_dow: '2' })), 'order_dow:'],
    ['an unknown eval_set', firehoseRecord(1, orderEvent({ eval_set: 'holdout' })), 'eval_set:'],
    ['a JSON array', firehoseRecord(1, [1, 2, 3]), '(event):'],
  ])('fails %s as ProcessingFailed with its reason, echoing the input', (_, record, reason) => {
    const { records, summary } = transformRecords([record]);
    expect(records).toEqual([{ recordId: record.recordId, result: 'ProcessingFailed', data: record.data }]);
    expect(Object.keys(summary.reasons)[0]).toContain(reason);
  });

  it('transforms a full 6 MB batch of good, duplicate and broken records: every recordId once, in order', () => {
    const input = [];
    const expected = new Map<string, string>();
    let id = 0;
    let bytes = 0;
    while (bytes < FIREHOSE_RESPONSE_LIMIT - 2_000) {
      const kind = id % 10;
      const record =
        kind === 3
          ? firehoseRecord(id, orderEvent({ order_id: 3_500_000 + id - 1, product_name: 'Crème, "brûlée"' })) // duplicate of the previous order
          : kind === 7
            ? firehoseRecord(id, `{"order_id": ${id}, "broken`, true)
            : firehoseRecord(id, orderEvent({ order_id: 3_500_000 + id, user_id: (id % 997) + 1 }));
      expected.set(record.recordId, kind === 3 ? 'Dropped' : kind === 7 ? 'ProcessingFailed' : 'Ok');
      bytes += JSON.stringify(record).length + 1;
      input.push(record);
      id++;
    }
    const event = firehoseEvent(input);
    expect(JSON.stringify(event).length).toBeGreaterThan(5_900_000);

    const { records, summary } = transformRecords(event.records);

    expect(records.map((r) => r.recordId)).toEqual(input.map((r) => r.recordId));
    for (const r of records) expect(r.result, r.recordId).toBe(expected.get(r.recordId));
    expect(summary.ok + summary.dropped + summary.failed).toBe(input.length);
    expect(JSON.stringify({ records }).length).toBeLessThanOrEqual(FIREHOSE_RESPONSE_LIMIT);
    const okIds = records.filter((r) => r.result === 'Ok').map((r) => JSON.parse(decode(r.data)).order_id);
    expect(new Set(okIds).size).toBe(okIds.length);
  });

  it('fails, rather than drops, records that would push the response past the limit', () => {
    const input = Array.from({ length: 50 }, (_, i) => firehoseRecord(i, orderEvent({ order_id: 3_500_000 + i })));
    const { records, summary } = transformRecords(input, 4_000);
    const failed = records.filter((r) => r.result === 'ProcessingFailed');
    expect(failed.length).toBeGreaterThan(0);
    expect(records).toHaveLength(50);
    expect(Object.keys(summary.reasons)).toEqual([expect.stringMatching(/6 MB limit/)]);
    expect(JSON.stringify({ records }).length).toBeLessThanOrEqual(4_000 + 1_000 * failed.length);
  });
});
