import { FirehoseClient } from '@aws-sdk/client-firehose';
import { startLocalDeliveryStream } from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import { instacartCatalog, LOCAL_DEFAULTS } from '@insightflow/shared-config';
import {
  type EventStream,
  FirehoseDeliveryStream,
  KinesisDataStream,
  orderEvents,
  publishEvents,
} from '@insightflow/stream-publisher';
import { transformFirehoseEvent } from '@insightflow/stream-transformer';
import { startTestKinesis, startTestS3 } from '@insightflow/testkit';
import { rateFigure, type Suite, timed } from './harness.js';

const EVENTS = 10_000;

/**
 * Streamed orders per second from the publisher to objects in the raw bucket through the local
 * Kinesis path (PutRecords to kinesalite, the delivery loop reading both shards), against the
 * Direct PUT path (PutRecordBatch to the local Firehose) in the same run: what putting a data
 * stream in front of Firehose costs locally.
 */
export const publishSuite: Suite = {
  name: 'publish',
  async run({ log }) {
    const [s3, kinesis] = await Promise.all([startTestS3(), startTestKinesis()]);
    const orders = instacartCatalog().table('orders');
    const store = new S3ObjectStore(s3.client, LOCAL_DEFAULTS.rawBucket);
    try {
      await kinesis.createStream('insightflow-bench-orders');
      const through = async (source: 'direct' | 'kinesis', firstOrderId: number) => {
        const delivery = await startLocalDeliveryStream({
          stream: 'orders',
          catalog: instacartCatalog(),
          streamName: `insightflow-bench-${source}`,
          store,
          transform: (event) => transformFirehoseEvent(orders, event),
          ...(source === 'kinesis'
            ? { source: { kinesis: kinesis.client, streamName: 'insightflow-bench-orders' } }
            : {}),
        });
        const firehose = new FirehoseClient({
          region: LOCAL_DEFAULTS.region,
          endpoint: delivery.endpoint,
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        });
        const stream: EventStream =
          source === 'kinesis'
            ? new KinesisDataStream(kinesis.client, 'insightflow-bench-orders')
            : new FirehoseDeliveryStream(firehose, `insightflow-bench-${source}`);
        try {
          const { seconds } = await timed(async () => {
            await publishEvents(stream, orderEvents({ firstOrderId, maxUserId: 1000 }, EVENTS, { seed: 1 }));
            await delivery.flush();
          });
          log(
            `publish: ${EVENTS} events through ${source} in ${seconds.toFixed(2)} s (${delivery.stats.ok} delivered)`,
          );
          return seconds;
        } finally {
          firehose.destroy();
          await delivery.stop();
        }
      };
      const direct = await through('direct', 1);
      const viaKinesis = await through('kinesis', EVENTS + 1);
      return [
        {
          ...rateFigure('publish', `${EVENTS} events through a Kinesis data stream`, EVENTS, viaKinesis, {
            name: 'Direct PUT to Firehose',
            rows: EVENTS,
            seconds: direct,
          }),
          unit: 'events/s',
        },
      ];
    } finally {
      await kinesis.stop();
      await s3.stop();
    }
  },
};
