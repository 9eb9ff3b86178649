import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target/index.js';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database/index.js';
import { GlueCrawler } from '@cdktf/provider-aws/lib/glue-crawler/index.js';
import { GlueDataCatalogEncryptionSettings } from '@cdktf/provider-aws/lib/glue-data-catalog-encryption-settings/index.js';
import { GlueSecurityConfiguration } from '@cdktf/provider-aws/lib/glue-security-configuration/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { streamingPrefix, tablePrefix } from '@insightflow/shared-config';
import type { Construct } from 'constructs';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';
import type { S3BucketsStack } from './s3Buckets.js';

/** Props of {@link GlueCrawlerRawStack}. */
export interface GlueCrawlerRawStackProps extends InsightFlowStackProps {
  storage: S3BucketsStack;
  /** `everything` recrawls all folders; `new-folders` (the default after the first run) only new ones. */
  recrawl?: 'everything' | 'new-folders';
}

/** Files in the lake that are not data. */
const EXCLUSIONS = ['**/_manifest.json', '**/_unload/**', '**/_temporary/**', '**.txt'];

/** What a crawler does to its database's tables and partitions (deletions are only logged). */
export const CRAWLER_CATALOG_ACTIONS = [
  'glue:GetDatabase',
  'glue:GetTable',
  'glue:GetTables',
  'glue:CreateTable',
  'glue:UpdateTable',
  'glue:GetPartition',
  'glue:GetPartitions',
  'glue:CreatePartition',
  'glue:BatchCreatePartition',
  'glue:BatchGetPartition',
  'glue:UpdatePartition',
  'glue:BatchUpdatePartition',
];

/**
 * `glue-crawler-raw`: the raw catalog database and two crawlers — batch runs (one table per
 * catalog table, prefix `raw_`) and streamed objects (one table per catalog stream, prefix
 * `raw_streaming_`; the original never crawled them; left out when the catalog has no stream) — with
 * manifests and scratch files excluded and the recrawl switch; a crawler role scoped to this
 * database, the crawled prefixes and the project key; the Data Catalog encrypted with that key;
 * and crawler failures sent to the alarm topic.
 */
export class GlueCrawlerRawStack extends InsightFlowStack {
  public readonly database: GlueCatalogDatabase;
  public readonly crawlers: GlueCrawler[];

  public constructor(scope: Construct, id: string, props: GlueCrawlerRawStackProps) {
    super(scope, id, props);
    const { settings, storage, catalog } = props;
    const raw = storage.raw.bucket;
    const { region } = settings;
    const account = storage.accountId;
    this.database = new GlueCatalogDatabase(this, 'database', { name: `insightflow_${settings.env}_raw` });

    // One setting per account and region: the Data Catalog's tables and connection passwords are
    // encrypted with the project key, so readers of the catalog need kms:Decrypt on it.
    new GlueDataCatalogEncryptionSettings(this, 'catalog-encryption', {
      dataCatalogEncryptionSettings: {
        encryptionAtRest: { catalogEncryptionMode: 'SSE-KMS', sseAwsKmsKeyId: storage.key.arn },
        connectionPasswordEncryption: { returnConnectionPasswordEncrypted: true, awsKmsKeyId: storage.key.arn },
      },
    });

    const security = new GlueSecurityConfiguration(this, 'security', {
      name: this.name('glue'),
      encryptionConfiguration: {
        cloudwatchEncryption: { cloudwatchEncryptionMode: 'SSE-KMS', kmsKeyArn: storage.key.arn },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: 'CSE-KMS', kmsKeyArn: storage.key.arn },
        s3Encryption: { s3EncryptionMode: 'SSE-KMS', kmsKeyArn: storage.key.arn },
      },
    });
    const roleName = this.name('glue-crawler');
    // Under a security configuration a crawler logs to /aws-glue/crawlers-role/<role>-<configuration>;
    // created here for its retention, Glue still associates the key with it on first use.
    new CloudwatchLogGroup(this, 'crawler-logs', {
      name: `/aws-glue/crawlers-role/${roleName}-${this.name('glue')}`,
      retentionInDays: settings.logRetentionDays,
      kmsKeyId: storage.key.arn,
    });

