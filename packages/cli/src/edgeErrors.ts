import { FirehoseServiceException } from '@aws-sdk/client-firehose';
import { KinesisServiceException } from '@aws-sdk/client-kinesis';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { ObjectStoreError } from '@insightflow/object-store';
import { PostgresConnectError, SYNC_SCHEMA } from '@insightflow/postgres-destination';
import { ErrorKind, InsightFlowError } from '@insightflow/shared-config';
import { WarehouseError } from '@insightflow/warehouse';

/**
 * The one place that turns a low-level failure to reach something (a Node system error, a
 * PostgreSQL error code, an AWS SDK error, a warehouse's refusal, a timeout) into an
 * {@link EdgeError} that names the service, its endpoint (never a password), the variable or
 * flag the endpoint came from, and the next step. The CLI maps every failure that leaves
 * `withEndpoints()` through {@link explainEdgeFailure}; `status` uses it to say why a part is
 * unreachable.
 */

/** The services the CLI reaches. */
export const EdgeService = {
  postgres: 'PostgreSQL',
  s3: 'S3 API',
  warehouse: 'warehouse',
  firehose: 'Firehose',
  kinesis: 'Kinesis',
} as const;
export type EdgeService = (typeof EdgeService)[keyof typeof EdgeService];

/** What went wrong at the edge. */
export const EdgeProblem = {
  refused: 'connection-refused',
  dns: 'dns',
  tls: 'tls',
  timeout: 'timeout',
  reset: 'connection-reset',
  credentials: 'credentials',
  denied: 'access-denied',
  missingBucket: 'missing-bucket',
  missingDatabase: 'missing-database',
  missingTable: 'missing-table',
  missingStream: 'missing-stream',
  unusable: 'unusable',
} as const;
export type EdgeProblem = (typeof EdgeProblem)[keyof typeof EdgeProblem];

/** One service this invocation reaches, and how it was told where. */
export interface Edge {
  service: EdgeService;
  /** Where, as it may be shown: a URL with its password masked, a file path, a host. */
  endpoint: string;
  /** The variable or flag the endpoint came from, e.g. `DATABASE_URL`. */
  source: string;
  /** Whether the endpoint is one of the local services the CLI starts (`insightflow up`). */
  local: boolean;
  /** Host and port, to tell which edge a socket error belongs to. */
  host?: string | undefined;
  port?: number | undefined;
  /** For S3: which variable names each bucket. */
  buckets?: Readonly<Record<string, string>>;
  /** How long a connection attempt may take (the variable that sets it is INSIGHTFLOW_CONNECT_TIMEOUT_MS). */
  timeoutMs?: number;
  /** For the warehouse: `duckdb` or `snowflake`. */
  flavour?: 'duckdb' | 'snowflake';
}

/** A failure to reach (or use) a service, naming it, its endpoint, its source and the next step. */
export class EdgeError extends InsightFlowError {
  public readonly service: EdgeService;
  public readonly endpoint: string;
  public readonly source: string;
  public readonly problem: EdgeProblem;
  public readonly nextStep: string;

  public constructor(edge: Edge, problem: EdgeProblem, what: string, nextStep: string, cause: unknown) {
    super(`${edge.service} at ${edge.endpoint} (from ${edge.source}): ${what}.\n  Next step: ${nextStep}.`, {
      cause,
      kind: RETRYABLE_PROBLEMS.has(problem) ? ErrorKind.retryable : ErrorKind.terminal,
    });
    this.name = 'EdgeError';
    this.service = edge.service;
    this.endpoint = edge.endpoint;
    this.source = edge.source;
    this.problem = problem;
    this.nextStep = nextStep;
  }

  /** The fields a `--json` error document carries besides name, message and kind. */
  public toJSON(): Record<string, string> {
    return {
      service: this.service,
      endpoint: this.endpoint,
      source: this.source,
      problem: this.problem,
      nextStep: this.nextStep,
    };
  }
}

