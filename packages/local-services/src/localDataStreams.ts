import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ResourceNotFoundException,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import { LOCAL_DEFAULTS } from '@insightflow/shared-config';
import { NodeHttpHandler } from '@smithy/node-http-handler';

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

/**
 * Creates the data stream when it does not exist yet (with {@link LOCAL_SHARD_COUNT} shards) and
 * waits until it is ACTIVE. On AWS the streaming stack creates it (on demand, encrypted).
 */
export async function ensureLocalDataStream(client: KinesisClient, streamName: string): Promise<void> {
  try {
    const { StreamDescriptionSummary } = await client.send(
      new DescribeStreamSummaryCommand({ StreamName: streamName }),
    );
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: LOCAL_SHARD_COUNT }));
  }
  await waitUntilStreamExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { StreamName: streamName });
}
