import { describe, expect, it } from 'vitest';
import {
  type EventStream,
  type EventStreamLimits,
  OversizedRecordError,
  orderEvents,
  publishEvents,
  type StreamRecord,
} from '../../src/index.js';

/** An in-memory stream with the given limits that accepts everything and keeps each call's records. */
function recordingStream(limits: EventStreamLimits): EventStream & { calls: StreamRecord[][] } {
  const calls: StreamRecord[][] = [];
  return {
    service: 'Test Stream',
    limits,
    calls,
    async putRecords(records) {
      calls.push([...records]);
      return [];
    },
  };
}

const sizeOf = (record: StreamRecord, withKey: boolean) =>
  record.data.length + (withKey ? Buffer.byteLength(record.partitionKey) : 0);

describe('Function: publishEvents()', () => {
  it('keeps every call within the stream’s size limit, counting partition keys where the stream counts them', async () => {
    for (const partitionKeyCounts of [true, false]) {
      const stream = recordingStream({
        recordsPerCall: 500,
        bytesPerCall: 2_000,
        bytesPerRecord: 1_000,
        partitionKeyCounts,
      });
      await publishEvents(stream, orderEvents({ firstOrderId: 1_000_000_001, maxUserId: 9 }, 200, { seed: 1 }));

      const totals = stream.calls.map((call) => call.reduce((n, r) => n + sizeOf(r, partitionKeyCounts), 0));
      expect(Math.max(...totals)).toBeLessThanOrEqual(2_000);
      // Full calls: adding the next call's first record would have passed the limit.
      stream.calls.slice(1).forEach((call, i) => {
        expect((totals[i] as number) + sizeOf(call[0] as StreamRecord, partitionKeyCounts)).toBeGreaterThan(2_000);
      });
      expect(stream.calls.flat().map((r) => r.partitionKey)).toEqual(
        Array.from({ length: 200 }, (_, i) => String(1_000_000_001 + i)),
      );
    }
  });

  it('refuses an event bigger than a record may be, naming the service and its limit', async () => {
    const stream = recordingStream({
      recordsPerCall: 500,
      bytesPerCall: 5_000,
      bytesPerRecord: 100,
      partitionKeyCounts: true,
    });
    const attempt = publishEvents(stream, orderEvents({ firstOrderId: 1, maxUserId: 9 }, 1, { seed: 1 }));
    await expect(attempt).rejects.toBeInstanceOf(OversizedRecordError);
    await expect(attempt).rejects.toThrow(
      /Order event 1 is \d+ bytes; Test Stream accepts at most 100 bytes per record/,
    );
    expect(stream.calls).toEqual([]);
  });
});
