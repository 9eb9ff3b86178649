import type { CatalogDocument } from './catalogSchema.js';

/** Values `orders.eval_set` may take. */
export const EVAL_SETS = ['prior', 'train', 'test'] as const;
export type EvalSet = (typeof EVAL_SETS)[number];

const id = (name: string, description: string) =>
  ({ name, type: 'integer', nullable: false, min: 1, description }) as const;

const orderProductColumns = [
  id('order_id', 'The order this line belongs to.'),
  id('product_id', 'The product bought.'),
  id('add_to_cart_order', 'Position of the product in the cart, from 1.'),
  {
    name: 'reordered',
    type: 'smallint',
    nullable: false,
    min: 0,
    max: 1,
    description: '1 when the user had bought this product before.',
  },
] as const;

/**
 * The built-in catalog: the six Instacart tables of the demo, in load order (dimensions before
 * facts), and the order stream. The catalog InsightFlow uses when none is configured.
 */
export const INSTACART_CATALOG = {
  tables: [
    {
      name: 'aisles',
      primaryKey: ['aisle_id'],
      stage: 'instacart/aisles.csv',
      description: 'Store aisles.',
      columns: [
        id('aisle_id', 'Aisle identifier.'),
        { name: 'aisle', type: 'text', nullable: false, description: 'Aisle name.' },
      ],
    },
    {
      name: 'departments',
      primaryKey: ['department_id'],
      stage: 'instacart/departments.csv',
      description: 'Store departments.',
      columns: [
        id('department_id', 'Department identifier.'),
        { name: 'department', type: 'text', nullable: false, description: 'Department name.' },
      ],
    },
    {
      name: 'products',
      primaryKey: ['product_id'],
      stage: 'instacart/products.csv',
      description: 'The product catalogue.',
      columns: [
        id('product_id', 'Product identifier.'),
        {
          name: 'product_name',
          type: 'text',
          nullable: false,
          description: 'Product name; may hold commas, quotes and accents.',
        },
        id('aisle_id', 'The aisle the product is shelved in.'),
        id('department_id', 'The department the product belongs to.'),
      ],
    },
    {
      name: 'orders',
      primaryKey: ['order_id'],
      stage: 'instacart/orders.csv',
      description: 'One row per order.',
      // Analyses filter on eval_set (prior history vs. train/test): three partitions, no tiny files.
      partitionBy: ['eval_set'],
      columns: [
        id('order_id', 'Order identifier.'),
        id('user_id', 'The customer.'),
        {
          name: 'eval_set',
          type: 'text',
          nullable: false,
          allowed: EVAL_SETS,
          description: 'prior, train or test; test orders have no products.',
        },
        {
          name: 'order_number',
          type: 'smallint',
          nullable: false,
          min: 1,
          description: "The order's sequence number for its user, from 1.",
        },
        {
          name: 'order_dow',
          type: 'smallint',
          nullable: false,
          min: 0,
          max: 6,
          description: 'Day of week the order was placed, 0–6.',
        },
        {
          name: 'order_hour_of_day',
          type: 'smallint',
          nullable: false,
          min: 0,
          max: 23,
          description: 'Hour of day the order was placed, 0–23.',
        },
        {
          name: 'days_since_prior_order',
          type: 'real',
          nullable: true,
          min: 0,
          max: 30,
          description: "Days since the user's previous order, capped at 30; null on a user's first order.",
        },
      ],
    },
    {
      name: 'order_products_prior',
      primaryKey: ['order_id', 'product_id'],
      stage: 'instacart/order_products__prior.csv.gz',
      description: "Products of every user's prior orders.",
      columns: orderProductColumns,
    },
    {
      name: 'order_products_train',
      primaryKey: ['order_id', 'product_id'],
      stage: 'instacart/order_products__train.csv.gz',
      description: "Products of each user's last (train) order.",
      columns: orderProductColumns,
    },
  ],
  streams: [{ name: 'orders', table: 'orders' }],
  schemaChanges: 'evolve',
} as const satisfies CatalogDocument;
