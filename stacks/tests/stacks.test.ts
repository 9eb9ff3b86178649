import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readStacksConfig } from '@insightflow/shared-config';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildLambda } from '../../scripts/build-lambda.js';
import { planStacks } from '../../scripts/plan-stacks.js';
import { buildApp, STACK_NAMES } from '../app.js';
import { environmentSettings } from '../config.js';
import { pipelineDefinition } from '../orchestration.js';
import { POLICIES, type SynthStack } from './policies.js';

function synth(env: Record<string, string> = {}): {
  stacks: SynthStack[];
  manifest: Record<string, { dependencies: string[] }>;
} {
  const outdir = mkdtempSync(path.join(tmpdir(), 'insightflow-synth-'));
  buildApp(environmentSettings(readStacksConfig(env)), outdir).synth();
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')).stacks as Record<
    string,
    { dependencies: string[]; synthesizedStackPath: string }
  >;
  const stacks = Object.entries(manifest).map(([name, s]) => ({
    name,
    json: JSON.parse(readFileSync(path.join(outdir, s.synthesizedStackPath), 'utf8')),
  }));
  return { stacks, manifest };
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));

describe('CDKTF app', () => {
  let dev: ReturnType<typeof synth>;
  let prod: ReturnType<typeof synth>;

  beforeAll(() => {
    dev = synth();
    prod = synth({ INSIGHTFLOW_ENV: 'prod', INSIGHTFLOW_BASTION: 'true' });
  });

  it('synthesises one stack per module, with the exact names', () => {
    expect(dev.stacks.map((s) => s.name).sort()).toEqual(STACK_NAMES.filter((n) => n !== 'bastion').sort());
    expect(prod.stacks.map((s) => s.name).sort()).toEqual([...STACK_NAMES].sort());
  });

  it('orders deployment through cross-stack references', () => {
    expect(dev.manifest['rds-postgresql']?.dependencies.sort()).toEqual(['s3-buckets', 'vpc']);
    expect(dev.manifest['data-sync-raw']?.dependencies.sort()).toEqual(['rds-postgresql', 's3-buckets', 'vpc']);
    expect(dev.manifest.orchestration?.dependencies).toEqual(
      expect.arrayContaining(['batch-ingestion', 'glue-crawler-raw', 'data-sync-raw']),
    );
  });

  it('names every resource after the project and environment', () => {
    const functions = prod.stacks.flatMap((s) =>
      Object.values(s.json.resource?.aws_lambda_function ?? {}).map((f) => f.function_name as string),
    );
    expect(functions.length).toBe(4);
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
    const definition = JSON.parse(pipelineDefinition({ ingest: 'i', sync: 's', crawlers: ['a', 'b'] }));
    expect(definition.StartAt).toBe('IngestTables');
    expect(definition.States.IngestTables.Type).toBe('Map');
    expect(definition.States.IngestTables.ItemSelector['runAt.$']).toBe('$$.Execution.StartTime');
    expect(definition.States.MoreToSync.Choices[0]).toMatchObject({ Variable: '$.sync.more', Next: 'Sync' });
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
      const documents = (broken[0] as SynthStack).json.data?.aws_iam_policy_document as Record<
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
      const other = await buildLambda(path.join(packages, 'batch-ingest'));
      const first = await buildLambda(probe);
      const again = await buildLambda(probe);
      expect(again.sha256).toBe(first.sha256);
      const core = path.join(probe, 'src', 'transformRecords.ts');
      writeFileSync(core, readFileSync(core, 'utf8').replace("'data is not JSON'", "'data is not valid JSON'"));
      const changed = await buildLambda(probe);
      expect(changed.sha256).not.toBe(first.sha256);
      expect((await buildLambda(path.join(packages, 'batch-ingest'))).sha256).toBe(other.sha256);
    } finally {
      rmSync(probe, { recursive: true, force: true });
    }
  });
});

describe('terraform (offline: provider mirror, dummy credentials, stub upstream state)', () => {
  it('initialises, validates and plans every stack in dependency order', async () => {
    const summaries = await planStacks({ log: () => undefined });
    expect(Object.keys(summaries).sort()).toEqual(STACK_NAMES.filter((n) => n !== 'bastion').sort());
    for (const [stack, summary] of Object.entries(summaries))
      expect(summary, stack).toMatch(/^Plan: \d+ to add, 0 to change, 0 to destroy\.$/);
  });
});
