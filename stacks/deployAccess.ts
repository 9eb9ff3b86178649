/**
 * The IAM that deploys an environment and bounds what it deploys, as data the account stack
 * renders and the stack tests simulate: each environment's permissions boundary (the most any role
 * of that environment may do) and its apply role's policies (change only `insightflow-<env>-*`
 * resources; create or change a role only with that boundary attached; never the boundary itself).
 */
import type { PolicyCondition, PolicyStatement } from './constructs/serviceRole.js';
import {
  GLUE_PARTITION_ACTIONS,
  LOG_DELIVERY_ACTIONS,
  LOG_DELIVERY_CHANGES,
  SESSION_MANAGER_INSTANCE_ACTIONS,
  VPC_NETWORK_INTERFACE_ACTIONS,
} from './iamActions.js';

/** The environments one account holds side by side. */
export const ENVIRONMENTS = ['dev', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

/** The alias of the account's Data Catalog key (the `account` stack's). */
export const CATALOG_KEY_ALIAS = 'alias/insightflow-catalog';
/** The read-only role every plan job assumes (pull requests and main). */
export const PLAN_ROLE_NAME = 'insightflow-plan';
/** Outside `insightflow-<env>-*`, so no apply role can change its own role or the other environment's. */
export const applyRoleName = (env: EnvironmentName) => `insightflow-apply-${env}`;
export const boundaryPolicyName = (env: EnvironmentName) => `insightflow-boundary-${env}`;
export const permissionsBoundaryArn = (accountId: string, env: EnvironmentName) =>
  `arn:aws:iam::${accountId}:policy/${boundaryPolicyName(env)}`;

/** Where an environment's resources are: region, account, and the state bucket its apply role writes. */
export interface DeployScope {
  env: EnvironmentName;
  region: string;
  accountId: string;
}

const equals = (variable: string, values: string[]): PolicyCondition => ({ test: 'StringEquals', variable, values });
const like = (variable: string, values: string[]): PolicyCondition => ({ test: 'StringLike', variable, values });

/** Uses the account's catalog key, found by its alias (no key ARN to pass between stacks), through Glue only. */
export function catalogKeyUse(region: string, accountId: string, actions: string[]): PolicyStatement {
  return {
    actions,
    resources: [`arn:aws:kms:${region}:${accountId}:key/*`],
    conditions: [
      { test: 'ForAnyValue:StringEquals', variable: 'kms:ResourceAliases', values: [CATALOG_KEY_ALIAS] },
      equals('kms:ViaService', [`glue.${region}.amazonaws.com`]),
    ],
  };
}

/** ARN helpers of one environment's names. */
function names({ env, region, accountId }: DeployScope) {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${accountId}:${resource}`;
  return {
    arn,
    /** `insightflow-<env>-*`: every resource name of the environment. */
    named: `insightflow-${env}-*`,
    /** Glue and Athena spell the environment's database names with underscores. */
    database: `insightflow_${env}_*`,
  };
}

/**
 * The permissions boundary of every role an environment's stacks create: the services and
 * actions those roles use, on that environment's resources where the service names them. A role
 * can do only what both its inline policy and this allow, so a pull request that writes `*` into
 * a role's policy still gets no more than this.
 */
export function boundaryStatements(scope: DeployScope): PolicyStatement[] {
  const { arn, named, database } = names(scope);
  const logGroups = arn('logs', `log-group:*${named}`);
  return [
    {
      sid: 'EnvironmentBuckets',
      actions: [
        's3:GetObject',
        's3:GetObjectVersion',
        's3:PutObject',
        's3:DeleteObject',
        's3:AbortMultipartUpload',
        's3:ListBucket',
        's3:ListBucketMultipartUploads',
        's3:GetBucketLocation',
      ],
      resources: [`arn:aws:s3:::${named}`, `arn:aws:s3:::${named}/*`],
    },
    {
      // Which keys: each key's own policy (the project key admits the account's IAM; the catalog key its users).
      sid: 'KeysOfTheAccount',
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      resources: [arn('kms', 'key/*')],
    },
    {
      sid: 'EnvironmentCatalog',
      actions: [
        'glue:GetDatabase',
        'glue:CreateDatabase',
        'glue:GetTable',
        'glue:GetTables',
        'glue:CreateTable',
        'glue:UpdateTable',
        'glue:DeleteTable',
        ...GLUE_PARTITION_ACTIONS,
        'glue:DeletePartition',
      ],
      resources: [
        arn('glue', 'catalog'),
        arn('glue', 'database/default'),
        arn('glue', `database/${database}`),
        arn('glue', `table/${database}/*`),
      ],
    },
    { sid: 'EnvironmentCrawlers', actions: ['glue:StartCrawler'], resources: [arn('glue', `crawler/${named}`)] },
    {
      sid: 'EnvironmentWorkgroups',
      actions: [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
      ],
      resources: [arn('athena', `workgroup/${named}`)],
    },
    {
      // Lambda's, Firehose's, the crawlers', the state machine's and RDS's log groups carry the
      // environment's name; Enhanced Monitoring writes RDS's own RDSOSMetrics group.
      sid: 'EnvironmentLogs',
      actions: [
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'logs:DescribeLogStreams',
        'logs:PutRetentionPolicy',
        'logs:GetLogEvents',
        'logs:AssociateKmsKey',
      ],
      resources: [
        logGroups,
        `${logGroups}:*`,
        arn('logs', 'log-group:RDSOSMetrics'),
        arn('logs', 'log-group:RDSOSMetrics:*'),
      ],
    },
    {
      sid: 'ServiceWideActions',
      actions: [
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        // Step Functions' log delivery is configured account-wide.
        ...LOG_DELIVERY_ACTIONS,
        // A function in a VPC: its network interfaces.
        ...VPC_NETWORK_INTERFACE_ACTIONS,
        // The bastion: Session Manager's instance actions.
        ...SESSION_MANAGER_INSTANCE_ACTIONS,
      ],
      resources: ['*'],
    },
    { sid: 'EnvironmentQueues', actions: ['sqs:SendMessage'], resources: [arn('sqs', named)] },
    {
      sid: 'EnvironmentSecrets',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [arn('secretsmanager', `secret:${named}`)],
    },
    {
      // The master secret RDS keeps for the environment's database (named rds!db-…, tagged with the instance).
      sid: 'EnvironmentDatabaseSecrets',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [arn('secretsmanager', 'secret:rds!*')],
      conditions: [like('aws:ResourceTag/aws:rds:primaryDBInstanceArn', [arn('rds', `db:${named}`)])],
    },
    {
      sid: 'EnvironmentStreams',
      actions: [
        'firehose:PutRecord',
        'firehose:PutRecordBatch',
        'kinesis:PutRecord',
        'kinesis:PutRecords',
        'kinesis:DescribeStream',
        'kinesis:DescribeStreamSummary',
        'kinesis:GetShardIterator',
        'kinesis:GetRecords',
        'kinesis:ListShards',
      ],
      resources: [arn('firehose', `deliverystream/${named}`), arn('kinesis', `stream/${named}`)],
    },
    {
      sid: 'EnvironmentFunctions',
      actions: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
      resources: [arn('lambda', `function:${named}`), arn('lambda', `function:${named}:*`)],
    },
    {
      sid: 'EnvironmentStateMachines',
      actions: ['states:StartExecution'],
      resources: [arn('states', `stateMachine:${named}`)],
    },
    // The sync's database user; the instance's resource id is not known here.
    { sid: 'DatabaseLogin', actions: ['rds-db:connect'], resources: [arn('rds-db', 'dbuser:*/*')] },
  ];
}

