import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/insightflow.js', import.meta.url));

/** What one CLI invocation printed and returned. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `insightflow` executable in a child process. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A fresh home directory (mode 0700, as mkdtemp makes it) for one test file. */
export function makeTempHome(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'insightflow-test-'));
}

/** Parses the `export NAME='value'` lines printed by `insightflow env`. */
export function parseExports(text: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_][A-Z0-9_]*)='(.*)'$/.exec(line);
    if (m?.[1] && m[2] !== undefined) variables[m[1]] = m[2].replaceAll(`'\\''`, "'");
  }
  return variables;
}
