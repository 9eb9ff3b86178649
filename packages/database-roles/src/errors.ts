import { InsightFlowError, type InsightFlowErrorOptions } from '@insightflow/shared-config';

/** Base error of database-roles. */
export class DatabaseRolesError extends InsightFlowError {
  public constructor(message: string, options: InsightFlowErrorOptions = {}) {
    super(message, options);
    this.name = 'DatabaseRolesError';
  }
}

/** The master secret is missing its username or password. */
export class MasterSecretError extends DatabaseRolesError {
  public constructor(secretArn: string) {
    super(
      `Secret ${secretArn} does not hold the master user's {"username", "password"}: it should be the secret RDS ` +
        'manages for the instance (manage_master_user_password); check the rds-postgresql stack.',
    );
    this.name = 'MasterSecretError';
  }
}
