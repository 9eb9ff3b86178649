import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { KmsKeyPolicy } from '@cdktf/provider-aws/lib/kms-key-policy/index.js';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic/index.js';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy/index.js';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription/index.js';
import { ATHENA_RESULTS_PREFIX, BATCH_PREFIX, DATA_PREFIX, DEFAULT_STAGE_PREFIX } from '@insightflow/shared-config';
import { Fn } from 'cdktf';
import type { Construct } from 'constructs';
import type { SnowflakeIntegration } from './config.js';
import { AccessLogBucket } from './constructs/accessLogBucket.js';
import { EncryptedBucket } from './constructs/encryptedBucket.js';
import type { EnvironmentFunctionProps } from './constructs/nodeLambda.js';
import { ServiceRole, viaService } from './constructs/serviceRole.js';
import { permissionsBoundaryArn } from './deployAccess.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';

/** Days the clean layer's Athena query results are kept in the clean bucket. */
export const ATHENA_RESULTS_RETENTION_DAYS = 7;

/** Services that publish alarms and events to the encrypted alarm topic. */
const ALARM_PUBLISHERS = ['cloudwatch.amazonaws.com', 'events.amazonaws.com'];

/**
 * `s3-buckets`: the raw (bronze), clean (silver) and stage buckets and the bucket their server
 * access logs go to, the customer-managed key that encrypts them (and logs, secrets, queues
 * downstream), the alarm topic every stack sends to, the role Snowflake's storage integration
 * assumes (when its principal is configured), and the secret that will hold Snowflake's
 * credentials (its value is set outside Terraform).
 */
export class S3BucketsStack extends InsightFlowStack {
  public readonly key: KmsKey;
  /** Encrypts the alarm topic only: the services that publish alarms may use it, and no data is under it. */
  public readonly alarmKey: KmsKey;
  public readonly raw: EncryptedBucket;
  public readonly clean: EncryptedBucket;
  public readonly stage: EncryptedBucket;
  /** Receives the raw, clean and stage buckets' server access logs. */
  public readonly accessLogs: AccessLogBucket;
  /** Where every stack's alarms and failure events go (email subscription when configured). */
  public readonly alarmTopic: SnsTopic;
  /** Absent until Snowflake's integration principal is configured (`settings.snowflakeIntegration`). */
  public readonly snowflakeRole?: ServiceRole;
  public readonly snowflakeSecret: SecretsmanagerSecret;
  /** The account id, read from the key's ARN so that planning needs no AWS call. */
  public readonly accountId: string;
  /** The environment's permissions boundary (the account stack's `insightflow-boundary-<env>`), on every role. */
  public readonly permissionsBoundary: string;

