/**
 * Security policies checked over synthesised Terraform JSON. Each returns the violations it
 * finds, named by stack and resource, so a test can show both a clean app and a broken copy.
 */

/** One synthesised stack: its name and its cdk.tf.json. */
export interface SynthStack {
  name: string;
  json: {
    resource?: Record<string, Record<string, Record<string, unknown>>>;
    data?: Record<string, Record<string, Record<string, unknown>>>;
    terraform?: Record<string, unknown>;
    variable?: Record<string, unknown>;
  };
}

const resources = (stack: SynthStack, type: string) => Object.entries(stack.json.resource?.[type] ?? {});
const refersTo = (value: unknown, type: string, name: string) => JSON.stringify(value).includes(`${type}.${name}.`);

/**
 * Every bucket blocks all public access and is encrypted: SSE-KMS, except the access-log bucket
 * (the one other buckets log into), which must be SSE-S3 because log delivery cannot use SSE-KMS.
 * Every other bucket logs its server access to that bucket.
 */
export function bucketsEncryptedAndPrivate(stacks: SynthStack[]): string[] {
  const violations: string[] = [];
  for (const stack of stacks) {
    const logging = resources(stack, 'aws_s3_bucket_logging');
    const buckets = resources(stack, 'aws_s3_bucket').map(([name]) => name);
    const logBuckets = buckets.filter((name) =>
      logging.some(([, r]) => refersTo(r.target_bucket, 'aws_s3_bucket', name)),
    );
    if (logBuckets.length > 1) {
      violations.push(`${stack.name}: buckets ${logBuckets.join(', ')} all receive access logs; one bucket should`);
    }
    for (const name of buckets) {
      const encryption = resources(stack, 'aws_s3_bucket_server_side_encryption_configuration').find(([, r]) =>
        refersTo(r.bucket, 'aws_s3_bucket', name),
      );
      const sse = JSON.stringify(encryption?.[1] ?? {});
      if (logBuckets.includes(name)) {
        if (!sse.includes('"AES256"')) violations.push(`${stack.name}: access-log bucket ${name} is not SSE-S3`);
      } else {
        if (!sse.includes('"aws:kms"')) violations.push(`${stack.name}: bucket ${name} is not encrypted with KMS`);
        const logsTo = logging.find(([, r]) => refersTo(r.bucket, 'aws_s3_bucket', name))?.[1];
        if (!logsTo || !logBuckets.some((log) => refersTo(logsTo.target_bucket, 'aws_s3_bucket', log))) {
          violations.push(`${stack.name}: bucket ${name} has no server access logging`);
        }
      }
      const block = resources(stack, 'aws_s3_bucket_public_access_block').find(([, r]) =>
        refersTo(r.bucket, 'aws_s3_bucket', name),
      )?.[1];
      const all = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];
      if (!block || !all.every((flag) => block[flag] === true)) {
        violations.push(`${stack.name}: bucket ${name} does not block all public access`);
      }
    }
  }
  return violations;
}

/** No IAM statement allows every action on every resource. */
export function noWildcardAdmin(stacks: SynthStack[]): string[] {
  const violations: string[] = [];
  const asList = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  for (const stack of stacks) {
    for (const [name, document] of Object.entries(stack.json.data?.aws_iam_policy_document ?? {})) {
      for (const statement of asList(document.statement) as Record<string, unknown>[]) {
        const actions = asList(statement.actions);
        const resourcesList = asList(statement.resources);
        const allow = (statement.effect ?? 'Allow') === 'Allow';
        // A statement with principals is a resource policy's (a VPC endpoint's bounds what passes
        // through it, conditioned on the account): it grants an identity nothing by itself.
        if (statement.principals !== undefined) continue;
        if (allow && actions.includes('*') && resourcesList.includes('*')) {
          violations.push(`${stack.name}: policy ${name} allows * on *`);
        }
      }
    }
    for (const type of ['aws_iam_role_policy', 'aws_iam_policy']) {
      for (const [name, r] of resources(stack, type)) {
        if (typeof r.policy !== 'string' || r.policy.startsWith('${')) continue;
        for (const statement of asList(JSON.parse(r.policy).Statement) as Record<string, unknown>[]) {
          if (
            statement.Effect === 'Allow' &&
            asList(statement.Action).includes('*') &&
            asList(statement.Resource).includes('*')
          ) {
            violations.push(`${stack.name}: ${type} ${name} allows * on *`);
          }
        }
      }
    }
    for (const [name, r] of resources(stack, 'aws_iam_role_policy_attachment')) {
      if (String(r.policy_arn).endsWith(':policy/AdministratorAccess'))
        violations.push(`${stack.name}: ${name} attaches AdministratorAccess`);
    }
  }
  return violations;
}

