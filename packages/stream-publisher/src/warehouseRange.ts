import { dialectIdentifier } from '@insightflow/shared-config';
import type { Warehouse } from '@insightflow/warehouse';

/** The largest order id and user id in the warehouse's orders table (0 when it is empty). */
export async function warehouseOrderRange(warehouse: Warehouse): Promise<{ maxOrderId: number; maxUserId: number }> {
  const dialect = warehouse.kind === 'snowflake' ? 'snowflake' : 'duckdb';
  const ident = (name: string) => dialectIdentifier(name, dialect);
  for await (const batch of warehouse.streamRows(
    `SELECT max(${ident('order_id')}), max(${ident('user_id')}) FROM ${ident('orders')}`,
  )) {
    const [maxOrderId, maxUserId] = batch[0] ?? [];
    return { maxOrderId: Number(maxOrderId ?? 0), maxUserId: Number(maxUserId ?? 0) };
  }
  return { maxOrderId: 0, maxUserId: 0 };
}
