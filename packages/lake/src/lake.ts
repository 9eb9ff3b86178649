import { type ObjectInfo, ObjectNotFoundError, type ObjectStore } from '@insightflow/object-store';
import {
  buildFirehoseObjectName,
  buildManifestKey,
  buildPartKey,
  buildRunFolder,
  buildStreamingErrorFolder,
  buildStreamingFolder,
  type Catalog,
  LakeKeyError,
  MANIFEST_FILE,
  parseManifestKey,
  parsePartKey,
  parseStreamingKey,
  type RunManifest,
  runManifestSchema,
  streamingErrorPrefix,
  streamingPrefix,
  type TableName,
  tablePrefix,
} from '@insightflow/shared-config';
import type { z } from 'zod';
import { LakeDocumentInvalidError, LakeDocumentMissingError, RunRefusedError } from './errors.js';
import { isInWindow, type LakeWindow } from './lakeWindow.js';

/** An object whose key or manifest does not fit the catalog, and why: collected, never thrown. */
export interface Refusal {
  key: string;
  reason: string;
}

/** A committed batch run: its manifest, checked, and where it lives. */
export interface CommittedRun {
  manifest: RunManifest;
  manifestKey: string;
  /** The run's partition minute (UTC), from its key. */
  runAt: Date;
}

/** A streaming object Firehose delivered, and the minute it arrived (UTC, from its key). */
export interface StreamingObject {
  /** The catalog stream it was delivered on (from its key). */
  stream: string;
  key: string;
  /** The entity tag, quotes removed: what the sync's ledger records. */
  etag: string;
  size: number;
  arrivedAt: Date;
}

/** Counts of one table's batch folder: manifests, and every other object (parts, scratch, leftovers). */
export interface BatchFolderCounts {
  committedRuns: number;
  objects: number;
}

/** Counts of one stream's prefixes: delivered objects and error objects. */
export interface StreamingCounts {
  objects: number;
  errorObjects: number;
}

/** What `insightflow status` shows of the lake. */
export interface LakeSummary {
  bucket: string;
  /** Per table asked for. */
  batch: Record<string, BatchFolderCounts>;
  /** Totals over the streams asked for, and per stream. */
  streaming: StreamingCounts & { streams: Record<string, StreamingCounts> };
}

/** The scratch folder inside a run folder, where a warehouse unloads before parts get their names. */
const SCRATCH_FOLDER = '_unload/';

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The first complaint of a failed parse, as the refusals and errors word it. */
function firstIssue(error: z.ZodError): string {
  return error.issues[0]?.message ?? 'does not fit the schema';
}

/**
 * The part of a manifest that is not a part of its own run — in another folder, of another
 * table, or not a part key at all — or undefined when every part belongs.
 */
function foreignPart(catalog: Catalog, manifest: RunManifest, table: TableName, manifestKey: string) {
  const folder = manifestKey.slice(0, -MANIFEST_FILE.length);
  return manifest.parts.find((part) => {
    try {
      const location = parsePartKey(catalog, part.key);
      return location.table !== table || !part.key.startsWith(folder) || manifest.table !== table;
    } catch {
      return true;
    }
  });
}

/**
 * The lake as a repository over the ObjectStore port: where batch runs are written and
 * committed, how readers find committed runs and streaming objects, and JSON documents read
 * with a schema. Keys come from the lake layout (`@insightflow/shared-config`), checked against
 * the catalog the lake is opened with; callers never build or parse them.
 */
export class Lake {
  /** The manifest schema of this catalog's runs: a manifest of another table is refused. */
  private readonly manifestSchema: ReturnType<typeof runManifestSchema>;

  public constructor(
    /** The raw bucket. Exposed for streaming a part's bytes (`store.get`). */
    public readonly store: ObjectStore,
    /** The catalog whose tables and streams the lake's keys name. */
    public readonly catalog: Catalog,
  ) {
    this.manifestSchema = runManifestSchema(catalog);
  }

  /** The raw bucket's name. */
  public get bucket(): string {
    return this.store.bucket;
  }

