import {
  type ColumnSpec,
  columnNames,
  createTableSql,
  listTables,
  quoteIdentifier,
  type TableSpec,
} from '@insightflow/shared-config';
import type { ClientBase } from 'pg';

/**
 * Versioned, idempotent migrations generated from the catalog. The sync applies them itself,
 * under an advisory lock, before any load. They only ever add: never DROP.
 */

/** The schema the sync owns. */
export const SYNC_SCHEMA = 'insightflow_raw';

/** The advisory lock that serialises migrations across concurrent syncs. */
const MIGRATION_LOCK = 0x1f5_5eed;

/** A qualified, quoted table name in the sync schema. */
export function qualified(table: string): string {
  return `${quoteIdentifier(SYNC_SCHEMA)}.${quoteIdentifier(table)}`;
}

/**
 * Columns every synced table has besides the catalog's. Their defaults read transaction-local
 * settings, so a `COPY` of just the catalog's columns fills them from the object being loaded.
 */
export const PROVENANCE_COLUMNS = [
  `"year" smallint NOT NULL DEFAULT current_setting('insightflow.year')::smallint`,
  `"month" smallint NOT NULL DEFAULT current_setting('insightflow.month')::smallint`,
  `"day" smallint NOT NULL DEFAULT current_setting('insightflow.day')::smallint`,
  `"hhmm" char(4) NOT NULL DEFAULT current_setting('insightflow.hhmm')`,
  `"_source_key" text NOT NULL DEFAULT current_setting('insightflow.source_key')`,
  `"_source_kind" text NOT NULL DEFAULT current_setting('insightflow.source_kind') CHECK ("_source_kind" IN ('batch', 'stream'))`,
  `"_loaded_at" timestamptz NOT NULL DEFAULT now()`,
] as const;

/** CHECK constraints that mirror the catalog's bounds and allowed values. */
function checkConstraints(table: TableSpec): string[] {
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

/** One migration: a version and its statements. */
export interface Migration {
  version: number;
  description: string;
  statements: string[];
}

/** Every migration, in order. */
export function migrations(): Migration[] {
  return [
    {
      version: 1,
      description: 'schema, catalog tables, ledger, snapshots, rejects',
      statements: [
        `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(SYNC_SCHEMA)}`,
        ...listTables().map((table) =>
          createTableSql(table, 'postgres', {
            qualifiedName: qualified(table.name),
            extraColumns: [...PROVENANCE_COLUMNS, ...checkConstraints(table)],
          }),
        ),
        `CREATE TABLE IF NOT EXISTS ${qualified('_loaded_objects')} (
          bucket text NOT NULL,
          key text NOT NULL,
          etag text NOT NULL,
          table_name text NOT NULL,
          kind text NOT NULL CHECK (kind IN ('batch', 'stream')),
          rows bigint NOT NULL,
          rejected bigint NOT NULL DEFAULT 0,
          run_at timestamptz,
          loaded_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (bucket, key, etag)
        )`,
        `CREATE TABLE IF NOT EXISTS ${qualified('_snapshots')} (
          table_name text PRIMARY KEY,
          run_at timestamptz NOT NULL,
          manifest_key text NOT NULL,
          rows bigint NOT NULL,
          loaded_at timestamptz NOT NULL DEFAULT now()
        )`,
        `CREATE TABLE IF NOT EXISTS ${qualified('_rejects')} (
          id bigserial PRIMARY KEY,
          table_name text NOT NULL,
          bucket text NOT NULL,
          object_key text NOT NULL,
          line bigint,
          raw text,
          reason text NOT NULL,
          rejected_at timestamptz NOT NULL DEFAULT now()
        )`,
        `CREATE INDEX IF NOT EXISTS "_rejects_object" ON ${qualified('_rejects')} (object_key)`,
      ],
    },
  ];
}

/** Applies the migrations not applied yet, under an advisory lock; returns the versions applied. */
export async function migrate(client: ClientBase): Promise<number[]> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(SYNC_SCHEMA)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${qualified('_migrations')} (version int PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${qualified('_migrations')}`);
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const migration of migrations()) {
      if (done.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        for (const statement of migration.statements) await client.query(statement);
        await client.query(`INSERT INTO ${qualified('_migrations')} (version, description) VALUES ($1, $2)`, [
          migration.version,
          migration.description,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      applied.push(migration.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}

/** The catalog columns of a table, quoted, in order: the COPY column list. */
export function copyColumns(table: TableSpec): string {
  return columnNames(table).map(quoteIdentifier).join(', ');
}