/** Nothing admits the internet to SSH or PostgreSQL. */
export function noOpenAdminIngress(stacks: SynthStack[]): string[] {
  const violations: string[] = [];
  const open = (cidr: unknown) => cidr === '0.0.0.0/0' || cidr === '::/0' || (Array.isArray(cidr) && cidr.some(open));
  const covers = (from: unknown, to: unknown, port: number) => Number(from ?? 0) <= port && port <= Number(to ?? 65535);
  for (const stack of stacks) {
    for (const [name, r] of resources(stack, 'aws_vpc_security_group_ingress_rule')) {
      if (
        (open(r.cidr_ipv4) || open(r.cidr_ipv6)) &&
        [22, 5432].some((p) => covers(r.from_port, r.to_port, p) || r.ip_protocol === '-1')
      ) {
        violations.push(`${stack.name}: ingress rule ${name} opens SSH or PostgreSQL to the internet`);
      }
    }
    for (const [name, r] of resources(stack, 'aws_security_group')) {
      for (const rule of (r.ingress as Record<string, unknown>[] | undefined) ?? []) {
        if (
          (open(rule.cidr_blocks) || open(rule.ipv6_cidr_blocks)) &&
          [22, 5432].some((p) => covers(rule.from_port, rule.to_port, p))
        ) {
          violations.push(`${stack.name}: security group ${name} opens SSH or PostgreSQL to the internet`);
        }
      }
    }
  }
  return violations;
}

const OPEN = ['0.0.0.0/0', '::/0'];
const isOpen = (cidr: unknown): boolean =>
  OPEN.includes(String(cidr)) || (Array.isArray(cidr) && cidr.some((c) => OPEN.includes(String(c))));

/** No security group sends anywhere on the internet: egress goes to a group, a prefix list or the VPC. */
export function noOpenEgress(stacks: SynthStack[]): string[] {
  const violations: string[] = [];
  for (const stack of stacks) {
    for (const [name, r] of resources(stack, 'aws_vpc_security_group_egress_rule')) {
      if (isOpen(r.cidr_ipv4) || isOpen(r.cidr_ipv6)) {
        violations.push(`${stack.name}: egress rule ${name} sends to the internet`);
      }
    }
    for (const type of ['aws_security_group', 'aws_default_security_group']) {
      for (const [name, r] of resources(stack, type)) {
        for (const rule of (r.egress as Record<string, unknown>[] | undefined) ?? []) {
          if (isOpen(rule.cidr_blocks) || isOpen(rule.ipv6_cidr_blocks)) {
            violations.push(`${stack.name}: ${type} ${name} sends to the internet`);
          }
        }
      }
    }
    for (const [name, r] of resources(stack, 'aws_security_group_rule')) {
      if (r.type === 'egress' && (isOpen(r.cidr_blocks) || isOpen(r.ipv6_cidr_blocks))) {
        violations.push(`${stack.name}: security group rule ${name} sends to the internet`);
      }
    }
  }
  return violations;
}

/** Every VPC records its flow logs and leaves its default security group without any rule. */
export function vpcsLoggedWithClosedDefaultGroup(stacks: SynthStack[]): string[] {
  const violations: string[] = [];
  for (const stack of stacks) {
    for (const [name] of resources(stack, 'aws_vpc')) {
      const flowLog = resources(stack, 'aws_flow_log').find(([, r]) => refersTo(r.vpc_id, 'aws_vpc', name))?.[1];
      if (!flowLog || flowLog.traffic_type !== 'ALL') {
        violations.push(`${stack.name}: vpc ${name} has no flow log of all traffic`);
      }
      const defaultGroup = resources(stack, 'aws_default_security_group').find(([, r]) =>
        refersTo(r.vpc_id, 'aws_vpc', name),
      )?.[1];
      const rules = [...((defaultGroup?.ingress as unknown[]) ?? []), ...((defaultGroup?.egress as unknown[]) ?? [])];
      if (!defaultGroup || rules.length > 0) {
        violations.push(`${stack.name}: vpc ${name} does not strip the rules of its default security group`);
      }
    }
  }
  return violations;
}

/** Every log group is encrypted with a customer-managed key and expires its events. */
export function logGroupsEncryptedWithRetention(stacks: SynthStack[]): string[] {
  const violations: string[] = [];
  for (const stack of stacks) {
    for (const [name, r] of resources(stack, 'aws_cloudwatch_log_group')) {
      if (!r.kms_key_id) violations.push(`${stack.name}: log group ${name} is not encrypted with the project key`);
      if (!(Number(r.retention_in_days) > 0)) violations.push(`${stack.name}: log group ${name} keeps logs forever`);
    }
  }
  return violations;
}

/** AWS managed policies broader than any stack needs (scope the role instead). */
const BROAD_MANAGED_POLICIES = [
  ':policy/service-role/AWSGlueServiceRole',
  ':policy/AmazonS3FullAccess',
  ':policy/AmazonS3ReadOnlyAccess',
];

/** No role gets a broad AWS managed policy. */
export function noBroadManagedPolicies(stacks: SynthStack[]): string[] {
  const violations: string[] = [];
  for (const stack of stacks) {
    for (const [name, r] of resources(stack, 'aws_iam_role_policy_attachment')) {
      if (BROAD_MANAGED_POLICIES.some((suffix) => String(r.policy_arn).endsWith(suffix))) {
        violations.push(`${stack.name}: ${name} attaches ${r.policy_arn}`);
      }
    }
  }
  return violations;
}

