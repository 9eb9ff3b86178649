import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission/index.js';
import { S3BucketNotification } from '@cdktf/provider-aws/lib/s3-bucket-notification/index.js';
import {
  BATCH_PREFIX,
  BatchIngestConfigSchema,
  DEFAULT_STAGE_PREFIX,
  SnowflakeLoaderConfigSchema,
} from '@insightflow/shared-config';
import type { Construct } from 'constructs';
import { NodeLambda } from './constructs/nodeLambda.js';
import { viaService } from './constructs/serviceRole.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';
import type { S3BucketsStack } from './s3Buckets.js';
import { snowflakeEnvironment } from './snowflakeEnvironment.js';

/** Props of {@link BatchIngestionStack}. */
export interface BatchIngestionStackProps extends InsightFlowStackProps {
  storage: S3BucketsStack;
}

/**
 * `batch-ingestion`: the Snowflake side of the batch path. The snowflake-loader Lambda loads the
 * staged source files into Snowflake — on demand, and whenever a file lands in the stage bucket
 * (each file once: Snowflake keeps per-file load metadata). The batch-ingest Lambda (one table per
 * invocation; the orchestration fans out) writes the raw bucket's batch prefix. Both read the
 * Snowflake secret. Without Snowflake settings (dev only) there is nothing to load into or ingest
 * from, and both are left out.
 */
export class BatchIngestionStack extends InsightFlowStack {
  public readonly ingest: NodeLambda | undefined;
  public readonly loader: NodeLambda | undefined;

  public constructor(scope: Construct, id: string, props: BatchIngestionStackProps) {
    super(scope, id, props);
    const { settings, storage } = props;
    if (!settings.snowflake) return;
    const raw = storage.raw.bucket;
    const stage = storage.stage.bucket;
    const snowflake = snowflakeEnvironment(settings.snowflake, storage.snowflakeSecret.arn);

    this.loader = new NodeLambda(this, 'snowflake-loader', {
      packageName: 'snowflake-loader',
      functionName: this.name('snowflake-loader'),
      memorySize: 512,
      timeout: 900,
      ...storage.functionDefaults(),
      // S3 invokes it asynchronously: events that still fail are kept, not lost.
      asyncFailureQueue: { kmsKeyArn: storage.key.arn },
      configSchema: SnowflakeLoaderConfigSchema,
      environment: { STAGE_BUCKET: stage.bucket, STAGE_PREFIX: DEFAULT_STAGE_PREFIX, ...snowflake },
      // Snowflake reads the files itself, through the storage integration's role.
      statements: [
        { actions: ['secretsmanager:GetSecretValue'], resources: [storage.snowflakeSecret.arn] },
        {
          actions: ['kms:Decrypt'],
          resources: [storage.key.arn],
          conditions: [viaService(settings.region, 'secretsmanager')],
        },
      ],
    });
    const invokeFromStage = new LambdaPermission(this, 'loader-invoke-from-stage', {
      action: 'lambda:InvokeFunction',
      functionName: this.loader.function.functionName,
      principal: 's3.amazonaws.com',
      sourceArn: stage.arn,
      sourceAccount: storage.accountId,
    });
    new S3BucketNotification(this, 'stage-notification', {
      bucket: stage.id,
      lambdaFunction: [
        { lambdaFunctionArn: this.loader.function.arn, events: ['s3:ObjectCreated:*'], filterSuffix: '.csv' },
        { lambdaFunctionArn: this.loader.function.arn, events: ['s3:ObjectCreated:*'], filterSuffix: '.csv.gz' },
      ],
      dependsOn: [invokeFromStage],
    });

    this.ingest = new NodeLambda(this, 'batch-ingest', {
      packageName: 'batch-ingest',
      functionName: this.name('batch-ingest'),
      memorySize: 1024,
      timeout: 900,
      ...storage.functionDefaults(),
      configSchema: BatchIngestConfigSchema,
      environment: {
        RAW_BUCKET: raw.bucket,
        INGEST_MODE: 'auto',
        ...snowflake,
      },
      statements: [
        {
          actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
          resources: [`${raw.arn}/${BATCH_PREFIX}*`],
        },
        // Unconditioned: a HEAD of a manifest not written yet must answer 404, and S3 answers
        // 404 instead of 403 only to a caller allowed to list the bucket.
        { actions: ['s3:ListBucket'], resources: [raw.arn] },
        { actions: ['secretsmanager:GetSecretValue'], resources: [storage.snowflakeSecret.arn] },
        {
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [storage.key.arn],
          conditions: [viaService(settings.region, 's3', 'secretsmanager')],
        },
      ],
    });
  }
}
