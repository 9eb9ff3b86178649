/** What spans the stacks: the app as a whole, the policies every stack keeps, the zips and the offline plan. */
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { instacartCatalog } from '@insightflow/shared-config';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_STACK } from '../account.js';
import { STACK_NAMES } from '../app.js';
import { buildLambda } from '../build/buildLambda.js';
import { planStacks, writeTerraformCliConfig } from '../build/planStacks.js';
import { PROVIDER_LOCK_FILE } from '../insightflowStack.js';
import { PROD_ENV, type SynthesisedApp, synth } from './helpers/synth.js';
import { type Block, clone, resourcesOf, stackOf, tf } from './helpers/terraformJson.js';
import { POLICIES, type SynthStack } from './policies.js';

/** The catalog the stacks under test are synthesised with. */
const catalog = instacartCatalog();

describe('CDKTF app', () => {
  let dev: SynthesisedApp;
  let prod: SynthesisedApp;

  beforeAll(() => {
    dev = synth();
    prod = synth(PROD_ENV);
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

  it('leaves the Data Catalog encryption to the account stack: no environment stack declares it', () => {
    for (const app of [dev, prod]) {
      const declaring = app.stacks.filter(
        (s) => Object.keys(resourcesOf(s, 'aws_glue_data_catalog_encryption_settings')).length !== 0,
      );
      expect(declaring.map((s) => s.name)).toEqual([ACCOUNT_STACK]);
    }
  });

  it('ships the committed provider lock with every stack, pinning the provider the stacks require', () => {
    const lock = readFileSync(PROVIDER_LOCK_FILE, 'utf8');
    expect(lock).toMatch(/provider "registry\.terraform\.io\/hashicorp\/aws" \{\s+version\s+= "5\.100\.0"/);
    for (const [name, stack] of Object.entries(dev.manifest)) {
      const stackDir = path.dirname(path.join(dev.outdir, stack.synthesizedStackPath));
      expect(readFileSync(path.join(stackDir, '.terraform.lock.hcl'), 'utf8'), name).toBe(lock);
    }
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
