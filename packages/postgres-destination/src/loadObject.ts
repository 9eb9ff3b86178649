import { createInterface } from 'node:readline';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type ColumnSpec,
  type CsvField,
  checkRecord,
  columnNames,
  type ObjectLoadResult,
  ObjectRefusedError,
  parseColumnType,
  quoteIdentifier,
  recordFromJson,
  sqlType,
  type TableSpec,
} from '@insightflow/shared-config';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CopyRefusedError } from './errors.js';
import { copyColumns, qualified } from './migrations.js';

/** An object to load; `open` may be called again (the validating path re-reads it). */
export interface ObjectSource {
  bucket: string;
  key: string;
  open(): Promise<Readable>;
}

/**
 * Where an object's rows go and how they are labelled. `table` holds the object's columns, in
 * its order: for a batch part, the columns its run's manifest lists (a run written before a
 * schema change still loads; see `runTable()` in tableSchema.ts); for a streamed object, the
 * catalog's.
 */
export interface LoadTarget {
  table: TableSpec;
  kind: 'batch' | 'stream';
  /** The object's ledger row (`_loaded_objects.id`): every row loaded from it references it. */
  sourceId: number;
}

/** Rejects are written in batches of this many rows. */
const REJECT_BATCH = 500;
/** SQL states of bad data (class 22) and broken constraints (class 23): the validating path handles them. */
const DATA_ERROR = /^2[23]/;

