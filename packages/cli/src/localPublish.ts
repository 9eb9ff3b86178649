import { FirehoseClient } from '@aws-sdk/client-firehose';
import { type DeliveryStats, startLocalDeliveryStream } from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import {
  FirehoseDeliveryStream,
  type OrderIdRange,
  type PublishResult,
  publishBurst,
} from '@insightflow/stream-publisher';
import { transformFirehoseEvent } from '@insightflow/stream-transformer';
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
 * Publishes fresh order events through a local Firehose delivery stream: the publisher's burst
 * (the Lambda's own composition) through the real Firehose client, the transformer's core
 * (without the handler's logging: stdout belongs to --json), objects written to the raw
 * bucket's streaming prefix. Order ids continue from the publisher's watermark (first time:
 * past the warehouse's largest).
 */
export async function publishThroughLocalFirehose(
  context: CliContext,
  endpoints: Endpoints,
  options: { events: number; rate?: number | undefined; failShare?: number; onBatch?: (p: PublishResult) => void },
): Promise<LocalPublishOutcome> {
  const store = new S3ObjectStore(endpoints.s3, context.config.RAW_BUCKET);
  const delivery = await startLocalDeliveryStream({
    streamName: LOCAL_STREAM,
    store,
    transform: (event) => transformFirehoseEvent(event),
    failShare: options.failShare ?? 0,
    bufferMs: 300,
  });
  const client = new FirehoseClient({
    region: context.config.AWS_REGION,
    endpoint: delivery.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { range, ...result } = await publishBurst(
      {
        store,
        stream: new FirehoseDeliveryStream(client, LOCAL_STREAM),
        openWarehouse: () => openWarehouseFor(context, endpoints, '64MB'),
      },
      options.events,
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
