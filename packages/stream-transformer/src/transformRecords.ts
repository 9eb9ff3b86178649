import { KinesisFirehoseRecordSchema } from '@aws-lambda-powertools/parser/schemas';
import type { KinesisFireHoseEvent, KinesisFirehoseRecord } from '@aws-lambda-powertools/parser/types';
import { instacartCatalog, OrderEventSchema, type OrderRow, partitionTime } from '@insightflow/shared-config';
import type { FirehoseTransformationResult, FirehoseTransformationResultRecord } from 'aws-lambda';

/** A Firehose data-transformation event (Powertools parser's type); each record's data is base64. */
export type FirehoseTransformationEvent = KinesisFireHoseEvent;
/** One record of a Firehose transformation event, as received (data still base64). */
export type FirehoseInputRecord = KinesisFirehoseRecord;
/** The response Firehose expects: every input recordId exactly once. */
export type FirehoseTransformationResponse = FirehoseTransformationResult;
/** One record of the response, as {@link transformRecords} makes it: always with its data. */
export type FirehoseOutputRecord = FirehoseTransformationResultRecord & { data: string };

/** What a batch's transformation did, for one log line per batch. */
export interface TransformSummary {
  ok: number;
  dropped: number;
  failed: number;
  /** Failures by reason, with the first few record ids of each. */
  reasons: Record<string, { count: number; recordIds: string[] }>;
  responseBytes: number;
}

/** Firehose refuses a response over 6 MB. */
export const FIREHOSE_RESPONSE_LIMIT = 6_000_000;
const EXAMPLES_PER_REASON = 3;
// The demo's order events, whatever catalog is active (the same table OrderEventSchema reads).
const ORDER_COLUMNS = instacartCatalog()
  .table('orders')
  .columns.map((c) => c.name) as (keyof OrderRow)[];

/** The NDJSON line for an order: exactly the `orders` table's columns, in order; null stays null. */
export function orderRowLine(row: OrderRow): string {
  const shaped: Record<string, unknown> = {};
  for (const column of ORDER_COLUMNS) shaped[column] = row[column];
  return `${JSON.stringify(shaped)}\n`;
}

type Decoded = { ok: true; row: OrderRow; eventTime: string } | { ok: false; reason: string };

function decode(record: FirehoseInputRecord): Decoded {
  const base64 = KinesisFirehoseRecordSchema.shape.data.safeParse(record.data);
  if (!base64.success) return { ok: false, reason: 'data is not base64' };
  let value: unknown;
  try {
    value = JSON.parse(base64.data);
  } catch {
    return { ok: false, reason: 'data is not JSON' };
  }
  const event = OrderEventSchema.safeParse(value);
  if (!event.success) {
    const issue = event.error.issues[0];
    const field = issue?.path.join('.') || '(event)';
    return { ok: false, reason: `${field}: ${issue?.message ?? 'invalid'}` };
  }
  const { event_time: eventTime, ...row } = event.data;
  return { ok: true, row, eventTime };
}

/**
 * Transforms one Firehose batch. Every record comes back once: `Ok` with its orders row as one
 * NDJSON line, `Dropped` when its order already appeared earlier in this batch, or
 * `ProcessingFailed` (delivered by Firehose to the error prefix) when it is not a valid order
 * event — or when returning it would push the response past Firehose's 6 MB limit. Never throws
 * because of a record.
 */
export function transformRecords(
  records: readonly FirehoseInputRecord[],
  maxResponseBytes: number = FIREHOSE_RESPONSE_LIMIT,
): { records: FirehoseOutputRecord[]; summary: TransformSummary } {
  const seen = new Set<number>();
  const output: FirehoseOutputRecord[] = [];
  const summary: TransformSummary = { ok: 0, dropped: 0, failed: 0, reasons: {}, responseBytes: 16 };

  const fail = (record: FirehoseInputRecord, reason: string) => {
    summary.failed++;
    const entry = summary.reasons[reason] ?? { count: 0, recordIds: [] };
    summary.reasons[reason] = entry;
    entry.count++;
    if (entry.recordIds.length < EXAMPLES_PER_REASON) entry.recordIds.push(record.recordId);
    return { recordId: record.recordId, result: 'ProcessingFailed' as const, data: record.data };
  };
  // Size of a record in the JSON response, with its punctuation.
  const sizeOf = (r: FirehoseOutputRecord) => JSON.stringify(r).length + 1;

  for (const record of records) {
    const decoded = decode(record);
    let out: FirehoseOutputRecord;
    if (!decoded.ok) {
      out = fail(record, decoded.reason);
    } else if (seen.has(decoded.row.order_id)) {
      summary.dropped++;
      out = { recordId: record.recordId, result: 'Dropped', data: '' };
    } else {
      seen.add(decoded.row.order_id);
      const p = partitionTime(new Date(decoded.eventTime));
      out = {
        recordId: record.recordId,
        result: 'Ok',
        data: Buffer.from(orderRowLine(decoded.row), 'utf8').toString('base64'),
        metadata: { partitionKeys: { year: p.year, month: p.month, day: p.day, hhmm: p.hhmm } },
      };
      summary.ok++;
    }
    if (summary.responseBytes + sizeOf(out) > maxResponseBytes) {
      if (out.result === 'Ok') {
        summary.ok--;
        seen.delete((decoded as { row: OrderRow }).row.order_id);
      } else if (out.result === 'Dropped') summary.dropped--;
      else summary.failed--;
      // Failed records echo their input, so they are never bigger than what came in.
      out = fail(record, 'response would exceed the 6 MB limit (delivered to the error prefix for replay)');
    }
    summary.responseBytes += sizeOf(out);
    output.push(out);
  }
  return { records: output, summary };
}

/**
 * Answers a whole Firehose transformation event with {@link transformRecords}, without logging:
 * what the Lambda handler does minus its log line, for running the transformation in-process
 * (the CLI's local delivery stream).
 */
export async function transformFirehoseEvent(
  event: FirehoseTransformationEvent,
  maxResponseBytes: number = FIREHOSE_RESPONSE_LIMIT,
): Promise<FirehoseTransformationResponse> {
  return { records: transformRecords(event.records, maxResponseBytes).records };
}
