import {
  type AppliedChange,
  type ColumnShape,
  isColumnType,
  PLAIN_COLUMN_TYPES,
  planSchemaChange,
  type RefusedChange,
  type SchemaChangePolicy,
  sqlType,
  type TableShape,
  type TableSpec,
} from '@insightflow/shared-config';
import { mapSourceType, parseTypeName, SNOWFLAKE_MAX_VARCHAR_LENGTH } from './sourceTypes.js';
import type { CatalogTableChange, SourceColumn, SourceTable, Warehouse } from './warehouse.js';

/**
 * How `ensureCatalogTables()` evolves the warehouse's catalog tables: it reads what each table
 * holds from the information schema, puts that in catalog terms and lets shared-config's
 * {@link planSchemaChange} judge the difference by the catalog's policy. Types are compared in
 * the warehouse's own terms first, so a difference the warehouse cannot hold (`text` and
 * `varchar(n)` are both DuckDB's VARCHAR; `real` and `double` both Snowflake's FLOAT) is no change.
 */

type Dialect = Warehouse['kind'];

/** What `ensureCatalogTables()` is about to do: the tables to create and each table's changes. */
export interface CatalogTablesPlan {
  create: TableSpec[];
  /** Per existing table with changes; DDL order: as listed. */
  evolve: { table: TableSpec; applied: AppliedChange[] }[];
  /** When not empty, nothing may be done. */
  refused: RefusedChange[];
}

/** Snowflake's BINARY without a length: its largest, 8 MB. */
const SNOWFLAKE_MAX_BINARY_LENGTH = 8_388_608;

const SNOWFLAKE_SYNONYMS: Readonly<Record<string, string>> = {
  DECIMAL: 'NUMBER',
  NUMERIC: 'NUMBER',
  FLOAT4: 'FLOAT',
  FLOAT8: 'FLOAT',
  DOUBLE: 'FLOAT',
  'DOUBLE PRECISION': 'FLOAT',
  REAL: 'FLOAT',
  TEXT: 'VARCHAR',
  STRING: 'VARCHAR',
  VARBINARY: 'BINARY',
  DATETIME: 'TIMESTAMP_NTZ',
};
/** Snowflake's integer names are NUMBER(38,0). */
const SNOWFLAKE_INTEGERS = new Set(['INT', 'INTEGER', 'BIGINT', 'SMALLINT', 'TINYINT', 'BYTEINT']);

const DUCKDB_SYNONYMS: Readonly<Record<string, string>> = {
  INT: 'INTEGER',
  INT4: 'INTEGER',
  SIGNED: 'INTEGER',
  INT2: 'SMALLINT',
  SHORT: 'SMALLINT',
  INT8: 'BIGINT',
  LONG: 'BIGINT',
  INT1: 'TINYINT',
  REAL: 'FLOAT',
  FLOAT4: 'FLOAT',
  FLOAT8: 'DOUBLE',
  NUMERIC: 'DECIMAL',
  TEXT: 'VARCHAR',
  STRING: 'VARCHAR',
  CHAR: 'VARCHAR',
  BPCHAR: 'VARCHAR',
  BYTEA: 'BLOB',
  BINARY: 'BLOB',
  VARBINARY: 'BLOB',
  DATETIME: 'TIMESTAMP',
  TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE',
  BOOL: 'BOOLEAN',
  LOGICAL: 'BOOLEAN',
};

/** The information schema's lengths and precisions of a column; none for a type spelled in DDL. */
type TypeFacts = Pick<SourceColumn, 'characterMaximumLength' | 'numericPrecision' | 'numericScale'>;
const NO_FACTS: TypeFacts = { characterMaximumLength: null, numericPrecision: null, numericScale: null };

/**
 * One spelling per type the warehouse holds, with its parameters filled in: Snowflake
 * `NUMBER(10,0)`, `VARCHAR(16777216)` (what `VARCHAR` and `TEXT` mean), `FLOAT`; DuckDB `FLOAT`
 * (REAL), `DECIMAL(12,2)`, `VARCHAR` (DuckDB keeps no length), `TIMESTAMP WITH TIME ZONE`.
 * Both a type as the information schema reports it and one as `sqlType()` writes it map here.
 */
