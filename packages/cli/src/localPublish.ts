import { FirehoseClient } from '@aws-sdk/client-firehose';
import { Lake } from '@insightflow/lake';
import { type DeliveryStats, startLocalDeliveryStream } from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import { type Catalog, InsightFlowError } from '@insightflow/shared-config';
import {
  FirehoseDeliveryStream,
  type OrderIdRange,
  type PublishResult,
  publishBurst,
} from '@insightflow/stream-publisher';
import { streamTarget, transformFirehoseEvent } from '@insightflow/stream-transformer';
import type { CliContext } from './cliContext.js';
import { atEdges, type Edge, EdgeService, hostAndPort } from './edgeErrors.js';
import { type Endpoints, openWarehouseFor } from './endpoints.js';

/** The catalog stream the demo publisher sends its order events on, and the table it feeds. */
export const DEMO_STREAM = 'orders';
/** The local delivery stream's name. */
const LOCAL_STREAM = `insightflow-local-${DEMO_STREAM}`;

/** `publish` sends the demo's order events: the catalog has no stream for them. */
export class NoDemoStreamError extends InsightFlowError {
  public constructor(catalog: Catalog) {
    super(
      `publish sends the demo's order events on the catalog stream ${DEMO_STREAM} into table ${DEMO_STREAM}, ` +
        `which this catalog does not have (its streams: ${
          catalog.streams.map((s) => `${s.name} → ${s.table}`).join(', ') || 'none'
        }). ` +
        'Run it with the built-in catalog (no --catalog), or add that stream and table.',
      { kind: 'terminal' },
    );
    this.name = 'NoDemoStreamError';
  }
}

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
  const { catalog } = context;
  if (catalog.streams.find((s) => s.name === DEMO_STREAM)?.table !== DEMO_STREAM) throw new NoDemoStreamError(catalog);
  const { table } = streamTarget(catalog, DEMO_STREAM);
  const store = new S3ObjectStore(endpoints.s3, context.config.RAW_BUCKET);
  const delivery = await startLocalDeliveryStream({
    stream: DEMO_STREAM,
    catalog,
    streamName: LOCAL_STREAM,
    store,
    transform: (event) => transformFirehoseEvent(table, event),
    failShare: options.failShare ?? 0,
    bufferMs: 300,
  });
  const client = new FirehoseClient({
    region: context.config.AWS_REGION,
    endpoint: delivery.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const firehose: Edge = {
    service: EdgeService.firehose,
    endpoint: `${delivery.endpoint} (delivery stream ${LOCAL_STREAM})`,
    source: 'the local delivery stream `insightflow publish` starts',
    local: true,
    ...hostAndPort(delivery.endpoint),
  };
  try {
    const { range, ...result } = await atEdges([firehose], () =>
      publishBurst(
        {
          lake: new Lake(store, catalog),
          stream: new FirehoseDeliveryStream(client, LOCAL_STREAM),
          openWarehouse: () => openWarehouseFor(context, endpoints, '64MB'),
        },
        options.events,
        {
          ...(options.rate ? { rate: options.rate } : {}),
          ...(options.onBatch ? { onBatch: options.onBatch } : {}),
        },
      ),
    );
    await delivery.flush();
    return { result, stats: delivery.stats, range };
  } finally {
    client.destroy();
    await delivery.stop();
  }
}
