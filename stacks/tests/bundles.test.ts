/**
 * The Lambda zips as deployed: what each bundles (from the build's metafile), and the bundled
 * handlers run, each in a fresh Node process from its unpacked zip (as Lambda unpacks it into
 * /var/task: no node_modules to fall back on), against the Snowflake-protocol server, the S3
 * API server, a Secrets Manager stand-in and the local Firehose. The access test runs the
 * handlers' sources; this proves the bundles run without what the build leaves out.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type LocalDeliveryStream, startLocalDeliveryStream } from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import { instacartCatalog, LOCAL_DEFAULTS, sqlType, streamingPrefix } from '@insightflow/shared-config';
import {
  type SecretsManagerStandIn,
  type SnowflakeTestServer,
  startSecretsManagerStandIn,
  startSnowflakeTestServer,
  startTestS3,
  type TestS3,
} from '@insightflow/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamTarget, transformFirehoseEvent } from '../../packages/stream-transformer/src/index.js';
import { METAFILE, UNSHIPPED_MODULES } from '../build/buildLambda.js';
import { lambdaZipPath } from '../constructs/nodeLambda.js';

/** The catalog the stacks under test are synthesised with. */
const catalog = instacartCatalog();

const run = promisify(execFile);
const LAMBDAS = [
  'batch-ingest',
  'database-roles',
  's3-to-rds-sync',
  'snowflake-loader',
  'stream-publisher',
  'stream-transformer',
] as const;
const SNOWFLAKE_BUNDLES = ['batch-ingest', 'snowflake-loader'] as const;
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:insightflow-snowflake-AbCdEf';

