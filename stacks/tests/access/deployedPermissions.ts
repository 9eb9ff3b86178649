/**
 * The policies of the deployed app, as IAM evaluates them: each role's identity policies and
 * permissions boundary, each resource's own policy (bucket, KMS key, Lambda function, SNS topic,
 * SQS queue, role trust), the VPC endpoint policies a function in the VPC reaches S3 and Secrets
 * Manager through, and the decision of a maintained IAM evaluator (@cloud-copilot/iam-simulate)
 * on a request.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT_ID, type DeployedApp } from './deployedApp.js';
import type { IamRequest } from './iamRequests.js';

type Policy = { Version: string; Statement: Record<string, unknown>[] };

/** A policy the evaluator sees, named so a broken copy can drop one statement of it. */
export interface NamedPolicy {
  name: string;
  policy: Policy;
}

/** Every policy of the deployment. */
export interface DeployedPolicies {
  /** Role ARN → its identity policies (inline and customer-managed). */
  identity: Map<string, NamedPolicy[]>;
  /** Role ARN → its permissions boundary. */
  boundary: Map<string, NamedPolicy>;
  /** Resource ARN (bucket, key, function, topic, queue) → its resource policy. */
  resource: Map<string, Policy>;
  /** Role ARN of a function in the VPC → the endpoint policy per service it reaches through the VPC (`s3`, `secretsmanager`). */
  endpoints: Map<string, Map<string, NamedPolicy>>;
  /** Key ARN → its aliases: what KMS evaluates `kms:ResourceAliases` against. */
  keyAliases: Map<string, string[]>;
}

const parse = (value: unknown): Policy => (typeof value === 'string' ? JSON.parse(value) : (value as Policy));

