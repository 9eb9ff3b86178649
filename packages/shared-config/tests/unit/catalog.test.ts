import { describe, expect, it } from 'vitest';
import {
  columnNames,
  createTableSql,
  InvalidIdentifierError,
  instacartCatalog,
  OrderEventSchema,
  OrderRowSchema,
  quoteIdentifier,
  UnknownTableError,
} from '../../src/index.js';

const catalog = instacartCatalog();

describe('The built-in catalog: instacartCatalog()', () => {
  it('holds the six Instacart tables with their staged files', () => {
    expect(catalog.tables.map((t) => [t.name, t.stage])).toEqual([
      ['aisles', 'instacart/aisles.csv'],
      ['departments', 'instacart/departments.csv'],
      ['products', 'instacart/products.csv'],
      ['orders', 'instacart/orders.csv'],
      ['order_products_prior', 'instacart/order_products__prior.csv.gz'],
      ['order_products_train', 'instacart/order_products__train.csv.gz'],
    ]);
  });

  it('spells days_since_prior_order correctly and keeps it nullable', () => {
    const column = catalog.table('orders').columns.find((c) => c.name === 'days_since_prior_order');
    expect(column).toMatchObject({ nullable: true, min: 0, max: 30 });
  });

  it('gives every table a primary key made of its own columns', () => {
    for (const table of catalog.tables) {
      expect(table.primaryKey.length).toBeGreaterThan(0);
      for (const key of table.primaryKey) expect(columnNames(table)).toContain(key);
    }
  });

  it('refuses an unknown table with the known ones in the message', () => {
    expect(() => catalog.table('users')).toThrow(UnknownTableError);
    expect(() => catalog.table('users')).toThrow(/aisles, departments/);
  });

  it('quotes only identifier-shaped names', () => {
    expect(quoteIdentifier('order_id')).toBe('"order_id"');
    for (const hostile of ['a"b', 'x; drop table y', 'A', '', '1a']) {
      expect(() => quoteIdentifier(hostile)).toThrow(InvalidIdentifierError);
    }
    expect(() => quoteIdentifier('a"b')).toThrow(/"a\\"b" is not a catalog name/);
  });

  it('writes PostgreSQL DDL with types, nullability and the key', () => {
    const sql = createTableSql(catalog.table('orders'), 'postgres', { qualifiedName: '"insightflow_raw"."orders"' });
    expect(sql).toContain('CREATE TABLE IF NOT EXISTS "insightflow_raw"."orders"');
    expect(sql).toContain('"days_since_prior_order" real,');
    expect(sql).toContain('"order_dow" smallint NOT NULL');
    expect(sql).toContain('PRIMARY KEY ("order_id")');
  });

  it('writes Snowflake DDL with unquoted (upper-case) names throughout, the key included', () => {
    const sql = createTableSql(catalog.table('orders'), 'snowflake');
    expect(sql).toMatch(/^CREATE TABLE IF NOT EXISTS ORDERS \(/);
    expect(sql).toContain('ORDER_DOW NUMBER(5,0) NOT NULL');
    expect(sql).toContain('PRIMARY KEY (ORDER_ID)');
    expect(sql).not.toContain('"');
  });

  it('lists table names in load order, dimensions first', () => {
    expect(catalog.tableNames().indexOf('products')).toBeLessThan(catalog.tableNames().indexOf('order_products_prior'));
  });
});

describe('Schema: OrderEventSchema', () => {
  const event = {
    order_id: 3_421_084,
    user_id: 7,
    eval_set: 'prior',
    order_number: 2,
    order_dow: 3,
    order_hour_of_day: 14,
    days_since_prior_order: null,
    event_time: '2026-11-23T14:05:00Z',
  };

  it('accepts a first order with a null days_since_prior_order', () => {
    expect(OrderEventSchema.parse(event)).toEqual(event);
  });

  it.each([
    ['a missing column', { ...event, user_id: undefined }],
    ['an unknown eval_set', { ...event, eval_set: 'holdout' }],
    ['an hour out of range', { ...event, order_hour_of_day: 24 }],
    ['days over the cap', { ...event, days_since_prior_order: 31 }],
    ['a fractional id', { ...event, order_id: 1.5 }],
    ['a string number', { ...event, order_dow: '3' }],
    ['a local time', { ...event, event_time: '2026-11-23T14:05:00+11:00' }],
  ])('refuses %s', (_, bad) => {
    expect(OrderEventSchema.safeParse(bad).success).toBe(false);
  });

  it('derives the row schema from the same catalog columns', () => {
    const { event_time: _, ...row } = event;
    expect(OrderRowSchema.parse({ ...row, extra: 1 })).toEqual(row);
  });
});
