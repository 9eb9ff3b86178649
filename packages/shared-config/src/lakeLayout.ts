import type { Catalog, TableName } from './catalog.js';
import type { TableSpec } from './catalogSchema.js';
import { LakeKeyError } from './errors.js';

/**
 * The lake layout: where every object lives in the raw bucket, as a pure function of
 * (table, run time, part) or (stream, arrival time). All times are UTC and truncated to the minute.
 * A function that builds or parses a key of a table or stream takes the catalog it checks the
 * name against: a key never names a table or stream the catalog lacks.
 *
 *   data/batch/<table>/year=YYYY/month=MM/day=DD/hhmm=HHMM/<table>_part<N>.csv
 *   data/batch/<table>/year=YYYY/month=MM/day=DD/hhmm=HHMM/_manifest.json
 *   data/streaming/<stream>/year=YYYY/month=MM/day=DD/hhmm=HHMM/<firehose object name>
 *   data/streaming/<stream>_error/<error type>/year=YYYY/month=MM/day=DD/<firehose object name>
 */

/** Everything the lake holds as data (batch runs and streamed objects): what the sync may read. */
export const DATA_PREFIX = 'data/';
/** Top-level prefix of batch runs. */
export const BATCH_PREFIX = `${DATA_PREFIX}batch/`;
/** Top-level prefix of everything Firehose delivers: every stream's objects and error records. */
export const STREAMING_ROOT = `${DATA_PREFIX}streaming/`;

function assertStream(catalog: Catalog, stream: string, key: string): void {
  if (!catalog.hasStream(stream)) {
    const known = catalog.streams.map((s) => s.name);
    throw new LakeKeyError(
      key,
      `unknown stream ${JSON.stringify(stream)} (the catalog's streams: ${known.length > 0 ? known.join(', ') : 'none'})`,
      STREAMING_FORMAT,
    );
  }
}

/** Prefix under which Firehose delivers a catalog stream's transformed records: `data/streaming/<stream>/`. */
export function streamingPrefix(catalog: Catalog, stream: string): string {
  assertStream(catalog, stream, stream);
  return `${STREAMING_ROOT}${stream}/`;
}

/**
 * Prefix under which Firehose delivers the records of a catalog stream it could not transform
 * or write: `data/streaming/<stream>_error/`.
 */
export function streamingErrorPrefix(catalog: Catalog, stream: string): string {
  assertStream(catalog, stream, stream);
  return `${STREAMING_ROOT}${stream}_error/`;
}

/** Where the source files are staged in the stage bucket (the original's Instacart layout). */
export const DEFAULT_STAGE_PREFIX = 'instacart/';
/**
 * The key (or prefix) of a table's staged file in the stage bucket: the catalog's `stage`. A
 * stage under {@link DEFAULT_STAGE_PREFIX} moves to `prefix` when another stage prefix is
 * configured (how tests and benchmarks keep their staged copies apart); any other stage is
 * used as written.
 */
export function stageKey(table: Pick<TableSpec, 'stage'>, prefix: string = DEFAULT_STAGE_PREFIX): string {
  return table.stage.startsWith(DEFAULT_STAGE_PREFIX)
    ? `${prefix}${table.stage.slice(DEFAULT_STAGE_PREFIX.length)}`
    : table.stage;
}
/** Where the stream publisher keeps its order-id watermark, in the raw bucket (not data: never crawled or synced). */
export const PUBLISHER_STATE_PREFIX = 'state/stream-publisher/';
/** Where the local delivery loop keeps how far it has delivered each Kinesis data stream, in the raw bucket. */
export const LOCAL_DELIVERY_STATE_PREFIX = 'state/local-delivery/';
/** The commit marker of a batch run folder. */
export const MANIFEST_FILE = '_manifest.json';

/**
 * Firehose's S3 prefix expressions for one catalog stream: Firehose substitutes the arrival time
 * (UTC) and, for errors, the error type.
 */
export function firehosePrefixes(catalog: Catalog, stream: string): { data: string; error: string } {
  return {
    data: `${streamingPrefix(catalog, stream)}year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hhmm=!{timestamp:HHmm}/`,
    error: `${streamingErrorPrefix(catalog, stream)}!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`,
  };
}

/** A run's time, as the partition folders spell it. */
export interface PartitionTime {
  year: string;
  month: string;
  day: string;
  hhmm: string;
}

