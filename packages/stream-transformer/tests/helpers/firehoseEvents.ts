import type { OrderEvent } from '@insightflow/shared-config';
import type { FirehoseInputRecord } from '../../src/index.js';

/** A valid order event; override any field. */
export function orderEvent(
  overrides: Partial<Record<keyof OrderEvent, unknown>> & Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    order_id: 3_500_001,
    user_id: 42,
    eval_set: 'prior',
    order_number: 5,
    order_dow: 2,
    order_hour_of_day: 9,
    days_since_prior_order: 7,
    event_time: '2026-11-23T14:05:09Z',
    ...overrides,
  };
}

/** A Firehose input record carrying `payload` (JSON-encoded unless already a string). */
export function firehoseRecord(id: number, payload: unknown, raw = false): FirehoseInputRecord {
  const text = raw ? String(payload) : JSON.stringify(payload);
  return {
    recordId: `record-${String(id).padStart(8, '0')}`,
    approximateArrivalTimestamp: Date.UTC(2026, 10, 23, 14, 5),
    data: Buffer.from(text, 'utf8').toString('base64'),
  };
}

/** A full Firehose transformation event around `records`. */
export function firehoseEvent(records: FirehoseInputRecord[]) {
  return {
    invocationId: 'invocation-1',
    deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/insightflow-dev-orders',
    region: 'us-east-1',
    records,
  };
}
