import { streamingPrefix } from '@insightflow/shared-config';
import type { CliContext } from '../cliContext.js';
import type { DataMovementDocument } from '../contracts.js';
import { withEndpoints } from '../endpoints.js';
import { ExitCode } from '../exitCodes.js';
import { DEMO_STREAM, publishThroughLocalFirehose } from '../localPublish.js';

/** Options of `insightflow publish`. */
export interface PublishOptions {
  events: number;
  rate?: number;
  failShare: number;
}

/**
 * `insightflow publish`: send fresh order events through a local Firehose delivery stream (the
 * real publisher client and transformer handler) into the raw bucket's streaming prefix.
 */
export async function publishCommand(context: CliContext, options: PublishOptions): Promise<ExitCode> {
  const { result, stats, range } = await withEndpoints(context, (endpoints) =>
    publishThroughLocalFirehose(context, endpoints, {
      events: options.events,
      rate: options.rate,
      failShare: options.failShare,
      onBatch: (progress) =>
        context.progress(
          `publish: ${progress.delivered.toLocaleString('en')} / ${options.events.toLocaleString('en')} events`,
        ),
    }),
  );
  const orders = { rows: stats.ok, rejected: stats.processingFailed, dropped: stats.dropped };
  const document: DataMovementDocument = {
    tables: { orders },
    rows: stats.ok,
    rejected: stats.processingFailed,
    published: result.delivered,
    resent: result.resent,
    calls: result.calls,
    firstOrderId: range.firstOrderId,
    objects: stats.objects,
  };
  context.result(
    document,
    [
      `Published ${result.delivered.toLocaleString('en')} order events (ids ${range.firstOrderId}…${range.firstOrderId + options.events - 1}) in ${result.calls} calls, ${result.resent} entries resent.`,
      `Delivered ${stats.ok.toLocaleString('en')} rows in ${stats.objects.length} objects under s3://${context.config.RAW_BUCKET}/${streamingPrefix(context.catalog, DEMO_STREAM)}; ${stats.processingFailed} failed, ${stats.dropped} dropped as duplicates.`,
    ].join('\n'),
  );
  return stats.processingFailed > 0 ? ExitCode.rejected : ExitCode.ok;
}
