/**
 * The fault-injection suite: the real CLI in child processes against the real local services,
 * with processes killed mid-work, services restarted, objects duplicated, corrupted or
 * truncated. Each case prints what it proves: rows expected, rows found.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CleanStore, countCleanRows } from '@insightflow/clean-layer';
import { Lake } from '@insightflow/lake';
import { findRunningServices, resolveHomeLayout } from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import { rowsOfKind } from '@insightflow/postgres-destination';
import { instacartCatalog } from '@insightflow/shared-config';
import { localS3Client } from '@insightflow/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../packages/cli/bin/insightflow.js', import.meta.url));
const RAW = 'insightflow-raw-bucket';
const CLEAN = 'insightflow-clean-bucket';
let home: string;

function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, [BIN, '--home', home, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c) => {
    stdout += c;
  });
  child.stderr?.on('data', (c) => {
    stderr += c;
  });
  return { child, done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))) };
}
const run = async (...args: string[]) => await cli(args).done;
const json = async (...args: string[]) => {
  const result = await run('--json', ...args);
  return { ...result, document: JSON.parse(result.stdout || '{}') };
};

async function services() {
  const found = await findRunningServices(resolveHomeLayout(home));
  if (!found) throw new Error('services are not up');
  return found;
}
async function query<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: (await services()).databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}
const count = async (table: string, where = 'true') =>
  Number((await query<{ n: string }>(`SELECT count(*) AS n FROM insightflow_raw."${table}" WHERE ${where}`))[0]?.n);
async function s3(): Promise<S3Client> {
  const local = await services();
  return localS3Client(local.s3Endpoint, { credentials: local.s3Credentials });
}
async function rawLake(): Promise<Lake> {
  return new Lake(new S3ObjectStore(await s3(), RAW), instacartCatalog());
}
async function streamText(body: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of body) text += chunk.toString();
  return text;
}
async function streamedKeys(store: S3ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of store.list('data/streaming/orders/')) keys.push(object.key);
  return keys;
}
async function warehouseCounts(): Promise<Record<string, number>> {
  return (await json('status')).document.warehouse;
}
async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
const copyActive = async () =>
  Number(
    (
      await query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'COPY %insightflow_raw%' AND state = 'active'",
      )
    )[0]?.n,
  ) > 0;
function report(what: string, expected: number, found: number): void {
  process.stdout.write(`FAULT ${what}: rows expected ${expected}, rows found ${found}\n`);
  expect(found, what).toBe(expected);
}

describe('Fault injection (real CLI, S3 API server, PostgreSQL, DuckDB)', () => {
  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'insightflow-faults-'));
    expect((await run('up')).code).toBe(0);
    expect((await run('generate', '--scale', '0.01')).code).toBe(0);
    expect((await run('load')).code).toBe(0);
  });
  afterAll(async () => {
    await run('down');
  });

  it('SIGKILL during ingest leaves no manifest; a rerun commits every table exactly', async () => {
    const killed = cli(['ingest', '--batch-size', '50000']);
    const lake = await rawLake();
    await waitFor(async () => {
      const { batch } = await lake.summary(['order_products_prior']);
      return (batch.order_products_prior?.objects ?? 0) > 0;
    }, 'the first parts of order_products_prior');
    killed.child.kill('SIGKILL');
    await killed.done;
    const status = (await json('status')).document;
    expect(status.lake.batch.order_products_prior.committedRuns).toBe(0);
    await new Promise((r) => setTimeout(r, 61_000)); // the next run gets its own minute
    const rerun = await json('ingest');
    expect(rerun.code, rerun.stderr).toBe(0);
    const warehouse = await warehouseCounts();
    report(
      'ingest after SIGKILL',
      warehouse.order_products_prior as number,
      rerun.document.tables.order_products_prior.runRows,
    );
  });

  it('SIGKILL during sync (mid-COPY), then a rerun: exact counts, nothing twice', async () => {
    const killed = cli(['sync']);
    await waitFor(copyActive, 'a COPY in progress');
    killed.child.kill('SIGKILL');
    await killed.done;
    await waitFor(async () => !(await copyActive()), 'the killed COPY to roll back');
    expect((await run('sync')).code).toBe(0);
    const warehouse = await warehouseCounts();
    for (const table of ['orders', 'order_products_prior', 'order_products_train']) {
      report(`sync after SIGKILL: ${table}`, warehouse[table] as number, await count(table));
    }
    expect((await json('sync')).document.rows).toBe(0);
  });

  it('the same streaming object delivered twice loads its orders once', async () => {
    const published = await json('publish', '--events', '500');
    expect(published.code, published.stderr).toBe(0);
    const [key] = published.document.objects as string[];
    const client = await s3();
    await client.send(
      new CopyObjectCommand({
        Bucket: RAW,
        CopySource: `${RAW}/${key}`,
        Key: `${key?.replace(/-([^-]+)$/, '-duplicate$1')}`,
      }),
    );
    expect((await run('sync')).code).toBe(0);
    const first = published.document.firstOrderId as number;
    report('stream delivered twice', 500, await count('orders', `order_id BETWEEN ${first} AND ${first + 499}`));
  });

  it('two syncs at once load each object once', async () => {
    await json('publish', '--events', '400');
    const [a, b] = await Promise.all([json('sync'), json('sync')]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    report('two concurrent syncs', 400, a.document.rows + b.document.rows);
    const ledger = await query<{ n: string }>(
      'SELECT count(*) AS n FROM (SELECT key FROM insightflow_raw._loaded_objects GROUP BY bucket, key, etag HAVING count(*) > 1) d',
    );
    expect(Number(ledger[0]?.n)).toBe(0);
  });

  it('a corrupted or truncated committed part is refused, and the table keeps its snapshot', async () => {
    const before = await count('orders', rowsOfKind('orders', 'batch'));
    await new Promise((r) => setTimeout(r, 61_000));
    expect((await run('ingest', '--tables', 'orders,aisles', '--batch-size', '20000')).code).toBe(0);
    const status = (await json('status')).document;
    expect(status.lake.batch.orders.committedRuns).toBeGreaterThan(1);
    const client = await s3();
    const lake = await rawLake();
    const snapshots = await query<{ manifest_key: string }>('SELECT manifest_key FROM insightflow_raw._snapshots');
    // The newest committed orders run that is not the snapshot in PostgreSQL: the one the sync will load.
    const pending = (await lake.committedRuns('orders')).find(
      (r) => !snapshots.some((s) => s.manifest_key === r.manifestKey),
    );
    if (!pending) throw new Error('no orders run newer than the snapshot');
    const newest = (await lake.committedRun('orders', pending.runAt))?.parts[0]?.key as string;
    const body = await (
      await client.send(new GetObjectCommand({ Bucket: RAW, Key: newest }))
    ).Body?.transformToString();
    await client.send(
      new PutObjectCommand({ Bucket: RAW, Key: newest, Body: body?.slice(0, Math.floor(body.length / 2)) }),
    );
    const aislesKey = (await lake.committedRun('aisles', pending.runAt))?.parts[0]?.key as string;
    await client.send(new PutObjectCommand({ Bucket: RAW, Key: aislesKey, Body: 'aisle_id,aisle\n1,"unterminated\n' }));
    const sync = await json('sync');
    expect(sync.document.refused.map((r: { key: string }) => r.key)).toEqual(
      expect.arrayContaining([newest, aislesKey]),
    );
    report('orders snapshot kept after a truncated part', before, await count('orders', rowsOfKind('orders', 'batch')));
  });

  it('a run folder without a manifest is ignored', async () => {
    const lake = await rawLake();
    await lake.store.put(
      lake.partKey('departments', new Date('2099-01-01T00:00:00Z'), 0),
      'department_id,department\n999,uncommitted\n',
    );
    await run('sync');
    report('uncommitted run ignored', 0, await count('departments', 'department_id = 999'));
  });

  it('PostgreSQL killed in the middle of a sync, restarted: the rerun is exact', async () => {
    await query('DELETE FROM insightflow_raw._snapshots WHERE table_name = $1', ['order_products_prior']);
    const running = cli(['sync', '--tables', 'order_products_prior']);
    await waitFor(copyActive, 'a COPY in progress');
    process.kill((await services()).state.postgres.pid, 'SIGKILL');
    const failed = await running.done;
    expect(failed.code).not.toBe(0);
    expect((await run('down')).code).toBe(0);
    expect((await run('up')).code).toBe(0);
    expect((await run('sync')).code).toBe(0);
    const warehouse = await warehouseCounts();
    report(
      'sync after a PostgreSQL crash',
      warehouse.order_products_prior as number,
      await count('order_products_prior'),
    );
  });

  it('the S3 API server killed mid-run is restarted on the same endpoint; a rerun completes', async () => {
    const before = await services();
    const publishing = cli(['publish', '--events', '3000', '--rate', '1500']);
    await new Promise((r) => setTimeout(r, 800));
    process.kill(before.state.s3.pid, 'SIGKILL');
    await publishing.done;
    await waitFor(async () => {
      try {
        await (await s3()).send(
          new (await import('@aws-sdk/client-s3')).ListObjectsV2Command({ Bucket: RAW, MaxKeys: 1 }),
        );
        return true;
      } catch {
        return false;
      }
    }, 'the S3 API server to come back');
    const again = await json('publish', '--events', '300');
    expect(again.code, again.stderr).toBe(0);
    expect((await run('sync')).code).toBe(0);
    const first = again.document.firstOrderId as number;
    report(
      'publish and sync after an S3 restart',
      300,
      await count('orders', `order_id BETWEEN ${first} AND ${first + 299}`),
    );
  });
  it('SIGKILL of a Kinesis-source publish mid-delivery: the rerun delivers what the data stream still holds, each order once', async () => {
    const kinesis = { INSIGHTFLOW_STREAM_SOURCE: 'kinesis' };
    const store = new S3ObjectStore(await s3(), RAW);
    // A first burst creates the data stream and tells where the killed burst's order ids begin.
    const warmup = await cli(['--json', 'publish', '--events', '10'], kinesis).done;
    expect(warmup.code, warmup.stderr).toBe(0);
    const firstKilled = (JSON.parse(warmup.stdout).firstOrderId as number) + 10;
    const objectsBefore = await streamedKeys(store);
    const killed = cli(['publish', '--events', '3000', '--rate', '1500'], kinesis);
    await waitFor(async () => (await streamedKeys(store)).length > objectsBefore.length, 'a first delivered object');
    killed.child.kill('SIGKILL');
    await killed.done;
    const again = await cli(['--json', 'publish', '--events', '300'], kinesis).done;
    expect(again.code, again.stderr).toBe(0);
    const rerunFirst = JSON.parse(again.stdout).firstOrderId as number;
    const ids: number[] = [];
    for (const key of await streamedKeys(store)) {
      for (const line of (await streamText((await store.get(key)).body)).split('\n').filter(Boolean)) {
        const id = JSON.parse(line).order_id as number;
        if (id >= firstKilled) ids.push(id);
      }
    }
    // The rerun's own orders all arrived, and no order of either publish arrived twice.
    expect(ids.filter((id) => id >= rerunFirst)).toHaveLength(300);
    report('streamed orders after a killed Kinesis publish (distinct)', ids.length, new Set(ids).size);
  });
  it('SIGKILL during a clean build leaves the previous version readable; the rerun is exact and leaves one version', async () => {
    const built = await json('clean');
    expect(built.code, built.stderr).toBe(0);
    const clean = new CleanStore(new S3ObjectStore(await s3(), CLEAN), instacartCatalog());
    const before = await clean.pointer('order_products_prior');
    if (!before) throw new Error('the first clean build published no order_products_prior');
    // New raw inputs: a run in the next minute (a run of the same minute is the same run).
    await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 1_000));
    expect((await run('ingest', '--tables', 'order_products_prior')).code).toBe(0);

    // The build works in its own temporary directory: kill it as soon as that exists.
    const scratch = await mkdtemp(path.join(tmpdir(), 'insightflow-clean-fault-'));
    const killed = cli(['clean', '--tables', 'order_products_prior'], { TMPDIR: scratch });
    await waitFor(
      async () => (await readdir(scratch)).some((d) => d.startsWith('insightflow-clean-')),
      'the build to start',
    );
    killed.child.kill('SIGKILL');
    await killed.done;
    const during = await clean.pointer('order_products_prior');
    expect(during?.version).toBe(before.version);
    const readable = await countCleanRows(clean.store, [before]);
    report('clean version readable after a killed rebuild', before.rows, readable.get('order_products_prior') ?? -1);

    // The killed build's directory (its downloads) is still there; the rerun removes it.
    expect((await readdir(scratch)).filter((d) => d.startsWith('insightflow-clean-'))).toHaveLength(1);
    const rerun = await cli(['--json', 'clean', '--tables', 'order_products_prior'], { TMPDIR: scratch }).done;
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout).tables.order_products_prior.status).toBe('built');
    expect((await readdir(scratch)).filter((d) => d.startsWith('insightflow-clean-'))).toEqual([]);
    const newest = await (await rawLake()).newestCommittedRun('order_products_prior', undefined, []);
    const after = await clean.pointer('order_products_prior');
    if (!after) throw new Error('the rerun published no order_products_prior');
    report(
      'clean rebuild after SIGKILL',
      newest?.manifest.rows ?? -1,
      (await countCleanRows(clean.store, [after])).get('order_products_prior') ?? -1,
    );
    const left: string[] = [];
    for await (const o of clean.store.list('tables/order_products_prior/')) left.push(o.key);
    expect(left.every((k) => k.startsWith(after.prefix) || k.endsWith('/_current.json'))).toBe(true);
  });
});
