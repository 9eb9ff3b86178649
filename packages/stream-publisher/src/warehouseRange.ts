import { dialectIdentifier } from '@insightflow/shared-config';
import type { Warehouse } from '@insightflow/warehouse';
import { PublishError } from './errors.js';

/** The largest order id and user id in the warehouse's orders table (0 when it is empty). */
export async function warehouseOrderRange(warehouse: Warehouse): Promise<{ maxOrderId: number; maxUserId: number }> {
  if ((await warehouse.countRows('orders')) === undefined) {
    throw new PublishError(
      'The warehouse has no orders table, so there is no order id to continue from: load the source data first ' +
        '(`insightflow generate && insightflow load`).',
    );
  }
  const dialect = warehouse.kind;
  const ident = (name: string) => dialectIdentifier(name, dialect);
  for await (const batch of warehouse.streamRows(
    `SELECT max(${ident('order_id')}), max(${ident('user_id')}) FROM ${ident('orders')}`,
  )) {
    const [maxOrderId, maxUserId] = batch[0] ?? [];
    return { maxOrderId: Number(maxOrderId ?? 0), maxUserId: Number(maxUserId ?? 0) };
  }
  return { maxOrderId: 0, maxUserId: 0 };
}
