import { type Catalog, readStacksConfig, type StacksConfig } from '@insightflow/shared-config';
import { z } from 'zod';

/** How the Lambdas reach Snowflake: every value from the stacks' configuration, none made up. */
export const SnowflakeConnectionSchema = z.object({
  account: z.string(),
  user: z.string(),
  role: z.string().optional(),
  warehouse: z.string().optional(),
  database: z.string(),
  schema: z.string(),
  storageIntegration: z.string(),
});
export type SnowflakeConnection = z.infer<typeof SnowflakeConnectionSchema>;

/** Whom the Snowflake storage integration role trusts (`DESC INTEGRATION` shows both). */
export const SnowflakeIntegrationSchema = z.object({ iamUserArn: z.string(), externalId: z.string() });
export type SnowflakeIntegration = z.infer<typeof SnowflakeIntegrationSchema>;

/** Who deploys from where: the GitHub repository whose jobs assume the CI roles, and the state bucket they use. */
export const CiSettingsSchema = z.object({ repository: z.string(), stateBucket: z.string() });

/** What the `account` stack is made from: nothing that differs between environments. */
export const AccountSettingsSchema = z.object({
  region: z.string(),
  stateBucket: z.string().optional(),
  /** Unset without INSIGHTFLOW_GITHUB_REPOSITORY and TF_STATE_BUCKET: the CI roles are left out. */
  ci: CiSettingsSchema.optional(),
});
export type AccountSettings = z.infer<typeof AccountSettingsSchema>;

/** What differs between environments; every name carries project and environment. */
export const EnvironmentSettingsSchema = z.object({
  env: z.enum(['dev', 'prod']),
  region: z.string(),
  availabilityZones: z.tuple([z.string(), z.string()]),
  dbInstanceClass: z.string(),
  dbAllocatedStorage: z.number().int().min(20),
  dbMaxAllocatedStorage: z.number().int().min(20),
  multiAz: z.boolean(),
  deletionProtection: z.boolean(),
  logRetentionDays: z.number().int().positive(),
  scheduleExpression: z.string(),
  publisherSchedule: z.string(),
  /** What both raw crawlers recrawl (INSIGHTFLOW_RECRAWL). */
  recrawl: z.enum(['new-folders', 'everything']),
  /** How events reach Firehose (INSIGHTFLOW_STREAM_SOURCE). */
  streamSource: z.enum(['direct', 'kinesis']),
  /** The account stack's settings: the same for every environment. */
  account: AccountSettingsSchema,
  bastion: z.boolean(),
  /** The synthetic-order publisher (a demo tool): on in dev, off in prod unless asked for. */
  demoPublisher: z.boolean(),
  stateBucket: z.string().optional(),
  /** Unset in dev without Snowflake settings: the functions that read Snowflake are left out. */
  snowflake: SnowflakeConnectionSchema.optional(),
  /** Unset in dev without the integration's principal: the integration role is left out. */
  snowflakeIntegration: SnowflakeIntegrationSchema.optional(),
  alarmEmail: z.string().optional(),
});
export type EnvironmentSettings = z.infer<typeof EnvironmentSettingsSchema>;

/** The catalog stream the demo publisher sends its order events on; it feeds the table of the same name. */
export const DEMO_PUBLISHER_STREAM = 'orders';

/** True when `catalog` has what the demo publisher publishes: a stream `orders` feeding table `orders`. */
export function hasDemoPublisherStream(catalog: Catalog): boolean {
  return catalog.streams.some((s) => s.name === DEMO_PUBLISHER_STREAM && s.table === DEMO_PUBLISHER_STREAM);
}

/**
 * The settings of the environment named by the configuration. What a dev synth leaves out for
 * want of a setting is reported through `warn`, naming the variable that would bring it in.
 */
