import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { childEnvironment } from '@insightflow/shared-config';
import { LocalServiceError } from './errors.js';
import { isProcessAlive } from './serviceState.js';

/** Asks the OS for a free TCP port on loopback. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The absolute path of a TypeScript entry point next to this file. */
export function entryPoint(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/**
 * Starts a TypeScript entry point in its own Node.js process with an IPC channel, using tsx
 * to load it. `nodeFlags` come before the loader (e.g. `--openssl-legacy-provider`).
 */
export function spawnEntryPoint(
  file: string,
  args: readonly string[],
  options: { nodeFlags?: readonly string[]; detached?: boolean; stdio?: 'ignore' | number } = {},
): ChildProcess {
  const tsx = import.meta.resolve('tsx');
  const out = options.stdio ?? 'ignore';
  return spawn(process.execPath, [...(options.nodeFlags ?? []), '--import', tsx, file, ...args], {
    detached: options.detached ?? false,
    stdio: ['ignore', out, out, 'ipc'],
    env: childEnvironment({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }),
  });
}

/** A message a service process sends its parent over IPC. */
export type ReadyMessage<T> = { type: 'ready'; payload: T } | { type: 'error'; message: string };

/** Waits for a child's first IPC message: its ready payload, or why it failed. */
export function waitForReady<T>(child: ChildProcess, what: string, timeoutMs: number, logHint: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fail = (reason: string) => {
      cleanup();
      reject(new LocalServiceError(`${what} did not start: ${reason}. See ${logHint}.`));
    };
    const onMessage = (message: ReadyMessage<T>) => {
      cleanup();
      if (message.type === 'ready') resolve(message.payload);
      else reject(new LocalServiceError(`${what} did not start: ${message.message}. See ${logHint}.`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`the process exited (${signal ?? `code ${code}`}) before it was ready`);
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Sends `signal` to a process and waits until it is gone; SIGKILL after `graceMs`. */
export async function stopProcess(pid: number, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (!isProcessAlive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && isProcessAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
}
