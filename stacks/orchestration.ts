import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target/index.js';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine/index.js';
import { ErrorKind, REPORTED_ERROR_NAMES } from '@insightflow/shared-config';
import type { Construct } from 'constructs';
import type { BatchIngestionStack } from './batchIngestion.js';
import type { CleanLayerStack } from './cleanLayer.js';
import { notifyingAlarm } from './constructs/notifyingAlarm.js';
import { PipelineDashboard } from './constructs/pipelineDashboard.js';
import { type PolicyStatement, ServiceRole, serviceTrust, viaService } from './constructs/serviceRole.js';
import type { DataSyncRawStack } from './dataSyncRaw.js';
import type { GlueCrawlerRawStack } from './glueCrawlerRaw.js';
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

/** Failures of the Lambda service itself, before or around our code: always worth a quick retry. */
export const LAMBDA_TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** What our handlers report (defineHandler): a retryable failure is retried, a terminal one fails at once. */
export const HANDLER_RETRYABLE = REPORTED_ERROR_NAMES[ErrorKind.retryable];
export const HANDLER_TERMINAL = REPORTED_ERROR_NAMES[ErrorKind.terminal];

/** Sync rounds an execution may run before it fails: a sync that always reports `more` must not loop forever. */
export const MAX_SYNC_ROUNDS = 50;

/** The error an execution fails with when the sync still reports `more` after {@link MAX_SYNC_ROUNDS}. */
export const SYNC_ROUNDS_EXCEEDED = 'InsightFlow.SyncRoundsExceeded';

/** Execution outcomes that alarm, by their AWS/States metric. */
const FAILED_EXECUTION_METRICS = {
  ExecutionsFailed: 'failed',
  ExecutionsTimedOut: 'timed-out',
  ExecutionsAborted: 'aborted',
} as const;

/**
 * The state machine: ingest (a Map over tables; left out when there is no ingest function) →
 * start the crawlers → build the clean tables (a Map over the same tables, one clean-layer
 * invocation each, while the crawlers run) → sync while `more`, at most {@link MAX_SYNC_ROUNDS}
 * rounds (counted in `$.syncRounds.count`). Each Map runs as many tables at once as `tables` has.
 */
