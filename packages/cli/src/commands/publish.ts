import { FirehoseClient } from '@aws-sdk/client-firehose';
import { startLocalDeliveryStream, type TransformFunction } from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import {
  FirehoseDeliveryStream,
  orderEvents,
  publishEvents,
  reserveOrderIds,
  warehouseOrderRange,
} from '@insightflow/stream-publisher';
import { openWarehouse } from '@insightflow/warehouse';
import type { CliContext } from '../cliContext.js';
import type { DataMovementDocument } from '../contracts.js';
import { withEndpoints } from '../endpoints.js';
import { ExitCode } from '../exitCodes.js';

/** Options of `insightflow publish`. */
export interface PublishOptions {
  events: number;
  rate?: number;
  failShare: number;
}

const LOCAL_STREAM = 'insightflow-local-orders';

/**
 * `insightflow publish`: send fresh order events through a local Firehose delivery stream (the
 * real publisher client and transformer handler) into the raw bucket's streaming prefix.
 */
export async function publishCommand(context: CliContext, options: PublishOptions): Promise<ExitCode> {
  const { handler } = (await import('@insightflow/stream-transformer/handler')) as { handler: TransformFunction };
  const outcome = await withEndpoints(context, async (endpoints) => {
    const store = new S3ObjectStore(endpoints.s3, context.config.RAW_BUCKET);
    const range = await reserveOrderIds(store, options.events, async () => {
      const warehouse = await openWarehouse(
        { ...context.config, DUCKDB_PATH: endpoints.warehousePath },
        { s3: endpoints.s3 },
      );
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
      failShare: options.failShare,
      bufferMs: 500,
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
          onBatch: (progress) =>
            context.progress(
              `publish: ${progress.delivered.toLocaleString('en')} / ${options.events.toLocaleString('en')} events`,
            ),
        },
      );
      await delivery.flush();
      return { result, stats: delivery.stats, range };
    } finally {
      client.destroy();
      await delivery.stop();
    }
  });
  const { result, stats, range } = outcome;
  const orders = { rows: stats.ok, rejected: stats.processingFailed, dropped: stats.dropped };
  const document: DataMovementDocument = {
    tables: { orders },
    rows: stats.ok,
    rejected: stats.processingFailed,
    published: result.delivered,
    resent: result.resent,
    calls: result.calls,
    firstOrderId: range.firstOrderId,
    objects: stats.objects,
  };
  context.result(
    document,
    [
      `Published ${result.delivered.toLocaleString('en')} order events (ids ${range.firstOrderId}…${range.firstOrderId + options.events - 1}) in ${result.calls} calls, ${result.resent} entries resent.`,
      `Delivered ${stats.ok.toLocaleString('en')} rows in ${stats.objects.length} objects under s3://${context.config.RAW_BUCKET}/data/streaming/orders/; ${stats.processingFailed} failed, ${stats.dropped} dropped as duplicates.`,
    ].join('\n'),
  );
  return stats.processingFailed > 0 ? ExitCode.rejected : ExitCode.ok;
}
