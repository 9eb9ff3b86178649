import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard/index.js';
import { METRICS_NAMESPACE, type MetricName } from '@insightflow/shared-config';
import { Construct } from 'constructs';
import { notifyingAlarm } from './notifyingAlarm.js';

/** What the dashboard and its alarms watch. */
export interface PipelineDashboardProps {
  dashboardName: string;
  /** `insightflow-<env>-<name>`: the alarms' names. */
  name: (name: string) => string;
  region: string;
  environment: string;
  stateMachineArn: string;
  /** Firehose delivery streams, one per catalog stream. */
  deliveryStreamNames: string[];
  /** The RDS instance the sync writes to. */
  databaseIdentifier: string;
  alarmTopicArn: string;
  /** Rows rejected by one function within five minutes that raise the alarm. */
  rejectedRowsThreshold: number;
  /** The sync lag (seconds) that raises the alarm. */
  syncLagThresholdSeconds: number;
}

/** The services whose rejects are alarmed: every handler that quarantines rows. */
const REJECTING_SERVICES = ['snowflake-loader', 'batch-ingest', 'clean-layer', 's3-to-rds-sync'] as const;
const SYNC_SERVICE = 's3-to-rds-sync';
const PERIOD = 300;

type Widget = Record<string, unknown>;

/**
 * The pipeline at a glance: the handlers' own metrics (namespace InsightFlow, published from each
 * result by `defineHandler`), Firehose delivery, Step Functions executions and RDS CPU and
 * storage; plus alarms to the SNS topic on rejected rows and on the sync's lag.
 */
export class PipelineDashboard extends Construct {
  public readonly dashboard: CloudwatchDashboard;

  public constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const { region, environment } = props;
    // SEARCH finds every table's and service's series, whatever tables the catalog has.
    const search = (metric: MetricName, stat: string, dims = 'environment,service,table', extra = '') =>
      `SEARCH('{${METRICS_NAMESPACE},${dims}} MetricName="${metric}" environment="${environment}"${extra}', '${stat}', ${PERIOD})`;
    const expressionWidget = (title: string, expressions: [string, string][], y: number, x: number): Widget => ({
      type: 'metric',
      x,
      y,
      width: 12,
      height: 6,
      properties: {
        title,
        region,
        view: 'timeSeries',
        stacked: false,
        period: PERIOD,
        metrics: expressions.map(([label, expression], i) => [{ expression, label, id: `e${i}` }]),
      },
    });
    const metricWidget = (title: string, metrics: unknown[][], y: number, x: number, stat = 'Sum'): Widget => ({
      type: 'metric',
      x,
      y,
      width: 12,
      height: 6,
      properties: { title, region, view: 'timeSeries', stacked: false, period: PERIOD, stat, metrics },
    });
    const widgets: Widget[] = [
      expressionWidget('Rows moved, per function and table', [['rows', search('rows', 'Sum')]], 0, 0),
      expressionWidget(
        'Rows rejected and objects refused',
        [
          ['rejected', search('rejected', 'Sum')],
          ['refused', search('refused', 'Sum', 'environment,service')],
        ],
        0,
        12,
      ),
      expressionWidget(
        'Sync lag: age of the oldest lake object not yet in PostgreSQL (s)',
        [['lag', search('lagSeconds', 'Maximum', 'environment,service,table', ` service="${SYNC_SERVICE}"`)]],
        6,
        0,
      ),
      expressionWidget(
        'Stream transformer records: Ok / Dropped / ProcessingFailed',
        [
          ['Ok', search('recordsOk', 'Sum')],
          ['Dropped', search('recordsDropped', 'Sum')],
          ['ProcessingFailed', search('recordsProcessingFailed', 'Sum')],
        ],
        6,
        12,
      ),
      expressionWidget(
        'Publisher records sent / resent',
        [
          ['sent', search('recordsSent', 'Sum', 'environment,service')],
          ['resent', search('recordsResent', 'Sum', 'environment,service')],
        ],
        12,
        0,
      ),
      metricWidget(
        'Firehose delivery to S3',
        props.deliveryStreamNames.flatMap((name) => [
          ['AWS/Firehose', 'IncomingRecords', 'DeliveryStreamName', name],
          ['AWS/Firehose', 'DeliveryToS3.Records', 'DeliveryStreamName', name],
          [
            'AWS/Firehose',
            'DeliveryToS3.DataFreshness',
            'DeliveryStreamName',
            name,
            { stat: 'Maximum', yAxis: 'right' },
          ],
        ]),
        12,
        12,
      ),
      metricWidget(
        'Pipeline executions (Step Functions)',
        ['ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((m) => [
          'AWS/States',
          m,
          'StateMachineArn',
          props.stateMachineArn,
        ]),
        18,
        0,
      ),
      metricWidget(
        'PostgreSQL (RDS): CPU % and free storage',
        [
          ['AWS/RDS', 'CPUUtilization', 'DBInstanceIdentifier', props.databaseIdentifier],
          ['AWS/RDS', 'FreeStorageSpace', 'DBInstanceIdentifier', props.databaseIdentifier, { yAxis: 'right' }],
        ],
        18,
        12,
        'Average',
      ),
      expressionWidget(
        'Function duration (s)',
        [['seconds', search('seconds', 'Maximum', 'environment,service')]],
        24,
        0,
      ),
    ];
    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: props.dashboardName,
      dashboardBody: JSON.stringify({ widgets }),
    });

    for (const service of REJECTING_SERVICES) {
      notifyingAlarm(this, `rejected-${service}`, {
        alarmName: props.name(`${service}-rejected-rows`),
        alarmDescription: `${service} rejected more than ${props.rejectedRowsThreshold} rows within five minutes: the rows and their reasons are in its rejects (PostgreSQL _rejects, the clean layer's _rejects.csv, the loader's log).`,
        namespace: METRICS_NAMESPACE,
        metricName: 'rejected',
        dimensions: { service, environment },
        statistic: 'Sum',
        threshold: props.rejectedRowsThreshold,
        comparisonOperator: 'GreaterThanThreshold',
        alarmTopicArn: props.alarmTopicArn,
      });
    }
    notifyingAlarm(this, 'sync-lag', {
      alarmName: props.name('sync-lag'),
      alarmDescription: `The oldest lake object not yet synced to PostgreSQL is older than ${props.syncLagThresholdSeconds} s: check the pipeline's executions and the sync function's log.`,
      namespace: METRICS_NAMESPACE,
      metricName: 'lagSeconds',
      dimensions: { service: SYNC_SERVICE, environment },
      statistic: 'Maximum',
      threshold: props.syncLagThresholdSeconds,
      comparisonOperator: 'GreaterThanThreshold',
      alarmTopicArn: props.alarmTopicArn,
    });
  }
}
