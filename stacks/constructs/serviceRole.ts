import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { Construct } from 'constructs';

/** One condition of an IAM statement. */
export interface PolicyCondition {
  test: string;
  variable: string;
  values: string[];
}

/** One IAM statement, as the roles' inline policies take them. */
export interface PolicyStatement {
  sid?: string;
  /** Allow unless said. */
  effect?: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
  conditions?: PolicyCondition[];
}

/**
 * `kms:ViaService`: a KMS statement that holds only for requests those services make for the
 * caller (S3 for SSE-KMS objects, Secrets Manager for secrets, SQS for queues…), never for a
 * direct KMS call.
 */
export function viaService(region: string, ...services: string[]): PolicyCondition {
  return {
    test: 'StringEquals',
    variable: 'kms:ViaService',
    values: services.map((s) => `${s}.${region}.amazonaws.com`),
  };
}

/**
 * Who may assume a role: a service (with the conditions that tie it to this account, where the
 * service sets them) or an AWS principal outside the account (with its external id).
 */
export interface RoleTrust {
  principal: { type: 'Service' | 'AWS'; identifiers: string[] };
  conditions?: PolicyCondition[];
}

/**
 * A service principal's trust. `sourceAccount` and `sourceArn` become `aws:SourceAccount` and
 * `aws:SourceArn` conditions: give them only for a service that sets those keys when it assumes
 * the role (Step Functions, EventBridge, VPC Flow Logs, RDS Enhanced Monitoring do; Lambda, Glue
 * and EC2 do not, and a condition on a key a service never sends would lock it out).
 */
export function serviceTrust(
  service: string,
  scope: { sourceAccount?: string; sourceArn?: string[]; externalId?: string } = {},
): RoleTrust {
  return {
    principal: { type: 'Service', identifiers: [service] },
    conditions: [
      ...(scope.sourceAccount
        ? [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [scope.sourceAccount] }]
        : []),
      ...(scope.sourceArn ? [{ test: 'ArnLike', variable: 'aws:SourceArn', values: scope.sourceArn }] : []),
      ...(scope.externalId ? [{ test: 'StringEquals', variable: 'sts:ExternalId', values: [scope.externalId] }] : []),
    ],
  };
}

/** Props of {@link ServiceRole}. */
export interface ServiceRoleProps {
  roleName: string;
  trust: RoleTrust;
  /** What the role may do: its one inline policy (none when empty). */
  statements: PolicyStatement[];
  /** The environment's permissions boundary (`insightflow-boundary-<env>`, from the account stack). */
  permissionsBoundary: string;
}

/** An inline-policy statement as `aws_iam_policy_document` takes it. */
export function documentStatement(statement: PolicyStatement) {
  return {
    ...(statement.sid ? { sid: statement.sid } : {}),
    ...(statement.effect === 'Deny' ? { effect: 'Deny' } : {}),
    actions: statement.actions,
    resources: statement.resources,
    ...(statement.conditions && statement.conditions.length > 0 ? { condition: statement.conditions } : {}),
  };
}

/**
 * The one way the stacks make a role: its trust policy, one inline policy, and the environment's
 * permissions boundary — which the apply role requires of every role it creates, so no role a
 * stack makes can hold more than the boundary allows, whatever its inline policy says. No managed
 * policy is attached: each permission is written out here, where the access test judges it.
 */
export class ServiceRole extends Construct {
  public readonly role: IamRole;

  public constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    const trust = new DataAwsIamPolicyDocument(this, 'trust', {
      statement: [
        {
          actions: ['sts:AssumeRole'],
          principals: [props.trust.principal],
          ...(props.trust.conditions && props.trust.conditions.length > 0 ? { condition: props.trust.conditions } : {}),
        },
      ],
    });
    this.role = new IamRole(this, 'role', {
      name: props.roleName,
      assumeRolePolicy: trust.json,
      permissionsBoundary: props.permissionsBoundary,
    });
    if (props.statements.length > 0) {
      const policy = new DataAwsIamPolicyDocument(this, 'policy', {
        statement: props.statements.map(documentStatement),
      });
      new IamRolePolicy(this, 'inline', { role: this.role.id, policy: policy.json });
    }
  }

  public get arn(): string {
    return this.role.arn;
  }

  public get name(): string {
    return this.role.name;
  }
}