/** The actions of EC2 that change an existing resource (judged by the resource's environment tag). */
const EC2_CHANGES = [
  'ec2:DeleteVpc',
  'ec2:ModifyVpcAttribute',
  'ec2:DeleteSubnet',
  'ec2:ModifySubnetAttribute',
  'ec2:DeleteRouteTable',
  'ec2:AssociateRouteTable',
  'ec2:DisassociateRouteTable',
  'ec2:CreateRoute',
  'ec2:DeleteRoute',
  'ec2:ReplaceRoute',
  'ec2:DeleteSecurityGroup',
  'ec2:AuthorizeSecurityGroupIngress',
  'ec2:AuthorizeSecurityGroupEgress',
  'ec2:RevokeSecurityGroupIngress',
  'ec2:RevokeSecurityGroupEgress',
  'ec2:ModifySecurityGroupRules',
  'ec2:UpdateSecurityGroupRuleDescriptionsIngress',
  'ec2:UpdateSecurityGroupRuleDescriptionsEgress',
  'ec2:DeleteVpcEndpoints',
  'ec2:ModifyVpcEndpoint',
  'ec2:DeleteFlowLogs',
  'ec2:TerminateInstances',
  'ec2:StopInstances',
  'ec2:StartInstances',
  'ec2:ModifyInstanceAttribute',
  'ec2:ModifyInstanceMetadataOptions',
  'ec2:AssociateIamInstanceProfile',
  'ec2:DisassociateIamInstanceProfile',
  'ec2:ReplaceIamInstanceProfileAssociation',
  'ec2:DeleteTags',
];

