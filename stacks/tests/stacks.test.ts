import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { instacartCatalog, sqlType, type TableSpec } from '@insightflow/shared-config';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_STACK } from '../account.js';
import { STACK_NAMES } from '../app.js';
import { BASTION_AMI_PARAMETER } from '../bastion.js';
import { buildLambda } from '../build/buildLambda.js';
import { planStacks, writeTerraformCliConfig } from '../build/planStacks.js';
import {
  DEFAULT_BYTES_SCANNED_CUTOFF,
  PARQUET_STORAGE,
  PROVENANCE_COLUMNS,
  partitionColumns,
  projectionParameters,
} from '../cleanLayer.js';
import {
  HANDLER_RETRYABLE,
  HANDLER_TERMINAL,
  MAX_SYNC_ROUNDS,
  pipelineDefinition,
  SYNC_ROUNDS_EXCEEDED,
} from '../constructs/pipelineStateMachine.js';
import { CATALOG_KEY_ALIAS } from '../deployAccess.js';
import { CRAWLER_CATALOG_ACTIONS } from '../glueCrawlerRaw.js';
import { PROVIDER_LOCK_FILE } from '../insightflowStack.js';
import { ATHENA_RESULTS_RETENTION_DAYS } from '../s3Buckets.js';
import { EXAMPLE_SNOWFLAKE_ENV, type SynthesisedApp, synth } from './helpers/synth.js';
import { POLICIES, type SynthStack } from './policies.js';

/** The catalog the stacks under test are synthesised with. */
const catalog = instacartCatalog();

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));

type Block = Record<string, unknown>;
/** A Terraform expression as it appears in the synthesised JSON. */
const tf = (expression: string) => `\${${expression}}`;
const stackOf = (stacks: SynthStack[], name: string) => stacks.find((s) => s.name === name) as SynthStack;
const resourcesOf = (stack: SynthStack, type: string) => (stack.json.resource?.[type] ?? {}) as Record<string, Block>;
const documentsOf = (stack: SynthStack) => (stack.json.data?.aws_iam_policy_document ?? {}) as Record<string, Block>;
const statementsOf = (document: Block | undefined) => (document?.statement ?? []) as Block[];
/** The policy document whose name starts with `prefix` (a construct's documents carry its path and a hash). */
const documentNamed = (stack: SynthStack, prefix: string) =>
  Object.entries(documentsOf(stack)).find(([name]) => name.startsWith(prefix))?.[1];

/**
 * Runs the top-level states of a definition from `startAt`, with every Task answered by `task`
 * (JSONPath subset: `$.a.b` paths, Result/Parameters/ResultSelector/ResultPath, States.MathAdd, Choice with
 * BooleanEquals / NumericGreaterThanEquals / And). Returns the final state and the tasks run.
 */
function runStates(
  definition: { States: Record<string, Block> },
  startAt: string,
  task: (name: string, round: number) => unknown,
): { end: Block; tasks: string[] } {
  const get = (data: unknown, jsonPath: string): unknown =>
    jsonPath
      .slice(2)
      .split('.')
      .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], data);
  const set = (data: Record<string, unknown>, jsonPath: string, value: unknown) => {
    const keys = jsonPath.slice(2).split('.');
    let target = data;
    for (const key of keys.slice(0, -1)) {
      target[key] ??= {};
      target = target[key] as Record<string, unknown>;
    }
    target[keys.at(-1) as string] = value;
  };
  const evaluate = (expression: string, data: unknown): unknown => {
    const add = /^States\.MathAdd\((\$[\w.]+), *(-?\d+)\)$/.exec(expression);
    return add ? Number(get(data, add[1] as string)) + Number(add[2]) : get(data, expression);
  };
  const matches = (rule: Block, data: unknown): boolean => {
    if (rule.And) return (rule.And as Block[]).every((r) => matches(r, data));
    const value = get(data, rule.Variable as string);
    if ('BooleanEquals' in rule) return value === rule.BooleanEquals;
    if ('NumericGreaterThanEquals' in rule) return Number(value) >= Number(rule.NumericGreaterThanEquals);
    throw new Error(`runStates does not know the rule ${JSON.stringify(rule)}`);
  };
  const data: Record<string, unknown> = {};
  const tasks: string[] = [];
  let name = startAt;
  for (let step = 0; step < 10_000; step++) {
    const state = definition.States[name] as Block;
    let next = state.Next as string | undefined;
    if (state.Type === 'Pass' || state.Type === 'Task') {
      const select = (template: Record<string, string>, from: unknown) =>
        Object.fromEntries(
          Object.entries(template).map(([key, expression]) =>
            key.endsWith('.$') ? [key.slice(0, -2), evaluate(expression, from)] : [key, expression],
          ),
        );
      let result: unknown;
      if (state.Type === 'Task') {
        tasks.push(name);
        const output = task(name, tasks.filter((t) => t === name).length);
        result = state.ResultSelector ? select(state.ResultSelector as Record<string, string>, output) : output;
      } else {
        result = state.Parameters ? select(state.Parameters as Record<string, string>, data) : state.Result;
      }
      if (state.ResultPath) set(data, state.ResultPath as string, result);
    } else if (state.Type === 'Choice') {
      next = ((state.Choices as Block[]).find((rule) => matches(rule, data))?.Next ?? state.Default) as string;
    } else {
      return { end: state, tasks };
    }
    name = next as string;
  }
  throw new Error('the state machine did not stop within 10 000 transitions');
}

