import type { Readable } from 'node:stream';

/** An object's identity as the store reports it. */
export interface ObjectInfo {
  key: string;
  /** The entity tag, quotes removed. Changes whenever the bytes do. */
  etag: string;
  size: number;
  lastModified?: Date | undefined;
}

/**
 * The ObjectStore port: one bucket, the few operations InsightFlow needs. The S3 adapter serves
 * both AWS and the local S3 API server.
 */
export interface ObjectStore {
  readonly bucket: string;
  /** Writes a small object in one request. */
  put(key: string, body: string | Buffer, contentType?: string): Promise<ObjectInfo>;
  /**
   * Streams a body of unknown length into an object, in parts as it arrives (multipart upload).
   * Aborting the signal abandons the upload; nothing becomes visible.
   */
  upload(key: string, body: Readable, options?: { contentType?: string; signal?: AbortSignal }): Promise<ObjectInfo>;
  /** Opens an object for streaming; throws {@link ObjectNotFoundError} when it is missing. */
  get(key: string): Promise<{ body: Readable; info: ObjectInfo }>;
  /** The object's identity, or undefined when it does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Every object under a prefix, in key order, page by page. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Copies an object within the bucket, server-side. */
  copy(fromKey: string, toKey: string): Promise<ObjectInfo>;
  /** Deletes objects (missing ones are fine). */
  delete(keys: readonly string[]): Promise<void>;
}
