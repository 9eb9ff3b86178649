import { instacartCatalog } from '@insightflow/shared-config';
import { describe, expect, it } from 'vitest';
import {
  GenerationPlanError,
  INSTACART_TABLE_NAMES,
  INSTACART_TABLES,
  orderProductRows,
  orderRows,
  planGeneration,
  productRows,
  tableRows,
} from '../../src/index.js';

const plan = planGeneration({ scale: 0.01, seed: 11 });
const orders = [...orderRows(plan)];
const prior = [...orderProductRows(plan, 'prior')];
const train = [...orderProductRows(plan, 'train')];

describe('Function: planGeneration()', () => {
  it('gives the real Instacart row counts at scale 1', () => {
    const real = planGeneration({ scale: 1 });
    for (const table of INSTACART_TABLE_NAMES)
      expect(real.rows[table], table).toBe(INSTACART_TABLES[table].rowsAtScale1);
  });

  it('holds the real Instacart row counts', () => {
    expect(INSTACART_TABLE_NAMES.map((t) => [t, INSTACART_TABLES[t].rowsAtScale1])).toEqual([
      ['aisles', 134],
      ['departments', 21],
      ['products', 49_688],
      ['orders', 3_421_083],
      ['order_products_prior', 32_434_489],
      ['order_products_train', 1_384_617],
    ]);
  });

  it("knows exactly the built-in catalog's tables", () => {
    expect([...INSTACART_TABLE_NAMES]).toEqual(instacartCatalog().tableNames());
  });

  it.each([0, -1, 11, Number.NaN])('refuses scale %s with the valid range', (scale) => {
    expect(() => planGeneration({ scale })).toThrow(GenerationPlanError);
    expect(() => planGeneration({ scale })).toThrow(/above 0 and at most 10/);
  });

  it('refuses a seed that is not a 32-bit whole number', () => {
    expect(() => planGeneration({ scale: 0.01, seed: 1.5 })).toThrow(/Seed 1.5/);
  });
});

describe('Instacart model at scale 0.01', () => {
  it('produces exactly the planned row count for every table', () => {
    for (const table of INSTACART_TABLE_NAMES) {
      let n = 0;
      for (const _ of tableRows(table, plan)) n++;
      expect(n, table).toBe(plan.rows[table]);
    }
  });

  it('gives every order a unique id', () => {
    expect(new Set(orders.map((r) => r[0])).size).toBe(orders.length);
  });

  it("nulls days_since_prior_order exactly on a user's first order, and keeps the rest within 0–30", () => {
    for (const [, , , orderNumber, , , days] of orders) {
      if (orderNumber === 1) expect(days).toBeNull();
      else expect(days).toEqual(expect.any(Number));
      if (days !== null) expect(days).toBeGreaterThanOrEqual(0);
      if (days !== null) expect(days).toBeLessThanOrEqual(30);
    }
  });

  it('ends every user with one train or test order; test orders have no products', () => {
    const lastByUser = new Map<number, (typeof orders)[number]>();
    for (const row of orders) {
      const previous = lastByUser.get(row[1] as number);
      if (!previous || (row[3] as number) > (previous[3] as number)) lastByUser.set(row[1] as number, row);
    }
    const evalSets = orders.reduce<Record<string, number>>((acc, r) => {
      acc[r[2] as string] = (acc[r[2] as string] ?? 0) + 1;
      return acc;
    }, {});
    expect(evalSets.train).toBe(plan.trainOrders);
    expect((evalSets.train ?? 0) + (evalSets.test ?? 0)).toBe(plan.users);
    for (const last of lastByUser.values()) expect(['train', 'test']).toContain(last[2]);

    const testOrders = new Set(orders.filter((r) => r[2] === 'test').map((r) => r[0]));
    const trainOrders = new Set(orders.filter((r) => r[2] === 'train').map((r) => r[0]));
    expect(prior.some((r) => testOrders.has(r[0]))).toBe(false);
    expect(train.every((r) => trainOrders.has(r[0]))).toBe(true);
  });

  it('puts about 10 products in an order, never the same one twice', () => {
    const perOrder = prior.length / new Set(prior.map((r) => r[0])).size;
    expect(perOrder).toBeGreaterThan(9);
    expect(perOrder).toBeLessThan(11.5);
    expect(new Set(prior.map((r) => `${r[0]}:${r[1]}`)).size).toBe(prior.length);
  });

  it('marks about 59 % of prior lines as reordered', () => {
    const share = prior.reduce((n, r) => n + (r[3] as number), 0) / prior.length;
    expect(share).toBeGreaterThan(0.54);
    expect(share).toBeLessThan(0.64);
  });

  it('writes product names with commas, quotes, accents and line breaks', () => {
    const names = [...productRows(plan)].map((r) => r[1] as string);
    expect(names.some((n) => n.includes(','))).toBe(true);
    expect(names.some((n) => n.includes('"'))).toBe(true);
    expect(names.some((n) => /[éñüøã]/.test(n))).toBe(true);
    expect(names.some((n) => n.includes('\n'))).toBe(true);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const again = [...orderRows(planGeneration({ scale: 0.01, seed: 11 }))];
    const other = [...orderRows(planGeneration({ scale: 0.01, seed: 12 }))];
    expect(again).toEqual(orders);
    expect(other).not.toEqual(orders);
  });
});