const RETRYABLE_PROBLEMS: ReadonlySet<EdgeProblem> = new Set([
  EdgeProblem.refused,
  EdgeProblem.timeout,
  EdgeProblem.reset,
]);

/** The endpoint of a URL, for matching socket errors: host and port (the scheme's default if none). */
export function hostAndPort(url: string): { host: string; port: number } | undefined {
  try {
    const parsed = new URL(url);
    const defaults: Record<string, number> = { 'http:': 80, 'https:': 443, 'postgres:': 5432, 'postgresql:': 5432 };
    return {
      host: parsed.hostname.replace(/^\[|\]$/g, ''),
      port: parsed.port ? Number(parsed.port) : (defaults[parsed.protocol] ?? 0),
    };
  } catch {
    return undefined;
  }
}

/** The error and its causes, outermost first (AggregateError's members too: Node's dual-stack connects). */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  const queue = [error];
  while (queue.length > 0 && chain.length < 20) {
    const current = queue.shift();
    if (current === undefined || current === null || chain.includes(current)) continue;
    chain.push(current);
    if (current instanceof AggregateError) queue.push(...current.errors);
    if (current instanceof Error && current.cause !== undefined) queue.push(current.cause);
  }
  return chain;
}

interface Finding {
  problem: EdgeProblem;
  /** The low-level detail, e.g. `connect ECONNREFUSED 127.0.0.1:1`. */
  detail: string;
  code?: string | undefined;
}

const field = (error: unknown, name: string): unknown =>
  typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
const text = (error: unknown, name: string): string | undefined => {
  const value = field(error, name);
  return typeof value === 'string' ? value : undefined;
};
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** A PostgreSQL server error: pg's DatabaseError carries a severity and a five-character SQL state. */
function isPostgresError(error: unknown): boolean {
  return text(error, 'severity') !== undefined && /^[0-9A-Z]{5}$/.test(text(error, 'code') ?? '');
}

const TLS_CODE = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_|ERR_SSL_|EPROTO$)/;
const CREDENTIAL_NAMES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'CredentialsProviderError',
]);
const DENIED_NAMES = new Set(['AccessDenied', 'AccessDeniedException', 'Forbidden']);

/** What one error in the chain says went wrong, if it says anything we know. */
function findingOf(error: unknown): Finding | undefined {
  const code = text(error, 'code');
  const name = error instanceof Error ? error.name : text(error, 'name');
  const detail = messageOf(error);
  if (isPostgresError(error)) {
    if (code === '28P01' || code === '28000') return { problem: EdgeProblem.credentials, detail, code };
    if (code === '3D000') return { problem: EdgeProblem.missingDatabase, detail, code };
    if (code === '42P01' || code === '3F000') return { problem: EdgeProblem.missingTable, detail, code };
    if (code === '42501') return { problem: EdgeProblem.denied, detail, code };
    return undefined;
  }
  if (code === 'ECONNREFUSED') return { problem: EdgeProblem.refused, detail, code };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME')
    return { problem: EdgeProblem.dns, detail, code };
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT' || name === 'TimeoutError')
    return { problem: EdgeProblem.timeout, detail, code };
  if (code === 'ECONNRESET' || code === 'EPIPE') return { problem: EdgeProblem.reset, detail, code };
  if (code && TLS_CODE.test(code)) return { problem: EdgeProblem.tls, detail, code };
  if (name === 'NoSuchBucket') return { problem: EdgeProblem.missingBucket, detail, code: name };
  if (name && CREDENTIAL_NAMES.has(name)) return { problem: EdgeProblem.credentials, detail, code: name };
  if (name && DENIED_NAMES.has(name)) return { problem: EdgeProblem.denied, detail, code: name };
  if (name === 'ResourceNotFoundException') return { problem: EdgeProblem.missingStream, detail, code: name };
  // pg's own words for what it did not get from the server (no code on these).
  if (/does not support SSL|self[- ]signed certificate|certificate/i.test(detail) && error instanceof Error)
    return { problem: EdgeProblem.tls, detail };
  if (/connection timeout|timeout expired|timed out/i.test(detail)) return { problem: EdgeProblem.timeout, detail };
  if (/Connection terminated unexpectedly/.test(detail)) return { problem: EdgeProblem.reset, detail };
  if (error instanceof WarehouseError || /DuckDB|Catalog Error|IO Error/i.test(detail)) {
    if (
      error instanceof WarehouseError &&
      (error.sqlState === '42S02' || error.code === '002003') &&
      !/schema|database/i.test(detail)
    )
      return { problem: EdgeProblem.missingTable, detail, code: error.sqlState ?? error.code };
    if (/Table with name \S+ does not exist/i.test(detail)) return { problem: EdgeProblem.missingTable, detail };
    if (error instanceof WarehouseError && /^3901\d\d$/.test(error.code ?? ''))
      return { problem: EdgeProblem.credentials, detail, code: error.code };
    if (/Could not set lock|IO Error|Permission denied/i.test(detail)) return { problem: EdgeProblem.unusable, detail };
  }
  return undefined;
}

