import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { Lake } from '@insightflow/lake';
import { defineHandler } from '@insightflow/lambda-handler';
import { S3ObjectStore } from '@insightflow/object-store';
import { type PublisherDestination, readStreamPublisherConfig, s3ClientOptions } from '@insightflow/shared-config';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { z } from 'zod';
import { FirehoseDeliveryStream } from './adapters/firehoseDeliveryStream.js';
import { KinesisDataStream } from './adapters/kinesisDataStream.js';
import { PublishError } from './errors.js';
import type { EventStream } from './eventStream.js';
import { publishBurst } from './publishBurst.js';

/** A scheduled event publishes PUBLISH_EVENTS events; `{"events": n}` overrides the count. */
export const PublishEventSchema = z.looseObject({
  events: z.number().int().positive().max(100_000).optional(),
  rate: z.number().positive().optional(),
});

/**
 * The stream the configuration names. The Kinesis client speaks HTTP/2 by default, which a local
 * Kinesis API server does not: a local endpoint gets the HTTP/1.1 handler.
 */
function eventStreamFor(
  destination: PublisherDestination,
  region: string,
  capture: <T extends object>(client: T) => T,
): EventStream {
  const endpoint = destination.endpoint ? { endpoint: destination.endpoint } : {};
  if (destination.source === 'kinesis') {
    const client = new KinesisClient({
      region,
      ...endpoint,
      ...(destination.endpoint ? { requestHandler: new NodeHttpHandler() } : {}),
    });
    return new KinesisDataStream(capture(client), destination.streamName);
  }
  return new FirehoseDeliveryStream(
    capture(new FirehoseClient({ region, ...endpoint })),
    destination.deliveryStreamName,
  );
}

/** Lambda entry point: publish a burst of fresh order events. */
export const handler = defineHandler(
  {
    name: 'stream-publisher',
    eventSchema: PublishEventSchema,
    invalidEvent: (details) => new PublishError(`The stream-publisher event is invalid: ${details}`),
  },
  ({ tracer, catalog }) => {
    const config = readStreamPublisherConfig();
    const s3 = tracer.captureAWSv3Client(new S3Client(s3ClientOptions(config)));
    const stream = eventStreamFor(config.destination, config.AWS_REGION, (client) => tracer.captureAWSv3Client(client));
    const lake = new Lake(new S3ObjectStore(s3, config.RAW_BUCKET), catalog);
    // No warehouse client: the first order id continues from the lake's orders (lakeOrderRange).
    return { config, burst: { lake, stream } };
  },
  async ({ events, rate }, { config, burst }, { logger }) => {
    const { range, ...result } = await publishBurst(burst, events ?? config.PUBLISH_EVENTS, {
      maxAttempts: config.PUBLISH_MAX_ATTEMPTS,
      ...(rate ? { rate } : {}),
    });
    logger.info('published', { ...result, firstOrderId: range.firstOrderId });
    return { ...result, firstOrderId: range.firstOrderId };
  },
  (result) => [{ values: { recordsSent: result.delivered, recordsResent: result.resent } }],
);
