import { columnNames, quoteIdentifier, type TableSpec } from '@insightflow/shared-config';
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
 * The column every synced table has besides the catalog's: the ledger row (`_loaded_objects.id`)
 * of the object the row came from, which holds its key, kind (batch or stream), run and load
 * time. One integer, not those values themselves: a bulk load writes rows barely wider than the
 * catalog's, and COPY fills it from a transaction-local setting, so the data needs no extra field.
 * Its name is reserved in the catalog (`RESERVED_COLUMN_NAMES` in shared-config).
 */
export const PROVENANCE_COLUMNS = [
  `"_source_id" integer NOT NULL DEFAULT current_setting('insightflow.source_id')::integer`,
] as const;

/** The provenance column's default, restored after a bulk load set it to a constant. */
export const SOURCE_ID_DEFAULT = `current_setting('insightflow.source_id')::integer`;

/** The names of {@link PROVENANCE_COLUMNS}: not catalog columns. */
export const PROVENANCE_COLUMN_NAMES: readonly string[] = PROVENANCE_COLUMNS.map((c) => /^"([^"]+)"/.exec(c)?.[1] ?? c);

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
      // The catalog's tables are not migrations: ensureCatalogTables() creates and evolves them.
      description: 'schema, ledger, snapshots, rejects',
      statements: [
        `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(SYNC_SCHEMA)}`,
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
    {
      version: 2,
      description: 'ledger rows get an id: the synced rows reference it (_source_id)',
      statements: [
        `ALTER TABLE ${qualified('_loaded_objects')} ADD COLUMN IF NOT EXISTS id integer GENERATED ALWAYS AS IDENTITY`,
        `CREATE UNIQUE INDEX IF NOT EXISTS "_loaded_objects_id" ON ${qualified('_loaded_objects')} (id)`,
        `CREATE INDEX IF NOT EXISTS "_loaded_objects_table" ON ${qualified('_loaded_objects')} (table_name, kind)`,
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

/**
 * A condition on a synced table's rows: those loaded from objects of `kind` (batch parts or
 * streamed objects), found through the ledger.
 */
export function rowsOfKind(table: string, kind: 'batch' | 'stream'): string {
  const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;
  return `"_source_id" IN (SELECT id FROM ${qualified('_loaded_objects')} WHERE table_name = ${literal(table)} AND kind = ${literal(kind)})`;
}

/** The catalog columns of a table, quoted, in order: the COPY column list. */
export function copyColumns(table: TableSpec): string {
  return columnNames(table).map(quoteIdentifier).join(', ');
}
