import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { resolveHomeLayout } from '@insightflow/local-services';
import { Catalog, instacartCatalog, parseCatalogText } from '@insightflow/shared-config';
import { startTestServices, type TestServices } from '@insightflow/testkit';
import { DuckDbWarehouse } from '@insightflow/warehouse';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusResultSchema } from '../../src/index.js';
import { type CliRun, makeTempHome, runCli } from '../helpers/runCli.js';

/** A port nothing listens on: bound by the system, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP server that accepts connections and never answers: what a hung service looks like. */
async function startSilentServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A stack frame as Node prints it. */
const STACK_FRAME = /^\s+at .+[:)]/m;

/** The URL with another password, database or query. */
function withUrl(url: string, change: (u: URL) => void): string {
  const parsed = new URL(url);
  change(parsed);
  return parsed.toString();
}

/** One edge: how to provoke it and what the user must be told. */
interface EdgeCase {
  edge: string;
  args: string[];
  env: () => Record<string, string>;
  service: string;
  /** Where, as printed (never with a password). */
  endpoint: () => string;
  /** The variable (or flag) the user changes. */
  variable: string;
  next: RegExp;
  /** Values that must never be printed. */
  secrets: () => string[];
  /** The --home to run in, when not the shared one. */
  home?: () => string;
}