export function warehouseTypeKey(dialect: Dialect, dataType: string, facts: TypeFacts = NO_FACTS): string {
  const parsed = parseTypeName(dataType);
  if (dialect === 'snowflake') {
    if (SNOWFLAKE_INTEGERS.has(parsed.name)) return 'NUMBER(38,0)';
    const name = SNOWFLAKE_SYNONYMS[parsed.name] ?? parsed.name;
    if (name === 'NUMBER') {
      return `NUMBER(${facts.numericPrecision ?? parsed.args[0] ?? 38},${facts.numericScale ?? parsed.args[1] ?? 0})`;
    }
    if (name === 'VARCHAR') {
      return `VARCHAR(${facts.characterMaximumLength ?? parsed.args[0] ?? SNOWFLAKE_MAX_VARCHAR_LENGTH})`;
    }
    if (name === 'BINARY') {
      return `BINARY(${facts.characterMaximumLength ?? parsed.args[0] ?? SNOWFLAKE_MAX_BINARY_LENGTH})`;
    }
    return name;
  }
  const name = DUCKDB_SYNONYMS[parsed.name] ?? parsed.name;
  // DuckDB reports binary precisions for its integers (32 for INTEGER): only a DECIMAL's count.
  if (name === 'DECIMAL') {
    return `DECIMAL(${facts.numericPrecision ?? parsed.args[0] ?? 18},${facts.numericScale ?? parsed.args[1] ?? 3})`;
  }
  return name;
}

/** The key of a catalog type as `dialect` holds it. */
const declaredKey = (dialect: Dialect, type: string) => warehouseTypeKey(dialect, sqlType({ type }, dialect));

/**
 * The catalog type a warehouse column holds: the one whose rendering in this dialect it is (the
 * widest when several render alike: Snowflake's FLOAT is `double`, DuckDB's VARCHAR `text`),
 * else what discover maps it to (Snowflake TIMESTAMP_LTZ → `timestamptz`, DuckDB TINYINT →
 * `smallint`); undefined when the catalog has no type for it.
 */
export function heldCatalogType(dialect: Dialect, column: SourceColumn): string | undefined {
  const key = warehouseTypeKey(dialect, column.dataType, column);
  const plain = PLAIN_COLUMN_TYPES.filter((type) => declaredKey(dialect, type) === key).at(-1);
  if (plain) return plain;
  const parameters = /^[A-Z]+\((\d+)(?:,(\d+))?\)$/.exec(key);
  if (parameters && (key.startsWith('NUMBER(') || key.startsWith('DECIMAL('))) {
    const type = `decimal(${parameters[1]},${parameters[2]})`;
    if (isColumnType(type)) return type;
  }
  if (parameters && key.startsWith('VARCHAR(')) return `varchar(${parameters[1]})`;
  const mapped = mapSourceType(dialect, column);
  return 'type' in mapped ? mapped.type : undefined;
}

/** A catalog type in one spelling (`decimal(10, 2)` → `decimal(10,2)`). */
const catalogTypeKey = (type: string) => type.replace(/\s+/g, '');

/**
 * A warehouse name in catalog form: DuckDB's names are case-insensitive, and Snowflake's unquoted
 * upper case folds back to lower case. A Snowflake name with lower-case letters was created
 * quoted and is another object than the unquoted name every statement here uses: it stays quoted,
 * so it matches no catalog name.
 */
function catalogName(dialect: Dialect, name: string): string {
  if (dialect === 'duckdb' || name === name.toUpperCase()) return name.toLowerCase();
  return `"${name}"`;
}

/**
 * What the warehouse table holds, in catalog terms and against the declared table: a column whose
 * type the warehouse cannot tell apart from the declared one (same key), or whose type is the
 * declared one by discover's mapping, takes the declared type; so only a real difference is left
 * for {@link planSchemaChange} to judge. A column of a type the catalog has none for keeps the
 * warehouse's type name, which no catalog type widens to.
 */
export function currentTableShape(dialect: Dialect, source: SourceTable, declared: TableSpec): TableShape {
  const wanted = new Map(declared.columns.map((c) => [c.name, c]));
  const columns = source.columns.map((column): ColumnShape => {
    const name = catalogName(dialect, column.name);
    const nullable = column.nullable;
    const want = wanted.get(name);
    const key = warehouseTypeKey(dialect, column.dataType, column);
    if (want && declaredKey(dialect, want.type) === key) return { name, type: want.type, nullable };
    const held = heldCatalogType(dialect, column);
    if (want && held !== undefined && catalogTypeKey(held) === catalogTypeKey(want.type)) {
      return { name, type: want.type, nullable };
    }
    return { name, type: held ?? column.dataType, nullable };
  });
  // The tables the local warehouse creates have no primary key (DuckDB keeps key indexes in
  // memory), so there is no key to compare: theirs is taken to be the declared one. Nothing in
  // DuckDB reads the key, so a key change loses nothing there; PostgreSQL, which holds the key and
  // upserts by it, refuses the change at sync. A DuckDB table of the user's own that has a key is
  // compared by it, as Snowflake's are (SHOW PRIMARY KEYS).
  const unkeyedLocal = dialect === 'duckdb' && source.primaryKey.length === 0;
  const primaryKey = unkeyedLocal ? [...declared.primaryKey] : source.primaryKey.map((c) => catalogName(dialect, c));
  return { columns, primaryKey };
}

