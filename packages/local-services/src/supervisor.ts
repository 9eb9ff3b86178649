/**
 * The supervisor: one process that owns the local services of one home directory. It starts
 * the S3 API server and the Kinesis API server (each in a child process of its own) and
 * PostgreSQL, tells its parent the endpoints over IPC, restarts either server if it dies, and
 * stops everything on SIGTERM or SIGINT — or, when attached, as soon as its parent goes away.
 *
 * The Kinesis API server (kinesalite) always starts, whatever INSIGHTFLOW_STREAM_SOURCE says: it
 * is pure JavaScript in memory (about 85 MiB, about a second to start, in parallel with the S3
 * server), and with it always there a command can switch the stream source without
 * restarting the services, and `env` prints the same variables every time.
 *
 * Usage: node --import tsx supervisor.ts --home DIR [--attached]
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveHomeLayout } from './homeLayout.js';
import { startKinesisServer } from './kinesisServer.js';
import { ensurePostgresCredentials, LOCAL_DATABASE } from './postgresCredentials.js';
import { type RunningPostgres, startPostgres } from './postgresServer.js';
import { findFreePort, stopProcess } from './processes.js';
import { startS3Server } from './s3Server.js';
import { clearServiceState, type ServiceState, writeServiceState } from './serviceState.js';

const { values } = parseArgs({
  options: { home: { type: 'string' }, attached: { type: 'boolean', default: false } },
});
const home = resolveHomeLayout(values.home);
const attached = values.attached ?? false;

await mkdir(home.logsDir, { recursive: true, mode: 0o755 });
await mkdir(home.s3Dir, { recursive: true, mode: 0o755 });
const supervisorLog = path.join(home.logsDir, 'supervisor.log');
const log = (line: string) => appendFileSync(supervisorLog, `${new Date().toISOString()} ${line}\n`);

let postgres: RunningPostgres | undefined;
/** The current process id of each server the supervisor restarts. */
const serverPids: { s3?: number; kinesis?: number } = {};
let stopping = false;

/** A server process the supervisor keeps running on one port. */
type ServerStart = (port: number) => Promise<{ pid: number; process: ChildProcess }>;

async function supervise(name: keyof typeof serverPids, label: string, start: ServerStart, port: number) {
  const server = await start(port);
  serverPids[name] = server.pid;
  server.process.on('exit', (code, signal) => {
    if (stopping) return;
    log(`${label} exited (${signal ?? code}); restarting it on port ${port}`);
    supervise(name, label, start, port).catch((error) => log(`${label} restart failed: ${String(error)}`));
  });
  return server.pid;
}

const startS3: ServerStart = (port) =>
  startS3Server({ dir: home.s3Dir, port, logFile: path.join(home.logsDir, 's3.log') });
const startKinesis: ServerStart = (port) =>
  startKinesisServer({ port, logFile: path.join(home.logsDir, 'kinesis.log') });

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log('stopping local services');
    await Promise.allSettled([
      postgres?.stop(),
      ...Object.values(serverPids).map((pid) => stopProcess(pid, 'SIGTERM', 5_000)),
    ]);
    if (!attached) await clearServiceState(home);
    log('stopped');
  }
  process.exit(code);
}

// A library that emits an error nobody listens for (a failed spawn, say) must not leave the
// other service running: log it and stop everything.
process.on('uncaughtException', (error) => {
  log(`fatal: ${error.stack ?? String(error)}`);
  process.send?.({ type: 'error', message: error.message });
  void shutdown(1);
});
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));
if (attached) process.on('disconnect', () => void shutdown(0));

try {
  const credentials = await ensurePostgresCredentials(home);
  const [s3Port, kinesisPort, pgPort] = [await findFreePort(), await findFreePort(), await findFreePort()];
  const [s3Pid, kinesisPid] = await Promise.all([
    supervise('s3', 'S3 API server', startS3, s3Port),
    supervise('kinesis', 'Kinesis API server', startKinesis, kinesisPort),
  ]);
  postgres = await startPostgres(home, credentials, pgPort);
  const state: ServiceState = {
    version: 1,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    s3: { endpoint: `http://127.0.0.1:${s3Port}`, pid: s3Pid },
    kinesis: { endpoint: `http://127.0.0.1:${kinesisPort}`, pid: kinesisPid },
    postgres: { host: '127.0.0.1', port: postgres.port, pid: postgres.pid, ...LOCAL_DATABASE },
    warehouse: { path: home.warehouseFile },
  };
  if (!attached) await writeServiceState(home, state);
  log(
    `ready: S3 on ${state.s3.endpoint}, Kinesis on ${state.kinesis?.endpoint}, PostgreSQL on port ${state.postgres.port}`,
  );
  process.send?.({ type: 'ready', payload: state });
} catch (error) {
  log(`start failed: ${String(error)}`);
  process.send?.({ type: 'error', message: (error as Error).message });
  await shutdown(1);
}
