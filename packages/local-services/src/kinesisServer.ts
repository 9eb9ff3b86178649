import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { entryPoint, findFreePort, spawnEntryPoint, stopProcess, waitForReady } from './processes.js';

/** A running local Kinesis API server process (kinesalite). */
export interface RunningKinesisServer {
  endpoint: string;
  port: number;
  pid: number;
  /** The process, to watch for an unexpected exit. */
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Options for {@link startKinesisServer}. */
export interface KinesisServerOptions {
  /** A fixed port (to restart on the same endpoint); a free one by default. */
  port?: number;
  /** File to append the server's output to. */
  logFile?: string;
}

/**
 * Starts kinesalite in its own process on loopback and waits until it listens. It keeps its
 * streams in memory: a restart starts with none (the local pipeline creates them again, and the
 * delivery loop's checkpoints notice the new shards).
 */
export async function startKinesisServer(options: KinesisServerOptions = {}): Promise<RunningKinesisServer> {
  const port = options.port ?? (await findFreePort());
  const out = options.logFile ? openSync(options.logFile, 'a') : undefined;
  const child = spawnEntryPoint(entryPoint('kinesisServerProcess.ts'), ['--port', String(port)], {
    ...(out === undefined ? {} : { stdio: out }),
  });
  if (out !== undefined) closeSync(out);
  const { pid } = await waitForReady<{ pid: number }>(
    child,
    'The Kinesis API server',
    30_000,
    options.logFile ?? 'its output',
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    pid,
    process: child,
    stop: () => stopProcess(pid, 'SIGTERM', 5_000),
  };
}
