import type pg from 'pg';

/** What {@link ensureSyncRole} did. */
export interface SyncRoleResult {
  role: string;
  database: string;
  created: boolean;
  /** False where the server has no `rds_iam` role (a PostgreSQL that is not RDS). */
  iamAuthentication: boolean;
}

/**
 * Makes `role` a login role that authenticates by IAM token (`rds_iam`) and may create its
 * schema in the current database. Idempotent: a redeploy re-runs it and changes nothing.
 * Runs in one transaction, so a failure leaves the role as it was.
 */
export async function ensureSyncRole(client: pg.ClientBase, role: string): Promise<SyncRoleResult> {
  const quoted = client.escapeIdentifier(role);
  await client.query('BEGIN');
  try {
    const database = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db as string;
    const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount === 1;
    if (!exists) await client.query(`CREATE ROLE ${quoted} LOGIN`);
    const rdsIam = (await client.query("SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam'")).rowCount === 1;
    if (rdsIam) await client.query(`GRANT rds_iam TO ${quoted}`);
    await client.query(`GRANT CONNECT, CREATE ON DATABASE ${client.escapeIdentifier(database)} TO ${quoted}`);
    await client.query('COMMIT');
    return { role, database, created: !exists, iamAuthentication: rdsIam };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
