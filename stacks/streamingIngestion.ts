import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target/index.js';
import { KinesisStream } from '@cdktf/provider-aws/lib/kinesis-stream/index.js';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission/index.js';
import { PUBLISHER_STATE_PREFIX, StreamPublisherConfigSchema, tablePrefix } from '@insightflow/shared-config';
import type { Construct } from 'constructs';
import { DEMO_PUBLISHER_STREAM, hasDemoPublisherStream } from './config.js';
import { boundedName, CatalogStreamDelivery } from './constructs/catalogStreamDelivery.js';
import { NodeLambda } from './constructs/nodeLambda.js';
import { viaService } from './constructs/serviceRole.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';
import type { S3BucketsStack } from './s3Buckets.js';
import { snowflakeEnvironment } from './snowflakeEnvironment.js';

/** Props of {@link StreamingIngestionStack}. */
export interface StreamingIngestionStackProps extends InsightFlowStackProps {
  storage: S3BucketsStack;
}

/** Hours a Kinesis data stream keeps records: its minimum, Firehose reads them within minutes. */
const KINESIS_RETENTION_HOURS = 24;

/**
 * `streaming-ingestion`: one delivery per catalog stream ({@link CatalogStreamDelivery}: a
 * Firehose delivery stream — Direct PUT, or with `INSIGHTFLOW_STREAM_SOURCE=kinesis` reading an
 * on-demand Kinesis data stream `insightflow-<env>-<stream>` encrypted with the project key —
 * running every batch through that stream's
 * transformer function and writing NDJSON under the stream's prefix, failures under its error
 * prefix); and the stream-publisher Lambda on a schedule, its failed events not retried, so
 * invocations start only on the schedule's ticks (each reserves its order ids from the watermark
 * as it starts) — a demo tool: on in dev, off in prod unless INSIGHTFLOW_DEMO_PUBLISHER=true, left
 * out without Snowflake settings (its first watermark comes from the warehouse) and without a
 * catalog stream `orders` feeding table `orders` (what it publishes).
 */
export class StreamingIngestionStack extends InsightFlowStack {
  /** Per catalog stream name, in catalog order. */
  public readonly deliveries: ReadonlyMap<string, CatalogStreamDelivery>;
  /** Per catalog stream name, the Kinesis data stream in front of its delivery stream (kinesis source only). */
  public readonly dataStreams: ReadonlyMap<string, KinesisStream>;
  /** The synthetic-order publisher: a demo tool, deployed only where `settings.demoPublisher` asks for it. */
  public readonly publisher: NodeLambda | undefined;

  public constructor(scope: Construct, id: string, props: StreamingIngestionStackProps) {
    super(scope, id, props);
    const { settings, storage, catalog } = props;
    const raw = storage.raw.bucket;

    const dataStreams = new Map<string, KinesisStream>();
    const deliveries = new Map<string, CatalogStreamDelivery>();
    for (const stream of catalog.streams) {
      const source =
        settings.streamSource === 'kinesis'
          ? new KinesisStream(this, `data-stream-${stream.name}`, {
              name: boundedName(this.name(stream.name)),
              streamModeDetails: { streamMode: 'ON_DEMAND' },
              encryptionType: 'KMS',
              kmsKeyId: storage.key.arn,
              retentionPeriod: KINESIS_RETENTION_HOURS,
            })
          : undefined;
      if (source) dataStreams.set(stream.name, source);
      deliveries.set(
        stream.name,
        new CatalogStreamDelivery(this, `stream-${stream.name}`, {
          catalog,
          stream,
          name: (name) => this.name(name),
          raw: { arn: raw.arn, bucket: raw.bucket },
          keyArn: storage.key.arn,
          alarmTopicArn: storage.alarmTopic.arn,
          logRetentionDays: settings.logRetentionDays,
          region: settings.region,
          accountId: storage.accountId,
          permissionsBoundary: storage.permissionsBoundary,
          kinesisSourceArn: source?.arn,
        }),
      );
    }
    this.deliveries = deliveries;
    this.dataStreams = dataStreams;

    if (!settings.demoPublisher) return;
    if (!settings.snowflake) return;
    // environmentSettings() already said so when the catalog lacks the stream the publisher feeds.
    const orders = hasDemoPublisherStream(catalog) ? deliveries.get(DEMO_PUBLISHER_STREAM)?.deliveryStream : undefined;
    if (!orders) return;
    const ordersData = dataStreams.get(DEMO_PUBLISHER_STREAM);
    // Direct PUT: the delivery stream itself. Kinesis: its data stream, and the project key that encrypts it.
    const destination = ordersData
      ? {
          environment: { INSIGHTFLOW_STREAM_SOURCE: 'kinesis', KINESIS_STREAM_NAME: ordersData.name } as const,
          statements: [
            { actions: ['kinesis:PutRecords'], resources: [ordersData.arn] },
            {
              actions: ['kms:GenerateDataKey'],
              resources: [storage.key.arn],
              conditions: [viaService(settings.region, 'kinesis')],
            },
          ],
        }
      : {
          environment: { INSIGHTFLOW_STREAM_SOURCE: 'direct', DELIVERY_STREAM_NAME: orders.name } as const,
          statements: [{ actions: ['firehose:PutRecordBatch'], resources: [orders.arn] }],
        };
    // No reserved concurrency: AWS refuses a reservation that leaves fewer than 100 unreserved
    // executions (a new account's quota), and EventBridge's one event per five minutes is one burst.
    this.publisher = new NodeLambda(this, 'stream-publisher', {
      packageName: 'stream-publisher',
      functionName: this.name('stream-publisher'),
      memorySize: 256,
      timeout: 120,
      ...storage.functionDefaults(),
      // EventBridge invokes it asynchronously: failed events land in a queue, not nowhere. No
      // retries: each invocation reserves its order ids as it starts, so invocations that start
      // only on the schedule's ticks never reserve at once (what the reservation of 1 ensured).
      asyncFailureQueue: { kmsKeyArn: storage.key.arn, retries: 0 },
      configSchema: StreamPublisherConfigSchema,
      environment: {
        ...destination.environment,
        RAW_BUCKET: raw.bucket,
        PUBLISH_EVENTS: '500',
        ...snowflakeEnvironment(settings.snowflake, storage.snowflakeSecret.arn),
      },
      statements: [
        ...destination.statements,
        { actions: ['s3:GetObject', 's3:PutObject'], resources: [`${raw.arn}/${PUBLISHER_STATE_PREFIX}*`] },
        // Without a watermark, the first order id continues from the lake's newest orders run (lakeOrderRange).
        { actions: ['s3:GetObject'], resources: [`${raw.arn}/${tablePrefix(catalog, DEMO_PUBLISHER_STREAM)}*`] },
        // The watermark's first HEAD finds nothing: S3 answers 404, not 403, only to a lister.
        { actions: ['s3:ListBucket'], resources: [raw.arn] },
        { actions: ['secretsmanager:GetSecretValue'], resources: [storage.snowflakeSecret.arn] },
        {
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [storage.key.arn],
          conditions: [viaService(settings.region, 's3', 'secretsmanager')],
        },
      ],
    });
    const schedule = new CloudwatchEventRule(this, 'publisher-schedule', {
      name: this.name('stream-publisher'),
      scheduleExpression: settings.publisherSchedule,
    });
    new CloudwatchEventTarget(this, 'publisher-target', { rule: schedule.name, arn: this.publisher.function.arn });
    new LambdaPermission(this, 'publisher-invoke', {
      action: 'lambda:InvokeFunction',
      functionName: this.publisher.function.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: schedule.arn,
    });
  }
}
