import { BATCH_PREFIX, BatchIngestConfigSchema } from '@insightflow/shared-config';
import type { Construct } from 'constructs';
import { NodeLambda } from './constructs/nodeLambda.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';
import type { S3BucketsStack } from './s3Buckets.js';
import { snowflakeEnvironment } from './snowflakeEnvironment.js';

/** Props of {@link BatchIngestionStack}. */
export interface BatchIngestionStackProps extends InsightFlowStackProps {
  storage: S3BucketsStack;
}

/**
 * `batch-ingestion`: the batch-ingest Lambda (one table per invocation; the orchestration fans
 * out) and its role: write the raw bucket's batch prefix, read the Snowflake secret. Without
 * Snowflake settings (dev only) there is nothing to ingest from, and the function is left out.
 */
export class BatchIngestionStack extends InsightFlowStack {
  public readonly ingest: NodeLambda | undefined;

  public constructor(scope: Construct, id: string, props: BatchIngestionStackProps) {
    super(scope, id, props);
    const { settings, storage } = props;
    if (!settings.snowflake) return;
    const raw = storage.raw.bucket;
    this.ingest = new NodeLambda(this, 'batch-ingest', {
      packageName: 'batch-ingest',
      functionName: this.name('batch-ingest'),
      memorySize: 1024,
      timeout: 900,
      logRetentionDays: settings.logRetentionDays,
      logKmsKeyArn: storage.key.arn,
      alarmTopicArn: storage.alarmTopic.arn,
      configSchema: BatchIngestConfigSchema,
      environment: {
        RAW_BUCKET: raw.bucket,
        INGEST_MODE: 'stream',
        ...snowflakeEnvironment(settings.snowflake, storage.snowflakeSecret.arn),
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
        { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [storage.key.arn] },
      ],
    });
  }
}
