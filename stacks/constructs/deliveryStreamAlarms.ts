import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { Construct } from 'constructs';

/** Props of {@link DeliveryStreamAlarms}. */
export interface DeliveryStreamAlarmsProps {
  streamName: string;
  alarmTopicArn: string;
  /** Firehose's buffering limit is 15 minutes: older undelivered data means delivery is stuck. */
  maxFreshnessSeconds?: number;
}

/** The metric an alarm watches and when it fires. */
interface AlarmedMetric {
  metricName: string;
  statistic: 'Minimum' | 'Maximum';
  threshold: number;
  comparisonOperator: 'LessThanThreshold' | 'GreaterThanThreshold';
}

/**
 * Alarms on a Firehose delivery stream, to the alarm topic: the transformer's invocations failing
 * (their records go to `processing-failed/`), deliveries to S3 failing, and data waiting longer
 * than the buffering limit.
 */
export class DeliveryStreamAlarms extends Construct {
  public constructor(scope: Construct, id: string, props: DeliveryStreamAlarmsProps) {
    super(scope, id);
    const alarm = (name: string, description: string, metric: AlarmedMetric) =>
      new CloudwatchMetricAlarm(this, name, {
        alarmName: `${props.streamName}-${name}`,
        alarmDescription: description,
        namespace: 'AWS/Firehose',
        dimensions: { DeliveryStreamName: props.streamName },
        period: 300,
        evaluationPeriods: 1,
        treatMissingData: 'notBreaching',
        alarmActions: [props.alarmTopicArn],
        ...metric,
      });
    alarm(
      'processing-failed',
      `${props.streamName}: a transformer invocation failed; its records went to the processing-failed error prefix.`,
      {
        metricName: 'ExecuteProcessing.Success',
        statistic: 'Minimum',
        threshold: 1,
        comparisonOperator: 'LessThanThreshold',
      },
    );
    alarm(
      'delivery-failed',
      `${props.streamName}: a delivery to S3 failed (see its CloudWatch log stream S3Delivery).`,
      {
        metricName: 'DeliveryToS3.Success',
        statistic: 'Minimum',
        threshold: 1,
        comparisonOperator: 'LessThanThreshold',
      },
    );
    alarm('delivery-stale', `${props.streamName}: data has waited longer than the buffering limit to reach S3.`, {
      metricName: 'DeliveryToS3.DataFreshness',
      statistic: 'Maximum',
      threshold: props.maxFreshnessSeconds ?? 900,
      comparisonOperator: 'GreaterThanThreshold',
    });
  }
}
