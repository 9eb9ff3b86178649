/**
 * The supervisor: one process that owns the local services of one home directory. It starts
 * the S3 API server (in a child process of its own) and PostgreSQL, tells its parent the
 * endpoints over IPC, restarts the S3 server if it dies, and stops everything on SIGTERM or
 * SIGINT — or, when attached, as soon as its parent goes away.
 *
 * Usage: node --import tsx supervisor.ts --home DIR [--attached]
 */
import { appendFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveHomeLayout } from './homeLayout.js';
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
let s3Pid: number | undefined;
let stopping = false;

async function startS3(port: number): Promise<number> {
  const server = await startS3Server({ dir: home.s3Dir, port, logFile: path.join(home.logsDir, 's3.log') });
  server.process.on('exit', (code, signal) => {
    if (stopping) return;
    log(`S3 API server exited (${signal ?? code}); restarting it on port ${port}`);
    startS3(port).then(
      (pid) => {
        s3Pid = pid;
      },
      (error) => log(`S3 API server restart failed: ${String(error)}`),
    );
  });
  return server.pid;
}

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log('stopping local services');
    await Promise.allSettled([
      postgres?.stop(),
      s3Pid === undefined ? undefined : stopProcess(s3Pid, 'SIGTERM', 5_000),
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
  const [s3Port, pgPort] = [await findFreePort(), await findFreePort()];
  s3Pid = await startS3(s3Port);
  postgres = await startPostgres(home, credentials, pgPort);
  const state: ServiceState = {
    version: 1,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    s3: { endpoint: `http://127.0.0.1:${s3Port}`, pid: s3Pid },
    postgres: { host: '127.0.0.1', port: postgres.port, pid: postgres.pid, ...LOCAL_DATABASE },
    warehouse: { path: home.warehouseFile },
  };
  if (!attached) await writeServiceState(home, state);
  log(`ready: S3 on ${state.s3.endpoint}, PostgreSQL on port ${state.postgres.port}`);
  process.send?.({ type: 'ready', payload: state });
} catch (error) {
  log(`start failed: ${String(error)}`);
  process.send?.({ type: 'error', message: (error as Error).message });
  await shutdown(1);
}
