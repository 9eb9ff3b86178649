import { UnknownTableError } from './errors.js';

/**
 * Logical column types. Each SQL dialect maps them in {@link sqlType}; the CSV and JSON
 * validators read `min`, `max` and `allowed` from the column itself.
 */
export const ColumnType = {
  int16: 'int16',
  int32: 'int32',
  float32: 'float32',
  text: 'text',
} as const;
export type ColumnType = (typeof ColumnType)[keyof typeof ColumnType];

/** The SQL dialects InsightFlow writes DDL for. */
export const SqlDialect = {
  postgres: 'postgres',
  duckdb: 'duckdb',
  snowflake: 'snowflake',
} as const;
export type SqlDialect = (typeof SqlDialect)[keyof typeof SqlDialect];

/** One column of a catalog table. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
  /** Inclusive lower bound for numeric columns. */
  readonly min?: number;
  /** Inclusive upper bound for numeric columns. */
  readonly max?: number;
  /** The only values a text column may hold. */
  readonly allowed?: readonly string[];
  readonly description: string;
}

/** One table of the catalog: the single source for DDL, CSV headers and event schemas. */
export interface TableSpec {
  readonly name: TableName;
  readonly columns: readonly ColumnSpec[];
  /** Columns that identify a row; unique within one snapshot of the table. */
  readonly primaryKey: readonly string[];
  /** Row count of the real Instacart data set (scale factor 1). */
  readonly rowsAtScale1: number;
  /** The file the staged copy of this table is written to, relative to the stage prefix. */
  readonly stageFile: string;
  readonly description: string;
}

/** The catalog's table names, in load order (dimensions before facts). */
export const TABLE_NAMES = [
  'aisles',
  'departments',
  'products',
  'orders',
  'order_products_prior',
  'order_products_train',
] as const;
export type TableName = (typeof TABLE_NAMES)[number];

/** Values `orders.eval_set` may take. */
export const EVAL_SETS = ['prior', 'train', 'test'] as const;
export type EvalSet = (typeof EVAL_SETS)[number];

const id = (name: string, description: string): ColumnSpec => ({
  name,
  type: ColumnType.int32,
  nullable: false,
  min: 1,
  description,
});

const orderProductColumns: readonly ColumnSpec[] = [
  id('order_id', 'The order this line belongs to.'),
  id('product_id', 'The product bought.'),
  id('add_to_cart_order', 'Position of the product in the cart, from 1.'),
  {
    name: 'reordered',
    type: ColumnType.int16,
    nullable: false,
    min: 0,
    max: 1,
    description: '1 when the user had bought this product before.',
  },
];

const tables: Record<TableName, TableSpec> = {
  aisles: {
    name: 'aisles',
    columns: [
      id('aisle_id', 'Aisle identifier.'),
      { name: 'aisle', type: ColumnType.text, nullable: false, description: 'Aisle name.' },
    ],
    primaryKey: ['aisle_id'],
    rowsAtScale1: 134,
    stageFile: 'aisles.csv',
    description: 'Store aisles.',
  },
  departments: {
    name: 'departments',
    columns: [
      id('department_id', 'Department identifier.'),
      { name: 'department', type: ColumnType.text, nullable: false, description: 'Department name.' },
    ],
    primaryKey: ['department_id'],
    rowsAtScale1: 21,
    stageFile: 'departments.csv',
    description: 'Store departments.',
  },
  products: {
    name: 'products',
    columns: [
      id('product_id', 'Product identifier.'),
      {
        name: 'product_name',
        type: ColumnType.text,
        nullable: false,
        description: 'Product name; may hold commas, quotes and accents.',
      },
      id('aisle_id', 'The aisle the product is shelved in.'),
      id('department_id', 'The department the product belongs to.'),
    ],
    primaryKey: ['product_id'],
    rowsAtScale1: 49_688,
    stageFile: 'products.csv',
    description: 'The product catalogue.',
  },
  orders: {
    name: 'orders',
    columns: [
      id('order_id', 'Order identifier.'),
      id('user_id', 'The customer.'),
      {
        name: 'eval_set',
        type: ColumnType.text,
        nullable: false,
        allowed: EVAL_SETS,
        description: 'prior, train or test; test orders have no products.',
      },
      {
        name: 'order_number',
        type: ColumnType.int16,
        nullable: false,
        min: 1,
        description: "The order's sequence number for its user, from 1.",
      },
      {
        name: 'order_dow',
        type: ColumnType.int16,
        nullable: false,
        min: 0,
        max: 6,
        description: 'Day of week the order was placed, 0–6.',
      },
      {
        name: 'order_hour_of_day',
        type: ColumnType.int16,
        nullable: false,
        min: 0,
        max: 23,
        description: 'Hour of day the order was placed, 0–23.',
      },
      {
        name: 'days_since_prior_order',
        type: ColumnType.float32,
        nullable: true,
        min: 0,
        max: 30,
        description: "Days since the user's previous order, capped at 30; null on a user's first order.",
      },
    ],
    primaryKey: ['order_id'],
    rowsAtScale1: 3_421_083,
    stageFile: 'orders.csv',
    description: 'One row per order.',
  },
  order_products_prior: {
    name: 'order_products_prior',
    columns: orderProductColumns,
    primaryKey: ['order_id', 'product_id'],
    rowsAtScale1: 32_434_489,
    stageFile: 'order_products__prior.csv.gz',
    description: "Products of every user's prior orders.",
  },
  order_products_train: {
    name: 'order_products_train',
    columns: orderProductColumns,
    primaryKey: ['order_id', 'product_id'],
    rowsAtScale1: 1_384_617,
    stageFile: 'order_products__train.csv.gz',
    description: "Products of each user's last (train) order.",
  },
};

