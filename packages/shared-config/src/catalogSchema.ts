import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { COLUMN_TYPE_HINT, type ColumnType, isColumnType } from './columnTypes.js';
import { CURSOR_TYPES, cursorBase, lagAmount } from './cursorValues.js';
import { InsightFlowError } from './errors.js';

/**
 * The catalog document: the tables InsightFlow moves, their columns and types, the streams that
 * feed them and the schema-change contract. YAML or JSON; see {@link CatalogSchema}.
 */

/** The form of a table, column or stream name. */
export const CATALOG_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

const name = (what: string) =>
  z
    .string({ error: `a ${what} name is required (a string)` })
    .regex(
      CATALOG_NAME_PATTERN,
      `a ${what} name must be lower case letters, digits and _, start with a letter or _, and be at most 63 characters (e.g. order_id)`,
    );

/**
 * Column names a catalog table may not use: the provenance column the sync adds to every
 * PostgreSQL table (the ledger row of the object each row came from).
 */
/** Provenance columns: the sync's `_source_id` and the clean layer's `_source`, `_source_key`, `_source_at`. */
export const RESERVED_COLUMN_NAMES = ['_source_id', '_source', '_source_key', '_source_at'] as const;

/** How a table's runs load it; see {@link CatalogTableSchema}'s `load`. */
export const LOAD_KINDS = ['replace', 'append', 'merge'] as const;
export type LoadKind = (typeof LOAD_KINDS)[number];

/** One column of a catalog table. */
export const CatalogColumnSchema = z
  .object({
    name: name('column').refine((n) => !(RESERVED_COLUMN_NAMES as readonly string[]).includes(n), {
      message: `${RESERVED_COLUMN_NAMES.join(', ')} are provenance columns of the sync and the clean layer; rename the column`,
    }),
    type: z.string({ error: `a column type is required: ${COLUMN_TYPE_HINT}` }).transform((type, ctx): ColumnType => {
      if (!isColumnType(type)) {
        ctx.addIssue({ code: 'custom', message: `unknown type ${JSON.stringify(type)}; use ${COLUMN_TYPE_HINT}` });
        return z.NEVER;
      }
      return type;
    }),
    nullable: z.boolean().default(true),
    /** Inclusive lower bound for numeric columns. */
    min: z.number().optional(),
    /** Inclusive upper bound for numeric columns. */
    max: z.number().optional(),
    /** The only values a text column may hold. */
    allowed: z.array(z.string()).min(1).readonly().optional(),
    description: z.string().optional(),
  })
  .strict();

type TableFields = {
  name: string;
  primaryKey: readonly string[];
  columns: readonly { name: string; type: string; nullable: boolean }[];
  load: LoadKind;
  cursor?: string | undefined;
  lag?: string | number | undefined;
  deletes?: string | undefined;
};

/**
 * What is wrong with a table's `load`, `cursor`, `lag` and `deletes`, each with its field and
 * the fix: `append` needs a cursor, `merge` a cursor and a primary key; the cursor is a NOT NULL
 * column of a type that grows; the lag fits the cursor; `deletes` is a boolean of a `merge` table.
 */
function loadProblems(table: TableFields): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const add = (field: string, message: string) => problems.push({ path: [field], message });
  const incremental = table.load !== 'replace';
  if (!incremental) {
    for (const field of ['cursor', 'lag', 'deletes'] as const) {
      if (table[field] !== undefined) {
        add(
          field,
          `${field} applies to load: append or merge; table ${table.name} loads by replace (set load, or remove ${field})`,
        );
      }
    }
    return problems;
  }
  if (table.cursor === undefined) {
    add(
      'cursor',
      `load: ${table.load} reads only the rows whose cursor grew; name the column that grows when a row is written (e.g. cursor: updated_at)`,
    );
  }
  if (table.load === 'merge' && table.primaryKey.length === 0) {
    add(
      'primaryKey',
      `load: merge upserts rows by primary key; give table ${table.name} a primaryKey, or use load: append`,
    );
  }
  const cursor = table.columns.find((c) => c.name === table.cursor);
  const base = cursor ? cursorBase(cursor.type) : undefined;
  if (table.cursor !== undefined && !cursor) {
    add(
      'cursor',
      `cursor ${table.cursor} is not a column of table ${table.name}; use one of ${table.columns.map((c) => c.name).join(', ')}`,
    );
  } else if (cursor && !base) {
    add(
      'cursor',
      `cursor ${cursor.name} is ${cursor.type}; a cursor is one of ${CURSOR_TYPES.join(', ')} (decimal(p,s) included)`,
    );
  } else if (cursor?.nullable) {
    add(
      'cursor',
      `cursor ${cursor.name} may be NULL, and a row whose cursor is NULL would never be read; declare it nullable: false`,
    );
  }
  if (table.lag !== undefined && base) {
    try {
      lagAmount(table.lag, base);
    } catch (error) {
      add('lag', (error as Error).message);
    }
    if (table.load === 'append' && table.primaryKey.length === 0) {
      add(
        'lag',
        `a lag re-reads rows already loaded; an append table needs a primaryKey to keep them once (give table ${table.name} a primaryKey, or remove lag)`,
      );
    }
  }
  if (table.deletes !== undefined) {
    const deletes = table.columns.find((c) => c.name === table.deletes);
    if (table.load !== 'merge')
      add('deletes', `deletes applies to load: merge only; table ${table.name} loads by ${table.load}`);
    else if (!deletes) add('deletes', `deletes ${table.deletes} is not a column of table ${table.name}`);
    else if (deletes.type !== 'boolean')
      add('deletes', `deletes ${deletes.name} is ${deletes.type}; it must be a boolean column`);
  }
  return problems;
}