/** The service an error in the chain belongs to, when its type says so. */
function serviceOf(error: unknown): EdgeService | undefined {
  if (error instanceof PostgresConnectError || isPostgresError(error)) return EdgeService.postgres;
  if (error instanceof FirehoseServiceException) return EdgeService.firehose;
  if (error instanceof KinesisServiceException) return EdgeService.kinesis;
  if (error instanceof S3ServiceException || error instanceof ObjectStoreError) return EdgeService.s3;
  if (error instanceof WarehouseError) return EdgeService.warehouse;
  return undefined;
}

/** The edge a socket error's address or host name points at. */
function edgeByAddress(chain: readonly unknown[], edges: readonly Edge[]): Edge | undefined {
  for (const error of chain) {
    const host = text(error, 'hostname') ?? text(error, 'address') ?? text(error, 'host');
    const port = field(error, 'port');
    if (host === undefined) continue;
    const match = edges.find((e) => e.host === host && (typeof port !== 'number' || e.port === port));
    if (match) return match;
  }
  return undefined;
}

/** The bucket a failure was about, and the variable that names it. */
function bucketOf(chain: readonly unknown[], edge: Edge): { bucket: string; variable: string } | undefined {
  for (const error of chain) {
    const bucket = text(error, 'BucketName') ?? (error instanceof ObjectStoreError ? error.bucket : undefined);
    if (bucket) return { bucket, variable: edge.buckets?.[bucket] ?? 'the bucket setting' };
  }
  return undefined;
}

const START_LOCAL = 'start the local services with `npx insightflow up` (then `eval "$(npx insightflow env)"`)';
const RESTART_LOCAL = 'restart the local services with `npx insightflow down && npx insightflow up`';

