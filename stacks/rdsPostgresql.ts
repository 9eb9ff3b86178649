import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance/index.js';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group/index.js';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group/index.js';
import type { Construct } from 'constructs';
import { ServiceRole, serviceTrust } from './constructs/serviceRole.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';
import type { S3BucketsStack } from './s3Buckets.js';
import type { VpcStack } from './vpc.js';

/** Props of {@link RdsPostgresqlStack}. */
export interface RdsPostgresqlStackProps extends InsightFlowStackProps {
  network: VpcStack;
  storage: S3BucketsStack;
}

/** The PostgreSQL logs RDS publishes to CloudWatch Logs. */
export const DB_LOG_EXPORTS = ['postgresql', 'upgrade'] as const;

/** Seconds between Enhanced Monitoring's OS metrics (RDS's RDSOSMetrics log group, the account stack's). */
export const ENHANCED_MONITORING_INTERVAL = 60;

/** The database role the sync logs in as, by IAM token (created once, see the README). */
export const SYNC_DB_USER = 'insightflow_sync';

/**
 * `rds-postgresql`: PostgreSQL 17 in the private subnets, storage encrypted with the project key,
 * IAM authentication on, the master password managed by Secrets Manager, 7-day backups, TLS
 * forced by the parameter group, the PostgreSQL and upgrade logs exported to encrypted log groups
 * with retention, Enhanced Monitoring (OS metrics every minute, through a role of its own);
 * deletion protection, Multi-AZ and a final snapshot in prod.
 */
export class RdsPostgresqlStack extends InsightFlowStack {
  public readonly instance: DbInstance;

  public constructor(scope: Construct, id: string, props: RdsPostgresqlStackProps) {
    super(scope, id, props);
    const { settings, network, storage } = props;
    const subnets = new DbSubnetGroup(this, 'subnets', {
      name: this.name('postgres'),
      subnetIds: network.privateSubnets.map((s) => s.id),
    });
    const parameters = new DbParameterGroup(this, 'parameters', {
      name: this.name('postgres17'),
      family: 'postgres17',
      parameter: [
        { name: 'rds.force_ssl', value: '1' },
        { name: 'log_min_duration_statement', value: '5000' },
        // Room for a snapshot's bulk load between checkpoints (MB); the sync sets its own
        // maintenance_work_mem for the key build.
        { name: 'max_wal_size', value: '4096' },
      ],
    });
    const identifier = this.name('postgres');
    // Created before the instance: RDS would otherwise create them unencrypted and kept forever.
    const logGroups = DB_LOG_EXPORTS.map(
      (log) =>
        new CloudwatchLogGroup(this, `logs-${log}`, {
          name: `/aws/rds/instance/${identifier}/${log}`,
          retentionInDays: settings.logRetentionDays,
          kmsKeyId: storage.key.arn,
        }),
    );
    const account = storage.accountId;
    // The policy of AWS's AmazonRDSEnhancedMonitoringRole, written out: RDS's own RDS* log groups.
    const rdsLogs = `arn:aws:logs:${settings.region}:${account}:log-group:RDS*`;
    const monitoring = new ServiceRole(this, 'monitoring-role', {
      roleName: this.name('rds-monitoring'),
      trust: serviceTrust('monitoring.rds.amazonaws.com', {
        sourceAccount: account,
        sourceArn: [`arn:aws:rds:${settings.region}:${account}:db:${identifier}`],
      }),
      permissionsBoundary: storage.permissionsBoundary,
      statements: [
        { actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'], resources: [rdsLogs] },
        {
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:GetLogEvents'],
          resources: [`${rdsLogs}:log-stream:*`],
        },
      ],
    });
    this.instance = new DbInstance(this, 'postgres', {
      identifier,
      engine: 'postgres',
      engineVersion: '17',
      instanceClass: settings.dbInstanceClass,
      allocatedStorage: settings.dbAllocatedStorage,
      maxAllocatedStorage: settings.dbMaxAllocatedStorage,
      storageType: 'gp3',
      storageEncrypted: true,
      kmsKeyId: storage.key.arn,
      dbName: 'insightflow',
      username: 'insightflow_admin',
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: storage.key.arn,
      iamDatabaseAuthenticationEnabled: true,
      dbSubnetGroupName: subnets.name,
      parameterGroupName: parameters.name,
      vpcSecurityGroupIds: [network.databaseSecurityGroup.id],
      publiclyAccessible: false,
      multiAz: settings.multiAz,
      backupRetentionPeriod: 7,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: storage.key.arn,
      monitoringInterval: ENHANCED_MONITORING_INTERVAL,
      monitoringRoleArn: monitoring.arn,
      deletionProtection: settings.deletionProtection,
      skipFinalSnapshot: !settings.deletionProtection,
      ...(settings.deletionProtection ? { finalSnapshotIdentifier: this.name('postgres-final') } : {}),
      enabledCloudwatchLogsExports: [...DB_LOG_EXPORTS],
      dependsOn: logGroups,
    });
  }
}
