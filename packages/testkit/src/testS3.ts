import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_BUCKETS, type RunningS3Server, startS3Server } from '@insightflow/local-services';
import { s3ClientOptions } from '@insightflow/shared-config';

/** A real S3 API server for one test file, with a client configured for it. */
export interface TestS3 {
  server: RunningS3Server;
  client: S3Client;
  endpoint: string;
  /** Every key under a prefix, in order. */
  listKeys(bucket: string, prefix?: string): Promise<string[]>;
  /** An object's bytes. */
  read(bucket: string, key: string): Promise<Buffer>;
  stop(): Promise<void>;
}

/** A client for the local S3 API server at `endpoint`. */
export function localS3Client(endpoint: string, server: Pick<RunningS3Server, 'credentials'>): S3Client {
  return new S3Client({
    ...s3ClientOptions({ AWS_REGION: 'us-east-1', S3_ENDPOINT: endpoint }),
    credentials: server.credentials,
  });
}

/** Starts an S3 API server with the local buckets in a fresh temporary directory. */
export async function startTestS3(buckets: readonly string[] = LOCAL_BUCKETS): Promise<TestS3> {
  const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-s3-'));
  const server = await startS3Server({ dir, buckets });
  const client = localS3Client(server.endpoint, server);
  return {
    server,
    client,
    endpoint: server.endpoint,
    async listKeys(bucket, prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        keys.push(...(page.Contents ?? []).map((o) => o.Key as string));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    async read(bucket, key) {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = object.Body as { transformToByteArray(): Promise<Uint8Array> };
      return Buffer.from(await body.transformToByteArray());
    },
    async stop() {
      client.destroy();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