  // ── JSON documents ────────────────────────────────────────────────────────────────────────

  private async parseAt<T>(key: string, schema: z.ZodType<T>): Promise<Parsed<T>> {
    const { body } = await this.store.get(key);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    let json: unknown;
    try {
      json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (error) {
      return { ok: false, reason: `not JSON (${(error as Error).message})` };
    }
    const parsed = schema.safeParse(json);
    return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: firstIssue(parsed.error) };
  }

  /**
   * Reads a JSON document and checks it against a schema. Throws {@link LakeDocumentMissingError}
   * or {@link LakeDocumentInvalidError}, both naming the key; store failures pass through.
   */
  public async getJson<T>(key: string, schema: z.ZodType<T>): Promise<T> {
    let parsed: Parsed<T>;
    try {
      parsed = await this.parseAt(key, schema);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) throw new LakeDocumentMissingError(this.bucket, key);
      throw error;
    }
    if (!parsed.ok) throw new LakeDocumentInvalidError(this.bucket, key, parsed.reason);
    return parsed.value;
  }

  /**
   * As {@link getJson}, but undefined when the object does not exist. Asks HEAD first, so a
   * missing document costs no failed GET (and reads as absent, not as an error).
   */
  public async getJsonIfExists<T>(key: string, schema: z.ZodType<T>): Promise<T | undefined> {
    if (!(await this.store.head(key))) return undefined;
    return this.getJson(key, schema);
  }

  /** Writes a value as an indented JSON document (`application/json`). */
  public async putJson(key: string, value: unknown): Promise<ObjectInfo> {
    return this.store.put(key, `${JSON.stringify(value, null, 2)}\n`, 'application/json');
  }

  // ── Streaming objects: where Firehose writes ──────────────────────────────────────────────

  /**
   * The key of an object Firehose writes for catalog stream `stream`: the stream's folder for its
   * oldest record's arrival, the name from the delivery stream's name (`deliveryStreamName`),
   * the time of writing and a random tail.
   */
  public streamingObjectKey(
    stream: string,
    deliveryStreamName: string,
    arrivedAt: Date,
    writtenAt: Date,
    random: string,
  ): string {
    return `${buildStreamingFolder(this.catalog, stream, arrivedAt)}${buildFirehoseObjectName(deliveryStreamName, 1, writtenAt, random)}`;
  }

  /** The key of an object of a stream's records Firehose could not deliver (`processing-failed`, …). */
  public streamingErrorKey(
    stream: string,
    errorType: string,
    deliveryStreamName: string,
    arrivedAt: Date,
    writtenAt: Date,
    random: string,
  ): string {
    return `${buildStreamingErrorFolder(this.catalog, stream, errorType, arrivedAt)}${buildFirehoseObjectName(deliveryStreamName, 1, writtenAt, random)}`;
  }

  // ── Batch runs: the writer's side ─────────────────────────────────────────────────────────

  /** The folder of one run of a table (with its trailing slash). */
  public runFolder(table: TableName, runAt: Date): string {
    return buildRunFolder(this.catalog, table, runAt);
  }

  /** The key of a run's manifest: its commit marker. */
  public manifestKey(table: TableName, runAt: Date): string {
    return buildManifestKey(this.catalog, table, runAt);
  }

  /** The key of part `part` (from 0) of a run. */
  public partKey(table: TableName, runAt: Date, part: number): string {
    return buildPartKey(this.catalog, { table, runAt, part });
  }

  /** The run's scratch folder (`_unload/`), where a warehouse writes files before they become parts. */
  public scratchPrefix(table: TableName, runAt: Date): string {
    return `${this.runFolder(table, runAt)}${SCRATCH_FOLDER}`;
  }

  /**
   * The manifest of a committed run, or undefined when the run has not been committed.
   * Throws {@link LakeDocumentInvalidError} when the manifest there is not a valid one.
   */
  public async committedRun(table: TableName, runAt: Date): Promise<RunManifest | undefined> {
    return this.getJsonIfExists(this.manifestKey(table, runAt), this.manifestSchema);
  }

  private async keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const object of this.store.list(prefix)) keys.push(object.key);
    return keys;
  }

  private async deleteUnder(prefix: string): Promise<void> {
    await this.store.delete(await this.keysUnder(prefix));
  }

  /**
   * Prepares a run folder for writing: removes what an earlier, uncommitted attempt left
   * (parts, scratch). Readers ignore those already; a new attempt must not mix with them.
   * Throws {@link RunRefusedError}, deleting nothing, when the run is already committed.
   */
  public async beginRun(table: TableName, runAt: Date): Promise<void> {
    const folder = this.runFolder(table, runAt);
    const manifestKey = this.manifestKey(table, runAt);
    const keys = await this.keysUnder(folder);
    if (keys.includes(manifestKey)) throw new RunRefusedError(manifestKey, 'the run is already committed');
    await this.store.delete(keys);
  }

  /**
   * Commits a run by writing its manifest, last: until then readers do not see the run. Refuses
   * a manifest that lists a part outside its own run folder or of another table.
   */
  public async commitRun(manifest: RunManifest): Promise<{ manifestKey: string }> {
    const checked = this.manifestSchema.parse(manifest);
    const manifestKey = this.manifestKey(checked.table, new Date(checked.runAt));
    const foreign = foreignPart(this.catalog, checked, checked.table, manifestKey);
    if (foreign) {
      throw new RunRefusedError(
        manifestKey,
        `it lists ${JSON.stringify(foreign.key)}, which is not a part of this run`,
      );
    }
    await this.putJson(manifestKey, checked);
    return { manifestKey };
  }

  /** Removes a run's scratch folder (`_unload/`) once its files have become parts. */
  public async clearScratch(table: TableName, runAt: Date): Promise<void> {
    await this.deleteUnder(this.scratchPrefix(table, runAt));
  }

  /** Removes a failed attempt's parts and scratch: everything in the run folder. */
  public async abandonRun(table: TableName, runAt: Date): Promise<void> {
    await this.deleteUnder(this.runFolder(table, runAt));
  }

  // ── The readers' side ─────────────────────────────────────────────────────────────────────

  /**
   * Every committed run of a table (by manifest key; manifests are not read), newest first,
   * within the window when one is given. A manifest-named key that does not fit the layout is
   * recorded in `refused`.
   */
  public async committedRuns(
    table: TableName,
    window?: LakeWindow,
    refused: Refusal[] = [],
  ): Promise<{ runAt: Date; manifestKey: string }[]> {
    const runs: { runAt: Date; manifestKey: string }[] = [];
    for await (const object of this.store.list(tablePrefix(this.catalog, table))) {
      if (!object.key.endsWith(`/${MANIFEST_FILE}`)) continue;
      try {
        const { runAt } = parseManifestKey(this.catalog, object.key);
        if (isInWindow(runAt, window)) runs.push({ runAt, manifestKey: object.key });
      } catch (error) {
        refused.push({ key: object.key, reason: (error as Error).message });
      }
    }
    return runs.sort((a, b) => b.runAt.getTime() - a.runAt.getTime());
  }

  /**
   * Reads and checks one committed run's manifest: it fits the manifest schema, is for this
   * table, and lists only parts of this table inside this run's folder. Undefined (and the
   * reason recorded in `refused`) when it does not.
   */
  private async validRun(
    table: TableName,
    run: { runAt: Date; manifestKey: string },
    refused: Refusal[],
  ): Promise<CommittedRun | undefined> {
    const parsed = await this.parseAt(run.manifestKey, this.manifestSchema);
    if (!parsed.ok) {
      refused.push({ key: run.manifestKey, reason: `not a valid run manifest: ${parsed.reason}` });
      return undefined;
    }
    const foreign = foreignPart(this.catalog, parsed.value, table, run.manifestKey);
    if (foreign) {
      refused.push({
        key: run.manifestKey,
        reason: `lists ${JSON.stringify(foreign.key)}, which is not a part of this run`,
      });
      return undefined;
    }
    return { manifest: parsed.value, manifestKey: run.manifestKey, runAt: run.runAt };
  }

  /**
   * The newest committed run of a table within the window whose manifest is valid (see
   * {@link validRun}). Each run passed over is recorded in `refused`, with the reason.
   */
  public async newestCommittedRun(
    table: TableName,
    window: LakeWindow | undefined,
    refused: Refusal[],
  ): Promise<CommittedRun | undefined> {
    for (const run of await this.committedRuns(table, window, refused)) {
      const valid = await this.validRun(table, run, refused);
      if (valid) return valid;
    }
    return undefined;
  }

  /**
   * What a reader of an incrementally loaded table applies: the newest valid snapshot run within
   * the window, and every valid increment committed after it, oldest first (run order). Without
   * a snapshot in the window, `snapshot` is undefined and `increments` holds every increment in
   * it. For a `replace` table (every run a snapshot) this is the newest run and no increments.
   * Invalid manifests are passed over and recorded in `refused`, as {@link newestCommittedRun}.
   */
  public async runsSinceSnapshot(
    table: TableName,
    window: LakeWindow | undefined,
    refused: Refusal[],
  ): Promise<{ snapshot: CommittedRun | undefined; increments: CommittedRun[] }> {
    const increments: CommittedRun[] = [];
    for (const run of await this.committedRuns(table, window, refused)) {
      const valid = await this.validRun(table, run, refused);
      if (!valid) continue;
      if (valid.manifest.kind === 'snapshot') return { snapshot: valid, increments: increments.reverse() };
      increments.push(valid);
    }
    return { snapshot: undefined, increments: increments.reverse() };
  }

  /**
   * One catalog stream's objects within the window, sorted by key (delivery order). A key under
   * the stream's prefix that is not a streaming object's — hostile, hidden or an impossible
   * date — is recorded in `refused`.
   */
  public async streamingObjects(
    stream: string,
    window: LakeWindow | undefined,
    refused: Refusal[],
  ): Promise<StreamingObject[]> {
    const objects: StreamingObject[] = [];
    for await (const object of this.store.list(streamingPrefix(this.catalog, stream))) {
      try {
        const { arrivedAt } = parseStreamingKey(this.catalog, object.key);
        if (isInWindow(arrivedAt, window))
          objects.push({ stream, key: object.key, etag: object.etag, size: object.size, arrivedAt });
      } catch (error) {
        if (error instanceof LakeKeyError) refused.push({ key: object.key, reason: error.message });
        else throw error;
      }
    }
    return objects.sort((a, b) => a.key.localeCompare(b.key));
  }

  /** Objects under a prefix, split into manifests and the rest, in one listing. */
  private async countUnder(prefix: string): Promise<{ manifests: number; others: number }> {
    const counts = { manifests: 0, others: 0 };
    for await (const object of this.store.list(prefix)) {
      if (object.key.endsWith(`/${MANIFEST_FILE}`)) counts.manifests++;
      else counts.others++;
    }
    return counts;
  }

  /**
   * What the lake holds, one listing per prefix: per table its manifests (committed runs) and
   * other objects, then per catalog stream its objects and error objects, and their totals.
   * Store failures (an unreachable server, a missing bucket) pass through.
   */
  public async summary(tables: readonly TableName[], streams: readonly string[] = []): Promise<LakeSummary> {
    const batch: LakeSummary['batch'] = {};
    for (const table of tables) {
      const counts = await this.countUnder(tablePrefix(this.catalog, table));
      batch[table] = { committedRuns: counts.manifests, objects: counts.others };
    }
    const streaming: LakeSummary['streaming'] = { objects: 0, errorObjects: 0, streams: {} };
    for (const stream of streams) {
      const delivered = await this.countUnder(streamingPrefix(this.catalog, stream));
      const errors = await this.countUnder(streamingErrorPrefix(this.catalog, stream));
      const counts = {
        objects: delivered.manifests + delivered.others,
        errorObjects: errors.manifests + errors.others,
      };
      streaming.streams[stream] = counts;
      streaming.objects += counts.objects;
      streaming.errorObjects += counts.errorObjects;
    }
    return { bucket: this.bucket, batch, streaming };
  }
}
