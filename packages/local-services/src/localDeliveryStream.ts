import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Lake } from '@insightflow/lake';
import type { ObjectStore } from '@insightflow/object-store';
import type { Catalog } from '@insightflow/shared-config';
import { FIREHOSE_LIMITS } from '@insightflow/shared-config';
import type { FirehoseTransformationEvent, FirehoseTransformationResponse } from '@insightflow/stream-transformer';
import {
  type BatchNaming,
  type KinesisRecordMetadata,
  type KinesisSource,
  startKinesisSource,
} from './kinesisSource.js';

/**
 * A local Kinesis Data Firehose delivery stream: an HTTP endpoint that accepts PutRecordBatch
 * and PutRecord from @aws-sdk/client-firehose (endpoint override), buffers records by size and
 * time as Firehose does, invokes the transformation function with a correctly shaped event, and
 * writes `Ok` records to the raw bucket under its catalog stream's prefix and `ProcessingFailed`
 * ones under that stream's error prefix, with Firehose's object naming. One delivery stream
 * carries one catalog stream, as on AWS. It can be told to refuse a share of
 * entries, to exercise a publisher's retries.
 *
 * With a Kinesis source (`source`), it reads a data stream instead, as Firehose does when a data
 * stream feeds it: Direct PUT is refused, every record carries `kinesisRecordMetadata`, and how far
 * it has delivered is checkpointed in the raw bucket (see `kinesisSource.ts`).
 */

/** A transformation function's response record. */
type TransformedRecord = FirehoseTransformationResponse['records'][number];

/** The transformation function: the stream-transformer's, locally (its handler, or `transformFirehoseEvent`). */
export type TransformFunction = (event: FirehoseTransformationEvent) => Promise<FirehoseTransformationResponse>;

/** Options of {@link startLocalDeliveryStream}. */
export interface LocalDeliveryStreamOptions {
  /** The catalog stream it carries: where in the lake its objects go. */
  stream: string;
  /** The catalog that stream is one of. */
  catalog: Catalog;
  /** The delivery stream's name: what clients put records to, and the objects' name prefix. */
  streamName: string;
  /** The raw bucket. */
  store: ObjectStore;
  transform: TransformFunction;
  /** Flush when this many bytes are buffered (Firehose: 1–128 MiB; small locally). */
  bufferBytes?: number;
  /** Flush when the oldest buffered record is this old. */
  bufferMs?: number;
  /** Share of entries to refuse with ServiceUnavailableException, 0–1. */
  failShare?: number;
  /** Attempts at the transformation before a batch goes to the error prefix (Firehose: 3 retries). */
  transformAttempts?: number;
  region?: string;
  /** Read this Kinesis data stream (the local Kinesis API server's) instead of accepting Direct PUT. */
  source?: { kinesis: KinesisClient; streamName: string };
}

/** What the delivery stream has done. */
export interface DeliveryStats {
  /** Records put to it (Direct PUT) or read from its data stream. */
  accepted: number;
  refused: number;
  ok: number;
  dropped: number;
  processingFailed: number;
  objects: string[];
  errorObjects: string[];
}

/** A running local delivery stream. */
export interface LocalDeliveryStream {
  endpoint: string;
  stats: DeliveryStats;
  /** Delivers everything buffered now. */
  flush(): Promise<void>;
  /** Flushes, then stops the endpoint. */
  stop(): Promise<void>;
}

interface BufferedRecord {
  recordId: string;
  arrival: number;
  data: Buffer;
  /** Where the record was in its data stream (Kinesis source only). */
  kinesis?: KinesisRecordMetadata;
}

const API = 'Firehose_20150804';
const {
  recordsPerCall: MAX_RECORDS_PER_CALL,
  bytesPerCall: MAX_CALL_BYTES,
  bytesPerRecord: MAX_RECORD_BYTES,
} = FIREHOSE_LIMITS;

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
}

