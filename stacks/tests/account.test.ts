/**
 * The account stack and the IAM that deploys: what exists once per account and Region lives in
 * `account` alone, identical whichever environment is synthesised; the catalog key serves every
 * environment's catalog roles; each environment's apply role changes only its own resources and
 * makes roles only with its boundary; every role an environment stack makes carries that boundary.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_STACK, CATALOG_USER_ROLES } from '../account.js';
import { applyRoleName, boundaryPolicyName, ENVIRONMENTS, permissionsBoundaryArn } from '../deployAccess.js';
import { ACCOUNT_ID, DeployedApp } from './access/deployedApp.js';
import { type DeployedPolicies, decide, deployedPolicies } from './access/deployedPermissions.js';
import type { IamRequest } from './access/iamRequests.js';
import { EXAMPLE_SNOWFLAKE_ENV, type SynthesisedApp, synth } from './helpers/synth.js';
import type { SynthStack } from './policies.js';

type Block = Record<string, unknown>;
const FULL = { ...EXAMPLE_SNOWFLAKE_ENV, INSIGHTFLOW_BASTION: 'true' };
const REGION = 'us-east-1';

/** Resource types AWS holds once per account and Region (or per account): two declarations overwrite each other. */
export const ACCOUNT_SCOPED_TYPES = [
  'aws_glue_data_catalog_encryption_settings',
  'aws_glue_resource_policy',
  'aws_iam_openid_connect_provider',
  'aws_iam_account_password_policy',
  'aws_s3_account_public_access_block',
  'aws_ebs_encryption_by_default',
  'aws_ebs_default_kms_key',
  'aws_api_gateway_account',
  'aws_macie2_account',
  'aws_guardduty_detector',
];

/** The attribute that names a resource of each type in its account and Region (names AWS keeps unique). */
const NAME_ATTRIBUTES = ['name', 'bucket', 'function_name', 'identifier', 'alarm_name', 'dashboard_name'];
/** Types whose names are unique only within a parent (a table in its database, a stream in its log group). */
const PARENT_SCOPED = new Set(['aws_glue_catalog_table', 'aws_cloudwatch_log_stream']);

/** `type name-in-AWS` of every named resource of the stacks, and where each is declared. */
function declaredNames(stacks: SynthStack[], label: string): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const stack of stacks) {
    for (const [type, resources] of Object.entries(stack.json.resource ?? {})) {
      for (const [address, config] of Object.entries(resources)) {
        // A name is the resource's own literal; a reference (`${…}`) names another resource.
        const attribute = NAME_ATTRIBUTES.find(
          (a) => typeof config[a] === 'string' && !String(config[a]).includes('${'),
        );
        const id = ACCOUNT_SCOPED_TYPES.includes(type)
          ? `${type} (one per account)`
          : attribute && !PARENT_SCOPED.has(type) && `${type} ${config[attribute]}`;
        if (!id) continue;
        names.set(id, [...(names.get(id) ?? []), `${label}/${stack.name}.${address}`]);
      }
    }
  }
  return names;
}

/** The declarations of dev and prod side by side, the account stack once (it is one deployment). */
function sideBySide(dev: SynthesisedApp, prod: SynthesisedApp): Map<string, string[]> {
  const merged = declaredNames(dev.stacks, 'dev');
  const prodStacks = prod.stacks.filter((s) => s.name !== ACCOUNT_STACK);
  for (const [id, where] of declaredNames(prodStacks, 'prod')) merged.set(id, [...(merged.get(id) ?? []), ...where]);
  return merged;
}

/** Creates IAM authorises on no resource. */
const WILDCARD_CREATES = new Set(['glue:CreateCrawler']);

const stackOf = (app: SynthesisedApp, name: string) => app.stacks.find((s) => s.name === name) as SynthStack;

