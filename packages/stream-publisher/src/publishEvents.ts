import { setTimeout as sleep } from 'node:timers/promises';
import type { OrderEvent } from '@insightflow/shared-config';
import pRetry from 'p-retry';
import { OversizedRecordError, UndeliveredEventsError } from './errors.js';
import type { EventStream, StreamRecord } from './eventStream.js';

/** How to publish. */
export interface PublishOptions {
  /** Events per second at most; unlimited when absent. */
  rate?: number;
  /** Attempts per batch, the first included, before giving up on its refused entries. */
  maxAttempts?: number;
  /** Backoff between attempts (exponential, with jitter). */
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  onBatch?: (progress: PublishResult) => void;
}

/** What a publish did. */
export interface PublishResult {
  /** Events the stream accepted. */
  delivered: number;
  /** PutRecordBatch (or PutRecords) calls made, retries included. */
  calls: number;
  /** Entries sent again after the stream refused them. */
  resent: number;
  batches: number;
}

/**
 * One event as the stream receives it: NDJSON (so delivered objects split into lines), keyed by
 * its order id (a data stream spreads the orders over its shards by it).
 */
function encode(event: OrderEvent, stream: EventStream): { record: StreamRecord; bytes: number } {
  const data = Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
  const partitionKey = String(event.order_id);
  const bytes = data.length + (stream.limits.partitionKeyCounts ? Buffer.byteLength(partitionKey, 'utf8') : 0);
  if (bytes > stream.limits.bytesPerRecord) {
    throw new OversizedRecordError(event.order_id, bytes, stream.service, stream.limits.bytesPerRecord);
  }
  return { record: { data, partitionKey }, bytes };
}

/** Groups records into calls within the stream's count and size limits. */
function* batchesOf(events: Iterable<OrderEvent>, stream: EventStream): Generator<StreamRecord[]> {
  const { recordsPerCall, bytesPerCall } = stream.limits;
  let batch: StreamRecord[] = [];
  let batchBytes = 0;
  for (const event of events) {
    const { record, bytes } = encode(event, stream);
    if (batch.length === recordsPerCall || batchBytes + bytes > bytesPerCall) {
      yield batch;
      batch = [];
      batchBytes = 0;
    }
    batch.push(record);
    batchBytes += bytes;
  }
  if (batch.length > 0) yield batch;
}

/**
 * Publishes events in batches (PutRecordBatch to Firehose, PutRecords to a data stream). A call
 * that succeeds can still refuse some entries:
 * exactly those are sent again, with exponential backoff and jitter, up to `maxAttempts`; then
 * {@link UndeliveredEventsError} counts what was not delivered. Paced to `rate` events/s.
 */
export async function publishEvents(
  stream: EventStream,
  events: Iterable<OrderEvent>,
  options: PublishOptions = {},
): Promise<PublishResult> {
  const maxAttempts = options.maxAttempts ?? 6;
  const result: PublishResult = { delivered: 0, calls: 0, resent: 0, batches: 0 };
  const started = performance.now();
  let offered = 0;

  for (const batch of batchesOf(events, stream)) {
    if (options.rate) {
      // Send this batch no earlier than its place in a steady stream of `rate` events a second.
      const due = started + (offered / options.rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
    offered += batch.length;
    let pending = batch;
    let lastCodes: Record<string, number> = {};
    try {
      await pRetry(
        async () => {
          result.calls++;
          const failed = await stream.putRecords(pending);
          result.delivered += pending.length - failed.length;
          if (failed.length === 0) return;
          lastCodes = {};
          for (const f of failed) lastCodes[f.errorCode] = (lastCodes[f.errorCode] ?? 0) + 1;
          pending = failed.map((f) => pending[f.index] as StreamRecord);
          result.resent += pending.length;
          throw new Error(`${pending.length} entries refused`);
        },
        {
          retries: maxAttempts - 1,
          factor: 2,
          minTimeout: options.minRetryDelayMs ?? 100,
          maxTimeout: options.maxRetryDelayMs ?? 5_000,
          randomize: true,
        },
      );
    } catch (error) {
      if (pending.length === 0 || Object.keys(lastCodes).length === 0) throw error;
      // Publishing stops at the first batch that cannot be delivered: later events are not sent.
      throw new UndeliveredEventsError(pending.length, offered, maxAttempts, lastCodes);
    }
    result.batches++;
    options.onBatch?.(result);
  }
  return result;
}
