import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HomeLayout } from './homeLayout.js';
import { type PostgresCredentials, PostgresCredentialsSchema } from './serviceState.js';

/** The local role and database InsightFlow uses. */
export const LOCAL_DATABASE = { user: 'insightflow', database: 'insightflow' } as const;

/** Reads the local role's password, creating it (mode 0600) on first use. */
export async function ensurePostgresCredentials(home: HomeLayout): Promise<PostgresCredentials> {
  try {
    return PostgresCredentialsSchema.parse(JSON.parse(await readFile(home.postgresCredentialsFile, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const credentials = { user: LOCAL_DATABASE.user, password: randomBytes(24).toString('base64url') };
  await mkdir(path.dirname(home.postgresCredentialsFile), { recursive: true, mode: 0o755 });
  await writeFile(home.postgresCredentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

/** The connection URL of the local database. */
export function localDatabaseUrl(port: number, credentials: PostgresCredentials): string {
  const user = encodeURIComponent(credentials.user);
  const password = encodeURIComponent(credentials.password);
  return `postgres://${user}:${password}@127.0.0.1:${port}/${LOCAL_DATABASE.database}`;
}
