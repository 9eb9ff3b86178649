import path from 'node:path';
import { z } from 'zod';
import { CATALOG_NAME_PATTERN } from './catalogSchema.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { DEFAULT_STAGE_PREFIX } from './lakeLayout.js';

/**
 * Every environment variable InsightFlow reads is declared here, one zod schema per runtime
 * (each Lambda, the CLI, the stacks and the offline plan). Nothing else in the code base touches
 * `process.env` (tests and benchmarks aside): a child process gets its environment from
 * {@link childEnvironment}. `scripts/tests/dependencyRules.test.ts` keeps it so.
 *
 * A runtime reads its configuration once, at start (a Lambda at cold start), through its
 * `readXxxConfig()` function; a bad or missing variable raises a {@link ConfigError} that
 * names the variable, the value received and the form expected.
 */

/** The raw environment: a map of variable names to strings. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Local defaults, used by the CLI and the local services only; Lambdas get theirs from the stacks. */
export const LOCAL_DEFAULTS = {
  region: 'us-east-1',
  rawBucket: 'insightflow-raw-bucket',
  cleanBucket: 'insightflow-clean-bucket',
  stageBucket: 'insightflow-stage',
  home: '.insightflow',
} as const;

const BUCKET_RE = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION_RE = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

const bucket = () =>
  z.string().regex(BUCKET_RE).describe('an S3 bucket name: 3–63 lowercase letters, digits, dots or hyphens');
const catalogPath = () =>
  z.string().min(1).optional().describe('the path of a catalog file (YAML or JSON), e.g. catalog.yaml');
const region = () => z.string().regex(REGION_RE).describe('an AWS region such as us-east-1');
const httpUrl = () => z.url({ protocol: /^https?$/ }).describe('an http(s) URL such as http://127.0.0.1:4569');
const positiveInt = (example: number) =>
  z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe(`a positive whole number, e.g. ${example}`);
const identifier = (what: string) =>
  z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_$]{0,254}$/)
    .describe(`a ${what} identifier: letters, digits and underscores`);