describe('Edges: every failure to reach a service names it, its endpoint, its variable and the next step (real closed ports, real PostgreSQL and S3 API server)', () => {
  let services: TestServices;
  let home: string;
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  let closed: number;
  let password: string;
  let missingTableUrl: string;
  let lockedHome: string;
  let lockHolder: DuckDbWarehouse;

  /** Talks to the test services directly: no local services of the CLI's own. */
  const baseEnv = (): Record<string, string> => ({
    INSIGHTFLOW_TARGET: 'aws',
    AWS_REGION: 'us-east-1',
    S3_ENDPOINT: services.services.s3Endpoint,
    AWS_ACCESS_KEY_ID: services.services.s3Credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: services.services.s3Credentials.secretAccessKey,
    DATABASE_URL: services.databaseUrl,
    RAW_BUCKET: 'insightflow-raw-bucket',
    INSIGHTFLOW_CONNECT_TIMEOUT_MS: '1000',
    INSIGHTFLOW_CATALOG: '',
  });
  const cli = (args: string[], env: Record<string, string>, at = home) => runCli(['--home', at, ...args], env);

  beforeAll(async () => {
    services = await startTestServices();
    home = await makeTempHome();
    silent = await startSilentServer();
    closed = await closedPort();
    password = new URL(services.databaseUrl).password;
    // A database whose sync schema lost a table: sync once to create it, then drop a ledger table.
    await services.query('CREATE DATABASE edges_missing_table');
    missingTableUrl = withUrl(services.databaseUrl, (u) => {
      u.pathname = '/edges_missing_table';
    });
    const first = await cli(['sync'], { ...baseEnv(), DATABASE_URL: missingTableUrl });
    expect(first.code, first.stderr).toBe(0);
    const client = new pg.Client({ connectionString: missingTableUrl });
    await client.connect();
    await client.query('DROP TABLE insightflow_raw._snapshots');
    await client.end();
    // A warehouse file another process holds open (DuckDB allows one writer).
    lockedHome = await makeTempHome();
    lockHolder = await DuckDbWarehouse.open({ path: resolveHomeLayout(lockedHome).warehouseFile });
  });
  afterAll(async () => {
    await lockHolder?.close();
    await silent?.stop();
    await services?.stop();
  });

  const cases: EdgeCase[] = [
    {
      edge: 'a closed PostgreSQL port',
      args: ['sync'],
      env: () => ({ DATABASE_URL: `postgres://insightflow:hunter2-closed@127.0.0.1:${closed}/insightflow` }),
      service: 'PostgreSQL',
      endpoint: () => `postgres://insightflow:****@127.0.0.1:${closed}/insightflow`,
      variable: 'DATABASE_URL',
      next: /start the local services with `npx insightflow up`.*or point DATABASE_URL at a reachable PostgreSQL/,
      secrets: () => ['hunter2-closed'],
    },
    {
      edge: 'a wrong PostgreSQL password',
      args: ['sync'],
      env: () => ({
        DATABASE_URL: withUrl(services.databaseUrl, (u) => {
          u.password = 'not-the-password';
        }),
      }),
      service: 'PostgreSQL',
      endpoint: () =>
        withUrl(services.databaseUrl, (u) => {
          u.password = '****';
        }),
      variable: 'DATABASE_URL',
      next: /login was refused.*\n.*fix the user name and password in DATABASE_URL/,
      secrets: () => ['not-the-password', password],
    },
    {
      edge: 'a PostgreSQL database that does not exist',
      args: ['sync'],
      env: () => ({
        DATABASE_URL: withUrl(services.databaseUrl, (u) => {
          u.pathname = '/no_such_database';
        }),
      }),
      service: 'PostgreSQL',
      endpoint: () => '/no_such_database',
      variable: 'DATABASE_URL',
      next: /database "no_such_database" does not exist.*\n.*create that database, or fix the database name/,
      secrets: () => [password],
    },
    {
      edge: 'a missing PostgreSQL table',
      args: ['sync'],
      env: () => ({ DATABASE_URL: missingTableUrl }),
      service: 'PostgreSQL',
      endpoint: () => '/edges_missing_table',
      variable: 'DATABASE_URL',
      next: /_snapshots" does not exist.*\n.*DROP SCHEMA insightflow_raw CASCADE.*insightflow sync --mode full/,
      secrets: () => [password],
    },
    {
      edge: 'a PostgreSQL host name that does not resolve',
      args: ['sync'],
      env: () => ({ DATABASE_URL: 'postgres://insightflow:hunter2-dns@db.insightflow.invalid:5432/insightflow' }),
      service: 'PostgreSQL',
      endpoint: () => 'postgres://insightflow:****@db.insightflow.invalid:5432/insightflow',
      variable: 'DATABASE_URL',
      next: /db\.insightflow\.invalid does not resolve.*\n.*check the host name in DATABASE_URL/,
      secrets: () => ['hunter2-dns'],
    },
    {
      edge: 'TLS required of a PostgreSQL without TLS',
      args: ['sync'],
      env: () => ({
        DATABASE_URL: withUrl(services.databaseUrl, (u) => {
          u.searchParams.set('sslmode', 'require');
        }),
      }),
      service: 'PostgreSQL',
      endpoint: () => 'sslmode=require',
      variable: 'DATABASE_URL',
      next: /does not offer it.*\n.*remove sslmode from DATABASE_URL/,
      secrets: () => [password],
    },
    {
      edge: 'a PostgreSQL port that accepts and never answers (timeout)',
      args: ['sync'],
      env: () => ({ DATABASE_URL: `postgres://insightflow:hunter2-silent@127.0.0.1:${silent.port}/insightflow` }),
      service: 'PostgreSQL',
      endpoint: () => `postgres://insightflow:****@127.0.0.1:${silent.port}/insightflow`,
      variable: 'DATABASE_URL',
      next: /within 1000 ms \(timeout\).*\n.*INSIGHTFLOW_CONNECT_TIMEOUT_MS sets the wait/,
      secrets: () => ['hunter2-silent'],
    },
    {
      edge: 'a closed S3 API port',
      args: ['sync'],
      env: () => ({ S3_ENDPOINT: `http://127.0.0.1:${closed}` }),
      service: 'S3 API',
      endpoint: () => `http://127.0.0.1:${closed}/`,
      variable: 'S3_ENDPOINT',
      next: /connection refused.*\n.*npx insightflow up.*or point S3_ENDPOINT at a reachable S3 API/,
      secrets: () => [password],
    },
    {
      edge: 'a missing bucket on a real S3 API server',
      args: ['sync'],
      env: () => ({ RAW_BUCKET: 'insightflow-no-such-bucket' }),
      service: 'S3 API',
      endpoint: () => services.services.s3Endpoint,
      variable: 'RAW_BUCKET',
      next: /bucket insightflow-no-such-bucket does not exist.*\n.*set RAW_BUCKET to an existing one/,
      secrets: () => [password],
    },
    {
      edge: 'an S3 host name that does not resolve',
      args: ['sync'],
      env: () => ({ S3_ENDPOINT: 'http://s3.insightflow.invalid:9000' }),
      service: 'S3 API',
      endpoint: () => 'http://s3.insightflow.invalid:9000/',
      variable: 'S3_ENDPOINT',
      next: /does not resolve.*\n.*check the host name in S3_ENDPOINT/,
      secrets: () => [password],
    },
    {
      edge: 'https:// to the plain-HTTP S3 API server (TLS)',
      args: ['sync'],
      env: () => ({ S3_ENDPOINT: services.services.s3Endpoint.replace('http://', 'https://') }),
      service: 'S3 API',
      endpoint: () => services.services.s3Endpoint.replace('http://', 'https://'),
      variable: 'S3_ENDPOINT',
      next: /TLS handshake failed: the server speaks plain HTTP.*\n.*use http:\/\/ in S3_ENDPOINT/,
      secrets: () => [password],
    },
    {
      edge: 'a DuckDB warehouse file another process holds',
      args: ['ingest', '--tables', 'aisles'],
      env: () => ({}),
      home: () => lockedHome,
      service: 'warehouse',
      endpoint: () => `DuckDB file ${resolveHomeLayout(lockedHome).warehouseFile}`,
      variable: '--home',
      next: /another process has the DuckDB file open.*\n.*choose another directory with --home/,
      secrets: () => [password],
    },
  ];

  for (const edge of cases) {
    it(`${edge.edge}: exit 1, one message naming ${edge.service}, its endpoint, ${edge.variable} and the next step; a stack trace only with --verbose; one JSON error with --json`, async () => {
      const env = { ...baseEnv(), ...edge.env() };
      const at = edge.home?.() ?? home;
      const [plain, verbose, json] = await Promise.all([
        cli(edge.args, env, at),
        cli(['--verbose', ...edge.args], env, at),
        cli(['--json', ...edge.args], env, at),
      ]);
      const runs: CliRun[] = [plain, verbose, json];
      for (const run of runs) expect(run.code, run.stderr).toBe(1);

      expect(plain.stderr).toContain(`insightflow: ${edge.service} at `);
      expect(plain.stderr).toContain(edge.endpoint());
      expect(plain.stderr).toContain(edge.variable);
      expect(plain.stderr).toMatch(/\n {2}Next step: /);
      expect(plain.stderr).toMatch(edge.next);
      // Said once: the message is not repeated under a stack trace.
      expect(plain.stderr.split('insightflow: ').length).toBe(2);
      expect(plain.stderr).not.toMatch(STACK_FRAME);
      expect(plain.stdout).toBe('');

      expect(verbose.stderr).toMatch(edge.next);
      expect(verbose.stderr).toMatch(STACK_FRAME);
      expect(verbose.stderr).toMatch(/Caused by: /);

      const document = JSON.parse(json.stdout);
      expect(document).toEqual({
        error: expect.objectContaining({
          name: 'EdgeError',
          service: edge.service,
          endpoint: expect.stringContaining(edge.endpoint()),
          nextStep: expect.any(String),
          kind: expect.stringMatching(/^(terminal|retryable)$/),
        }),
      });
      expect(`${document.error.source} ${document.error.nextStep}`).toContain(edge.variable);
      expect(json.stderr).not.toMatch(STACK_FRAME);

      for (const run of runs) {
        for (const secret of edge.secrets()) {
          expect(run.stderr).not.toContain(secret);
          expect(run.stdout).not.toContain(secret);
        }
      }
    });
  }

  it('a missing warehouse table: ingest names the DuckDB file and says to load first', async () => {
    // One after the other: DuckDB lets one process open the file.
    const plain = await cli(['ingest', '--tables', 'aisles'], baseEnv());
    const json = await cli(['--json', 'ingest', '--tables', 'aisles'], baseEnv());
    expect(plain.code).toBe(1);
    expect(plain.stdout).toMatch(/aisles +FAILED: warehouse at DuckDB file .*warehouse\.duckdb \(from --home/);
    expect(plain.stdout).toMatch(/Next step: load it first: `npx insightflow generate && npx insightflow load`/);
    expect(plain.stderr).not.toMatch(STACK_FRAME);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).failures).toEqual([
      { table: 'aisles', message: expect.stringMatching(/does not exist.*\n.*Next step: load it first/) },
    ]);
  });
});