  public constructor(scope: Construct, id: string, props: InsightFlowStackProps) {
    super(scope, id, props);
    const { settings } = props;

    this.key = new KmsKey(this, 'key', {
      description: `InsightFlow ${settings.env} data key`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    this.accountId = Fn.element(Fn.split(':', this.key.arn), 4);
    this.permissionsBoundary = permissionsBoundaryArn(this.accountId, settings.env);
    const keyPolicy = new DataAwsIamPolicyDocument(this, 'key-policy', {
      statement: [
        this.accountAdministers(),
        {
          // Every log group of the account, Glue's /aws-glue/crawlers-role/… included.
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
      ],
    });
    new KmsKeyPolicy(this, 'key-policy-attachment', { keyId: this.key.keyId, policy: keyPolicy.json });
    new KmsAlias(this, 'key-alias', { name: `alias/${this.name('data')}`, targetKeyId: this.key.keyId });

    const names = { raw: this.name('raw-bucket'), clean: this.name('clean-bucket'), stage: this.name('stage') };
    this.accessLogs = new AccessLogBucket(this, 'access-logs', {
      bucketName: this.name('access-logs'),
      accountId: this.accountId,
      sourceBucketNames: Object.values(names),
      expirationDays: settings.env === 'prod' ? 365 : 90,
    });
    const accessLogs = (prefix: string) => ({ targetBucket: this.accessLogs.bucket.id, targetPrefix: `${prefix}/` });
    this.raw = new EncryptedBucket(this, 'raw', {
      bucketName: names.raw,
      kmsKeyArn: this.key.arn,
      accessLogs: accessLogs('raw'),
      lifecycleRules: [
        {
          id: 'raw-to-intelligent-tiering',
          status: 'Enabled',
          filter: [{ prefix: DATA_PREFIX }],
          transition: [{ days: 30, storageClass: 'INTELLIGENT_TIERING' }],
        },
      ],
    });
    this.clean = new EncryptedBucket(this, 'clean', {
      bucketName: names.clean,
      kmsKeyArn: this.key.arn,
      accessLogs: accessLogs('clean'),
      lifecycleRules: [
        {
          // Query results and UNLOAD manifests are read once, right after each query.
          id: 'expire-athena-results',
          status: 'Enabled',
          filter: [{ prefix: ATHENA_RESULTS_PREFIX }],
          expiration: [{ days: ATHENA_RESULTS_RETENTION_DAYS }],
        },
      ],
    });
    this.stage = new EncryptedBucket(this, 'stage', {
      bucketName: names.stage,
      kmsKeyArn: this.key.arn,
      accessLogs: accessLogs('stage'),
    });

    this.alarmKey = this.alarmTopicKey();
    this.alarmTopic = new SnsTopic(this, 'alarms', { name: this.name('alarms'), kmsMasterKeyId: this.alarmKey.arn });
    const topicPolicy = new DataAwsIamPolicyDocument(this, 'alarm-topic-policy', {
      statement: [
        {
          sid: 'AlarmsAndRulesOfThisAccountPublish',
          actions: ['sns:Publish'],
          principals: [{ type: 'Service', identifiers: ALARM_PUBLISHERS }],
          resources: [this.alarmTopic.arn],
          condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [this.accountId] }],
        },
      ],
    });
    new SnsTopicPolicy(this, 'alarm-topic-policy-attachment', { arn: this.alarmTopic.arn, policy: topicPolicy.json });
    if (settings.alarmEmail) {
      new SnsTopicSubscription(this, 'alarm-email', {
        topicArn: this.alarmTopic.arn,
        protocol: 'email',
        endpoint: settings.alarmEmail,
      });
    }

    if (settings.snowflakeIntegration)
      this.snowflakeRole = this.snowflakeIntegrationRole(settings.snowflakeIntegration);

    this.snowflakeSecret = new SecretsmanagerSecret(this, 'snowflake-secret', {
      name: this.name('snowflake-credentials'),
      description: 'Snowflake key pair ({"privateKey": …}) or password; set with aws secretsmanager put-secret-value.',
      kmsKeyId: this.key.arn,
      recoveryWindowInDays: settings.env === 'prod' ? 30 : 7,
    });
  }

  /** The statement of every key policy here: the account's IAM administers the key (and grants its use by IAM policy). */
  private accountAdministers() {
    return {
      sid: 'AccountAdministers',
      actions: ['kms:*'],
      principals: [{ type: 'AWS', identifiers: [`arn:aws:iam::${this.accountId}:root`] }],
      resources: ['*'],
    };
  }

  /**
   * What every function of the environment takes from this stack: its log group's retention and
   * key, the topic its alarms notify, and its role's permissions boundary.
   */
  public functionDefaults(): EnvironmentFunctionProps {
    return {
      logRetentionDays: this.settings.logRetentionDays,
      logKmsKeyArn: this.key.arn,
      alarmTopicArn: this.alarmTopic.arn,
      permissionsBoundary: this.permissionsBoundary,
    };
  }

  /**
   * The alarm topic's own key. SNS encrypts with the publisher's permission, so CloudWatch and
   * EventBridge must be able to use it; on a key of its own that grant reaches no data.
   */
  private alarmTopicKey(): KmsKey {
    const key = new KmsKey(this, 'alarm-key', {
      description: `InsightFlow ${this.settings.env} alarm topic key`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    const policy = new DataAwsIamPolicyDocument(this, 'alarm-key-policy', {
      statement: [
        this.accountAdministers(),
        {
          sid: 'AlarmPublishersUseKeyForEncryptedTopic',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          principals: [{ type: 'Service', identifiers: ALARM_PUBLISHERS }],
          resources: ['*'],
        },
      ],
    });
    new KmsKeyPolicy(this, 'alarm-key-policy-attachment', { keyId: key.keyId, policy: policy.json });
    new KmsAlias(this, 'alarm-key-alias', { name: `alias/${this.name('alarms')}`, targetKeyId: key.keyId });
    return key;
  }

  /** The role Snowflake's storage integration assumes, trusting only the integration's principal. */
  private snowflakeIntegrationRole(integration: SnowflakeIntegration): ServiceRole {
    // Snowflake reads the staged source files and unloads batch runs into the raw bucket: only those prefixes.
    return new ServiceRole(this, 'snowflake-integration', {
      roleName: this.name('snowflake-integration'),
      trust: {
        principal: { type: 'AWS', identifiers: [integration.iamUserArn] },
        conditions: [{ test: 'StringEquals', variable: 'sts:ExternalId', values: [integration.externalId] }],
      },
      permissionsBoundary: this.permissionsBoundary,
      statements: [
        {
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: [`${this.stage.bucket.arn}/${DEFAULT_STAGE_PREFIX}*`],
        },
        {
          actions: ['s3:ListBucket', 's3:GetBucketLocation'],
          resources: [this.stage.bucket.arn],
          conditions: [{ test: 'StringLike', variable: 's3:prefix', values: [`${DEFAULT_STAGE_PREFIX}*`] }],
        },
        {
          actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
          resources: [`${this.raw.bucket.arn}/${BATCH_PREFIX}*`],
        },
        {
          actions: ['s3:ListBucket', 's3:GetBucketLocation'],
          resources: [this.raw.bucket.arn],
          conditions: [{ test: 'StringLike', variable: 's3:prefix', values: [`${BATCH_PREFIX}*`] }],
        },
        {
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [this.key.arn],
          conditions: [viaService(this.settings.region, 's3')],
        },
      ],
    });
  }
}
