import { instacartCatalog } from '@insightflow/shared-config';
import { transformRecords } from '@insightflow/stream-transformer';
import { type Figure, rateFigure, type Suite, timed } from './harness.js';

/**
 * Transformer records/s on a full 6 MB Firehose batch (valid, duplicate and broken records
 * mixed), against the bare minimum per record: base64-decode, JSON.parse, JSON.stringify,
 * base64-encode, without validation.
 */
export const transformerSuite: Suite = {
  name: 'transformer',
  async run(): Promise<Figure[]> {
    const records: { recordId: string; approximateArrivalTimestamp: number; data: string }[] = [];
    let bytes = 0;
    for (let i = 0; bytes < 5_900_000; i++) {
      const event =
        i % 10 === 7
          ? `{"order_id": ${i}, "broken`
          : JSON.stringify({
              order_id: 4_000_000 + (i % 10 === 3 ? i - 1 : i),
              user_id: (i % 997) + 1,
              eval_set: 'prior',
              order_number: (i % 50) + 1,
              order_dow: i % 7,
              order_hour_of_day: i % 24,
              days_since_prior_order: i % 50 === 0 ? null : i % 31,
              event_time: '2026-11-23T14:05:09Z',
            });
      const record = { recordId: `r${i}`, approximateArrivalTimestamp: 0, data: Buffer.from(event).toString('base64') };
      bytes += record.data.length + 60;
      records.push(record);
    }
    const rounds = 5;
    const orders = instacartCatalog().table('orders');
    const ours = await timed(async () => {
      for (let r = 0; r < rounds; r++) transformRecords(orders, records);
    });
    const anchor = await timed(async () => {
      for (let r = 0; r < rounds; r++) {
        for (const record of records) {
          try {
            const value = JSON.parse(Buffer.from(record.data, 'base64').toString('utf8'));
            Buffer.from(`${JSON.stringify(value)}\n`).toString('base64');
          } catch {
            // broken records cost the same either way
          }
        }
      }
    });
    return [
      rateFigure('transformer', `6 MB batch (${records.length} records)`, records.length * rounds, ours.seconds, {
        name: 'decode+parse+encode only',
        rows: records.length * rounds,
        seconds: anchor.seconds,
      }),
    ].map((f) => ({ ...f, unit: 'records/s' }));
  },
};
