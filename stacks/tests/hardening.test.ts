/**
 * What a review of the synthesised Terraform asked for, each held by a test over the synth: the
 * operator's knobs (schedules, recrawl, stream source) and the findings — no reserved concurrency,
 * no broad managed policy for functions in the VPC, no NAT, endpoint policies of this account,
 * trust policies tied to the account, KMS only through the service that needs it, delete markers
 * cleaned, Enhanced Monitoring, the state machine under the project key.
 */
import { ConfigError, instacartCatalog, readStacksConfig } from '@insightflow/shared-config';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_STACK } from '../account.js';
import { environmentSettings } from '../config.js';
import { ENHANCED_MONITORING_INTERVAL } from '../rdsPostgresql.js';
import { EXAMPLE_SNOWFLAKE_ENV, type SynthesisedApp, synth } from './helpers/synth.js';
import { kmsOnlyThroughServices, type SynthStack } from './policies.js';

type Block = Record<string, unknown>;
const FULL = { ...EXAMPLE_SNOWFLAKE_ENV, INSIGHTFLOW_BASTION: 'true' };
const tf = (expression: string) => `\${${expression}}`;
const stackOf = (app: SynthesisedApp, name: string) => app.stacks.find((s) => s.name === name) as SynthStack;
const resourcesOf = (stack: SynthStack, type: string) => Object.values(stack.json.resource?.[type] ?? {}) as Block[];
const everywhere = (app: SynthesisedApp, type: string) => app.stacks.flatMap((s) => resourcesOf(s, type));
const documents = (stack: SynthStack) => (stack.json.data?.aws_iam_policy_document ?? {}) as Record<string, Block>;
const documentNamed = (stack: SynthStack, prefix: string) =>
  Object.entries(documents(stack)).find(([name]) => name.startsWith(prefix))?.[1];
const statementsOf = (document: Block | undefined) => (document?.statement ?? []) as Block[];

