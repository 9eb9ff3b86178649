import { setTimeout as sleep } from 'node:timers/promises';
import { FIREHOSE_LIMITS, type OrderEvent } from '@insightflow/shared-config';
import pRetry from 'p-retry';
import type { DeliveryStream } from './deliveryStream.js';
import { OversizedRecordError, UndeliveredEventsError } from './errors.js';

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
  /** Events Firehose accepted. */
  delivered: number;
  /** PutRecordBatch calls made, retries included. */
  calls: number;
  /** Entries sent again after Firehose refused them. */
  resent: number;
  batches: number;
}

/** One event as Firehose receives it: NDJSON, so delivered objects split into lines. */
function encode(event: OrderEvent): Uint8Array {
  const bytes = Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
  if (bytes.length > FIREHOSE_LIMITS.bytesPerRecord) throw new OversizedRecordError(event.order_id, bytes.length);
  return bytes;
}

/** Groups records into PutRecordBatch calls within the count and size limits. */
function* batchesOf(events: Iterable<OrderEvent>): Generator<Uint8Array[]> {
  let batch: Uint8Array[] = [];
  let bytes = 0;
  for (const event of events) {
    const record = encode(event);
    if (batch.length === FIREHOSE_LIMITS.recordsPerCall || bytes + record.length > FIREHOSE_LIMITS.bytesPerCall) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(record);
    bytes += record.length;
  }
  if (batch.length > 0) yield batch;
}

/**
 * Publishes events with PutRecordBatch. A call that succeeds can still refuse some entries:
 * exactly those are sent again, with exponential backoff and jitter, up to `maxAttempts`; then
 * {@link UndeliveredEventsError} counts what was not delivered. Paced to `rate` events/s.
 */
export async function publishEvents(
  stream: DeliveryStream,
  events: Iterable<OrderEvent>,
  options: PublishOptions = {},
): Promise<PublishResult> {
  const maxAttempts = options.maxAttempts ?? 6;
  const result: PublishResult = { delivered: 0, calls: 0, resent: 0, batches: 0 };
  const started = performance.now();
  let offered = 0;

  for (const batch of batchesOf(events)) {
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
          const failed = await stream.putRecordBatch(pending);
          result.delivered += pending.length - failed.length;
          if (failed.length === 0) return;
          lastCodes = {};
          for (const f of failed) lastCodes[f.errorCode] = (lastCodes[f.errorCode] ?? 0) + 1;
          pending = failed.map((f) => pending[f.index] as Uint8Array);
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
