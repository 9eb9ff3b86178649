import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target/index.js';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { CloudwatchLogStream } from '@cdktf/provider-aws/lib/cloudwatch-log-stream/index.js';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { KinesisFirehoseDeliveryStream } from '@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream/index.js';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission/index.js';
import {
  FIREHOSE_PREFIXES,
  PUBLISHER_STATE_PREFIX,
  STREAMING_ROOT,
  StreamPublisherConfigSchema,
  StreamTransformerConfigSchema,
} from '@insightflow/shared-config';
import type { Construct } from 'constructs';
import { DeliveryStreamAlarms } from './constructs/deliveryStreamAlarms.js';
import { NodeLambda } from './constructs/nodeLambda.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';
import type { S3BucketsStack } from './s3Buckets.js';
import { snowflakeEnvironment } from './snowflakeEnvironment.js';

/** Props of {@link StreamingIngestionStack}. */
export interface StreamingIngestionStackProps extends InsightFlowStackProps {
  storage: S3BucketsStack;
  /** A Kinesis stream to read from instead of Direct PUT. */
  kinesisSourceArn?: string;
}

/**
 * `streaming-ingestion`: a Firehose delivery stream (Direct PUT by default) that runs every
 * batch through the stream-transformer Lambda and writes NDJSON under the streaming prefix
 * (failures under the error prefix), encrypted with the project key; and the stream-publisher
 * Lambda on a schedule, one at a time (it keeps the order-id watermark) — a demo tool: on in
 * dev, off in prod unless INSIGHTFLOW_DEMO_PUBLISHER=true, and left out without Snowflake
 * settings (its first watermark comes from the warehouse).
 */
export class StreamingIngestionStack extends InsightFlowStack {
  public readonly deliveryStream: KinesisFirehoseDeliveryStream;
  public readonly transformer: NodeLambda;
  /** The synthetic-order publisher: a demo tool, deployed only where `settings.demoPublisher` asks for it. */
  public readonly publisher: NodeLambda | undefined;

  public constructor(scope: Construct, id: string, props: StreamingIngestionStackProps) {
    super(scope, id, props);
    const { settings, storage } = props;
    const raw = storage.raw.bucket;
    const streamName = this.name('orders');

    this.transformer = new NodeLambda(this, 'stream-transformer', {
      packageName: 'stream-transformer',
      functionName: this.name('stream-transformer'),
      memorySize: 512,
      timeout: 60,
      logRetentionDays: settings.logRetentionDays,
      logKmsKeyArn: storage.key.arn,
      alarmTopicArn: storage.alarmTopic.arn,
      configSchema: StreamTransformerConfigSchema,
      environment: { MAX_RESPONSE_BYTES: '6000000' },
      statements: [],
    });
    // Firehose invokes exactly this ARN; its role is allowed exactly this ARN.
    const processorArn = `${this.transformer.function.arn}:$LATEST`;

    const firehoseLogs = new CloudwatchLogGroup(this, 'firehose-logs', {
      name: `/aws/kinesisfirehose/${streamName}`,
      retentionInDays: settings.logRetentionDays,
      kmsKeyId: storage.key.arn,
    });
    const firehoseLogStream = new CloudwatchLogStream(this, 'firehose-log-stream', {
      name: 'S3Delivery',
      logGroupName: firehoseLogs.name,
    });
    const assume = new DataAwsIamPolicyDocument(this, 'firehose-assume', {
      statement: [
        { actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['firehose.amazonaws.com'] }] },
      ],
    });
    const firehoseRole = new IamRole(this, 'firehose-role', {
      name: this.name('firehose'),
      assumeRolePolicy: assume.json,
    });
    const firehosePolicy = new DataAwsIamPolicyDocument(this, 'firehose-policy', {
      statement: [
        {
          actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
          resources: [raw.arn, `${raw.arn}/${STREAMING_ROOT}*`],
        },
        {
          actions: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
          resources: [processorArn],
        },
        { actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [storage.key.arn] },
        { actions: ['logs:PutLogEvents'], resources: [`${firehoseLogs.arn}:*`] },
        ...(props.kinesisSourceArn
          ? [
              {
                actions: [
                  'kinesis:DescribeStream',
                  'kinesis:GetShardIterator',
                  'kinesis:GetRecords',
                  'kinesis:ListShards',
                ],
                resources: [props.kinesisSourceArn],
              },
            ]
          : []),
      ],
    });
    new IamRolePolicy(this, 'firehose-inline', { role: firehoseRole.id, policy: firehosePolicy.json });

    this.deliveryStream = new KinesisFirehoseDeliveryStream(this, 'orders', {
      name: streamName,
      destination: 'extended_s3',
      ...(props.kinesisSourceArn
        ? { kinesisSourceConfiguration: { kinesisStreamArn: props.kinesisSourceArn, roleArn: firehoseRole.arn } }
        : { serverSideEncryption: { enabled: true, keyType: 'CUSTOMER_MANAGED_CMK', keyArn: storage.key.arn } }),
      extendedS3Configuration: {
        roleArn: firehoseRole.arn,
        bucketArn: raw.arn,
        prefix: FIREHOSE_PREFIXES.data,
        errorOutputPrefix: FIREHOSE_PREFIXES.error,
        bufferingSize: 5,
        bufferingInterval: 60,
        compressionFormat: 'UNCOMPRESSED',
        kmsKeyArn: storage.key.arn,
        cloudwatchLoggingOptions: {
          enabled: true,
          logGroupName: firehoseLogs.name,
          logStreamName: firehoseLogStream.name,
        },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: 'Lambda',
              parameters: [
                { parameterName: 'LambdaArn', parameterValue: processorArn },
                { parameterName: 'BufferSizeInMBs', parameterValue: '1' },
                { parameterName: 'BufferIntervalInSeconds', parameterValue: '60' },
                { parameterName: 'NumberOfRetries', parameterValue: '3' },
              ],
            },
          ],
        },
      },
    });

    new DeliveryStreamAlarms(this, 'orders-alarms', { streamName, alarmTopicArn: storage.alarmTopic.arn });

    if (!settings.demoPublisher) return;
    if (!settings.snowflake) return;
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
        DELIVERY_STREAM_NAME: streamName,
        RAW_BUCKET: raw.bucket,
        PUBLISH_EVENTS: '500',
        ...snowflakeEnvironment(settings.snowflake, storage.snowflakeSecret.arn),
      },
      statements: [
        { actions: ['firehose:PutRecordBatch'], resources: [this.deliveryStream.arn] },
        { actions: ['s3:GetObject', 's3:PutObject'], resources: [`${raw.arn}/${PUBLISHER_STATE_PREFIX}*`] },
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