/** One catalog table. */
export const CatalogTableSchema = z
  .object({
    name: name('table'),
    /** Columns that identify a row; unique within one snapshot of the table. */
    primaryKey: z.array(z.string()).readonly().default([]),
    /** A key or prefix in the stage bucket; `<name>/` by default. */
    stage: z.string().min(1).optional(),
    description: z.string().optional(),
    columns: z.array(CatalogColumnSchema).min(1, 'a table needs at least one column').readonly(),
    /**
     * The columns of the table's clean (Parquet) copy that become Hive partitions
     * (`<column>=<value>/`), in order; none when absent.
     */
    partitionBy: z.array(z.string()).readonly().optional(),
    /**
     * How each run loads the table: `replace` (every run a full snapshot), `append` (each run
     * the rows whose cursor grew), `merge` (those rows upserted by primary key).
     */
    load: z.enum(LOAD_KINDS, { error: `load must be one of ${LOAD_KINDS.join(', ')}` }).default('replace'),
    /** The column whose value grows when a row is written: what an `append` or `merge` run reads by. */
    cursor: name('cursor column').optional(),
    /** How far behind the last high-water mark a run re-reads: a duration for time cursors, a number otherwise. */
    lag: z.union([z.string(), z.number()], { error: 'lag is a duration such as 2h, or a number' }).optional(),
    /** `merge` only: a boolean column; a row whose value there is true is a delete. */
    deletes: name('deletes column').optional(),
  })
  .strict()
  .superRefine((table, ctx) => {
    const seen = new Set<string>();
    for (const [i, column] of table.columns.entries()) {
      if (seen.has(column.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['columns', i, 'name'],
          message: `duplicate column ${column.name} in table ${table.name}; give each column its own name`,
        });
      }
      seen.add(column.name);
    }
    for (const [i, key] of table.primaryKey.entries()) {
      if (!seen.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['primaryKey', i],
          message: `primary key column ${key} is not a column of table ${table.name}; use one of ${[...seen].join(', ')}`,
        });
      }
    }
    const partitionBy = table.partitionBy ?? [];
    for (const [i, column] of partitionBy.entries()) {
      if (!seen.has(column) || partitionBy.indexOf(column) !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['partitionBy', i],
          message: `partitionBy column ${column} of table ${table.name} is not one of its columns or is listed twice; use each of ${[...seen].join(', ')} at most once`,
        });
      }
    }
    if (partitionBy.length > 0 && partitionBy.length >= table.columns.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['partitionBy'],
        message: `table ${table.name} cannot be partitioned by all of its columns; leave at least one column out of partitionBy`,
      });
    }
    for (const problem of loadProblems(table)) ctx.addIssue({ code: 'custom', ...problem });
  })
  .transform((table) => ({ ...table, stage: table.stage ?? `${table.name}/` }));

/** One streaming source: a Firehose delivery stream whose records become rows of `table`. */
export const CatalogStreamSchema = z
  .object({
    name: name('stream'),
    table: name('table'),
  })
  .strict();

