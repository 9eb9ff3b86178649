import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { Lake } from '@insightflow/lake';
import { defineHandler } from '@insightflow/lambda-handler';
import { S3ObjectStore } from '@insightflow/object-store';
import { readStreamPublisherConfig, s3ClientOptions } from '@insightflow/shared-config';
import { z } from 'zod';
import { FirehoseDeliveryStream } from './adapters/firehoseDeliveryStream.js';
import { PublishError } from './errors.js';
import { publishBurst } from './publishBurst.js';

/** A scheduled event publishes PUBLISH_EVENTS events; `{"events": n}` overrides the count. */
export const PublishEventSchema = z.looseObject({
  events: z.number().int().positive().max(100_000).optional(),
  rate: z.number().positive().optional(),
});

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
    const firehose = new FirehoseClient({
      region: config.AWS_REGION,
      ...(config.FIREHOSE_ENDPOINT ? { endpoint: config.FIREHOSE_ENDPOINT } : {}),
    });
    const stream = new FirehoseDeliveryStream(tracer.captureAWSv3Client(firehose), config.DELIVERY_STREAM_NAME);
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
