import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target/index.js';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database/index.js';
import { GlueCrawler } from '@cdktf/provider-aws/lib/glue-crawler/index.js';
import { GlueSecurityConfiguration } from '@cdktf/provider-aws/lib/glue-security-configuration/index.js';
import { streamingPrefix, tablePrefix } from '@insightflow/shared-config';
import type { Construct } from 'constructs';
import { ServiceRole, serviceTrust, viaService } from './constructs/serviceRole.js';
import { catalogKeyUse } from './deployAccess.js';
import { GLUE_PARTITION_ACTIONS } from './iamActions.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';
import type { S3BucketsStack } from './s3Buckets.js';

/** Props of {@link GlueCrawlerRawStack}. */
export interface GlueCrawlerRawStackProps extends InsightFlowStackProps {
  storage: S3BucketsStack;
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
  ...GLUE_PARTITION_ACTIONS,
];

/**
 * `glue-crawler-raw`: the raw catalog database and two crawlers — batch runs (one table per
 * catalog table, prefix `raw_`) and streamed objects (one table per catalog stream, prefix
 * `raw_streaming_`; the Python/HCL system InsightFlow replaces never crawled them; left out when
 * the catalog has no stream) — with manifests and scratch files excluded and the recrawl switch
 * (`INSIGHTFLOW_RECRAWL`, both crawlers); a crawler role scoped to this database, the crawled
 * prefixes, the project key (the lake) and the account's catalog key (the Data Catalog, whose
 * encryption the `account` stack owns); and crawler failures sent to the alarm topic.
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

    const streamPrefixes = catalog.streams.map((stream) => streamingPrefix(catalog, stream.name));
    const crawledPrefixes = [...catalog.tableNames().map((table) => tablePrefix(catalog, table)), ...streamPrefixes];
    const logGroups = `arn:aws:logs:${region}:${account}:log-group:/aws-glue/crawlers*`;
    // Glue sets neither aws:SourceAccount nor aws:SourceArn when a crawler assumes its role.
    const role = new ServiceRole(this, 'crawler-role', {
      roleName,
      trust: serviceTrust('glue.amazonaws.com'),
      permissionsBoundary: storage.permissionsBoundary,
      statements: [
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
          conditions: [{ test: 'StringLike', variable: 's3:prefix', values: crawledPrefixes.map((p) => `${p}*`) }],
        },
        { sid: 'LocateBucket', actions: ['s3:GetBucketLocation'], resources: [raw.arn] },
        // The lake's objects are SSE-KMS with the project key.
        {
          sid: 'ProjectKey',
          actions: ['kms:Decrypt'],
          resources: [storage.key.arn],
          conditions: [viaService(region, 's3')],
        },
        // Any client of the encrypted Data Catalog needs all three on its key (the account stack's).
        { sid: 'CatalogKey', ...catalogKeyUse(region, account, ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']) },
        {
          // AssociateKmsKey: the security configuration encrypts the crawler's log group; without it crawls fail.
          sid: 'CrawlerLogs',
          actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
          resources: [logGroups, `${logGroups}:*`],
        },
      ],
    });

    const newFoldersOnly = settings.recrawl === 'new-folders';
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
