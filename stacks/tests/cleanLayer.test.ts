import { instacartCatalog, sqlType, type TableSpec } from '@insightflow/shared-config';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_BYTES_SCANNED_CUTOFF,
  PARQUET_STORAGE,
  PROVENANCE_COLUMNS,
  partitionColumns,
  projectionParameters,
} from '../cleanLayer.js';
import { pipelineDefinition } from '../constructs/pipelineStateMachine.js';
import { ATHENA_RESULTS_RETENTION_DAYS } from '../s3Buckets.js';
import { PROD_ENV, type SynthesisedApp, synth } from './helpers/synth.js';
import { type Block, documentNamed, resourcesOf, stackOf, statementsOf, tf } from './helpers/terraformJson.js';

/** The catalog the stacks under test are synthesised with. */
const catalog = instacartCatalog();

describe('clean-layer: the clean tables, their workgroup and the function that builds them', () => {
  let prod: SynthesisedApp;

  beforeAll(() => {
    prod = synth(PROD_ENV);
  });

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
    const invoke = statementsOf(documentNamed(stackOf(prod.stacks, 'orchestration'), 'machine-role_policy')).find((s) =>
      (s.actions as string[]).includes('lambda:InvokeFunction'),
    );
    expect(JSON.stringify(invoke?.resources)).toContain('cross-stack-reference-input-clean-layer');
  });
});
