import {
  CATALOG_NAME_PATTERN,
  type CatalogColumn,
  type CatalogDocument,
  type CatalogTable,
} from './catalogDocument.js';
import { mapSourceType } from './sourceTypes.js';
import type { SourceTable, Warehouse } from './warehouse.js';

/** Something discovery left out of the document, with why and how to bring it in. */
export interface DiscoveryProblem {
  /** The table, in catalog form when it has one, else as the warehouse spells it. */
  table: string;
  /** The column, when the problem is a column's. */
  column?: string;
  /** The warehouse's type name, when the problem is a type. */
  sourceType?: string;
  reason: string;
  fix: string;
}

/** What discovery found: the document, what it left out, and requested tables that do not exist. */
export interface DiscoveryResult {
  document: CatalogDocument;
  problems: DiscoveryProblem[];
  /** Names given in `tables` that match no table of the warehouse. */
  missingTables: string[];
}

/** Which tables to discover. */
export interface DiscoverOptions {
  /** Only these tables (compared case-insensitively); every table when absent. */
  tables?: readonly string[] | undefined;
}

/** `table.column: TYPE — reason; fix`, one line. */
export function describeProblem(problem: DiscoveryProblem): string {
  const where = problem.column === undefined ? problem.table : `${problem.table}.${problem.column}`;
  const type = problem.sourceType === undefined ? '' : ` ${problem.sourceType}`;
  return `${where}:${type} — ${problem.reason}; ${problem.fix}`;
}

/**
 * The catalog form of a warehouse name: lower case, `[a-z_][a-z0-9_]{0,62}`. A Snowflake name with
 * lower-case letters was created quoted, so lower-casing would name another object: refused too.
 */
function catalogName(dialect: Warehouse['kind'], name: string): { name: string } | { reason: string } {
  if (dialect === 'snowflake' && name !== name.toUpperCase()) {
    return { reason: 'the name was created quoted, in mixed or lower case, so the catalog cannot spell it' };
  }
  const lower = name.toLowerCase();
  return CATALOG_NAME_PATTERN.test(lower)
    ? { name: lower }
    : { reason: `the name does not fit ${CATALOG_NAME_PATTERN.source} once lower-cased` };
}

const RENAME_FIX = 'rename it, or expose it through a view with a name of letters, digits and _ (63 at most)';

function discoverTable(dialect: Warehouse['kind'], source: SourceTable, problems: DiscoveryProblem[]) {
  const tableName = catalogName(dialect, source.name);
  if ('reason' in tableName) {
    problems.push({ table: source.name, reason: tableName.reason, fix: RENAME_FIX });
    return undefined;
  }
  const table = tableName.name;
  const columns: CatalogColumn[] = [];
  const written = new Map<string, string>();
  for (const column of source.columns) {
    const columnName = catalogName(dialect, column.name);
    if ('reason' in columnName) {
      problems.push({ table, column: column.name, reason: columnName.reason, fix: RENAME_FIX });
      continue;
    }
    const mapping = mapSourceType(dialect, column);
    if ('refused' in mapping) {
      problems.push({ table, column: columnName.name, sourceType: column.dataType, ...mapping.refused });
      continue;
    }
    columns.push({ name: columnName.name, type: mapping.type, ...(column.nullable ? {} : { nullable: false }) });
    written.set(column.name, columnName.name);
  }
  if (columns.length === 0) {
    problems.push({
      table,
      reason: 'no column of the table could be written, so the table is left out',
      fix: 'fix the columns listed above, e.g. through a view',
    });
    return undefined;
  }
  const key = source.primaryKey.map((c) => written.get(c));
  const lost = source.primaryKey.filter((c) => !written.has(c));
  // Keys in the contract's order: name, primaryKey, columns.
  const withKey = lost.length === 0 && key.length > 0;
  if (lost.length > 0) {
    problems.push({
      table,
      column: lost.join(', '),
      reason: 'the primary key uses a column left out, so the table is written without a primary key',
      fix: 'fix that column (e.g. cast it in a view), or add primaryKey to the document by hand',
    });
  }
  return withKey ? { name: table, primaryKey: key as string[], columns } : { name: table, columns };
}

/**
 * Turns the warehouse's description of its tables into a catalog document. Names are lower-cased;
 * a name or type the catalog cannot hold is left out and reported, never guessed.
 */
export function discoverCatalog(
  dialect: Warehouse['kind'],
  sourceTables: readonly SourceTable[],
  options: DiscoverOptions = {},
): DiscoveryResult {
  const wanted = options.tables?.map((t) => t.toLowerCase());
  const chosen = wanted ? sourceTables.filter((t) => wanted.includes(t.name.toLowerCase())) : [...sourceTables];
  const found = new Set(chosen.map((t) => t.name.toLowerCase()));
  const missingTables = (options.tables ?? []).filter((t) => !found.has(t.toLowerCase()));
  const problems: DiscoveryProblem[] = [];
  const tables = chosen
    .map((source) => discoverTable(dialect, source, problems))
    .filter((t): t is CatalogTable => t !== undefined)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { document: { tables, schemaChanges: 'evolve' }, problems, missingTables };
}

/** Reads the warehouse's information schema and turns it into a catalog document. */
export async function discoverCatalogFromWarehouse(
  warehouse: Warehouse,
  options: DiscoverOptions = {},
): Promise<DiscoveryResult> {
  return discoverCatalog(warehouse.kind, await warehouse.describeTables(), options);
}
