import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { LocalServiceError } from './errors.js';
import type { HomeLayout } from './homeLayout.js';
import { ensurePostgresCredentials, localDatabaseUrl } from './postgresCredentials.js';
import { entryPoint, spawnEntryPoint, stopProcess, waitForReady } from './processes.js';
import {
  clearServiceState,
  isProcessAlive,
  LOCAL_S3_CREDENTIALS,
  type PostgresCredentials,
  readServiceState,
  type ServiceState,
} from './serviceState.js';

/** Local services that are running, and how to reach them. */
export interface LocalServices {
  state: ServiceState;
  /** The S3 API server's endpoint. */
  s3Endpoint: string;
  /** Credentials the S3 API server accepts. */
  s3Credentials: typeof LOCAL_S3_CREDENTIALS;
  /** The Kinesis API server's endpoint; undefined for services started before it was one of them. */
  kinesisEndpoint: string | undefined;
  /** A connection URL for the local database (holds the local password). */
  databaseUrl: string;
  warehousePath: string;
}

const STARTUP_TIMEOUT_MS = 120_000;

function describe(state: ServiceState, credentials: PostgresCredentials): LocalServices {
  return {
    state,
    s3Endpoint: state.s3.endpoint,
    s3Credentials: LOCAL_S3_CREDENTIALS,
    kinesisEndpoint: state.kinesis?.endpoint,
    databaseUrl: localDatabaseUrl(state.postgres.port, credentials),
    warehousePath: state.warehouse.path,
  };
}

/** The services started by `up` for this home, or undefined when none are running. */
export async function findRunningServices(home: HomeLayout): Promise<LocalServices | undefined> {
  const state = await readServiceState(home);
  if (!state) return undefined;
  if (!isProcessAlive(state.pid)) {
    // The supervisor died without cleaning up (killed, machine restarted): forget it.
    await clearServiceState(home);
    return undefined;
  }
  return describe(state, await ensurePostgresCredentials(home));
}

async function spawnSupervisor(home: HomeLayout, attached: boolean) {
  await mkdir(home.root, { recursive: true, mode: 0o755 });
  const child = spawnEntryPoint(
    entryPoint('supervisor.ts'),
    ['--home', home.root, ...(attached ? ['--attached'] : [])],
    {
      detached: !attached,
    },
  );
  const state = await waitForReady<ServiceState>(
    child,
    'The local services',
    STARTUP_TIMEOUT_MS,
    `${path.join(home.logsDir, 'supervisor.log')} and supervisor.out`,
  );
  return { child, state };
}

/**
 * Starts the local services in the background for this home (`insightflow up`), or returns
 * the ones already running. They outlive the calling process until {@link stopServices}.
 */
export async function startServices(home: HomeLayout): Promise<{ services: LocalServices; alreadyRunning: boolean }> {
  const running = await findRunningServices(home);
  if (running) return { services: running, alreadyRunning: true };
  const { child, state } = await spawnSupervisor(home, false);
  child.disconnect();
  child.unref();
  return { services: describe(state, await ensurePostgresCredentials(home)), alreadyRunning: false };
}

/**
 * Stops the services `up` started for this home and waits until none of their processes is
 * left. Returns false when nothing was running.
 */
export async function stopServices(home: HomeLayout): Promise<boolean> {
  const state = await readServiceState(home);
  if (!state) return false;
  await stopProcess(state.pid, 'SIGTERM', 30_000);
  // If the supervisor had to be killed, its children may still be there.
  const servers = [state.s3.pid, ...(state.kinesis ? [state.kinesis.pid] : [])];
  await Promise.all([
    ...servers.map((pid) => stopProcess(pid, 'SIGTERM', 5_000)),
    stopProcess(state.postgres.pid, 'SIGINT', 15_000),
  ]);
  const left = [state.pid, ...servers, state.postgres.pid].filter(isProcessAlive);
  if (left.length > 0) throw new LocalServiceError(`processes ${left.join(', ')} did not stop; kill them by hand`);
  await clearServiceState(home);
  return true;
}

/**
 * Runs `work` with local services: the ones `up` started if any, otherwise services started
 * for the duration of the call (and stopped after it, even when it fails).
 */
export async function withLocalServices<T>(
  home: HomeLayout,
  work: (services: LocalServices) => Promise<T>,
): Promise<T> {
  const running = await findRunningServices(home);
  if (running) return work(running);
  const attached = await startAttachedServices(home);
  try {
    return await work(attached.services);
  } finally {
    await attached.stop();
  }
}

/**
 * Starts services tied to this process (they stop with it, or on `stop()`), without recording
 * them for other commands: what tests and one-off commands use.
 */
export async function startAttachedServices(
  home: HomeLayout,
): Promise<{ services: LocalServices; stop(): Promise<void> }> {
  const { child, state } = await spawnSupervisor(home, true);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    services: describe(state, await ensurePostgresCredentials(home)),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
