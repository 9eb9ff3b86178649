import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import type { Construct } from 'constructs';

/** What an alarm watches, and the topic it tells. */
export interface NotifyingAlarmProps {
  alarmName: string;
  alarmDescription: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  /** Defaults: `Sum` over five minutes, at least 1 — "it happened at all". */
  statistic?: 'Sum' | 'Minimum' | 'Maximum';
  threshold?: number;
  comparisonOperator?: 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'GreaterThanThreshold';
  alarmTopicArn: string;
}

/**
 * A CloudWatch alarm that notifies the alarm topic: evaluated over one five-minute period, and
 * quiet when the metric has no data (nothing ran, nothing failed).
 */
export function notifyingAlarm(scope: Construct, id: string, props: NotifyingAlarmProps): CloudwatchMetricAlarm {
  const { alarmTopicArn, statistic, threshold, comparisonOperator, ...watched } = props;
  return new CloudwatchMetricAlarm(scope, id, {
    ...watched,
    statistic: statistic ?? 'Sum',
    threshold: threshold ?? 1,
    comparisonOperator: comparisonOperator ?? 'GreaterThanOrEqualToThreshold',
    period: 300,
    evaluationPeriods: 1,
    treatMissingData: 'notBreaching',
    alarmActions: [alarmTopicArn],
  });
}
