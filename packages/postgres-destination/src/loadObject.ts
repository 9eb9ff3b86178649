import { createInterface } from 'node:readline';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  columnNames,
  OrderRowSchema,
  type PartitionTime,
  quoteIdentifier,
  sqlType,
  type TableSpec,
} from '@insightflow/shared-config';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CopyRefusedError, ObjectRefusedError } from './errors.js';
import { copyColumns, qualified } from './migrations.js';
import { type CsvField, checkRecord } from './rowValidator.js';

/** An object to load; `open` may be called again (the validating path re-reads it). */
export interface ObjectSource {
  bucket: string;
  key: string;
  open(): Promise<Readable>;
}

/** Where an object's rows go and how they are labelled. */
export interface LoadTarget {
  table: TableSpec;
  kind: 'batch' | 'stream';
  partition: PartitionTime;
}

/** What loading one object did. */
export interface ObjectLoadResult {
  rows: number;
  rejected: number;
  /** Stream rows skipped because their order was already loaded (at-least-once delivery). */
  duplicates: number;
  /** `copy`: bytes straight into COPY. `validated`: row by row, bad rows to the rejects table. */
  path: 'copy' | 'validated';
}

/** Rejects are written in batches of this many rows. */
const REJECT_BATCH = 500;
/** SQL states of bad data (class 22) and broken constraints (class 23): the validating path handles them. */
const DATA_ERROR = /^2[23]/;

/** Sets the transaction-local settings the provenance columns' defaults read. */
async function labelRows(client: ClientBase, source: ObjectSource, target: LoadTarget): Promise<void> {
  const p = target.partition;
  await client.query(
    `SELECT set_config('insightflow.year', $1, true), set_config('insightflow.month', $2, true),
            set_config('insightflow.day', $3, true), set_config('insightflow.hhmm', $4, true),
            set_config('insightflow.source_key', $5, true), set_config('insightflow.source_kind', $6, true)`,
    [p.year, p.month, p.day, p.hhmm, source.key, target.kind],
  );
}

/**
 * Passes a CSV stream through once its first line has been checked against the expected
 * header; anything else is refused before a byte reaches PostgreSQL.
 */
class HeaderGuard extends Transform {
  private head: Buffer | undefined = Buffer.alloc(0);

  public constructor(
    private readonly expected: string,
    private readonly key: string,
  ) {
    super();
  }

  public override _transform(chunk: Buffer, _: BufferEncoding, done: TransformCallback): void {
    if (!this.head) {
      done(null, chunk);
      return;
    }
    this.head = Buffer.concat([this.head, chunk]);
    const newline = this.head.indexOf(0x0a);
    if (newline === -1) {
      if (this.head.length > 64 * 1024) done(new ObjectRefusedError(this.key, 'its first line is not a CSV header'));
      else done();
      return;
    }
    const header = this.head.subarray(0, newline).toString('utf8').replace(/\r$/, '');
    if (header !== this.expected) {
      done(
        new ObjectRefusedError(
          this.key,
          `its header ${JSON.stringify(header.slice(0, 200))} does not match the catalog's ${JSON.stringify(this.expected)}`,
        ),
      );
      return;
    }
    const all = this.head;
    this.head = undefined;
    done(null, all);
  }

  public override _flush(done: TransformCallback): void {
    if (this.head) done(new ObjectRefusedError(this.key, 'it is empty or has no complete header line'));
    else done();
  }
}