/** Sets the transaction-local setting the provenance column's default reads. */
async function labelRows(client: ClientBase, target: LoadTarget): Promise<void> {
  await client.query(`SELECT set_config('insightflow.source_id', $1, true)`, [String(target.sourceId)]);
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

const isBinary = (column: ColumnSpec) => parseColumnType(column.type)?.base === 'binary';

/**
 * The lake holds binary as bare hex (Snowflake's BINARY_FORMAT), which `bytea`'s input does not
 * read (it wants `\x` first): such a column is landed as text and decoded on the way in.
 */
function landedType(column: ColumnSpec): string {
  return isBinary(column) ? 'text' : sqlType(column, 'postgres');
}

/** One column of the checking table as the target table takes it. */
function checkedValue(column: ColumnSpec, alias: string): string {
  const value = `${alias}.${quoteIdentifier(column.name)}`;
  return isBinary(column) ? `decode(${value}, 'hex')` : value;
}

/** The object's columns as the target table takes them from the checking table. */
function fromChecking(table: TableSpec, alias: string): string {
  return table.columns.map((c) => checkedValue(c, alias)).join(', ');
}

/**
 * A temporary table with the object's columns plus the source line, for the validating path.
 * Dropped once its rows are moved (or at commit), and named by a counter: a rebuild loads
 * objects of different shapes in one transaction.
 */
let checkingTables = 0;
async function checkingTable(client: ClientBase, table: TableSpec): Promise<string> {
  const name = quoteIdentifier(`_insightflow_checking_${++checkingTables}`);
  const columns = table.columns.map((c) => `${quoteIdentifier(c.name)} ${landedType(c)}`).join(', ');
  await client.query(`CREATE TEMP TABLE ${name} ("_line" bigint NOT NULL, ${columns}) ON COMMIT DROP`);
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
      `INSERT INTO ${qualified(table.name)} (${cols}) SELECT ${fromChecking(table, 's')} FROM ${checking} s ORDER BY "_line"`,
    );
    return { rows: inserted.rowCount ?? 0, repeated: 0 };
  }
  const key = table.primaryKey.map(quoteIdentifier);
  const keyColumns = table.primaryKey.map((name) => table.columns.find((c) => c.name === name) as ColumnSpec);
  const matchTarget = keyColumns.map((c) => `t.${quoteIdentifier(c.name)} = ${checkedValue(c, 's')}`).join(' AND ');
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
     SELECT DISTINCT ON (${key.map((k) => `s.${k}`).join(', ')}) ${fromChecking(table, 's')} FROM ${checking} s
     WHERE NOT EXISTS (SELECT 1 FROM ${qualified(table.name)} t WHERE ${matchTarget})
     ORDER BY ${key.map((k) => `s.${k}`).join(', ')}, s."_line"`,
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
  options: LoadOptions = {},
): Promise<ObjectLoadResult> {
  const header = columnNames(target.table).join(',');
  if (options.copyOnly) return copyObject(client, source, target, header, options);
  await client.query('SAVEPOINT insightflow_object');
  await labelRows(client, target);
  if (!target.table.columns.some(isBinary)) {
    try {
      const result = await copyObject(client, source, target, header, {});
      await client.query('RELEASE SAVEPOINT insightflow_object');
      return result;
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT insightflow_object');
      if (!(error instanceof CopyRefusedError)) throw error;
    }
    await labelRows(client, target);
  }
  // Hex must be decoded on the way in, so a table with a binary column always takes this path.
  const result = await loadCsvValidated(client, source, target, header);
  await client.query('RELEASE SAVEPOINT insightflow_object');
  return result;
}

/** How {@link loadCsvObject} may load an object. */
export interface LoadOptions {
  /**
   * Only the COPY, with no savepoint of its own and no row-by-row fallback: bad data throws
   * {@link CopyRefusedError}, and the caller undoes the attempt (the bulk path does, as a whole).
   */
  copyOnly?: boolean;
  /**
   * `COPY … FREEZE` (with `copyOnly`): rows are written frozen, so no later vacuum or first read
   * rewrites them, and with `wal_level = minimal` they skip the WAL. PostgreSQL allows it only
   * when the table was truncated in the current subtransaction.
   */
  freeze?: boolean;
  /**
   * Set the provenance column's default to the object's id for its COPY (with `copyOnly`), not
   * read a setting per row — a third of a bulk COPY's time. It takes the table's ACCESS EXCLUSIVE
   * lock, which the bulk path holds anyway after its TRUNCATE; the caller restores the default.
   */
  constantSourceId?: boolean;
}

/** The byte-for-byte COPY of an object into its table; bad data is a {@link CopyRefusedError}. */
async function copyObject(
  client: ClientBase,
  source: ObjectSource,
  target: LoadTarget,
  header: string,
  options: LoadOptions,
): Promise<ObjectLoadResult> {
  if (target.table.columns.some(isBinary)) {
    throw new CopyRefusedError(source.key, new Error('a binary column is decoded row by row'));
  }
  if (options.constantSourceId) {
    await client.query(
      `ALTER TABLE ${qualified(target.table.name)} ALTER COLUMN "_source_id" SET DEFAULT ${Math.trunc(target.sourceId)}`,
    );
  } else await labelRows(client, target);
  const freeze = options.freeze === true;
  const copy = client.query(
    copyFrom(
      `COPY ${qualified(target.table.name)} (${copyColumns(target.table)}) FROM STDIN WITH (FORMAT csv, HEADER MATCH${freeze ? ', FREEZE' : ''})`,
    ),
  );
  try {
    await pipeline(await source.open(), new HeaderGuard(header, source.key), copy);
  } catch (error) {
    const sqlState = (error as { code?: string }).code;
    if (typeof sqlState === 'string' && DATA_ERROR.test(sqlState)) throw new CopyRefusedError(source.key, error);
    throw error;
  }
  return { rows: copy.rowCount, rejected: 0, duplicates: 0, path: 'copy' };
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
  await client.query(`DROP TABLE ${checking}`);
  return { rows, rejected: rejects.length + repeated, duplicates: 0, path: 'validated' };
}

/**
 * Loads one NDJSON object of streamed rows (Firehose output: one JSON object of the table's
 * columns per line) inside the caller's transaction, line by line. Rows whose key is already in
 * the table (at-least-once delivery) are skipped as duplicates (a table without a primary key
 * appends every row); lines that are not valid rows are rejected with their line numbers and the
 * column at fault.
 */
export async function loadNdjsonObject(
  client: ClientBase,
  source: ObjectSource,
  target: LoadTarget,
): Promise<ObjectLoadResult> {
  const { table } = target;
  await client.query('SAVEPOINT insightflow_object');
  await labelRows(client, target);
  const checking = await checkingTable(client, table);
  const rejects: Reject[] = [];
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
      const row = recordFromJson(table, value);
      if (!row.ok) {
        rejects.push({ line: lineNumber, raw: line.slice(0, 10_000), reason: row.reason });
        continue;
      }
      yield stringify([[lineNumber, ...row.record]], { quoted_match: /^$/ });
    }
  }
  await pipeline(rows, copy);
  await writeRejects(client, source, table, rejects);
  const { rows: inserted, repeated } = await moveCheckedRows(client, checking, source, target);
  await client.query(`DROP TABLE ${checking}`);
  await client.query('RELEASE SAVEPOINT insightflow_object');
  return { rows: inserted, rejected: rejects.length, duplicates: repeated, path: 'validated' };
}
