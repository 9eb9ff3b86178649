import type { Construct } from 'constructs';
import { NodeLambda } from './constructs/nodeLambda.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';
import type { S3BucketsStack } from './s3Buckets.js';

/** Props of {@link BatchIngestionStack}. */
export interface BatchIngestionStackProps extends InsightFlowStackProps {
  storage: S3BucketsStack;
}

/**
 * `batch-ingestion`: the batch-ingest Lambda (one table per invocation; the orchestration fans
 * out) and its role: write the raw bucket's batch prefix, read the Snowflake secret.
 */
export class BatchIngestionStack extends InsightFlowStack {
  public readonly ingest: NodeLambda;

  public constructor(scope: Construct, id: string, props: BatchIngestionStackProps) {
    super(scope, id, props);
    const { settings, storage } = props;
    const raw = storage.raw.bucket;
    this.ingest = new NodeLambda(this, 'batch-ingest', {
      packageName: 'batch-ingest',
      functionName: this.name('batch-ingest'),
      memorySize: 1024,
      timeout: 900,
      logRetentionDays: settings.logRetentionDays,
      logKmsKeyArn: storage.key.arn,
      environment: {
        RAW_BUCKET: raw.bucket,
        WAREHOUSE: 'snowflake',
        SNOWFLAKE_SECRET_ARN: storage.snowflakeSecret.arn,
        SNOWFLAKE_ACCOUNT: 'set-snowflake-account',
        SNOWFLAKE_USER: 'INSIGHTFLOW_INGEST',
        INGEST_MODE: 'stream',
        SNOWFLAKE_DISABLE_MINICORE: '1',
      },
      statements: [
        {
          actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
          resources: [`${raw.arn}/data/batch/*`],
        },
        {
          actions: ['s3:ListBucket'],
          resources: [raw.arn],
          conditions: [{ test: 'StringLike', variable: 's3:prefix', values: ['data/batch/*'] }],
        },
        { actions: ['secretsmanager:GetSecretValue'], resources: [storage.snowflakeSecret.arn] },
        { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [storage.key.arn] },
      ],
    });
  }
}
