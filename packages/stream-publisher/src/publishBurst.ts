import type { Lake } from '@insightflow/lake';
import type { Warehouse } from '@insightflow/warehouse';
import type { EventStream } from './eventStream.js';
import { lakeOrderRange } from './lakeOrderRange.js';
import { type OrderIdRange, orderEvents } from './orderEvents.js';
import { reserveOrderIds } from './orderIdReservation.js';
import { type PublishOptions, type PublishResult, publishEvents } from './publishEvents.js';
import { warehouseOrderRange } from './warehouseRange.js';

/** What {@link publishBurst} publishes with. */
export interface BurstDependencies {
  /** The raw bucket: it holds the order-id watermark, and the batch runs of `orders`. */
  lake: Lake;
  /** Firehose (Direct PUT) or the Kinesis data stream in front of it. */
  stream: EventStream;
  /**
   * Opens the warehouse the first order id continues from; called only without a watermark,
   * closed after. Without it (the Lambda, which bundles no warehouse client) the first order id
   * continues from the lake's newest committed batch run of `orders` ({@link lakeOrderRange}).
   */
  openWarehouse?: () => Promise<Warehouse>;
}

/** What one burst did. */
export interface BurstResult extends PublishResult {
  /** The order ids reserved for the burst. */
  range: OrderIdRange;
}

/**
 * Publishes a burst of `count` fresh order events: reserves their order ids (continuing from the
 * watermark; the first time, past the largest in the warehouse, or in the lake's orders), builds
 * the events and publishes them, resending refused entries. The Lambda handler and `insightflow publish` both run this.
 */
export async function publishBurst(
  deps: BurstDependencies,
  count: number,
  options: PublishOptions = {},
): Promise<BurstResult> {
  const { openWarehouse } = deps;
  const range = await reserveOrderIds(deps.lake, count, async () => {
    if (!openWarehouse) return lakeOrderRange(deps.lake);
    const warehouse = await openWarehouse();
    try {
      return await warehouseOrderRange(warehouse);
    } finally {
      await warehouse.close();
    }
  });
  const result = await publishEvents(deps.stream, orderEvents(range, count), options);
  return { ...result, range };
}
