import { KinesisFirehoseRecordSchema } from '@aws-lambda-powertools/parser/schemas';
import type { KinesisFireHoseEvent, KinesisFirehoseRecord } from '@aws-lambda-powertools/parser/types';
import {
  type Catalog,
  partitionTime,
  recordFromJson,
  type StreamSpec,
  type TableSpec,
} from '@insightflow/shared-config';
import type { FirehoseTransformationResult, FirehoseTransformationResultRecord } from 'aws-lambda';
import { z } from 'zod';

/** A Firehose data-transformation event (Powertools parser's type); each record's data is base64. */
export type FirehoseTransformationEvent = KinesisFireHoseEvent;
/** One record of a Firehose transformation event, as received (data still base64). */
export type FirehoseInputRecord = KinesisFirehoseRecord;
/** The response Firehose expects: every input recordId exactly once. */
export type FirehoseTransformationResponse = FirehoseTransformationResult;
/** One record of the response, as {@link transformRecords} makes it: always with its data. */
export type FirehoseOutputRecord = FirehoseTransformationResultRecord & { data: string };

/** What a batch's transformation did, for one log line per batch. */
export interface TransformSummary {
  ok: number;
  dropped: number;
  failed: number;
  /** Failures by reason, with the first few record ids of each. */
  reasons: Record<string, { count: number; recordIds: string[] }>;
  responseBytes: number;
}

/** Firehose refuses a response over 6 MB. */
export const FIREHOSE_RESPONSE_LIMIT = 6_000_000;
const EXAMPLES_PER_REASON = 3;
/** Distinct failure reasons a summary keeps (reasons name values): the rest are counted together. */
const MAX_REASONS = 20;
const OTHER_REASONS = '(other reasons)';

/** The stream a transformation serves: the catalog stream and the table its records become. */
export interface StreamTarget {
  stream: StreamSpec;
  table: TableSpec;
}

/** `catalog`'s stream `name` and its table; throws `UnknownStreamError` for another name. */
export function streamTarget(catalog: Catalog, name: string): StreamTarget {
  const stream = catalog.stream(name);
  return { stream, table: catalog.table(stream.table) };
}

const EventTimeSchema = z.iso.datetime({ offset: false }).describe('an ISO 8601 UTC time such as 2026-11-23T14:05:00Z');

/**
 * The NDJSON line for a row: exactly the table's columns, in catalog order, with the values as
 * given (JSON numbers stay numbers, strings strings); a missing column is null.
 */
export function rowLine(table: TableSpec, row: Readonly<Record<string, unknown>>): string {
  const shaped: Record<string, unknown> = {};
  for (const column of table.columns) shaped[column.name] = row[column.name] ?? null;
  return `${JSON.stringify(shaped)}\n`;
}

type Decoded =
  | { ok: true; row: Record<string, unknown>; key: string | undefined; eventTime: string }
  | { ok: false; reason: string };

function decode(table: TableSpec, keyColumns: readonly number[], record: FirehoseInputRecord): Decoded {
  const base64 = KinesisFirehoseRecordSchema.shape.data.safeParse(record.data);
  if (!base64.success) return { ok: false, reason: 'data is not base64' };
  let value: unknown;
  try {
    value = JSON.parse(base64.data);
  } catch {
    return { ok: false, reason: 'data is not JSON' };
  }
  const checked = recordFromJson(table, value);
  if (!checked.ok) return { ok: false, reason: `${checked.column ?? '(event)'}: ${checked.reason}` };
  const row = value as Record<string, unknown>;
  for (const column of table.columns) {
    const v = row[column.name];
    // JSON.parse reads 1e400 as Infinity, which JSON.stringify would write as null.
    if (typeof v === 'number' && !Number.isFinite(v)) {
      return {
        ok: false,
        reason: `${column.name}: ${column.name} is beyond the range of a JSON number; send it as a string`,
      };
    }
  }
  const eventTime = EventTimeSchema.safeParse(row.event_time);
  if (!eventTime.success) {
    return { ok: false, reason: `event_time: ${eventTime.error.issues[0]?.message ?? 'invalid'}` };
  }
  // The key as the table will hold it (the checked text of each key column), so 5 and "5" are one row.
  const key = keyColumns.length > 0 ? JSON.stringify(keyColumns.map((i) => checked.record[i])) : undefined;
  return { ok: true, row, key, eventTime: eventTime.data };
}