/** What went wrong, in words, and the next step, for one edge. */
function explain(edge: Edge, finding: Finding, chain: readonly unknown[]): { what: string; next: string } {
  const { problem, detail } = finding;
  const target = edge.host ? `${edge.host}:${edge.port}` : edge.endpoint;
  const reach: Partial<Record<EdgeProblem, string>> = {
    [EdgeProblem.refused]: `nothing accepts connections at ${target} (connection refused)`,
    [EdgeProblem.dns]: `the host name ${edge.host ?? detail} does not resolve (DNS: ${finding.code ?? 'not found'})`,
    [EdgeProblem.timeout]: `no answer from ${target} within ${edge.timeoutMs ?? '?'} ms (timeout)`,
    [EdgeProblem.reset]: `${target} closed the connection without answering (${finding.code ?? detail})`,
  };
  const fixReach = (variable: string, what: string): string => {
    if (edge.local) return `the local ${edge.service} stopped answering: ${RESTART_LOCAL}`;
    if (problem === EdgeProblem.dns) return `check the host name in ${variable}, or point ${variable} at ${what}`;
    if (problem === EdgeProblem.timeout)
      return `check that ${variable} names ${what} and no firewall drops the connection; INSIGHTFLOW_CONNECT_TIMEOUT_MS sets the wait (${edge.timeoutMs ?? '?'} ms now)`;
    return `${START_LOCAL}, or point ${variable} at ${what}`;
  };
  switch (edge.service) {
    case EdgeService.postgres: {
      const reachable = reach[problem];
      if (reachable) return { what: reachable, next: fixReach('DATABASE_URL', 'a reachable PostgreSQL') };
      if (problem === EdgeProblem.credentials)
        return {
          what: `the login was refused (${detail})`,
          next: 'fix the user name and password in DATABASE_URL (`npx insightflow env` prints the local services’ URL)',
        };
      if (problem === EdgeProblem.missingDatabase)
        return { what: detail, next: 'create that database, or fix the database name at the end of DATABASE_URL' };
      if (problem === EdgeProblem.missingTable)
        return {
          what: `a table the sync keeps is missing (${detail})`,
          next: `point DATABASE_URL at the database the sync writes to, or rebuild the sync schema: \`DROP SCHEMA ${SYNC_SCHEMA} CASCADE\`, then \`npx insightflow sync --mode full\``,
        };
      if (problem === EdgeProblem.denied)
        return {
          what: detail,
          next: 'grant the role in DATABASE_URL the privileges the sync needs, or connect as one that has them',
        };
      if (/does not support SSL/i.test(detail))
        return {
          what: `TLS was asked for but the server does not offer it (${detail})`,
          next: 'remove sslmode from DATABASE_URL (or set sslmode=disable) for a server without TLS, or enable TLS on the server',
        };
      return {
        what: `the TLS handshake failed (${detail})`,
        next: 'give DATABASE_URL the CA that signed the server’s certificate (sslrootcert=…), or fix the server’s certificate',
      };
    }
    case EdgeService.s3: {
      const variable = edge.source === 'S3_ENDPOINT' ? 'S3_ENDPOINT' : undefined;
      const reachable = reach[problem];
      if (reachable)
        return {
          what: reachable,
          next: variable
            ? fixReach(variable, 'a reachable S3 API (unset it to use AWS S3)')
            : edge.local
              ? fixReach('S3_ENDPOINT', '')
              : 'check the network and AWS_REGION, or set S3_ENDPOINT for an S3-compatible server',
        };
      const bucket = bucketOf(chain, edge);
      if (problem === EdgeProblem.missingBucket)
        return {
          what: `bucket ${bucket?.bucket ?? '(unknown)'} does not exist`,
          next: `create bucket ${bucket?.bucket ?? ''} or set ${bucket?.variable ?? 'the bucket variable'} to an existing one (\`npx insightflow up\` creates the local buckets)`,
        };
      if (problem === EdgeProblem.credentials)
        return {
          what: `the credentials were refused (${detail})`,
          next: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) to valid credentials; for the local S3 API, `eval "$(npx insightflow env)"` sets them',
        };
      if (problem === EdgeProblem.denied)
        return {
          what: `access was denied${bucket ? ` to bucket ${bucket.bucket}` : ''} (${detail})`,
          next: `allow these credentials s3:ListBucket, s3:GetObject and s3:PutObject on ${bucket ? `bucket ${bucket.bucket} (${bucket.variable})` : 'the bucket'}`,
        };
      if (problem === EdgeProblem.tls && /wrong version number|EPROTO|packet length too long/i.test(detail))
        return {
          what: `the TLS handshake failed: the server speaks plain HTTP (${finding.code ?? 'EPROTO'})`,
          next: `use http:// in ${variable ?? 'S3_ENDPOINT'} for a server without TLS`,
        };
      return {
        what: `the ${problem === EdgeProblem.tls ? 'TLS handshake failed' : 'request failed'} (${detail})`,
        next: `check ${variable ?? 'S3_ENDPOINT'} and the server’s certificate (NODE_EXTRA_CA_CERTS adds a CA)`,
      };
    }
    case EdgeService.warehouse: {
      if (edge.flavour === 'snowflake') {
        const reachable = reach[problem];
        if (problem === EdgeProblem.dns)
          return {
            what: reachable ?? detail,
            next: 'check SNOWFLAKE_ACCOUNT: an account identifier such as myorg-myaccount (or set SNOWFLAKE_ACCESS_URL)',
          };
        if (reachable)
          return { what: reachable, next: `check the network and ${edge.source}, then run the command again` };
        if (problem === EdgeProblem.credentials)
          return {
            what: `the login was refused (${detail})`,
            next: 'check SNOWFLAKE_USER and the credentials in the secret SNOWFLAKE_SECRET_ARN names',
          };
        if (problem === EdgeProblem.missingTable)
          return {
            what: detail,
            next: 'load the table first (`npx insightflow load`), or check SNOWFLAKE_DATABASE and SNOWFLAKE_SCHEMA',
          };
        return { what: detail, next: `check ${edge.source} and the Snowflake role’s grants` };
      }
      if (problem === EdgeProblem.missingTable)
        return {
          what: `a catalog table is not in the warehouse (${detail.split('\n')[0]})`,
          next: 'load it first: `npx insightflow generate && npx insightflow load` (or `npx insightflow run`)',
        };
      if (/Could not set lock/i.test(detail))
        return {
          what: `another process has the DuckDB file open (${detail.split('\n')[0]})`,
          next: 'let that command finish or stop it, or choose another directory with --home',
        };
      return {
        what: `the DuckDB file cannot be used (${detail.split('\n')[0]})`,
        next: 'check the file and its directory are writable, or choose another directory with --home',
      };
    }
    case EdgeService.firehose: {
      const reachable = reach[problem];
      if (reachable)
        return {
          what: reachable,
          next: 'the delivery stream `insightflow publish` starts stopped answering: run the command again; if it repeats, run it with --verbose and report the trace',
        };
      if (problem === EdgeProblem.missingStream)
        return { what: detail, next: 'create the delivery stream (the streaming stack), or fix its name' };
      return { what: detail, next: 'check the credentials and the delivery stream’s permissions' };
    }
    case EdgeService.kinesis: {
      const reachable = reach[problem];
      if (reachable)
        return {
          what: reachable,
          next: edge.local ? RESTART_LOCAL : 'check KINESIS_ENDPOINT points at a running Kinesis API server',
        };
      if (problem === EdgeProblem.missingStream)
        return {
          what: detail,
          next: 'create the data stream (the streaming stack with INSIGHTFLOW_STREAM_SOURCE=kinesis), or fix its name',
        };
      return { what: detail, next: 'check the credentials and the data stream’s permissions' };
    }
  }
}

/**
 * Explains a failure at one of `edges`, or returns undefined when the failure is not a failure
 * to reach or use one of them (a refused schema change, say): that error stays as it is.
 */
export function explainEdgeFailure(error: unknown, edges: readonly Edge[]): EdgeError | undefined {
  if (error instanceof EdgeError) return error;
  const chain = causeChain(error);
  let finding: Finding | undefined;
  for (const link of [...chain].reverse()) {
    finding = findingOf(link);
    if (finding) break;
  }
  if (!finding) return undefined;
  // An adapter's error type says which service it was; a bare socket error says only where.
  const service = [...chain].reverse().map(serviceOf).find(Boolean);
  const edge = service
    ? edges.find((e) => e.service === service)
    : (edgeByAddress(chain, edges) ?? (edges.length === 1 ? edges[0] : undefined));
  if (!edge) return undefined;
  const { what, next } = explain(edge, finding, chain);
  return new EdgeError(edge, finding.problem, what, next, error);
}

/** Runs `work`, explaining a failure at `edges` (anything else is rethrown as it is). */
export async function atEdges<T>(edges: readonly Edge[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw explainEdgeFailure(error, edges) ?? error;
  }
}
