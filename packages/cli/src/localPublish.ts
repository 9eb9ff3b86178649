import { FirehoseClient } from '@aws-sdk/client-firehose';
import { type DeliveryStats, startLocalDeliveryStream, type TransformFunction } from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import {
  FirehoseDeliveryStream,
  type OrderIdRange,
  orderEvents,
  type PublishResult,
  publishEvents,
  reserveOrderIds,
  warehouseOrderRange,
} from '@insightflow/stream-publisher';
import type { CliContext } from './cliContext.js';
import { type Endpoints, openWarehouseFor } from './endpoints.js';

/** The local delivery stream's name. */
const LOCAL_STREAM = 'insightflow-local-orders';

/** What one local publish did. */
export interface LocalPublishOutcome {
  result: PublishResult;
  stats: DeliveryStats;
  range: OrderIdRange;
}

/**
 * Publishes fresh order events through a local Firehose delivery stream: the real publisher
 * client, the real transformer handler, objects written to the raw bucket's streaming prefix.
 * Order ids continue from the publisher's watermark (first time: past the warehouse's largest).
 */
export async function publishThroughLocalFirehose(
  context: CliContext,
  endpoints: Endpoints,
  options: { events: number; rate?: number | undefined; failShare?: number; onBatch?: (p: PublishResult) => void },
): Promise<LocalPublishOutcome> {
  const { handler } = (await import('@insightflow/stream-transformer/handler')) as { handler: TransformFunction };
  const store = new S3ObjectStore(endpoints.s3, context.config.RAW_BUCKET);
  const range = await reserveOrderIds(store, options.events, async () => {
    const warehouse = await openWarehouseFor(context, endpoints, '64MB');
    try {
      return await warehouseOrderRange(warehouse);
    } finally {
      await warehouse.close();
    }
  });
  const delivery = await startLocalDeliveryStream({
    streamName: LOCAL_STREAM,
    store,
    transform: handler,
    failShare: options.failShare ?? 0,
    bufferMs: 300,
  });
  const client = new FirehoseClient({
    region: context.config.AWS_REGION,
    endpoint: delivery.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const result = await publishEvents(
      new FirehoseDeliveryStream(client, LOCAL_STREAM),
      orderEvents(range, options.events),
      {
        ...(options.rate ? { rate: options.rate } : {}),
        ...(options.onBatch ? { onBatch: options.onBatch } : {}),
      },
    );
    await delivery.flush();
    return { result, stats: delivery.stats, range };
  } finally {
    client.destroy();
    await delivery.stop();
  }
}
