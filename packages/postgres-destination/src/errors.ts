import { InsightFlowError, type InsightFlowErrorOptions } from '@insightflow/shared-config';

/** Base error of the PostgreSQL destination. */
export class DestinationError extends InsightFlowError {
  public constructor(message: string, options: InsightFlowErrorOptions = {}) {
    super(message, options);
    this.name = 'DestinationError';
  }
}

/** The fast path found bad data and the caller asked for no row-by-row fallback. */
export class CopyRefusedError extends DestinationError {
  public constructor(
    public readonly key: string,
    cause: unknown,
  ) {
    super(`COPY refused data in ${key}: it goes through the validating load instead.`, { cause });
    this.name = 'CopyRefusedError';
  }
}

/**
 * SQL states of a connection PostgreSQL refused on purpose: the login (28…), the database
 * (3D000). Retrying repeats them; anything else at connect (a refused port, a timeout) may pass.
 */
const REFUSED_LOGIN_STATES = /^(28|3D000)/;

/** PostgreSQL could not be connected to: `endpoint` says where (never with a password), `cause` why. */
export class PostgresConnectError extends DestinationError {
  public constructor(
    /** Where: the connection URL with its password masked, or host:port/database as user. */
    public readonly endpoint: string,
    cause: unknown,
  ) {
    const code = (cause as { code?: unknown }).code;
    const refusedLogin = typeof code === 'string' && REFUSED_LOGIN_STATES.test(code);
    const tls = /SSL|TLS|certificate/i.test((cause as Error).message ?? '');
    super(`Could not connect to PostgreSQL at ${endpoint}: ${(cause as Error).message ?? String(cause)}`, {
      cause,
      kind: refusedLogin || tls ? 'terminal' : 'retryable',
    });
    this.name = 'PostgresConnectError';
  }
}
