import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ErrorKind } from '@insightflow/shared-config';
import { ObjectNotFoundError, ObjectStoreError } from '../errors.js';
import type { ObjectInfo, ObjectStore } from '../objectStore.js';

const unquote = (etag: string | undefined): string => (etag ?? '').replaceAll('"', '');

/** S3 answers worth retrying: throttling and server-side faults. */
function isRetryable(error: unknown): boolean {
  if (error instanceof S3ServiceException)
    return error.$retryable !== undefined || (error.$metadata.httpStatusCode ?? 0) >= 500;
  return (error as { code?: string }).code === 'ECONNREFUSED' || (error as { code?: string }).code === 'ECONNRESET';
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

/** The ObjectStore port over S3 (AWS or an S3-compatible local server). */
export class S3ObjectStore implements ObjectStore {
  public constructor(
    private readonly s3: S3Client,
    public readonly bucket: string,
    /** Part size for multipart uploads: 8 MiB keeps memory small and parts well under limits. */
    private readonly partSize = 8 * 1024 * 1024,
  ) {}

  private fail(action: string, key: string, error: unknown): ObjectStoreError {
    const kind = isRetryable(error) ? ErrorKind.retryable : ErrorKind.terminal;
    return new ObjectStoreError(`Could not ${action} s3://${this.bucket}/${key}: ${(error as Error).message}`, {
      cause: error,
      kind,
      bucket: this.bucket,
    });
  }

  public async put(key: string, body: string | Buffer, contentType?: string): Promise<ObjectInfo> {
    try {
      const result = await this.s3.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
      );
      return { key, etag: unquote(result.ETag), size: Buffer.byteLength(body) };
    } catch (error) {
      throw this.fail('write', key, error);
    }
  }

  public async upload(
    key: string,
    body: Readable,
    options: { contentType?: string; signal?: AbortSignal } = {},
  ): Promise<ObjectInfo> {
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentType: options.contentType },
      partSize: this.partSize,
      queueSize: 2,
      leavePartsOnError: false,
    });
    const onAbort = () => void upload.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await upload.done();
      const head = await this.head(key);
      return { key, etag: unquote(result.ETag), size: head?.size ?? 0 };
    } catch (error) {
      throw this.fail('upload', key, error);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  public async get(key: string): Promise<{ body: Readable; info: ObjectInfo }> {
    try {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        body: result.Body as Readable,
        info: { key, etag: unquote(result.ETag), size: result.ContentLength ?? 0, lastModified: result.LastModified },
      };
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(this.bucket, key);
      throw this.fail('read', key, error);
    }
  }

  public async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const result = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, etag: unquote(result.ETag), size: result.ContentLength ?? 0, lastModified: result.LastModified };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.fail('inspect', key, error);
    }
  }

  public async *list(prefix: string): AsyncIterable<ObjectInfo> {
    try {
      for await (const page of paginateListObjectsV2({ client: this.s3 }, { Bucket: this.bucket, Prefix: prefix })) {
        for (const object of page.Contents ?? []) {
          if (!object.Key) continue;
          yield {
            key: object.Key,
            etag: unquote(object.ETag),
            size: object.Size ?? 0,
            lastModified: object.LastModified,
          };
        }
      }
    } catch (error) {
      throw this.fail('list', prefix, error);
    }
  }

  public async copy(fromKey: string, toKey: string): Promise<ObjectInfo> {
    try {
      const result = await this.s3.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: toKey,
          // URL-encoded as S3 expects; `?` and `#` would otherwise end the path.
          CopySource: encodeURI(`${this.bucket}/${fromKey}`).replaceAll('?', '%3F').replaceAll('#', '%23'),
        }),
      );
      const head = await this.head(toKey);
      return { key: toKey, etag: unquote(result.CopyObjectResult?.ETag), size: head?.size ?? 0 };
    } catch (error) {
      throw this.fail(`copy s3://${this.bucket}/${fromKey} to`, toKey, error);
    }
  }

  public async delete(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += 1000) {
      const batch = keys.slice(start, start + 1000);
      try {
        await this.s3.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      } catch (error) {
        throw this.fail('delete objects under', batch[0] ?? '', error);
      }
    }
  }
}