/**
 * Transforms one Firehose batch of a stream whose records become rows of `table`. Every record
 * comes back once: `Ok` with its row as one NDJSON line (the table's columns, in order), `Dropped`
 * when a row with its primary key already appeared earlier in this batch (a keyless table drops
 * nothing), or `ProcessingFailed` (delivered by Firehose to the error prefix) when it is not a
 * JSON object of the table's columns with a valid `event_time` — or when returning it would push
 * the response past Firehose's 6 MB limit. Never throws because of a record.
 */
export function transformRecords(
  table: TableSpec,
  records: readonly FirehoseInputRecord[],
  maxResponseBytes: number = FIREHOSE_RESPONSE_LIMIT,
): { records: FirehoseOutputRecord[]; summary: TransformSummary } {
  const keyColumns = table.primaryKey.map((name) => table.columns.findIndex((c) => c.name === name));
  const seen = new Set<string>();
  const output: FirehoseOutputRecord[] = [];
  const summary: TransformSummary = { ok: 0, dropped: 0, failed: 0, reasons: {}, responseBytes: 16 };

  const fail = (record: FirehoseInputRecord, reason: string) => {
    summary.failed++;
    const kept = reason in summary.reasons || Object.keys(summary.reasons).length < MAX_REASONS;
    const entry = summary.reasons[kept ? reason : OTHER_REASONS] ?? { count: 0, recordIds: [] };
    summary.reasons[kept ? reason : OTHER_REASONS] = entry;
    entry.count++;
    if (entry.recordIds.length < EXAMPLES_PER_REASON) entry.recordIds.push(record.recordId);
    return { recordId: record.recordId, result: 'ProcessingFailed' as const, data: record.data };
  };
  // Size of a record in the JSON response, with its punctuation.
  const sizeOf = (r: FirehoseOutputRecord) => JSON.stringify(r).length + 1;

  for (const record of records) {
    const decoded = decode(table, keyColumns, record);
    let out: FirehoseOutputRecord;
    if (!decoded.ok) {
      out = fail(record, decoded.reason);
    } else if (decoded.key !== undefined && seen.has(decoded.key)) {
      summary.dropped++;
      out = { recordId: record.recordId, result: 'Dropped', data: '' };
    } else {
      if (decoded.key !== undefined) seen.add(decoded.key);
      const p = partitionTime(new Date(decoded.eventTime));
      out = {
        recordId: record.recordId,
        result: 'Ok',
        data: Buffer.from(rowLine(table, decoded.row), 'utf8').toString('base64'),
        metadata: { partitionKeys: { year: p.year, month: p.month, day: p.day, hhmm: p.hhmm } },
      };
      summary.ok++;
    }
    if (summary.responseBytes + sizeOf(out) > maxResponseBytes) {
      if (out.result === 'Ok') {
        summary.ok--;
        const { key } = decoded as { key: string | undefined };
        if (key !== undefined) seen.delete(key);
      } else if (out.result === 'Dropped') summary.dropped--;
      else summary.failed--;
      // Failed records echo their input, so they are never bigger than what came in.
      out = fail(record, 'response would exceed the 6 MB limit (delivered to the error prefix for replay)');
    }
    summary.responseBytes += sizeOf(out);
    output.push(out);
  }
  return { records: output, summary };
}

/**
 * Answers a whole Firehose transformation event of a stream feeding `table` with
 * {@link transformRecords}, without logging: what the Lambda handler does minus its log line,
 * for running the transformation in-process (the CLI's local delivery stream).
 */
export async function transformFirehoseEvent(
  table: TableSpec,
  event: FirehoseTransformationEvent,
  maxResponseBytes: number = FIREHOSE_RESPONSE_LIMIT,
): Promise<FirehoseTransformationResponse> {
  return { records: transformRecords(table, event.records, maxResponseBytes).records };
}
