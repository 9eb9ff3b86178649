import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { LOCAL_DEFAULTS } from '@insightflow/shared-config';
import { entryPoint, findFreePort, spawnEntryPoint, stopProcess, waitForReady } from './processes.js';
import { LOCAL_S3_CREDENTIALS } from './serviceState.js';

/** A running S3 API server process. */
export interface RunningS3Server {
  endpoint: string;
  port: number;
  pid: number;
  credentials: typeof LOCAL_S3_CREDENTIALS;
  /** The process, to watch for an unexpected exit. */
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Options for {@link startS3Server}. */
export interface S3ServerOptions {
  /** Where objects are stored. */
  dir: string;
  /** A fixed port (to restart on the same endpoint); a free one by default. */
  port?: number;
  /** Buckets to create; the three local buckets by default. */
  buckets?: readonly string[];
  /** File to append the server's output to. */
  logFile?: string;
}

/** The local buckets: raw, clean and stage. */
export const LOCAL_BUCKETS = [
  LOCAL_DEFAULTS.rawBucket,
  LOCAL_DEFAULTS.cleanBucket,
  LOCAL_DEFAULTS.stageBucket,
] as const;

/**
 * Starts s3rver in its own process (with `--openssl-legacy-provider`, which its list
 * continuation tokens need) on loopback, and waits until it answers.
 */
export async function startS3Server(options: S3ServerOptions): Promise<RunningS3Server> {
  await mkdir(options.dir, { recursive: true, mode: 0o755 });
  const port = options.port ?? (await findFreePort());
  const out = options.logFile ? openSync(options.logFile, 'a') : undefined;
  const child = spawnEntryPoint(
    entryPoint('s3ServerProcess.ts'),
    ['--dir', options.dir, '--port', String(port), '--buckets', (options.buckets ?? LOCAL_BUCKETS).join(',')],
    { nodeFlags: ['--openssl-legacy-provider'], ...(out === undefined ? {} : { stdio: out }) },
  );
  if (out !== undefined) closeSync(out);
  const { pid } = await waitForReady<{ pid: number }>(
    child,
    'The S3 API server',
    30_000,
    options.logFile ?? 'its output',
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    pid,
    credentials: LOCAL_S3_CREDENTIALS,
    process: child,
    stop: () => stopProcess(pid, 'SIGTERM', 5_000),
  };
}
