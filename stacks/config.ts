import { readStacksConfig, type StacksConfig } from '@insightflow/shared-config';
import { z } from 'zod';

/** What differs between environments; every name carries project and environment. */
export const EnvironmentSettingsSchema = z.object({
  env: z.enum(['dev', 'prod']),
  region: z.string(),
  availabilityZones: z.tuple([z.string(), z.string()]),
  natGateways: z.union([z.literal(1), z.literal(2)]),
  dbInstanceClass: z.string(),
  dbAllocatedStorage: z.number().int().min(20),
  dbMaxAllocatedStorage: z.number().int().min(20),
  multiAz: z.boolean(),
  deletionProtection: z.boolean(),
  logRetentionDays: z.number().int().positive(),
  scheduleExpression: z.string(),
  publisherSchedule: z.string(),
  bastion: z.boolean(),
  stateBucket: z.string().optional(),
  snowflakeIamUserArn: z.string(),
  snowflakeExternalId: z.string(),
  alarmEmail: z.string().optional(),
});
export type EnvironmentSettings = z.infer<typeof EnvironmentSettingsSchema>;

/** Placeholders until Snowflake's storage integration exists (DESC INTEGRATION shows both). */
const SNOWFLAKE_PLACEHOLDER = {
  iamUserArn: 'arn:aws:iam::000000000000:user/snowflake-storage-integration-placeholder',
  externalId: 'set-SNOWFLAKE_EXTERNAL_ID',
};

/** The settings of the environment named by the configuration. */
export function environmentSettings(config: StacksConfig = readStacksConfig()): EnvironmentSettings {
  const prod = config.INSIGHTFLOW_ENV === 'prod';
  const azs = (config.INSIGHTFLOW_AZS ?? `${config.AWS_REGION}a,${config.AWS_REGION}b`).split(',');
  return EnvironmentSettingsSchema.parse({
    env: config.INSIGHTFLOW_ENV,
    region: config.AWS_REGION,
    availabilityZones: azs,
    natGateways: prod ? 2 : 1,
    dbInstanceClass: prod ? 'db.t4g.medium' : 'db.t4g.micro',
    dbAllocatedStorage: 20,
    dbMaxAllocatedStorage: 100,
    multiAz: prod,
    deletionProtection: prod,
    logRetentionDays: prod ? 90 : 14,
    // One schedule for the whole pipeline (the original staggered three crons over the month).
    scheduleExpression: 'cron(0 14 * * ? *)',
    publisherSchedule: 'rate(5 minutes)',
    bastion: config.INSIGHTFLOW_BASTION,
    stateBucket: config.TF_STATE_BUCKET,
    snowflakeIamUserArn: config.SNOWFLAKE_IAM_USER_ARN ?? SNOWFLAKE_PLACEHOLDER.iamUserArn,
    snowflakeExternalId: config.SNOWFLAKE_EXTERNAL_ID ?? SNOWFLAKE_PLACEHOLDER.externalId,
    alarmEmail: config.ALARM_EMAIL,
  });
}

/** `insightflow-<env>-<name>`: the naming rule for every resource. */
export function resourceName(settings: EnvironmentSettings, name: string): string {
  return `insightflow-${settings.env}-${name}`;
}