/** Every input of a package's bundle, across all its output files (the metafile the build writes). */
function bundledInputs(name: string): string[] {
  const metafile = JSON.parse(readFileSync(path.join(path.dirname(lambdaZipPath(name)), METAFILE), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  return [...new Set(Object.values(metafile.outputs).flatMap((o) => Object.keys(o.inputs)))];
}

/** The npm packages among a bundle's inputs (`node_modules/<name>/…`). */
const packagesOf = (inputs: string[]) =>
  new Set(inputs.flatMap((i) => [...i.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1] as string)));

describe('Lambda bundles: what each zip holds', () => {
  it('the stream-publisher bundles no warehouse client: no snowflake-sdk, no DuckDB, no warehouse adapter', () => {
    const inputs = bundledInputs('stream-publisher');
    expect(inputs.length).toBeGreaterThan(50);
    expect([...packagesOf(inputs)].filter((p) => /snowflake-sdk|@duckdb|moment/.test(p))).toEqual([]);
    expect(inputs.filter((i) => i.includes('warehouse/src/adapters/'))).toEqual([]);
  });

  it.each(SNOWFLAKE_BUNDLES)('%s bundles snowflake-sdk without its Azure and GCP clients', (name) => {
    const inputs = bundledInputs(name);
    expect(packagesOf(inputs).has('snowflake-sdk')).toBe(true);
    const cloudClients = [...packagesOf(inputs)].filter(
      (p) => UNSHIPPED_MODULES.test(p) || /^@azure\/|^@google-cloud\/|^google-|^gaxios|^gcp-metadata/.test(p),
    );
    expect(cloudClients).toEqual([]);
    // What the SDK requires of them resolves to the build's throwing stand-ins.
    expect(inputs.filter((i) => i.startsWith('unshipped:')).sort()).toEqual([
      'unshipped:@azure/identity',
      'unshipped:@azure/storage-blob',
      'unshipped:google-auth-library',
      'unshipped:snowflake-sdk/platform_detection',
      'unshipped:yaml',
    ]);
  });

  it.each(LAMBDAS)('%s bundles no yaml parser (a Lambda’s catalog is compiled in, parsed)', (name) => {
    expect(packagesOf(bundledInputs(name)).has('yaml')).toBe(false);
  });
});

describe('Lambda bundles: the unpacked zips run against the local services', () => {
  let root: string;
  let s3: TestS3;
  let snowflake: SnowflakeTestServer;
  let secrets: SecretsManagerStandIn;
  let delivery: LocalDeliveryStream;
  const raw = LOCAL_DEFAULTS.rawBucket;
  const streamName = 'insightflow-bundle-test-orders';

  /** Runs the unpacked zip's handler in a fresh Node process (the Lambda runtime's flags) and returns its result. */
  async function invoke(name: string, event: unknown, environment: Record<string, string>): Promise<unknown> {
    const task = path.join(root, name);
    const script = [
      `const { handler } = await import(${JSON.stringify(pathToFileURL(path.join(task, 'index.mjs')).href)});`,
      'const result = await handler(JSON.parse(process.argv[1]));',
      "process.stdout.write('\\n' + JSON.stringify(result) + '\\n');",
    ].join('\n');
    const { stdout } = await run(
      process.execPath,
      ['--enable-source-maps', '--input-type=module', '-e', script, JSON.stringify(event)],
      {
        cwd: task,
        env: {
          PATH: process.env.PATH ?? '',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: s3.server.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.server.credentials.secretAccessKey,
          S3_ENDPOINT: s3.endpoint,
          POWERTOOLS_TRACE_ENABLED: 'false',
          ...environment,
        },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1) as string);
  }

  const snowflakeEnvironment = () => ({
    WAREHOUSE: 'snowflake',
    SNOWFLAKE_ACCOUNT: 'insightflow-test',
    SNOWFLAKE_USER: 'INSIGHTFLOW',
    SNOWFLAKE_ACCESS_URL: snowflake.accessUrl,
    SNOWFLAKE_SECRET_ARN: SECRET_ARN,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
  });

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'insightflow-bundles-'));
    for (const name of LAMBDAS) execFileSync('unzip', ['-q', lambdaZipPath(name), '-d', path.join(root, name)]);
    s3 = await startTestS3();
    snowflake = await startSnowflakeTestServer();
    for (const table of catalog.tableNames()) {
      const spec = catalog.table(table);
      await snowflake.duckdb.run(
        `CREATE TABLE ${table} (${spec.columns.map((c) => `${c.name} ${sqlType(c, 'duckdb')}`).join(', ')})`,
      );
    }
    await snowflake.duckdb.run(
      `INSERT INTO orders VALUES (7, 3, 'prior', 1, 2, 10, NULL), (41, 12, 'train', 2, 3, 11, 7), (9, 5, 'prior', 3, 1, 9, 2)`,
    );
    secrets = await startSecretsManagerStandIn({ [SECRET_ARN]: JSON.stringify({ password: 'bundle-test-only' }) });
    const { table } = streamTarget(catalog, 'orders');
    delivery = await startLocalDeliveryStream({
      stream: 'orders',
      catalog,
      streamName,
      store: new S3ObjectStore(s3.client, raw),
      transform: (event) => transformFirehoseEvent(table, event),
      bufferMs: 100,
    });
  });

  afterAll(async () => {
    await delivery?.stop();
    await secrets?.stop();
    await snowflake?.stop();
    await s3?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('batch-ingest exports orders from Snowflake (secret read, SDK loaded at its first invocation)', async () => {
    const result = (await invoke(
      'batch-ingest',
      { table: 'orders', runAt: '2026-12-02T14:00:00Z' },
      { ...snowflakeEnvironment(), RAW_BUCKET: raw },
    )) as { failures: unknown[] };
    expect(result.failures).toEqual([]);
    expect(secrets.requested).toContain(SECRET_ARN);
    const parts = await s3.listKeys(raw, 'data/batch/orders/');
    expect(parts.some((k) => k.endsWith('orders_part0.csv'))).toBe(true);
  });

  it('snowflake-loader answers an S3 notification through the bundled SDK', async () => {
    const done = { columns: [{ name: 'status', type: 'text' as const }], rows: [['ok']] };
    // The test server's DuckDB has no INSIGHTFLOW database: Snowflake would answer that no table exists yet.
    const described = ['table_name', 'column_name', 'data_type', 'is_nullable', 'character_maximum_length'];
    const numeric = ['numeric_precision', 'numeric_scale'];
    snowflake.answer(/INFORMATION_SCHEMA\.(COLUMNS|TABLE_CONSTRAINTS|KEY_COLUMN_USAGE)/i, {
      columns: [
        ...described.map((name) => ({ name, type: 'text' as const })),
        ...numeric.map((name) => ({ name, type: 'fixed' as const })),
      ],
      rows: [],
    });
    snowflake.answer(/^SHOW PRIMARY KEYS/i, {
      columns: ['table_name', 'column_name', 'key_sequence'].map((name) => ({ name, type: 'text' as const })),
      rows: [],
    });
    snowflake.answer(/^CREATE TABLE IF NOT EXISTS/i, done);
    snowflake.answer(/^CREATE STAGE IF NOT EXISTS/i, done);
    snowflake.answer(/^COPY INTO /i, {
      columns: [{ name: 'status', type: 'text' }],
      rows: [['Copy executed with 0 files processed.']],
    });
    const summary = (await invoke(
      'snowflake-loader',
      {
        Records: [
          { eventSource: 'aws:s3', s3: { bucket: { name: 'stage' }, object: { key: 'instacart/aisles.csv' } } },
        ],
      },
      { ...snowflakeEnvironment(), STAGE_BUCKET: LOCAL_DEFAULTS.stageBucket },
    )) as { filesRejected: number };
    expect(summary.filesRejected).toBe(0);
    expect(snowflake.log.statements.some((s) => /^COPY INTO /i.test(s))).toBe(true);
  });

  it('stream-publisher continues past the largest order id of the lake’s orders run, then from its watermark', async () => {
    const environment = { RAW_BUCKET: raw, DELIVERY_STREAM_NAME: streamName, FIREHOSE_ENDPOINT: delivery.endpoint };
    const first = (await invoke('stream-publisher', { events: 4 }, environment)) as Record<string, number>;
    const second = (await invoke('stream-publisher', { events: 3 }, environment)) as Record<string, number>;
    expect(first).toMatchObject({ delivered: 4, firstOrderId: 42 });
    expect(second).toMatchObject({ delivered: 3, firstOrderId: 46 });
    await delivery.flush();
    const rows = [];
    for (const key of await s3.listKeys(raw, streamingPrefix(catalog, 'orders'))) {
      rows.push(
        ...(await s3.read(raw, key))
          .toString('utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      );
    }
    expect(rows.map((r) => r.order_id).sort((a, b) => a - b)).toEqual([42, 43, 44, 45, 46, 47, 48]);
    expect(rows.every((r) => r.user_id >= 1 && r.user_id <= 12)).toBe(true);
  });
});
