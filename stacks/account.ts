import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { EbsEncryptionByDefault } from '@cdktf/provider-aws/lib/ebs-encryption-by-default/index.js';
import { GlueDataCatalogEncryptionSettings } from '@cdktf/provider-aws/lib/glue-data-catalog-encryption-settings/index.js';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider/index.js';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { KmsKeyPolicy } from '@cdktf/provider-aws/lib/kms-key-policy/index.js';
import { S3AccountPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-account-public-access-block/index.js';
import { Fn } from 'cdktf';
import type { Construct } from 'constructs';
import type { AccountSettings } from './config.js';
import { documentStatement, type PolicyStatement } from './constructs/serviceRole.js';
import {
  applyPolicies,
  applyRoleName,
  boundaryPolicyName,
  boundaryStatements,
  CATALOG_KEY_ALIAS,
  catalogKeyUse,
  ENVIRONMENTS,
  PLAN_ROLE_NAME,
} from './deployAccess.js';
import { ProjectStack } from './insightflowStack.js';

/** The account stack's name and state key: one per account and Region, no environment in either. */
export const ACCOUNT_STACK = 'account';

/** RDS Enhanced Monitoring writes every instance's OS metrics of the account and Region into this one group. */
export const RDS_OS_METRICS_LOG_GROUP = 'RDSOSMetrics';
/** Days the OS metrics of every environment's database are kept. */
const RDS_OS_METRICS_RETENTION_DAYS = 30;

/** GitHub's OIDC issuer, as the trust policies' condition keys spell it. */
const GITHUB_ISSUER = 'token.actions.githubusercontent.com';

/**
 * The roles of each environment that read or write the encrypted Data Catalog: the raw crawler
 * and the clean layer (the one function that runs Athena). The catalog key's policy admits these
 * names in every environment, so a new environment needs no change here.
 */
export const CATALOG_USER_ROLES = ['glue-crawler', 'clean-layer'] as const;

/** Props of {@link AccountStack}. */
export interface AccountStackProps {
  settings: AccountSettings;
}

/**
 * `account`: what exists once per account and Region, deployed first and by an administrator —
 * never by an environment's apply role, and identical whichever environment is synthesised:
 * - the Data Catalog's encryption settings and their key (`alias/insightflow-catalog`), whose
 *   policy lets every environment's catalog roles, the apply roles and the plan role use it
 *   through Glue;
 * - S3 Block Public Access for the whole account, and EBS encryption by default in the Region;
 * - RDS Enhanced Monitoring's `RDSOSMetrics` log group (one for every database of the Region),
 *   with retention, encrypted with the same key;
 * - GitHub's OIDC provider, the read-only plan role, and per environment its permissions boundary
 *   and its apply role (which may change only that environment's resources and may create roles
 *   only with that boundary) — when the repository and the state bucket are configured.
 */
export class AccountStack extends ProjectStack {
  public readonly catalogKey: KmsKey;
  public readonly accountId: string;

  public constructor(scope: Construct, id: string, props: AccountStackProps) {
    const { region, stateBucket, ci } = props.settings;
    super(scope, id, {
      region,
      stateBucket,
      stateKey: `insightflow/${ACCOUNT_STACK}/${id}.tfstate`,
      tags: { project: 'insightflow', environment: ACCOUNT_STACK, stack: id },
    });

    this.catalogKey = new KmsKey(this, 'catalog-key', {
      description: 'InsightFlow account key: the Data Catalog and RDSOSMetrics (every environment)',
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    // Read from the key's ARN, so that planning needs no AWS call.
    this.accountId = Fn.element(Fn.split(':', this.catalogKey.arn), 4);
    const account = this.accountId;
    const role = (name: string) => `arn:aws:iam::${account}:role/${name}`;
    const viaGlue = { test: 'StringEquals', variable: 'kms:ViaService', values: [`glue.${region}.amazonaws.com`] };
    const keyPolicy = new DataAwsIamPolicyDocument(this, 'catalog-key-policy', {
      statement: [
        {
          // Administration only: no principal of the account encrypts or decrypts unless named below.
          sid: 'AccountAdministers',
          actions: [
            'kms:Create*',
            'kms:Describe*',
            'kms:Enable*',
            'kms:List*',
            'kms:Put*',
            'kms:Update*',
            'kms:Revoke*',
            'kms:Disable*',
            'kms:Get*',
            'kms:Delete*',
            'kms:TagResource',
            'kms:UntagResource',
            'kms:ScheduleKeyDeletion',
            'kms:CancelKeyDeletion',
            'kms:RotateKeyOnDemand',
          ],
          principals: [{ type: 'AWS', identifiers: [`arn:aws:iam::${account}:root`] }],
          resources: ['*'],
        },
        {
          // Glue encrypts and decrypts the catalog with its caller's permissions.
          sid: 'CatalogUsersThroughGlue',
          actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
          principals: [{ type: 'AWS', identifiers: [`arn:aws:iam::${account}:root`] }],
          resources: ['*'],
          condition: [
            {
              test: 'ArnLike',
              variable: 'aws:PrincipalArn',
              values: [
                ...CATALOG_USER_ROLES.map((name) => role(`insightflow-*-${name}`)),
                ...ENVIRONMENTS.map((env) => role(applyRoleName(env))),
              ],
            },
            viaGlue,
          ],
        },
        {
          // CloudWatch Logs, for the one log group of the account this key encrypts.
          sid: 'CloudWatchLogsEncryptsRdsOsMetrics',
          actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          principals: [{ type: 'Service', identifiers: [`logs.${region}.amazonaws.com`] }],
          resources: ['*'],
          condition: [
            {
              test: 'ArnEquals',
              variable: 'kms:EncryptionContext:aws:logs:arn',
              values: [`arn:aws:logs:${region}:${account}:log-group:${RDS_OS_METRICS_LOG_GROUP}`],
            },
          ],
        },
        {
          // A plan refreshes the catalog's databases and tables.
          sid: 'PlanReadsThroughGlue',
          actions: ['kms:Decrypt'],
          principals: [{ type: 'AWS', identifiers: [`arn:aws:iam::${account}:root`] }],
          resources: ['*'],
          condition: [{ test: 'ArnLike', variable: 'aws:PrincipalArn', values: [role(PLAN_ROLE_NAME)] }, viaGlue],
        },
      ],
    });
    new KmsKeyPolicy(this, 'catalog-key-policy-attachment', {
      keyId: this.catalogKey.keyId,
      policy: keyPolicy.json,
    });
    new KmsAlias(this, 'catalog-key-alias', { name: CATALOG_KEY_ALIAS, targetKeyId: this.catalogKey.keyId });
    // One setting per account and Region: every environment's tables and connection passwords.
    new GlueDataCatalogEncryptionSettings(this, 'catalog-encryption', {
      dataCatalogEncryptionSettings: {
        encryptionAtRest: { catalogEncryptionMode: 'SSE-KMS', sseAwsKmsKeyId: this.catalogKey.arn },
        connectionPasswordEncryption: {
          returnConnectionPasswordEncrypted: true,
          awsKmsKeyId: this.catalogKey.arn,
        },
      },
    });

    new CloudwatchLogGroup(this, 'rds-os-metrics', {
      name: RDS_OS_METRICS_LOG_GROUP,
      retentionInDays: RDS_OS_METRICS_RETENTION_DAYS,
      kmsKeyId: this.catalogKey.arn,
    });

    new S3AccountPublicAccessBlock(this, 'public-access', {
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new EbsEncryptionByDefault(this, 'ebs-encryption', { enabled: true });

    if (ci) this.deployRoles(region, ci);
  }

  /** GitHub's OIDC provider, the plan role, and per environment its boundary and apply role. */
  private deployRoles(region: string, ci: NonNullable<AccountSettings['ci']>) {
    const account = this.accountId;
    const provider = new IamOpenidConnectProvider(this, 'github', {
      url: `https://${GITHUB_ISSUER}`,
      clientIdList: ['sts.amazonaws.com'],
    });
    const githubTrust = (id: string, subjects: string[]) =>
      new DataAwsIamPolicyDocument(this, id, {
        statement: [
          {
            actions: ['sts:AssumeRoleWithWebIdentity'],
            principals: [{ type: 'Federated', identifiers: [provider.arn] }],
            condition: [
              { test: 'StringEquals', variable: `${GITHUB_ISSUER}:aud`, values: ['sts.amazonaws.com'] },
              {
                test: 'StringEquals',
                variable: `${GITHUB_ISSUER}:sub`,
                values: subjects.map((s) => `repo:${ci.repository}:${s}`),
              },
            ],
          },
        ],
      });
    const readOnly = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
    const document = (id: string, statements: PolicyStatement[]) =>
      new DataAwsIamPolicyDocument(this, id, { statement: statements.map(documentStatement) }).json;

    // Pull requests and main's plan jobs: never a job in an environment.
    const plan = new IamRole(this, 'plan-role', {
      name: PLAN_ROLE_NAME,
      assumeRolePolicy: githubTrust('plan-trust', ['pull_request', 'ref:refs/heads/main']).json,
    });
    new IamRolePolicyAttachment(this, 'plan-read-only', { role: plan.name, policyArn: readOnly });
    new IamRolePolicy(this, 'plan-policy', {
      role: plan.id,
      policy: document('plan-permissions', [
        { sid: 'StateBucket', actions: ['s3:ListBucket'], resources: [`arn:aws:s3:::${ci.stateBucket}`] },
        { sid: 'ReadState', actions: ['s3:GetObject'], resources: [`arn:aws:s3:::${ci.stateBucket}/insightflow/*`] },
        // The one API call a plan makes beyond reads.
        { sid: 'ValidateStateMachines', actions: ['states:ValidateStateMachineDefinition'], resources: ['*'] },
        { sid: 'CatalogKey', ...catalogKeyUse(region, account, ['kms:Decrypt']) },
      ]),
    });

    for (const env of ENVIRONMENTS) {
      const scope = { env, region, accountId: account };
      new IamPolicy(this, `boundary-${env}`, {
        name: boundaryPolicyName(env),
        description: `The most any role of InsightFlow ${env} may do.`,
        policy: document(`boundary-${env}-document`, boundaryStatements(scope)),
      });
      const apply = new IamRole(this, `apply-role-${env}`, {
        name: applyRoleName(env),
        assumeRolePolicy: githubTrust(`apply-${env}-trust`, [`environment:${env}`]).json,
        maxSessionDuration: 3600,
      });
      new IamRolePolicyAttachment(this, `apply-${env}-read-only`, { role: apply.name, policyArn: readOnly });
      for (const [part, statements] of Object.entries(applyPolicies({ ...scope, stateBucket: ci.stateBucket }))) {
        const policy = new IamPolicy(this, `apply-${env}-${part}`, {
          name: `${applyRoleName(env)}-${part}`,
          policy: document(`apply-${env}-${part}-document`, statements),
        });
        new IamRolePolicyAttachment(this, `apply-${env}-${part}-attachment`, {
          role: apply.name,
          policyArn: policy.arn,
        });
      }
    }
  }
}
