/**
 * What the generator knows about the Instacart demo tables beyond the catalog: the real data
 * set's row counts, which the model is fitted to.
 */

/** The demo's tables, in load order (the built-in catalog's tables). */
export const INSTACART_TABLE_NAMES = [
  'aisles',
  'departments',
  'products',
  'orders',
  'order_products_prior',
  'order_products_train',
] as const;
export type InstacartTableName = (typeof INSTACART_TABLE_NAMES)[number];

/** Per demo table: its row count in the real data set (scale 1). */
export const INSTACART_TABLES: Record<InstacartTableName, { rowsAtScale1: number }> = {
  aisles: { rowsAtScale1: 134 },
  departments: { rowsAtScale1: 21 },
  products: { rowsAtScale1: 49_688 },
  orders: { rowsAtScale1: 3_421_083 },
  order_products_prior: { rowsAtScale1: 32_434_489 },
  order_products_train: { rowsAtScale1: 1_384_617 },
};

/** True when `table` is one of the demo tables the generator can make. */
export function isInstacartTable(table: string): table is InstacartTableName {
  return (INSTACART_TABLE_NAMES as readonly string[]).includes(table);
}
