import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError } from '@commander-js/extra-typings';
import {
  type CatalogDocument,
  type DiscoveryResult,
  describeProblem,
  discoverCatalogFromWarehouse,
  type Warehouse,
} from '@insightflow/warehouse';
import { Document, isMap, isSeq } from 'yaml';
import type { CliContext } from '../cliContext.js';
import { openWarehouseFor, withEndpoints } from '../endpoints.js';
import { ExitCode } from '../exitCodes.js';

/** Options of `insightflow discover`. */
export interface DiscoverOptions {
  /** Only these tables, compared case-insensitively. */
  tables?: string[];
  /** Write the document to this file instead of stdout. */
  out?: string;
}

/** How the command reaches a warehouse; tests hand in their own. */
export interface DiscoverDependencies {
  withWarehouse<T>(context: CliContext, work: (warehouse: Warehouse) => Promise<T>): Promise<T>;
}

/** The usual wiring: the configured warehouse (DuckDB locally, Snowflake with WAREHOUSE=snowflake). */
const configuredWarehouse: DiscoverDependencies = {
  withWarehouse: (context, work) =>
    withEndpoints(context, async (endpoints) => {
      // Reading the information schema needs little memory.
      const warehouse = await openWarehouseFor(context, endpoints, '256MB');
      try {
        return await work(warehouse);
      } finally {
        await warehouse.close();
      }
    }),
};

/** Parses `--tables a,b`: any names (the warehouse decides which exist), at least one. */
export function parseDiscoverTables(value: string): string[] {
  const tables = value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (tables.length === 0) throw new InvalidArgumentError('expected one or more table names, separated by commas');
  return tables;
}

/** The catalog document as YAML: block style, with each column and the primary key on one line. */
export function catalogYaml(catalog: CatalogDocument): string {
  const document = new Document(catalog);
  const tables = document.get('tables');
  if (isSeq(tables)) {
    for (const table of tables.items) {
      if (!isMap(table)) continue;
      const key = table.get('primaryKey');
      if (isSeq(key)) key.flow = true;
      const columns = table.get('columns');
      if (isSeq(columns)) for (const column of columns.items) if (isMap(column)) column.flow = true;
    }
  }
  return document.toString({ lineWidth: 0 });
}

function summary(result: DiscoveryResult): string {
  const tables = result.document.tables;
  const columns = tables.reduce((n, t) => n + t.columns.length, 0);
  return `${tables.length} tables, ${columns} columns${result.problems.length > 0 ? `, ${result.problems.length} left out` : ''}`;
}

/**
 * `insightflow discover`: reads the warehouse's information schema and writes a catalog document
 * (YAML; JSON with --json) on stdout or to --out. Names and types the catalog cannot hold are left
 * out and listed on stderr with their fix (exit code 3); a --tables name that matches no table is
 * a usage error (exit code 2).
 */
export async function discoverCommand(
  context: CliContext,
  options: DiscoverOptions,
  dependencies: DiscoverDependencies = configuredWarehouse,
): Promise<ExitCode> {
  const result = await dependencies.withWarehouse(context, (warehouse) =>
    discoverCatalogFromWarehouse(warehouse, { tables: options.tables }),
  );
  if (result.missingTables.length > 0) {
    context.info(
      `insightflow discover: no table named ${result.missingTables.join(', ')} in the warehouse's schema; ` +
        'check the names (`insightflow discover` without --tables lists every table).',
    );
    return ExitCode.usage;
  }
  for (const problem of result.problems) context.info(`left out ${describeProblem(problem)}`);

  const { document } = result;
  if (options.out) {
    const text = context.json ? `${JSON.stringify(document, null, 2)}\n` : catalogYaml(document);
    await writeFile(options.out, text, 'utf8');
    context.info(`Wrote the catalog (${summary(result)}) to ${options.out}.`);
  } else {
    context.result(document, catalogYaml(document).trimEnd());
  }
  if (result.problems.length > 0) {
    context.info(
      `${result.problems.length} ${result.problems.length === 1 ? 'name or column was' : 'names or columns were'} left out of the document: apply the fixes above and discover again.`,
    );
    return ExitCode.rejected;
  }
  return ExitCode.ok;
}