export function environmentSettings(
  catalog: Catalog,
  config: StacksConfig = readStacksConfig(),
  warn: (message: string) => void = (message) => process.stderr.write(`insightflow stacks: ${message}\n`),
): EnvironmentSettings {
  const prod = config.INSIGHTFLOW_ENV === 'prod';
  const azs = (config.INSIGHTFLOW_AZS ?? `${config.AWS_REGION}a,${config.AWS_REGION}b`).split(',');
  const snowflake =
    config.SNOWFLAKE_ACCOUNT && config.SNOWFLAKE_USER
      ? {
          account: config.SNOWFLAKE_ACCOUNT,
          user: config.SNOWFLAKE_USER,
          role: config.SNOWFLAKE_ROLE,
          warehouse: config.SNOWFLAKE_WAREHOUSE,
          database: config.SNOWFLAKE_DATABASE,
          schema: config.SNOWFLAKE_SCHEMA,
          storageIntegration: config.SNOWFLAKE_STORAGE_INTEGRATION,
        }
      : undefined;
  const snowflakeIntegration =
    config.SNOWFLAKE_IAM_USER_ARN && config.SNOWFLAKE_EXTERNAL_ID
      ? { iamUserArn: config.SNOWFLAKE_IAM_USER_ARN, externalId: config.SNOWFLAKE_EXTERNAL_ID }
      : undefined;
  if (!snowflake) {
    warn(
      'SNOWFLAKE_ACCOUNT and SNOWFLAKE_USER are unset: batch-ingest and stream-publisher, which read ' +
        'Snowflake, are left out of this synth.',
    );
  }
  if (!snowflakeIntegration) {
    warn(
      'SNOWFLAKE_IAM_USER_ARN and SNOWFLAKE_EXTERNAL_ID are unset: the Snowflake storage-integration ' +
        'role is left out (IAM rejects a trust policy naming a principal that does not exist).',
    );
  }
  const ci =
    config.INSIGHTFLOW_GITHUB_REPOSITORY && config.TF_STATE_BUCKET
      ? { repository: config.INSIGHTFLOW_GITHUB_REPOSITORY, stateBucket: config.TF_STATE_BUCKET }
      : undefined;
  if (!ci) {
    warn(
      'INSIGHTFLOW_GITHUB_REPOSITORY and TF_STATE_BUCKET are not both set: the account stack leaves out ' +
        "GitHub's OIDC provider, the plan role and the apply roles.",
    );
  }
  let demoPublisher = config.INSIGHTFLOW_DEMO_PUBLISHER ?? !prod;
  if (demoPublisher && !hasDemoPublisherStream(catalog)) {
    warn(
      `the catalog has no stream ${DEMO_PUBLISHER_STREAM} feeding table ${DEMO_PUBLISHER_STREAM}: stream-publisher, which ` +
        "publishes the demo's order events on it, is left out of this synth.",
    );
    demoPublisher = false;
  }
  return EnvironmentSettingsSchema.parse({
    env: config.INSIGHTFLOW_ENV,
    region: config.AWS_REGION,
    availabilityZones: azs,
    dbInstanceClass: prod ? 'db.t4g.medium' : 'db.t4g.micro',
    dbAllocatedStorage: 20,
    dbMaxAllocatedStorage: 100,
    multiAz: prod,
    deletionProtection: prod,
    logRetentionDays: prod ? 90 : 14,
    // One schedule for the whole pipeline (the Python/HCL system InsightFlow replaces staggered three
    // crons over the month).
    scheduleExpression: config.INSIGHTFLOW_SCHEDULE,
    publisherSchedule: config.INSIGHTFLOW_PUBLISHER_RATE,
    recrawl: config.INSIGHTFLOW_RECRAWL,
    streamSource: config.INSIGHTFLOW_STREAM_SOURCE,
    account: { region: config.AWS_REGION, stateBucket: config.TF_STATE_BUCKET, ci },
    bastion: config.INSIGHTFLOW_BASTION,
    demoPublisher,
    stateBucket: config.TF_STATE_BUCKET,
    snowflake,
    snowflakeIntegration,
    alarmEmail: config.ALARM_EMAIL,
  });
}

/** Example CI settings, for what must plan the account stack's CI roles without a repository of its own. */
export const EXAMPLE_CI = { repository: 'example-org/insightflow', stateBucket: 'insightflow-terraform-state-example' };

/**
 * Example Snowflake settings, valid in form, for what must see every resource without a real
 * account: the offline plan (`npm run plan`) and the stack tests.
 */
export const EXAMPLE_SNOWFLAKE_ENV = {
  SNOWFLAKE_ACCOUNT: 'exampleorg-insightflow',
  SNOWFLAKE_USER: 'INSIGHTFLOW_SERVICE',
  SNOWFLAKE_ROLE: 'INSIGHTFLOW_LOADER',
  SNOWFLAKE_WAREHOUSE: 'INSIGHTFLOW_WH',
  SNOWFLAKE_IAM_USER_ARN: 'arn:aws:iam::123456789012:user/snowflake-example',
  SNOWFLAKE_EXTERNAL_ID: 'EXAMPLE_SFCRole=2_abc123',
} as const;
