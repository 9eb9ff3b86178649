import {
  type AppliedChange,
  type Catalog,
  type ColumnShape,
  type ColumnSpec,
  createTableSql,
  ObjectRefusedError,
  planSchemaChange,
  quoteIdentifier,
  type SchemaChangePlan,
  type SchemaChangePolicy,
  SchemaChangeRefusedError,
  sqlType,
  type TableShape,
  type TableSpec,
} from '@insightflow/shared-config';
import type { ClientBase } from 'pg';
import { PROVENANCE_COLUMN_NAMES, PROVENANCE_COLUMNS, qualified, SYNC_SCHEMA } from './migrations.js';

/**
 * A catalog table's shape in PostgreSQL, and bringing it to the catalog's by the catalog's
 * `schemaChanges` policy (`planSchemaChange` in shared-config decides; this file renders DDL).
 * The sync applies a table's changes in the same transaction as its load, so readers see the old
 * columns with the old rows or the new columns with the new rows.
 */

/** PostgreSQL's `format_type()` spellings → catalog types (the reverse of COLUMN_TYPES). */
const CATALOG_TYPE_OF: Record<string, string> = {
  boolean: 'boolean',
  smallint: 'smallint',
  integer: 'integer',
  bigint: 'bigint',
  real: 'real',
  'double precision': 'double',
  text: 'text',
  date: 'date',
  'time without time zone': 'time',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  jsonb: 'json',
  bytea: 'binary',
};

/** The catalog type of a PostgreSQL column type, or the PostgreSQL spelling when it has none. */
export function catalogTypeOf(formatType: string): string {
  const numeric = /^numeric\((\d+),(\d+)\)$/.exec(formatType);
  if (numeric) return `decimal(${numeric[1]},${numeric[2]})`;
  const varchar = /^character varying\((\d+)\)$/.exec(formatType);
  if (varchar) return `varchar(${varchar[1]})`;
  return CATALOG_TYPE_OF[formatType] ?? formatType;
}

/** A catalog table's columns and key, as {@link planSchemaChange} compares them. */
export function catalogShape(table: TableSpec): TableShape {
  return {
    columns: table.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
    primaryKey: table.primaryKey,
  };
}