    const assume = new DataAwsIamPolicyDocument(this, 'assume', {
      statement: [
        { actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['glue.amazonaws.com'] }] },
      ],
    });
    const role = new IamRole(this, 'role', { name: roleName, assumeRolePolicy: assume.json });
    const streamPrefixes = catalog.streams.map((stream) => streamingPrefix(catalog, stream.name));
    const crawledPrefixes = [...catalog.tableNames().map((table) => tablePrefix(catalog, table)), ...streamPrefixes];
    const logGroups = `arn:aws:logs:${region}:${account}:log-group:/aws-glue/crawlers*`;
    const permissions = new DataAwsIamPolicyDocument(this, 'crawler-permissions', {
      statement: [
        {
          sid: 'CatalogOfThisDatabase',
          actions: CRAWLER_CATALOG_ACTIONS,
          resources: [
            `arn:aws:glue:${region}:${account}:catalog`,
            `arn:aws:glue:${region}:${account}:database/${this.database.name}`,
            `arn:aws:glue:${region}:${account}:table/${this.database.name}/*`,
          ],
        },
        {
          sid: 'ReadCrawledPrefixes',
          actions: ['s3:GetObject'],
          resources: crawledPrefixes.map((prefix) => `${raw.arn}/${prefix}*`),
        },
        {
          sid: 'ListCrawledPrefixes',
          actions: ['s3:ListBucket'],
          resources: [raw.arn],
          condition: [{ test: 'StringLike', variable: 's3:prefix', values: crawledPrefixes.map((p) => `${p}*`) }],
        },
        { sid: 'LocateBucket', actions: ['s3:GetBucketLocation'], resources: [raw.arn] },
        {
          // Decrypt reads the lake; Encrypt/GenerateDataKey write the KMS-encrypted catalog.
          sid: 'ProjectKey',
          actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [storage.key.arn],
        },
        {
          // AssociateKmsKey: the security configuration encrypts the crawler's log group; without it crawls fail.
          sid: 'CrawlerLogs',
          actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
          resources: [logGroups, `${logGroups}:*`],
        },
      ],
    });
    new IamRolePolicy(this, 'crawler-policy', { role: role.id, policy: permissions.json });

    const newFoldersOnly = (props.recrawl ?? 'new-folders') === 'new-folders';
    const common = {
      databaseName: this.database.name,
      role: role.arn,
      securityConfiguration: security.name,
      recrawlPolicy: { recrawlBehavior: newFoldersOnly ? 'CRAWL_NEW_FOLDERS_ONLY' : 'CRAWL_EVERYTHING' },
      // Incremental crawls may only log schema changes.
      schemaChangePolicy: newFoldersOnly
        ? { updateBehavior: 'LOG', deleteBehavior: 'LOG' }
        : { updateBehavior: 'UPDATE_IN_DATABASE', deleteBehavior: 'LOG' },
    };
    const names = {
      batch: this.name('raw-batch'),
      ...(streamPrefixes.length > 0 ? { streaming: this.name('raw-streaming') } : {}),
    };
    this.crawlers = [
      new GlueCrawler(this, 'batch', {
        ...common,
        name: names.batch,
        tablePrefix: 'raw_',
        s3Target: catalog.tableNames().map((table) => ({
          path: `s3://${raw.bucket}/${tablePrefix(catalog, table)}`,
          exclusions: EXCLUSIONS,
        })),
      }),
    ];
    if (names.streaming) {
      this.crawlers.push(
        new GlueCrawler(this, 'streaming', {
          ...common,
          name: names.streaming,
          tablePrefix: 'raw_streaming_',
          s3Target: streamPrefixes.map((prefix) => ({ path: `s3://${raw.bucket}/${prefix}`, exclusions: EXCLUSIONS })),
        }),
      );
    }

    const failed = new CloudwatchEventRule(this, 'crawler-failed', {
      name: this.name('crawler-failed'),
      description: 'An InsightFlow raw crawler failed.',
      eventPattern: JSON.stringify({
        source: ['aws.glue'],
        'detail-type': ['Glue Crawler State Change'],
        detail: { crawlerName: Object.values(names), state: ['Failed'] },
      }),
    });
    new CloudwatchEventTarget(this, 'crawler-failed-alarm', { rule: failed.name, arn: storage.alarmTopic.arn });
  }
}
