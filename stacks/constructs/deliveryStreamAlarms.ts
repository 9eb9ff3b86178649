import { Construct } from 'constructs';
import { notifyingAlarm } from './notifyingAlarm.js';

/** Props of {@link DeliveryStreamAlarms}. */
export interface DeliveryStreamAlarmsProps {
  streamName: string;
  alarmTopicArn: string;
  /** Firehose's buffering limit is 15 minutes: older undelivered data means delivery is stuck. */
  maxFreshnessSeconds?: number;
}

/**
 * Alarms on a Firehose delivery stream, to the alarm topic: the transformer's invocations failing
 * (their records go to `processing-failed/`), deliveries to S3 failing, and data waiting longer
 * than the buffering limit.
 */
export class DeliveryStreamAlarms extends Construct {
  public constructor(scope: Construct, id: string, props: DeliveryStreamAlarmsProps) {
    super(scope, id);
    const { streamName, alarmTopicArn } = props;
    const watch = { namespace: 'AWS/Firehose', dimensions: { DeliveryStreamName: streamName }, alarmTopicArn };
    notifyingAlarm(this, 'processing-failed', {
      ...watch,
      alarmName: `${streamName}-processing-failed`,
      alarmDescription: `${streamName}: a transformer invocation failed; its records went to the processing-failed error prefix.`,
      metricName: 'ExecuteProcessing.Success',
      statistic: 'Minimum',
      comparisonOperator: 'LessThanThreshold',
    });
    notifyingAlarm(this, 'delivery-failed', {
      ...watch,
      alarmName: `${streamName}-delivery-failed`,
      alarmDescription: `${streamName}: a delivery to S3 failed (see its CloudWatch log stream S3Delivery).`,
      metricName: 'DeliveryToS3.Success',
      statistic: 'Minimum',
      comparisonOperator: 'LessThanThreshold',
    });
    notifyingAlarm(this, 'delivery-stale', {
      ...watch,
      alarmName: `${streamName}-delivery-stale`,
      alarmDescription: `${streamName}: data has waited longer than the buffering limit to reach S3.`,
      metricName: 'DeliveryToS3.DataFreshness',
      statistic: 'Maximum',
      threshold: props.maxFreshnessSeconds ?? 900,
      comparisonOperator: 'GreaterThanThreshold',
    });
  }
}
