import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target/index.js';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine/index.js';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic/index.js';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription/index.js';
import { TABLE_NAMES } from '@insightflow/shared-config';
import type { Construct } from 'constructs';
import type { BatchIngestionStack } from './batchIngestion.js';
import type { DataSyncRawStack } from './dataSyncRaw.js';
import type { GlueCrawlerRawStack } from './glueCrawlerRaw.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';
import type { S3BucketsStack } from './s3Buckets.js';

/** Props of {@link OrchestrationStack}. */
export interface OrchestrationStackProps extends InsightFlowStackProps {
  storage: S3BucketsStack;
  batch: BatchIngestionStack;
  crawlers: GlueCrawlerRawStack;
  sync: DataSyncRawStack;
}

const LAMBDA_TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** The state machine: ingest (a Map over tables) → start the crawlers → sync while `more`. */
export function pipelineDefinition(arns: { ingest: string; sync: string; crawlers: string[] }): string {
  const transientRetry = {
    ErrorEquals: LAMBDA_TRANSIENT,
    IntervalSeconds: 2,
    MaxAttempts: 6,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  };
  return JSON.stringify({
    Comment: 'InsightFlow: batch ingest every table in parallel, crawl the lake, sync PostgreSQL.',
    StartAt: 'IngestTables',
    States: {
      IngestTables: {
        Type: 'Map',
        ItemsPath: '$.tables',
        MaxConcurrency: TABLE_NAMES.length,
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
              Retry: [
                transientRetry,
                { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 30, MaxAttempts: 2, BackoffRate: 2 },
              ],
              End: true,
            },
          },
        },
        ResultPath: null,
        Next: 'StartCrawlers',
      },
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
        Next: 'Sync',
      },
      Sync: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: arns.sync, Payload: {} },
        ResultSelector: { 'more.$': '$.Payload.more', 'rows.$': '$.Payload.rows' },
        ResultPath: '$.sync',
        Retry: [
          transientRetry,
          { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 60, MaxAttempts: 2, BackoffRate: 2 },
        ],
        Next: 'MoreToSync',
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
 * the original's staggered crons) and a failure alarm to an encrypted SNS topic.
 */
export class OrchestrationStack extends InsightFlowStack {
  public readonly stateMachine: SfnStateMachine;
  public readonly alarms: SnsTopic;

  public constructor(scope: Construct, id: string, props: OrchestrationStackProps) {
    super(scope, id, props);
    const { settings, storage, batch, crawlers, sync } = props;
    const ingestArn = batch.ingest.function.arn;
    const syncArn = sync.sync.function.arn;

    const logs = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/states/${this.name('pipeline')}`,
      retentionInDays: settings.logRetentionDays,
      kmsKeyId: storage.key.arn,
    });
    const assume = new DataAwsIamPolicyDocument(this, 'assume', {
      statement: [
        { actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['states.amazonaws.com'] }] },
      ],
    });
    const role = new IamRole(this, 'role', { name: this.name('pipeline'), assumeRolePolicy: assume.json });
    const policy = new DataAwsIamPolicyDocument(this, 'policy', {
      statement: [
        { actions: ['lambda:InvokeFunction'], resources: [ingestArn, `${ingestArn}:*`, syncArn, `${syncArn}:*`] },
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
      ],
    });
    new IamRolePolicy(this, 'inline', { role: role.id, policy: policy.json });

    this.stateMachine = new SfnStateMachine(this, 'pipeline', {
      name: this.name('pipeline'),
      roleArn: role.arn,
      definition: pipelineDefinition({
        ingest: ingestArn,
        sync: syncArn,
        crawlers: crawlers.crawlers.map((c) => c.name),
      }),
      loggingConfiguration: { level: 'ERROR', includeExecutionData: false, logDestination: `${logs.arn}:*` },
      tracingConfiguration: { enabled: true },
    });

    const eventsAssume = new DataAwsIamPolicyDocument(this, 'events-assume', {
      statement: [
        { actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['events.amazonaws.com'] }] },
      ],
    });
    const eventsRole = new IamRole(this, 'events-role', {
      name: this.name('pipeline-schedule'),
      assumeRolePolicy: eventsAssume.json,
    });
    const startExecution = new DataAwsIamPolicyDocument(this, 'start-execution', {
      statement: [{ actions: ['states:StartExecution'], resources: [this.stateMachine.arn] }],
    });
    new IamRolePolicy(this, 'events-inline', { role: eventsRole.id, policy: startExecution.json });
    const schedule = new CloudwatchEventRule(this, 'schedule', {
      name: this.name('pipeline'),
      scheduleExpression: settings.scheduleExpression,
    });
    new CloudwatchEventTarget(this, 'schedule-target', {
      rule: schedule.name,
      arn: this.stateMachine.arn,
      roleArn: eventsRole.arn,
      input: JSON.stringify({ tables: TABLE_NAMES }),
    });

    this.alarms = new SnsTopic(this, 'alarms', { name: this.name('alarms'), kmsMasterKeyId: storage.key.arn });
    if (settings.alarmEmail) {
      new SnsTopicSubscription(this, 'alarm-email', {
        topicArn: this.alarms.arn,
        protocol: 'email',
        endpoint: settings.alarmEmail,
      });
    }
    new CloudwatchMetricAlarm(this, 'failures', {
      alarmName: this.name('pipeline-failed'),
      alarmDescription: 'An InsightFlow pipeline execution failed, timed out or was aborted.',
      namespace: 'AWS/States',
      metricName: 'ExecutionsFailed',
      dimensions: { StateMachineArn: this.stateMachine.arn },
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [this.alarms.arn],
    });
  }
}
