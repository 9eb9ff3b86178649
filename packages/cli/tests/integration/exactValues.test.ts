import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ingestTable } from '@insightflow/batch-ingest';
import { S3ObjectStore } from '@insightflow/object-store';
import { postgresSync, syncLake } from '@insightflow/s3-to-rds-sync';
import { Catalog } from '@insightflow/shared-config';
import { startTestServices, type TestServices } from '@insightflow/testkit';
import { DuckDbWarehouse, exportQuerySql } from '@insightflow/warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Every catalog type, with the values that break pipelines, from DuckDB through the lake's CSV
 * (both ingest modes) to PostgreSQL, compared value by value. Each value is written once as a
 * DuckDB literal and once as the text PostgreSQL must answer for it (`value::text` in a UTC
 * session; JSON compared as parsed documents, binary as hex).
 */

interface ColumnCase {
  name: string;
  type: string;
  /** [DuckDB literal, PostgreSQL's text of the value] per row; null for SQL NULL. */
  values: readonly ([string, string] | null)[];
}

const text = (value: string): [string, string] => [`'${value.replaceAll("'", "''")}'`, value];
const same = (value: string): [string, string] => [value, value];

const COLUMNS: readonly ColumnCase[] = [
  { name: 'flag', type: 'boolean', values: [['true', 'true'], ['false', 'false'], null] },
  { name: 'small', type: 'smallint', values: [same('-32768'), same('32767'), same('0')] },
  { name: 'whole', type: 'integer', values: [same('-2147483648'), same('2147483647')] },
  {
    name: 'big',
    type: 'bigint',
    // 2^53 + 1 is the first integer a JavaScript number cannot hold.
    values: [same('9223372036854775807'), same('-9223372036854775808'), same('9007199254740993')],
  },
  {
    name: 'amount',
    type: 'decimal(38,10)',
    values: [
      same('1234567890123456789012345678.0123456789'),
      same('-0.0000000001'),
      ['0', '0.0000000000'],
      ['0.1', '0.1000000000'],
    ],
  },
  { name: 'ratio', type: 'real', values: [same('0.1'), same('-3.4028235e+38'), ["'inf'", 'Infinity']] },
  {
    name: 'precise',
    type: 'double',
    values: [same('0.1'), same('5e-324'), same('1.7976931348623157e+308'), ["'nan'", 'NaN'], ["'-0.0'::DOUBLE", '-0']],
  },
  {
    name: 'note',
    type: 'text',
    values: [
      text('a "quoted", comma'),
      text('line one\nline two\r\nline three\r'),
      text('tab\there \\ backslash'),
      text('\\N'),
      text('NULL'),
      text(''),
      text('non-BMP 😀 𝄞, accents éàüñ'),
      text('  leading and trailing  '),
      null,
    ],
  },
  { name: 'code', type: 'varchar(12)', values: [text('ÀÉÎÕÜ-12345'), text(''), text('"')] },
  {
    name: 'day',
    type: 'date',
    values: [
      ["DATE '1900-02-28'", '1900-02-28'],
      ["DATE '1969-12-31'", '1969-12-31'],
      ["DATE '2038-01-20'", '2038-01-20'],
      ["DATE '9999-12-31'", '9999-12-31'],
      ["DATE '0001-01-01'", '0001-01-01'],
    ],
  },
  {
    name: 'at_time',
    type: 'time',
    values: [
      ["TIME '00:00:00'", '00:00:00'],
      ["TIME '23:59:59.999999'", '23:59:59.999999'],
      ["TIME '12:00:00.000001'", '12:00:00.000001'],
    ],
  },
  {
    name: 'local_at',
    type: 'timestamp',
    values: [
      ["TIMESTAMP '1969-07-20 20:17:40.123456'", '1969-07-20 20:17:40.123456'],
      ["TIMESTAMP '2099-12-31 23:59:59.999999'", '2099-12-31 23:59:59.999999'],
      ["TIMESTAMP '1970-01-01 00:00:00'", '1970-01-01 00:00:00'],
    ],
  },
  {
    name: 'instant',
    type: 'timestamptz',
    values: [
      ["TIMESTAMPTZ '2038-01-19 03:14:08.000001+00'", '2038-01-19 03:14:08.000001+00'],
      ["TIMESTAMPTZ '1969-07-20 22:17:40.5+02'", '1969-07-20 20:17:40.5+00'],
      ["TIMESTAMPTZ '2026-03-29 01:30:00-05:30'", '2026-03-29 07:00:00+00'],
    ],
  },
  {
    name: 'doc',
    type: 'json',
    values: [
      [
        '\'{"a": [1, 2.5, "x"], "b": null, "c": {"d": "é\\n😀"}}\'',
        '{"a": [1, 2.5, "x"], "b": null, "c": {"d": "é\\n😀"}}',
      ],
      [`'"a scalar"'`, '"a scalar"'],
      ["'42'", '42'],
      // JSON null is a value, not SQL NULL.
      ["'null'", 'null'],
      ["'[]'", '[]'],
      null,
    ],
  },
  {
    name: 'bytes',
    type: 'binary',
    values: [
      ["'\\x00\\xFF\\x10\\x22\\x2C\\x0A'::BLOB", '00ff10222c0a'],
      ["''::BLOB", ''],
      ["'\\x5C\\x4E'::BLOB", '5c4e'],
    ],
  },
];