/** True when `name` is one of the catalog's tables. */
export function isTableName(name: string): name is TableName {
  return (TABLE_NAMES as readonly string[]).includes(name);
}

/** The catalog entry for `name`; throws {@link UnknownTableError} for any other name. */
export function getTable(name: string): TableSpec {
  if (!isTableName(name)) throw new UnknownTableError(name, TABLE_NAMES);
  return tables[name];
}

/** Every catalog table, in load order. */
export function listTables(): readonly TableSpec[] {
  return TABLE_NAMES.map((name) => tables[name]);
}

/** The table's column names in order: the CSV header and the COPY column list. */
export function columnNames(table: TableSpec): string[] {
  return table.columns.map((c) => c.name);
}

const sqlTypes: Record<SqlDialect, Record<ColumnType, string>> = {
  postgres: { int16: 'smallint', int32: 'integer', float32: 'real', text: 'text' },
  duckdb: { int16: 'SMALLINT', int32: 'INTEGER', float32: 'REAL', text: 'VARCHAR' },
  snowflake: { int16: 'NUMBER(5,0)', int32: 'NUMBER(10,0)', float32: 'FLOAT', text: 'VARCHAR' },
};

/** The column's SQL type in `dialect`. */
export function sqlType(column: ColumnSpec, dialect: SqlDialect): string {
  return sqlTypes[dialect][column.type];
}

/**
 * Double-quotes a catalog identifier. Only names from this catalog are ever passed here; the
 * check keeps it that way, since an identifier cannot be a bind parameter.
 */
export function quoteIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new UnknownTableError(name, TABLE_NAMES);
  }
  return `"${name}"`;
}

/**
 * A catalog identifier as `dialect` spells it. Snowflake folds unquoted names to upper case, so
 * its identifiers stay unquoted (and work in any later unquoted query); the others are quoted.
 */
export function dialectIdentifier(name: string, dialect: SqlDialect): string {
  const quoted = quoteIdentifier(name);
  return dialect === 'snowflake' ? name.toUpperCase() : quoted;
}

/**
 * `CREATE TABLE IF NOT EXISTS` for a catalog table in `dialect`, with `extraColumns`
 * (already typed SQL fragments such as `"year" smallint NOT NULL`) appended.
 */
export function createTableSql(
  table: TableSpec,
  dialect: SqlDialect,
  options: { qualifiedName?: string; extraColumns?: readonly string[]; primaryKey?: boolean } = {},
): string {
  const ident = (name: string) => dialectIdentifier(name, dialect);
  const columns = table.columns.map((c) => `${ident(c.name)} ${sqlType(c, dialect)}${c.nullable ? '' : ' NOT NULL'}`);
  const extra = options.extraColumns ?? [];
  const key = options.primaryKey === false ? [] : [`PRIMARY KEY (${table.primaryKey.map(quoteIdentifier).join(', ')})`];
  const name = options.qualifiedName ?? quoteIdentifier(table.name);
  return `CREATE TABLE IF NOT EXISTS ${name} (\n  ${[...columns, ...extra, ...key].join(',\n  ')}\n)`;
}