/** The ConfigError a stacks configuration raises, or a failure when it raises none. */
function configError(env: Record<string, string>): ConfigError {
  try {
    environmentSettings(instacartCatalog(), readStacksConfig(env), () => undefined);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(env)} was accepted`);
}

describe("the operator's knobs (StacksConfigSchema)", () => {
  it('refuses a bad value by name, with the form it expects', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ INSIGHTFLOW_SCHEDULE: 'every day at 2' }, 'INSIGHTFLOW_SCHEDULE', /EventBridge schedule expression/],
      [{ INSIGHTFLOW_SCHEDULE: 'cron(0 14 * * ?)' }, 'INSIGHTFLOW_SCHEDULE', /cron\(<6 fields>\)/],
      [{ INSIGHTFLOW_PUBLISHER_RATE: 'rate(1 minutes)' }, 'INSIGHTFLOW_PUBLISHER_RATE', /rate\(<n> <unit>\)/],
      [{ INSIGHTFLOW_PUBLISHER_RATE: 'rate(5 minute)' }, 'INSIGHTFLOW_PUBLISHER_RATE', /rate\(<n> <unit>\)/],
      [{ INSIGHTFLOW_RECRAWL: 'all' }, 'INSIGHTFLOW_RECRAWL', /new-folders or everything/],
      [{ INSIGHTFLOW_STREAM_SOURCE: 'kafka' }, 'INSIGHTFLOW_STREAM_SOURCE', /direct or kinesis/],
      [{ INSIGHTFLOW_GITHUB_REPOSITORY: 'insightflow' }, 'INSIGHTFLOW_GITHUB_REPOSITORY', /owner\/name/],
    ];
    for (const [env, variable, expected] of cases) {
      const error = configError(env);
      expect(
        error.problems.map((p) => p.variable),
        JSON.stringify(env),
      ).toEqual([variable]);
      expect(error.message).toContain(variable);
      expect(error.message).toMatch(expected);
    }
  });

  it('takes the schedules into the pipeline rule and the publisher rule', () => {
    const app = synth({
      ...EXAMPLE_SNOWFLAKE_ENV,
      INSIGHTFLOW_SCHEDULE: 'rate(6 hours)',
      INSIGHTFLOW_PUBLISHER_RATE: 'rate(1 minute)',
    });
    const rules = (stack: string) =>
      resourcesOf(stackOf(app, stack), 'aws_cloudwatch_event_rule')
        .filter((r) => r.schedule_expression)
        .map((r) => [r.name, r.schedule_expression]);
    expect(rules('orchestration')).toEqual([['insightflow-dev-pipeline', 'rate(6 hours)']]);
    expect(rules('streaming-ingestion')).toEqual([['insightflow-dev-stream-publisher', 'rate(1 minute)']]);
    const defaults = synth(EXAMPLE_SNOWFLAKE_ENV);
    expect(resourcesOf(stackOf(defaults, 'orchestration'), 'aws_cloudwatch_event_rule')[0]?.schedule_expression).toBe(
      'cron(0 14 * * ? *)',
    );
  });
});

describe('INSIGHTFLOW_STREAM_SOURCE', () => {
  let direct: SynthesisedApp;
  let kinesis: SynthesisedApp;
  beforeAll(() => {
    direct = synth(FULL);
    kinesis = synth({ ...FULL, INSIGHTFLOW_STREAM_SOURCE: 'kinesis' });
  });
  const publisherOf = (app: SynthesisedApp) =>
    resourcesOf(stackOf(app, 'streaming-ingestion'), 'aws_lambda_function').find(
      (f) => f.function_name === 'insightflow-dev-stream-publisher',
    ) as Block;
  const variablesOf = (fn: Block) => (fn.environment as { variables: Record<string, string> }).variables;

  it('kinesis: one encrypted on-demand data stream per catalog stream, read by its delivery stream through a role of its own', () => {
    const streaming = stackOf(kinesis, 'streaming-ingestion');
    expect(resourcesOf(streaming, 'aws_kinesis_stream')).toEqual([
      expect.objectContaining({
        name: 'insightflow-dev-orders',
        stream_mode_details: { stream_mode: 'ON_DEMAND' },
        encryption_type: 'KMS',
        kms_key_id: expect.stringContaining('cross-stack-reference-input-s3-buckets'),
      }),
    ]);
    const [delivery] = resourcesOf(streaming, 'aws_kinesis_firehose_delivery_stream');
    expect(delivery?.destination).toBe('extended_s3');
    expect(delivery?.kinesis_source_configuration).toEqual({
      kinesis_stream_arn: tf('aws_kinesis_stream.data-stream-orders.arn'),
      role_arn: expect.stringMatching(/firehose-role_\w+\.arn/),
    });
    // Firehose's own SSE applies to Direct PUT only: the data stream is encrypted instead.
    expect(delivery?.server_side_encryption).toBeUndefined();
    const reads = statementsOf(documentNamed(streaming, 'stream-orders_firehose-role_policy')).filter((s) =>
      (s.actions as string[]).some((a) => a.startsWith('kinesis:')),
    );
    expect(reads).toEqual([expect.objectContaining({ resources: [tf('aws_kinesis_stream.data-stream-orders.arn')] })]);
  });

  it('kinesis: the publisher writes PutRecords to that stream only, told its name; direct: Firehose, told the delivery stream', () => {
    expect(variablesOf(publisherOf(kinesis))).toMatchObject({
      INSIGHTFLOW_STREAM_SOURCE: 'kinesis',
      KINESIS_STREAM_NAME: tf('aws_kinesis_stream.data-stream-orders.name'),
    });
    expect(variablesOf(publisherOf(kinesis)).DELIVERY_STREAM_NAME).toBeUndefined();
    const statements = statementsOf(
      documentNamed(stackOf(kinesis, 'streaming-ingestion'), 'stream-publisher_role_policy'),
    );
    const put = statements.filter((s) => JSON.stringify(s.actions).match(/kinesis:|firehose:/));
    expect(put).toEqual([
      expect.objectContaining({
        actions: ['kinesis:PutRecords'],
        resources: [tf('aws_kinesis_stream.data-stream-orders.arn')],
      }),
    ]);
    expect(variablesOf(publisherOf(direct))).toMatchObject({ INSIGHTFLOW_STREAM_SOURCE: 'direct' });
    expect(variablesOf(publisherOf(direct)).KINESIS_STREAM_NAME).toBeUndefined();
    expect(everywhere(direct, 'aws_kinesis_stream')).toEqual([]);
  });
});

describe('the findings of the review, fixed', () => {
  let dev: SynthesisedApp;
  let prod: SynthesisedApp;
  let noBastion: SynthesisedApp;
  beforeAll(() => {
    dev = synth(FULL);
    prod = synth({ ...FULL, INSIGHTFLOW_ENV: 'prod' });
    noBastion = synth(EXAMPLE_SNOWFLAKE_ENV);
  });

  it('reserves no concurrency (AWS refuses a reservation leaving fewer than 100 unreserved executions); the publisher retries no event', () => {
    for (const fn of everywhere(prod, 'aws_lambda_function'))
      expect(fn.reserved_concurrent_executions, String(fn.function_name)).toBeUndefined();
    // Its invocations then start only on the schedule's ticks: none reserve order ids at once.
    const retries = resourcesOf(stackOf(dev, 'streaming-ingestion'), 'aws_lambda_function_event_invoke_config');
    expect(retries.map((r) => r.maximum_retry_attempts)).toEqual([0]);
  });

  it('attaches no AWS managed policy to any environment role (the VPC functions get only the ENI actions)', () => {
    const attachments = prod.stacks
      .filter((s) => s.name !== ACCOUNT_STACK)
      .flatMap((s) => resourcesOf(s, 'aws_iam_role_policy_attachment'));
    expect(attachments).toEqual([]);
    const sync = statementsOf(documentNamed(stackOf(prod, 'data-sync-raw'), 's3-to-rds-sync_role_policy'));
    expect(sync.filter((s) => JSON.stringify(s.actions).includes('ec2:'))).toEqual([
      expect.objectContaining({ actions: expect.arrayContaining(['ec2:CreateNetworkInterface']), resources: ['*'] }),
    ]);
    expect(JSON.stringify(sync)).not.toMatch(/"logs:\*"|log-group:\*"/);
  });

  it('has no NAT gateway, elastic IP, internet gateway or route to the internet: nothing in the VPC may reach one', () => {
    for (const type of ['aws_nat_gateway', 'aws_eip', 'aws_internet_gateway', 'aws_route'])
      expect(everywhere(prod, type), type).toEqual([]);
    expect(JSON.stringify(stackOf(prod, 'vpc').json)).not.toContain('0.0.0.0/0');
  });

  it("limits every VPC endpoint to this account's principals (and resources), plus Amazon's buckets the bastion reads", () => {
    for (const app of [prod, noBastion]) {
      const vpc = stackOf(app, 'vpc');
      for (const endpoint of resourcesOf(vpc, 'aws_vpc_endpoint')) {
        const service = String(endpoint.service_name).split('.').at(-1);
        const document =
          documents(vpc)[String(endpoint.policy).replace(/^\$\{data\.aws_iam_policy_document\.(.+)\.json\}$/, '$1')];
        const statements = statementsOf(document);
        const ownAccount = statements[0]?.condition as Block[];
        expect(
          ownAccount.map((c) => c.variable),
          service,
        ).toContain('aws:PrincipalAccount');
        if (service === 's3' || service === 'secretsmanager')
          expect(
            ownAccount.map((c) => c.variable),
            service,
          ).toContain('aws:ResourceAccount');
        const amazon = statements.slice(1);
        if (service === 's3' && app === prod) {
          expect(amazon).toEqual([
            expect.objectContaining({
              actions: ['s3:GetObject'],
              resources: expect.arrayContaining(['arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*']),
            }),
          ]);
        } else expect(amazon, service).toEqual([]);
      }
    }
  });

  it('ties the trust of Step Functions, EventBridge, Flow Logs and RDS monitoring to the account, and Firehose to its external id', () => {
    const trusts = dev.stacks.flatMap((s) =>
      Object.entries(documents(s))
        .filter(([name]) => name.endsWith('_trust') || name.includes('_trust_'))
        .map(([, d]) => statementsOf(d)[0] as Block),
    );
    const of = (service: string) =>
      trusts.filter((t) => JSON.stringify(t.principals).includes(`"${service}"`)).map((t) => t.condition as Block[]);
    for (const service of [
      'states.amazonaws.com',
      'events.amazonaws.com',
      'vpc-flow-logs.amazonaws.com',
      'monitoring.rds.amazonaws.com',
    ]) {
      expect(of(service).length, service).toBeGreaterThan(0);
      for (const conditions of of(service))
        expect(conditions.map((c) => c.variable).sort(), service).toEqual(['aws:SourceAccount', 'aws:SourceArn']);
    }
    for (const conditions of of('firehose.amazonaws.com'))
      expect(conditions.map((c) => c.variable)).toEqual(['sts:ExternalId']);
  });

  it('uses KMS in every role only through the service that needs it (kms:ViaService)', () => {
    expect(kmsOnlyThroughServices(dev.stacks)).toEqual([]);
    expect(kmsOnlyThroughServices(prod.stacks)).toEqual([]);
  });

  it('kmsOnlyThroughServices fails on a copy whose sync role may decrypt with the key directly', () => {
    const broken = structuredClone(dev.stacks);
    const sync = broken.find((s) => s.name === 'data-sync-raw') as SynthStack;
    const policy = Object.entries(documents(sync)).find(([name]) =>
      name.startsWith('s3-to-rds-sync_role_policy'),
    )?.[1] as Block;
    for (const statement of statementsOf(policy))
      if (JSON.stringify(statement.actions).includes('kms:')) delete statement.condition;
    expect(kmsOnlyThroughServices(broken)).toEqual([
      expect.stringMatching(/data-sync-raw: .*s3-to-rds-sync_role_policy.* kms:Decrypt/),
    ]);
  });

  it('removes the delete markers left with no version behind them, in every versioned bucket', () => {
    const storage = stackOf(prod, 's3-buckets');
    const versioned = resourcesOf(storage, 'aws_s3_bucket_versioning').map((v) => v.bucket);
    expect(versioned.length).toBe(4);
    for (const bucket of versioned) {
      const lifecycle = resourcesOf(storage, 'aws_s3_bucket_lifecycle_configuration').find((l) => l.bucket === bucket);
      const markers = ((lifecycle?.rule ?? []) as Block[]).filter((r) =>
        (r.expiration as Block[] | undefined)?.some((e) => e.expired_object_delete_marker === true),
      );
      expect(markers.length, String(bucket)).toBe(1);
      // S3 refuses ExpiredObjectDeleteMarker beside an expiration in days.
      expect((markers[0]?.expiration as Block[])[0]?.days).toBeUndefined();
    }
  });

  it('monitors the database every minute through a role of its own (Enhanced Monitoring)', () => {
    const rds = stackOf(prod, 'rds-postgresql');
    expect(resourcesOf(rds, 'aws_db_instance')[0]).toMatchObject({
      monitoring_interval: ENHANCED_MONITORING_INTERVAL,
      monitoring_role_arn: expect.stringMatching(/monitoring-role_\w+\.arn/),
    });
    const groups = everywhere(prod, 'aws_cloudwatch_log_group').filter((g) => g.name === 'RDSOSMetrics');
    expect(groups).toEqual([
      expect.objectContaining({ retention_in_days: 30, kms_key_id: tf('aws_kms_key.catalog-key.arn') }),
    ]);
  });

  it('encrypts the state machine with the project key', () => {
    const [machine] = resourcesOf(stackOf(prod, 'orchestration'), 'aws_sfn_state_machine');
    expect(machine?.encryption_configuration).toEqual({
      type: 'CUSTOMER_MANAGED_KMS_KEY',
      kms_key_id: expect.stringContaining('cross-stack-reference-input-s3-buckets'),
      kms_data_key_reuse_period_seconds: 300,
    });
  });
});
