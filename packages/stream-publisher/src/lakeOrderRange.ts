import type { Lake, Refusal } from '@insightflow/lake';
import { ErrorKind } from '@insightflow/shared-config';
import { parse } from 'csv-parse';
import { PublishError } from './errors.js';

/** The table the publisher's order events land in, whose batch runs hold the order ids already taken. */
export const ORDERS_TABLE = 'orders';

/** The largest whole number in `field` of each record; an empty field (NULL) takes no id. */
function foldMax(current: number, field: string | undefined): number {
  if (!field) return current;
  const value = Number(field);
  return Number.isSafeInteger(value) && value > current ? value : current;
}

/**
 * The largest order id and user id in the lake's newest committed batch run of `orders` (0 when
 * it holds no rows): a run is a whole export of the table, and the newest is what the sync puts
 * into PostgreSQL beside the streamed orders, so these are the ids already taken. It reads the
 * parts the run's manifest lists, streaming; the publisher calls it once, when it has no
 * watermark yet, so the Lambda needs no warehouse client (nor its SDK) to find where its order
 * ids start.
 */
export async function lakeOrderRange(lake: Lake): Promise<{ maxOrderId: number; maxUserId: number }> {
  const refused: Refusal[] = [];
  const run = await lake.newestCommittedRun(ORDERS_TABLE, undefined, refused);
  if (!run) {
    const passedOver =
      refused.length > 0 ? ` (passed over: ${refused.map((r) => `${r.key}: ${r.reason}`).join('; ')})` : '';
    throw new PublishError(
      `The lake holds no committed batch run of ${ORDERS_TABLE}${passedOver}, so there is no order id to continue ` +
        `from: ingest ${ORDERS_TABLE} first (the batch-ingest function, or \`insightflow ingest\`), then publish again.`,
      { kind: ErrorKind.retryable },
    );
  }
  const { columns, parts } = run.manifest;
  const indexes = ['order_id', 'user_id'].map((name) => columns.indexOf(name));
  if (indexes.some((i) => i < 0)) {
    throw new PublishError(
      `The run ${run.manifestKey} has columns ${columns.join(', ')}, without order_id and user_id: ` +
        `the publisher's events need an ${ORDERS_TABLE} table with both.`,
    );
  }
  let maxOrderId = 0;
  let maxUserId = 0;
  const [orderIdAt, userIdAt] = indexes as [number, number];
  for (const part of parts) {
    // Streamed record by record: memory does not grow with the part.
    const records = (await lake.store.get(part.key)).body.pipe(parse({ from_line: 2, relax_column_count: true }));
    for await (const record of records as AsyncIterable<string[]>) {
      maxOrderId = foldMax(maxOrderId, record[orderIdAt]);
      maxUserId = foldMax(maxUserId, record[userIdAt]);
    }
  }
  return { maxOrderId, maxUserId };
}
