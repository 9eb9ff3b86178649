import {
  CLEAN_PROVENANCE_COLUMNS,
  parseColumnType,
  SqlDialect,
  sqlType,
  type TableSpec,
} from '@insightflow/shared-config';

/**
 * The one definition of every clean table — typing, rejects, deduplication, partition order —
 * rendered for each engine: DuckDB locally, Athena (Trino) on AWS. Nothing is written per table.
 *
 * Both engines give the SELECT the same relations of raw text, one column per catalog column
 * (NULL where the lake holds NULL) plus `_input`, which names the raw object a row was read from
 * and sorts in load order (the batch run's parts first, then streamed objects in delivery order),
 * `_line` (the record's line in its object, NULL when the engine cannot tell), and `_invalid` /
 * `_raw` (why a record could not be read, and the record; NULL for a record that parsed):
 * - {@link RAW_BATCH} — the rows of the table's newest committed batch run;
 * - {@link RAW_STREAM} — the rows of every object its catalog streams delivered (absent when none);
 * - {@link RAW_INPUTS} — one row per raw object: `_input`, `_source` (batch or streaming),
 *   `_source_key` (its key) and `_source_at` (when it landed). Provenance joins on after the
 *   deduplication, so the rows being deduplicated stay narrow.
 */
export const RAW_BATCH = 'raw_batch';
export const RAW_STREAM = 'raw_stream';
export const RAW_INPUTS = 'raw_inputs';

/** The engines a clean table's SQL is rendered for. */
export const CleanDialect = { duckdb: 'duckdb', athena: 'athena' } as const;
export type CleanDialect = (typeof CleanDialect)[keyof typeof CleanDialect];

/** One typed column of a clean table. */
export interface CleanColumn {
  name: string;
  /** The catalog type (`integer`, `decimal(10,2)`, …). */
  type: string;
}

/** A clean table: its catalog columns and types, the key rows are deduplicated on and the Hive partition columns. */
export interface CleanTableDefinition {
  table: string;
  columns: readonly CleanColumn[];
  primaryKey: readonly string[];
  partitionBy: readonly string[];
}

/**
 * Which raw relations a build reads — a table with no stream objects has no {@link RAW_STREAM} —
 * and, for an engine that cannot name them (Athena's UNLOAD takes one query, no WITH), the
 * derived tables `(SELECT …)` that stand in for them.
 */
export interface RawRelations {
  stream: boolean;
  inline?: { batch: string; stream?: string; inputs: string };
}

/** How the SQL refers to a raw relation: its name, or the engine's derived table for it, aliased by that name. */
function relation(raw: RawRelations, which: 'batch' | 'stream' | 'inputs'): string {
  const name = which === 'batch' ? RAW_BATCH : which === 'stream' ? RAW_STREAM : RAW_INPUTS;
  const inline = raw.inline?.[which];
  return inline ? `${inline} AS ${name}` : name;
}

/** The clean definition of a catalog table. */
export function cleanTableDefinition(table: TableSpec): CleanTableDefinition {
  return {
    table: table.name,
    columns: table.columns.map((c) => ({ name: c.name, type: c.type })),
    primaryKey: [...table.primaryKey],
    partitionBy: [...(table.partitionBy ?? [])],
  };
}

/** Catalog names are `[a-z_][a-z0-9_]*` (checked by the catalog schema); quoting keeps reserved words safe. */
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The engine's type for a catalog type: Athena's DML speaks Trino's names, not Glue's DDL ones. */
function engineType(column: CleanColumn, dialect: CleanDialect): string {
  if (dialect === CleanDialect.duckdb) return sqlType(column, SqlDialect.duckdb);
  const parsed = parseColumnType(column.type);
  switch (parsed?.base) {
    case 'integer':
      return 'integer';
    case 'real':
      return 'real';
    case 'timestamptz':
      return 'timestamp';
    default:
      return sqlType(column, SqlDialect.glue);
  }
}

/** Types kept as text in the clean layer of a dialect: text itself, JSON, and Athena's time (Glue has no TIME). */
function keptAsText(column: CleanColumn, dialect: CleanDialect): boolean {
  const base = parseColumnType(column.type)?.base;
  return (
    base === 'text' || base === 'varchar' || base === 'json' || (dialect === CleanDialect.athena && base === 'time')
  );
}

/** The expression that types one raw text column: NULL stays NULL; a value that does not cast is NULL (and a reject). */
export function castExpression(column: CleanColumn, dialect: CleanDialect): string {
  const source = quote(column.name);
  if (keptAsText(column, dialect)) return source;
  if (parseColumnType(column.type)?.base === 'binary') {
    // The lake's binary is bare hex (Snowflake's BINARY_FORMAT).
    return dialect === CleanDialect.duckdb
      ? `CASE WHEN regexp_full_match(${source}, '([0-9a-fA-F]{2})*') THEN unhex(${source}) END`
      : `TRY(from_hex(${source}))`;
  }
  return `TRY_CAST(${source} AS ${engineType(column, dialect)})`;
}

