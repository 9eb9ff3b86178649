import type { OrderEvent } from '@insightflow/shared-config';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** Where new events' ids come from. */
export interface OrderIdRange {
  /** The first order id of the block reserved for these events. */
  firstOrderId: number;
  /** Users are drawn from 1..maxUserId, the warehouse's customers. */
  maxUserId: number;
}

const HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 9, 9, 9, 9, 8, 7, 6, 5, 4, 3, 2, 1];

/**
 * Realistic order events: fresh consecutive order ids from the reserved block, existing users,
 * a plausible order number, day and hour, a null `days_since_prior_order` on a first order, and
 * the event time in UTC.
 */
export function* orderEvents(
  range: OrderIdRange,
  count: number,
  options: { seed?: number; now?: () => Date } = {},
): Generator<OrderEvent> {
  const rng = xoroshiro128plus(options.seed ?? Date.now() % 0x7fff_ffff);
  const now = options.now ?? (() => new Date());
  const totalWeight = HOUR_WEIGHTS.reduce((a, b) => a + b, 0);
  for (let i = 0; i < count; i++) {
    const at = now();
    const orderNumber = uniformFloat64(rng) < 0.06 ? 1 : uniformInt(rng, 2, 100);
    let hourPick = uniformFloat64(rng) * totalWeight;
    let hour = 0;
    for (; hour < 23; hour++) {
      hourPick -= HOUR_WEIGHTS[hour] as number;
      if (hourPick < 0) break;
    }
    yield {
      order_id: range.firstOrderId + i,
      user_id: uniformInt(rng, 1, Math.max(1, range.maxUserId)),
      eval_set: 'prior',
      order_number: orderNumber,
      order_dow: at.getUTCDay(),
      order_hour_of_day: hour,
      days_since_prior_order: orderNumber === 1 ? null : uniformFloat64(rng) < 0.1 ? 30 : uniformInt(rng, 0, 29),
      event_time: `${at.toISOString().slice(0, 19)}Z`,
    };
  }
}
