import { type ObjectInfo, ObjectNotFoundError, type ObjectStore } from '@insightflow/object-store';
import {
  CLEAN_POINTER_FILE,
  CLEAN_REJECTS_FILE,
  type CleanPointer,
  CleanPointerSchema,
  cleanPointerKey,
  cleanTablePrefix,
  cleanVersionPrefix,
  type TableName,
} from '@insightflow/shared-config';

/** A pointer that is there but cannot be read as one: the table is treated as never published. */
export interface PointerProblem {
  key: string;
  reason: string;
}

/**
 * The clean bucket as a repository: each table's published pointer, its versions' files, and the
 * clean-up of versions no pointer names. Keys come from the clean layout (`shared-config`).
 */
export class CleanStore {
  public constructor(public readonly store: ObjectStore) {}

  public get bucket(): string {
    return this.store.bucket;
  }

  /** The published pointer of a table; undefined when never published (or unreadable: `problems` says why). */
  public async pointer(table: TableName, problems: PointerProblem[] = []): Promise<CleanPointer | undefined> {
    const key = cleanPointerKey(table);
    let text: string;
    try {
      const { body } = await this.store.get(key);
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      text = Buffer.concat(chunks).toString('utf8');
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      problems.push({ key, reason: `not JSON (${(error as Error).message})` });
      return undefined;
    }
    const parsed = CleanPointerSchema.safeParse(json);
    if (!parsed.success) {
      problems.push({ key, reason: parsed.error.issues[0]?.message ?? 'does not fit the pointer schema' });
      return undefined;
    }
    return parsed.data;
  }

  /** Publishes a version: the pointer is the one object a reader resolves, written last and in one PUT. */
  public async publish(pointer: CleanPointer): Promise<void> {
    await this.store.put(
      cleanPointerKey(pointer.table as TableName),
      `${JSON.stringify(pointer, null, 2)}\n`,
      'application/json',
    );
  }

  /** The Parquet files of one version (its rejects object apart), in key order. */
  public async versionFiles(table: TableName, version: string): Promise<ObjectInfo[]> {
    const files: ObjectInfo[] = [];
    for await (const object of this.store.list(cleanVersionPrefix(table, version))) {
      if (object.key.endsWith('.parquet')) files.push(object);
    }
    return files;
  }

  /** Whether a version holds a rejects object. */
  public async hasRejects(table: TableName, version: string): Promise<boolean> {
    return (await this.store.head(`${cleanVersionPrefix(table, version)}${CLEAN_REJECTS_FILE}`)) !== undefined;
  }

  /**
   * Deletes every object of a table except the version `keep` and the pointer: the version a
   * rebuild replaced, and what a build killed before its publish left behind. Returns the count.
   */
  public async removeOtherVersions(table: TableName, keep: string | undefined): Promise<number> {
    const keepPrefix = keep === undefined ? undefined : cleanVersionPrefix(table, keep);
    const pointerKey = `${cleanTablePrefix(table)}${CLEAN_POINTER_FILE}`;
    const stale: string[] = [];
    for await (const object of this.store.list(cleanTablePrefix(table))) {
      if (object.key === pointerKey || (keepPrefix && object.key.startsWith(keepPrefix))) continue;
      stale.push(object.key);
    }
    for (let i = 0; i < stale.length; i += 1000) await this.store.delete(stale.slice(i, i + 1000));
    return stale.length;
  }
}