describe('Command: insightflow sync — windows that select nothing are usage errors (exit 2)', () => {
  const sync = (...args: string[]) => runCli(['sync', ...args], { INSIGHTFLOW_TARGET: 'aws' });

  it('a window that ends before it starts: exit 2, says to swap the bounds and where the usage is', async () => {
    const run = await sync('--mode', 'window', '--since', '2026-01-01-0000', '--until', '2025-01-01-0000');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /the window ends \(2025-01-01-0000\) before it starts \(2026-01-01-0000\): swap the bounds/,
    );
    expect(run.stderr).toMatch(/run `insightflow sync --help` for usage/);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stdout).toBe('');
  });

  it('a window without bounds: exit 2, pointing at incremental', async () => {
    const run = await sync('--mode', 'window');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/mode "window" needs since, until or both.*use mode "incremental"/);
  });

  it('with --json, a usage error is one JSON error document on stdout, the refusal or the bad option', async () => {
    const reversed = await sync('--json', '--since', '2026-01-01-0000', '--until', '2025-01-01-0000');
    expect(reversed.code).toBe(2);
    expect(JSON.parse(reversed.stdout)).toEqual({
      error: expect.objectContaining({ name: 'UsageError', kind: 'terminal', message: expect.stringMatching(/swap/) }),
    });
    const malformed = await sync('--json', '--since', 'yesterday');
    expect(malformed.code).toBe(2);
    expect(JSON.parse(malformed.stdout)).toEqual({
      error: expect.objectContaining({ name: 'UsageError', message: expect.stringMatching(/YYYY-MM-DD-HHMM/) }),
    });
  });
});

