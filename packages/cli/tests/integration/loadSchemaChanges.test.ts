import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Catalog } from '@insightflow/shared-config';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTempHome, runCli } from '../helpers/runCli.js';

const catalogYaml = (qty: string, extra = '') => `
tables:
  - name: shipments
    primaryKey: [shipment_id]
    columns:
      - { name: shipment_id, type: bigint, nullable: false }
      - { name: qty, type: ${qty} }${extra}
`;

describe('Command: insightflow load, schema changes in the warehouse (real DuckDB, S3 API server)', () => {
  let home: string;
  let narrowing: string;
  let adding: string;

  beforeAll(async () => {
    home = await makeTempHome();
    narrowing = path.join(home, 'narrowing.yaml');
    adding = path.join(home, 'adding.yaml');
    await writeFile(narrowing, catalogYaml('smallint'));
    await writeFile(adding, catalogYaml('integer', '\n      - { name: note, type: text }'));
    // The warehouse as a load with qty integer left it.
    const { DuckDbWarehouse } = await import('@insightflow/warehouse');
    const first = Catalog.fromDocument(
      {
        tables: [
          {
            name: 'shipments',
            columns: [
              { name: 'shipment_id', type: 'bigint', nullable: false },
              { name: 'qty', type: 'integer' },
            ],
          },
        ],
      },
      'the first catalog',
    );
    const warehouse = await DuckDbWarehouse.open({ path: path.join(home, 'warehouse.duckdb') });
    try {
      await warehouse.ensureCatalogTables(first);
      await warehouse.execute('INSERT INTO shipments VALUES (1, 2000000000)');
    } finally {
      await warehouse.close();
    }
  });

  it('exits 1 on a narrowing, naming the table, the column, both types and the way forward', async () => {
    const run = await runCli(['--home', home, '--catalog', narrowing, 'load']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('insightflow: Refused a schema change in the warehouse; nothing was changed:');
    expect(run.stderr).toMatch(
      /shipments\.qty: integer → smallint: a narrowing could lose values already loaded; drop shipments in the local warehouse/,
    );
    expect(run.stdout).toBe('');
  });

  it('with --json, prints one JSON error document listing the refused change', async () => {
    const run = await runCli(['--home', home, '--json', '--catalog', narrowing, 'load']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      error: {
        name: 'SchemaChangeRefusedError',
        kind: 'terminal',
        message: expect.stringContaining('shipments.qty: integer → smallint'),
        refused: [expect.objectContaining({ table: 'shipments', column: 'qty', from: 'integer', to: 'smallint' })],
      },
    });
  });

  it('applies an added column under evolve and prints it', async () => {
    const run = await runCli(['--home', home, '--catalog', adding, 'load']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Warehouse: shipments: added column note (text)');
    const json = await runCli(['--home', home, '--json', '--catalog', adding, 'load']);
    expect(JSON.parse(json.stdout).schemaChanges).toEqual([]);
  });
});