/** Each EC2 action that creates a resource, and the resource types it creates (tagged as created: the provider's default tags). */
const EC2_CREATES: Record<string, string[]> = {
  'ec2:CreateVpc': ['vpc'],
  'ec2:CreateSubnet': ['subnet'],
  'ec2:CreateRouteTable': ['route-table'],
  'ec2:CreateSecurityGroup': ['security-group'],
  'ec2:CreateVpcEndpoint': ['vpc-endpoint'],
  'ec2:CreateFlowLogs': ['vpc-flow-log'],
  'ec2:RunInstances': ['instance', 'volume', 'network-interface'],
  'ec2:AuthorizeSecurityGroupIngress': ['security-group-rule'],
  'ec2:AuthorizeSecurityGroupEgress': ['security-group-rule'],
};
/** What a new EC2 resource is put in: these must already be the environment's. */
const EC2_PARENTS = ['vpc', 'subnet', 'security-group', 'route-table'];

/**
 * An environment's apply role, in four managed policies (each under IAM's 6,144 characters): reads
 * come from AWS's ReadOnlyAccess (a plan refreshes everything; every data object stays behind its
 * environment's KMS key), changes only to `insightflow-<env>-*` resources — by name where the
 * service names resources, by the `environment` tag where it does not (KMS keys, EC2).
 */
