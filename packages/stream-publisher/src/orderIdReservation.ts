import type { ObjectStore } from '@insightflow/object-store';
import { PUBLISHER_STATE_PREFIX } from '@insightflow/shared-config';
import { z } from 'zod';
import type { OrderIdRange } from './orderEvents.js';

/** Where the publisher keeps its high-water mark in the raw bucket. */
export const WATERMARK_KEY = `${PUBLISHER_STATE_PREFIX}order-id-watermark.json`;

const WatermarkSchema = z.object({ nextOrderId: z.number().int().positive(), maxUserId: z.number().int().positive() });

/**
 * Reserves a block of fresh order ids. The watermark is written before any event is sent, so a
 * crash leaves a gap, never a reused id. The first reservation starts past the warehouse's
 * largest order id. One publisher at a time (the stack gives it a reserved concurrency of 1).
 */
export async function reserveOrderIds(
  store: ObjectStore,
  count: number,
  warehouseRange: () => Promise<{ maxOrderId: number; maxUserId: number }>,
): Promise<OrderIdRange> {
  let current: z.infer<typeof WatermarkSchema>;
  if (await store.head(WATERMARK_KEY)) {
    const { body } = await store.get(WATERMARK_KEY);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    current = WatermarkSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
  } else {
    const { maxOrderId, maxUserId } = await warehouseRange();
    current = { nextOrderId: maxOrderId + 1, maxUserId: Math.max(1, maxUserId) };
  }
  const next = { ...current, nextOrderId: current.nextOrderId + count };
  await store.put(WATERMARK_KEY, JSON.stringify(next), 'application/json');
  return { firstOrderId: current.nextOrderId, maxUserId: current.maxUserId };
}
