import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { KmsKeyPolicy } from '@cdktf/provider-aws/lib/kms-key-policy/index.js';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import { DEFAULT_STAGE_PREFIX } from '@insightflow/shared-config';
import { Fn } from 'cdktf';
import type { Construct } from 'constructs';
import { EncryptedBucket } from './constructs/encryptedBucket.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';

/**
 * `s3-buckets`: the raw (bronze), clean (silver) and stage buckets, the customer-managed key that
 * encrypts them (and logs, secrets, queues downstream), the role Snowflake's storage integration
 * assumes, and the secret that will hold Snowflake's credentials (its value is set outside
 * Terraform).
 */
export class S3BucketsStack extends InsightFlowStack {
  public readonly key: KmsKey;
  public readonly raw: EncryptedBucket;
  public readonly clean: EncryptedBucket;
  public readonly stage: EncryptedBucket;
  public readonly snowflakeRole: IamRole;
  public readonly snowflakeSecret: SecretsmanagerSecret;
  /** The account id, read from a role's ARN so that planning needs no AWS call. */
  public readonly accountId: string;

  public constructor(scope: Construct, id: string, props: InsightFlowStackProps) {
    super(scope, id, props);
    const { settings } = props;

    const snowflakeTrust = new DataAwsIamPolicyDocument(this, 'snowflake-trust', {
      statement: [
        {
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'AWS', identifiers: [settings.snowflakeIamUserArn] }],
          condition: [{ test: 'StringEquals', variable: 'sts:ExternalId', values: [settings.snowflakeExternalId] }],
        },
      ],
    });
    this.snowflakeRole = new IamRole(this, 'snowflake-integration-role', {
      name: this.name('snowflake-integration'),
      assumeRolePolicy: snowflakeTrust.json,
    });
    this.accountId = Fn.element(Fn.split(':', this.snowflakeRole.arn), 4);

    this.key = new KmsKey(this, 'key', {
      description: `InsightFlow ${settings.env} data key`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    const keyPolicy = new DataAwsIamPolicyDocument(this, 'key-policy', {
      statement: [
        {
          sid: 'AccountAdministers',
          actions: ['kms:*'],
          principals: [{ type: 'AWS', identifiers: [`arn:aws:iam::${this.accountId}:root`] }],
          resources: ['*'],
        },
        {
          sid: 'CloudWatchLogsEncrypts',
          actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          principals: [{ type: 'Service', identifiers: [`logs.${settings.region}.amazonaws.com`] }],
          resources: ['*'],
          condition: [
            {
              test: 'ArnLike',
              variable: 'kms:EncryptionContext:aws:logs:arn',
              values: [`arn:aws:logs:${settings.region}:${this.accountId}:*`],
            },
          ],
        },
        {
          sid: 'CloudWatchAlarmsPublishToEncryptedTopic',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          principals: [{ type: 'Service', identifiers: ['cloudwatch.amazonaws.com'] }],
          resources: ['*'],
        },
      ],
    });
    new KmsKeyPolicy(this, 'key-policy-attachment', { keyId: this.key.keyId, policy: keyPolicy.json });
    new KmsAlias(this, 'key-alias', { name: `alias/${this.name('data')}`, targetKeyId: this.key.keyId });

    this.raw = new EncryptedBucket(this, 'raw', {
      bucketName: this.name('raw-bucket'),
      kmsKeyArn: this.key.arn,
      lifecycleRules: [
        {
          id: 'raw-to-intelligent-tiering',
          status: 'Enabled',
          filter: [{ prefix: 'data/' }],
          transition: [{ days: 30, storageClass: 'INTELLIGENT_TIERING' }],
        },
      ],
    });
    this.clean = new EncryptedBucket(this, 'clean', { bucketName: this.name('clean-bucket'), kmsKeyArn: this.key.arn });
    this.stage = new EncryptedBucket(this, 'stage', { bucketName: this.name('stage'), kmsKeyArn: this.key.arn });

    // Snowflake reads the staged source files and unloads batch runs into the raw bucket: only those prefixes.
    const integration = new DataAwsIamPolicyDocument(this, 'snowflake-integration', {
      statement: [
        {
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: [`${this.stage.bucket.arn}/${DEFAULT_STAGE_PREFIX}*`],
        },
        {
          actions: ['s3:ListBucket', 's3:GetBucketLocation'],
          resources: [this.stage.bucket.arn],
          condition: [{ test: 'StringLike', variable: 's3:prefix', values: [`${DEFAULT_STAGE_PREFIX}*`] }],
        },
        {
          actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
          resources: [`${this.raw.bucket.arn}/data/batch/*`],
        },
        {
          actions: ['s3:ListBucket', 's3:GetBucketLocation'],
          resources: [this.raw.bucket.arn],
          condition: [{ test: 'StringLike', variable: 's3:prefix', values: ['data/batch/*'] }],
        },
        { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [this.key.arn] },
      ],
    });
    new IamRolePolicy(this, 'snowflake-integration-policy', { role: this.snowflakeRole.id, policy: integration.json });

    this.snowflakeSecret = new SecretsmanagerSecret(this, 'snowflake-secret', {
      name: this.name('snowflake-credentials'),
      description: 'Snowflake key pair ({"privateKey": …}) or password; set with aws secretsmanager put-secret-value.',
      kmsKeyId: this.key.arn,
      recoveryWindowInDays: settings.env === 'prod' ? 30 : 7,
    });
  }
}
