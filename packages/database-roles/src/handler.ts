import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readDatabaseRolesConfig } from '@insightflow/shared-config';
import { connectAsMaster } from './adapters/masterConnection.js';
import { ensureSyncRole, type SyncRoleResult } from './ensureSyncRole.js';

const config = readDatabaseRolesConfig();
const logger = new Logger({ serviceName: 'database-roles' });
const secrets = new SecretsManagerClient({ region: config.AWS_REGION });

/**
 * Lambda entry point, invoked by the data-sync-raw stack on every apply that changes it: makes
 * sure the sync's role exists with IAM authentication and its grants. The event is ignored.
 */
export async function handler(): Promise<SyncRoleResult> {
  const client = await connectAsMaster(config, secrets);
  try {
    const result = await ensureSyncRole(client, config.SYNC_DB_USER);
    logger.info('sync role ensured', { ...result });
    return result;
  } finally {
    await client.end();
  }
}
