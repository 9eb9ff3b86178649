import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { qualified, rowsOfKind } from '@insightflow/postgres-destination';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DataMovementResultSchema } from '../../src/index.js';
import { makeTempHome, parseExports, runCli } from '../helpers/runCli.js';

const RUN = ['--json', 'run', '--scale', '0.002', '--events', '300'];
const KINESIS = { INSIGHTFLOW_STREAM_SOURCE: 'kinesis' };

/** Every line under the raw bucket's streaming prefix of orders, through the local S3 API server. */
async function streamedLines(env: Record<string, string>): Promise<string[]> {
  const s3 = new S3Client({
    region: env.AWS_REGION as string,
    endpoint: env.S3_ENDPOINT as string,
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID as string, secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string },
  });
  const lines: string[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: env.RAW_BUCKET as string,
          Prefix: 'data/streaming/orders/',
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        const body = await s3.send(
          new GetObjectCommand({ Bucket: env.RAW_BUCKET as string, Key: object.Key as string }),
        );
        lines.push(...((await body.Body?.transformToString()) ?? '').split('\n').filter(Boolean));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } finally {
    s3.destroy();
  }
  return lines;
}

describe('Command: insightflow run with INSIGHTFLOW_STREAM_SOURCE=kinesis (real kinesalite, S3 API server and PostgreSQL)', () => {
  it('verifies every table as the Direct PUT run does, and two runs land their 600 streamed orders exactly once', async () => {
    const direct = await runCli(['--home', await makeTempHome(), ...RUN]);
    expect(direct.code, direct.stderr).toBe(0);
    const viaFirehose = DataMovementResultSchema.parse(JSON.parse(direct.stdout));

    // Under `up`, kinesalite keeps the data stream between the runs: the second run's delivery
    // loop continues after the first one's checkpoint.
    const home = await makeTempHome();
    const up = await runCli(['--home', home, 'up']);
    expect(up.code, up.stderr).toBe(0);
    try {
      const first = await runCli(['--home', home, ...RUN], KINESIS);
      expect(first.code, first.stderr).toBe(0);
      const viaKinesis = DataMovementResultSchema.parse(JSON.parse(first.stdout));
      expect(viaKinesis.verified).toBe(true);
      // The same tables, rows and checks as through Firehose Direct PUT.
      expect(Object.keys(viaKinesis.tables).sort()).toEqual(Object.keys(viaFirehose.tables).sort());
      for (const [table, figures] of Object.entries(viaFirehose.tables)) {
        expect(viaKinesis.tables[table], table).toMatchObject({ rows: figures.rows, expected: figures.expected });
      }
      expect(viaKinesis.tables['orders (stream)']).toMatchObject({ rows: 300, expected: 300 });

      const second = await runCli(['--home', home, ...RUN], KINESIS);
      expect(second.code, second.stderr).toBe(0);
      const again = DataMovementResultSchema.parse(JSON.parse(second.stdout));
      expect(again.verified).toBe(true);
      expect(again.tables['orders (stream)']).toMatchObject({ rows: 300, expected: 300 });

      const printed = await runCli(['--home', home, 'env']);
      const env = parseExports(printed.stdout);
      expect(env.KINESIS_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // The lake holds each streamed order once ...
      const ids = (await streamedLines(env)).map((line) => JSON.parse(line).order_id as number);
      expect(ids).toHaveLength(600);
      expect(new Set(ids).size).toBe(600);
      // ... and so does PostgreSQL.
      const client = new pg.Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: string; distinct_ids: string }>(
          `SELECT count(*) AS n, count(DISTINCT order_id) AS distinct_ids FROM ${qualified('orders')}
           WHERE ${rowsOfKind('orders', 'stream')} AND order_id BETWEEN $1 AND $2`,
          [Math.min(...ids), Math.max(...ids)],
        );
        expect(rows[0]).toEqual({ n: '600', distinct_ids: '600' });
      } finally {
        await client.end();
      }
    } finally {
      await runCli(['--home', home, 'down']);
    }
  });
});