/** A batch part: one CSV file of one run of one table. */
export interface PartLocation {
  table: TableName;
  /** The run's trigger time, truncated to the minute (UTC). */
  runAt: Date;
  /** Part number, from 0. */
  part: number;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Truncates a time to the minute, in UTC; throws on an invalid date. */
export function truncateToMinute(at: Date): Date {
  const ms = at.getTime();
  if (!Number.isFinite(ms)) throw new LakeKeyError(String(at), 'the run time is not a valid date');
  return new Date(Math.floor(ms / 60_000) * 60_000);
}

/** The partition folder values for a time, in UTC. */
export function partitionTime(at: Date): PartitionTime {
  const t = truncateToMinute(at);
  const year = t.getUTCFullYear();
  if (year < 1000 || year > 9999) throw new LakeKeyError(t.toISOString(), 'the year must have four digits');
  return {
    year: pad(year, 4),
    month: pad(t.getUTCMonth() + 1, 2),
    day: pad(t.getUTCDate(), 2),
    hhmm: `${pad(t.getUTCHours(), 2)}${pad(t.getUTCMinutes(), 2)}`,
  };
}

function partitionPath(at: Date): string {
  const p = partitionTime(at);
  return `year=${p.year}/month=${p.month}/day=${p.day}/hhmm=${p.hhmm}/`;
}

function assertTable(catalog: Catalog, table: string, key: string): asserts table is TableName {
  if (!catalog.has(table)) {
    throw new LakeKeyError(key, `unknown table (expected one of ${catalog.tableNames().join(', ')})`);
  }
}

/** Prefix of every run of a table: `data/batch/<table>/`. */
export function tablePrefix(catalog: Catalog, table: TableName): string {
  assertTable(catalog, table, table);
  return `${BATCH_PREFIX}${table}/`;
}

/** The folder of one run of a table. */
export function buildRunFolder(catalog: Catalog, table: TableName, runAt: Date): string {
  return `${tablePrefix(catalog, table)}${partitionPath(runAt)}`;
}

/** The key of one CSV part of a run. */
export function buildPartKey(catalog: Catalog, location: PartLocation): string {
  const { table, runAt, part } = location;
  if (!Number.isSafeInteger(part) || part < 0) {
    throw new LakeKeyError(String(part), 'the part number must be a whole number from 0');
  }
  return `${buildRunFolder(catalog, table, runAt)}${table}_part${part}.csv`;
}

/** The key of a run's manifest, written last: the run's commit marker. */
export function buildManifestKey(catalog: Catalog, table: TableName, runAt: Date): string {
  return `${buildRunFolder(catalog, table, runAt)}${MANIFEST_FILE}`;
}

const PARTITION = String.raw`year=(\d{4})/month=(\d{2})/day=(\d{2})/hhmm=(\d{4})/`;
const RUN_FOLDER_RE = new RegExp(`^data/batch/([a-z_]+)/${PARTITION}$`);
const PART_RE = new RegExp(String.raw`^data/batch/([a-z_]+)/${PARTITION}([a-z_]+)_part(0|[1-9]\d{0,8})\.csv$`);
const MANIFEST_RE = new RegExp(String.raw`^data/batch/([a-z_]+)/${PARTITION}_manifest\.json$`);
const STREAMING_RE = new RegExp(`^data/streaming/([a-z_][a-z0-9_]{0,62})/${PARTITION}([A-Za-z0-9._-]+)$`);

/** Parses partition folder values back into a time, refusing impossible dates. */
export function parsePartitionTime(p: PartitionTime, key: string): Date {
  const at = partitionDate(p);
  if (!at) throw new LakeKeyError(key, notARealTime(p));
  return at;
}

const notARealTime = (p: PartitionTime) =>
  `year=${p.year}/month=${p.month}/day=${p.day}/hhmm=${p.hhmm} is not a real UTC time`;

/** The time partition folder values name, or undefined when no such UTC time exists. */
function partitionDate(p: PartitionTime): Date | undefined {
  const year = Number(p.year);
  const month = Number(p.month);
  const day = Number(p.day);
  const hours = Number(p.hhmm.slice(0, 2));
  const minutes = Number(p.hhmm.slice(2, 4));
  const at = new Date(Date.UTC(year, month - 1, day, hours, minutes));
  const valid =
    month >= 1 &&
    month <= 12 &&
    hours <= 23 &&
    minutes <= 59 &&
    at.getUTCFullYear() === year &&
    at.getUTCMonth() === month - 1 &&
    at.getUTCDate() === day;
  return valid ? at : undefined;
}

function matchPartition(m: RegExpExecArray, key: string): Date {
  const [, , year, month, day, hhmm] = m as unknown as [string, string, string, string, string, string];
  return parsePartitionTime({ year, month, day, hhmm }, key);
}

/** Parses a run folder key (with its trailing slash). */
export function parseRunFolder(catalog: Catalog, key: string): { table: TableName; runAt: Date } {
  const m = RUN_FOLDER_RE.exec(key);
  if (!m) throw new LakeKeyError(key, 'not a batch run folder');
  const table = m[1] as string;
  assertTable(catalog, table, key);
  return { table, runAt: matchPartition(m, key) };
}

/** Parses a batch part key; the inverse of {@link buildPartKey}. */
export function parsePartKey(catalog: Catalog, key: string): PartLocation {
  const m = PART_RE.exec(key);
  if (!m) throw new LakeKeyError(key, 'not a batch part key');
  const table = m[1] as string;
  assertTable(catalog, table, key);
  if (m[6] !== table) throw new LakeKeyError(key, `the file is named for ${m[6]} but sits in ${table}'s folder`);
  return { table, runAt: matchPartition(m, key), part: Number(m[7]) };
}

/** Parses a manifest key; the inverse of {@link buildManifestKey}. */
export function parseManifestKey(catalog: Catalog, key: string): { table: TableName; runAt: Date } {
  const m = MANIFEST_RE.exec(key);
  if (!m) throw new LakeKeyError(key, 'not a batch manifest key');
  const table = m[1] as string;
  assertTable(catalog, table, key);
  return { table, runAt: matchPartition(m, key) };
}

/** The folder Firehose writes a stream's records into for a given arrival time. */
export function buildStreamingFolder(catalog: Catalog, stream: string, arrivedAt: Date): string {
  return `${streamingPrefix(catalog, stream)}${partitionPath(arrivedAt)}`;
}

/**
 * The error folder Firehose writes a stream's failed records into, for an error type such as
 * `processing-failed`.
 */
export function buildStreamingErrorFolder(
  catalog: Catalog,
  stream: string,
  errorType: string,
  arrivedAt: Date,
): string {
  if (!/^[a-z-]+$/.test(errorType)) throw new LakeKeyError(errorType, 'not a Firehose error output type');
  const p = partitionTime(arrivedAt);
  return `${streamingErrorPrefix(catalog, stream)}${errorType}/year=${p.year}/month=${p.month}/day=${p.day}/`;
}

/**
 * Firehose's default object name under a custom prefix:
 * `<stream>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<random>`.
 */
export function buildFirehoseObjectName(streamName: string, version: number, writtenAt: Date, random: string): string {
  const t = writtenAt;
  const stamp = [
    t.getUTCFullYear(),
    t.getUTCMonth() + 1,
    t.getUTCDate(),
    t.getUTCHours(),
    t.getUTCMinutes(),
    t.getUTCSeconds(),
  ]
    .map((n, i) => pad(n, i === 0 ? 4 : 2))
    .join('-');
  return `${streamName}-${version}-${stamp}-${random}`;
}

const STREAMING_FORMAT =
  "Streaming objects look like data/streaming/<stream>/year=YYYY/month=MM/day=DD/hhmm=HHMM/<name> (UTC), <stream> one of the catalog's streams.";

/** Parses a streaming object key into its catalog stream and arrival minute. */
export function parseStreamingKey(
  catalog: Catalog,
  key: string,
): { stream: string; arrivedAt: Date; objectName: string } {
  const m = STREAMING_RE.exec(key);
  if (!m) throw new LakeKeyError(key, 'not a streaming object key', STREAMING_FORMAT);
  const stream = m[1] as string;
  assertStream(catalog, stream, key);
  const objectName = m[6] as string;
  if (objectName.startsWith('.')) throw new LakeKeyError(key, 'hidden object names are not data', STREAMING_FORMAT);
  const [, , year, month, day, hhmm] = m as unknown as [string, string, string, string, string, string];
  const p = { year, month, day, hhmm };
  const arrivedAt = partitionDate(p);
  if (!arrivedAt) throw new LakeKeyError(key, notARealTime(p), STREAMING_FORMAT);
  return { stream, arrivedAt, objectName };
}

/**
 * Window bounds for the sync, `YYYY-MM-DD-HHMM` in UTC (the original system's format).
 * Throws {@link LakeKeyError} on anything else.
 */
export function parseWindowTimestamp(value: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})-(\d{4})$/.exec(value);
  if (!m) throw new LakeKeyError(value, 'a window bound must look like YYYY-MM-DD-HHMM (UTC), e.g. 2026-11-23-1400');
  const [, year, month, day, hhmm] = m as unknown as [string, string, string, string, string];
  return parsePartitionTime({ year, month, day, hhmm }, value);
}

/** Formats a time as a window bound, `YYYY-MM-DD-HHMM` (UTC). */
export function formatWindowTimestamp(at: Date): string {
  const p = partitionTime(at);
  return `${p.year}-${p.month}-${p.day}-${p.hhmm}`;
}
