import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target/index.js';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission/index.js';
import { PUBLISHER_STATE_PREFIX, StreamPublisherConfigSchema, tablePrefix } from '@insightflow/shared-config';
import type { Construct } from 'constructs';
import { DEMO_PUBLISHER_STREAM, hasDemoPublisherStream } from './config.js';
import { CatalogStreamDelivery } from './constructs/catalogStreamDelivery.js';
import { NodeLambda } from './constructs/nodeLambda.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';
import type { S3BucketsStack } from './s3Buckets.js';
import { snowflakeEnvironment } from './snowflakeEnvironment.js';

/** Props of {@link StreamingIngestionStack}. */
export interface StreamingIngestionStackProps extends InsightFlowStackProps {
  storage: S3BucketsStack;
  /** Per catalog stream name, a Kinesis stream its delivery stream reads instead of Direct PUT. */
  kinesisSourceArns?: Readonly<Record<string, string>>;
}

/**
 * `streaming-ingestion`: one delivery per catalog stream ({@link CatalogStreamDelivery}: a
 * Firehose delivery stream, Direct PUT by default, running every batch through that stream's
 * transformer function and writing NDJSON under the stream's prefix, failures under its error
 * prefix); and the stream-publisher Lambda on a schedule, one at a time (it keeps the order-id
 * watermark) — a demo tool: on in dev, off in prod unless INSIGHTFLOW_DEMO_PUBLISHER=true, left
 * out without Snowflake settings (its first watermark comes from the warehouse) and without a
 * catalog stream `orders` feeding table `orders` (what it publishes).
 */
export class StreamingIngestionStack extends InsightFlowStack {
  /** Per catalog stream name, in catalog order. */
  public readonly deliveries: ReadonlyMap<string, CatalogStreamDelivery>;
  /** The synthetic-order publisher: a demo tool, deployed only where `settings.demoPublisher` asks for it. */
  public readonly publisher: NodeLambda | undefined;

  public constructor(scope: Construct, id: string, props: StreamingIngestionStackProps) {
    super(scope, id, props);
    const { settings, storage, catalog } = props;
    const raw = storage.raw.bucket;

    const deliveries = new Map<string, CatalogStreamDelivery>();
    for (const stream of catalog.streams) {
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
          kinesisSourceArn: props.kinesisSourceArns?.[stream.name],
        }),
      );
    }
    this.deliveries = deliveries;

    if (!settings.demoPublisher) return;
    if (!settings.snowflake) return;
    // environmentSettings() already said so when the catalog lacks the stream the publisher feeds.
    const orders = hasDemoPublisherStream(catalog) ? deliveries.get(DEMO_PUBLISHER_STREAM)?.deliveryStream : undefined;
    if (!orders) return;
    this.publisher = new NodeLambda(this, 'stream-publisher', {
      packageName: 'stream-publisher',
      functionName: this.name('stream-publisher'),
      memorySize: 256,
      timeout: 120,
      // One publisher at a time: it reserves order ids from its watermark.
      reservedConcurrency: 1,
      logRetentionDays: settings.logRetentionDays,
      logKmsKeyArn: storage.key.arn,
      alarmTopicArn: storage.alarmTopic.arn,
      // EventBridge invokes it asynchronously: failed events land in a queue, not nowhere.
      asyncFailureQueue: { kmsKeyArn: storage.key.arn },
      configSchema: StreamPublisherConfigSchema,
      environment: {
        DELIVERY_STREAM_NAME: orders.name,
        RAW_BUCKET: raw.bucket,
        PUBLISH_EVENTS: '500',
        ...snowflakeEnvironment(settings.snowflake, storage.snowflakeSecret.arn),
      },
      statements: [
        { actions: ['firehose:PutRecordBatch'], resources: [orders.arn] },
        { actions: ['s3:GetObject', 's3:PutObject'], resources: [`${raw.arn}/${PUBLISHER_STATE_PREFIX}*`] },
        // Without a watermark, the first order id continues from the lake's newest orders run (lakeOrderRange).
        { actions: ['s3:GetObject'], resources: [`${raw.arn}/${tablePrefix(catalog, DEMO_PUBLISHER_STREAM)}*`] },
        // The watermark's first HEAD finds nothing: S3 answers 404, not 403, only to a lister.
        { actions: ['s3:ListBucket'], resources: [raw.arn] },
        { actions: ['secretsmanager:GetSecretValue'], resources: [storage.snowflakeSecret.arn] },
        { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [storage.key.arn] },
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
