import { z } from 'zod';
import type { Catalog, TableName } from './catalog.js';
import { LakeKeyError } from './errors.js';

/**
 * The clean (silver) layout: where every object of the clean layer lives in the clean bucket, as a
 * pure function of (table, version). The one module that builds or parses clean keys; each
 * function takes the catalog it checks the table's name against.
 *
 *   tables/<table>/v=<version>/<partition>=<value>/…/<file>.parquet
 *   tables/<table>/v=<version>/_rejects.csv            (values that did not cast; absent when none)
 *   tables/<table>/_current.json                       (the pointer, written last: the publish)
 *   athena-results/…                                   (Athena's query results, AWS only)
 */

/** Top-level prefix of every clean table's versions and pointer. */
export const CLEAN_TABLES_PREFIX = 'tables/';
/** Where Athena writes query results (and UNLOAD's manifests) in the clean bucket. */
export const ATHENA_RESULTS_PREFIX = 'athena-results/';
/** The pointer's file name: the one object a reader resolves a clean table through. */
export const CLEAN_POINTER_FILE = '_current.json';
/** The rejects object of a version: one line per value that did not cast. */
export const CLEAN_REJECTS_FILE = '_rejects.csv';

/**
 * The columns every clean table carries after the catalog's: where each row came from. Their names
 * are reserved in the catalog (`RESERVED_COLUMN_NAMES`).
 */
export const CLEAN_PROVENANCE_COLUMNS = [
  { name: '_source', type: 'text', description: 'batch or streaming: the lake path the row came from.' },
  { name: '_source_key', type: 'text', description: 'The key of the raw object the row was read from.' },
  { name: '_source_at', type: 'timestamp', description: 'When that raw object landed (its run or arrival time, UTC).' },
] as const;

/** A catalog's hash as documents record it: SHA-256, hex. */
const CATALOG_HASH = z.string().regex(/^[0-9a-f]{64}$/);

/** A version: a UTC build time, `YYYYMMDDTHHMMSSmmmZ`, so versions sort by when they were built. */
const VERSION_RE = /^\d{8}T\d{9}Z$/;
const CLEAN_FORMAT = 'tables/<table>/v=<YYYYMMDDTHHMMSSmmmZ>/…';

function assertTable(catalog: Catalog, table: string, key: string): asserts table is TableName {
  if (!catalog.has(table)) {
    throw new LakeKeyError(key, `unknown table (expected one of ${catalog.tableNames().join(', ')})`);
  }
}

/** The version name of a build started at `at`. */
export function cleanVersion(at: Date): string {
  return at.toISOString().replaceAll(/[-:.]/g, '');
}

/** Prefix of everything of one clean table: `tables/<table>/`. */
export function cleanTablePrefix(catalog: Catalog, table: TableName): string {
  assertTable(catalog, table, table);
  return `${CLEAN_TABLES_PREFIX}${table}/`;
}

/** Prefix of one version of a clean table: `tables/<table>/v=<version>/`. */
export function cleanVersionPrefix(catalog: Catalog, table: TableName, version: string): string {
  if (!VERSION_RE.test(version)) {
    throw new LakeKeyError(version, 'a clean version is a UTC time YYYYMMDDTHHMMSSmmmZ', CLEAN_FORMAT);
  }
  return `${cleanTablePrefix(catalog, table)}v=${version}/`;
}

/** The key of a table's pointer, `tables/<table>/_current.json`. */
export function cleanPointerKey(catalog: Catalog, table: TableName): string {
  return `${cleanTablePrefix(catalog, table)}${CLEAN_POINTER_FILE}`;
}

/** One raw input of a build: an object key and its ETag, what the fingerprint is made of. */
export const CleanInputSchema = z.object({ key: z.string().min(1), etag: z.string() }).strict();
export type CleanInput = z.infer<typeof CleanInputSchema>;

/** The pointer `_current.json`: the published version of one clean table. */
export const CleanPointerSchema = z
  .object({
    table: z.string().min(1),
    version: z.string().regex(VERSION_RE),
    prefix: z.string().startsWith(CLEAN_TABLES_PREFIX),
    files: z.array(z.object({ key: z.string().min(1), bytes: z.number().int().nonnegative() }).strict()),
    rows: z.number().int().nonnegative(),
    rejects: z.number().int().nonnegative().default(0),
    /** A hash of the sorted input keys and ETags: equal means nothing to rebuild. */
    inputFingerprint: z.string().min(1),
    inputs: z.array(CleanInputSchema),
    schema: z.array(z.object({ name: z.string(), type: z.string() }).strict()),
    partitionBy: z.array(z.string()),
    /**
     * The hash of the catalog the version was built under (`Catalog.hash`); pointers written
     * before this field existed lack it.
     */
    catalogHash: CATALOG_HASH.optional(),
    builtAt: z.iso.datetime(),
  })
  .strict();
export type CleanPointer = z.infer<typeof CleanPointerSchema>;
