import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readStacksConfig } from '@insightflow/shared-config';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildApp } from '../app.js';
import { environmentSettings } from '../config.js';

const WORKFLOWS = path.resolve(import.meta.dirname, '../../.github/workflows');

interface Job {
  needs?: string[] | string;
  uses?: string;
  with?: { stack?: string };
}

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

/** The stacks and their dependencies as the synthesised manifest states them (bastion included). */
function manifestDependencies(): Record<string, string[]> {
  const app = buildApp(
    environmentSettings(readStacksConfig({ INSIGHTFLOW_BASTION: 'true' })),
    '/tmp/insightflow-workflow-manifest',
  );
  app.synth();
  const manifest = JSON.parse(readFileSync('/tmp/insightflow-workflow-manifest/manifest.json', 'utf8'))
    .stacks as Record<string, { dependencies: string[] }>;
  return Object.fromEntries(Object.entries(manifest).map(([name, s]) => [name, s.dependencies]));
}

const load = (file: string) => YAML.parse(readFileSync(path.join(WORKFLOWS, file), 'utf8'));

describe('GitHub Actions workflows', () => {
  const stacks = manifestDependencies();

  for (const file of ['deploy.yml', 'plan.yml']) {
    it(`${file} has a job per stack whose needs mirror the manifest's dependencies`, () => {
      expect(workflowViolations(load(file), stacks)).toEqual([]);
    });
  }

  it('fails when a stack is added without a job', () => {
    expect(workflowViolations(load('deploy.yml'), { ...stacks, 'new-stack': ['s3-buckets'] })).toEqual([
      'no job deploys stack new-stack',
    ]);
  });

  it('fails on a workflow whose job forgets a dependency', () => {
    const broken = load('deploy.yml');
    broken.jobs['data-sync-raw'].needs = ['changes', 's3-buckets', 'vpc'];
    expect(workflowViolations(broken, stacks)).toEqual(["job data-sync-raw does not need rds-postgresql's job"]);
  });

  it('assumes an AWS role by OIDC and holds no static keys', () => {
    const text = readFileSync(path.join(WORKFLOWS, 'stack.yml'), 'utf8');
    expect(text).toContain('aws-actions/configure-aws-credentials@v4');
    expect(text).toContain('role-to-assume:');
    expect(text).toMatch(/id-token: write/);
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
    expect(load('stack.yml').jobs.terraform.concurrency.group).toBe(
      'stack-${{ inputs.environment }}-${{ inputs.stack }}',
    );
  });
});