const ROWS = Math.max(...COLUMNS.map((c) => c.values.length));
const TABLE = 'every_type';
const CATALOG = Catalog.fromDocument(
  {
    tables: [
      {
        name: TABLE,
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'bigint', nullable: false },
          ...COLUMNS.map(({ name, type }) => ({ name, type })),
        ],
      },
    ],
  },
  'the every-type test catalog',
);
const RAW = 'insightflow-raw-bucket';

/** SQL that PostgreSQL answers each column with, as text comparable to the cases. */
function postgresText(column: ColumnCase): string {
  const c = `"${column.name}"`;
  if (column.type === 'binary') return `encode(${c}, 'hex')`;
  return `${c}::text`;
}

describe('Exact values: every type, hostile values, DuckDB → lake CSV → PostgreSQL (real DuckDB, S3 API server, PostgreSQL)', () => {
  let services: TestServices;
  let warehouse: DuckDbWarehouse;

  beforeAll(async () => {
    services = await startTestServices();
    const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-exact-'));
    warehouse = await DuckDbWarehouse.open({ path: path.join(dir, 'w.duckdb'), s3: services.s3 });
    await warehouse.ensureCatalogTables(CATALOG);
    const rows = Array.from({ length: ROWS }, (_, i) => {
      const values = COLUMNS.map((column) => column.values[i]?.[0] ?? 'NULL');
      // The key: beyond 2^53 too.
      return `(${9_007_199_254_740_993n + BigInt(i)}, ${values.join(', ')})`;
    });
    await warehouse.execute(`INSERT INTO ${TABLE} VALUES ${rows.join(',\n')}`);
  }, 120_000);
  afterAll(async () => {
    await warehouse?.close();
    await services?.stop();
  });

  it("a staged file in the lake's CSV form loads into the warehouse with every value intact", async () => {
    // The parts of a batch run are staged files like any other: load them into a second warehouse.
    const store = new S3ObjectStore(services.s3, RAW);
    const runAt = new Date(Date.UTC(2026, 10, 23, 13, 0));
    const ingested = await ingestTable(
      { catalog: CATALOG, warehouse, store },
      { table: TABLE, runAt, mode: 'stream', batchSize: 4 },
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-exact-staged-'));
    const second = await DuckDbWarehouse.open({ path: path.join(dir, 'w.duckdb'), s3: services.s3 });
    try {
      await second.ensureCatalogTables(CATALOG);
      const reports = await second.loadStage({
        table: CATALOG.table(TABLE),
        bucket: RAW,
        location: ingested.runFolder,
      });
      expect(reports.map((r) => r.status)).toEqual(reports.map(() => 'loaded'));
      const query = `${exportQuerySql(CATALOG.table(TABLE), 'duckdb')} ORDER BY 1`;
      const rows = async (w: DuckDbWarehouse) => {
        const all: unknown[] = [];
        for await (const batch of w.streamRows(query)) all.push(...batch);
        return all;
      };
      expect(await rows(second)).toEqual(await rows(warehouse));
    } finally {
      await second.close();
    }
  });

  for (const [index, mode] of (['stream', 'unload'] as const).entries()) {
    it(`${mode} mode: every value arrives in PostgreSQL exactly`, async () => {
      const store = new S3ObjectStore(services.s3, RAW);
      const runAt = new Date(Date.UTC(2026, 10, 23, 14, 5 + index));
      const ingested = await ingestTable(
        { catalog: CATALOG, warehouse, store },
        { table: TABLE, runAt, mode, batchSize: 4 },
      );
      expect(ingested.rows).toBe(ROWS);

      const client = await services.connect();
      try {
        const result = await syncLake(postgresSync(client, store, CATALOG), { mode: 'incremental' });
        expect(result.rejected).toBe(0);
        expect(result.rows).toBe(ROWS);
        await client.query("SET TIME ZONE 'UTC'");
        const selected = COLUMNS.map((c) => `${postgresText(c)} AS "${c.name}"`).join(', ');
        const { rows } = await client.query<Record<string, string | null>>(
          `SELECT id::text AS id, ${selected} FROM insightflow_raw.${TABLE} ORDER BY id`,
        );
        expect(rows).toHaveLength(ROWS);
        for (const [i, row] of rows.entries()) {
          expect(row.id).toBe(String(9_007_199_254_740_993n + BigInt(i)));
          for (const column of COLUMNS) {
            const expected = column.values[i]?.[1] ?? null;
            const actual = row[column.name] ?? null;
            const where = `row ${i}, column ${column.name} (${column.type})`;
            if (column.type === 'json' && expected !== null && actual !== null) {
              expect(JSON.parse(actual), where).toEqual(JSON.parse(expected));
            } else {
              expect(actual, where).toBe(expected);
            }
          }
        }
      } finally {
        await client.end();
      }
    }, 120_000);
  }
});
