import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type CatalogSpec, type StreamSpec, type TableSpec, validateCatalog } from './catalogSchema.js';
import { type SqlDialect, sqlType } from './columnTypes.js';
import { InvalidIdentifierError, UnknownStreamError, UnknownTableError } from './errors.js';
import { INSTACART_CATALOG } from './instacartCatalog.js';

/**
 * A catalog table's name. Any string: which names exist is a fact of a catalog
 * ({@link Catalog.has}, {@link tableNameSchema}), not of the type system.
 */
export type TableName = string;

/** JSON with object keys sorted, so equal documents give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A validated catalog: its tables in order, its streams, its contract and its version hash. */
export class Catalog {
  /** The validated document, defaults filled in. */
  public readonly document: CatalogSpec;
  /** SHA-256 (hex) of the document's canonical JSON: the catalog's version. */
  public readonly hash: string;
  private readonly byName: ReadonlyMap<string, TableSpec>;
  private readonly streamsByName: ReadonlyMap<string, StreamSpec>;

  public constructor(document: CatalogSpec) {
    this.document = document;
    this.byName = new Map(document.tables.map((t) => [t.name, t]));
    this.streamsByName = new Map(document.streams.map((s) => [s.name, s]));
    this.hash = createHash('sha256').update(canonicalJson(document)).digest('hex');
  }

  /** Validates a document (as parsed from YAML or JSON) and builds its catalog. */
  public static fromDocument(document: unknown, sourceName: string): Catalog {
    return new Catalog(validateCatalog(document, sourceName));
  }

  /** Every table, in load order. */
  public get tables(): readonly TableSpec[] {
    return this.document.tables;
  }

  /** The streams, one Firehose delivery stream each. */
  public get streams(): readonly StreamSpec[] {
    return this.document.streams;
  }

  /** `evolve` or `freeze`. */
  public get schemaChanges(): CatalogSpec['schemaChanges'] {
    return this.document.schemaChanges;
  }

  /** The table called `name`; throws {@link UnknownTableError} listing the valid names. */
  public table(name: string): TableSpec {
    const table = this.byName.get(name);
    if (!table) throw new UnknownTableError(name, this.tableNames());
    return table;
  }

  /** The table names, in load order. */
  public tableNames(): string[] {
    return this.document.tables.map((t) => t.name);
  }

  /** True when the catalog has a table called `name`. */
  public has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The stream called `name`; throws {@link UnknownStreamError} listing the catalog's streams. */
  public stream(name: string): StreamSpec {
    const stream = this.streamsByName.get(name);
    if (stream) return stream;
    throw new UnknownStreamError(
      name,
      this.document.streams.map((s) => s.name),
    );
  }

  /** True when the catalog has a stream called `name`. */
  public hasStream(name: string): boolean {
    return this.streamsByName.has(name);
  }

  /** The tables streams feed, each once, in stream order. */
  public streamTables(): string[] {
    return [...new Set(this.document.streams.map((s) => s.table))];
  }
}

const builtIn = Catalog.fromDocument(INSTACART_CATALOG, 'the built-in Instacart catalog');

/** The built-in catalog: the Instacart demo's tables. */
export const instacartCatalog = (): Catalog => builtIn;

/** A table name of `catalog`, checked when parsed; the message lists the valid names. */
export function tableNameSchema(catalog: Catalog) {
  return z.string().refine((name) => catalog.has(name), {
    error: (issue) => `unknown table ${JSON.stringify(issue.input)}; use one of ${catalog.tableNames().join(', ')}`,
  });
}

/** The table's column names in order: the CSV header and the COPY column list. */
export function columnNames(table: TableSpec): string[] {
  return table.columns.map((c) => c.name);
}

/**
 * Double-quotes a catalog identifier. Only names from the catalog are ever passed here; the
 * check keeps it that way, since an identifier cannot be a bind parameter.
 */
export function quoteIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new InvalidIdentifierError(name);
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
  const key =
    options.primaryKey === false || table.primaryKey.length === 0
      ? []
      : [`PRIMARY KEY (${table.primaryKey.map(ident).join(', ')})`];
  // Snowflake's names unquoted too: a quoted "orders" would be another table than the ORDERS
  // every later statement names.
  const name = options.qualifiedName ?? ident(table.name);
  return `CREATE TABLE IF NOT EXISTS ${name} (\n  ${[...columns, ...extra, ...key].join(',\n  ')}\n)`;
}
