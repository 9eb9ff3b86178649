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
  };
}

const resources = (stack: SynthStack, type: string) => Object.entries(stack.json.resource?.[type] ?? {});
const refersTo = (value: unknown, type: string, name: string) => JSON.stringify(value).includes(`${type}.${name}.`);

/** Every bucket has SSE-KMS encryption and a full public-access block. */
export function bucketsEncryptedAndPrivate(stacks: SynthStack[]): string[] {
  const violations: string[] = [];
  for (const stack of stacks) {
    for (const [name] of resources(stack, 'aws_s3_bucket')) {
      const encryption = resources(stack, 'aws_s3_bucket_server_side_encryption_configuration').find(([, r]) =>
        refersTo(r.bucket, 'aws_s3_bucket', name),
      );
      const sse = JSON.stringify(encryption?.[1] ?? {});
      if (!sse.includes('"aws:kms"')) violations.push(`${stack.name}: bucket ${name} is not encrypted with KMS`);
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

/** Every database is encrypted, private and uses IAM authentication. */
export function databasesEncryptedWithIamAuth(stacks: SynthStack[]): string[] {
  const violations: string[] = [];
  for (const stack of stacks) {
    for (const [name, r] of resources(stack, 'aws_db_instance')) {
      if (r.storage_encrypted !== true) violations.push(`${stack.name}: database ${name} is not encrypted`);
      if (r.iam_database_authentication_enabled !== true)
        violations.push(`${stack.name}: database ${name} has no IAM auth`);
      if (r.publicly_accessible !== false) violations.push(`${stack.name}: database ${name} may be public`);
      if (r.password !== undefined) violations.push(`${stack.name}: database ${name} has a password in Terraform`);
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

/** Every policy, by name. */
export const POLICIES = {
  bucketsEncryptedAndPrivate,
  noWildcardAdmin,
  noOpenAdminIngress,
  databasesEncryptedWithIamAuth,
  noSecretsInLambdaEnvironment,
} as const;
