import { type Catalog, stageKey, type TableName } from '@insightflow/shared-config';
import type { CatalogTableChange, FileLoadReport, Warehouse } from '@insightflow/warehouse';

/** Where the staged files are: `s3://bucket/<catalog stage key>`, re-rooted at `prefix` (see `stageKey`). */
export interface StageLocation {
  bucket: string;
  /** Ends in `/`. */
  prefix: string;
}

/** What one load did, per table and in total (the CLI's data-movement contract). */
export interface LoadSummary {
  /**
   * What `ensureCatalogTables()` did before loading: tables created and schema changes applied
   * by the catalog's policy (a refused change throws `SchemaChangeRefusedError` and loads nothing).
   */
  schemaChanges: CatalogTableChange[];
  tables: Record<string, { rows: number; rejected: number; files: FileLoadReport[] }>;
  /** Rows loaded by this invocation. */
  rows: number;
  /** Rows found bad in rejected files (none of a rejected file's rows are loaded). */
  rejected: number;
  filesLoaded: number;
  filesSkipped: number;
  filesRejected: number;
}

/**
 * Creates `catalog`'s missing tables and evolves the others by the catalog's `schemaChanges`
 * policy (a refused change throws `SchemaChangeRefusedError` before anything is changed or
 * loaded), then loads each table's stage: the file its `stage` key
 * names, or every `.csv`/`.csv.gz` file under its `stage` prefix (ending in `/`), in key order,
 * columns matched by the header's names. Each file loads once: a file loaded before is skipped; a file with bad rows loads nothing and is reported with its lines
 * (ON_ERROR=SKIP_FILE); one table's failure does not stop the others' loads from being reported.
 */
export async function loadStagedFiles(
  warehouse: Warehouse,
  catalog: Catalog,
  stage: StageLocation,
  tables: readonly TableName[] = catalog.tableNames(),
  onFile: (report: FileLoadReport) => void = () => undefined,
): Promise<LoadSummary> {
  const schemaChanges = await warehouse.ensureCatalogTables(catalog);
  const summary: LoadSummary = {
    schemaChanges,
    tables: {},
    rows: 0,
    rejected: 0,
    filesLoaded: 0,
    filesSkipped: 0,
    filesRejected: 0,
  };
  for (const table of tables) {
    const spec = catalog.table(table);
    const reports = await warehouse.loadStage({
      table: spec,
      bucket: stage.bucket,
      location: stageKey(spec, stage.prefix),
    });
    const entry = { rows: 0, rejected: 0, files: [] as FileLoadReport[] };
    summary.tables[table] = entry;
    for (const report of reports) {
      onFile(report);
      entry.files.push(report);
      entry.rows += report.rowsLoaded;
      entry.rejected += report.rowsRejected;
      summary.rows += report.rowsLoaded;
      summary.rejected += report.rowsRejected;
      if (report.status === 'loaded') summary.filesLoaded++;
      else if (report.status === 'skipped') summary.filesSkipped++;
      else summary.filesRejected++;
    }
  }
  return summary;
}