/** Collects the policies from the resolved app. */
export function deployedPolicies(app: DeployedApp): DeployedPolicies {
  const identity = new Map<string, NamedPolicy[]>();
  const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT_ID}:role/${name}`;
  const add = (role: string, policy: NamedPolicy) => identity.set(role, [...(identity.get(role) ?? []), policy]);
  for (const { stack, name, config } of app.resources('aws_iam_role_policy')) {
    const resolved = app.value(stack, config) as { role: string; policy: string };
    add(roleArn(resolved.role), { name: `${stack.name}/${name}`, policy: parse(resolved.policy) });
  }
  const managed = new Map(
    app
      .resources('aws_iam_policy')
      .map(({ stack, name, config }) => [
        app.attribute(stack, 'aws_iam_policy', name, 'arn') as string,
        parse(app.value(stack, config.policy)),
      ]),
  );
  for (const { stack, name, config } of app.resources('aws_iam_role_policy_attachment')) {
    const resolved = app.value(stack, config) as { role: string; policy_arn: string };
    const policy = managed.get(resolved.policy_arn);
    // AWS-managed policies are not in the synthesised JSON; grants the code relies on must be our own.
    if (policy) add(roleArn(resolved.role), { name: `${stack.name}/${name}`, policy });
  }

  const resource = new Map<string, Policy>();
  const boundary = new Map<string, NamedPolicy>();
  // A role's trust policy is its resource policy for sts:AssumeRole.
  for (const { stack, config } of app.resources('aws_iam_role')) {
    const resolved = app.value(stack, config) as {
      name: string;
      assume_role_policy: string;
      permissions_boundary?: string;
    };
    resource.set(roleArn(resolved.name), parse(resolved.assume_role_policy));
    if (resolved.permissions_boundary) {
      const policy = managed.get(resolved.permissions_boundary);
      if (!policy)
        throw new Error(`${resolved.name}'s permissions boundary ${resolved.permissions_boundary} is not in the app`);
      boundary.set(roleArn(resolved.name), { name: resolved.permissions_boundary, policy });
    }
  }
  for (const { stack, config } of app.resources('aws_s3_bucket_policy')) {
    const resolved = app.value(stack, config) as { bucket: string; policy: string };
    resource.set(`arn:aws:s3:::${resolved.bucket}`, parse(resolved.policy));
  }
  const keyArnById = new Map(
    app
      .resources('aws_kms_key')
      .map(({ stack, name }) => [
        app.attribute(stack, 'aws_kms_key', name, 'key_id') as string,
        app.attribute(stack, 'aws_kms_key', name, 'arn') as string,
      ]),
  );
  for (const { stack, config } of app.resources('aws_kms_key_policy')) {
    const resolved = app.value(stack, config) as { key_id: string; policy: string };
    resource.set(keyArnById.get(resolved.key_id) ?? resolved.key_id, parse(resolved.policy));
  }
  for (const { stack, config } of app.resources('aws_sns_topic_policy')) {
    const resolved = app.value(stack, config) as { arn: string; policy: string };
    resource.set(resolved.arn, parse(resolved.policy));
  }
  for (const { stack, config } of app.resources('aws_sqs_queue_policy')) {
    const resolved = app.value(stack, config) as { queue_url: string; policy: string };
    const name = resolved.queue_url.split('/').pop();
    resource.set(`arn:aws:sqs:${app.region}:${ACCOUNT_ID}:${name}`, parse(resolved.policy));
  }
  const functionArns = new Map(
    app
      .resources('aws_lambda_function')
      .map(({ stack, name, config }) => [
        app.value(stack, config.function_name) as string,
        app.attribute(stack, 'aws_lambda_function', name, 'arn') as string,
      ]),
  );
  for (const { stack, name, config } of app.resources('aws_lambda_permission')) {
    const p = app.value(stack, config) as Record<string, string | undefined>;
    const fn = String(p.function_name);
    const arn = fn.startsWith('arn:') ? fn : (functionArns.get(fn) ?? fn);
    const condition: Record<string, Record<string, string>> = {};
    if (p.source_arn) condition.ArnLike = { 'AWS:SourceArn': p.source_arn };
    if (p.source_account) condition.StringEquals = { 'AWS:SourceAccount': p.source_account };
    const principal = String(p.principal);
    const statement = {
      Sid: name,
      Effect: 'Allow',
      Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
      Action: p.action,
      Resource: p.qualifier ? `${arn}:${p.qualifier}` : arn,
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    };
    const existing = resource.get(arn) ?? { Version: '2012-10-17', Statement: [] };
    existing.Statement.push(statement);
    resource.set(arn, existing);
  }
  // A function in the VPC reaches AWS through the VPC's endpoints: each one's policy bounds what passes.
  const endpointPolicies = new Map<string, NamedPolicy>();
  for (const { stack, name, config } of app.resources('aws_vpc_endpoint')) {
    const resolved = app.value(stack, config) as { service_name: string; policy?: string };
    if (resolved.policy)
      endpointPolicies.set(String(resolved.service_name.split('.').at(-1)), {
        name: `${stack.name}/${name}`,
        policy: parse(resolved.policy),
      });
  }
  const endpoints = new Map<string, Map<string, NamedPolicy>>();
  for (const { stack, config } of app.resources('aws_lambda_function')) {
    const fn = app.value(stack, config) as { role: string; vpc_config?: unknown };
    if (fn.vpc_config) endpoints.set(fn.role, endpointPolicies);
  }
  const keyAliases = new Map<string, string[]>();
  for (const { stack, config } of app.resources('aws_kms_alias')) {
    const resolved = app.value(stack, config) as { name: string; target_key_id: string };
    const key = keyArnById.get(resolved.target_key_id) ?? resolved.target_key_id;
    keyAliases.set(key, [...(keyAliases.get(key) ?? []), resolved.name]);
  }
  return { identity, boundary, resource, endpoints, keyAliases };
}

/** The services whose requests a function in the VPC sends through an endpoint (its code's own calls). */
const THROUGH_ENDPOINTS = new Set(['s3', 'secretsmanager']);

/** The resource whose policy governs an ARN: a bucket for its objects, a function for its versions. */
function policyOwner(resource: string): string {
  if (resource.startsWith('arn:aws:s3:::')) return resource.replace(/^(arn:aws:s3:::[^/]+).*$/, '$1');
  if (resource.startsWith('arn:aws:lambda:')) return resource.split(':').slice(0, 7).join(':');
  return resource;
}

/** The evaluator's answer to one request. */
export interface AccessDecision {
  allowed: boolean;
  result: string;
  /** Identity and resource statements that allowed it (what a broken copy removes). */
  grants: { policy: string; statement: Record<string, unknown> }[];
  /** The permissions-boundary statements that admitted it. */
  bounds?: Record<string, unknown>[];
  errors?: string;
}

