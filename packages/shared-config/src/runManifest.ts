import { z } from 'zod';
import { type Catalog, tableNameSchema } from './catalog.js';

/**
 * A batch run's manifest, written last into its run folder: the run's commit marker. Readers
 * ignore a run folder without one, and read the parts it lists — never a bare listing.
 */

/** One CSV part of a run. */
export const ManifestPartSchema = z.object({
  key: z.string().min(1),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  /** The part's entity tag as stored: what the sync's ledger records. */
  etag: z.string(),
  /** SHA-256 of the part's bytes (hex), when the writer saw the bytes (stream mode). */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export type ManifestPart = z.infer<typeof ManifestPartSchema>;

/**
 * The cursor window of a run of an `append` or `merge` table, as exact text (the lake's form of
 * the cursor's type; never a JSON number). The run holds the rows with `from < cursor <= to`.
 */
export const RunCursorSchema = z.object({
  column: z.string().min(1),
  /** Exclusive lower bound; null: none (the first run, a snapshot, or a backfill). */
  from: z.string().nullable(),
  /** Inclusive upper bound: the source's max(cursor) when the run began; null when the table was empty. */
  to: z.string().nullable(),
});
export type RunCursor = z.infer<typeof RunCursorSchema>;

/** `snapshot`: the whole table (it replaces what is held). `increment`: the rows of a cursor window. */
export const RUN_KINDS = ['snapshot', 'increment'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** The manifest document, its table any name (see {@link runManifestSchema} for a catalog's). */
export const RunManifestSchema = z.object({
  version: z.literal(1),
  table: z.string().min(1),
  /** The run's trigger time (UTC, to the minute): the partition folders' values. */
  runAt: z.iso.datetime(),
  mode: z.enum(['stream', 'unload']),
  /** Absent in manifests written before incremental loading: a snapshot. */
  kind: z.enum(RUN_KINDS).default('snapshot'),
  /** The cursor window (tables loaded by append or merge); absent for a replace table. */
  cursor: RunCursorSchema.optional(),
  /** Which warehouse the rows came from. */
  source: z.enum(['duckdb', 'snowflake']),
  /** The query whose result the parts hold, exactly as sent. */
  query: z.string(),
  /** The CSV header of every part: the catalog's columns when the run was written. */
  columns: z.array(z.string()).min(1),
  /**
   * Those columns' catalog types and nullability when the run was written (runs written before
   * this field existed lack it). Readers load a run by these, so a run written before a schema
   * change still loads after it.
   */
  schema: z.array(z.object({ name: z.string(), type: z.string(), nullable: z.boolean() })).optional(),
  /**
   * The hash of the catalog the run was written under (`Catalog.hash`); runs written before this
   * field existed lack it. A reader under another catalog still loads the run by `columns`/`schema`.
   */
  catalogHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  parts: z.array(ManifestPartSchema),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
});
export type RunManifest = z.infer<typeof RunManifestSchema>;

/** The manifest document of a run of one of `catalog`'s tables: what readers and the writer check. */
export function runManifestSchema(catalog: Catalog) {
  return RunManifestSchema.extend({ table: tableNameSchema(catalog) });
}
