import { Lake, LakeDocumentInvalidError, LakeDocumentMissingError } from '@insightflow/lake';
import type { ObjectInfo, ObjectStore } from '@insightflow/object-store';
import {
  type Catalog,
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
 * clean-up of versions no pointer names. Keys come from the clean layout (`shared-config`),
 * checked against the catalog the store is opened with.
 */
export class CleanStore {
  /** The clean bucket's JSON documents (the pointers), read and written as the lake's are. */
  private readonly documents: Lake;

  public constructor(
    public readonly store: ObjectStore,
    /** The catalog whose tables the clean layer holds. */
    public readonly catalog: Catalog,
  ) {
    this.documents = new Lake(store, catalog);
  }

  public get bucket(): string {
    return this.store.bucket;
  }

  /** The published pointer of a table; undefined when never published (or unreadable: `problems` says why). */
  public async pointer(table: TableName, problems: PointerProblem[] = []): Promise<CleanPointer | undefined> {
    const key = cleanPointerKey(this.catalog, table);
    try {
      return await this.documents.getJson(key, CleanPointerSchema);
    } catch (error) {
      if (error instanceof LakeDocumentMissingError) return undefined;
      if (error instanceof LakeDocumentInvalidError) {
        problems.push({ key, reason: error.reason });
        return undefined;
      }
      throw error;
    }
  }

  /** Publishes a version: the pointer is the one object a reader resolves, written last and in one PUT. */
  public async publish(pointer: CleanPointer): Promise<void> {
    await this.documents.putJson(cleanPointerKey(this.catalog, pointer.table as TableName), pointer);
  }

  /** The Parquet files of one version (its rejects object apart), in key order. */
  public async versionFiles(table: TableName, version: string): Promise<ObjectInfo[]> {
    const files: ObjectInfo[] = [];
    for await (const object of this.store.list(cleanVersionPrefix(this.catalog, table, version))) {
      if (object.key.endsWith('.parquet')) files.push(object);
    }
    return files;
  }

  /**
   * Deletes every object of a table except the version `keep` and the pointer: the version a
   * rebuild replaced, and what a build killed before its publish left behind. Returns the count.
   */
  public async removeOtherVersions(table: TableName, keep: string | undefined): Promise<number> {
    const keepPrefix = keep === undefined ? undefined : cleanVersionPrefix(this.catalog, table, keep);
    const pointerKey = cleanPointerKey(this.catalog, table);
    const stale: string[] = [];
    for await (const object of this.store.list(cleanTablePrefix(this.catalog, table))) {
      if (object.key === pointerKey || (keepPrefix && object.key.startsWith(keepPrefix))) continue;
      stale.push(object.key);
    }
    for (let i = 0; i < stale.length; i += 1000) await this.store.delete(stale.slice(i, i + 1000));
    return stale.length;
  }
}