/** A temporary table with the catalog's columns plus the source line, for the validating path. */
async function checkingTable(client: ClientBase, table: TableSpec): Promise<string> {
  const name = quoteIdentifier(`_insightflow_checking_${table.name}`);
  const columns = table.columns.map((c) => `${quoteIdentifier(c.name)} ${sqlType(c, 'postgres')}`).join(', ');
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${name} ("_line" bigint NOT NULL, ${columns})`);
  await client.query(`TRUNCATE ${name}`);
  return name;
}

interface Reject {
  line: number | null;
  raw: string;
  reason: string;
}

async function writeRejects(client: ClientBase, source: ObjectSource, table: TableSpec, rejects: Reject[]) {
  for (let i = 0; i < rejects.length; i += REJECT_BATCH) {
    const batch = rejects.slice(i, i + REJECT_BATCH);
    const values = batch.map((_, j) => `($1, $2, $3, $${j * 3 + 4}, $${j * 3 + 5}, $${j * 3 + 6})`).join(', ');
    await client.query(
      `INSERT INTO ${qualified('_rejects')} (table_name, bucket, object_key, line, raw, reason) VALUES ${values}`,
      [table.name, source.bucket, source.key, ...batch.flatMap((r) => [r.line, r.raw, r.reason])],
    );
  }
}

/**
 * Moves the checked rows into the target: the first row of each key, unless the key is already
 * there. For batch data a repeated key is a reject; for stream data it is a duplicate delivery.
 * A table without a primary key has no notion of a repeated row: every checked row goes in.
 */
async function moveCheckedRows(
  client: ClientBase,
  checking: string,
  source: ObjectSource,
  target: LoadTarget,
): Promise<{ rows: number; repeated: number }> {
  const { table } = target;
  const cols = copyColumns(table);
  if (table.primaryKey.length === 0) {
    const inserted = await client.query(
      `INSERT INTO ${qualified(table.name)} (${cols}) SELECT ${cols} FROM ${checking} ORDER BY "_line"`,
    );
    return { rows: inserted.rowCount ?? 0, repeated: 0 };
  }
  const key = table.primaryKey.map(quoteIdentifier);
  const matchTarget = key.map((k) => `t.${k} = s.${k}`).join(' AND ');
  const repeatedRows = `SELECT s.* FROM (SELECT *, row_number() OVER (PARTITION BY ${key.join(', ')} ORDER BY "_line") AS _n FROM ${checking}) s
     WHERE s._n > 1 OR EXISTS (SELECT 1 FROM ${qualified(table.name)} t WHERE ${matchTarget})`;
  let repeated = 0;
  if (target.kind === 'batch') {
    const raw = table.columns.map((c) => `coalesce(r.${quoteIdentifier(c.name)}::text, '')`).join(` || ',' || `);
    const result = await client.query(
      `INSERT INTO ${qualified('_rejects')} (table_name, bucket, object_key, line, raw, reason)
       SELECT $1, $2, $3, r."_line", ${raw}, 'duplicate key (' || ${key.map((k) => `r.${k}::text`).join(` || ', ' || `)} || ')'
       FROM (${repeatedRows}) r`,
      [table.name, source.bucket, source.key],
    );
    repeated = result.rowCount ?? 0;
  } else {
    const result = await client.query(`SELECT count(*)::int AS n FROM (${repeatedRows}) r`);
    repeated = result.rows[0]?.n ?? 0;
  }
  const inserted = await client.query(
    `INSERT INTO ${qualified(table.name)} (${cols})
     SELECT DISTINCT ON (${key.join(', ')}) ${cols} FROM ${checking} s
     WHERE NOT EXISTS (SELECT 1 FROM ${qualified(table.name)} t WHERE ${matchTarget})
     ORDER BY ${key.join(', ')}, "_line"`,
  );
  return { rows: inserted.rowCount ?? 0, repeated };
}

/**
 * Loads one CSV object (a batch part) inside the caller's transaction. Clean data streams byte
 * for byte into COPY; if PostgreSQL rejects a row, the object is rolled back to its savepoint
 * and loaded again row by row, with the bad rows recorded in the rejects table (object, line,
 * raw text, reason) and the rest loaded. Never reads a whole object into memory.
 */
export async function loadCsvObject(
  client: ClientBase,
  source: ObjectSource,
  target: LoadTarget,
  options: { copyOnly?: boolean } = {},
): Promise<ObjectLoadResult> {
  const header = columnNames(target.table).join(',');
  await client.query('SAVEPOINT insightflow_object');
  await labelRows(client, source, target);
  try {
    const copy = client.query(
      copyFrom(
        `COPY ${qualified(target.table.name)} (${copyColumns(target.table)}) FROM STDIN WITH (FORMAT csv, HEADER MATCH)`,
      ),
    );
    await pipeline(await source.open(), new HeaderGuard(header, source.key), copy);
    await client.query('RELEASE SAVEPOINT insightflow_object');
    return { rows: copy.rowCount, rejected: 0, duplicates: 0, path: 'copy' };
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT insightflow_object');
    const sqlState = (error as { code?: string }).code;
    if (!(typeof sqlState === 'string' && DATA_ERROR.test(sqlState))) throw error;
    if (options.copyOnly) throw new CopyRefusedError(source.key, error);
  }
  await labelRows(client, source, target);
  const result = await loadCsvValidated(client, source, target, header);
  await client.query('RELEASE SAVEPOINT insightflow_object');
  return result;
}

async function loadCsvValidated(
  client: ClientBase,
  source: ObjectSource,
  target: LoadTarget,
  header: string,
): Promise<ObjectLoadResult> {
  const { table } = target;
  const checking = await checkingTable(client, table);
  const rejects: Reject[] = [];
  const copy = client.query(copyFrom(`COPY ${checking} FROM STDIN WITH (FORMAT csv)`));
  const parser = parse({
    info: true,
    raw: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    // An unquoted empty field is NULL; a quoted one ("") is an empty string.
    cast: (value, context) => (context.quoting ? value : value === '' ? null : value),
  });
  let first = true;
  const toChecking = new Transform({
    writableObjectMode: true,
    transform(entry: { record: CsvField[]; raw: string; info: { lines: number } }, _, done) {
      const line = entry.info.lines;
      if (first) {
        first = false;
        const found = entry.record.map((f) => f ?? '').join(',');
        done(
          found === header
            ? undefined
            : new ObjectRefusedError(
                source.key,
                `its header ${JSON.stringify(found)} does not match the catalog's ${JSON.stringify(header)}`,
              ),
        );
        return;
      }
      const check = checkRecord(table, entry.record);
      if (!check.ok) {
        rejects.push({ line, raw: entry.raw.replace(/\r?\n$/, ''), reason: check.reason });
        done();
        return;
      }
      done(null, stringify([[line, ...entry.record]], { quoted_match: /^$/ }));
    },
  });
  await pipeline(await source.open(), parser, toChecking, copy);
  await writeRejects(client, source, table, rejects);
  const { rows, repeated } = await moveCheckedRows(client, checking, source, target);
  return { rows, rejected: rejects.length + repeated, duplicates: 0, path: 'validated' };
}

