import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { defineHandler } from '@insightflow/lambda-handler';
import { readDatabaseRolesConfig } from '@insightflow/shared-config';
import { z } from 'zod';
import { connectAsMaster } from './adapters/masterConnection.js';
import { ensureSyncRole } from './ensureSyncRole.js';

/** The event is ignored: the role to create comes from the configuration. */
export const DatabaseRolesEventSchema = z.unknown();

/**
 * Lambda entry point, invoked by the data-sync-raw stack on every apply that changes it: makes
 * sure the sync's role exists with IAM authentication and its grants.
 */
export const handler = defineHandler(
  { name: 'database-roles', eventSchema: DatabaseRolesEventSchema },
  ({ tracer }) => {
    const config = readDatabaseRolesConfig();
    return { config, secrets: tracer.captureAWSv3Client(new SecretsManagerClient({ region: config.AWS_REGION })) };
  },
  async (_event, { config, secrets }, { logger }) => {
    const client = await connectAsMaster(config, secrets);
    try {
      const result = await ensureSyncRole(client, config.SYNC_DB_USER);
      logger.info('sync role ensured', { ...result });
      return result;
    } finally {
      await client.end();
    }
  },
);
