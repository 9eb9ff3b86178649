import {
  CATALOG_NAME_PATTERN,
  type ColumnType,
  MAX_DECIMAL_PRECISION,
  PLAIN_COLUMN_TYPES,
} from '@insightflow/shared-config';

/**
 * The catalog document `insightflow discover` writes: tables, columns and their catalog types
 * (the type names and bounds are the catalog's own, from shared-config).
 */

/** Catalog column types without parameters. */
export const PLAIN_CATALOG_TYPES = PLAIN_COLUMN_TYPES;
/** A catalog column type: a plain one, `decimal(p,s)` or `varchar(n)`. */
export type CatalogColumnType = ColumnType;
export { CATALOG_NAME_PATTERN, MAX_DECIMAL_PRECISION };

/** One column of a discovered table. */
export interface CatalogColumn {
  name: string;
  type: CatalogColumnType;
  /** Written only when false: a column is nullable by default. */
  nullable?: false;
}

/** One discovered table. */
export interface CatalogTable {
  name: string;
  /** Left out when the table has no primary key. */
  primaryKey?: string[];
  columns: CatalogColumn[];
}

/** The catalog document. */
export interface CatalogDocument {
  tables: CatalogTable[];
  schemaChanges: 'evolve';
}

/** `decimal(p,s)`, checked: 1 ≤ p ≤ 38 and 0 ≤ s ≤ p. */
export function decimalType(precision: number, scale: number): CatalogColumnType | undefined {
  const valid =
    Number.isInteger(precision) &&
    Number.isInteger(scale) &&
    precision >= 1 &&
    precision <= MAX_DECIMAL_PRECISION &&
    scale >= 0 &&
    scale <= precision;
  return valid ? `decimal(${precision},${scale})` : undefined;
}