/** Simulates `request` against `policies` with @cloud-copilot/iam-simulate. */
export async function decide(request: IamRequest, policies: DeployedPolicies): Promise<AccessDecision> {
  const isService = request.principal.endsWith('.amazonaws.com');
  const identityPolicies = isService ? [] : (policies.identity.get(request.principal) ?? []);
  const resourcePolicy = policies.resource.get(policyOwner(request.resource));
  const boundary = isService ? undefined : policies.boundary.get(request.principal);
  const [service] = request.action.split(':');
  // A request the service makes for the caller (KMS through S3, say) does not pass the VPC's endpoint.
  const endpoint =
    THROUGH_ENDPOINTS.has(String(service)) && !request.context['aws:CalledVia']
      ? policies.endpoints.get(request.principal)?.get(String(service))
      : undefined;
  // What AWS puts in every request's context: who is asking, and for a KMS key, its aliases.
  const aliases = request.action.startsWith('kms:') ? policies.keyAliases.get(request.resource) : undefined;
  // Every resource a request here names is the deployment's own, in its one account.
  const context = {
    ...(isService ? {} : { 'aws:PrincipalArn': request.principal }),
    'aws:ResourceAccount': ACCOUNT_ID,
    ...request.context,
    ...(aliases ? { 'kms:ResourceAliases': aliases } : {}),
  };
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT_ID },
        contextVariables: context,
      },
      identityPolicies: identityPolicies.map((p) => ({ name: p.name, policy: p.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
      ...(boundary ? { permissionBoundaryPolicies: [boundary] } : {}),
      ...(endpoint ? { vpcEndpointPolicies: [endpoint] } : {}),
    },
    {},
  );
  if (result.resultType === 'error') {
    return { allowed: false, result: 'error', grants: [], errors: JSON.stringify(result.errors) };
  }
  if (result.resultType !== 'single') throw new Error(`Unexpected wildcard simulation for ${request.resource}`);
  type Analysis = { allowStatements: { policyId?: string; statement: Record<string, unknown> }[] };
  const analysis = result.result.analysis as unknown as {
    identityAnalysis?: Analysis;
    resourceAnalysis?: Analysis;
    permissionBoundaryAnalysis?: Analysis;
  };
  const grants = [
    ...(analysis.identityAnalysis?.allowStatements ?? []).map((s) => ({
      policy: String(s.policyId),
      statement: s.statement,
    })),
    ...(analysis.resourceAnalysis?.allowStatements ?? []).map((s) => ({
      policy: 'resource policy',
      statement: s.statement,
    })),
  ];
  const bounds = (analysis.permissionBoundaryAnalysis?.allowStatements ?? []).map((s) => s.statement);
  return { allowed: result.overallResult === 'Allowed', result: result.overallResult, grants, bounds };
}

/**
 * A copy of the policies with every statement that granted `decision` removed: the broken copy
 * on which that edge must be denied.
 */
export function withoutGrants(policies: DeployedPolicies, decision: AccessDecision): DeployedPolicies {
  const granted = new Set(decision.grants.map((g) => JSON.stringify(g.statement)));
  const strip = (policy: Policy): Policy => ({
    ...policy,
    Statement: policy.Statement.filter((s) => !granted.has(JSON.stringify(s))),
  });
  return {
    ...policies,
    identity: new Map(
      [...policies.identity].map(([role, list]) => [
        role,
        list.map((p) => ({ name: p.name, policy: strip(p.policy) })),
      ]),
    ),
    resource: new Map([...policies.resource].map(([arn, policy]) => [arn, strip(policy)])),
  };
}

/** A copy of the policies whose boundaries lack every statement that admitted `decision`. */
export function withoutBounds(policies: DeployedPolicies, decision: AccessDecision): DeployedPolicies {
  const admitted = new Set((decision.bounds ?? []).map((s) => JSON.stringify(s)));
  return {
    ...policies,
    boundary: new Map(
      [...policies.boundary].map(([role, p]) => [
        role,
        {
          name: p.name,
          policy: { ...p.policy, Statement: p.policy.Statement.filter((s) => !admitted.has(JSON.stringify(s))) },
        },
      ]),
    ),
  };
}

/**
 * A copy of the policies with `change` applied to every statement of `role`'s identity
 * policies: how a test rebuilds an unfixed policy to show the access test denies it.
 */
export function withRoleStatements(
  policies: DeployedPolicies,
  role: string,
  change: (statement: Record<string, unknown>) => Record<string, unknown> | undefined,
): DeployedPolicies {
  const identity = new Map(policies.identity);
  identity.set(
    role,
    (policies.identity.get(role) ?? []).map((p) => ({
      name: p.name,
      policy: {
        ...p.policy,
        Statement: p.policy.Statement.map((s) => change(structuredClone(s))).filter(
          (s): s is Record<string, unknown> => s !== undefined,
        ),
      },
    })),
  );
  return { ...policies, identity };
}
