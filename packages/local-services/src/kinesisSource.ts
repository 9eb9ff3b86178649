import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import type { Lake } from '@insightflow/lake';
import { LOCAL_DELIVERY_STATE_PREFIX } from '@insightflow/shared-config';
import { z } from 'zod';

/**
 * The Kinesis source of a local delivery stream: what Firehose does when a data stream feeds it.
 * It reads every shard of the stream (GetShardIterator, then GetRecords), hands records over in
 * batches, and checkpoints in the raw bucket how far each shard has been delivered, so that a
 * restart neither loses nor duplicates a record:
 *
 * 1. before a batch is written, the checkpoint records it as pending (each shard's last sequence
 *    number in it, and the time and random tail its objects are named with);
 * 2. the batch's objects are written;
 * 3. the checkpoint moves each shard's delivered position to the batch's end.
 *
 * A restart that finds a pending batch reads exactly that batch again and writes it under the
 * same keys (the transformation is deterministic, so the objects come out the same), then
 * continues after it. A shard is recognised by its id and first sequence number: kinesalite keeps
 * its streams in memory, so a stream created anew after a restart of the services has new shards,
 * read from their start.
 */

/** Firehose's `kinesisRecordMetadata` of a record read from a data stream. */
export interface KinesisRecordMetadata {
  shardId: string;
  partitionKey: string;
  /** Milliseconds since the epoch. */
  approximateArrivalTimestamp: number;
  sequenceNumber: string;
  subsequenceNumber: number;
}

/** One record read from the stream. */
export interface KinesisSourceRecord {
  data: Buffer;
  /** Milliseconds since the epoch. */
  arrival: number;
  metadata: KinesisRecordMetadata;
  /** Its shard's first sequence number: tells it from a record of a stream created anew. */
  shardStart: string;
}

/** How a batch's objects are named: fixed before they are written, so a replay writes the same keys. */
export interface BatchNaming {
  written: Date;
  random: string;
}

/** Options of {@link startKinesisSource}. */
export interface KinesisSourceOptions {
  client: KinesisClient;
  /** The data stream to read. */
  streamName: string;
  /** The lake of the raw bucket: it holds the checkpoint. */
  lake: Lake;
  /** The delivery stream's name: one checkpoint per delivery stream. */
  deliveryStreamName: string;
  /** Writes one batch (transformation and objects); resolves once its objects are written. */
  deliver(records: KinesisSourceRecord[], naming: BatchNaming): Promise<void>;
  /** Hand a batch over once this many bytes are read. */
  bufferBytes: number;
  /** Hand a batch over once its oldest record was read this long ago. */
  bufferMs: number;
  /** Wait between reads that found nothing new. */
  pollMs?: number;
}

/** A running Kinesis source. */
export interface KinesisSource {
  /** Resolves once everything in the stream when it was called has been delivered. */
  drain(): Promise<void>;
  /** Stops reading (what is read but not delivered is read again by the next start). */
  stop(): Promise<void>;
}

const ShardPositionSchema = z.object({
  /** The shard's first sequence number: tells this shard from one of the same id in a new stream. */
  start: z.string(),
  /** The last sequence number delivered; nothing yet when absent. */
  delivered: z.string().optional(),
});

const CheckpointSchema = z.object({
  version: z.literal(1),
  streamName: z.string(),
  shards: z.record(z.string(), ShardPositionSchema),
  /** A batch whose objects may have been (partly) written, but whose end is not yet checkpointed. */
  pending: z
    .object({
      last: z.record(z.string(), z.string()),
      written: z.iso.datetime(),
      random: z.string(),
    })
    .optional(),
});
type Checkpoint = z.infer<typeof CheckpointSchema>;

/** Records per GetRecords call: small enough that a read never overshoots a batch by much. */
const READ_LIMIT = 1_000;

/** The checkpoint's key in the raw bucket. */
export function kinesisCheckpointKey(deliveryStreamName: string): string {
  return `${LOCAL_DELIVERY_STATE_PREFIX}${deliveryStreamName}.json`;
}

/** Where reading one shard stands. */
interface ShardReader {
  shardId: string;
  start: string;
  /** The next GetRecords iterator; undefined before the first read, null once a closed shard is read to its end. */
  iterator: string | undefined | null;
  /** The last sequence number read (into the buffer, or delivered). */
  readTo: string | undefined;
}

const after = (a: string, b: string) => BigInt(a) > BigInt(b);

