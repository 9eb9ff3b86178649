import type { Lake } from '@insightflow/lake';
import { PUBLISHER_STATE_PREFIX } from '@insightflow/shared-config';
import { z } from 'zod';
import type { OrderIdRange } from './orderEvents.js';

/** Where the publisher keeps its high-water mark in the raw bucket. */
export const WATERMARK_KEY = `${PUBLISHER_STATE_PREFIX}order-id-watermark.json`;

const WatermarkSchema = z.object({ nextOrderId: z.number().int().positive(), maxUserId: z.number().int().positive() });

/**
 * Reserves a block of fresh order ids. The watermark is written before any event is sent, so a
 * crash leaves a gap, never a reused id. The first reservation starts past `firstRange()`'s
 * largest order id (the warehouse's, or the lake's orders). One publisher at a time (the stack
 * gives it a reserved concurrency of 1).
 */
export async function reserveOrderIds(
  lake: Lake,
  count: number,
  firstRange: () => Promise<{ maxOrderId: number; maxUserId: number }>,
): Promise<OrderIdRange> {
  // A missing watermark means the first run (HEAD answers absent); a garbled one is an error.
  let current = await lake.getJsonIfExists(WATERMARK_KEY, WatermarkSchema);
  if (!current) {
    const { maxOrderId, maxUserId } = await firstRange();
    current = { nextOrderId: maxOrderId + 1, maxUserId: Math.max(1, maxUserId) };
  }
  const next = { ...current, nextOrderId: current.nextOrderId + count };
  await lake.putJson(WATERMARK_KEY, next);
  return { firstOrderId: current.nextOrderId, maxUserId: current.maxUserId };
}