describe('CDKTF app', () => {
  let dev: SynthesisedApp;
  let prod: SynthesisedApp;
  /** The recrawl knob at its other value: a first crawl of everything. */
  let everything: SynthesisedApp;

  beforeAll(() => {
    dev = synth();
    prod = synth({ INSIGHTFLOW_ENV: 'prod', INSIGHTFLOW_BASTION: 'true', ...EXAMPLE_SNOWFLAKE_ENV });
    everything = synth({ INSIGHTFLOW_RECRAWL: 'everything' });
  });

  it('synthesises one stack per module, with the exact names', () => {
    expect(dev.stacks.map((s) => s.name).sort()).toEqual(STACK_NAMES.filter((n) => n !== 'bastion').sort());
    expect(prod.stacks.map((s) => s.name).sort()).toEqual([...STACK_NAMES].sort());
  });

  it('orders deployment through cross-stack references', () => {
    expect(dev.manifest['rds-postgresql']?.dependencies.sort()).toEqual(['s3-buckets', 'vpc']);
    expect(dev.manifest['data-sync-raw']?.dependencies.sort()).toEqual(['rds-postgresql', 's3-buckets', 'vpc']);
    // prod: only a synth with Snowflake settings has the ingest function the pipeline invokes.
    expect(prod.manifest.orchestration?.dependencies).toEqual(
      expect.arrayContaining(['batch-ingestion', 'glue-crawler-raw', 'clean-layer', 'data-sync-raw']),
    );
  });

  it('names every resource after the project and environment', () => {
    const functions = prod.stacks.flatMap((s) =>
      Object.values(s.json.resource?.aws_lambda_function ?? {}).map((f) => f.function_name as string),
    );
    expect(functions.length).toBe(6);
    for (const name of functions) expect(name).toMatch(/^insightflow-prod-/);
  });

  it('keeps prod data safe: deletion protection, final snapshot, Multi-AZ', () => {
    const db = Object.values(
      prod.stacks.find((s) => s.name === 'rds-postgresql')?.json.resource?.aws_db_instance ?? {},
    )[0];
    expect(db).toMatchObject({
      deletion_protection: true,
      skip_final_snapshot: false,
      multi_az: true,
      backup_retention_period: 7,
    });
    expect(db?.final_snapshot_identifier).toBe('insightflow-prod-postgres-final');
  });

  it('routes Firehose output to the streaming and error prefixes through the transformer', () => {
    const stream = Object.values(
      dev.stacks.find((s) => s.name === 'streaming-ingestion')?.json.resource?.aws_kinesis_firehose_delivery_stream ??
        {},
    )[0] as { extended_s3_configuration: Record<string, unknown> };
    expect(stream.extended_s3_configuration.prefix).toBe(
      'data/streaming/orders/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hhmm=!{timestamp:HHmm}/',
    );
    expect(stream.extended_s3_configuration.error_output_prefix).toMatch(
      /^data\/streaming\/orders_error\/!\{firehose:error-output-type\}/,
    );
  });

  it('fans ingest out over the tables, then crawls, then syncs while more remains', () => {
    const definition = JSON.parse(
      pipelineDefinition({ ingest: 'i', clean: 'c', sync: 's', crawlers: ['a', 'b'] }, catalog.tableNames()),
    );
    expect(definition.StartAt).toBe('IngestTables');
    expect(definition.States.IngestTables.Type).toBe('Map');
    expect(definition.States.IngestTables.ItemSelector['runAt.$']).toBe('$$.Execution.StartTime');
    expect(definition.States.MoreToSync.Choices[0]).toMatchObject({ Variable: '$.sync.more', Next: 'Sync' });
  });

  it('retries the Lambda tasks on transient Lambda errors and InsightFlow.Retryable only; InsightFlow.Terminal fails at once', () => {
    const definition = JSON.parse(
      pipelineDefinition({ ingest: 'i', clean: 'c', sync: 's', crawlers: ['a'] }, catalog.tableNames()),
    );
    const tasks: Record<string, { Retry: { ErrorEquals: string[]; MaxAttempts?: number }[] }> = {
      IngestTable: definition.States.IngestTables.ItemProcessor.States.IngestTable,
      CleanTable: definition.States.CleanTables.ItemProcessor.States.CleanTable,
      Sync: definition.States.Sync,
    };
    // Step Functions' rule: the first retrier naming the error (or a catch-all) decides.
    const attemptsAfter = (task: string, error: string) => {
      const retrier = tasks[task]?.Retry.find((r) =>
        r.ErrorEquals.some((e) => e === error || e === 'States.ALL' || e === 'States.TaskFailed'),
      );
      return retrier ? (retrier.MaxAttempts ?? 3) : 0;
    };
    for (const task of Object.keys(tasks)) {
      expect(attemptsAfter(task, 'InsightFlow.Retryable'), task).toBeGreaterThan(0);
      expect(attemptsAfter(task, 'Lambda.ServiceException'), task).toBeGreaterThan(0);
      expect(attemptsAfter(task, 'InsightFlow.Terminal'), task).toBe(0);
      expect(attemptsAfter(task, 'Sandbox.Timedout'), task).toBe(0);
    }
    expect([HANDLER_RETRYABLE, HANDLER_TERMINAL]).toEqual(['InsightFlow.Retryable', 'InsightFlow.Terminal']);
  });

  it('bounds the sync loop: an execution whose sync always has more fails after MAX_SYNC_ROUNDS rounds', () => {
    const definition = JSON.parse(
      pipelineDefinition({ ingest: 'i', clean: 'c', sync: 's', crawlers: ['a'] }, catalog.tableNames()),
    );
    expect(definition.States.CleanTables.Next).toBe('StartSync');
    const endless = runStates(definition, 'StartSync', () => ({ Payload: { more: true, rows: 1 } }));
    expect(endless.end).toMatchObject({ Type: 'Fail', Error: SYNC_ROUNDS_EXCEEDED });
    expect(endless.tasks).toHaveLength(MAX_SYNC_ROUNDS);
    const finite = runStates(definition, 'StartSync', (_, round) => ({ Payload: { more: round < 3, rows: 1 } }));
    expect(finite.end).toMatchObject({ Type: 'Succeed' });
    expect(finite.tasks).toHaveLength(3);
  });

  it('creates the Snowflake integration role only for a configured principal, trusting exactly it', () => {
    const devStorage = stackOf(dev.stacks, 's3-buckets');
    expect(Object.keys(resourcesOf(devStorage, 'aws_iam_role'))).toEqual([]);
    expect(JSON.stringify(devStorage.json)).not.toContain('000000000000');
    const trust = Object.entries(documentsOf(stackOf(prod.stacks, 's3-buckets'))).find(([name]) =>
      name.startsWith('snowflake-integration_trust'),
    )?.[1];
    expect(statementsOf(trust)).toEqual([
      expect.objectContaining({
        principals: [{ type: 'AWS', identifiers: [EXAMPLE_SNOWFLAKE_ENV.SNOWFLAKE_IAM_USER_ARN] }],
        condition: [
          { test: 'StringEquals', variable: 'sts:ExternalId', values: [EXAMPLE_SNOWFLAKE_ENV.SNOWFLAKE_EXTERNAL_ID] },
        ],
      }),
    ]);
  });

  it('reads the account id from the key ARN, which exists in every environment', () => {
    for (const app of [dev, prod]) {
      const admin = statementsOf(documentsOf(stackOf(app.stacks, 's3-buckets'))['key-policy']).find(
        (s) => s.sid === 'AccountAdministers',
      );
      expect(admin?.principals).toEqual([
        { type: 'AWS', identifiers: [`arn:aws:iam::${tf('element(split(":", aws_kms_key.key.arn), 4)')}:root`] },
      ]);
    }
  });

  it('sends every alarm to one topic in s3-buckets, under a key of its own that CloudWatch and EventBridge may use and no data is under', () => {
    const storage = stackOf(prod.stacks, 's3-buckets');
    expect(Object.values(resourcesOf(storage, 'aws_sns_topic'))).toEqual([
      expect.objectContaining({ name: 'insightflow-prod-alarms', kms_master_key_id: tf('aws_kms_key.alarm-key.arn') }),
    ]);
    const publishers = statementsOf(documentsOf(storage)['alarm-topic-policy']);
    expect(publishers).toEqual([
      expect.objectContaining({
        actions: ['sns:Publish'],
        principals: [{ type: 'Service', identifiers: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] }],
        condition: [expect.objectContaining({ test: 'StringEquals', variable: 'aws:SourceAccount' })],
      }),
    ]);
    const servicesOf = (document: string) =>
      statementsOf(documentsOf(storage)[document]).filter((s) =>
        JSON.stringify(s.principals).includes('events.amazonaws.com'),
      );
    expect(servicesOf('alarm-key-policy')).toEqual([
      expect.objectContaining({ actions: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
    ]);
    // The data key admits no service that publishes alarms.
    expect(servicesOf('key-policy')).toEqual([]);
    expect(JSON.stringify(statementsOf(documentsOf(storage)['key-policy']))).not.toContain('cloudwatch.amazonaws.com');
    for (const bucket of Object.values(resourcesOf(storage, 'aws_s3_bucket_server_side_encryption_configuration')))
      expect(JSON.stringify(bucket)).not.toContain('alarm-key');
    expect(
      prod.stacks.filter((s) => Object.keys(resourcesOf(s, 'aws_sns_topic')).length > 0).map((s) => s.name),
    ).toEqual(['s3-buckets']);
  });

  it('alarms on failed, timed-out and aborted pipeline executions', () => {
    const alarms = Object.values(
      resourcesOf(stackOf(dev.stacks, 'orchestration'), 'aws_cloudwatch_metric_alarm'),
    ).filter((a) => a.namespace === 'AWS/States');
    expect(alarms.map((a) => a.metric_name).sort()).toEqual([
      'ExecutionsAborted',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]);
    for (const alarm of alarms) {
      expect(JSON.stringify(alarm.alarm_actions)).toContain('cross-stack-reference-input-s3-buckets');
    }
  });

  it("alarms on rejected rows per function and on the sync's lag, from the handlers' own metrics, to the alarm topic", () => {
    const alarms = Object.values(
      resourcesOf(stackOf(dev.stacks, 'orchestration'), 'aws_cloudwatch_metric_alarm'),
    ).filter((a) => a.namespace === 'InsightFlow');
    const rejected = alarms.filter((a) => a.metric_name === 'rejected');
    expect(rejected.map((a) => (a.dimensions as Record<string, string>).service).sort()).toEqual([
      'batch-ingest',
      'clean-layer',
      's3-to-rds-sync',
      'snowflake-loader',
    ]);
    const lag = alarms.filter((a) => a.metric_name === 'lagSeconds');
    expect(lag).toEqual([
      expect.objectContaining({ statistic: 'Maximum', dimensions: { service: 's3-to-rds-sync', environment: 'dev' } }),
    ]);
    for (const alarm of alarms)
      expect(JSON.stringify(alarm.alarm_actions)).toContain('cross-stack-reference-input-s3-buckets');
  });

  it("draws the pipeline on one dashboard: the handlers' metrics, Firehose, Step Functions and RDS", () => {
    const [dashboard] = Object.values(resourcesOf(stackOf(dev.stacks, 'orchestration'), 'aws_cloudwatch_dashboard'));
    const body = String(dashboard?.dashboard_body);
    for (const metric of [
      'rows',
      'rejected',
      'refused',
      'lagSeconds',
      'recordsOk',
      'recordsDropped',
      'recordsProcessingFailed',
      'recordsSent',
      'recordsResent',
    ]) {
      expect(body).toContain(`MetricName=\\"${metric}\\"`);
    }
    for (const service of [
      'AWS/Firehose',
      'AWS/States',
      'AWS/RDS',
      'CPUUtilization',
      'FreeStorageSpace',
      'DeliveryToS3.Records',
    ]) {
      expect(body).toContain(service);
    }
    expect(body).toContain('cross-stack-reference-input-rds-postgresql');
    expect(body).toContain('cross-stack-reference-input-streaming-ingestion');
  });

  it('runs the bastion on the public Amazon Linux 2023 parameter, with no variables to set', () => {
    const bastion = stackOf(prod.stacks, 'bastion');
    expect(bastion.json.variable).toBeUndefined();
    expect(Object.values(bastion.json.data?.aws_ssm_parameter ?? {})).toEqual([
      expect.objectContaining({ name: BASTION_AMI_PARAMETER }),
    ]);
    expect(resourcesOf(bastion, 'aws_instance').instance?.ami).toBe(tf('data.aws_ssm_parameter.ami.insecure_value'));
  });

  it('gives the bastion its SSM endpoints, and sends HTTPS to endpoints and the S3 prefix list only', () => {
    const endpoints = (app: SynthesisedApp) =>
      Object.values(resourcesOf(stackOf(app.stacks, 'vpc'), 'aws_vpc_endpoint')).map((e) =>
        String(e.service_name).split('.').at(-1),
      );
    expect(endpoints(dev).sort()).toEqual(['s3', 'secretsmanager']);
    expect(endpoints(prod).sort()).toEqual(['ec2messages', 's3', 'secretsmanager', 'ssm', 'ssmmessages']);
    for (const [app, stack, group] of [
      [prod, 'vpc', 'lambda-sg'],
      [prod, 'bastion', 'sg'],
    ] as const) {
      const https = Object.values(resourcesOf(stackOf(app.stacks, stack), 'aws_vpc_security_group_egress_rule')).filter(
        (r) => r.from_port === 443 && JSON.stringify(r.security_group_id).includes(group),
      );
      expect(
        https
          .map((r) => r.prefix_list_id ?? r.referenced_security_group_id)
          .map(String)
          .sort(),
        stack,
      ).toEqual([expect.stringMatching(/endpoint-sg/), expect.stringMatching(/s3-endpoint\.?prefix_list_id/)]);
    }
  });

  it('scopes the crawler role to its catalog, prefixes and keys, with AssociateKmsKey for its encrypted logs', () => {
    const glue = stackOf(dev.stacks, 'glue-crawler-raw');
    const statements = statementsOf(documentNamed(glue, 'crawler-role_policy'));
    for (const statement of statements) expect(statement.resources).not.toContain('*');
    const sid = (name: string) => statements.find((s) => s.sid === name) as Block;
    expect(sid('CatalogOfThisDatabase').actions).toEqual(CRAWLER_CATALOG_ACTIONS);
    expect(JSON.stringify(sid('CatalogOfThisDatabase').resources)).toContain(
      `:table/${tf('aws_glue_catalog_database.database.name')}/*`,
    );
    expect(sid('CrawlerLogs').actions).toContain('logs:AssociateKmsKey');
    expect(JSON.stringify(sid('CrawlerLogs').resources)).toContain(':log-group:/aws-glue/crawlers*');
    // The lake's key through S3 only; the catalog's key (the account stack's, by its alias) through Glue only.
    expect(sid('ProjectKey')).toMatchObject({
      actions: ['kms:Decrypt'],
      condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: ['s3.us-east-1.amazonaws.com'] }],
    });
    expect(sid('CatalogKey')).toMatchObject({
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      condition: [
        { test: 'ForAnyValue:StringEquals', variable: 'kms:ResourceAliases', values: [CATALOG_KEY_ALIAS] },
        { test: 'StringEquals', variable: 'kms:ViaService', values: ['glue.us-east-1.amazonaws.com'] },
      ],
    });
    expect(Object.keys(resourcesOf(glue, 'aws_iam_role_policy_attachment'))).toEqual([]);
  });

  it('passes INSIGHTFLOW_RECRAWL to both crawlers: new folders only (logging schema changes) by default, everything on request', () => {
    const policies = (app: SynthesisedApp) =>
      Object.values(resourcesOf(stackOf(app.stacks, 'glue-crawler-raw'), 'aws_glue_crawler')).map((c) => [
        c.name,
        (c.recrawl_policy as Block).recrawl_behavior,
        (c.schema_change_policy as Block).update_behavior,
      ]);
    expect(policies(dev)).toEqual([
      ['insightflow-dev-raw-batch', 'CRAWL_NEW_FOLDERS_ONLY', 'LOG'],
      ['insightflow-dev-raw-streaming', 'CRAWL_NEW_FOLDERS_ONLY', 'LOG'],
    ]);
    expect(policies(everything)).toEqual([
      ['insightflow-dev-raw-batch', 'CRAWL_EVERYTHING', 'UPDATE_IN_DATABASE'],
      ['insightflow-dev-raw-streaming', 'CRAWL_EVERYTHING', 'UPDATE_IN_DATABASE'],
    ]);
  });

  it('leaves the Data Catalog encryption to the account stack: no environment stack declares it', () => {
    for (const app of [dev, prod]) {
      const declaring = app.stacks.filter(
        (s) => Object.keys(resourcesOf(s, 'aws_glue_data_catalog_encryption_settings')).length !== 0,
      );
      expect(declaring.map((s) => s.name)).toEqual([ACCOUNT_STACK]);
    }
  });

  it('sends a failed crawl of either crawler to the alarm topic', () => {
    const glue = stackOf(dev.stacks, 'glue-crawler-raw');
    const rule = resourcesOf(glue, 'aws_cloudwatch_event_rule')['crawler-failed'];
    expect(JSON.parse(String(rule?.event_pattern))).toEqual({
      source: ['aws.glue'],
      'detail-type': ['Glue Crawler State Change'],
      detail: { crawlerName: ['insightflow-dev-raw-batch', 'insightflow-dev-raw-streaming'], state: ['Failed'] },
    });
    const target = resourcesOf(glue, 'aws_cloudwatch_event_target')['crawler-failed-alarm'];
    expect(target?.rule).toBe(tf('aws_cloudwatch_event_rule.crawler-failed.name'));
    expect(JSON.stringify(target?.arn)).toContain('cross-stack-reference-input-s3-buckets');
  });

  it('exports the PostgreSQL and upgrade logs into encrypted log groups created before the instance', () => {
    const rds = stackOf(prod.stacks, 'rds-postgresql');
    const groups = resourcesOf(rds, 'aws_cloudwatch_log_group');
    expect(Object.values(groups).map((g) => g.name)).toEqual([
      '/aws/rds/instance/insightflow-prod-postgres/postgresql',
      '/aws/rds/instance/insightflow-prod-postgres/upgrade',
    ]);
    expect(resourcesOf(rds, 'aws_db_instance').postgres?.depends_on).toEqual(
      Object.keys(groups).map((name) => `aws_cloudwatch_log_group.${name}`),
    );
  });

  it('ships the committed provider lock with every stack, pinning the provider the stacks require', () => {
    const lock = readFileSync(PROVIDER_LOCK_FILE, 'utf8');
    expect(lock).toMatch(/provider "registry\.terraform\.io\/hashicorp\/aws" \{\s+version\s+= "5\.100\.0"/);
    for (const [name, stack] of Object.entries(dev.manifest)) {
      const stackDir = path.dirname(path.join(dev.outdir, stack.synthesizedStackPath));
      expect(readFileSync(path.join(stackDir, '.terraform.lock.hcl'), 'utf8'), name).toBe(lock);
    }
  });

  describe('clean-layer: the clean tables, their workgroup and the function that builds them', () => {
    const cleanStack = () => stackOf(prod.stacks, 'clean-layer');
    const gluePartitionType = (table: string, column: string) =>
      sqlType(catalog.table(table).columns.find((c) => c.name === column) as { type: string }, 'glue');

    it('declares one Parquet table per catalog table, columns and types from the catalog, partition columns as keys', () => {
      const tables = resourcesOf(cleanStack(), 'aws_glue_catalog_table');
      expect(
        Object.values(tables)
          .map((t) => t.name)
          .sort(),
      ).toEqual(catalog.tableNames().sort());
      for (const spec of catalog.tables) {
        const table = tables[`table-${spec.name}`] as Block;
        const partitionBy = partitionColumns(spec);
        const storage = table.storage_descriptor as Block;
        expect(table).toMatchObject({
          database_name: tf('aws_glue_catalog_database.database.name'),
          table_type: 'EXTERNAL_TABLE',
          parameters: expect.objectContaining({ classification: 'parquet', EXTERNAL: 'TRUE' }),
        });
        expect(storage).toMatchObject({
          input_format: PARQUET_STORAGE.inputFormat,
          output_format: PARQUET_STORAGE.outputFormat,
          ser_de_info: expect.objectContaining({ serialization_library: PARQUET_STORAGE.serializationLibrary }),
        });
        expect(String(storage.location)).toMatch(new RegExp(`^s3://\\$\\{.+\\}/tables/${spec.name}/v=0/$`));
        expect((storage.columns as Block[]).map((c) => [c.name, c.type])).toEqual([
          ...spec.columns.filter((c) => !partitionBy.includes(c.name)).map((c) => [c.name, sqlType(c, 'glue')]),
          ...PROVENANCE_COLUMNS.map((c) => [c.name, c.type]),
        ]);
        expect(((table.partition_keys ?? []) as Block[]).map((k) => [k.name, k.type])).toEqual(
          partitionBy.map((c) => [c, gluePartitionType(spec.name, c)]),
        );
        // The function's UpdateTable moves these to each new version; Terraform must leave them.
        expect((table.lifecycle as Block).ignore_changes).toEqual([
          'storage_descriptor[0].location',
          'parameters["storage.location.template"]',
        ]);
      }
    });

    it('partitions orders by eval_set with an enum projection of its allowed values and a template per version', () => {
      expect(partitionColumns(catalog.table('orders'))).toEqual(['eval_set']);
      const orders = resourcesOf(cleanStack(), 'aws_glue_catalog_table')['table-orders'] as Block;
      const parameters = orders.parameters as Record<string, string>;
      expect(parameters).toMatchObject({
        'projection.enabled': 'true',
        'projection.eval_set.type': 'enum',
        'projection.eval_set.values': 'prior,train,test',
      });
      // `$${…}`: Terraform's escape, so Glue stores the literal `${eval_set}` Athena fills in.
      expect(parameters['storage.location.template']).toMatch(/\/tables\/orders\/v=0\/eval_set=\$\$\{eval_set\}\/$/);
      const columns = ((orders.storage_descriptor as Block).columns as Block[]).map((c) => c.name);
      expect(columns).not.toContain('eval_set');
      expect(orders.partition_keys).toEqual([{ name: 'eval_set', type: 'string' }]);
    });

    it('projects a partition column as enum, integer range or injected, from what the catalog bounds', () => {
      const table = {
        name: 't',
        primaryKey: [],
        stage: 't/',
        columns: [
          { name: 'kind', type: 'text', nullable: true, allowed: ['a', 'b'] },
          { name: 'hour', type: 'smallint', nullable: false, min: 0, max: 23 },
          { name: 'region', type: 'text', nullable: false },
        ],
      } as unknown as TableSpec;
      expect(projectionParameters(table, 'kind')).toEqual({
        'projection.kind.type': 'enum',
        'projection.kind.values': 'a,b,__HIVE_DEFAULT_PARTITION__',
      });
      expect(projectionParameters(table, 'hour')).toEqual({
        'projection.hour.type': 'integer',
        'projection.hour.range': '0,23',
      });
      expect(projectionParameters(table, 'region')).toEqual({ 'projection.region.type': 'injected' });
      expect(() => projectionParameters(table, 'missing')).toThrow(/not one of its columns/);
    });

    it('keeps the clean and scratch databases apart, named for the environment', () => {
      const databases = Object.values(resourcesOf(cleanStack(), 'aws_glue_catalog_database')).map((d) => d.name);
      expect(databases).toEqual(['insightflow_prod_clean', 'insightflow_prod_clean_scratch']);
      const fn = Object.values(resourcesOf(cleanStack(), 'aws_lambda_function'))[0] as Block;
      expect((fn.environment as { variables: Record<string, string> }).variables).toMatchObject({
        CLEAN_DATABASE: tf('aws_glue_catalog_database.database.name'),
        CLEAN_SCRATCH_DATABASE: tf('aws_glue_catalog_database.scratch-database.name'),
        ATHENA_WORKGROUP: tf('aws_athena_workgroup.workgroup.name'),
        INSIGHTFLOW_ENV: 'prod',
      });
      expect(fn.vpc_config).toBeUndefined();
    });

    it('runs its queries in its own workgroup: enforced settings, KMS-encrypted results in the clean bucket, a scan limit', () => {
      const workgroups = Object.values(resourcesOf(cleanStack(), 'aws_athena_workgroup'));
      expect(workgroups).toHaveLength(1);
      const workgroup = workgroups[0] as Block;
      expect(workgroup).toMatchObject({ name: 'insightflow-prod-clean', force_destroy: false, state: 'ENABLED' });
      const configuration = workgroup.configuration as Block;
      expect(configuration).toMatchObject({
        enforce_workgroup_configuration: true,
        bytes_scanned_cutoff_per_query: DEFAULT_BYTES_SCANNED_CUTOFF,
        engine_version: { selected_engine_version: 'AUTO' },
      });
      const results = configuration.result_configuration as Block;
      expect(String(results.output_location)).toMatch(/^s3:\/\/\$\{.*clean.*\}\/athena-results\/$/);
      expect(results.encryption_configuration).toEqual({
        encryption_option: 'SSE_KMS',
        kms_key_arn: expect.stringContaining('cross-stack-reference-input-s3-buckets'),
      });
    });

    it('expires the query results in the clean bucket, and nothing else of it', () => {
      const rules = Object.values(
        resourcesOf(stackOf(prod.stacks, 's3-buckets'), 'aws_s3_bucket_lifecycle_configuration'),
      ).find((c) => String(c.bucket).includes('clean'))?.rule as Block[];
      const expiring = rules.filter((r) => (r.expiration as Block[] | undefined)?.some((e) => e.days !== undefined));
      expect(expiring).toEqual([
        expect.objectContaining({
          filter: [{ prefix: 'athena-results/' }],
          expiration: [{ days: ATHENA_RESULTS_RETENTION_DAYS }],
        }),
      ]);
    });

    it('scopes the function role to its workgroup, databases, tables, prefixes and key: no wildcard but a prefix', () => {
      const statements = statementsOf(documentNamed(cleanStack(), 'clean-layer_role_policy'));
      expect(statements.length).toBeGreaterThan(5);
      for (const statement of statements) {
        const actions = statement.actions as string[];
        const resources = statement.resources as string[];
        for (const action of actions) expect(action).not.toMatch(/\*/);
        if (actions.every((a) => a.startsWith('xray:'))) continue;
        // The catalog key is found by its alias: any key of the account, so long as it is that one.
        const byAlias = JSON.stringify(statement.condition ?? []).includes('kms:ResourceAliases');
        for (const resource of resources) {
          expect(resource).not.toBe('*');
          if (byAlias) {
            expect(resource).toMatch(/:kms:us-east-1:.*:key\/\*$/);
            continue;
          }
          // A wildcard only ends a prefix: an S3 prefix, or the scratch database's tables.
          if (resource.includes('*'))
            expect(resource).toMatch(
              /(\/(tables|athena-results|data)\/\*|:table\/\$\{aws_glue_catalog_database\.scratch-database\.name\}\/\*|:\*)$/,
            );
        }
      }
      const of = (action: string) => statements.filter((s) => (s.actions as string[]).includes(action));
      expect(JSON.stringify(of('athena:StartQueryExecution').map((s) => s.resources))).toMatch(
        /:workgroup\/\$\{aws_athena_workgroup\.workgroup\.name\}"/,
      );
      const update = JSON.stringify(of('glue:UpdateTable').map((s) => s.resources));
      for (const table of catalog.tableNames())
        expect(update).toContain(`:table/\${aws_glue_catalog_database.database.name}/${table}"`);
      expect(update).not.toContain('scratch');
      expect(JSON.stringify(of('glue:DeleteTable').map((s) => s.resources))).not.toContain(
        'aws_glue_catalog_database.database.name}/',
      );
    });

    it('builds the clean tables after ingest and before the sync: ingest → crawl → clean → sync', () => {
      const definition = JSON.parse(
        pipelineDefinition({ ingest: 'i', clean: 'c', sync: 's', crawlers: ['a'] }, catalog.tableNames()),
      );
      const order: string[] = [];
      for (let name: string | undefined = definition.StartAt; name && order.length < 20; ) {
        order.push(name);
        name = definition.States[name].Next;
      }
      expect(order.slice(0, 4)).toEqual(['IngestTables', 'StartCrawlers', 'CleanTables', 'StartSync']);
      const cleanTable = definition.States.CleanTables.ItemProcessor.States.CleanTable;
      expect(cleanTable.Parameters).toEqual({ FunctionName: 'c', Payload: { 'tables.$': 'States.Array($.table)' } });
      const machine = Object.values(resourcesOf(stackOf(prod.stacks, 'orchestration'), 'aws_sfn_state_machine'))[0];
      expect(String(machine?.definition)).toContain('clean-layer');
      const invoke = statementsOf(documentNamed(stackOf(prod.stacks, 'orchestration'), 'machine-role_policy')).find(
        (s) => (s.actions as string[]).includes('lambda:InvokeFunction'),
      );
      expect(JSON.stringify(invoke?.resources)).toContain('cross-stack-reference-input-clean-layer');
    });
  });

  describe('security policies over every synthesised stack', () => {
    for (const [name, policy] of Object.entries(POLICIES)) {
      it(`${name}: holds for dev and prod`, () => {
        expect(policy(dev.stacks)).toEqual([]);
        expect(policy(prod.stacks)).toEqual([]);
      });
    }

    it('bucketsEncryptedAndPrivate fails on a copy with a bucket left unencrypted and public', () => {
      const broken = clone(dev.stacks);
      const s3 = broken.find((s) => s.name === 's3-buckets') as SynthStack;
      const resource = s3.json.resource as Record<string, Record<string, Record<string, unknown>>>;
      const firstEncryption = Object.keys(
        resource.aws_s3_bucket_server_side_encryption_configuration ?? {},
      )[0] as string;
      delete resource.aws_s3_bucket_server_side_encryption_configuration?.[firstEncryption];
      const firstBlock = Object.values(resource.aws_s3_bucket_public_access_block ?? {})[1] as Record<string, unknown>;
      firstBlock.restrict_public_buckets = false;
      expect(POLICIES.bucketsEncryptedAndPrivate(broken)).toHaveLength(2);
    });

    it('noWildcardAdmin fails on a copy with an Allow * on *', () => {
      const broken = clone(dev.stacks);
      const documents = stackOf(broken, 's3-buckets').json.data?.aws_iam_policy_document as Record<
        string,
        Record<string, unknown>
      >;
      documents.injected = { statement: [{ actions: ['*'], resources: ['*'] }] };
      expect(POLICIES.noWildcardAdmin(broken)).toEqual([expect.stringMatching(/injected allows \* on \*/)]);
    });

    it('noOpenAdminIngress fails on a copy that opens SSH to the internet', () => {
      const broken = clone(dev.stacks);
      const vpc = broken.find((s) => s.name === 'vpc') as SynthStack;
      (vpc.json.resource?.aws_vpc_security_group_ingress_rule as Record<string, unknown>).ssh = {
        cidr_ipv4: '0.0.0.0/0',
        from_port: 22,
        to_port: 22,
        ip_protocol: 'tcp',
      };
      expect(POLICIES.noOpenAdminIngress(broken)).toEqual([expect.stringMatching(/ssh opens SSH or PostgreSQL/)]);
    });

    it('databasesEncryptedWithIamAuth fails on a copy with an unencrypted database', () => {
      const broken = clone(dev.stacks);
      const db = Object.values(
        broken.find((s) => s.name === 'rds-postgresql')?.json.resource?.aws_db_instance ?? {},
      )[0] as Record<string, unknown>;
      db.storage_encrypted = false;
      db.iam_database_authentication_enabled = false;
      expect(POLICIES.databasesEncryptedWithIamAuth(broken)).toHaveLength(2);
    });

    it('noSecretsInLambdaEnvironment fails on a copy with a password in a function environment', () => {
      const broken = clone(dev.stacks);
      const fn = Object.values(
        broken.find((s) => s.name === 'data-sync-raw')?.json.resource?.aws_lambda_function ?? {},
      )[0] as {
        environment: { variables: Record<string, string> };
      };
      fn.environment.variables.DATABASE_URL = 'postgres://admin:hunter2@db:5432/insightflow';
      expect(POLICIES.noSecretsInLambdaEnvironment(broken)).toHaveLength(1);
    });

    it('bucketsEncryptedAndPrivate fails on a copy whose raw bucket stops logging and falls back to SSE-S3', () => {
      const broken = clone(dev.stacks);
      const s3 = stackOf(broken, 's3-buckets');
      const logging = resourcesOf(s3, 'aws_s3_bucket_logging');
      for (const [name, r] of Object.entries(logging))
        if (String(r.bucket).includes('raw_bucket')) delete logging[name];
      const raw = Object.values(resourcesOf(s3, 'aws_s3_bucket_server_side_encryption_configuration')).find((r) =>
        String(r.bucket).includes('raw_bucket'),
      ) as Block;
      raw.rule = [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }];
      expect(POLICIES.bucketsEncryptedAndPrivate(broken)).toEqual([
        expect.stringMatching(/bucket raw_bucket_\w+ is not encrypted with KMS/),
        expect.stringMatching(/bucket raw_bucket_\w+ has no server access logging/),
      ]);
    });

    it('bucketsEncryptedAndPrivate fails on a copy whose access-log bucket uses SSE-KMS, which log delivery cannot write', () => {
      const broken = clone(dev.stacks);
      const logBucket = Object.values(
        resourcesOf(stackOf(broken, 's3-buckets'), 'aws_s3_bucket_server_side_encryption_configuration'),
      ).find((r) => String(r.bucket).includes('access-logs')) as Block;
      logBucket.rule = [{ apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms' } }];
      expect(POLICIES.bucketsEncryptedAndPrivate(broken)).toEqual([
        expect.stringMatching(/access-log bucket access-logs_bucket_\w+ is not SSE-S3/),
      ]);
    });

    it('noOpenEgress fails on a copy with HTTPS egress to 0.0.0.0/0', () => {
      const broken = clone(dev.stacks);
      resourcesOf(stackOf(broken, 'vpc'), 'aws_vpc_security_group_egress_rule')['lambda-https'] = {
        security_group_id: tf('aws_security_group.lambda-sg.id'),
        cidr_ipv4: '0.0.0.0/0',
        ip_protocol: 'tcp',
        from_port: 443,
        to_port: 443,
      };
      expect(POLICIES.noOpenEgress(broken)).toEqual(['vpc: egress rule lambda-https sends to the internet']);
    });

    it('vpcsLoggedWithClosedDefaultGroup fails on a copy without flow logs and with an open default group', () => {
      const broken = clone(dev.stacks);
      const vpc = stackOf(broken, 'vpc');
      delete vpc.json.resource?.aws_flow_log;
      (resourcesOf(vpc, 'aws_default_security_group')['default-sg'] as Block).egress = [
        { cidr_blocks: ['0.0.0.0/0'], from_port: 0, to_port: 0, protocol: '-1' },
      ];
      expect(POLICIES.vpcsLoggedWithClosedDefaultGroup(broken)).toEqual([
        'vpc: vpc vpc has no flow log of all traffic',
        'vpc: vpc vpc does not strip the rules of its default security group',
      ]);
      expect(POLICIES.noOpenEgress(broken)).toHaveLength(1);
    });

    it('logGroupsEncryptedWithRetention fails on a copy with a log group unencrypted and kept forever', () => {
      const broken = clone(dev.stacks);
      const flowLogs = resourcesOf(stackOf(broken, 'vpc'), 'aws_cloudwatch_log_group')['flow-logs'] as Block;
      delete flowLogs.kms_key_id;
      delete flowLogs.retention_in_days;
      expect(POLICIES.logGroupsEncryptedWithRetention(broken)).toHaveLength(2);
    });

    it('noBroadManagedPolicies fails on a copy that gives the crawler AWSGlueServiceRole', () => {
      const broken = clone(dev.stacks);
      const glue = stackOf(broken, 'glue-crawler-raw').json.resource as Record<string, Record<string, Block>>;
      glue.aws_iam_role_policy_attachment = {
        service: {
          role: tf('aws_iam_role.role.name'),
          policy_arn: 'arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole',
        },
      };
      expect(POLICIES.noBroadManagedPolicies(broken)).toEqual([
        expect.stringMatching(/glue-crawler-raw: service attaches .*AWSGlueServiceRole/),
      ]);
    });

    it('terraformAndProviderPinned fails on a copy without required_version or a provider pin', () => {
      const broken = clone(dev.stacks);
      const terraform = stackOf(broken, 'vpc').json.terraform as Block;
      delete terraform.required_version;
      (terraform.required_providers as Record<string, Block>).aws = { source: 'aws' };
      expect(POLICIES.terraformAndProviderPinned(broken)).toHaveLength(2);
    });

    it('topicsEncrypted fails on a copy with an unencrypted alarm topic', () => {
      const broken = clone(dev.stacks);
      delete (resourcesOf(stackOf(broken, 's3-buckets'), 'aws_sns_topic').alarms as Block).kms_master_key_id;
      expect(POLICIES.topicsEncrypted(broken)).toEqual(['s3-buckets: topic alarms is not encrypted']);
    });

    it('databasesEncryptedWithIamAuth fails on a copy that exports no database logs', () => {
      const broken = clone(dev.stacks);
      delete (resourcesOf(stackOf(broken, 'rds-postgresql'), 'aws_db_instance').postgres as Block)
        .enabled_cloudwatch_logs_exports;
      expect(POLICIES.databasesEncryptedWithIamAuth(broken)).toEqual([
        'rds-postgresql: database postgres does not export its postgresql and upgrade logs',
      ]);
    });
  });
});

describe('Lambda zips', () => {
  const packages = path.resolve(import.meta.dirname, '../../packages');

  it('are deterministic, and a code change changes only that package\u2019s zip', async () => {
    const probe = path.join(packages, '.zip-probe');
    rmSync(probe, { recursive: true, force: true });
    cpSync(path.join(packages, 'stream-transformer'), probe, {
      recursive: true,
      filter: (src) => !src.includes(`${path.sep}dist`) && !src.includes('node_modules'),
    });
    try {
      const other = await buildLambda(path.join(packages, 'batch-ingest'), catalog);
      const first = await buildLambda(probe, catalog);
      const again = await buildLambda(probe, catalog);
      expect(again.sha256).toBe(first.sha256);
      const core = path.join(probe, 'src', 'transformRecords.ts');
      writeFileSync(core, readFileSync(core, 'utf8').replace("'data is not JSON'", "'data is not valid JSON'"));
      const changed = await buildLambda(probe, catalog);
      expect(changed.sha256).not.toBe(first.sha256);
      expect((await buildLambda(path.join(packages, 'batch-ingest'), catalog)).sha256).toBe(other.sha256);
    } finally {
      rmSync(probe, { recursive: true, force: true });
    }
  });
});

describe('terraform (offline: provider mirror, dummy credentials, stub upstream state)', () => {
  it('initialises, validates and plans every stack, the account stack and the bastion included, and each stack a knob changes at its other value, with no variables', async () => {
    const summaries = await planStacks({ log: () => undefined });
    // The knobs of two values at their other values change the crawlers and the streaming path.
    const variant = '(INSIGHTFLOW_STREAM_SOURCE=kinesis, INSIGHTFLOW_RECRAWL=everything)';
    expect(Object.keys(summaries).sort()).toEqual(
      [...STACK_NAMES, `glue-crawler-raw ${variant}`, `streaming-ingestion ${variant}`].sort(),
    );
    // Without Snowflake settings the plan stands in example ones, so every stack, batch-ingestion
    // included, has resources to add.
    for (const [stack, summary] of Object.entries(summaries))
      expect(summary, stack).toMatch(/^Plan: \d+ to add, 0 to change, 0 to destroy\.$/);
  });

  it('refuses to initialise with a provider whose checksum the lock file does not record', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'insightflow-lock-'));
    try {
      const stackDir = path.join(root, 'stack');
      mkdirSync(stackDir);
      copyFileSync(PROVIDER_LOCK_FILE, path.join(stackDir, '.terraform.lock.hcl'));
      writeFileSync(
        path.join(stackDir, 'main.tf.json'),
        JSON.stringify({ terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: '5.100.0' } } } }),
      );
      const init = () =>
        promisify(execFile)(
          'terraform',
          ['init', '-input=false', '-no-color', '-lockfile=readonly', '-backend=false'],
          {
            cwd: stackDir,
            env: { ...process.env, TF_CLI_CONFIG_FILE: writeTerraformCliConfig(root), CHECKPOINT_DISABLE: '1' },
          },
        );
      await expect(init()).resolves.toBeDefined();
      const lock = path.join(stackDir, '.terraform.lock.hcl');
      writeFileSync(
        lock,
        readFileSync(lock, 'utf8').replace(/"h1:[^"]+"/, '"h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="'),
      );
      rmSync(path.join(stackDir, '.terraform'), { recursive: true, force: true });
      await expect(init()).rejects.toThrow(/checksum|does not match|doesn't match/i);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
