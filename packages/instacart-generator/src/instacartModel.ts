import { InsightFlowError } from '@insightflow/shared-config';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { INSTACART_TABLES, type InstacartTableName } from './instacartTables.js';
import { ADJECTIVES, aisleName, BRANDS, DEPARTMENTS, NOUNS, SIZES } from './names.js';

/**
 * A deterministic model of the Instacart data set. Every table is a pure function of
 * (scale, seed): the same inputs give the same rows, in the same order, on every machine.
 *
 * Tables that depend on each other (orders and their products) are generated in separate
 * passes that replay the same user simulation from independent random streams, so each pass
 * streams on its own with memory bounded by one user's history.
 */

/** A generated row: values in the catalog's column order; null is SQL NULL. */
export type Row = (string | number | null)[];

/** How much to generate, and the counts that follow from it. */
export interface GenerationPlan {
  scale: number;
  seed: number;
  users: number;
  /** Row counts per table (exact: the generator produces exactly these). */
  rows: Record<InstacartTableName, number>;
  /** Users whose last order is `train` (the others' is `test`). */
  trainOrders: number;
}

/** The scale or seed is out of range. */
export class GenerationPlanError extends InsightFlowError {
  public constructor(message: string) {
    super(message);
    this.name = 'GenerationPlanError';
  }
}

// Real Instacart figures the model is fitted to.
const REAL = { users: 206_209, trainUsers: 131_209 } as const;
const MIN_ORDERS_PER_USER = 4;
const MAX_ORDERS_PER_USER = 100;
const MAX_BASKET = 145;
const MIN_PRODUCTS = 200;
/** Chance that an item in a returning user's basket comes from their own history. */
const REPEAT_PURCHASE = 0.6;

/** Plans a generation run; throws {@link GenerationPlanError} for an unusable scale or seed. */
export function planGeneration(options: { scale: number; seed?: number }): GenerationPlan {
  const { scale } = options;
  const seed = options.seed ?? 42;
  if (!Number.isFinite(scale) || scale <= 0 || scale > 10) {
    throw new GenerationPlanError(
      `Scale ${scale} is out of range: use a number above 0 and at most 10 (1 = real size).`,
    );
  }
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
    throw new GenerationPlanError(`Seed ${seed} is out of range: use a whole number from 0 to 4294967295.`);
  }
  const scaled = (table: InstacartTableName) => Math.round(INSTACART_TABLES[table].rowsAtScale1 * scale);
  const users = Math.max(1, Math.round(REAL.users * scale));
  const orders = clamp(scaled('orders'), users * MIN_ORDERS_PER_USER, users * MAX_ORDERS_PER_USER);
  const priorOrders = orders - users;
  const trainOrders = clamp(Math.round((users * REAL.trainUsers) / REAL.users), 1, users);
  const products = Math.max(MIN_PRODUCTS, scaled('products'));
  return {
    scale,
    seed,
    users,
    trainOrders,
    rows: {
      aisles: INSTACART_TABLES.aisles.rowsAtScale1,
      departments: INSTACART_TABLES.departments.rowsAtScale1,
      products,
      orders,
      order_products_prior: clamp(scaled('order_products_prior'), priorOrders, priorOrders * MAX_BASKET),
      order_products_train: clamp(scaled('order_products_train'), trainOrders, trainOrders * MAX_BASKET),
    },
  };
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

/** Independent random streams, one per concern, so passes that skip a concern stay in step. */
function streams(seed: number) {
  const base = xoroshiro128plus(seed);
  const plan = base.clone();
  const orders = plan.clone();
  orders.jump();
  const baskets = orders.clone();
  baskets.jump();
  const products = baskets.clone();
  products.jump();
  return { plan, orders, baskets, products };
}

/** An exponential draw with the given mean, from a uniform one. */
function exponential(rng: RandomGenerator, mean: number): number {
  return -Math.log(1 - uniformFloat64(rng)) * mean;
}

