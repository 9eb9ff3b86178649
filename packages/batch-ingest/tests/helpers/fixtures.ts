import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { planGeneration, writeStagedTables } from '@insightflow/instacart-generator';
import type { Lake } from '@insightflow/lake';
import { S3ObjectStore } from '@insightflow/object-store';
import { instacartCatalog, sqlType, stageKey, type TableName } from '@insightflow/shared-config';
import type { TestS3 } from '@insightflow/testkit';
import { DuckDbWarehouse } from '@insightflow/warehouse';

/** A DuckDB warehouse loaded with generated Instacart data at `scale`, over the test S3 server. */
export async function loadedWarehouse(s3: TestS3, scale: number): Promise<DuckDbWarehouse> {
  const plan = planGeneration({ scale, seed: 9 });
  await writeStagedTables({ store: new S3ObjectStore(s3.client, 'insightflow-stage'), prefix: 'instacart/', plan });
  const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-ingest-'));
  const warehouse = await DuckDbWarehouse.open({ path: path.join(dir, 'w.duckdb'), s3: s3.client });
  const catalog = instacartCatalog();
  await warehouse.ensureCatalogTables(catalog);
  for (const table of Object.keys(plan.rows)) {
    const spec = catalog.table(table);
    await warehouse.loadStagedFile({ table: spec, bucket: 'insightflow-stage', key: stageKey(spec) });
  }
  return warehouse;
}

/**
 * Rows in the table that are not in its committed parts, and rows in the parts that are not in
 * the table, compared as multisets (EXCEPT ALL) by DuckDB with the catalog's types.
 */
export async function multisetDifference(
  warehouse: DuckDbWarehouse,
  lake: Lake,
  s3: TestS3,
  table: TableName,
  runAt: Date,
): Promise<{ missing: number; extra: number; partRows: number }> {
  const manifest = await lake.committedRun(table, runAt);
  if (!manifest) throw new Error(`${table} has no committed run at ${runAt.toISOString()}`);
  const spec = lake.catalog.table(manifest.table);
  const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-parts-'));
  const files: string[] = [];
  for (const part of manifest.parts) {
    const file = path.join(dir, path.basename(part.key));
    await writeFile(file, await s3.read(lake.bucket, part.key));
    files.push(file);
  }
  const columns = spec.columns.map((c) => `'${c.name}': '${sqlType(c, 'duckdb')}'`).join(', ');
  const parts =
    files.length === 0
      ? `(SELECT * FROM ${spec.name} WHERE false)`
      : `read_csv([${files.map((f) => `'${f}'`).join(', ')}], header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', nullstr = '', columns = {${columns}})`;
  let missing = 0;
  let extra = 0;
  let partRows = 0;
  for await (const batch of warehouse.streamRows(
    `SELECT (SELECT count(*) FROM (SELECT * FROM ${spec.name} EXCEPT ALL SELECT * FROM ${parts})),
            (SELECT count(*) FROM (SELECT * FROM ${parts} EXCEPT ALL SELECT * FROM ${spec.name})),
            (SELECT count(*) FROM ${parts})`,
  )) {
    missing = Number(batch[0]?.[0]);
    extra = Number(batch[0]?.[1]);
    partRows = Number(batch[0]?.[2]);
  }
  return { missing, extra, partRows };
}