/**
 * Loads one NDJSON object of order rows (Firehose output) inside the caller's transaction,
 * line by line. Orders already in the table (at-least-once delivery) are skipped as duplicates
 * (a table without a primary key appends every row); lines that are not valid order rows are
 * rejected with their line numbers.
 */
export async function loadNdjsonObject(
  client: ClientBase,
  source: ObjectSource,
  target: LoadTarget,
): Promise<ObjectLoadResult> {
  const { table } = target;
  await client.query('SAVEPOINT insightflow_object');
  await labelRows(client, source, target);
  const checking = await checkingTable(client, table);
  const rejects: Reject[] = [];
  const columns = columnNames(table);
  const copy = client.query(copyFrom(`COPY ${checking} FROM STDIN WITH (FORMAT csv)`));
  const lines = createInterface({ input: await source.open(), crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  async function* rows() {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        rejects.push({ line: lineNumber, raw: line.slice(0, 10_000), reason: 'not JSON' });
        continue;
      }
      const parsed = OrderRowSchema.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        rejects.push({
          line: lineNumber,
          raw: line.slice(0, 10_000),
          reason: `${issue?.path.join('.') || '(row)'}: ${issue?.message ?? 'invalid'}`,
        });
        continue;
      }
      const row = parsed.data as unknown as Record<string, unknown>;
      yield stringify([[lineNumber, ...columns.map((c) => row[c] ?? null)]], { quoted_match: /^$/ });
    }
  }
  await pipeline(rows, copy);
  await writeRejects(client, source, table, rejects);
  const { rows: inserted, repeated } = await moveCheckedRows(client, checking, source, target);
  await client.query('RELEASE SAVEPOINT insightflow_object');
  return { rows: inserted, rejected: rejects.length, duplicates: repeated, path: 'validated' };
}
