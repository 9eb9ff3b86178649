import { KinesisFirehoseRecordSchema, KinesisFirehoseSchema } from '@aws-lambda-powertools/parser/schemas';
import { defineHandler } from '@insightflow/lambda-handler';
import { readStreamTransformerConfig } from '@insightflow/shared-config';
import { z } from 'zod';
import { InvalidFirehoseEventError } from './errors.js';
import { type FirehoseTransformationResponse, streamTarget, transformRecords } from './transformRecords.js';

/**
 * The Firehose transformation event (Powertools parser's schema) with each record's data left
 * as base64: the core checks records one by one, so a single bad record cannot fail the batch.
 * Only an event that is not a Firehose batch at all is thrown back (Firehose retries it).
 */
export const FirehoseTransformationEventSchema = KinesisFirehoseSchema.extend({
  records: z.array(KinesisFirehoseRecordSchema.extend({ data: z.string() })),
});

/**
 * Lambda entry point: Firehose's data-transformation function for one catalog stream
 * (`STREAM_NAME`), whose table comes from the catalog bundled into the zip.
 */
export const handler = defineHandler(
  {
    name: 'stream-transformer',
    eventSchema: FirehoseTransformationEventSchema,
    invalidEvent: (details) => new InvalidFirehoseEventError(details),
  },
  ({ catalog }) => {
    const config = readStreamTransformerConfig();
    return { config, target: streamTarget(catalog, config.STREAM_NAME) };
  },
  async (event, { config, target }, { logger }): Promise<FirehoseTransformationResponse> => {
    const { records, summary } = transformRecords(target.table, event.records, config.MAX_RESPONSE_BYTES);
    // One line per batch, never one per record.
    const { ok, dropped, failed, reasons, responseBytes } = summary;
    const { invocationId } = event;
    logger.info('batch transformed', {
      invocationId,
      stream: target.stream.name,
      records: records.length,
      ok,
      dropped,
      failed,
      reasons,
      responseBytes,
    });
    return { records };
  },
  ({ records }, { target }) => {
    const count = (result: string) => records.filter((r) => r.result === result).length;
    const ok = count('Ok');
    return [
      {
        table: target.table.name,
        values: {
          rows: ok,
          recordsOk: ok,
          recordsDropped: count('Dropped'),
          recordsProcessingFailed: count('ProcessingFailed'),
        },
      },
    ];
  },
);