describe('account stack: what exists once per account and Region', () => {
  let dev: SynthesisedApp;
  let prod: SynthesisedApp;

  beforeAll(() => {
    dev = synth(FULL);
    prod = synth({ ...FULL, INSIGHTFLOW_ENV: 'prod' });
  });

  it('synthesises identically for dev and prod, its state under insightflow/account/, tagged with no environment', () => {
    expect(stackOf(prod, ACCOUNT_STACK).json).toEqual(stackOf(dev, ACCOUNT_STACK).json);
    const withBucket = synth({ ...FULL, TF_STATE_BUCKET: 'acme-state' });
    const backend = (withBucket.stacks.find((s) => s.name === ACCOUNT_STACK)?.json.terraform as Block).backend as Block;
    expect((backend.s3 as Block).key).toBe('insightflow/account/account.tfstate');
    const tags = (
      stackOf(dev, ACCOUNT_STACK).json as unknown as { provider: { aws: { default_tags: { tags: Block }[] }[] } }
    ).provider.aws[0]?.default_tags[0]?.tags;
    expect(tags).toEqual({ project: 'insightflow', environment: 'account', stack: 'account' });
  });

  it('dev and prod side by side declare no account-scoped resource twice, and no name twice', () => {
    const twice = [...sideBySide(dev, prod)].filter(([, where]) => where.length > 1);
    expect(twice).toEqual([]);
    const scoped = [...sideBySide(dev, prod)].filter(([id]) => id.endsWith('(one per account)'));
    expect(scoped.map(([id, where]) => [id, where.map((w) => w.split('.')[0])]).sort()).toEqual([
      ['aws_ebs_encryption_by_default (one per account)', ['dev/account']],
      ['aws_glue_data_catalog_encryption_settings (one per account)', ['dev/account']],
      ['aws_iam_openid_connect_provider (one per account)', ['dev/account']],
      ['aws_s3_account_public_access_block (one per account)', ['dev/account']],
    ]);
  });

  it('fails on a copy where an environment stack declares the catalog encryption again (the finding)', () => {
    const broken = structuredClone(prod);
    const glue = stackOf(broken, 'glue-crawler-raw').json.resource as Record<string, Record<string, Block>>;
    glue.aws_glue_data_catalog_encryption_settings = { 'catalog-encryption': {} };
    expect([...sideBySide(dev, broken)].filter(([, where]) => where.length > 1)).toEqual([
      [
        'aws_glue_data_catalog_encryption_settings (one per account)',
        ['dev/account.catalog-encryption', 'prod/glue-crawler-raw.catalog-encryption'],
      ],
    ]);
  });

  describe('the catalog key serves every environment through Glue', () => {
    let devApp: DeployedApp;
    let prodApp: DeployedApp;
    let devPolicies: DeployedPolicies;
    let prodPolicies: DeployedPolicies;
    let catalogKey: string;

    beforeAll(() => {
      devApp = new DeployedApp(dev.stacks);
      prodApp = new DeployedApp(prod.stacks);
      devPolicies = deployedPolicies(devApp);
      prodPolicies = deployedPolicies(prodApp);
      const account = stackOf(dev, ACCOUNT_STACK);
      catalogKey = devApp.attribute(account, 'aws_kms_key', 'catalog-key', 'arn') as string;
    });

    const useThroughGlue = (principal: string, action = 'kms:Encrypt'): IamRequest => ({
      principal,
      action,
      resource: catalogKey,
      context: { 'kms:ViaService': `glue.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT_ID },
      because: 'the encrypted Data Catalog',
    });
    const role = (name: string) => `arn:aws:iam::${ACCOUNT_ID}:role/${name}`;

    it("lets dev's and prod's crawler and clean-layer roles encrypt and decrypt the catalog, and the encryption settings name it", async () => {
      for (const env of ENVIRONMENTS) {
        const policies = env === 'dev' ? devPolicies : prodPolicies;
        for (const user of CATALOG_USER_ROLES) {
          for (const action of ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'])
            expect((await decide(useThroughGlue(role(`insightflow-${env}-${user}`), action), policies)).allowed).toBe(
              true,
            );
        }
      }
      const settings = Object.values(
        stackOf(dev, ACCOUNT_STACK).json.resource?.aws_glue_data_catalog_encryption_settings ?? {},
      );
      expect(JSON.stringify(settings)).toContain('aws_kms_key.catalog-key.arn');
    });

    it('refuses the catalog key to other roles of the environments, and to its users outside Glue', async () => {
      expect((await decide(useThroughGlue(role('insightflow-dev-s3-to-rds-sync')), devPolicies)).allowed).toBe(false);
      const direct = { ...useThroughGlue(role('insightflow-prod-clean-layer')), context: {} };
      expect((await decide(direct, prodPolicies)).allowed).toBe(false);
    });
  });
});

describe('deploying: one apply role per environment, every role under its boundary', () => {
  let dev: SynthesisedApp;
  let prod: SynthesisedApp;
  let kinesis: SynthesisedApp;
  let policies: DeployedPolicies;

  beforeAll(() => {
    dev = synth(FULL);
    prod = synth({ ...FULL, INSIGHTFLOW_ENV: 'prod' });
    kinesis = synth({ ...FULL, INSIGHTFLOW_STREAM_SOURCE: 'kinesis' });
    policies = deployedPolicies(new DeployedApp(dev.stacks));
  });

  it('gives every role an environment stack creates its environment’s permissions boundary', () => {
    for (const [env, app] of [
      ['dev', dev],
      ['prod', prod],
      ['dev', kinesis],
    ] as const) {
      const roles = app.stacks
        .filter((s) => s.name !== ACCOUNT_STACK)
        .flatMap((s) => Object.values(s.json.resource?.aws_iam_role ?? {}));
      expect(roles.length).toBeGreaterThan(10);
      for (const r of roles)
        expect(String(r.permissions_boundary), String(r.name)).toMatch(
          new RegExp(`^arn:aws:iam::.*:policy/${boundaryPolicyName(env)}$`),
        );
    }
    // Nothing attaches a managed policy to an environment's role: every permission is written out.
    for (const app of [dev, prod])
      for (const stack of app.stacks.filter((s) => s.name !== ACCOUNT_STACK))
        expect(Object.keys(stack.json.resource?.aws_iam_role_policy_attachment ?? {}), stack.name).toEqual([]);
  });

  const applyRole = (env: string) => `arn:aws:iam::${ACCOUNT_ID}:role/${applyRoleName(env as 'dev')}`;
  const asApply = (env: string, action: string, resource: string, context: Record<string, string> = {}) =>
    decide({ principal: applyRole(env), action, resource, context, because: `${env} apply` }, policies);
  const iam = (resource: string) => `arn:aws:iam::${ACCOUNT_ID}:${resource}`;

  it('lets an apply role create its environment’s roles only with its boundary, and no other environment’s', async () => {
    const boundary = (env: 'dev' | 'prod') => ({ 'iam:PermissionsBoundary': permissionsBoundaryArn(ACCOUNT_ID, env) });
    expect((await asApply('dev', 'iam:CreateRole', iam('role/insightflow-dev-x'), boundary('dev'))).allowed).toBe(true);
    expect((await asApply('dev', 'iam:CreateRole', iam('role/insightflow-dev-x'))).allowed).toBe(false);
    expect((await asApply('dev', 'iam:CreateRole', iam('role/insightflow-dev-x'), boundary('prod'))).allowed).toBe(
      false,
    );
    expect((await asApply('dev', 'iam:CreateRole', iam('role/insightflow-prod-x'), boundary('dev'))).allowed).toBe(
      false,
    );
    expect((await asApply('prod', 'iam:CreateRole', iam('role/insightflow-prod-x'), boundary('prod'))).allowed).toBe(
      true,
    );
    // A role's policy changes only while the role carries the boundary.
    expect((await asApply('dev', 'iam:PutRolePolicy', iam('role/insightflow-dev-x'), boundary('dev'))).allowed).toBe(
      true,
    );
    expect((await asApply('dev', 'iam:PutRolePolicy', iam('role/insightflow-dev-x'))).allowed).toBe(false);
  });

  it('never lets an apply role change a boundary, remove one, attach a managed policy or touch the deploy roles', async () => {
    for (const env of ENVIRONMENTS) {
      for (const action of ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy'])
        for (const target of ENVIRONMENTS)
          expect((await asApply(env, action, iam(`policy/${boundaryPolicyName(target)}`))).allowed).toBe(false);
      expect((await asApply(env, 'iam:DeleteRolePermissionsBoundary', iam(`role/insightflow-${env}-x`))).allowed).toBe(
        false,
      );
      expect((await asApply(env, 'iam:AttachRolePolicy', iam(`role/insightflow-${env}-x`))).allowed).toBe(false);
      for (const target of [applyRoleName('dev'), applyRoleName('prod'), 'insightflow-plan'])
        expect((await asApply(env, 'iam:PutRolePolicy', iam(`role/${target}`))).allowed).toBe(false);
      expect(
        (await asApply(env, 'glue:PutDataCatalogEncryptionSettings', `arn:aws:glue:${REGION}:${ACCOUNT_ID}:catalog`))
          .allowed,
      ).toBe(false);
    }
  });

  /** A create of each named resource the stacks of `env` declare, as the apply role would send it. */
  function creates(app: DeployedApp, env: string): IamRequest[] {
    const creating: Record<string, string> = {
      aws_s3_bucket: 's3:CreateBucket',
      aws_lambda_function: 'lambda:CreateFunction',
      aws_cloudwatch_log_group: 'logs:CreateLogGroup',
      aws_secretsmanager_secret: 'secretsmanager:CreateSecret',
      aws_kinesis_firehose_delivery_stream: 'firehose:CreateDeliveryStream',
      aws_kinesis_stream: 'kinesis:CreateStream',
      aws_sfn_state_machine: 'states:CreateStateMachine',
      aws_glue_crawler: 'glue:CreateCrawler',
      aws_glue_catalog_database: 'glue:CreateDatabase',
      aws_glue_catalog_table: 'glue:CreateTable',
      aws_athena_workgroup: 'athena:CreateWorkGroup',
      aws_sns_topic: 'sns:CreateTopic',
      aws_sqs_queue: 'sqs:CreateQueue',
      aws_cloudwatch_event_rule: 'events:PutRule',
      aws_db_instance: 'rds:CreateDBInstance',
      aws_cloudwatch_metric_alarm: 'cloudwatch:PutMetricAlarm',
    };
    return app.stacks
      .filter((s) => s.name !== ACCOUNT_STACK)
      .flatMap((stack) =>
        Object.entries(creating).flatMap(([type, action]) =>
          Object.keys(stack.json.resource?.[type] ?? {}).map(
            (name): IamRequest => ({
              principal: '',
              action,
              // An action IAM authorises on no resource: the new resource's tags (the provider's default tags) decide.
              ...(WILDCARD_CREATES.has(action)
                ? { resource: '*', context: { 'aws:RequestTag/environment': env } }
                : {
                    resource: app.attribute(stack, type, name, 'arn') as string,
                    context: {} as Record<string, string>,
                  }),
              because: `${stack.name}: ${type}.${name}`,
            }),
          ),
        ),
      );
  }

  it('lets the dev apply role create every named resource of the dev stacks, and the prod apply role none of them', async () => {
    const requests = creates(new DeployedApp(kinesis.stacks), 'dev');
    expect(new Set(requests.map((r) => r.action)).size).toBeGreaterThan(14);
    const refused: string[] = [];
    const crossed: string[] = [];
    for (const request of requests) {
      if (!(await decide({ ...request, principal: applyRole('dev') }, policies)).allowed)
        refused.push(`${request.action} ${request.resource}`);
      if ((await decide({ ...request, principal: applyRole('prod') }, policies)).allowed)
        crossed.push(`${request.action} ${request.resource}`);
    }
    expect(refused).toEqual([]);
    expect(crossed).toEqual([]);
  });

  it("lets each apply role create only its own environment's tagged keys and network, and write only its own state", async () => {
    const tagged = (env: string) => ({ 'aws:RequestTag/environment': env });
    expect((await asApply('dev', 'kms:CreateKey', '*', tagged('dev'))).allowed).toBe(true);
    expect((await asApply('dev', 'kms:CreateKey', '*', tagged('prod'))).allowed).toBe(false);
    const vpc = `arn:aws:ec2:${REGION}:${ACCOUNT_ID}:vpc/vpc-0fedcba9876543210`;
    expect((await asApply('dev', 'ec2:CreateVpc', vpc, tagged('dev'))).allowed).toBe(true);
    expect((await asApply('prod', 'ec2:CreateVpc', vpc, tagged('dev'))).allowed).toBe(false);
    // A subnet is the environment's only inside a VPC that already is.
    const subnet = `arn:aws:ec2:${REGION}:${ACCOUNT_ID}:subnet/subnet-0fedcba9876543210`;
    const prodVpc = `arn:aws:ec2:${REGION}:${ACCOUNT_ID}:vpc/vpc-0123456789abcdef0`;
    expect((await asApply('dev', 'ec2:CreateSubnet', subnet, tagged('dev'))).allowed).toBe(true);
    expect(
      (await asApply('dev', 'ec2:CreateSubnet', prodVpc, { ...tagged('dev'), 'aws:ResourceTag/environment': 'prod' }))
        .allowed,
    ).toBe(false);
    const prodKey = `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/0123`;
    expect(
      (await asApply('dev', 'kms:ScheduleKeyDeletion', prodKey, { 'aws:ResourceTag/environment': 'prod' })).allowed,
    ).toBe(false);
    const state = (env: string) => `arn:aws:s3:::insightflow-terraform-state-example/insightflow/${env}/vpc.tfstate`;
    expect((await asApply('dev', 's3:PutObject', state('dev'))).allowed).toBe(true);
    expect((await asApply('dev', 's3:PutObject', state('prod'))).allowed).toBe(false);
    expect((await asApply('dev', 's3:PutObject', state('account'))).allowed).toBe(false);
  });

  it('keeps every managed policy of the account stack under IAM’s 6,144 characters', () => {
    const account = new DeployedApp(dev.stacks);
    const stack = stackOf(dev, ACCOUNT_STACK);
    const sizes = Object.entries(stack.json.resource?.aws_iam_policy ?? {}).map(([name, config]) => [
      name,
      String(account.value(stack, config.policy)).replace(/\s/g, '').length,
    ]);
    expect(sizes.length).toBe(2 * 5);
    for (const [name, size] of sizes) expect(size, String(name)).toBeLessThan(6144);
  });
});
