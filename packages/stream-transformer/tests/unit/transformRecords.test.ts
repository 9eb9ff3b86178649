import { Catalog, instacartCatalog } from '@insightflow/shared-config';
import { describe, expect, it } from 'vitest';
import { FIREHOSE_RESPONSE_LIMIT, transformRecords as transformWith } from '../../src/index.js';
import { firehoseEvent, firehoseRecord, orderEvent } from '../helpers/firehoseEvents.js';

const decode = (data: string) => Buffer.from(data, 'base64').toString('utf8');
const ORDERS = instacartCatalog().table('orders');
/** The Instacart `orders` stream's transformation. */
const transformRecords = (records: Parameters<typeof transformWith>[1], maxResponseBytes?: number) =>
  transformWith(ORDERS, records, maxResponseBytes);

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
    [
      'a string that is not a number where a number belongs',
      firehoseRecord(1, orderEvent({ order_dow: 'two' })),
      'order_dow:',
    ],
    ['a boolean where a number belongs', firehoseRecord(1, orderEvent({ order_dow: true })), 'order_dow:'],
    ['a missing event_time', firehoseRecord(1, orderEvent({ event_time: undefined })), 'event_time:'],
    [
      'an event_time with an offset',
      firehoseRecord(1, orderEvent({ event_time: '2026-11-23T14:05:09+01:00' })),
      'event_time:',
    ],
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

  it('keeps a whole number sent as a string a string, as given (the loader reads it as the same value)', () => {
    const { records } = transformRecords([firehoseRecord(1, orderEvent({ order_dow: '2' }))]);
    expect(records[0]?.result).toBe('Ok');
    expect(JSON.parse(decode(records[0]?.data as string)).order_dow).toBe('2');
  });
});

describe('Function: transformRecords() with another catalog', () => {
  const catalog = Catalog.fromDocument(
    {
      tables: [
        {
          name: 'shipments',
          primaryKey: ['shipment_id'],
          columns: [
            { name: 'shipment_id', type: 'bigint', nullable: false },
            { name: 'amount', type: 'decimal(18,4)' },
            { name: 'shipped_at', type: 'timestamptz' },
          ],
        },
        {
          name: 'events',
          columns: [
            { name: 'kind', type: 'text', nullable: false },
            { name: 'body', type: 'json' },
          ],
        },
      ],
      streams: [
        { name: 'shipment_updates', table: 'shipments' },
        { name: 'clicks', table: 'events' },
      ],
    },
    'test catalog',
  );
  const shipments = catalog.table('shipments');
  const events = catalog.table('events');
  const at = '2026-11-23T14:05:09.5Z';

  it("emits the table's columns in catalog order with values as given, and dedupes on its key", () => {
    const { records } = transformWith(shipments, [
      firehoseRecord(1, {
        amount: '12345678901234.1234',
        shipment_id: '9007199254740993',
        shipped_at: '2026-11-23T14:05:00.123456+00:00',
        event_time: at,
        extra: 1,
      }),
      firehoseRecord(2, { shipment_id: 9007199254740991, amount: '1.5', event_time: at }),
      firehoseRecord(3, { shipment_id: '9007199254740993', amount: '1', event_time: at }),
      firehoseRecord(4, { shipment_id: '9007199254740991', event_time: at }),
    ]);
    expect(records.map((r) => r.result)).toEqual(['Ok', 'Ok', 'Dropped', 'Dropped']);
    expect(decode(records[0]?.data as string)).toBe(
      '{"shipment_id":"9007199254740993","amount":"12345678901234.1234","shipped_at":"2026-11-23T14:05:00.123456+00:00"}\n',
    );
    expect(decode(records[1]?.data as string)).toBe(
      '{"shipment_id":9007199254740991,"amount":"1.5","shipped_at":null}\n',
    );
    expect(records[0]?.metadata).toEqual({ partitionKeys: { year: '2026', month: '11', day: '23', hhmm: '1405' } });
  });

  it('refuses a decimal(18,4) sent as a JSON number (a double cannot hold it exactly) and says to send a string', () => {
    const { records, summary } = transformWith(shipments, [
      firehoseRecord(1, { shipment_id: '1', amount: 12345678901234.12, event_time: at }),
    ]);
    expect(records[0]?.result).toBe('ProcessingFailed');
    expect(Object.keys(summary.reasons)[0]).toMatch(/amount.*send it as a string/);
  });

  it.each([
    ['a key beyond 2^53 sent as a JSON number', { shipment_id: 2 ** 53 + 2, event_time: at }, 'shipment_id:'],
    [
      'too many whole digits for decimal(18,4)',
      { shipment_id: 1, amount: '123456789012345.5', event_time: at },
      'amount:',
    ],
    [
      'a timestamptz without its offset',
      { shipment_id: 1, shipped_at: '2026-11-23T14:05:00', event_time: at },
      'shipped_at:',
    ],
    ['a missing key', { amount: '1', event_time: at }, 'shipment_id:'],
  ])('fails %s, naming the column', (_, payload, reason) => {
    const { records, summary } = transformWith(shipments, [firehoseRecord(1, payload)]);
    expect(records[0]?.result).toBe('ProcessingFailed');
    expect(Object.keys(summary.reasons)[0]).toMatch(new RegExp(`^${reason}`));
  });

  it('fails a JSON number beyond a double (JSON.parse reads Infinity, which would be written as null)', () => {
    const measures = Catalog.fromDocument(
      { tables: [{ name: 'm', columns: [{ name: 'v', type: 'double' }] }], streams: [{ name: 's', table: 'm' }] },
      'm',
    ).table('m');
    const { records, summary } = transformWith(measures, [firehoseRecord(1, `{"v":1e400,"event_time":"${at}"}`, true)]);
    expect(records[0]?.result).toBe('ProcessingFailed');
    expect(Object.keys(summary.reasons)).toEqual(['v: v is beyond the range of a JSON number; send it as a string']);
  });

  it('drops nothing on a keyless table, and keeps a json column as JSON', () => {
    const click = { kind: 'click', body: { x: [1, 'a'] }, event_time: at };
    const { records } = transformWith(events, [firehoseRecord(1, click), firehoseRecord(2, click)]);
    expect(records.map((r) => r.result)).toEqual(['Ok', 'Ok']);
    expect(decode(records[1]?.data as string)).toBe('{"kind":"click","body":{"x":[1,"a"]}}\n');
  });

  it('keeps at most 20 distinct failure reasons in the summary, counting the rest together', () => {
    const input = Array.from({ length: 30 }, (_, i) =>
      firehoseRecord(i, { kind: 'k', body: undefined, event_time: `bad-${i}` }),
    );
    const bad = Array.from({ length: 30 }, (_, i) => firehoseRecord(i, { shipment_id: `x${i}`, event_time: at }));
    expect(Object.keys(transformWith(events, input).summary.reasons)).toHaveLength(1);
    const { summary } = transformWith(shipments, bad);
    expect(Object.keys(summary.reasons)).toHaveLength(21);
    expect(summary.reasons['(other reasons)']?.count).toBe(10);
    expect(summary.failed).toBe(30);
  });
});
