import { readFile, rm, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { HomeLayout } from './homeLayout.js';

/** The fixed credentials of the local S3 API server (s3rver verifies signatures against them). */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** What a running set of local services looks like from outside. */
export const ServiceStateSchema = z.object({
  version: z.literal(1),
  /** The supervising process; stopping it stops everything. */
  pid: z.number().int().positive(),
  startedAt: z.iso.datetime(),
  s3: z.object({ endpoint: z.url(), pid: z.number().int().positive() }),
  /** The Kinesis API server (kinesalite); absent in the state of services started before it existed. */
  kinesis: z.object({ endpoint: z.url(), pid: z.number().int().positive() }).optional(),
  postgres: z.object({
    host: z.string(),
    port: z.number().int().positive(),
    user: z.string(),
    database: z.string(),
    pid: z.number().int().positive(),
  }),
  warehouse: z.object({ path: z.string() }),
});
export type ServiceState = z.infer<typeof ServiceStateSchema>;

/** The local PostgreSQL role's secret, kept apart from the state file. */
export const PostgresCredentialsSchema = z.object({ user: z.string(), password: z.string().min(16) });
export type PostgresCredentials = z.infer<typeof PostgresCredentialsSchema>;

/** Reads the state file; undefined when services were never started or were stopped. */
export async function readServiceState(home: HomeLayout): Promise<ServiceState | undefined> {
  let text: string;
  try {
    text = await readFile(home.stateFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = ServiceStateSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

/** Records the running services. */
export async function writeServiceState(home: HomeLayout, state: ServiceState): Promise<void> {
  await writeFile(home.stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** Forgets the running services. */
export async function clearServiceState(home: HomeLayout): Promise<void> {
  await rm(home.stateFile, { force: true });
}

/** True when a process with this id exists. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
