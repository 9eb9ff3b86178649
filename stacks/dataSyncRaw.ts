import type { Construct } from 'constructs';
import { NodeLambda } from './constructs/nodeLambda.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';
import { type RdsPostgresqlStack, SYNC_DB_USER } from './rdsPostgresql.js';
import type { S3BucketsStack } from './s3Buckets.js';
import type { VpcStack } from './vpc.js';

/** Props of {@link DataSyncRawStack}. */
export interface DataSyncRawStackProps extends InsightFlowStackProps {
  storage: S3BucketsStack;
  network: VpcStack;
  database: RdsPostgresqlStack;
}

/**
 * `data-sync-raw`: the sync Lambda in the private subnets, allowed to read the raw bucket's data
 * and to connect to PostgreSQL as its own role by IAM token — no password anywhere.
 */
export class DataSyncRawStack extends InsightFlowStack {
  public readonly sync: NodeLambda;

  public constructor(scope: Construct, id: string, props: DataSyncRawStackProps) {
    super(scope, id, props);
    const { settings, storage, network, database } = props;
    const raw = storage.raw.bucket;
    const db = database.instance;
    this.sync = new NodeLambda(this, 's3-to-rds-sync', {
      packageName: 's3-to-rds-sync',
      functionName: this.name('s3-to-rds-sync'),
      memorySize: 2048,
      timeout: 900,
      logRetentionDays: settings.logRetentionDays,
      logKmsKeyArn: storage.key.arn,
      vpc: { subnetIds: network.privateSubnets.map((s) => s.id), securityGroupIds: [network.lambdaSecurityGroup.id] },
      environment: {
        RAW_BUCKET: raw.bucket,
        DB_HOST: db.address,
        DB_PORT: '5432',
        DB_NAME: 'insightflow',
        DB_USER: SYNC_DB_USER,
        SYNC_DEADLINE_MARGIN_MS: '60000',
      },
      statements: [
        { actions: ['s3:GetObject'], resources: [`${raw.arn}/data/*`] },
        {
          actions: ['s3:ListBucket'],
          resources: [raw.arn],
          conditions: [{ test: 'StringLike', variable: 's3:prefix', values: ['data/*'] }],
        },
        { actions: ['kms:Decrypt'], resources: [storage.key.arn] },
        {
          actions: ['rds-db:connect'],
          resources: [`arn:aws:rds-db:${settings.region}:${storage.accountId}:dbuser:${db.resourceId}/${SYNC_DB_USER}`],
        },
      ],
    });
  }
}