describe('Command: insightflow status — says how to start what is not running', () => {
  it('nothing running: exit 0 (a report, not a check), and `npx insightflow up` as the next step', async () => {
    const home = await makeTempHome();
    const [human, json] = await Promise.all([
      runCli(['--home', home, 'status'], { INSIGHTFLOW_TARGET: 'local', DATABASE_URL: '', S3_ENDPOINT: '' }),
      runCli(['--home', home, '--json', 'status'], { INSIGHTFLOW_TARGET: 'local', DATABASE_URL: '', S3_ENDPOINT: '' }),
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Services: not running \(start them with `npx insightflow up`\)/);
    expect(human.stdout).toMatch(
      /Lake: not reachable: The local services are not running: start them with `npx insightflow up`/,
    );
    expect(json.code).toBe(0);
    const status = StatusResultSchema.parse(JSON.parse(json.stdout));
    expect(status.services.running).toBe(false);
    expect(status.services.nextStep).toMatch(/npx insightflow up/);
    expect(status.services.postgres.problem).toMatch(/npx insightflow up/);
  });

  it('shows the catalog in use and its hash (what run manifests and clean pointers record), in text and --json', async () => {
    const home = await makeTempHome();
    const file = path.join(home, 'shipments.yaml');
    const yaml =
      'tables:\n  - name: shipments\n    primaryKey: [shipment_id]\n    columns:\n      - { name: shipment_id, type: bigint, nullable: false }\n';
    await writeFile(file, yaml);
    const env = { INSIGHTFLOW_TARGET: 'local', DATABASE_URL: '', S3_ENDPOINT: '' };
    const [builtIn, ownFile, human] = await Promise.all([
      runCli(['--home', home, '--json', 'status'], env),
      runCli(['--home', home, '--json', '--catalog', file, 'status'], env),
      runCli(['--home', home, '--catalog', file, 'status'], env),
    ]);
    expect(StatusResultSchema.parse(JSON.parse(builtIn.stdout)).catalog).toEqual({
      hash: instacartCatalog().hash,
      file: null,
      tables: instacartCatalog().tableNames(),
    });
    const shipments = new Catalog(parseCatalogText(yaml, file));
    const status = StatusResultSchema.parse(JSON.parse(ownFile.stdout));
    expect(status.catalog).toEqual({ hash: shipments.hash, file, tables: ['shipments'] });
    expect(status.warehouse).toEqual({ shipments: null });
    expect(human.stdout).toContain(`Catalog: ${file} (hash ${shipments.hash.slice(0, 12)}, 1 table)`);
  });

  it('a configured PostgreSQL that is down: the report names DATABASE_URL, the endpoint and the next step', async () => {
    const port = await closedPort();
    const env = {
      INSIGHTFLOW_TARGET: 'aws',
      DATABASE_URL: `postgres://u:hunter2-status@127.0.0.1:${port}/db`,
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
    };
    const home = await makeTempHome();
    const run = await runCli(['--home', home, '--json', 'status'], env);
    expect(run.code).toBe(0);
    const status = StatusResultSchema.parse(JSON.parse(run.stdout));
    expect(status.services.postgres.reachable).toBe(false);
    expect(status.services.postgres.problem).toContain(`postgres://u:****@127.0.0.1:${port}/db (from DATABASE_URL)`);
    expect(status.services.postgres.problem).toMatch(/Next step: .*point DATABASE_URL at a reachable PostgreSQL/);
    expect(status.services.s3.problem).toMatch(/S3 API at .* \(from S3_ENDPOINT\): .*connection refused/);
    expect(run.stdout).not.toContain('hunter2-status');
  });
});
