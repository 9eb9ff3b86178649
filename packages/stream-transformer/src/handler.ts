import { Logger } from '@aws-lambda-powertools/logger';
import { readStreamTransformerConfig } from '@insightflow/shared-config';
import { z } from 'zod';
import { InvalidFirehoseEventError } from './errors.js';
import { type FirehoseOutputRecord, transformRecords } from './transformRecords.js';

/**
 * The Firehose transformation event's envelope. Each record's data is checked one by one in
 * the core, so a single bad record cannot fail the whole batch.
 */
export const FirehoseTransformationEventSchema = z.object({
  invocationId: z.string(),
  deliveryStreamArn: z.string(),
  region: z.string(),
  records: z.array(z.object({ recordId: z.string(), approximateArrivalTimestamp: z.number(), data: z.string() })),
});
export type FirehoseTransformationEvent = z.infer<typeof FirehoseTransformationEventSchema>;

const config = readStreamTransformerConfig();
const logger = new Logger({ serviceName: 'stream-transformer' });

/** Lambda entry point: Firehose's data-transformation function. */
export async function handler(event: unknown): Promise<{ records: FirehoseOutputRecord[] }> {
  const parsed = FirehoseTransformationEventSchema.safeParse(event);
  // Only an event that is not a Firehose batch at all is thrown back (Firehose retries it).
  if (!parsed.success) throw new InvalidFirehoseEventError(z.prettifyError(parsed.error));
  const { records, summary } = transformRecords(parsed.data.records, config.MAX_RESPONSE_BYTES);
  // One line per batch, never one per record.
  logger.info('batch transformed', {
    invocationId: parsed.data.invocationId,
    records: records.length,
    ok: summary.ok,
    dropped: summary.dropped,
    failed: summary.failed,
    reasons: summary.reasons,
    responseBytes: summary.responseBytes,
  });
  return { records };
}
