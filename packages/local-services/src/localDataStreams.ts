import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { LOCAL_DEFAULTS } from '@insightflow/shared-config';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { LocalServiceError } from './errors.js';

/** Credentials for the local Kinesis API server: kinesalite checks that a request is signed, not by whom. */
export const LOCAL_KINESIS_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** Shards of a local data stream: more than one, so that reading every shard is exercised. */
export const LOCAL_SHARD_COUNT = 2;

/**
 * A Kinesis client for the local Kinesis API server. The client speaks HTTP/2 by default, which
 * kinesalite does not: it gets the HTTP/1.1 handler.
 */
export function localKinesisClient(endpoint: string, region: string = LOCAL_DEFAULTS.region): KinesisClient {
  return new KinesisClient({
    region,
    endpoint,
    credentials: LOCAL_KINESIS_CREDENTIALS,
    requestHandler: new NodeHttpHandler(),
  });
}

/** How long a new stream may stay CREATING, and how often to look. */
const ACTIVE_WITHIN_MS = 30_000;
const ACTIVE_POLL_MS = 25;

/**
 * Creates the data stream when it does not exist yet (with {@link LOCAL_SHARD_COUNT} shards) and
 * waits until it is ACTIVE. On AWS the streaming stack creates it (on demand, encrypted). The
 * SDK's waiter would look once a second at most; kinesalite activates a stream at once.
 */
export async function ensureLocalDataStream(client: KinesisClient, streamName: string): Promise<void> {
  const deadline = Date.now() + ACTIVE_WITHIN_MS;
  for (let created = false; ; ) {
    try {
      const { StreamDescriptionSummary } = await client.send(
        new DescribeStreamSummaryCommand({ StreamName: streamName }),
      );
      if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException) || created) throw error;
      await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: LOCAL_SHARD_COUNT }));
      created = true;
      continue;
    }
    if (Date.now() > deadline) {
      throw new LocalServiceError(
        `The data stream ${streamName} did not become ACTIVE within ${ACTIVE_WITHIN_MS / 1000} s: ` +
          'restart the local services (`npx insightflow down && npx insightflow up`).',
        { kind: 'retryable' },
      );
    }
    await sleep(ACTIVE_POLL_MS);
  }
}
