import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ingestTable } from '@insightflow/batch-ingest';
import { Lake } from '@insightflow/lake';
import { S3ObjectStore } from '@insightflow/object-store';
import { postgresSync, syncLake } from '@insightflow/s3-to-rds-sync';
import { Catalog, type CatalogDocument, RunManifestSchema, SchemaChangeRefusedError } from '@insightflow/shared-config';
import { startTestServices, type TestServices } from '@insightflow/testkit';
import { DuckDbWarehouse } from '@insightflow/warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Schema changes through the whole pipeline, by the `evolve` policy: a column added and columns
 * widened in the catalog flow into the warehouse (by load), the lake (each run's manifest) and
 * PostgreSQL (by the sync, in the load's transaction); a narrowing is refused by both, and
 * PostgreSQL is left exactly as it was.
 */

const RAW = 'insightflow-raw-bucket';

function catalog(columns: CatalogDocument['tables'][number]['columns'], policy: 'evolve' | 'freeze' = 'evolve') {
  return Catalog.fromDocument(
    { tables: [{ name: 'shipments', primaryKey: ['shipment_id'], columns }], schemaChanges: policy },
    'a schema-change test catalog',
  );
}

const V1 = catalog([
  { name: 'shipment_id', type: 'bigint', nullable: false },
  { name: 'qty', type: 'smallint' },
  { name: 'label', type: 'varchar(10)' },
  { name: 'price', type: 'decimal(10,2)' },
]);
/** Adds `note`; widens qty, label and price. */
const V2 = catalog([
  { name: 'shipment_id', type: 'bigint', nullable: false },
  { name: 'qty', type: 'integer' },
  { name: 'label', type: 'varchar(20)' },
  { name: 'price', type: 'decimal(12,2)' },
  { name: 'note', type: 'text' },
]);
/** Narrows qty back: could lose values already loaded. */
const V3 = catalog([
  { name: 'shipment_id', type: 'bigint', nullable: false },
  { name: 'qty', type: 'smallint' },
  { name: 'label', type: 'varchar(20)' },
  { name: 'price', type: 'decimal(12,2)' },
  { name: 'note', type: 'text' },
]);

describe('Schema changes, evolve policy: DuckDB → lake → PostgreSQL (real DuckDB, S3 API server, PostgreSQL)', () => {
  let services: TestServices;
  let warehouse: DuckDbWarehouse;
  let store: S3ObjectStore;
  let minute = 0;

  /** Ingests shipments under `catalog`: the run's manifest records its columns and hash. */
  const ingest = async (catalog: Catalog) =>
    ingestTable(
      { catalog, warehouse, store },
      { table: 'shipments', runAt: new Date(Date.UTC(2026, 10, 23, 14, minute++)), mode: 'stream', batchSize: 100 },
    );
  /** Syncs the lake under `catalog`. */
  const sync = async (catalog: Catalog) => {
    const client = await services.connect();
    try {
      return await syncLake(postgresSync(client, store, catalog), { mode: 'incremental' });
    } finally {
      await client.end();
    }
  };
  /** The table's columns with their types and NOT NULL, and a hash of every row: what must not change. */
  const fingerprint = async () => {
    const columns = await services.query(
      `SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull FROM pg_attribute
        WHERE attrelid = 'insightflow_raw.shipments'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    );
    const rows = await services.query(
      `SELECT shipment_id, qty, label, price, note, _source_id FROM insightflow_raw.shipments ORDER BY shipment_id`,
    );
    const snapshots = await services.query(`SELECT table_name, run_at, manifest_key FROM insightflow_raw._snapshots`);
    return createHash('sha256').update(JSON.stringify({ columns, rows, snapshots })).digest('hex');
  };

  beforeAll(async () => {
    services = await startTestServices();
    store = new S3ObjectStore(services.s3, RAW);
    const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-schema-'));
    warehouse = await DuckDbWarehouse.open({ path: path.join(dir, 'w.duckdb'), s3: services.s3 });
    await warehouse.ensureCatalogTables(V1);
    await warehouse.execute(`INSERT INTO shipments VALUES (1, 32767, 'ten chars!', 12345678.91), (2, NULL, '', NULL)`);
    await ingest(V1);
    await sync(V1);
  }, 120_000);
  afterAll(async () => {
    await warehouse?.close();
    await services?.stop();
  });

  it('an added column and three widenings flow through; rows synced before hold NULL in the new column', async () => {
    // A run ingested before the change but synced after it: written under V1's hash, it loads by
    // its own manifest's columns under V2.
    await warehouse.execute(`INSERT INTO shipments VALUES (3, -32768, 'short', 0.01)`);
    const older = await ingest(V1);
    const olderManifest = await new Lake(store, V2).getJson(older.manifestKey, RunManifestSchema);
    expect(olderManifest.catalogHash).toBe(V1.hash);
    expect(olderManifest.catalogHash).not.toBe(V2.hash);
    expect(olderManifest.columns).toEqual(['shipment_id', 'qty', 'label', 'price']);
    await warehouse.ensureCatalogTables(V2);
    const beforeNewRun = await sync(V2);
    expect(beforeNewRun.refused).toEqual([]);
    expect(
      await services.query(`SELECT shipment_id::int AS id, note FROM insightflow_raw.shipments ORDER BY 1`),
    ).toEqual([
      { id: 1, note: null },
      { id: 2, note: null },
      { id: 3, note: null },
    ]);

    await warehouse.execute(
      `INSERT INTO shipments (shipment_id, qty, label, price, note) VALUES (4, 2000000000, 'twenty characters!!!', 9999999999.99, 'added, "quoted"')`,
    );
    await ingest(V2);
    const after = await sync(V2);
    expect(after.rejected).toBe(0);
    const types = await services.query<{ attname: string; type: string }>(
      `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = 'insightflow_raw.shipments'::regclass AND attname IN ('qty', 'label', 'price', 'note') ORDER BY attname`,
    );
    expect(types).toEqual([
      { attname: 'label', type: 'character varying(20)' },
      { attname: 'note', type: 'text' },
      { attname: 'price', type: 'numeric(12,2)' },
      { attname: 'qty', type: 'integer' },
    ]);
    expect(
      await services.query(
        `SELECT shipment_id::int AS id, qty, label, price::text AS price, note FROM insightflow_raw.shipments ORDER BY 1`,
      ),
    ).toEqual([
      { id: 1, qty: 32767, label: 'ten chars!', price: '12345678.91', note: null },
      { id: 2, qty: null, label: '', price: null, note: null },
      { id: 3, qty: -32768, label: 'short', price: '0.01', note: null },
      { id: 4, qty: 2000000000, label: 'twenty characters!!!', price: '9999999999.99', note: 'added, "quoted"' },
    ]);
  });

  it('a narrowing is refused by the warehouse and by the sync, naming table, column and both types; PostgreSQL is unchanged', async () => {
    const before = await fingerprint();
    const refusal = await sync(V3).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SchemaChangeRefusedError);
    expect((refusal as Error).message).toMatch(/in PostgreSQL; nothing was changed/);
    expect((refusal as Error).message).toMatch(/shipments\.qty: integer → smallint: a narrowing could lose values/);
    expect((refusal as Error).message).toMatch(/sync with --mode full/);
    expect(await fingerprint()).toBe(before);

    const warehouseRefusal = await warehouse.ensureCatalogTables(V3).catch((error: unknown) => error);
    expect(warehouseRefusal).toBeInstanceOf(SchemaChangeRefusedError);
    expect((warehouseRefusal as Error).message).toMatch(/shipments\.qty/);
  });

  it('freeze refuses even an added column, and says how to let it through', async () => {
    const frozen = catalog(
      [
        { name: 'shipment_id', type: 'bigint', nullable: false },
        { name: 'qty', type: 'integer' },
        { name: 'label', type: 'varchar(20)' },
        { name: 'price', type: 'decimal(12,2)' },
        { name: 'note', type: 'text' },
        { name: 'carrier', type: 'text' },
      ],
      'freeze',
    );
    const before = await fingerprint();
    const refusal = await sync(frozen).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SchemaChangeRefusedError);
    expect((refusal as Error).message).toMatch(
      /shipments\.carrier: \(absent\) → text: a column was added; set schemaChanges: evolve/,
    );
    expect(await fingerprint()).toBe(before);
  });
});