export function applyPolicies(scope: DeployScope & { stateBucket: string }): Record<string, PolicyStatement[]> {
  const { env, region, accountId } = scope;
  const { arn, named, database } = names(scope);
  const tagged = equals('aws:ResourceTag/environment', [env]);
  const tagging = equals('aws:RequestTag/environment', [env]);
  const boundary = permissionsBoundaryArn(accountId, env);
  return {
    state: [
      {
        sid: 'OwnState',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [`arn:aws:s3:::${scope.stateBucket}/insightflow/${env}/*`],
      },
      { sid: 'StateBucket', actions: ['s3:ListBucket'], resources: [`arn:aws:s3:::${scope.stateBucket}`] },
      { sid: 'OwnBuckets', actions: ['s3:*'], resources: [`arn:aws:s3:::${named}`, `arn:aws:s3:::${named}/*`] },
      {
        sid: 'CreateOwnKeys',
        actions: ['kms:CreateKey', 'kms:TagResource'],
        resources: ['*'],
        // A key being created has no tags yet; an existing key must already be the environment's.
        conditions: [tagging, { test: 'StringEqualsIfExists', variable: 'aws:ResourceTag/environment', values: [env] }],
      },
      {
        sid: 'OwnKeys',
        actions: [
          'kms:DescribeKey',
          'kms:GetKeyPolicy',
          'kms:PutKeyPolicy',
          'kms:GetKeyRotationStatus',
          'kms:EnableKeyRotation',
          'kms:ListResourceTags',
          'kms:ScheduleKeyDeletion',
          'kms:CancelKeyDeletion',
          'kms:UpdateKeyDescription',
          'kms:CreateGrant',
          'kms:ListGrants',
          'kms:RevokeGrant',
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:CreateAlias',
          'kms:DeleteAlias',
          'kms:UpdateAlias',
        ],
        resources: [arn('kms', 'key/*')],
        conditions: [tagged],
      },
      {
        sid: 'OwnKeyAliases',
        actions: ['kms:CreateAlias', 'kms:DeleteAlias', 'kms:UpdateAlias'],
        resources: [arn('kms', `alias/${named}`)],
      },
      // Declaring databases and tables writes the encrypted Data Catalog.
      { sid: 'CatalogKey', ...catalogKeyUse(region, accountId, ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']) },
      {
        sid: 'OwnSecrets',
        actions: [
          'secretsmanager:CreateSecret',
          'secretsmanager:DeleteSecret',
          'secretsmanager:DescribeSecret',
          'secretsmanager:UpdateSecret',
          'secretsmanager:RestoreSecret',
          'secretsmanager:TagResource',
          'secretsmanager:UntagResource',
          'secretsmanager:GetResourcePolicy',
          'secretsmanager:PutResourcePolicy',
          'secretsmanager:DeleteResourcePolicy',
        ],
        resources: [arn('secretsmanager', `secret:${named}`)],
      },
      {
        // RDS creates and rotates the master secret with the caller's permissions.
        sid: 'OwnDatabaseSecrets',
        actions: [
          'secretsmanager:CreateSecret',
          'secretsmanager:DeleteSecret',
          'secretsmanager:DescribeSecret',
          'secretsmanager:RotateSecret',
          'secretsmanager:TagResource',
        ],
        resources: [arn('secretsmanager', 'secret:rds!*')],
        conditions: [
          {
            test: 'StringLikeIfExists',
            variable: 'aws:ResourceTag/aws:rds:primaryDBInstanceArn',
            values: [arn('rds', `db:${named}`)],
          },
        ],
      },
      {
        sid: 'OwnMessagingAndStreams',
        actions: ['sqs:*', 'sns:*', 'firehose:*', 'kinesis:*'],
        resources: [
          arn('sqs', named),
          arn('sns', named),
          arn('firehose', `deliverystream/${named}`),
          arn('kinesis', `stream/${named}`),
        ],
      },
    ],
    services: [
      {
        sid: 'OwnLogs',
        actions: ['logs:*'],
        resources: [arn('logs', `log-group:*${named}`), arn('logs', `log-group:*${named}:*`)],
      },
      {
        // Log delivery (the state machine's) and these reads take no narrower resource.
        sid: 'LogDelivery',
        actions: [
          // Its reads (logs:DescribeLogGroups) come with ReadOnlyAccess.
          ...LOG_DELIVERY_CHANGES,
          'states:ValidateStateMachineDefinition',
          // Glue names no security configuration in an ARN.
          'glue:CreateSecurityConfiguration',
          'glue:DeleteSecurityConfiguration',
        ],
        resources: ['*'],
      },
      {
        sid: 'OwnCatalog',
        actions: [
          'glue:CreateDatabase',
          'glue:UpdateDatabase',
          'glue:DeleteDatabase',
          'glue:CreateTable',
          'glue:UpdateTable',
          'glue:DeleteTable',
          'glue:UpdateCrawler',
          'glue:DeleteCrawler',
          'glue:TagResource',
          'glue:UntagResource',
        ],
        resources: [
          arn('glue', 'catalog'),
          arn('glue', `database/${database}`),
          arn('glue', `table/${database}/*`),
          arn('glue', `crawler/${named}`),
        ],
      },
      {
        // CreateCrawler takes no resource: the crawler must be tagged as the environment's as it is made.
        sid: 'CreateTaggedCrawlers',
        actions: ['glue:CreateCrawler'],
        resources: ['*'],
        conditions: [tagging],
      },
      {
        sid: 'OwnFunctionsAndWorkflows',
        actions: ['lambda:*', 'states:*', 'events:*', 'athena:*'],
        resources: [
          arn('lambda', `function:${named}`),
          arn('lambda', `function:${named}:*`),
          arn('states', `stateMachine:${named}`),
          arn('events', `rule/${named}`),
          arn('athena', `workgroup/${named}`),
        ],
      },
      {
        sid: 'OwnAlarmsAndDashboards',
        actions: [
          'cloudwatch:PutMetricAlarm',
          'cloudwatch:DeleteAlarms',
          'cloudwatch:TagResource',
          'cloudwatch:UntagResource',
          'cloudwatch:PutDashboard',
          'cloudwatch:DeleteDashboards',
        ],
        resources: [arn('cloudwatch', `alarm:${named}`), `arn:aws:cloudwatch::${accountId}:dashboard/${named}`],
      },
      {
        sid: 'OwnDatabase',
        actions: ['rds:*'],
        resources: [
          arn('rds', `db:${named}`),
          arn('rds', `subgrp:${named}`),
          arn('rds', `pg:${named}`),
          arn('rds', `snapshot:${named}`),
        ],
      },
      { sid: 'DefaultOptionGroup', actions: ['rds:CreateDBInstance'], resources: [arn('rds', 'og:default:*')] },
      {
        sid: 'RdsServiceLinkedRole',
        actions: ['iam:CreateServiceLinkedRole'],
        resources: ['*'],
        conditions: [equals('iam:AWSServiceName', ['rds.amazonaws.com'])],
      },
      {
        // This account's catalog settings are the account stack's: no environment may change them.
        sid: 'NotTheAccountCatalogSettings',
        actions: ['glue:PutDataCatalogEncryptionSettings', 'glue:PutResourcePolicy', 'glue:DeleteResourcePolicy'],
        resources: ['*'],
        effect: 'Deny',
      },
    ],
    network: [
      // One statement per action: a tag in the request must vouch only for what the action creates,
      // never for the VPC, subnet or group it creates it in.
      ...Object.entries(EC2_CREATES).map(([action, types]) => ({
        sid: `${action.replace('ec2:', '')}Tagged`,
        actions: [action],
        resources: types.map((type) => arn('ec2', `${type}/*`)),
        conditions: [tagging],
      })),
      {
        sid: 'InOwnNetwork',
        actions: Object.keys(EC2_CREATES).filter((a) => a !== 'ec2:CreateVpc'),
        resources: EC2_PARENTS.map((type) => arn('ec2', `${type}/*`)),
        conditions: [tagged],
      },
      {
        // The bastion's image is Amazon's (AL2023, from the public SSM parameter).
        sid: 'AmazonImages',
        actions: ['ec2:RunInstances'],
        resources: [`arn:aws:ec2:${region}::image/*`],
        conditions: [equals('ec2:Owner', ['amazon'])],
      },
      {
        sid: 'TagOnCreate',
        actions: ['ec2:CreateTags'],
        resources: ['*'],
        conditions: [
          equals(
            'ec2:CreateAction',
            Object.keys(EC2_CREATES).map((a) => a.replace('ec2:', '')),
          ),
        ],
      },
      {
        // A VPC's default security group exists untagged until the stack adopts it.
        sid: 'TagOwnOrUntagged',
        actions: ['ec2:CreateTags'],
        resources: ['*'],
        conditions: [tagging, { test: 'StringEqualsIfExists', variable: 'aws:ResourceTag/environment', values: [env] }],
      },
      { sid: 'ChangeOwnNetwork', actions: EC2_CHANGES, resources: ['*'], conditions: [tagged] },
    ],
    roles: [
      {
        sid: 'RolesOnlyWithTheBoundary',
        actions: [
          'iam:CreateRole',
          'iam:PutRolePermissionsBoundary',
          'iam:PutRolePolicy',
          'iam:DeleteRolePolicy',
          'iam:UpdateAssumeRolePolicy',
          'iam:UpdateRole',
          'iam:UpdateRoleDescription',
          'iam:DeleteRole',
        ],
        resources: [`arn:aws:iam::${accountId}:role/${named}`],
        conditions: [equals('iam:PermissionsBoundary', [boundary])],
      },
      {
        // Handing a role to a service, and its tags (the provider's default tags, set as it is
        // created): neither changes what the role may do.
        sid: 'PassAndTagOwnRoles',
        actions: ['iam:PassRole', 'iam:TagRole', 'iam:UntagRole'],
        resources: [`arn:aws:iam::${accountId}:role/${named}`],
      },
      {
        sid: 'OwnInstanceProfiles',
        actions: [
          'iam:CreateInstanceProfile',
          'iam:DeleteInstanceProfile',
          'iam:AddRoleToInstanceProfile',
          'iam:RemoveRoleFromInstanceProfile',
          'iam:TagInstanceProfile',
        ],
        resources: [`arn:aws:iam::${accountId}:instance-profile/${named}`, `arn:aws:iam::${accountId}:role/${named}`],
      },
      {
        sid: 'NeverTheBoundaryOrTheDeployRoles',
        actions: [
          'iam:DeleteRolePermissionsBoundary',
          'iam:CreatePolicyVersion',
          'iam:DeletePolicyVersion',
          'iam:SetDefaultPolicyVersion',
          'iam:DeletePolicy',
          'iam:TagPolicy',
          'iam:UntagPolicy',
          'iam:AttachRolePolicy',
          'iam:PutRolePolicy',
          'iam:UpdateAssumeRolePolicy',
          'iam:DeleteRole',
        ],
        resources: [
          `arn:aws:iam::${accountId}:policy/insightflow-boundary-*`,
          `arn:aws:iam::${accountId}:role/insightflow-apply-*`,
          `arn:aws:iam::${accountId}:role/${PLAN_ROLE_NAME}`,
        ],
        effect: 'Deny',
      },
      {
        sid: 'NoBoundaryRemovalAnywhere',
        actions: ['iam:DeleteRolePermissionsBoundary'],
        resources: ['*'],
        effect: 'Deny',
      },
    ],
  };
}
