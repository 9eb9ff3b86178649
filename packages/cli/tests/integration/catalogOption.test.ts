import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTempHome, runCli } from '../helpers/runCli.js';

const GOOD = `
tables:
  - name: shipments
    primaryKey: [shipment_id]
    columns:
      - { name: shipment_id, type: bigint, nullable: false }
`;
const BAD = GOOD.replace('type: bigint', 'type: bignum');

describe('CLI option: --catalog', () => {
  let dir: string;
  let good: string;
  let bad: string;

  beforeAll(async () => {
    dir = await makeTempHome();
    good = path.join(dir, 'good.yaml');
    bad = path.join(dir, 'bad.yaml');
    await writeFile(good, GOOD);
    await writeFile(bad, BAD);
  });

  it('exits 1 on a bad catalog file, naming the file, the place and the valid types', async () => {
    const run = await runCli(['--home', dir, '--catalog', bad, 'status']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Catalog ${bad} is not valid`);
    expect(run.stderr).toContain('tables[0].columns[0].type: unknown type "bignum"; use one of boolean, smallint');
  });

  it('reads INSIGHTFLOW_CATALOG the same way', async () => {
    const run = await runCli(['--home', dir, 'status'], { INSIGHTFLOW_CATALOG: bad });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Catalog ${bad} is not valid`);
  });

  it('exits 1 naming a catalog file that does not exist', async () => {
    const missing = path.join(dir, 'missing.yaml');
    const run = await runCli(['--home', dir, '--catalog', missing, 'status']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Catalog file ${missing} cannot be read (ENOENT)`);
  });

  it('checks --tables against the catalog it reads', async () => {
    const run = await runCli(['--home', dir, '--catalog', good, 'sync', '--tables', 'orders']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown table orders; use shipments');
  });
});

describe('CLI: insightflow discover, then --catalog with what it wrote (real DuckDB warehouse)', () => {
  it('discovers a table of the warehouse into a catalog file that every command then reads', async () => {
    const home = await makeTempHome();
    const { DuckDbWarehouse } = await import('@insightflow/warehouse');
    const warehousePath = path.join(home, 'warehouse.duckdb');
    const warehouse = await DuckDbWarehouse.open({ path: warehousePath });
    await warehouse.execute(
      'CREATE TABLE shipments (shipment_id BIGINT NOT NULL, amount DECIMAL(18,4), sent_at TIMESTAMPTZ, PRIMARY KEY (shipment_id))',
    );
    await warehouse.execute(
      "INSERT INTO shipments VALUES (9007199254740993, 12.3456, '2026-12-02 14:05:00.123456+00')",
    );
    await warehouse.close();
    const catalogFile = path.join(home, 'catalog.yaml');
    const env = { DUCKDB_PATH: warehousePath };

    const discovered = await runCli(['--home', home, 'discover', '--out', catalogFile], env);
    expect(discovered.code, discovered.stderr).toBe(0);
    const text = await readFile(catalogFile, 'utf8');
    expect(text).toContain('name: shipments');
    expect(text).toContain('{ name: amount, type: "decimal(18,4)" }');
    expect(text).toContain('{ name: sent_at, type: timestamptz }');

    const status = await runCli(['--home', home, '--catalog', catalogFile, '--json', 'status'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).warehouse).toEqual({ shipments: 1 });
  });
});