/**
 * Splits a total over a number of draws so that the sum is exact: each draw is skewed around
 * the remaining mean and clamped so the remaining draws can still meet their bounds.
 */
class ExactTotal {
  private remaining: number;
  private left: number;

  public constructor(
    total: number,
    draws: number,
    private readonly min: number,
    private readonly max: number,
  ) {
    this.remaining = total;
    this.left = draws;
  }

  public next(rng: RandomGenerator): number {
    const lo = Math.max(this.min, this.remaining - this.max * (this.left - 1));
    const hi = Math.min(this.max, this.remaining - this.min * (this.left - 1));
    const mean = this.remaining / this.left;
    const n = clamp(this.min + Math.floor(exponential(rng, Math.max(0, mean - this.min))), lo, hi);
    this.remaining -= n;
    this.left -= 1;
    return n;
  }
}

/** One simulated customer: how many orders, and whether the last one is `train` or `test`. */
interface SimulatedUser {
  userId: number;
  orderCount: number;
  lastIsTrain: boolean;
}

function* simulateUsers(plan: GenerationPlan, rng: RandomGenerator): Generator<SimulatedUser> {
  const orderCounts = new ExactTotal(plan.rows.orders, plan.users, MIN_ORDERS_PER_USER, MAX_ORDERS_PER_USER);
  let trainSlots = plan.trainOrders;
  for (let i = 0; i < plan.users; i++) {
    const orderCount = orderCounts.next(rng);
    const lastIsTrain = uniformFloat64(rng) * (plan.users - i) < trainSlots;
    if (lastIsTrain) trainSlots--;
    yield { userId: i + 1, orderCount, lastIsTrain };
  }
}

/** Order ids are a fixed permutation of 1..N, so they look random but never collide. */
function orderIdPermutation(total: number): (sequence: number) => number {
  let step = Math.floor(total * 0.618_033_988_7) | 1;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  while (gcd(step, total) !== 1) step += 2;
  return (sequence) => Number((BigInt(sequence) * BigInt(step)) % BigInt(total)) + 1;
}

const DOW_WEIGHTS = [0.19, 0.17, 0.13, 0.12, 0.12, 0.13, 0.14];
const HOUR_WEIGHTS = [
  0.7, 0.4, 0.2, 0.2, 0.2, 0.3, 1, 2.8, 5.4, 7.6, 8.5, 8.4, 8.1, 8.2, 8.3, 8.2, 7.8, 6.4, 5, 3.9, 3, 2.5, 2, 1.3,
];

function weighted(rng: RandomGenerator, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let u = uniformFloat64(rng) * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i] as number;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

function daysSincePrior(rng: RandomGenerator): number {
  const u = uniformFloat64(rng);
  if (u < 0.11) return 30;
  if (u < 0.2) return 7;
  return uniformInt(rng, 0, 29);
}

/** `aisles` rows. */
export function* aisleRows(): Generator<Row> {
  for (let id = 1; id <= INSTACART_TABLES.aisles.rowsAtScale1; id++) yield [id, aisleName(id)];
}

/** `departments` rows. */
export function* departmentRows(): Generator<Row> {
  for (let id = 1; id <= DEPARTMENTS.length; id++) yield [id, DEPARTMENTS[id - 1] as string];
}

/** `products` rows, with the messy names real catalogues have. */
export function* productRows(plan: GenerationPlan): Generator<Row> {
  const rng = streams(plan.seed).products;
  const pick = <T>(list: readonly T[]): T => list[uniformInt(rng, 0, list.length - 1)] as T;
  for (let id = 1; id <= plan.rows.products; id++) {
    let name = `${pick(BRANDS)} ${pick(ADJECTIVES)} ${pick(NOUNS)}${pick(SIZES)}`;
    if (id % 97 === 0) name += ' 🍌';
    if (id % 401 === 0) name += '\nLimited Edition';
    yield [id, name, uniformInt(rng, 1, 134), uniformInt(rng, 1, DEPARTMENTS.length)];
  }
}