export function pipelineDefinition(
  arns: { ingest?: string; clean: string; sync: string; crawlers: string[] },
  tables: readonly string[],
): string {
  const transientRetry = {
    ErrorEquals: LAMBDA_TRANSIENT,
    IntervalSeconds: 2,
    MaxAttempts: 6,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  };
  return JSON.stringify({
    Comment:
      'InsightFlow: batch ingest every table in parallel, crawl the lake, build the clean tables, sync PostgreSQL.',
    StartAt: arns.ingest ? 'IngestTables' : 'StartCrawlers',
    States: {
      ...(arns.ingest && {
        IngestTables: {
          Type: 'Map',
          ItemsPath: '$.tables',
          MaxConcurrency: tables.length,
          // Every table of a run shares the run's time: the execution's start.
          ItemSelector: { 'table.$': '$$.Map.Item.Value', 'runAt.$': '$$.Execution.StartTime' },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'IngestTable',
            States: {
              IngestTable: {
                Type: 'Task',
                Resource: 'arn:aws:states:::lambda:invoke',
                Parameters: { FunctionName: arns.ingest, 'Payload.$': '$' },
                // No rule matches HANDLER_TERMINAL: a terminal failure fails the execution at once.
                Retry: [
                  transientRetry,
                  { ErrorEquals: [HANDLER_RETRYABLE], IntervalSeconds: 30, MaxAttempts: 2, BackoffRate: 2 },
                ],
                End: true,
              },
            },
          },
          ResultPath: null,
          Next: 'StartCrawlers',
        },
      }),
      StartCrawlers: {
        Type: 'Parallel',
        Branches: arns.crawlers.map((name, i) => ({
          StartAt: `StartCrawler${i}`,
          States: {
            [`StartCrawler${i}`]: {
              Type: 'Task',
              Resource: 'arn:aws:states:::aws-sdk:glue:startCrawler',
              Parameters: { Name: name },
              Retry: [
                { ErrorEquals: ['Glue.ThrottlingException'], IntervalSeconds: 5, MaxAttempts: 5, BackoffRate: 2 },
              ],
              Catch: [{ ErrorEquals: ['Glue.CrawlerRunningException'], Next: `CrawlerAlreadyRunning${i}` }],
              End: true,
            },
            [`CrawlerAlreadyRunning${i}`]: { Type: 'Succeed' },
          },
        })),
        ResultPath: null,
        Next: 'CleanTables',
      },
      // One invocation per table: each gets the function's whole time budget, and Athena runs
      // the tables' queries side by side (within the account's concurrent-query quota).
      CleanTables: {
        Type: 'Map',
        ItemsPath: '$.tables',
        MaxConcurrency: tables.length,
        ItemSelector: { 'table.$': '$$.Map.Item.Value' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'CleanTable',
          States: {
            CleanTable: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Parameters: { FunctionName: arns.clean, Payload: { 'tables.$': 'States.Array($.table)' } },
              Retry: [
                transientRetry,
                { ErrorEquals: [HANDLER_RETRYABLE], IntervalSeconds: 30, MaxAttempts: 2, BackoffRate: 2 },
              ],
              End: true,
            },
          },
        },
        ResultPath: null,
        Next: 'StartSync',
      },
      StartSync: { Type: 'Pass', Result: { count: 0 }, ResultPath: '$.syncRounds', Next: 'Sync' },
      Sync: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: arns.sync, Payload: {} },
        ResultSelector: { 'more.$': '$.Payload.more', 'rows.$': '$.Payload.rows' },
        ResultPath: '$.sync',
        Retry: [
          transientRetry,
          { ErrorEquals: [HANDLER_RETRYABLE], IntervalSeconds: 60, MaxAttempts: 2, BackoffRate: 2 },
        ],
        Next: 'CountSyncRound',
      },
      CountSyncRound: {
        Type: 'Pass',
        Parameters: { 'count.$': 'States.MathAdd($.syncRounds.count, 1)' },
        ResultPath: '$.syncRounds',
        Next: 'SyncRoundsLeft',
      },
      SyncRoundsLeft: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.sync.more', BooleanEquals: true },
              { Variable: '$.syncRounds.count', NumericGreaterThanEquals: MAX_SYNC_ROUNDS },
            ],
            Next: 'TooManySyncRounds',
          },
        ],
        Default: 'MoreToSync',
      },
      TooManySyncRounds: {
        Type: 'Fail',
        Error: SYNC_ROUNDS_EXCEEDED,
        Cause: `The sync still had more to do after ${MAX_SYNC_ROUNDS} rounds; the next scheduled run resumes it.`,
      },
      MoreToSync: {
        Type: 'Choice',
        Choices: [{ Variable: '$.sync.more', BooleanEquals: true, Next: 'Sync' }],
        Default: 'Done',
      },
      Done: { Type: 'Succeed' },
    },
  });
}

/**
 * `orchestration`: the pipeline's state machine, its schedule (one EventBridge rule instead of
 * the original's staggered crons) and alarms on failed, timed-out and aborted executions to the
 * alarm topic of `s3-buckets`.
 */
export class OrchestrationStack extends InsightFlowStack {
  public readonly stateMachine: SfnStateMachine;

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
          actions: [
            'logs:CreateLogDelivery',
            'logs:GetLogDelivery',
            'logs:UpdateLogDelivery',
            'logs:DeleteLogDelivery',
            'logs:ListLogDeliveries',
            'logs:PutResourcePolicy',
            'logs:DescribeResourcePolicies',
            'logs:DescribeLogGroups',
          ],
          resources: ['*'],
        },
        { actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] },
        machineKeyUse(['kms:Decrypt', 'kms:GenerateDataKey']),
      ],
    });

    this.stateMachine = new SfnStateMachine(this, 'pipeline', {
      name: machineName,
      roleArn: role.arn,
      definition: pipelineDefinition(
        {
          ...(ingestArn ? { ingest: ingestArn } : {}),
          clean: cleanArn,
          sync: syncArn,
          crawlers: crawlers.crawlers.map((c) => c.name),
        },
        catalog.tableNames(),
      ),
      loggingConfiguration: { level: 'ERROR', includeExecutionData: false, logDestination: `${logs.arn}:*` },
      tracingConfiguration: { enabled: true },
      encryptionConfiguration: {
        type: 'CUSTOMER_MANAGED_KMS_KEY',
        kmsKeyId: storage.key.arn,
        kmsDataKeyReusePeriodSeconds: 300,
      },
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
