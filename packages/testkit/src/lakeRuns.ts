import { Lake } from '@insightflow/lake';
import type { ObjectStore } from '@insightflow/object-store';
import {
  type Catalog,
  columnNames,
  instacartCatalog,
  type ManifestPart,
  type RunManifest,
  type TableName,
} from '@insightflow/shared-config';

/**
 * Writes a batch run of `table` into the raw bucket as batch-ingest leaves one: each part a CSV
 * body (the header, then the lines given) and, last, the manifest (unless `commit` is false).
 * The manifest lists the catalog's columns unless `columns` says otherwise, whatever `header` is
 * (how a test writes a part whose header disagrees with its manifest). The run is of `catalog`'s
 * table (the built-in Instacart catalog unless the test builds another) and records its hash.
 */
export async function writeTestRun(
  store: ObjectStore,
  table: TableName,
  runAt: Date,
  parts: string[][],
  options: { header?: string; columns?: string[]; commit?: boolean; catalog?: Catalog } = {},
): Promise<RunManifest> {
  const catalog = options.catalog ?? instacartCatalog();
  const lake = new Lake(store, catalog);
  const header = options.header ?? columnNames(catalog.table(table)).join(',');
  const written: ManifestPart[] = [];
  for (const [index, lines] of parts.entries()) {
    const key = lake.partKey(table, runAt, index);
    const body = `${header}\n${lines.map((l) => `${l}\n`).join('')}`;
    const info = await store.put(key, body, 'text/csv');
    written.push({ key, rows: lines.length, bytes: Buffer.byteLength(body), etag: info.etag });
  }
  const manifest: RunManifest = {
    version: 1,
    table,
    runAt: runAt.toISOString(),
    mode: 'stream',
    kind: 'snapshot',
    source: 'duckdb',
    query: `SELECT * FROM ${table}`,
    columns: options.columns ?? columnNames(catalog.table(table)),
    catalogHash: catalog.hash,
    parts: written,
    rows: written.reduce((n, p) => n + p.rows, 0),
    bytes: written.reduce((n, p) => n + p.bytes, 0),
    startedAt: runAt.toISOString(),
    finishedAt: runAt.toISOString(),
  };
  if (options.commit !== false) await lake.commitRun(manifest);
  return manifest;
}
