import { createHash } from 'node:crypto';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { CloudwatchLogStream } from '@cdktf/provider-aws/lib/cloudwatch-log-stream/index.js';
import { KinesisFirehoseDeliveryStream } from '@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream/index.js';
import {
  type Catalog,
  firehosePrefixes,
  type StreamSpec,
  StreamTransformerConfigSchema,
  streamingErrorPrefix,
  streamingPrefix,
} from '@insightflow/shared-config';
import { Construct } from 'constructs';
import { DeliveryStreamAlarms } from './deliveryStreamAlarms.js';
import { NodeLambda } from './nodeLambda.js';
import { ServiceRole, serviceTrust, viaService } from './serviceRole.js';

/** Delivery stream, function and role names: AWS takes at most 64 characters for each. */
const MAX_NAME = 64;

/**
 * `name` if it fits AWS's 64-character limit, else its head and a hash of the whole (a catalog
 * stream name may be 63 characters; the environment prefix comes on top).
 */
export function boundedName(name: string): string {
  if (name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME - hash.length - 1)}-${hash}`;
}

/** Props of {@link CatalogStreamDelivery}. */
export interface CatalogStreamDeliveryProps {
  /** The catalog the stream is one of. */
  catalog: Catalog;
  /** The catalog stream delivered. */
  stream: StreamSpec;
  /** `insightflow-<env>-<name>`, the stack's naming. */
  name: (name: string) => string;
  raw: { arn: string; bucket: string };
  keyArn: string;
  alarmTopicArn: string;
  logRetentionDays: number;
  region: string;
  accountId: string;
  /** The environment's permissions boundary, on every role. */
  permissionsBoundary: string;
  /** A Kinesis stream to read from instead of Direct PUT (encrypted with `keyArn`). */
  kinesisSourceArn?: string | undefined;
}

/**
 * One catalog stream's delivery: a Firehose delivery stream (Direct PUT by default) that runs
 * every batch through its own stream-transformer function (`STREAM_NAME` = the stream) and
 * writes NDJSON under the stream's prefix, failures under its error prefix, encrypted with the
 * project key; a Firehose role that may write only those two prefixes and invoke only that
 * function; its delivery log; and its alarms.
 */
export class CatalogStreamDelivery extends Construct {
  public readonly deliveryStream: KinesisFirehoseDeliveryStream;
  public readonly transformer: NodeLambda;
  public readonly role: ServiceRole;

  public constructor(scope: Construct, id: string, props: CatalogStreamDeliveryProps) {
    super(scope, id);
    const { catalog, stream, raw, keyArn, alarmTopicArn, logRetentionDays, region, permissionsBoundary } = props;
    const streamName = boundedName(props.name(stream.name));
    const prefixes = firehosePrefixes(catalog, stream.name);

    // One function per stream: its configuration is its stream, and each delivery stream may
    // invoke only its own (Firehose's event would name the stream, but no role could be narrowed).
    this.transformer = new NodeLambda(this, 'transformer', {
      packageName: 'stream-transformer',
      functionName: boundedName(props.name(`stream-transformer-${stream.name}`)),
      memorySize: 512,
      timeout: 60,
      logRetentionDays,
      logKmsKeyArn: keyArn,
      alarmTopicArn,
      configSchema: StreamTransformerConfigSchema,
      environment: { STREAM_NAME: stream.name, MAX_RESPONSE_BYTES: '6000000' },
      permissionsBoundary,
      statements: [],
    });
    // Firehose invokes exactly this ARN; its role is allowed exactly this ARN.
    const processorArn = `${this.transformer.function.arn}:$LATEST`;

    const logs = new CloudwatchLogGroup(this, 'firehose-logs', {
      name: `/aws/kinesisfirehose/${streamName}`,
      retentionInDays: logRetentionDays,
      kmsKeyId: keyArn,
    });
    const logStream = new CloudwatchLogStream(this, 'firehose-log-stream', {
      name: 'S3Delivery',
      logGroupName: logs.name,
    });
    // Firehose assumes its role with the account id as external id (its guide's trust policy).
    this.role = new ServiceRole(this, 'firehose-role', {
      roleName: boundedName(props.name(`firehose-${stream.name}`)),
      trust: serviceTrust('firehose.amazonaws.com', { externalId: props.accountId }),
      permissionsBoundary,
      statements: [
        {
          actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
          resources: [
            raw.arn,
            `${raw.arn}/${streamingPrefix(catalog, stream.name)}*`,
            `${raw.arn}/${streamingErrorPrefix(catalog, stream.name)}*`,
          ],
        },
        {
          actions: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
          resources: [processorArn],
        },
        {
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [keyArn],
          conditions: [viaService(region, 's3')],
        },
        { actions: ['logs:PutLogEvents'], resources: [`${logs.arn}:*`] },
        ...(props.kinesisSourceArn
          ? [
              {
                // Reading its source: this one stream, and nothing else of Kinesis.
                actions: [
                  'kinesis:DescribeStream',
                  'kinesis:DescribeStreamSummary',
                  'kinesis:GetShardIterator',
                  'kinesis:GetRecords',
                  'kinesis:ListShards',
                ],
                resources: [props.kinesisSourceArn],
              },
              // Its records are encrypted with the project key.
              { actions: ['kms:Decrypt'], resources: [keyArn], conditions: [viaService(region, 'kinesis')] },
            ]
          : []),
      ],
    });

    this.deliveryStream = new KinesisFirehoseDeliveryStream(this, 'delivery-stream', {
      name: streamName,
      destination: 'extended_s3',
      ...(props.kinesisSourceArn
        ? { kinesisSourceConfiguration: { kinesisStreamArn: props.kinesisSourceArn, roleArn: this.role.arn } }
        : { serverSideEncryption: { enabled: true, keyType: 'CUSTOMER_MANAGED_CMK', keyArn } }),
      extendedS3Configuration: {
        roleArn: this.role.arn,
        bucketArn: raw.arn,
        prefix: prefixes.data,
        errorOutputPrefix: prefixes.error,
        bufferingSize: 5,
        bufferingInterval: 60,
        compressionFormat: 'UNCOMPRESSED',
        kmsKeyArn: keyArn,
        cloudwatchLoggingOptions: { enabled: true, logGroupName: logs.name, logStreamName: logStream.name },
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

    new DeliveryStreamAlarms(this, 'alarms', { streamName, alarmTopicArn });
  }
}
