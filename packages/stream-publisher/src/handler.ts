import { Logger } from '@aws-lambda-powertools/logger';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '@insightflow/object-store';
import { readStreamPublisherConfig, s3ClientOptions } from '@insightflow/shared-config';
import { openWarehouse } from '@insightflow/warehouse';
import { z } from 'zod';
import { FirehoseDeliveryStream } from './adapters/firehoseDeliveryStream.js';
import { PublishError } from './errors.js';
import { orderEvents } from './orderEvents.js';
import { reserveOrderIds } from './orderIdReservation.js';
import { type PublishResult, publishEvents } from './publishEvents.js';
import { warehouseOrderRange } from './warehouseRange.js';

/** A scheduled event publishes PUBLISH_EVENTS events; `{"events": n}` overrides the count. */
export const PublishEventSchema = z.looseObject({
  events: z.number().int().positive().max(100_000).optional(),
  rate: z.number().positive().optional(),
});

const config = readStreamPublisherConfig();
const logger = new Logger({ serviceName: 'stream-publisher' });
const s3 = new S3Client(s3ClientOptions(config));
const store = new S3ObjectStore(s3, config.RAW_BUCKET);
const stream = new FirehoseDeliveryStream(
  new FirehoseClient({
    region: config.AWS_REGION,
    ...(config.FIREHOSE_ENDPOINT ? { endpoint: config.FIREHOSE_ENDPOINT } : {}),
  }),
  config.DELIVERY_STREAM_NAME,
);

/** Lambda entry point: publish a burst of fresh order events. */
export async function handler(event: unknown): Promise<PublishResult & { firstOrderId: number }> {
  const parsed = PublishEventSchema.safeParse(event ?? {});
  if (!parsed.success)
    throw new PublishError(`The stream-publisher event is invalid: ${z.prettifyError(parsed.error)}`);
  const count = parsed.data.events ?? config.PUBLISH_EVENTS;
  const range = await reserveOrderIds(store, count, async () => {
    const warehouse = await openWarehouse(config, { s3 });
    try {
      return await warehouseOrderRange(warehouse);
    } finally {
      await warehouse.close();
    }
  });
  const result = await publishEvents(stream, orderEvents(range, count), {
    maxAttempts: config.PUBLISH_MAX_ATTEMPTS,
    ...(parsed.data.rate ? { rate: parsed.data.rate } : {}),
  });
  logger.info('published', { ...result, firstOrderId: range.firstOrderId });
  return { ...result, firstOrderId: range.firstOrderId };
}
