import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { startTestS3, type TestS3 } from '@insightflow/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectNotFoundError, S3ObjectStore } from '../../src/index.js';

async function text(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('Adapter: S3ObjectStore (real S3 API server)', () => {
  let s3: TestS3;
  let store: S3ObjectStore;

  beforeAll(async () => {
    s3 = await startTestS3();
    store = new S3ObjectStore(s3.client, 'insightflow-raw-bucket', 5 * 1024 * 1024);
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('streams a multipart upload of unknown length and reads it back byte for byte', async () => {
    const bytes = randomBytes(12 * 1024 * 1024 + 3);
    const chunks = Array.from({ length: 13 }, (_, i) => bytes.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024));
    const info = await store.upload('big/object.bin', Readable.from(chunks));
    expect(info.size).toBe(bytes.length);
    const { body, info: read } = await store.get('big/object.bin');
    expect((await text(body)).equals(bytes)).toBe(true);
    expect(read.etag).toBe(info.etag);
  });

  it('lists every key under a prefix across pages, in order', async () => {
    const keys = Array.from({ length: 1205 }, (_, i) => `many/${String(i).padStart(5, '0')}.csv`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, 'x')));
    }
    const listed: string[] = [];
    for await (const o of store.list('many/')) listed.push(o.key);
    expect(listed).toEqual(keys);
  });

  it('copies server-side, keys with spaces, commas, accents and = included, and deletes in batches', async () => {
    await store.put('src/year=2026/été, "quoted" file.csv', 'a,b\n1,2\n');
    await store.copy('src/year=2026/été, "quoted" file.csv', 'dst/copied.csv');
    await store.put('src/été.csv', 'ü');
    expect((await text((await store.get('src/été.csv')).body)).toString()).toBe('ü');
    expect((await text((await store.get('dst/copied.csv')).body)).toString()).toBe('a,b\n1,2\n');
    const keys: string[] = [];
    for await (const o of store.list('many/')) keys.push(o.key);
    await store.delete(keys);
    const left: string[] = [];
    for await (const o of store.list('many/')) left.push(o.key);
    expect(left).toEqual([]);
  });

  it('reports a missing object as not found, and head as undefined', async () => {
    await expect(store.get('nope/missing.csv')).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(await store.head('nope/missing.csv')).toBeUndefined();
  });

  it('leaves nothing visible when an upload is aborted', async () => {
    const controller = new AbortController();
    const body = new Readable({ read() {} });
    const pending = store.upload('aborted/part.csv', body, { signal: controller.signal });
    body.push(randomBytes(6 * 1024 * 1024));
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toThrow();
    expect(await store.head('aborted/part.csv')).toBeUndefined();
  });
});
