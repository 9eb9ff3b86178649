import { createHash } from 'node:crypto';
import type { Lake, LakeWindow, Refusal } from '@insightflow/lake';
import type { CleanInput, TableName } from '@insightflow/shared-config';
import { type CleanTableDefinition, cleanSchema } from './cleanDefinition.js';

/** The committed batch run a clean table is built from: the newest, as the sync's snapshot. */
export interface BatchInput {
  manifestKey: string;
  /** The run folder (`…/hhmm=HHMM/`): every part of the run lives here and nothing else but `_` files. */
  folder: string;
  runAt: Date;
  /** The run's CSV header: the catalog's columns when the run was written (a later schema change may differ). */
  columns: readonly string[];
  parts: readonly CleanInput[];
}

/** One streamed object a clean table is built from. */
export interface StreamInput extends CleanInput {
  stream: string;
  arrivedAt: Date;
}

/** Everything a clean table is built from, as the lake holds it now. */
export interface TableInputs {
  table: TableName;
  batch: BatchInput | undefined;
  /** Every object of the catalog streams feeding the table, in delivery (key) order. */
  stream: readonly StreamInput[];
  /** Runs and objects passed over (a key or manifest that does not fit the catalog), and why. */
  refused: Refusal[];
}

/**
 * The newest committed run whose parts are all still what its manifest recorded (same ETag): a
 * part overwritten or removed after the commit refuses its run, and the next older run is used,
 * as the sync keeps its snapshot then.
 */
async function newestIntactRun(lake: Lake, table: TableName, refused: Refusal[]) {
  let window: LakeWindow | undefined;
  for (;;) {
    const run = await lake.newestCommittedRun(table, window, refused);
    if (!run) return undefined;
    const folder = run.manifestKey.slice(0, run.manifestKey.lastIndexOf('/') + 1);
    const stored = new Map<string, string>();
    for await (const object of lake.store.list(folder)) stored.set(object.key, object.etag);
    const changed = run.manifest.parts.find((p) => stored.get(p.key) !== p.etag.replaceAll('"', ''));
    if (!changed) return run;
    refused.push({
      key: changed.key,
      reason: stored.has(changed.key)
        ? `its ETag is not the one its run's manifest recorded (${changed.etag}): the part was overwritten after the run was committed`
        : "it is listed in its run's manifest but missing",
    });
    window = { until: new Date(run.runAt.getTime() - 60_000) };
  }
}

/**
 * The committed raw inputs of one table: its newest valid run and the objects of the streams the
 * lake's catalog feeds it from.
 */
export async function tableInputs(lake: Lake, table: TableName): Promise<TableInputs> {
  const refused: Refusal[] = [];
  const run = await newestIntactRun(lake, table, refused);
  const streams = lake.catalog.streams.filter((s) => s.table === table);
  const stream: StreamInput[] = [];
  for (const s of streams) {
    for (const object of await lake.streamingObjects(s.name, undefined, refused)) {
      stream.push({ stream: s.name, key: object.key, etag: object.etag, arrivedAt: object.arrivedAt });
    }
  }
  stream.sort((a, b) => a.key.localeCompare(b.key));
  const batch: BatchInput | undefined = run && {
    manifestKey: run.manifestKey,
    folder: run.manifestKey.slice(0, run.manifestKey.lastIndexOf('/') + 1),
    runAt: run.runAt,
    columns: run.manifest.columns,
    parts: run.manifest.parts.map((p) => ({ key: p.key, etag: p.etag })),
  };
  return { table, batch, stream, refused };
}

/** Every input object, batch parts first: what a pointer records. */
export function inputList(inputs: TableInputs): CleanInput[] {
  return [...(inputs.batch?.parts ?? []), ...inputs.stream.map(({ key, etag }) => ({ key, etag }))];
}

/** True when the table has nothing to build from. */
export function hasNoInputs(inputs: TableInputs): boolean {
  return inputs.batch === undefined && inputs.stream.length === 0;
}

/**
 * What a clean version is a function of: the table's definition (columns, types, key,
 * partitions) and every input's key and ETag. Equal fingerprints: nothing to rebuild.
 */
export function inputFingerprint(definition: CleanTableDefinition, inputs: TableInputs): string {
  const document = {
    schema: cleanSchema(definition),
    primaryKey: definition.primaryKey,
    partitionBy: definition.partitionBy,
    runColumns: inputs.batch?.columns ?? [],
    inputs: inputList(inputs),
  };
  return createHash('sha256').update(JSON.stringify(document)).digest('hex');
}