function sendError(response: ServerResponse, type: string, message: string): void {
  sendJson(response, 400, { __type: type, message });
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the delivery stream on a free loopback port. */
export async function startLocalDeliveryStream(options: LocalDeliveryStreamOptions): Promise<LocalDeliveryStream> {
  const lake = new Lake(options.store, options.catalog);
  const bufferBytes = options.bufferBytes ?? 1024 * 1024;
  const bufferMs = options.bufferMs ?? 1_000;
  const failShare = options.failShare ?? 0;
  const attempts = options.transformAttempts ?? 4;
  const region = options.region ?? 'us-east-1';
  const arn = `arn:aws:firehose:${region}:000000000000:deliverystream/${options.streamName}`;
  const sourceArn = options.source
    ? `arn:aws:kinesis:${region}:000000000000:stream/${options.source.streamName}`
    : undefined;
  const stats: DeliveryStats = {
    accepted: 0,
    refused: 0,
    ok: 0,
    dropped: 0,
    processingFailed: 0,
    objects: [],
    errorObjects: [],
  };
  let buffer: BufferedRecord[] = [];
  let buffered = 0;
  let timer: NodeJS.Timeout | undefined;
  // Deliveries run one at a time, in arrival order.
  let delivering: Promise<void> = Promise.resolve();
  let deliveryError: unknown;

  async function deliver(
    records: BufferedRecord[],
    naming: BatchNaming = { written: new Date(), random: randomUUID() },
  ): Promise<void> {
    if (records.length === 0) return;
    const oldest = new Date(Math.min(...records.map((r) => r.arrival)));
    const event: FirehoseTransformationEvent = {
      invocationId: randomUUID(),
      deliveryStreamArn: arn,
      ...(sourceArn ? { sourceKinesisStreamArn: sourceArn } : {}),
      region,
      records: records.map((r) => ({
        recordId: r.recordId,
        approximateArrivalTimestamp: r.arrival,
        data: r.data.toString('base64'),
        ...(r.kinesis ? { kinesisRecordMetadata: r.kinesis } : {}),
      })),
    };
    let results: Map<string, TransformedRecord> | undefined;
    let lastError = '';
    for (let attempt = 1; attempt <= attempts && !results; attempt++) {
      try {
        const response = await options.transform(event);
        const byId = new Map(response.records.map((r) => [r.recordId, r]));
        const complete =
          byId.size === records.length &&
          response.records.length === records.length &&
          records.every((r) => byId.has(r.recordId));
        if (complete) results = byId;
        else lastError = 'the function did not return every recordId exactly once';
      } catch (error) {
        lastError = (error as Error).message;
      }
    }
    const { written, random } = naming;
    const okData: Buffer[] = [];
    const failed: { record: BufferedRecord; code: string; message: string }[] = [];
    for (const record of records) {
      const result = results?.get(record.recordId);
      if (!result) failed.push({ record, code: 'Lambda.FunctionError', message: lastError });
      else if (result.result === 'Ok') okData.push(Buffer.from(result.data ?? '', 'base64'));
      else if (result.result === 'ProcessingFailed')
        failed.push({
          record,
          code: 'Lambda.ProcessingFailedStatus',
          message: 'ProcessingFailed status set for record',
        });
      else stats.dropped++;
    }
    if (okData.length > 0) {
      const key = lake.streamingObjectKey(options.stream, options.streamName, oldest, written, random);
      await options.store.put(key, Buffer.concat(okData));
      stats.ok += okData.length;
      stats.objects.push(key);
    }
    if (failed.length > 0) {
      const lines = failed.map(
        (f) =>
          `${JSON.stringify({
            attemptsMade: attempts,
            arrivalTimestamp: f.record.arrival,
            errorCode: f.code,
            errorMessage: f.message,
            attemptEndingTimestamp: written.getTime(),
            rawData: f.record.data.toString('base64'),
            lambdaArn: `arn:aws:lambda:${region}:000000000000:function:stream-transformer`,
          })}\n`,
      );
      const key = lake.streamingErrorKey(
        options.stream,
        'processing-failed',
        options.streamName,
        oldest,
        written,
        random,
      );
      await options.store.put(key, lines.join(''));
      stats.processingFailed += failed.length;
      stats.errorObjects.push(key);
    }
  }

  function flushBuffer(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const records = buffer;
    buffer = [];
    buffered = 0;
    delivering = delivering.then(() =>
      deliver(records).catch((error: unknown) => {
        deliveryError = error;
      }),
    );
    return delivering;
  }

  function accept(data: Buffer): string {
    const recordId = randomUUID().replaceAll('-', '');
    buffer.push({ recordId, arrival: Date.now(), data });
    buffered += data.length;
    stats.accepted++;
    if (buffered >= bufferBytes) void flushBuffer();
    else timer ??= setTimeout(() => void flushBuffer(), bufferMs);
    return recordId;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST' || !target.startsWith(`${API}.`)) {
      sendError(response, 'UnknownOperationException', `Unsupported operation ${target || request.method}`);
      return;
    }
    const operation = target.slice(API.length + 1);
    const body = JSON.parse(await readBody(request)) as {
      DeliveryStreamName?: string;
      Records?: { Data?: string }[];
      Record?: { Data?: string };
    };
    if (body.DeliveryStreamName !== options.streamName) {
      sendError(response, 'ResourceNotFoundException', `Delivery stream ${body.DeliveryStreamName} not found.`);
      return;
    }
    if (options.source) {
      // What Firehose answers a put to a delivery stream whose source is a data stream.
      sendError(
        response,
        'InvalidArgumentException',
        `This operation is not permitted on KinesisStreamAsSource delivery stream type: put records to the data stream ${options.source.streamName}.`,
      );
      return;
    }
    if (deliveryError) {
      sendError(response, 'ServiceUnavailableException', `Delivery failed: ${String(deliveryError)}`);
      return;
    }
    if (operation === 'PutRecord') {
      const data = Buffer.from(body.Record?.Data ?? '', 'base64');
      sendJson(response, 200, { RecordId: accept(data), Encrypted: false });
      return;
    }
    if (operation !== 'PutRecordBatch') {
      sendError(response, 'UnknownOperationException', `Unsupported operation ${operation}`);
      return;
    }
    const records = (body.Records ?? []).map((r) => Buffer.from(r.Data ?? '', 'base64'));
    const total = records.reduce((n, r) => n + r.length, 0);
    if (records.length === 0 || records.length > MAX_RECORDS_PER_CALL || total > MAX_CALL_BYTES) {
      sendError(
        response,
        'InvalidArgumentException',
        `PutRecordBatch takes 1–${MAX_RECORDS_PER_CALL} records and at most ${MAX_CALL_BYTES} bytes; got ${records.length} and ${total}.`,
      );
      return;
    }
    let failedCount = 0;
    const responses = records.map((data) => {
      if (data.length > MAX_RECORD_BYTES) {
        failedCount++;
        return { ErrorCode: 'InvalidArgumentException', ErrorMessage: 'Record size exceeds 1000 KiB.' };
      }
      if (failShare > 0 && Math.random() < failShare) {
        failedCount++;
        stats.refused++;
        return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
      }
      return { RecordId: accept(data) };
    });
    sendJson(response, 200, { FailedPutCount: failedCount, Encrypted: false, RequestResponses: responses });
  }

  let source: KinesisSource | undefined;
  if (options.source) {
    source = await startKinesisSource({
      client: options.source.kinesis,
      streamName: options.source.streamName,
      lake,
      deliveryStreamName: options.streamName,
      bufferBytes,
      bufferMs,
      deliver: async (records, naming) => {
        const before = { ...stats, objects: [...stats.objects], errorObjects: [...stats.errorObjects] };
        stats.accepted += records.length;
        const batch = records.map((r) => ({
          recordId: `${r.metadata.shardId}:${r.metadata.sequenceNumber}`,
          arrival: r.arrival,
          data: r.data,
          kinesis: r.metadata,
        }));
        try {
          await deliver(batch, naming);
        } catch (error) {
          // The source delivers this batch again under the same names: count it once, then.
          Object.assign(stats, before);
          throw error;
        }
      },
    });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => sendError(response, 'InternalFailure', String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    stats,
    async flush() {
      await (source ? source.drain() : flushBuffer());
      if (deliveryError) throw deliveryError;
    },
    async stop() {
      // What a Kinesis source has read but not delivered stays in its stream for the next start.
      await (source ? source.stop() : flushBuffer());
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (deliveryError) throw deliveryError;
    },
  };
}
