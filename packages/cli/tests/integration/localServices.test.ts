import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { isProcessAlive, localKinesisClient } from '@insightflow/local-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusResultSchema } from '../../src/index.js';
import { makeTempHome, parseExports, runCli } from '../helpers/runCli.js';

/** psql is the user's tool in the acceptance steps; the test needs it, and says how to get it. */
function requirePsql(): void {
  if (spawnSync('psql', ['--version']).status !== 0) {
    throw new Error('psql is not installed: run `apt-get install -y postgresql-client` (CI: .ci/run installs it)');
  }
}

describe('Command: insightflow up / env / status / down (real S3 API server and PostgreSQL)', () => {
  let home: string;
  let env: Record<string, string>;
  let pids: number[];

  beforeAll(async () => {
    requirePsql();
    home = await makeTempHome();
    const up = await runCli(['--home', home, 'up', '--json']);
    expect(up.code, up.stderr).toBe(0);
    pids = JSON.parse(up.stdout).pids;
    const printed = await runCli(['--home', home, 'env']);
    expect(printed.code, printed.stderr).toBe(0);
    env = parseExports(printed.stdout);
  });

  afterAll(async () => {
    if (home) await runCli(['--home', home, 'down']);
  });

  it('prints every variable psql and the AWS SDKs need', () => {
    expect(Object.keys(env).sort()).toEqual(
      expect.arrayContaining([
        'AWS_ACCESS_KEY_ID',
        'AWS_REGION',
        'AWS_SECRET_ACCESS_KEY',
        'CLEAN_BUCKET',
        'DATABASE_URL',
        'KINESIS_ENDPOINT',
        'RAW_BUCKET',
        'S3_ENDPOINT',
        'STAGE_BUCKET',
      ]),
    );
    expect(env.RAW_BUCKET).toBe('insightflow-raw-bucket');
    expect(env.STAGE_BUCKET).toBe('insightflow-stage');
  });

  it('lets a Kinesis client reach the Kinesis API server through KINESIS_ENDPOINT', async () => {
    const kinesis = localKinesisClient(env.KINESIS_ENDPOINT as string);
    const { StreamNames } = await kinesis.send(new ListStreamsCommand({}));
    kinesis.destroy();
    expect(StreamNames).toEqual([]);
  });

  it('lets psql reach PostgreSQL through DATABASE_URL', () => {
    const out = execFileSync('psql', [env.DATABASE_URL as string, '-tAc', 'select 1'], { encoding: 'utf8' });
    expect(out.trim()).toBe('1');
  });

  it('stores a streamed upload byte for byte and lists it across pages of one key', async () => {
    const s3 = new S3Client({
      region: env.AWS_REGION as string,
      endpoint: env.S3_ENDPOINT as string,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
      },
    });
    const bucket = env.RAW_BUCKET as string;
    const body = randomBytes(3 * 1024 * 1024 + 17);
    const keys = ['probe/a.bin', 'probe/b.bin', 'probe/c.bin', 'probe/d.bin'];
    for (const Key of keys) {
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key, Body: Readable.from([body]), ContentLength: body.length }),
      );
    }

    const listed: string[] = [];
    let pages = 0;
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: 'probe/', MaxKeys: 1, ContinuationToken: token }),
      );
      pages++;
      listed.push(...(page.Contents ?? []).map((o) => o.Key as string));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(listed).toEqual(keys);
    expect(pages).toBe(keys.length);

    const read = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'probe/c.bin' }));
    const bytes = Buffer.from(
      await (read.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    expect(bytes.equals(body)).toBe(true);
    s3.destroy();
  });

  it('reports a status that matches the published JSON contract', async () => {
    const status = await runCli(['--home', home, 'status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const parsed = StatusResultSchema.parse(JSON.parse(status.stdout));
    expect(parsed.services.running).toBe(true);
    expect(parsed.services.postgres.reachable).toBe(true);
    expect(parsed.lake?.bucket).toBe('insightflow-raw-bucket');
    expect(parsed.warehouse.orders).toBeNull();
  });

  it('answers `up` again without starting a second set of services', async () => {
    const again = await runCli(['--home', home, 'up', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ started: false, pids });
  });

  it('leaves no process behind after `down`', async () => {
    expect(pids.every(isProcessAlive)).toBe(true);
    const down = await runCli(['--home', home, 'down', '--json']);
    expect(JSON.parse(down.stdout)).toEqual({ stopped: true });
    expect(pids.filter(isProcessAlive)).toEqual([]);
    const after = await runCli(['--home', home, 'status', '--json']);
    expect(StatusResultSchema.parse(JSON.parse(after.stdout)).services.running).toBe(false);
  });
});
