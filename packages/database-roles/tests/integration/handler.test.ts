import {
  type SecretsManagerStandIn,
  startSecretsManagerStandIn,
  startTestServices,
  type TestServices,
} from '@insightflow/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-test-AbCdEf';

describe('Lambda handler: database-roles (real PostgreSQL, Secrets Manager stand-in)', () => {
  let services: TestServices;
  let secrets: SecretsManagerStandIn;
  let handler: () => Promise<{ role: string; created: boolean; iamAuthentication: boolean }>;

  beforeAll(async () => {
    services = await startTestServices();
    const url = new URL(services.databaseUrl);
    secrets = await startSecretsManagerStandIn({
      [SECRET]: JSON.stringify({
        username: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
      }),
    });
    url.username = '';
    url.password = '';
    vi.stubEnv('MASTER_SECRET_ARN', SECRET);
    // The connection URL carries no credentials: they come from the secret, as on AWS.
    vi.stubEnv('DATABASE_URL', url.toString());
    vi.stubEnv('SYNC_DB_USER', 'insightflow_sync_test');
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', secrets.endpoint);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    ({ handler } = (await import('../../src/handler.js')) as never);
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await secrets?.stop();
    await services?.stop();
  });

  it('creates the sync role as a login role that may create its schema, reading the master credentials from the secret', async () => {
    const result = await handler();
    expect(result).toMatchObject({ role: 'insightflow_sync_test', created: true, iamAuthentication: false });
    expect(secrets.requested).toEqual([SECRET]);
    const [role] = await services.query<{ rolcanlogin: boolean; can_create: boolean }>(
      `SELECT rolcanlogin, has_database_privilege('insightflow_sync_test', current_database(), 'CREATE') AS can_create
         FROM pg_roles WHERE rolname = 'insightflow_sync_test'`,
    );
    expect(role).toEqual({ rolcanlogin: true, can_create: true });
  });

  it('changes nothing when run again (every apply may invoke it)', async () => {
    expect(await handler()).toMatchObject({ created: false });
    const roles = await services.query(`SELECT 1 FROM pg_roles WHERE rolname = 'insightflow_sync_test'`);
    expect(roles).toHaveLength(1);
  });
});
