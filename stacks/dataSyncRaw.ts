import { LambdaInvocation } from '@cdktf/provider-aws/lib/lambda-invocation/index.js';
import { DATA_PREFIX, DatabaseRolesConfigSchema, SyncConfigSchema } from '@insightflow/shared-config';
import type { Construct } from 'constructs';
import { NodeLambda } from './constructs/nodeLambda.js';
import { viaService } from './constructs/serviceRole.js';
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
 * and to connect to PostgreSQL as its own role by IAM token — no password anywhere; and the
 * database-roles Lambda that creates that role, run by the deployment.
 */
export class DataSyncRawStack extends InsightFlowStack {
  public readonly sync: NodeLambda;
  /** Creates the sync's database role at deploy time. */
  public readonly databaseRoles: NodeLambda;

  public constructor(scope: Construct, id: string, props: DataSyncRawStackProps) {
    super(scope, id, props);
    const { settings, storage, network, database } = props;
    const raw = storage.raw.bucket;
    const db = database.instance;
    const vpc = {
      subnetIds: network.privateSubnets.map((s) => s.id),
      securityGroupIds: [network.lambdaSecurityGroup.id],
    };
    this.sync = new NodeLambda(this, 's3-to-rds-sync', {
      packageName: 's3-to-rds-sync',
      functionName: this.name('s3-to-rds-sync'),
      memorySize: 2048,
      timeout: 900,
      ...storage.functionDefaults(),
      vpc,
      configSchema: SyncConfigSchema,
      environment: {
        RAW_BUCKET: raw.bucket,
        DB_HOST: db.address,
        DB_PORT: '5432',
        DB_NAME: 'insightflow',
        DB_USER: SYNC_DB_USER,
        SYNC_DEADLINE_MARGIN_MS: '60000',
      },
      statements: [
        { actions: ['s3:GetObject'], resources: [`${raw.arn}/${DATA_PREFIX}*`] },
        // Unconditioned: the sync HEADs every part before loading it, and a part deleted since
        // its run was committed must answer 404 (refused with its key), not 403.
        { actions: ['s3:ListBucket'], resources: [raw.arn] },
        { actions: ['kms:Decrypt'], resources: [storage.key.arn], conditions: [viaService(settings.region, 's3')] },
        {
          actions: ['rds-db:connect'],
          resources: [`arn:aws:rds-db:${settings.region}:${storage.accountId}:dbuser:${db.resourceId}/${SYNC_DB_USER}`],
        },
      ],
    });

    // The sync's database role is made by the deployment, not by hand: a function that reads
    // the master credentials RDS keeps in Secrets Manager creates it, invoked on every apply
    // that changes the role or the function.
    const masterSecretArn = db.masterUserSecret.get(0).secretArn;
    this.databaseRoles = new NodeLambda(this, 'database-roles', {
      packageName: 'database-roles',
      functionName: this.name('database-roles'),
      memorySize: 256,
      timeout: 60,
      ...storage.functionDefaults(),
      vpc,
      configSchema: DatabaseRolesConfigSchema,
      environment: {
        MASTER_SECRET_ARN: masterSecretArn,
        DB_HOST: db.address,
        DB_PORT: '5432',
        DB_NAME: 'insightflow',
        SYNC_DB_USER,
      },
      statements: [
        { actions: ['secretsmanager:GetSecretValue'], resources: [masterSecretArn] },
        {
          actions: ['kms:Decrypt'],
          resources: [storage.key.arn],
          conditions: [viaService(settings.region, 'secretsmanager')],
        },
      ],
    });
    new LambdaInvocation(this, 'ensure-sync-role', {
      functionName: this.databaseRoles.function.functionName,
      input: JSON.stringify({ role: SYNC_DB_USER }),
      triggers: { role: SYNC_DB_USER, code: this.databaseRoles.function.sourceCodeHash, database: db.resourceId },
    });
  }
}