/**
 * Whether Snowflake changes a column from one type to another in place (ALTER COLUMN … SET DATA
 * TYPE): only a NUMBER's precision upwards with its scale kept, and a VARCHAR's length upwards.
 * Any other change (a scale, NUMBER to FLOAT) Snowflake refuses.
 */
function snowflakeChangesInPlace(fromKey: string, toKey: string): boolean {
  const number = /^NUMBER\((\d+),(\d+)\)$/;
  const a = number.exec(fromKey);
  const b = number.exec(toKey);
  if (a && b) return a[2] === b[2] && Number(b[1]) >= Number(a[1]);
  const varchar = /^VARCHAR\((\d+)\)$/;
  const c = varchar.exec(fromKey);
  const d = varchar.exec(toKey);
  return c !== null && d !== null && Number(d[1]) >= Number(c[1]);
}

/**
 * Plans `ensureCatalogTables()`: each catalog table the warehouse lacks is created; each it has
 * is compared with the catalog and its changes judged by `policy`. On Snowflake a widening it
 * cannot apply in place is refused too, with that reason.
 */
export function planCatalogTables(
  dialect: Dialect,
  sourceTables: readonly SourceTable[],
  tables: readonly TableSpec[],
  policy: SchemaChangePolicy,
  rebuild: (table: string) => string,
): CatalogTablesPlan {
  const byName = new Map(sourceTables.map((t) => [catalogName(dialect, t.name), t]));
  const plan: CatalogTablesPlan = { create: [], evolve: [], refused: [] };
  for (const table of tables) {
    const source = byName.get(table.name);
    if (!source) {
      plan.create.push(table);
      continue;
    }
    const declared: TableShape = { columns: table.columns, primaryKey: table.primaryKey };
    const current = currentTableShape(dialect, source, table);
    const judged = planSchemaChange(table.name, current, declared, policy, { rebuild: rebuild(table.name) });
    plan.refused.push(...judged.refused);
    const applied: AppliedChange[] = [];
    for (const change of judged.applied) {
      if (change.kind === 'widen' && dialect === 'snowflake') {
        const held = source.columns.find((c) => catalogName(dialect, c.name) === change.column) as SourceColumn;
        const fromKey = warehouseTypeKey(dialect, held.dataType, held);
        const toKey = declaredKey(dialect, change.to);
        if (!snowflakeChangesInPlace(fromKey, toKey)) {
          plan.refused.push({
            table: table.name,
            column: change.column,
            from: change.from,
            to: change.to,
            reason: `Snowflake cannot change ${fromKey} to ${toKey} in place (it widens only a NUMBER's precision, keeping its scale, and a VARCHAR's length)`,
            fix: rebuild(table.name),
          });
          continue;
        }
      }
      applied.push(change);
    }
    if (applied.length > 0) plan.evolve.push({ table, applied });
  }
  return plan;
}

/** One line for a change: `orders: added column note (text)`. */
export function describeCatalogTableChange(change: CatalogTableChange): string {
  switch (change.kind) {
    case 'create':
      return `${change.table}: created`;
    case 'add':
      return `${change.table}: added column ${change.column.name} (${change.column.type})`;
    case 'widen':
      return `${change.table}: widened column ${change.column} from ${change.from} to ${change.to}`;
    case 'allow-null':
      return `${change.table}: column ${change.column} (${change.type}) may now be NULL`;
  }
}

/** The changes of a plan, as `ensureCatalogTables()` reports them once applied. */
export function planChanges(plan: CatalogTablesPlan): CatalogTableChange[] {
  return [
    ...plan.create.map((t): CatalogTableChange => ({ table: t.name, kind: 'create' })),
    ...plan.evolve.flatMap(({ table, applied }) =>
      applied.map((c): CatalogTableChange => ({ table: table.name, ...c })),
    ),
  ];
}