/** A value that is present but does not cast: what makes a row a reject. */
function rejectCondition(column: CleanColumn, dialect: CleanDialect): string | undefined {
  if (keptAsText(column, dialect)) return undefined;
  return `(${quote(column.name)} IS NOT NULL AND ${castExpression(column, dialect)} IS NULL)`;
}

/** The columns of a clean table's Parquet, in file order: catalog columns, provenance, partition columns last. */
export function cleanSchema(definition: CleanTableDefinition): CleanColumn[] {
  const data = definition.columns.filter((c) => !definition.partitionBy.includes(c.name));
  const partitions = definition.partitionBy.map((p) => definition.columns.find((c) => c.name === p) as CleanColumn);
  return [...data, ...CLEAN_PROVENANCE_COLUMNS.map((c) => ({ name: c.name, type: c.type })), ...partitions];
}

/** The catalog columns in clean file order (partition columns last), and the provenance columns between. */
function dataColumns(definition: CleanTableDefinition): CleanColumn[] {
  return cleanSchema(definition).filter((c) => !CLEAN_PROVENANCE_COLUMNS.some((p) => p.name === c.name));
}

/** One relation's rows, typed, without its rejects, with the `_input` they came from. */
function typedRows(definition: CleanTableDefinition, dialect: CleanDialect, from: string): string {
  const rejects = definition.columns.map((c) => rejectCondition(c, dialect)).filter((c) => c !== undefined);
  const columns = dataColumns(definition).map((c) => `${castExpression(c, dialect)} AS ${quote(c.name)}`);
  return [
    `SELECT ${columns.join(', ')}, "_input", "_line"`,
    `FROM ${from}`,
    `WHERE "_invalid" IS NULL${rejects.length > 0 ? ` AND NOT (${rejects.join(' OR ')})` : ''}`,
  ].join('\n');
}

/**
 * Why a raw row is a reject, as SQL over a raw relation: a record that could not be read at all
 * (`_invalid`, with the record as `_raw`), else the first value present that does not cast.
 * Each expression is NULL for a row that types cleanly.
 */
function rejectCases(definition: CleanTableDefinition, dialect: CleanDialect) {
  const checked = definition.columns.flatMap((c) => {
    const condition = rejectCondition(c, dialect);
    return condition ? [{ column: c, condition }] : [];
  });
  const cases = (invalid: string, each: (c: (typeof checked)[number]) => string) =>
    `CASE WHEN "_invalid" IS NOT NULL THEN ${invalid} ${checked.map((c) => `WHEN ${c.condition} THEN ${each(c)}`).join(' ')} END`;
  return {
    column: cases('CAST(NULL AS VARCHAR)', (c) => `'${c.column.name}'`),
    value: cases('"_raw"', (c) => quote(c.column.name)),
    reason: cases('"_invalid"', (c) => `'does not cast to ${c.column.type}'`),
    condition: ['"_invalid" IS NOT NULL', ...checked.map((c) => c.condition)].join(' OR '),
  };
}

/** Every typed row of the inputs: the batch run's, then (when there are) the streamed ones. */
function allTypedRows(definition: CleanTableDefinition, dialect: CleanDialect, raw: RawRelations): string {
  return [relation(raw, 'batch'), ...(raw.stream ? [relation(raw, 'stream')] : [])]
    .map((r) => typedRows(definition, dialect, r))
    .join('\nUNION ALL\n');
}

/**
 * The SELECT of a clean table: every raw row that types cleanly, one per primary key, in clean
 * file order with its provenance. Precedence is the sync's, so the clean layer and PostgreSQL
 * agree: the batch run's row first, then streamed rows in delivery order (the earliest object
 * wins; a redelivery is a duplicate). Two rows of one batch run with the same key — an upstream
 * defect the sync rejects — keep one of them. A table without a key keeps every row.
 */
