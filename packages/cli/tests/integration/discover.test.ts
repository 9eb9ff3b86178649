import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDbWarehouse, type Warehouse } from '@insightflow/warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  catalogYaml,
  type DiscoverDependencies,
  discoverCommand,
  parseDiscoverTables,
} from '../../src/commands/discover.js';
import { ExitCode } from '../../src/exitCodes.js';
import { recordingContext } from '../helpers/recordingContext.js';

describe('Command: discoverCommand() (real DuckDB file warehouse; context faked, so no program.ts wiring)', () => {
  let dir: string;
  let warehouse: DuckDbWarehouse;
  // The command closes nothing it was handed: the test owns the warehouse.
  const given: DiscoverDependencies = {
    withWarehouse: <T>(_context: unknown, work: (w: Warehouse) => Promise<T>) => work(warehouse),
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insightflow-discover-cli-'));
    warehouse = await DuckDbWarehouse.open({ path: path.join(dir, 'w.duckdb') });
    await warehouse.execute(
      'CREATE TABLE shipments (shipment_id BIGINT NOT NULL, amount DECIMAL(18,4), PRIMARY KEY (shipment_id))',
    );
    await warehouse.execute('CREATE TABLE devices (device_id UUID, seen_at TIMESTAMPTZ)');
  });
  afterAll(async () => {
    await warehouse?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints the catalog document as YAML on stdout, in the contract\u2019s shape', async () => {
    const context = recordingContext(dir);
    expect(await discoverCommand(context, { tables: ['SHIPMENTS'] }, given)).toBe(ExitCode.ok);
    expect(context.stdout).toEqual([
      [
        'tables:',
        '  - name: shipments',
        '    primaryKey: [ shipment_id ]',
        '    columns:',
        '      - { name: shipment_id, type: bigint, nullable: false }',
        '      - { name: amount, type: "decimal(18,4)" }',
        'schemaChanges: evolve',
      ].join('\n'),
    ]);
    expect(context.stderr).toEqual([]);
  });

  it('with --json prints the document itself (not wrapped) as JSON', async () => {
    const context = recordingContext(dir, { json: true });
    expect(await discoverCommand(context, { tables: ['shipments'] }, given)).toBe(ExitCode.ok);
    expect(JSON.parse(context.stdout.join(''))).toEqual({
      tables: [
        {
          name: 'shipments',
          primaryKey: ['shipment_id'],
          columns: [
            { name: 'shipment_id', type: 'bigint', nullable: false },
            { name: 'amount', type: 'decimal(18,4)' },
          ],
        },
      ],
      schemaChanges: 'evolve',
    });
  });

  it('writes the document without an unmappable column, lists it on stderr with its fix, and exits 3', async () => {
    const context = recordingContext(dir);
    const out = path.join(dir, 'catalog.yaml');
    expect(await discoverCommand(context, { out }, given)).toBe(ExitCode.rejected);
    expect(context.stdout).toEqual([]);
    const written = parse(await readFile(out, 'utf8'));
    expect(written.tables.map((t: { name: string }) => t.name)).toEqual(['devices', 'shipments']);
    expect(written.tables[0]).toEqual({ name: 'devices', columns: [{ name: 'seen_at', type: 'timestamptz' }] });
    expect(context.stderr).toContain(
      'left out devices.device_id: UUID — the catalog has no type for it; cast it in a view: col::VARCHAR AS col (text)',
    );
    expect(context.stderr.join('\n')).toMatch(/Wrote the catalog \(2 tables, 3 columns, 1 left out\)/);
  });

  it('names a --tables entry that matches no table and exits 2 (usage), writing nothing', async () => {
    const context = recordingContext(dir);
    expect(await discoverCommand(context, { tables: ['shipments', 'parcels'] }, given)).toBe(ExitCode.usage);
    expect(context.stdout).toEqual([]);
    expect(context.stderr.join('\n')).toMatch(/no table named parcels/);
  });
});

describe('Function: parseDiscoverTables()', () => {
  it('splits and trims, and refuses an empty list', () => {
    expect(parseDiscoverTables(' a, B ,,c')).toEqual(['a', 'B', 'c']);
    expect(() => parseDiscoverTables(' , ')).toThrow(/one or more table names/);
  });
});

describe('Function: catalogYaml()', () => {
  it('writes YAML that reads back as the same document, quoting names YAML would take for other types', () => {
    const document = {
      tables: [{ name: 'null', columns: [{ name: 'true', type: 'varchar(12)' as const }] }],
      schemaChanges: 'evolve' as const,
    };
    expect(parse(catalogYaml(document))).toEqual(document);
  });
});