/** `orders` rows: every user's orders in sequence; the last one is `train` or `test`. */
export function* orderRows(plan: GenerationPlan): Generator<Row> {
  const rngs = streams(plan.seed);
  const orderId = orderIdPermutation(plan.rows.orders);
  let sequence = 0;
  for (const user of simulateUsers(plan, rngs.plan)) {
    for (let n = 1; n <= user.orderCount; n++) {
      const last = n === user.orderCount;
      const evalSet = last ? (user.lastIsTrain ? 'train' : 'test') : 'prior';
      yield [
        orderId(sequence++),
        user.userId,
        evalSet,
        n,
        weighted(rngs.orders, DOW_WEIGHTS),
        weighted(rngs.orders, HOUR_WEIGHTS),
        n === 1 ? null : daysSincePrior(rngs.orders),
      ];
    }
  }
}

/**
 * `order_products_prior` or `order_products_train` rows. Both passes replay every basket (a
 * train basket's `reordered` depends on the user's prior ones) and emit only their own.
 */
export function* orderProductRows(plan: GenerationPlan, evalSet: 'prior' | 'train'): Generator<Row> {
  const rngs = streams(plan.seed);
  const rng = rngs.baskets;
  const orderId = orderIdPermutation(plan.rows.orders);
  const products = plan.rows.products;
  const priorSizes = new ExactTotal(plan.rows.order_products_prior, plan.rows.orders - plan.users, 1, MAX_BASKET);
  const trainSizes = new ExactTotal(plan.rows.order_products_train, plan.trainOrders, 1, MAX_BASKET);
  let sequence = 0;

  for (const user of simulateUsers(plan, rngs.plan)) {
    const history: number[] = [];
    const bought = new Set<number>();
    for (let n = 1; n <= user.orderCount; n++) {
      const id = orderId(sequence++);
      const last = n === user.orderCount;
      if (last && !user.lastIsTrain) continue; // test orders have no products
      const kind = last ? 'train' : 'prior';
      const size = Math.min(products, (kind === 'train' ? trainSizes : priorSizes).next(rng));
      const basket = new Set<number>();
      for (let position = 1; position <= size; position++) {
        const product = pickProduct(rng, history, basket, products);
        basket.add(product);
        if (kind === evalSet) yield [id, product, position, bought.has(product) ? 1 : 0];
      }
      for (const product of basket) {
        if (!bought.has(product)) {
          bought.add(product);
          history.push(product);
        }
      }
    }
  }
}

function pickProduct(rng: RandomGenerator, history: number[], basket: Set<number>, products: number): number {
  for (let attempt = 0; attempt < 8; attempt++) {
    const fromHistory = history.length > 0 && uniformFloat64(rng) < REPEAT_PURCHASE;
    // A skewed popularity curve: a few staples (bananas) dominate, as in the real data.
    const candidate = fromHistory
      ? (history[uniformInt(rng, 0, history.length - 1)] as number)
      : 1 + Math.floor(products * uniformFloat64(rng) ** 2.5);
    if (!basket.has(candidate)) return candidate;
  }
  let candidate = uniformInt(rng, 1, products);
  while (basket.has(candidate)) candidate = (candidate % products) + 1;
  return candidate;
}

/** The rows of one demo table. */
export function tableRows(table: InstacartTableName, plan: GenerationPlan): Iterable<Row> {
  switch (table) {
    case 'aisles':
      return aisleRows();
    case 'departments':
      return departmentRows();
    case 'products':
      return productRows(plan);
    case 'orders':
      return orderRows(plan);
    case 'order_products_prior':
      return orderProductRows(plan, 'prior');
    case 'order_products_train':
      return orderProductRows(plan, 'train');
  }
}