/** The table's catalog columns (provenance left out) and primary key as PostgreSQL holds them; undefined when absent. */
export async function readTableShape(client: ClientBase, table: string): Promise<TableShape | undefined> {
  const columns = await client.query<{ name: string; type: string; nullable: boolean }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [SYNC_SCHEMA, table],
  );
  if (columns.rowCount === 0) return undefined;
  const key = await client.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = $1::regclass AND i.indisprimary
      ORDER BY array_position(i.indkey, a.attnum)`,
    [`${quoteIdentifier(SYNC_SCHEMA)}.${quoteIdentifier(table)}`],
  );
  return {
    columns: columns.rows
      .filter((c) => !PROVENANCE_COLUMN_NAMES.includes(c.name))
      .map((c) => ({ name: c.name, type: catalogTypeOf(c.type), nullable: c.nullable })),
    primaryKey: key.rows.map((r) => r.name),
  };
}

/** CHECK constraints that mirror the catalog's bounds and allowed values. */
export function checkConstraints(table: TableSpec): string[] {
  const checks: string[] = [];
  const ident = (c: ColumnSpec) => quoteIdentifier(c.name);
  for (const c of table.columns) {
    if (c.min !== undefined) checks.push(`CHECK (${ident(c)} >= ${c.min})`);
    if (c.max !== undefined) checks.push(`CHECK (${ident(c)} <= ${c.max})`);
    if (c.allowed)
      checks.push(`CHECK (${ident(c)} IN (${c.allowed.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ')}))`);
  }
  return checks;
}

/** `CREATE TABLE` of a catalog table in the sync schema, with the provenance columns and checks. */
export function createSyncTableSql(table: TableSpec): string {
  return createTableSql(table, 'postgres', {
    qualifiedName: qualified(table.name),
    extraColumns: [...PROVENANCE_COLUMNS, ...checkConstraints(table)],
  });
}

/** The DDL of one applied change. */
function alterSql(table: string, change: AppliedChange): string {
  const target = `ALTER TABLE ${qualified(table)}`;
  switch (change.kind) {
    case 'add':
      // No default: rows loaded before the change hold NULL, and PostgreSQL does not rewrite the table.
      return `${target} ADD COLUMN ${quoteIdentifier(change.column.name)} ${sqlType(change.column, 'postgres')}`;
    case 'widen':
      return `${target} ALTER COLUMN ${quoteIdentifier(change.column)} TYPE ${sqlType({ type: change.to }, 'postgres')}`;
    case 'allow-null':
      return `${target} ALTER COLUMN ${quoteIdentifier(change.column)} DROP NOT NULL`;
  }
}

/** What the catalog's policy makes of the table; undefined when PostgreSQL does not have it yet. */
export async function planTable(
  client: ClientBase,
  table: TableSpec,
  policy: SchemaChangePolicy,
): Promise<SchemaChangePlan | undefined> {
  const held = await readTableShape(client, table.name);
  if (!held) return undefined;
  return planSchemaChange(table.name, held, catalogShape(table), policy);
}

/**
 * Brings one table to the catalog inside the caller's transaction: creates it when missing,
 * applies the changes the catalog's policy allows, or throws {@link SchemaChangeRefusedError}
 * having changed nothing. Returns the table's shape afterwards and the changes applied.
 */
export async function ensureTable(
  client: ClientBase,
  table: TableSpec,
  policy: SchemaChangePolicy,
): Promise<{ shape: TableShape; applied: AppliedChange[] }> {
  const plan = await planTable(client, table, policy);
  if (!plan) {
    await client.query(createSyncTableSql(table));
    return { shape: catalogShape(table), applied: [] };
  }
  if (plan.refused.length > 0) throw new SchemaChangeRefusedError('PostgreSQL', plan.refused);
  for (const change of plan.applied) await client.query(alterSql(table.name, change));
  const shape = plan.applied.length ? await readTableShape(client, table.name) : undefined;
  return { shape: shape ?? catalogShape(table), applied: plan.applied };
}

/**
 * The table as one batch run's files hold it: the columns its manifest lists, in that order,
 * typed as the catalog declares them — or, for a column the catalog has since dropped, as
 * PostgreSQL still holds it. A run listing a column neither has is refused.
 */
export function runTable(
  table: TableSpec,
  held: TableShape,
  columns: readonly string[],
  manifestKey: string,
): TableSpec {
  const declared = new Map(table.columns.map((c) => [c.name, c]));
  const kept = new Map<string, ColumnShape>(held.columns.map((c) => [c.name, c]));
  const runColumns = columns.map((name): ColumnSpec => {
    const column = declared.get(name);
    if (column) return column;
    const old = kept.get(name);
    if (old) return { name, type: old.type as ColumnSpec['type'], nullable: true };
    throw new ObjectRefusedError(
      manifestKey,
      `its run has column ${name}, which neither the catalog nor PostgreSQL has; add ${name} to table ${table.name} in the catalog, or re-ingest the table`,
    );
  });
  const missingKey = table.primaryKey.filter((k) => !columns.includes(k));
  if (missingKey.length > 0) {
    throw new ObjectRefusedError(
      manifestKey,
      `its run lacks the primary key column(s) ${missingKey.join(', ')} of ${table.name}; re-ingest the table`,
    );
  }
  return { ...table, columns: runColumns };
}

/**
 * Tables synced by earlier versions carried their provenance as several columns (`year`, …,
 * `_source_key`) instead of `_source_id`. Such a table is a copy of the lake like any other, so it
 * is dropped with its ledger and snapshot rows, and this sync loads it again from the lake.
 * Recognised by defaults reading the old settings, so a catalog column is never mistaken for one.
 */
async function dropLegacyTable(client: ClientBase, table: string): Promise<boolean> {
  const legacy = await client.query(
    `SELECT 1
       FROM pg_attribute a
       JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2
        AND pg_get_expr(d.adbin, d.adrelid) LIKE '%insightflow.source_key%'`,
    [SYNC_SCHEMA, table],
  );
  if (!legacy.rowCount) return false;
  await client.query(`DROP TABLE ${qualified(table)}`);
  await client.query(`DELETE FROM ${qualified('_snapshots')} WHERE table_name = $1`, [table]);
  await client.query(`DELETE FROM ${qualified('_loaded_objects')} WHERE table_name = $1`, [table]);
  return true;
}

/** Serialises table creation across concurrent syncs (two CREATE TABLEs of one name race). */
const CREATE_LOCK = 0x1f5_5eee;

/**
 * Before any load: creates `catalog`'s tables PostgreSQL lacks, and refuses, changing nothing
 * else, when any table's change breaks the policy — so a refused change stops the sync before it
 * loads anything. The allowed changes are applied later, by {@link ensureTable}, in each table's
 * load transaction.
 */
export async function prepareCatalogTables(client: ClientBase, catalog: Catalog): Promise<void> {
  const refused: SchemaChangePlan['refused'] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [CREATE_LOCK]);
    for (const table of catalog.tables) {
      await dropLegacyTable(client, table.name);
      const plan = await planTable(client, table, catalog.schemaChanges);
      if (!plan) await client.query(createSyncTableSql(table));
      else refused.push(...plan.refused);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  if (refused.length > 0) throw new SchemaChangeRefusedError('PostgreSQL', refused);
}
