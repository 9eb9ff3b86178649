import { FirehoseClient } from '@aws-sdk/client-firehose';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Lake } from '@insightflow/lake';
import {
  type DeliveryStats,
  ensureLocalDataStream,
  localKinesisClient,
  startLocalDeliveryStream,
} from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import { type Catalog, InsightFlowError } from '@insightflow/shared-config';
import {
  type EventStream,
  FirehoseDeliveryStream,
  KinesisDataStream,
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
/** The name of a catalog stream's local delivery stream, and of its local data stream. */
const localStreamName = (stream: string) => `insightflow-local-${stream}`;
const LOCAL_STREAM = localStreamName(DEMO_STREAM);

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

/** INSIGHTFLOW_STREAM_SOURCE=kinesis without a Kinesis API server to use. */
export class NoKinesisEndpointError extends InsightFlowError {
  public constructor() {
    super(
      'INSIGHTFLOW_STREAM_SOURCE=kinesis needs a Kinesis API server, and the running local services have none ' +
        '(they were started before they included one). Restart them (`npx insightflow down && npx insightflow up`), ' +
        'set KINESIS_ENDPOINT, or unset INSIGHTFLOW_STREAM_SOURCE to stream through Firehose Direct PUT.',
    );
    this.name = 'NoKinesisEndpointError';
  }
}

/** What one local publish did. */
export interface LocalPublishOutcome {
  result: PublishResult;
  stats: DeliveryStats;
  range: OrderIdRange;
}

/**
 * With INSIGHTFLOW_STREAM_SOURCE=kinesis: a client for the Kinesis API server (KINESIS_ENDPOINT,
 * else the local services' kinesalite) and its edge, after creating one data stream per catalog
 * stream, as the streaming stack does.
 */
async function openLocalDataStreams(
  context: CliContext,
  endpoints: Endpoints,
): Promise<{ client: KinesisClient; edge: Edge }> {
  const endpoint = context.config.KINESIS_ENDPOINT ?? endpoints.local?.kinesisEndpoint;
  if (!endpoint) throw new NoKinesisEndpointError();
  const fromVariable = context.config.KINESIS_ENDPOINT !== undefined;
  const edge: Edge = {
    service: EdgeService.kinesis,
    endpoint: `${endpoint} (data stream ${LOCAL_STREAM})`,
    source: fromVariable ? 'KINESIS_ENDPOINT' : 'the local services',
    local: !fromVariable,
    ...hostAndPort(endpoint),
  };
  const client = localKinesisClient(endpoint, context.config.AWS_REGION);
  try {
    await atEdges([edge], async () => {
      for (const stream of context.catalog.streams) await ensureLocalDataStream(client, localStreamName(stream.name));
    });
  } catch (error) {
    client.destroy();
    throw error;
  }
  return { client, edge };
}

/**
 * Publishes fresh order events through a local Firehose delivery stream: the publisher's burst
 * (the Lambda's own composition) through the real Firehose client — or, with
 * INSIGHTFLOW_STREAM_SOURCE=kinesis, the real Kinesis client into the local data stream that the
 * delivery stream reads — the transformer's core (without the handler's logging: stdout belongs
 * to --json), objects written to the raw bucket's streaming prefix. Order ids continue from the
 * publisher's watermark (first time: past the warehouse's largest).
 */
export async function publishThroughLocalFirehose(
  context: CliContext,
  endpoints: Endpoints,
  options: { events: number; rate?: number | undefined; failShare?: number; onBatch?: (p: PublishResult) => void },
): Promise<LocalPublishOutcome> {
  const { catalog } = context;
  if (catalog.streams.find((s) => s.name === DEMO_STREAM)?.table !== DEMO_STREAM) throw new NoDemoStreamError(catalog);
  const viaKinesis = context.config.INSIGHTFLOW_STREAM_SOURCE === 'kinesis';
  if (viaKinesis && options.failShare) {
    throw new InsightFlowError(
      '--fail-share makes the local delivery stream refuse Direct PUT entries; with INSIGHTFLOW_STREAM_SOURCE=kinesis ' +
        'the publisher puts to the data stream instead, which refuses none. Drop --fail-share, or unset INSIGHTFLOW_STREAM_SOURCE.',
    );
  }
  const { table } = streamTarget(catalog, DEMO_STREAM);
  const store = new S3ObjectStore(endpoints.s3, context.config.RAW_BUCKET);
  const kinesis = viaKinesis ? await openLocalDataStreams(context, endpoints) : undefined;
  const delivery = await startLocalDeliveryStream({
    stream: DEMO_STREAM,
    catalog,
    streamName: LOCAL_STREAM,
    store,
    transform: (event) => transformFirehoseEvent(table, event),
    failShare: options.failShare ?? 0,
    bufferMs: 300,
    ...(kinesis ? { source: { kinesis: kinesis.client, streamName: LOCAL_STREAM } } : {}),
  }).catch((error: unknown) => {
    kinesis?.client.destroy();
    throw error;
  });
  const firehoseClient = new FirehoseClient({
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
  const stream: EventStream = kinesis
    ? new KinesisDataStream(kinesis.client, LOCAL_STREAM)
    : new FirehoseDeliveryStream(firehoseClient, LOCAL_STREAM);
  const edges = kinesis ? [kinesis.edge, firehose] : [firehose];
  try {
    const { range, ...result } = await atEdges(edges, () =>
      publishBurst(
        { lake: new Lake(store, catalog), stream, openWarehouse: () => openWarehouseFor(context, endpoints, '64MB') },
        options.events,
        {
          ...(options.rate ? { rate: options.rate } : {}),
          ...(options.onBatch ? { onBatch: options.onBatch } : {}),
        },
      ),
    );
    // With a Kinesis source: until the delivery stream has read and delivered all it holds.
    await atEdges(edges, () => delivery.flush());
    return { result, stats: delivery.stats, range };
  } finally {
    firehoseClient.destroy();
    await delivery.stop();
    kinesis?.client.destroy();
  }
}
