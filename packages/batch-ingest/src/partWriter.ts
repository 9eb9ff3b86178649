import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Lake } from '@insightflow/lake';
import type { ManifestPart, TableName } from '@insightflow/shared-config';
import type { WarehouseRow } from '@insightflow/warehouse';
import { stringify } from 'csv-stringify/sync';

/**
 * RFC 4180 CSV as the lake writes it: NULL is an empty field and an empty string is `""`, so
 * the two stay distinct (the same convention as Snowflake's and DuckDB's unloads).
 */
export function formatCsv(rows: readonly (readonly unknown[])[]): string {
  return stringify(rows as unknown[][], { quoted_match: /^$/, cast: { bigint: (v) => v.toString() } });
}

/** One part being written: the stream the upload reads, and what has gone into it. */
interface OpenPart {
  key: string;
  stream: PassThrough;
  upload: Promise<{ etag: string }>;
  hash: ReturnType<typeof createHash>;
  rows: number;
  bytes: number;
}

/** What {@link writeCsvParts} needs. */
export interface WriteCsvPartsOptions {
  /** The raw bucket's lake: it names the parts and holds them. */
  lake: Lake;
  table: TableName;
  runAt: Date;
  columns: readonly string[];
  /**
   * CSV lines in batches, one single-column row each (the warehouse renders them: see
   * `exportLinesSql`); the next batch is pulled only when the current one has been written.
   */
  batches: AsyncIterable<readonly WarehouseRow[]>;
  /** Rows per part; the last part holds the rest. */
  batchSize: number;
  /** Aborting abandons the open upload. */
  signal?: AbortSignal;
  onPart?: (part: ManifestPart) => void;
}

/** A batch of single-column rows, each a CSV line, as the text of those lines. */
function joinLines(rows: readonly WarehouseRow[]): string {
  let text = '';
  for (const row of rows) text += `${row[0] as string}\n`;
  return text;
}

/**
 * Writes CSV lines as parts `<table>_part<N>.csv` (N from 0, each with the header), uploading each
 * part while it is produced. Memory is bounded by the upload's part buffers, whatever the table's
 * size. Returns the parts in order.
 */
export async function writeCsvParts(options: WriteCsvPartsOptions): Promise<ManifestPart[]> {
  const { lake, table, runAt, columns, batchSize } = options;
  const header = formatCsv([columns]);
  const parts: ManifestPart[] = [];
  let open: OpenPart | undefined;

  const write = async (part: OpenPart, text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    part.hash.update(bytes);
    part.bytes += bytes.length;
    // once() rejects if the stream errors (a failed upload destroys it), so this never hangs.
    if (!part.stream.write(bytes)) await once(part.stream, 'drain');
  };

  const openPart = async (): Promise<OpenPart> => {
    const key = lake.partKey(table, runAt, parts.length);
    const stream = new PassThrough();
    const upload = lake.store.upload(key, stream, {
      contentType: 'text/csv; charset=utf-8',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    upload.catch((error: unknown) => stream.destroy(error as Error));
    const part: OpenPart = { key, stream, upload, hash: createHash('sha256'), rows: 0, bytes: 0 };
    await write(part, header);
    return part;
  };

  const closePart = async (part: OpenPart) => {
    part.stream.end();
    const { etag } = await part.upload;
    const done: ManifestPart = {
      key: part.key,
      rows: part.rows,
      bytes: part.bytes,
      etag,
      sha256: part.hash.digest('hex'),
    };
    parts.push(done);
    options.onPart?.(done);
  };

  try {
    for await (const batch of options.batches) {
      let offset = 0;
      while (offset < batch.length) {
        open ??= await openPart();
        const take = Math.min(batchSize - open.rows, batch.length - offset);
        await write(open, joinLines(batch.slice(offset, offset + take)));
        open.rows += take;
        offset += take;
        if (open.rows === batchSize) {
          await closePart(open);
          open = undefined;
        }
      }
    }
    if (open) await closePart(open);
    return parts;
  } catch (error) {
    open?.stream.destroy(error as Error);
    await open?.upload.catch(() => undefined);
    throw error;
  }
}
