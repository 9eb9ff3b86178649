import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target/index.js';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import type { Construct } from 'constructs';
import type { BatchIngestionStack } from './batchIngestion.js';
import type { CleanLayerStack } from './cleanLayer.js';
import { notifyingAlarm } from './constructs/notifyingAlarm.js';
import { PipelineDashboard } from './constructs/pipelineDashboard.js';
import { PipelineStateMachine } from './constructs/pipelineStateMachine.js';
import { type PolicyStatement, ServiceRole, serviceTrust, viaService } from './constructs/serviceRole.js';
import type { DataSyncRawStack } from './dataSyncRaw.js';
import type { GlueCrawlerRawStack } from './glueCrawlerRaw.js';
import { LOG_DELIVERY_ACTIONS } from './iamActions.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';
import type { RdsPostgresqlStack } from './rdsPostgresql.js';
import type { S3BucketsStack } from './s3Buckets.js';
import type { StreamingIngestionStack } from './streamingIngestion.js';

/** Props of {@link OrchestrationStack}. */
export interface OrchestrationStackProps extends InsightFlowStackProps {
  storage: S3BucketsStack;
  batch: BatchIngestionStack;
  crawlers: GlueCrawlerRawStack;
  clean: CleanLayerStack;
  sync: DataSyncRawStack;
  streaming: StreamingIngestionStack;
  database: RdsPostgresqlStack;
  /** Rows one function may reject within five minutes before the alarm goes off (default 0: any). */
  rejectedRowsThreshold?: number;
  /** Sync lag, in seconds, that raises the alarm (default 26 hours: a daily schedule missed once). */
  syncLagThresholdSeconds?: number;
}

/** Execution outcomes that alarm, by their AWS/States metric. */
const FAILED_EXECUTION_METRICS = {
  ExecutionsFailed: 'failed',
  ExecutionsTimedOut: 'timed-out',
  ExecutionsAborted: 'aborted',
} as const;

/**
 * `orchestration`: the pipeline's state machine, its schedule (one EventBridge rule instead of
 * the staggered crons of the Python/HCL system InsightFlow replaces) and alarms on failed,
 * timed-out and aborted executions to the alarm topic of `s3-buckets`.
 */
export class OrchestrationStack extends InsightFlowStack {
  public readonly stateMachine: PipelineStateMachine;

  public constructor(scope: Construct, id: string, props: OrchestrationStackProps) {
    super(scope, id, props);
    const { settings, catalog, storage, batch, crawlers, clean, sync, streaming, database } = props;
    const ingestArn = batch.ingest?.function.arn;
    const cleanArn = clean.clean.function.arn;
    const syncArn = sync.sync.function.arn;

    const logs = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/states/${this.name('pipeline')}`,
      retentionInDays: settings.logRetentionDays,
      kmsKeyId: storage.key.arn,
    });
    const account = storage.accountId;
    const machineName = this.name('pipeline');
    // Known before the machine exists: its role and key use name it, and the machine names its role.
    const machineArn = `arn:aws:states:${settings.region}:${account}:stateMachine:${machineName}`;
    const scheduleName = this.name('pipeline');
    const scheduleArn = `arn:aws:events:${settings.region}:${account}:rule/${scheduleName}`;
    // The execution history and definition are encrypted with the project key, through Step Functions only.
    const machineKeyUse = (actions: string[]): PolicyStatement => ({
      actions,
      resources: [storage.key.arn],
      conditions: [viaService(settings.region, 'states')],
    });
    const role = new ServiceRole(this, 'machine-role', {
      roleName: this.name('pipeline'),
      trust: serviceTrust('states.amazonaws.com', { sourceAccount: account, sourceArn: [machineArn] }),
      permissionsBoundary: storage.permissionsBoundary,
      statements: [
        {
          actions: ['lambda:InvokeFunction'],
          resources: [
            ...(ingestArn ? [ingestArn, `${ingestArn}:*`] : []),
            cleanArn,
            `${cleanArn}:*`,
            syncArn,
            `${syncArn}:*`,
          ],
        },
        { actions: ['glue:StartCrawler'], resources: crawlers.crawlers.map((c) => c.arn) },
        {
          // Log delivery is configured account-wide: these actions take no narrower resource.
          actions: LOG_DELIVERY_ACTIONS,
          resources: ['*'],
        },
        { actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] },
        machineKeyUse(['kms:Decrypt', 'kms:GenerateDataKey']),
      ],
    });

    this.stateMachine = new PipelineStateMachine(this, 'pipeline', {
      stateMachineName: machineName,
      roleArn: role.arn,
      logGroupArn: logs.arn,
      kmsKeyArn: storage.key.arn,
      targets: {
        ...(ingestArn ? { ingest: ingestArn } : {}),
        clean: cleanArn,
        sync: syncArn,
        crawlers: crawlers.crawlers.map((c) => c.name),
      },
      tables: catalog.tableNames(),
    });

    const eventsRole = new ServiceRole(this, 'schedule-role', {
      roleName: this.name('pipeline-schedule'),
      trust: serviceTrust('events.amazonaws.com', { sourceAccount: account, sourceArn: [scheduleArn] }),
      permissionsBoundary: storage.permissionsBoundary,
      statements: [
        { actions: ['states:StartExecution'], resources: [this.stateMachine.arn] },
        // StartExecution encrypts the execution's input with the machine's key.
        machineKeyUse(['kms:GenerateDataKey']),
      ],
    });
    const schedule = new CloudwatchEventRule(this, 'schedule', {
      name: scheduleName,
      scheduleExpression: settings.scheduleExpression,
    });
    new CloudwatchEventTarget(this, 'schedule-target', {
      rule: schedule.name,
      arn: this.stateMachine.arn,
      roleArn: eventsRole.arn,
      input: JSON.stringify({ tables: catalog.tableNames() }),
    });

    new PipelineDashboard(this, 'dashboard', {
      dashboardName: this.name('pipeline'),
      name: (n) => this.name(n),
      region: settings.region,
      environment: settings.env,
      stateMachineArn: this.stateMachine.arn,
      deliveryStreamNames: [...streaming.deliveries.values()].map((d) => d.deliveryStream.name),
      databaseIdentifier: database.instance.identifier,
      alarmTopicArn: storage.alarmTopic.arn,
      rejectedRowsThreshold: props.rejectedRowsThreshold ?? 0,
      syncLagThresholdSeconds: props.syncLagThresholdSeconds ?? 26 * 3600,
    });

    for (const [metricName, outcome] of Object.entries(FAILED_EXECUTION_METRICS)) {
      // 'failures' is the failed-executions alarm's address from before the other two existed:
      // a new address with the same alarm name would have the old one's destroy delete it.
      notifyingAlarm(this, outcome === 'failed' ? 'failures' : `executions-${outcome}`, {
        alarmName: this.name(`pipeline-${outcome}`),
        alarmDescription: `An InsightFlow pipeline execution ${outcome.replace('-', ' ')}.`,
        namespace: 'AWS/States',
        metricName,
        dimensions: { StateMachineArn: this.stateMachine.arn },
        alarmTopicArn: storage.alarmTopic.arn,
      });
    }
  }
}