const arn = (service: string) =>
  z
    .string()
    .regex(new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:.+$`))
    .describe(`an ARN of ${service}, e.g. arn:aws:${service}:us-east-1:123456789012:…`);

/** Where objects live: shared by every runtime that touches S3. */
const objectStoreShape = {
  AWS_REGION: region().default(LOCAL_DEFAULTS.region),
  /** Set only for S3-compatible local servers; path-style addressing follows. */
  S3_ENDPOINT: httpUrl().optional(),
};

/** Which warehouse to read from or load into, and how to reach Snowflake. */
const warehouseShape = {
  WAREHOUSE: z.enum(['duckdb', 'snowflake']).default('duckdb').describe('duckdb or snowflake'),
  DUCKDB_PATH: z.string().min(1).optional().describe('a path to a DuckDB database file'),
  SNOWFLAKE_ACCOUNT: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .optional()
    .describe('a Snowflake account identifier such as myorg-myaccount'),
  SNOWFLAKE_USER: identifier('Snowflake user').optional(),
  SNOWFLAKE_ROLE: identifier('Snowflake role').optional(),
  SNOWFLAKE_WAREHOUSE: identifier('Snowflake warehouse').optional(),
  SNOWFLAKE_DATABASE: identifier('Snowflake database').default('INSIGHTFLOW'),
  SNOWFLAKE_SCHEMA: identifier('Snowflake schema').default('RAW'),
  /** Secrets Manager secret holding `{"privateKey": …}` or `{"password": …}`; never the secret itself. */
  SNOWFLAKE_SECRET_ARN: arn('secretsmanager').optional(),
  /** Overrides the Snowflake endpoint, for the protocol test server. */
  SNOWFLAKE_ACCESS_URL: httpUrl().optional(),
  SNOWFLAKE_STORAGE_INTEGRATION: identifier('Snowflake storage integration').optional(),
};

type WarehouseFields = {
  WAREHOUSE: 'duckdb' | 'snowflake';
  SNOWFLAKE_ACCOUNT?: string | undefined;
  SNOWFLAKE_USER?: string | undefined;
  SNOWFLAKE_SECRET_ARN?: string | undefined;
  SNOWFLAKE_ACCESS_URL?: string | undefined;
};

/** Snowflake needs an account, a user and where its credentials are; DuckDB needs nothing. */
function requireSnowflakeFields(cfg: WarehouseFields, ctx: z.RefinementCtx): void {
  if (cfg.WAREHOUSE !== 'snowflake') return;
  const required = ['SNOWFLAKE_ACCOUNT', 'SNOWFLAKE_USER'] as const;
  for (const variable of required) {
    if (!cfg[variable]) {
      ctx.addIssue({ code: 'custom', path: [variable], message: 'required when WAREHOUSE=snowflake' });
    }
  }
  if (!cfg.SNOWFLAKE_SECRET_ARN && !cfg.SNOWFLAKE_ACCESS_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['SNOWFLAKE_SECRET_ARN'],
      message: 'required when WAREHOUSE=snowflake (the Secrets Manager secret with the key pair or password)',
    });
  }
}

/** Environment of the snowflake-loader Lambda. */
export const SnowflakeLoaderConfigSchema = z
  .object({
    ...objectStoreShape,
    ...warehouseShape,
    STAGE_BUCKET: bucket(),
    STAGE_PREFIX: z
      .string()
      .regex(/^([a-z0-9_-]+\/)*$/)
      .default(DEFAULT_STAGE_PREFIX)
      .describe('an S3 prefix ending in /, e.g. instacart/'),
  })
  .superRefine(requireSnowflakeFields);
export type SnowflakeLoaderConfig = z.infer<typeof SnowflakeLoaderConfigSchema>;

/** Environment of the batch-ingest Lambda. */
export const BatchIngestConfigSchema = z
  .object({
    ...objectStoreShape,
    ...warehouseShape,
    RAW_BUCKET: bucket(),
    BATCH_SIZE: positiveInt(1_000_000).default(1_000_000),
    INGEST_MODE: z
      .enum(['auto', 'stream', 'unload'])
      .default('auto')
      .describe('auto (unload big tables where the warehouse can), stream or unload'),
    /** The Snowflake stage over the raw bucket that unload mode writes to. */
    RAW_STAGE: identifier('Snowflake stage').default('INSIGHTFLOW_RAW_STAGE'),
  })
  .superRefine(requireSnowflakeFields);
export type BatchIngestConfig = z.infer<typeof BatchIngestConfigSchema>;

/** Where the publisher's events go first: Firehose itself (Direct PUT), or a Kinesis data stream Firehose reads. */
export const STREAM_SOURCES = ['direct', 'kinesis'] as const;
export type StreamSource = (typeof STREAM_SOURCES)[number];

const streamSource = () =>
  z
    .enum(STREAM_SOURCES)
    .default('direct')
    .describe('direct (Firehose Direct PUT) or kinesis (a Kinesis data stream in front of Firehose)');
const kinesisStreamName = () =>
  z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{1,128}$/)
    .describe('a Kinesis data stream name (1–128 letters, digits, _ . -)');

/** Where one publisher sends its events, as {@link readStreamPublisherConfig} resolves it. */
export type PublisherDestination =
  | { source: 'direct'; deliveryStreamName: string; endpoint?: string | undefined }
  | { source: 'kinesis'; streamName: string; endpoint?: string | undefined };

/** The variables each stream source needs, and the ones it must not have (a sign of a half-changed setup). */
const SOURCE_VARIABLES = {
  direct: {
    required: ['DELIVERY_STREAM_NAME'],
    refused: ['KINESIS_STREAM_NAME', 'KINESIS_ENDPOINT'],
    what: 'the Firehose delivery stream the publisher puts records to',
  },
  kinesis: {
    required: ['KINESIS_STREAM_NAME'],
    refused: ['DELIVERY_STREAM_NAME', 'FIREHOSE_ENDPOINT'],
    what: 'the Kinesis data stream the publisher puts records to',
  },
} as const;

/** Environment of the stream-publisher Lambda. */
export const StreamPublisherConfigSchema = z
  .object({
    ...objectStoreShape,
    ...warehouseShape,
    /** Holds the publisher's order-id watermark under state/. */
    RAW_BUCKET: bucket(),
    INSIGHTFLOW_STREAM_SOURCE: streamSource(),
    /** With `direct`: the delivery stream PutRecordBatch writes to. */
    DELIVERY_STREAM_NAME: z
      .string()
      .regex(/^[a-zA-Z0-9_.-]{1,64}$/)
      .optional()
      .describe('a Firehose delivery stream name (1–64 letters, digits, _ . -)'),
    /** Set only for the local delivery stream. */
    FIREHOSE_ENDPOINT: httpUrl().optional(),
    /** With `kinesis`: the data stream PutRecords writes to (Firehose reads it). */
    KINESIS_STREAM_NAME: kinesisStreamName().optional(),
    /** Set only for a local Kinesis API server (kinesalite). */
    KINESIS_ENDPOINT: httpUrl().optional(),
    PUBLISH_EVENTS: positiveInt(500).default(500),
    PUBLISH_MAX_ATTEMPTS: positiveInt(6).max(20).default(6),
  })
  .superRefine(requireSnowflakeFields)
  .superRefine((cfg, ctx) => {
    const source = cfg.INSIGHTFLOW_STREAM_SOURCE;
    const { required, refused, what } = SOURCE_VARIABLES[source];
    const other = source === 'direct' ? 'kinesis' : 'direct';
    for (const variable of required) {
      if (!cfg[variable]) {
        ctx.addIssue({
          code: 'custom',
          path: [variable],
          message: `required when INSIGHTFLOW_STREAM_SOURCE=${source} (${what})`,
        });
      }
    }
    for (const variable of refused) {
      if (cfg[variable]) {
        ctx.addIssue({
          code: 'custom',
          path: [variable],
          message:
            `unset when INSIGHTFLOW_STREAM_SOURCE=${source}: it belongs to INSIGHTFLOW_STREAM_SOURCE=${other}. ` +
            `Remove ${variable}, or set INSIGHTFLOW_STREAM_SOURCE=${other}`,
        });
      }
    }
  })
  .transform((cfg) => {
    const destination: PublisherDestination =
      cfg.INSIGHTFLOW_STREAM_SOURCE === 'kinesis'
        ? { source: 'kinesis', streamName: cfg.KINESIS_STREAM_NAME as string, endpoint: cfg.KINESIS_ENDPOINT }
        : { source: 'direct', deliveryStreamName: cfg.DELIVERY_STREAM_NAME as string, endpoint: cfg.FIREHOSE_ENDPOINT };
    return { ...cfg, destination };
  });
export type StreamPublisherConfig = z.infer<typeof StreamPublisherConfigSchema>;

/** Environment of the stream-transformer Lambda (Firehose's data-transformation function). */
export const StreamTransformerConfigSchema = z.object({
  /**
   * The catalog stream whose records this function transforms (one function per stream): its
   * table's columns and key come from the catalog bundled into the function.
   */
  STREAM_NAME: z
    .string()
    .regex(CATALOG_NAME_PATTERN)
    .describe("a stream name of the catalog's streams (lower case letters, digits and _), e.g. orders"),
  /** Firehose refuses a response over 6 MB; leave headroom for the envelope. */
  MAX_RESPONSE_BYTES: positiveInt(6_000_000).max(6_291_456).default(6_000_000),
});
export type StreamTransformerConfig = z.infer<typeof StreamTransformerConfigSchema>;

/** A Glue database name: lower case letters, digits and _ (what Athena's DDL accepts unquoted). */
const glueDatabase = () =>
  z
    .string()
    .regex(/^[a-z0-9_]{1,255}$/)
    .describe('a Glue database name (lower case letters, digits and _), e.g. insightflow_dev_clean');

/** What every handler reads besides its own configuration: the environment its metrics are labelled with. */
export const HandlerConfigSchema = z.object({
  INSIGHTFLOW_ENV: z.enum(['dev', 'prod']).default('dev').describe('dev or prod'),
});
export type HandlerConfig = z.infer<typeof HandlerConfigSchema>;

/** Environment of the clean-layer Lambda (raw → clean Parquet through Athena). */
export const CleanLayerConfigSchema = z.object({
  ...objectStoreShape,
  RAW_BUCKET: bucket(),
  CLEAN_BUCKET: bucket(),
  /** The Athena workgroup the queries run in; it enforces the encrypted result location. */
  ATHENA_WORKGROUP: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/)
    .describe('an Athena workgroup name (letters, digits, ., _ and -), e.g. insightflow-dev-clean'),
  /** The Glue database holding the declared clean tables. */
  CLEAN_DATABASE: glueDatabase(),
  /** The Glue database where the function creates and drops temporary tables over raw inputs. */
  CLEAN_SCRATCH_DATABASE: glueDatabase(),
  INSIGHTFLOW_ENV: z.enum(['dev', 'prod']).default('dev').describe('dev or prod'),
});
export type CleanLayerConfig = z.infer<typeof CleanLayerConfigSchema>;

/** Environment of the s3-to-rds-sync Lambda. */
export const SyncConfigSchema = z
  .object({
    ...objectStoreShape,
    RAW_BUCKET: bucket(),
    /** Local and CI only. On AWS the sync authenticates with an IAM token instead. */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//)
      .optional()
      .describe('a postgres:// connection URL'),
    DB_HOST: z.string().min(1).optional().describe('the database host name'),
    DB_PORT: positiveInt(5432).max(65_535).default(5432),
    DB_NAME: identifier('PostgreSQL database').default('insightflow'),
    DB_USER: identifier('PostgreSQL role').default('insightflow_sync'),
    /** Path to the CA bundle that signs the database's TLS certificate. */
    DB_CA_BUNDLE: z.string().min(1).optional().describe('a path to a PEM CA bundle'),
    /** Stop taking new objects this long before the Lambda's deadline. */
    SYNC_DEADLINE_MARGIN_MS: positiveInt(60_000).default(60_000),
    /** Set by the Lambda runtime; its presence means a password must not come from the environment. */
    AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
  })
  .superRefine((cfg, ctx) => {
    if (!cfg.DATABASE_URL && !cfg.DB_HOST) {
      ctx.addIssue({
        code: 'custom',
        path: ['DB_HOST'],
        message: 'set DB_HOST (IAM authentication) or, outside AWS, DATABASE_URL',
      });
    }
    if (cfg.AWS_LAMBDA_FUNCTION_NAME && cfg.DATABASE_URL && hasPassword(cfg.DATABASE_URL)) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'no password in a Lambda environment: remove DATABASE_URL and set DB_HOST for IAM authentication',
      });
    }
  });
export type SyncConfig = z.infer<typeof SyncConfigSchema>;

/** Environment of the database-roles Lambda, which creates the sync's role as the master user at deploy. */
export const DatabaseRolesConfigSchema = z
  .object({
    ...objectStoreShape,
    /** The RDS-managed secret holding the master user's `{"username", "password"}`; never the password itself. */
    MASTER_SECRET_ARN: arn('secretsmanager'),
    DB_HOST: SyncConfigSchema.shape.DB_HOST,
    DB_PORT: SyncConfigSchema.shape.DB_PORT,
    DB_NAME: SyncConfigSchema.shape.DB_NAME,
    DB_CA_BUNDLE: SyncConfigSchema.shape.DB_CA_BUNDLE,
    /** Local and CI only: where to connect (the credentials still come from the secret). */
    DATABASE_URL: SyncConfigSchema.shape.DATABASE_URL,
    /** The role to create: the sync logs in as it with an IAM token. */
    SYNC_DB_USER: identifier('PostgreSQL role').default('insightflow_sync'),
  })
  .superRefine((cfg, ctx) => {
    if (!cfg.DATABASE_URL && !cfg.DB_HOST) {
      ctx.addIssue({
        code: 'custom',
        path: ['DB_HOST'],
        message: 'set DB_HOST (the RDS endpoint) or, outside AWS, DATABASE_URL',
      });
    }
  });
export type DatabaseRolesConfig = z.infer<typeof DatabaseRolesConfigSchema>;

/** Environment of the `insightflow` CLI: every value may point at a real service instead of a local one. */
export const CliConfigSchema = z
  .object({
    /**
     * `local` (default): the embedded S3 API server, PostgreSQL and DuckDB, unless S3_ENDPOINT or
     * DATABASE_URL point elsewhere. `aws`: nothing local; S3 through the default credential chain.
     */
    INSIGHTFLOW_TARGET: z.enum(['local', 'aws']).default('local').describe('local or aws'),
    INSIGHTFLOW_HOME: z.string().min(1).optional().describe('a directory for local state, e.g. .insightflow'),
    /** A catalog document (YAML or JSON); the built-in Instacart catalog when unset. */
    INSIGHTFLOW_CATALOG: catalogPath(),
    AWS_REGION: objectStoreShape.AWS_REGION,
    S3_ENDPOINT: objectStoreShape.S3_ENDPOINT,
    AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
    DATABASE_URL: SyncConfigSchema.shape.DATABASE_URL,
    /**
     * How `publish` and `run` stream: `direct` puts records to the local delivery stream;
     * `kinesis` puts them to a local Kinesis data stream that the local delivery loop reads.
     */
    INSIGHTFLOW_STREAM_SOURCE: streamSource(),
    /** A Kinesis API server other than the local services' (kinesalite) one. */
    KINESIS_ENDPOINT: httpUrl().optional(),
    RAW_BUCKET: bucket().default(LOCAL_DEFAULTS.rawBucket),
    CLEAN_BUCKET: bucket().default(LOCAL_DEFAULTS.cleanBucket),
    STAGE_BUCKET: bucket().default(LOCAL_DEFAULTS.stageBucket),
    ...warehouseShape,
    /**
     * How long the CLI waits to connect to a service (PostgreSQL: the whole connection, TLS and
     * login included; S3: the TCP connection) before it names the endpoint and gives up.
     */
    INSIGHTFLOW_CONNECT_TIMEOUT_MS: positiveInt(10_000).max(600_000).default(10_000),
    NO_COLOR: z.string().optional(),
  })
  .superRefine(requireSnowflakeFields);

export type CliConfig = z.infer<typeof CliConfigSchema>;

/** The Snowflake settings a deployment needs, by variable; prod refuses to synthesise without them. */
export const SNOWFLAKE_DEPLOY_VARIABLES = [
  'SNOWFLAKE_ACCOUNT',
  'SNOWFLAKE_USER',
  'SNOWFLAKE_ROLE',
  'SNOWFLAKE_WAREHOUSE',
  'SNOWFLAKE_IAM_USER_ARN',
  'SNOWFLAKE_EXTERNAL_ID',
] as const;

/**
 * An EventBridge schedule expression: `cron(…)` with its six fields, or `rate(<n> <unit>)` with the
 * unit singular for 1 and plural above, as EventBridge accepts them.
 */
const scheduleExpression = (example: string) =>
  z
    .string()
    .regex(/^(cron\((\S+ ){5}\S+\)|rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\))$/)
    .describe(`an EventBridge schedule expression, cron(<6 fields>) or rate(<n> <unit>), e.g. ${example}`);

/** Environment of the CDK for Terraform app (`cdktf synth`, `cdktf deploy`). */
export const StacksConfigSchema = z
  .object({
    INSIGHTFLOW_ENV: z.enum(['dev', 'prod']).default('dev').describe('dev or prod'),
    /** The catalog document the stacks (and the Lambdas bundled for them) use; built-in Instacart when unset. */
    INSIGHTFLOW_CATALOG: catalogPath(),
    AWS_REGION: region().default(LOCAL_DEFAULTS.region),
    /** Both AZs the VPC spans; explicit so that planning needs no AWS call. */
    INSIGHTFLOW_AZS: z
      .string()
      .regex(/^[a-z0-9-]+,[a-z0-9-]+$/)
      .optional()
      .describe('two availability zones, e.g. us-east-1a,us-east-1b'),
    /** An S3 bucket for Terraform state; local state when unset. */
    TF_STATE_BUCKET: bucket().optional(),
    /** The Snowflake account, user, role and warehouse the Lambdas connect with. */
    SNOWFLAKE_ACCOUNT: warehouseShape.SNOWFLAKE_ACCOUNT,
    SNOWFLAKE_USER: warehouseShape.SNOWFLAKE_USER,
    SNOWFLAKE_ROLE: warehouseShape.SNOWFLAKE_ROLE,
    SNOWFLAKE_WAREHOUSE: warehouseShape.SNOWFLAKE_WAREHOUSE,
    SNOWFLAKE_DATABASE: warehouseShape.SNOWFLAKE_DATABASE,
    SNOWFLAKE_SCHEMA: warehouseShape.SNOWFLAKE_SCHEMA,
    /** The storage integration (over the stage and raw buckets) that loads and unloads use. */
    SNOWFLAKE_STORAGE_INTEGRATION: identifier('Snowflake storage integration').default('INSIGHTFLOW_S3'),
    /** Snowflake's IAM user for the storage integration (DESC INTEGRATION shows it). */
    SNOWFLAKE_IAM_USER_ARN: z
      .string()
      .regex(/^arn:aws:iam::\d{12}:user\/.+$/)
      .refine((value) => !value.startsWith('arn:aws:iam::000000000000:'), 'a real account id, not 000000000000')
      .optional()
      .describe(
        'an IAM user ARN such as arn:aws:iam::123456789012:user/abc (DESC INTEGRATION: STORAGE_AWS_IAM_USER_ARN)',
      ),
    SNOWFLAKE_EXTERNAL_ID: z
      .string()
      .min(1)
      .optional()
      .describe('the storage integration external id (DESC INTEGRATION: STORAGE_AWS_EXTERNAL_ID)'),
    /** `true` adds the SSM-only bastion stack. */
    INSIGHTFLOW_BASTION: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true')
      .describe('true or false'),
    /**
     * The stream publisher sends synthetic orders: a demo tool. On by default in dev, off in prod
     * unless this is `true`.
     */
    INSIGHTFLOW_DEMO_PUBLISHER: z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true'))
      .describe('true or false'),
    /** Where failure alarms are emailed; no subscription when unset. */
    ALARM_EMAIL: z.email().optional().describe('an email address'),
    /** When the pipeline (ingest → crawl → clean → sync) runs. */
    INSIGHTFLOW_SCHEDULE: scheduleExpression('cron(0 14 * * ? *)').default('cron(0 14 * * ? *)'),
    /** When the demo publisher sends a burst of orders. */
    INSIGHTFLOW_PUBLISHER_RATE: scheduleExpression('rate(5 minutes)').default('rate(5 minutes)'),
    /** What the raw crawlers crawl: only folders added since the last crawl, or everything (a first crawl). */
    INSIGHTFLOW_RECRAWL: z
      .enum(['new-folders', 'everything'])
      .default('new-folders')
      .describe('new-folders or everything'),
    /** How events reach Firehose: Direct PUT, or through a Kinesis Data Stream per catalog stream. */
    INSIGHTFLOW_STREAM_SOURCE: z.enum(['direct', 'kinesis']).default('direct').describe('direct or kinesis'),
    /** The GitHub repository whose workflows plan and deploy: the account stack's CI roles trust its jobs. */
    INSIGHTFLOW_GITHUB_REPOSITORY: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/)
      .optional()
      .describe('a GitHub repository as owner/name, e.g. example-org/insightflow'),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.INSIGHTFLOW_ENV === 'prod') {
      for (const variable of SNOWFLAKE_DEPLOY_VARIABLES) {
        if (!cfg[variable]) {
          ctx.addIssue({ code: 'custom', path: [variable], message: 'required when INSIGHTFLOW_ENV=prod' });
        }
      }
      return;
    }
    // In dev a half-configured pair is a mistake, not an omission.
    const pairs = [
      ['SNOWFLAKE_ACCOUNT', 'SNOWFLAKE_USER'],
      ['SNOWFLAKE_IAM_USER_ARN', 'SNOWFLAKE_EXTERNAL_ID'],
    ] as const;
    for (const [a, b] of pairs) {
      if (Boolean(cfg[a]) !== Boolean(cfg[b])) {
        const missing = cfg[a] ? b : a;
        ctx.addIssue({ code: 'custom', path: [missing], message: `required together with ${cfg[a] ? a : b}` });
      }
    }
  });
export type StacksConfig = z.infer<typeof StacksConfigSchema>;

/**
 * Where the catalog file is, for the scripts that bundle and plan the stacks (the build runs in
 * each package's directory, so a relative path is taken from where npm was started: INIT_CWD).
 */
export const CatalogPathConfigSchema = z.object({
  INSIGHTFLOW_CATALOG: catalogPath(),
  INIT_CWD: z.string().min(1).optional().describe('the directory npm was started in (npm sets it)'),
});

/** The configured catalog file's path (absolute when npm started the process), or undefined for the built-in catalog. */
export function readCatalogPath(env: Environment = process.env): string | undefined {
  const { INSIGHTFLOW_CATALOG, INIT_CWD } = readConfig('catalog', CatalogPathConfigSchema, env);
  if (INSIGHTFLOW_CATALOG === undefined) return undefined;
  return INIT_CWD ? path.resolve(INIT_CWD, INSIGHTFLOW_CATALOG) : INSIGHTFLOW_CATALOG;
}

/** Reads the stacks' configuration. */
export const readStacksConfig = (env: Environment = process.env): StacksConfig =>
  readConfig('stacks', StacksConfigSchema, env);

/** Environment of the offline plan (`npm run plan`) beside the stacks' own: where Terraform finds its providers. */
export const PlanConfigSchema = z.object({
  TF_PLUGIN_MIRROR: z
    .string()
    .min(1)
    .default('/opt/tf-plugins')
    .describe('a directory holding a Terraform provider mirror (hashicorp/aws 5.100.0), e.g. /opt/tf-plugins'),
});
export type PlanConfig = z.infer<typeof PlanConfigSchema>;

/** Reads the offline plan's own configuration. */
export const readPlanConfig = (env: Environment = process.env): PlanConfig => readConfig('plan', PlanConfigSchema, env);

/**
 * The stacks' configuration for what must plan every resource (the offline plan): when no
 * Snowflake setting ({@link SNOWFLAKE_DEPLOY_VARIABLES}) is set, `examples` stand in for them and
 * `examplesUsed` says so.
 */
export function readPlannedStacksConfig(
  examples: Environment,
  env: Environment = process.env,
): { config: StacksConfig; examplesUsed: boolean } {
  const examplesUsed = !SNOWFLAKE_DEPLOY_VARIABLES.some((variable) => env[variable]);
  return { config: readStacksConfig(examplesUsed ? { ...examples, ...env } : env), examplesUsed };
}

/**
 * The environment a child process (terraform, npm, a local service) starts with: this process's
 * own, `overrides` on top. Handing variables on reads none of ours; it is done here so that this
 * file stays the one that touches `process.env`.
 */
export function childEnvironment(overrides: Environment = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}

/**
 * Turns off the AWS SDK's warning, on every start under Node.js 20, that Node.js 20 support ends
 * (`AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED`, the SDK's own variable, unless set): it says
 * nothing a user of the CLI can act on. The CLI's executable calls it before any client exists.
 */
export function quietAwsSdkNodeVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

/**
 * A URL as it may be shown: its password replaced by `****` (a user name stays, it says who
 * connected). Text that is not a URL is not shown at all.
 */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '****';
    return url.toString();
  } catch {
    return '(an unparseable URL)';
  }
}

const SECRET_NAME_RE = /PASSWORD|SECRET(?!_ARN)|TOKEN|PRIVATE|ACCESS_KEY/;

/** How a value may appear in an error: secrets masked, URLs without their password. */
function displayValue(variable: string, value: string): string {
  if (SECRET_NAME_RE.test(variable)) return '"****" (hidden)';
  if (variable.endsWith('_URL')) {
    const shown = redactUrl(value);
    return shown.startsWith('(') ? shown : JSON.stringify(shown);
  }
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
}

/**
 * Reads the variables a schema declares from `env` and validates them. Empty strings count as
 * unset. Throws {@link ConfigError} listing every problem at once.
 */
export function readConfig<S extends z.ZodType<object>>(
  runtime: string,
  schema: S,
  env: Environment = process.env,
): z.infer<S> {
  const shape = objectShape(schema);
  const input: Record<string, string> = {};
  for (const variable of Object.keys(shape)) {
    const value = env[variable];
    if (value !== undefined && value !== '') input[variable] = value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;

  const problems: ConfigProblem[] = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '(configuration)');
    const description = describedAs(shape[variable]);
    const raw = input[variable];
    const expected =
      issue.code === 'custom'
        ? issue.message
        : description
          ? description
          : issue.message.replace(/^Invalid input: /, '');
    return { variable, received: raw === undefined ? undefined : displayValue(variable, raw), expected };
  });
  throw new ConfigError(runtime, problems);
}

/** The description of a field, looking through `.default()` and `.optional()` wrappers. */
function describedAs(schema: z.ZodType | undefined): string | undefined {
  let current = schema;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current.description) return current.description;
    current = (current as unknown as { def?: { innerType?: z.ZodType } }).def?.innerType;
  }
  return undefined;
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> {
  // Refinements wrap the object; its shape is what names the variables.
  let current: z.ZodType = schema;
  for (let depth = 0; depth < 5; depth++) {
    if (current instanceof z.ZodObject) return current.shape as Record<string, z.ZodType>;
    const inner = (current as unknown as { def?: { in?: z.ZodType; innerType?: z.ZodType; schema?: z.ZodType } }).def;
    const next = inner?.in ?? inner?.innerType ?? inner?.schema;
    if (!next) break;
    current = next;
  }
  throw new TypeError('readConfig needs a zod object schema');
}

/** Reads the snowflake-loader Lambda's configuration. */
export const readSnowflakeLoaderConfig = (env: Environment = process.env): SnowflakeLoaderConfig =>
  readConfig('snowflake-loader', SnowflakeLoaderConfigSchema, env);
/** Reads the batch-ingest Lambda's configuration. */
export const readBatchIngestConfig = (env: Environment = process.env): BatchIngestConfig =>
  readConfig('batch-ingest', BatchIngestConfigSchema, env);
/** Reads the stream-publisher Lambda's configuration. */
export const readStreamPublisherConfig = (env: Environment = process.env): StreamPublisherConfig =>
  readConfig('stream-publisher', StreamPublisherConfigSchema, env);
/** Reads the stream-transformer Lambda's configuration. */
export const readStreamTransformerConfig = (env: Environment = process.env): StreamTransformerConfig =>
  readConfig('stream-transformer', StreamTransformerConfigSchema, env);
/** Reads what every handler reads (the deployment's environment name). */
export const readHandlerConfig = (env: Environment = process.env): HandlerConfig =>
  readConfig('handler', HandlerConfigSchema, env);
/** Reads the clean-layer Lambda's configuration. */
export const readCleanLayerConfig = (env: Environment = process.env): CleanLayerConfig =>
  readConfig('clean-layer', CleanLayerConfigSchema, env);
/** Reads the s3-to-rds-sync Lambda's configuration. */
export const readSyncConfig = (env: Environment = process.env): SyncConfig =>
  readConfig('s3-to-rds-sync', SyncConfigSchema, env);
/** Reads the database-roles Lambda's configuration. */
export const readDatabaseRolesConfig = (env: Environment = process.env): DatabaseRolesConfig =>
  readConfig('database-roles', DatabaseRolesConfigSchema, env);
/** Reads the CLI's configuration. */
export const readCliConfig = (env: Environment = process.env): CliConfig =>
  readConfig('insightflow CLI', CliConfigSchema, env);

/** The variables a configuration schema declares. */
export type ConfigVariable<S extends z.ZodType<object>> = keyof z.input<S> & string;

/**
 * Checks variables one by one against the fields of a configuration schema, before they reach a
 * runtime (the stacks check each Lambda's environment at synth). Unlike {@link readConfig} it
 * applies no defaults and no cross-field rules; a value `isDeferred` calls not known yet (a
 * Terraform token) is skipped, and a variable the schema does not declare is a problem unless
 * listed in `alsoAllowed` (variables a library reads itself). Throws {@link ConfigError}.
 */
export function checkVariables(
  runtime: string,
  schema: z.ZodType<object>,
  env: Environment,
  options: { isDeferred?: (value: string) => boolean; alsoAllowed?: readonly string[] } = {},
): void {
  const shape = objectShape(schema);
  const problems: ConfigProblem[] = [];
  for (const [variable, value] of Object.entries(env)) {
    if (value === undefined || options.isDeferred?.(value)) continue;
    const field = shape[variable];
    if (!field) {
      if (options.alsoAllowed?.includes(variable)) continue;
      problems.push({ variable, received: displayValue(variable, value), expected: `no such ${runtime} variable` });
      continue;
    }
    const result = field.safeParse(value);
    if (!result.success) {
      const expected = describedAs(field) ?? result.error.issues[0]?.message ?? 'a valid value';
      problems.push({ variable, received: displayValue(variable, value), expected });
    }
  }
  if (problems.length > 0) throw new ConfigError(runtime, problems);
}
