import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { instacartCatalog, readStacksConfig } from '@insightflow/shared-config';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ACCOUNT_STACK } from '../account.js';
import { buildApp } from '../app.js';
import { EXAMPLE_CI, EXAMPLE_SNOWFLAKE_ENV, environmentSettings } from '../config.js';
import { applyRoleName, PLAN_ROLE_NAME } from '../deployAccess.js';

const WORKFLOWS = path.resolve(import.meta.dirname, '../../.github/workflows');

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}

interface Job {
  needs?: string[] | string;
  uses?: string;
  if?: string;
  environment?: string;
  with?: { stack?: string; apply?: boolean };
  steps?: Step[];
}

interface Workflow {
  jobs: Record<string, Job>;
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
const PLAN_ROLE = '${{ vars.AWS_PLAN_ROLE_ARN }}';
// biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
const APPLY_ROLE = '${{ vars.AWS_APPLY_ROLE_ARN }}';

/** Every stack has a job deploying it through stack.yml, needing exactly its dependencies' jobs. */
export function workflowViolations(
  workflow: { jobs: Record<string, Job> },
  stacks: Record<string, string[]>,
): string[] {
  const violations: string[] = [];
  const jobsByStack = new Map(
    Object.entries(workflow.jobs)
      .filter(([, job]) => job.uses === './.github/workflows/stack.yml')
      .map(([id, job]) => [job.with?.stack ?? '', { id, job }]),
  );
  for (const [stack, dependencies] of Object.entries(stacks)) {
    const entry = jobsByStack.get(stack);
    if (!entry) {
      violations.push(`no job deploys stack ${stack}`);
      continue;
    }
    const needs = new Set([entry.job.needs ?? []].flat());
    for (const dependency of dependencies) {
      const upstream = jobsByStack.get(dependency)?.id;
      if (!upstream || !needs.has(upstream)) violations.push(`job ${entry.id} does not need ${dependency}'s job`);
    }
    for (const need of needs) {
      const stackOfNeed = workflow.jobs[need]?.with?.stack;
      if (stackOfNeed && !dependencies.includes(stackOfNeed))
        violations.push(`job ${entry.id} needs ${need}, not a dependency`);
    }
  }
  for (const stack of jobsByStack.keys()) if (!(stack in stacks)) violations.push(`job for unknown stack ${stack}`);
  return violations;
}

/** Every stack upstream of `stack`: its dependencies, theirs, and so on. */
function upstreamStacks(stack: string, stacks: Record<string, string[]>, seen = new Set<string>()): Set<string> {
  for (const dependency of stacks[stack] ?? []) {
    if (seen.has(dependency)) continue;
    seen.add(dependency);
    upstreamStacks(dependency, stacks, seen);
  }
  return seen;
}

/** `s3-buckets` → `stacks/s3Buckets.ts`: the file each stack is defined in. */
const stackSourceFile = (stack: string) =>
  `stacks/${stack.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())}.ts`;

/**
 * Every stack has a path filter holding its own stack file and every path of every upstream
 * stack's filter (transitively), so a change upstream re-plans and redeploys what reads it.
 */
export function pathFilterViolations(filters: Record<string, string[]>, stacks: Record<string, string[]>): string[] {
  const violations: string[] = [];
  for (const stack of Object.keys(stacks)) {
    const own = filters[stack];
    if (!own) {
      violations.push(`no path filter for stack ${stack}`);
      continue;
    }
    if (!own.includes(stackSourceFile(stack))) violations.push(`filter ${stack} misses ${stackSourceFile(stack)}`);
    for (const upstream of upstreamStacks(stack, stacks)) {
      for (const file of filters[upstream] ?? []) {
        if (!own.includes(file)) violations.push(`filter ${stack} misses ${file} of upstream stack ${upstream}`);
      }
    }
  }
  return violations;
}

const REPOSITORY = path.resolve(import.meta.dirname, '../..');

/** Workspace package directories by npm name, with their workspace dependencies. */
function workspacePackages(): Map<string, { dir: string; dependencies: string[] }> {
  const packages = new Map<string, { dir: string; dependencies: string[] }>();
  for (const dir of readdirSync(path.join(REPOSITORY, 'packages'))) {
    const manifestPath = path.join(REPOSITORY, 'packages', dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    packages.set(manifest.name, { dir, dependencies: Object.keys(manifest.dependencies ?? {}) });
  }
  return packages;
}

/**
 * The `packages/<dir>/**` paths a stack's Lambdas are built from: every `packageName: '…'` in the
 * stack's file and in the constructs it imports (`./constructs/<name>.js`), and the workspace
 * packages those depend on, transitively.
 */
function lambdaSourcePaths(stack: string): string[] {
  const packages = workspacePackages();
  const file = path.join(REPOSITORY, stackSourceFile(stack));
  const stackSource = readFileSync(file, 'utf8');
  const constructs = [...stackSource.matchAll(/from '\.\/constructs\/([A-Za-z0-9]+)\.js'/g)].map((m) =>
    readFileSync(path.join(path.dirname(file), 'constructs', `${m[1]}.ts`), 'utf8'),
  );
  const source = [stackSource, ...constructs].join('\n');
  const pending = [...source.matchAll(/packageName: '([a-z0-9-]+)'/g)].map((m) => `@insightflow/${m[1]}`);
  const dirs = new Set<string>();
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    const pkg = packages.get(name);
    if (!pkg || dirs.has(pkg.dir)) continue;
    dirs.add(pkg.dir);
    pending.push(...pkg.dependencies);
  }
  return [...dirs].sort().map((dir) => `packages/${dir}/**`);
}

/** Every stack's filter holds the code of the Lambdas it deploys, so a code change alone redeploys. */
export function lambdaFilterViolations(filters: Record<string, string[]>, stacks: Record<string, string[]>): string[] {
  return Object.keys(stacks).flatMap((stack) =>
    lambdaSourcePaths(stack)
      .filter((file) => !(filters[stack] ?? []).includes(file))
      .map((file) => `filter ${stack} misses its Lambda code ${file}`),
  );
}

/** The `changes` job's paths-filter filters, aliases resolved and nested lists flattened (as paths-filter does). */
function pathFilters(workflow: { jobs: Record<string, { steps?: Step[] }> }): Record<string, string[]> {
  const step = workflow.jobs.changes?.steps?.find((s) => s.uses?.startsWith('dorny/paths-filter@'));
  const parsed = YAML.parse(String(step?.with?.filters ?? '{}'), { maxAliasCount: -1 }) as Record<string, unknown[]>;
  return Object.fromEntries(Object.entries(parsed).map(([name, paths]) => [name, paths.flat(Infinity).map(String)]));
}

/** The roles a job assumes through aws-actions/configure-aws-credentials. */
const rolesOf = (job: Job) =>
  (job.steps ?? [])
    .filter((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'))
    .map((step) => String(step.with?.['role-to-assume']));

/**
 * stack.yml: the apply role only in a job that runs in a GitHub environment (whose OIDC `sub` the
 * apply role trusts) and only when the caller asked to apply; every other job assumes the plan role.
 */
export function stackRoleViolations(stackWorkflow: Workflow): string[] {
  const violations: string[] = [];
  for (const [id, job] of Object.entries(stackWorkflow.jobs)) {
    for (const role of rolesOf(job)) {
      if (role === APPLY_ROLE) {
        if (!job.environment) violations.push(`job ${id} assumes the apply role outside an environment`);
        if (!job.if?.includes('inputs.apply')) violations.push(`job ${id} assumes the apply role without inputs.apply`);
      } else if (role === PLAN_ROLE) {
        if (job.environment) violations.push(`job ${id} assumes the plan role inside an environment`);
      } else {
        violations.push(`job ${id} assumes an unknown role ${role}`);
      }
    }
  }
  return violations;
}

/**
 * plan.yml (pull requests, any branch) can only plan: no job in an environment, no stack call
 * with apply, no mention of the apply role, no role but the plan role.
 */
export function planWorkflowViolations(planWorkflow: Workflow, text: string): string[] {
  const violations: string[] = [];
  if (text.includes('AWS_APPLY_ROLE_ARN')) violations.push('plan.yml names the apply role');
  for (const [id, job] of Object.entries(planWorkflow.jobs)) {
    if (job.environment) violations.push(`job ${id} runs in environment ${job.environment}`);
    if (job.uses === './.github/workflows/stack.yml' && job.with?.apply !== false)
      violations.push(`job ${id} calls stack.yml with apply ${job.with?.apply}`);
    for (const role of rolesOf(job)) if (role !== PLAN_ROLE) violations.push(`job ${id} assumes ${role}`);
  }
  return violations;
}

/** The OIDC subjects the trust policy of the account stack's role `role` admits. */
function trustedSubjects(
  accountStack: {
    resource?: Record<string, Record<string, Record<string, unknown>>>;
    data?: Record<string, Record<string, Record<string, unknown>>>;
  },
  role: string,
): string[] {
  const declared = Object.values(accountStack.resource?.aws_iam_role ?? {}).find((r) => r.name === role);
  const document = String(declared?.assume_role_policy ?? '').replace(
    /^\$\{data\.aws_iam_policy_document\.(.+)\.json\}$/,
    '$1',
  );
  const statements = (accountStack.data?.aws_iam_policy_document?.[document]?.statement ?? []) as {
    condition: { variable: string; values: string[] }[];
  }[];
  return statements.flatMap((s) =>
    s.condition.filter((c) => c.variable === 'token.actions.githubusercontent.com:sub').flatMap((c) => c.values),
  );
}

/** A full deployment's settings (example values, valid in form): every stack and every edge exists. */
const FULL_DEPLOYMENT_ENV = { INSIGHTFLOW_BASTION: 'true', ...EXAMPLE_SNOWFLAKE_ENV };

/**
 * The stacks and their dependencies as the synthesised manifest states them, for a full
 * deployment (bastion and Snowflake on), the most any workflow run deploys.
 */
function manifestDependencies(): Record<string, string[]> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'insightflow-workflow-manifest-'));
  const catalog = instacartCatalog();
  const settings = environmentSettings(catalog, readStacksConfig(FULL_DEPLOYMENT_ENV), () => undefined);
  buildApp({ ...settings, account: { ...settings.account, ci: EXAMPLE_CI } }, catalog, outdir).synth();
  accountStackJson = JSON.parse(readFileSync(path.join(outdir, 'stacks', ACCOUNT_STACK, 'cdk.tf.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')).stacks as Record<
    string,
    { dependencies: string[] }
  >;
  return Object.fromEntries(Object.entries(manifest).map(([name, s]) => [name, s.dependencies]));
}

/** The account stack as the manifest's synth wrote it (CI roles for EXAMPLE_CI.repository). */
let accountStackJson: Parameters<typeof trustedSubjects>[0] = {};

const read = (file: string) => readFileSync(path.join(WORKFLOWS, file), 'utf8');
const load = (file: string) => YAML.parse(read(file));

describe('GitHub Actions workflows', () => {
  const stacks = manifestDependencies();

  // The account stack is an administrator's to apply (no apply role may): deploy.yml leaves it out.
  const environmentStacks = Object.fromEntries(Object.entries(stacks).filter(([name]) => name !== ACCOUNT_STACK));

  it("plan.yml has a job per stack whose needs mirror the manifest's dependencies, the account stack's included", () => {
    expect(Object.keys(stacks)).toContain(ACCOUNT_STACK);
    expect(workflowViolations(load('plan.yml'), stacks)).toEqual([]);
  });

  it("deploy.yml has a job per environment stack whose needs mirror the manifest's dependencies, and none for the account stack", () => {
    expect(workflowViolations(load('deploy.yml'), environmentStacks)).toEqual([]);
    expect(workflowViolations(load('deploy.yml'), stacks)).toEqual([`no job deploys stack ${ACCOUNT_STACK}`]);
  });

  it('lets a dispatched deploy set INSIGHTFLOW_RECRAWL for that run, and the plan job reads it', () => {
    const deploy = load('deploy.yml');
    expect(deploy.on.workflow_dispatch.inputs.recrawl.options).toEqual(['new-folders', 'everything']);
    expect(deploy.jobs['glue-crawler-raw'].with.recrawl).toContain('inputs.recrawl');
    expect(load('stack.yml').jobs.plan.env.INSIGHTFLOW_RECRAWL).toMatch(
      /inputs\.recrawl \|\| vars\.INSIGHTFLOW_RECRAWL/,
    );
  });

  it('fails when a stack is added without a job', () => {
    expect(workflowViolations(load('deploy.yml'), { ...environmentStacks, 'new-stack': ['s3-buckets'] })).toEqual([
      'no job deploys stack new-stack',
    ]);
  });

  it('fails on a workflow whose job forgets a dependency', () => {
    const broken = load('deploy.yml');
    broken.jobs['data-sync-raw'].needs = ['changes', 's3-buckets', 'vpc'];
    expect(workflowViolations(broken, environmentStacks)).toEqual([
      "job data-sync-raw does not need rds-postgresql's job",
    ]);
  });

  it('assumes AWS roles by OIDC and holds no static keys', () => {
    const text = read('stack.yml');
    expect(text).toContain('aws-actions/configure-aws-credentials@v4');
    expect(text).toContain('role-to-assume:');
    expect(read('plan.yml')).toMatch(/id-token: write/);
    expect(read('deploy.yml')).toMatch(/id-token: write/);
    for (const file of ['stack.yml', 'plan.yml', 'deploy.yml'])
      expect(read(file)).not.toMatch(
        /aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|AWS_DEPLOY_ROLE_ARN/,
      );
    expect(load('stack.yml').jobs.apply.concurrency.group).toBe(
      ['stack-', '${{ inputs.environment }}', '-', '${{ inputs.stack }}'].join(''),
    );
  });

  for (const file of ['deploy.yml', 'plan.yml']) {
    it(`${file}'s path filters hold every upstream stack's files`, () => {
      expect(pathFilterViolations(pathFilters(load(file)), stacks)).toEqual([]);
    });
  }

  for (const file of ['deploy.yml', 'plan.yml']) {
    it(`${file}'s path filters hold the code of every Lambda a stack deploys`, () => {
      expect(lambdaFilterViolations(pathFilters(load(file)), stacks)).toEqual([]);
    });
  }

  it('fails when a filter forgets the code of a Lambda its stack deploys', () => {
    const filters = pathFilters(load('deploy.yml'));
    filters['streaming-ingestion'] = (filters['streaming-ingestion'] ?? []).filter(
      (file) => file !== 'packages/stream-transformer/**',
    );
    expect(lambdaFilterViolations(filters, stacks)).toEqual([
      'filter streaming-ingestion misses its Lambda code packages/stream-transformer/**',
    ]);
  });

  it('plan.yml and deploy.yml filter the same paths', () => {
    expect(pathFilters(load('plan.yml'))).toEqual(pathFilters(load('deploy.yml')));
  });

  it("fails when a downstream filter forgets an upstream stack's file", () => {
    const filters = pathFilters(load('deploy.yml'));
    filters.orchestration = (filters.orchestration ?? []).filter((file) => file !== 'stacks/rdsPostgresql.ts');
    expect(pathFilterViolations(filters, stacks)).toEqual([
      // rds-postgresql is upstream of orchestration only through data-sync-raw.
      'filter orchestration misses stacks/rdsPostgresql.ts of upstream stack data-sync-raw',
      'filter orchestration misses stacks/rdsPostgresql.ts of upstream stack rds-postgresql',
    ]);
  });

  it('assumes the apply role only in environment jobs, and the plan role everywhere else', () => {
    expect(stackRoleViolations(load('stack.yml'))).toEqual([]);
    expect(rolesOf(load('stack.yml').jobs.plan)).toEqual([PLAN_ROLE]);
    expect(rolesOf(load('stack.yml').jobs.apply)).toEqual([APPLY_ROLE]);
  });

  it('fails when the apply role is assumed outside an environment job', () => {
    const broken = load('stack.yml');
    delete broken.jobs.apply.environment;
    broken.jobs.plan.steps.find((s: Step) => s.uses?.startsWith('aws-actions/')).with['role-to-assume'] = APPLY_ROLE;
    expect(stackRoleViolations(broken)).toEqual([
      'job plan assumes the apply role outside an environment',
      'job plan assumes the apply role without inputs.apply',
      'job apply assumes the apply role outside an environment',
    ]);
  });

  it('plan.yml can only plan: it cannot reach the apply role', () => {
    expect(planWorkflowViolations(load('plan.yml'), read('plan.yml'))).toEqual([]);
  });

  it('fails when the plan workflow could assume the apply role', () => {
    const broken = load('plan.yml');
    broken.jobs.vpc.with.apply = true;
    broken.jobs.vpc.environment = 'dev';
    expect(planWorkflowViolations(broken, `${read('plan.yml')}\n# AWS_APPLY_ROLE_ARN`)).toEqual([
      'plan.yml names the apply role',
      'job vpc runs in environment dev',
      'job vpc calls stack.yml with apply true',
    ]);
  });

  it("the account stack's trust policies admit pull requests and main to the plan role, and each environment's jobs only to its own apply role", () => {
    const plan = trustedSubjects(accountStackJson, PLAN_ROLE_NAME);
    expect(plan.sort()).toEqual([
      `repo:${EXAMPLE_CI.repository}:pull_request`,
      `repo:${EXAMPLE_CI.repository}:ref:refs/heads/main`,
    ]);
    expect(trustedSubjects(accountStackJson, applyRoleName('dev'))).toEqual([
      `repo:${EXAMPLE_CI.repository}:environment:dev`,
    ]);
    expect(trustedSubjects(accountStackJson, applyRoleName('prod'))).toEqual([
      `repo:${EXAMPLE_CI.repository}:environment:prod`,
    ]);
  });
});