/** Every stack requires Terraform ≥ 1.10 (S3-native locking) and pins the AWS provider exactly. */
export function terraformAndProviderPinned(stacks: SynthStack[]): string[] {
  const violations: string[] = [];
  for (const stack of stacks) {
    const terraform = stack.json.terraform ?? {};
    if (terraform.required_version !== '>= 1.10') {
      violations.push(`${stack.name}: required_version is ${String(terraform.required_version)}, not >= 1.10`);
    }
    const aws = (terraform.required_providers as Record<string, { version?: string }> | undefined)?.aws;
    if (aws?.version !== '5.100.0') violations.push(`${stack.name}: the AWS provider is not pinned to 5.100.0`);
  }
  return violations;
}

/** Every SNS topic is encrypted with a customer-managed key. */
export function topicsEncrypted(stacks: SynthStack[]): string[] {
  const violations: string[] = [];
  for (const stack of stacks) {
    for (const [name, r] of resources(stack, 'aws_sns_topic')) {
      if (!r.kms_master_key_id) violations.push(`${stack.name}: topic ${name} is not encrypted`);
    }
  }
  return violations;
}

/** Every database is encrypted, private, uses IAM authentication and exports its logs. */
export function databasesEncryptedWithIamAuth(stacks: SynthStack[]): string[] {
  const violations: string[] = [];
  for (const stack of stacks) {
    for (const [name, r] of resources(stack, 'aws_db_instance')) {
      if (r.storage_encrypted !== true) violations.push(`${stack.name}: database ${name} is not encrypted`);
      if (r.iam_database_authentication_enabled !== true)
        violations.push(`${stack.name}: database ${name} has no IAM auth`);
      if (r.publicly_accessible !== false) violations.push(`${stack.name}: database ${name} may be public`);
      if (r.password !== undefined) violations.push(`${stack.name}: database ${name} has a password in Terraform`);
      const exports = (r.enabled_cloudwatch_logs_exports as string[] | undefined) ?? [];
      if (!['postgresql', 'upgrade'].every((log) => exports.includes(log)))
        violations.push(`${stack.name}: database ${name} does not export its postgresql and upgrade logs`);
    }
  }
  return violations;
}

const SECRET_NAME = /PASSWORD|SECRET(?!_ARN)|TOKEN|PRIVATE_KEY|ACCESS_KEY/i;
const SECRET_VALUE = /-----BEGIN|AKIA[0-9A-Z]{16}|postgres(ql)?:\/\/[^:@/]+:[^@/]+@/;

/** No Lambda carries a secret in its environment. */
export function noSecretsInLambdaEnvironment(stacks: SynthStack[]): string[] {
  const violations: string[] = [];
  for (const stack of stacks) {
    for (const [name, r] of resources(stack, 'aws_lambda_function')) {
      const variables = ((r.environment as { variables?: Record<string, string> } | undefined)?.variables ??
        {}) as Record<string, string>;
      for (const [key, value] of Object.entries(variables)) {
        if (SECRET_NAME.test(key) || SECRET_VALUE.test(String(value))) {
          violations.push(`${stack.name}: function ${name} has secret-looking variable ${key}`);
        }
      }
    }
  }
  return violations;
}

/**
 * Every KMS statement of a role's own policy (not a key's or a resource's) holds only through a
 * service (`kms:ViaService`): a role that reads S3 objects or secrets never decrypts with the key
 * directly. The deploy roles of the account stack manage keys and are left out.
 */
export function kmsOnlyThroughServices(stacks: SynthStack[]): string[] {
  const violations: string[] = [];
  const asList = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  for (const stack of stacks) {
    if (stack.name === 'account') continue;
    for (const [name, document] of Object.entries(stack.json.data?.aws_iam_policy_document ?? {})) {
      for (const statement of asList(document.statement) as Record<string, unknown>[]) {
        if (statement.principals !== undefined || (statement.effect ?? 'Allow') !== 'Allow') continue;
        const kms = (asList(statement.actions) as string[]).filter((a) => a.startsWith('kms:'));
        const conditions = asList(statement.condition) as { variable: string }[];
        if (kms.length > 0 && !conditions.some((c) => c.variable === 'kms:ViaService'))
          violations.push(`${stack.name}: ${name} allows ${kms.join(', ')} without kms:ViaService`);
      }
    }
  }
  return violations;
}

/** Every policy, by name. */
export const POLICIES = {
  bucketsEncryptedAndPrivate,
  noWildcardAdmin,
  noOpenAdminIngress,
  noOpenEgress,
  vpcsLoggedWithClosedDefaultGroup,
  logGroupsEncryptedWithRetention,
  noBroadManagedPolicies,
  terraformAndProviderPinned,
  topicsEncrypted,
  databasesEncryptedWithIamAuth,
  noSecretsInLambdaEnvironment,
  kmsOnlyThroughServices,
} as const;