/** The catalog document. */
export const CatalogSchema = z
  .object({
    tables: z.array(CatalogTableSchema).min(1, 'the catalog needs at least one table').readonly(),
    streams: z.array(CatalogStreamSchema).readonly().default([]),
    /** `evolve`: new columns are added; `freeze`: a changed source schema is refused. */
    schemaChanges: z.enum(['evolve', 'freeze'], { error: 'schemaChanges must be evolve or freeze' }).default('evolve'),
  })
  .strict()
  .superRefine((catalog, ctx) => {
    const tables = new Set<string>();
    for (const [i, table] of catalog.tables.entries()) {
      if (tables.has(table.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tables', i, 'name'],
          message: `duplicate table ${table.name}; give each table its own name`,
        });
      }
      tables.add(table.name);
    }
    const streams = new Set<string>();
    for (const [i, stream] of catalog.streams.entries()) {
      if (streams.has(stream.name)) {
        ctx.addIssue({ code: 'custom', path: ['streams', i, 'name'], message: `duplicate stream ${stream.name}` });
      }
      streams.add(stream.name);
      if (!tables.has(stream.table)) {
        ctx.addIssue({
          code: 'custom',
          path: ['streams', i, 'table'],
          message: `stream ${stream.name} names table ${stream.table}, which the catalog does not have; use one of ${[...tables].join(', ')}`,
        });
      }
    }
    // Stream S's failures go under data/streaming/S_error/: no other stream may be called S_error.
    for (const [i, stream] of catalog.streams.entries()) {
      const owner = stream.name.endsWith('_error') ? stream.name.slice(0, -'_error'.length) : undefined;
      if (owner !== undefined && streams.has(owner)) {
        ctx.addIssue({
          code: 'custom',
          path: ['streams', i, 'name'],
          message: `stream ${stream.name} would share its lake prefix with the error records of stream ${owner} (data/streaming/${owner}_error/); give it another name`,
        });
      }
    }
  });

/** The catalog document as written (optional fields may be left out). */
export type CatalogDocument = z.input<typeof CatalogSchema>;
/** A validated catalog, defaults filled in. */
export type CatalogSpec = z.infer<typeof CatalogSchema>;
/** One validated table of the catalog. */
export type TableSpec = z.infer<typeof CatalogTableSchema>;
/** One validated column of a catalog table. */
export type ColumnSpec = z.infer<typeof CatalogColumnSchema>;
/** One validated stream of the catalog. */
export type StreamSpec = z.infer<typeof CatalogStreamSchema>;

/** An incremental table's cursor, as validated: its column, that column's type and the table's lag. */
export interface TableCursor {
  column: string;
  type: ColumnType;
  /** A duration (time cursors) or a number; absent: no re-read behind the high-water mark. */
  lag?: string | number;
}

/** The cursor of an `append` or `merge` table; undefined for a `replace` table. */
export function tableCursor(table: TableSpec): TableCursor | undefined {
  if (table.load === 'replace' || table.cursor === undefined) return undefined;
  const column = table.columns.find((c) => c.name === table.cursor) as ColumnSpec;
  return { column: column.name, type: column.type, ...(table.lag === undefined ? {} : { lag: table.lag }) };
}

/** One problem with a catalog document: where in the document, and what to do. */
export interface CatalogProblem {
  path: string;
  message: string;
}

/** A catalog document that does not parse or validate; the message names the file, the place and the fix. */
export class CatalogDocumentError extends InsightFlowError {
  public constructor(
    public readonly source: string,
    public readonly problems: readonly CatalogProblem[],
  ) {
    super(
      `Catalog ${source} is not valid:\n${problems.map((p) => `  ${p.path || '(document)'}: ${p.message}`).join('\n')}`,
      { kind: 'terminal' },
    );
    this.name = 'CatalogDocumentError';
  }
}

/** `tables[2].columns[0].type`: a zod issue path as the document spells it. */
function documentPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)),
    '',
  );
}

/** Validates a parsed catalog document; throws {@link CatalogDocumentError} naming `sourceName`. */
export function validateCatalog(document: unknown, sourceName: string): CatalogSpec {
  const result = CatalogSchema.safeParse(document);
  if (result.success) return result.data;
  throw new CatalogDocumentError(
    sourceName,
    result.error.issues.map((issue) => ({ path: documentPath(issue.path), message: issue.message })),
  );
}

/** Parses a catalog document's text (YAML, or JSON, which is YAML) and validates it. */
export function parseCatalogText(text: string, sourceName: string): CatalogSpec {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new CatalogDocumentError(sourceName, [
      { path: '', message: `not YAML or JSON (${(error as Error).message.split('\n')[0]}); fix the syntax` },
    ]);
  }
  return validateCatalog(document, sourceName);
}