export function renderCleanSelect(
  definition: CleanTableDefinition,
  dialect: CleanDialect,
  raw: RawRelations,
  options: { staged?: string } = {},
): string {
  const rows = options.staged
    ? `SELECT ${[...dataColumns(definition).map((c) => quote(c.name)), '"_input"', '"_line"'].join(', ')} FROM ${options.staged} WHERE "_reject_reason" IS NULL`
    : allTypedRows(definition, dialect, raw);
  const key = definition.primaryKey.map(quote).join(', ');
  let deduplicated: string;
  if (definition.primaryKey.length === 0) deduplicated = rows;
  else if (dialect === CleanDialect.duckdb && !raw.stream) {
    // One relation: a hashed DISTINCT ON spills to disk where a window over every row would not fit.
    deduplicated = `SELECT DISTINCT ON (${key}) * FROM (\n${rows}\n) AS typed`;
  } else {
    deduplicated = [
      `SELECT * FROM (`,
      `  SELECT *, row_number() OVER (PARTITION BY ${key} ORDER BY "_input", "_line") AS "_rank"`,
      `  FROM (\n${rows}\n) AS typed`,
      ') AS ranked',
      'WHERE "_rank" = 1',
    ].join('\n');
  }
  const columns = cleanSchema(definition).map(
    (c) => `${CLEAN_PROVENANCE_COLUMNS.some((p) => p.name === c.name) ? 'i' : 'd'}.${quote(c.name)}`,
  );
  return `SELECT ${columns.join(', ')}\nFROM (\n${deduplicated}\n) AS d\nJOIN ${raw.inline ? raw.inline.inputs : RAW_INPUTS} AS i ON i."_input" = d."_input"`;
}

/**
 * Every raw row typed in one scan, with `_input`, `_line` and — for a reject — the first column at
 * fault, its raw value and the reason (`_reject_column`, `_reject_value`, `_reject_reason`; NULL
 * when the row types cleanly). An engine that stages this once reads it for both the clean rows
 * (`renderCleanSelect(…, { staged })`) and the rejects ({@link renderStagedRejectsSelect}).
 */
export function renderTypedStage(definition: CleanTableDefinition, dialect: CleanDialect, raw: RawRelations): string {
  const reject = rejectCases(definition, dialect);
  const typed = dataColumns(definition).map((c) => `${castExpression(c, dialect)} AS ${quote(c.name)}`);
  const select = (from: string) =>
    `SELECT ${typed.join(', ')}, "_input", "_line", ${reject.column} AS "_reject_column", ${reject.value} AS "_reject_value", ${reject.reason} AS "_reject_reason" FROM ${from}`;
  return [relation(raw, 'batch'), ...(raw.stream ? [relation(raw, 'stream')] : [])].map(select).join('\nUNION ALL\n');
}

/** The rejects of a staged build ({@link renderTypedStage}): object key, line, column at fault, raw value, reason. */
export function renderStagedRejectsSelect(staged: string): string {
  return `SELECT i."_source_key" AS object_key, s."_line" AS line, s."_reject_column" AS column_name, s."_reject_value" AS raw_value, s."_reject_reason" AS reason FROM ${staged} AS s JOIN ${RAW_INPUTS} AS i ON i."_input" = s."_input" WHERE s."_reject_reason" IS NOT NULL`;
}

/**
 * The rejects of a build, one row per raw row that could not be read or has a value that does not
 * cast: object key, line, the first column at fault, its raw value and the reason. One scan per relation.
 */
export function renderRejectsSelect(
  definition: CleanTableDefinition,
  dialect: CleanDialect,
  raw: RawRelations,
): string {
  const reject = rejectCases(definition, dialect);
  const inputs = raw.inline ? raw.inline.inputs : RAW_INPUTS;
  const select = (from: string) =>
    `SELECT i."_source_key" AS object_key, r.line, r.column_name, r.raw_value, r.reason FROM (SELECT "_input", "_line" AS line, ${reject.column} AS column_name, ${reject.value} AS raw_value, ${reject.reason} AS reason FROM ${from} WHERE ${reject.condition}) AS r JOIN ${inputs} AS i ON i."_input" = r."_input"`;
  return [select(relation(raw, 'batch')), ...(raw.stream ? [select(relation(raw, 'stream'))] : [])].join(
    '\nUNION ALL\n',
  );
}

/**
 * The number of distinct keys among the raw rows that type cleanly (every such row when the table
 * has no key): what a clean table's row count must equal. Counted with `count(DISTINCT …)`, not
 * the build's deduplication, so the verification is independent of it.
 */
export function renderDistinctKeysSelect(
  definition: CleanTableDefinition,
  dialect: CleanDialect,
  raw: RawRelations,
): string {
  const rows = allTypedRows(definition, dialect, raw);
  if (definition.primaryKey.length === 0) return `SELECT count(*) AS n FROM (\n${rows}\n) AS typed`;
  const key = definition.primaryKey.map(quote);
  // count(DISTINCT (a, b)) counts rows whose key has a NULL too; keys are NOT NULL in the catalog.
  const distinct =
    key.length === 1 ? key[0] : dialect === CleanDialect.duckdb ? `(${key.join(', ')})` : `ROW(${key.join(', ')})`;
  return `SELECT count(DISTINCT ${distinct}) AS n FROM (\n${rows}\n) AS typed`;
}