function toSourceRecord(shard: Pick<ShardReader, 'shardId' | 'start'>, record: KinesisRecord): KinesisSourceRecord {
  const arrival = record.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
  return {
    data: Buffer.from(record.Data ?? new Uint8Array()),
    arrival,
    shardStart: shard.start,
    metadata: {
      shardId: shard.shardId,
      partitionKey: record.PartitionKey ?? '',
      approximateArrivalTimestamp: arrival,
      sequenceNumber: record.SequenceNumber ?? '',
      // Records are not aggregated (KPL): each is its own sequence number's only record.
      subsequenceNumber: 0,
    },
  };
}

/** Starts reading `streamName` from its checkpoint (or every shard's start), delivering as it goes. */
export async function startKinesisSource(options: KinesisSourceOptions): Promise<KinesisSource> {
  const { client, streamName } = options;
  const { lake } = options;
  const checkpointKey = kinesisCheckpointKey(options.deliveryStreamName);
  const pollMs = options.pollMs ?? 100;
  let checkpoint: Checkpoint = (await lake.getJsonIfExists(checkpointKey, CheckpointSchema)) ?? {
    version: 1,
    streamName,
    shards: {},
  };
  const readers = new Map<string, ShardReader>();
  let buffer: KinesisSourceRecord[] = [];
  let bufferedBytes = 0;
  /** A batch taken from the buffer and not yet delivered: retried as it is, under the same names. */
  let inFlight: { records: KinesisSourceRecord[]; naming: BatchNaming } | undefined;
  let oldestReadAt = 0;
  let stopped = false;
  let failure: unknown;
  /** Drains waiting for a caught-up pass that began after they were asked for. */
  let waiters: { afterPass: number; resolve(): void; reject(error: unknown): void }[] = [];
  let pass = 0;

  async function listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListShardsCommand(token ? { NextToken: token } : { StreamName: streamName, MaxResults: 1_000 }),
      );
      shards.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token);
    return shards;
  }

  /** Adds readers for shards not seen yet, each from its checkpointed position (when it is this shard's). */
  async function discoverShards(): Promise<void> {
    for (const shard of await listShards()) {
      const shardId = shard.ShardId as string;
      const start = shard.SequenceNumberRange?.StartingSequenceNumber as string;
      // A known shard, unless the stream was created anew meanwhile (the server restarted).
      if (readers.get(shardId)?.start === start) continue;
      const saved = checkpoint.shards[shardId];
      const delivered = saved?.start === start ? saved.delivered : undefined;
      readers.set(shardId, { shardId, start, iterator: undefined, readTo: delivered });
    }
  }

  async function nextRecords(reader: ShardReader): Promise<{ records: KinesisRecord[]; behind: number }> {
    if (reader.iterator === null) return { records: [], behind: 0 };
    reader.iterator ??= (
      await client.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: reader.shardId,
          ...(reader.readTo
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: reader.readTo }
            : { ShardIteratorType: 'TRIM_HORIZON' }),
        }),
      )
    ).ShardIterator;
    const answer = await client.send(new GetRecordsCommand({ ShardIterator: reader.iterator, Limit: READ_LIMIT }));
    // A closed shard (split or merged) answers without a next iterator once read to its end.
    reader.iterator = answer.NextShardIterator ?? null;
    return { records: answer.Records ?? [], behind: answer.MillisBehindLatest ?? 0 };
  }

  function checkpointWith(changes: Partial<Checkpoint>): Checkpoint {
    const shards: Checkpoint['shards'] = {};
    for (const reader of readers.values()) {
      const saved = checkpoint.shards[reader.shardId];
      shards[reader.shardId] = saved?.start === reader.start ? saved : { start: reader.start };
    }
    const { pending: _, ...rest } = checkpoint;
    return { ...rest, shards, ...changes };
  }

  /** Delivers one batch under the three-step checkpoint protocol. */
  async function deliverBatch(records: KinesisSourceRecord[], naming: BatchNaming): Promise<void> {
    const last: Record<string, string> = {};
    for (const record of records) last[record.metadata.shardId] = record.metadata.sequenceNumber;
    checkpoint = checkpointWith({ pending: { last, written: naming.written.toISOString(), random: naming.random } });
    await lake.putJson(checkpointKey, checkpoint);
    await options.deliver(records, naming);
    const shards = { ...checkpoint.shards };
    for (const [shardId, delivered] of Object.entries(last)) {
      // A record of a stream that was created anew since it was read moves no position of the new one.
      const start = records.find((r) => r.metadata.sequenceNumber === delivered)?.shardStart;
      if (start !== undefined && start === readers.get(shardId)?.start) shards[shardId] = { start, delivered };
    }
    checkpoint = checkpointWith({ shards });
    await lake.putJson(checkpointKey, checkpoint);
  }

  /** Reads a pending batch again, exactly: from each shard's delivered position to the batch's end. */
  async function replayPending(): Promise<void> {
    const pending = checkpoint.pending;
    if (!pending) return;
    const records: KinesisSourceRecord[] = [];
    for (const [shardId, last] of Object.entries(pending.last)) {
      const reader = readers.get(shardId);
      // The shard is gone or is another stream's: what the pending batch held is gone with it.
      if (!reader || checkpoint.shards[shardId]?.start !== reader.start) continue;
      for (;;) {
        const { records: page, behind } = await nextRecords(reader);
        const inBatch = page.filter((r) => !after(r.SequenceNumber as string, last));
        records.push(...inBatch.map((r) => toSourceRecord(reader, r)));
        const reachedEnd = inBatch.length < page.length || inBatch.at(-1)?.SequenceNumber === last;
        if (reachedEnd || (page.length === 0 && behind === 0) || reader.iterator === null) break;
      }
      // Continue after the batch, whatever the last read page held beyond it.
      reader.iterator = undefined;
      reader.readTo = last;
    }
    if (records.length > 0) await deliverBatch(records, { written: new Date(pending.written), random: pending.random });
    else checkpoint = checkpointWith({});
  }

  /** Hands the buffer over in batches of at most `bufferBytes` (at least one record each). */
  async function deliverBuffer(): Promise<void> {
    while (inFlight || buffer.length > 0) {
      if (!inFlight) {
        let bytes = 0;
        let count = 0;
        for (const record of buffer) {
          if (count > 0 && bytes + record.data.length > options.bufferBytes) break;
          bytes += record.data.length;
          count++;
        }
        inFlight = { records: buffer.slice(0, count), naming: { written: new Date(), random: randomUUID() } };
        buffer = buffer.slice(count);
        bufferedBytes -= bytes;
      }
      await deliverBatch(inFlight.records, inFlight.naming);
      inFlight = undefined;
    }
  }

  /** One pass over every shard; true when every shard was caught up. */
  async function readPass(): Promise<{ caughtUp: boolean; got: number }> {
    await discoverShards();
    let caughtUp = true;
    let got = 0;
    for (const reader of readers.values()) {
      const { records, behind } = await nextRecords(reader);
      if (records.length > 0 || behind > 0) caughtUp = false;
      if (records.length === 0) continue;
      if (buffer.length === 0) oldestReadAt = Date.now();
      for (const record of records) {
        const sourceRecord = toSourceRecord(reader, record);
        buffer.push(sourceRecord);
        bufferedBytes += sourceRecord.data.length;
      }
      reader.readTo = records.at(-1)?.SequenceNumber;
      got += records.length;
    }
    return { caughtUp, got };
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      const thisPass = ++pass;
      try {
        const { caughtUp, got } = await readPass();
        const due = buffer.length > 0 && Date.now() - oldestReadAt >= options.bufferMs;
        const draining = caughtUp && waiters.length > 0;
        if (inFlight || bufferedBytes >= options.bufferBytes || due || draining) await deliverBuffer();
        failure = undefined;
        if (caughtUp && buffer.length === 0 && !inFlight) {
          const ready = waiters.filter((w) => w.afterPass < thisPass);
          waiters = waiters.filter((w) => w.afterPass >= thisPass);
          for (const waiter of ready) waiter.resolve();
        }
        if (got === 0 && !stopped) await sleep(pollMs);
      } catch (error) {
        // The stream or the bucket is unreachable: tell the drains, and try again after a pause.
        failure = error;
        // An iterator may have expired meanwhile: the next pass asks for new ones where reading stands.
        for (const reader of readers.values()) if (reader.iterator !== null) reader.iterator = undefined;
        for (const waiter of waiters) waiter.reject(error);
        waiters = [];
        if (!stopped) await sleep(pollMs * 5);
      }
    }
  }

  await discoverShards();
  await replayPending();
  const running = loop();

  return {
    drain() {
      if (stopped) return Promise.reject(new Error(`the Kinesis source of ${streamName} is stopped`));
      return new Promise<void>((resolve, reject) => {
        waiters.push({ afterPass: pass, resolve, reject });
      });
    },
    async stop() {
      stopped = true;
      await running;
      for (const waiter of waiters) waiter.reject(failure ?? new Error(`the Kinesis source of ${streamName} stopped`));
      waiters = [];
    },
  };
}
