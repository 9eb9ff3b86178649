import { z } from 'zod';
import { instacartCatalog } from './catalog.js';
import type { ColumnSpec } from './catalogSchema.js';
import type { EvalSet } from './instacartCatalog.js';

/**
 * The streaming order event and the row it becomes, both derived from the catalog's `orders`
 * table so the streaming path and the batch path cannot drift apart. They describe the demo's
 * order stream, so they read the built-in Instacart catalog, whatever catalog is active.
 */

/** One row of the `orders` table, as the lake and PostgreSQL hold it. */
export interface OrderRow {
  order_id: number;
  user_id: number;
  eval_set: EvalSet;
  order_number: number;
  order_dow: number;
  order_hour_of_day: number;
  /** Null on a user's first order; never replaced by 0. */
  days_since_prior_order: number | null;
}

/** An order event as the publisher sends it: the row plus when it happened (ISO 8601, UTC). */
export interface OrderEvent extends OrderRow {
  event_time: string;
}

/** The zod schema of one catalog column's JSON value. */
function columnValueSchema(column: ColumnSpec): z.ZodType {
  let schema: z.ZodType;
  if (column.type === 'text') {
    schema = column.allowed ? z.enum(column.allowed as [string, ...string[]]) : z.string();
  } else {
    let n = column.type === 'real' ? z.number() : z.number().int();
    if (column.min !== undefined) n = n.min(column.min);
    if (column.max !== undefined) n = n.max(column.max);
    schema = n;
  }
  return column.nullable ? schema.nullable() : schema;
}

const ordersColumns = instacartCatalog().table('orders').columns;

/** Validates one `orders` row; unknown fields are dropped. */
export const OrderRowSchema = z.object(
  Object.fromEntries(ordersColumns.map((c) => [c.name, columnValueSchema(c)])),
) as unknown as z.ZodType<OrderRow>;

/** Validates one streaming order event. */
export const OrderEventSchema = z.object({
  ...Object.fromEntries(ordersColumns.map((c) => [c.name, columnValueSchema(c)])),
  event_time: z.iso.datetime({ offset: false }).describe('an ISO 8601 UTC time such as 2026-11-23T14:05:00Z'),
}) as unknown as z.ZodType<OrderEvent>;
