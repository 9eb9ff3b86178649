import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database/index.js';
import { GlueCrawler } from '@cdktf/provider-aws/lib/glue-crawler/index.js';
import { GlueSecurityConfiguration } from '@cdktf/provider-aws/lib/glue-security-configuration/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js';
import { STREAMING_PREFIX, TABLE_NAMES, tablePrefix } from '@insightflow/shared-config';
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

/**
 * `glue-crawler-raw`: the raw catalog database and two crawlers — batch runs (one table per
 * catalog table, prefix `raw_`) and streaming orders (the original never crawled them) — with
 * manifests and scratch files excluded and the recrawl switch.
 */
export class GlueCrawlerRawStack extends InsightFlowStack {
  public readonly database: GlueCatalogDatabase;
  public readonly crawlers: GlueCrawler[];

  public constructor(scope: Construct, id: string, props: GlueCrawlerRawStackProps) {
    super(scope, id, props);
    const { settings, storage } = props;
    const raw = storage.raw.bucket;
    this.database = new GlueCatalogDatabase(this, 'database', { name: `insightflow_${settings.env}_raw` });
    const assume = new DataAwsIamPolicyDocument(this, 'assume', {
      statement: [
        { actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['glue.amazonaws.com'] }] },
      ],
    });
    const role = new IamRole(this, 'role', { name: this.name('glue-crawler'), assumeRolePolicy: assume.json });
    new IamRolePolicyAttachment(this, 'service', {
      role: role.name,
      policyArn: 'arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole',
    });
    const read = new DataAwsIamPolicyDocument(this, 'read', {
      statement: [
        { actions: ['s3:GetObject'], resources: [`${raw.arn}/data/*`] },
        { actions: ['s3:ListBucket'], resources: [raw.arn] },
        { actions: ['kms:Decrypt'], resources: [storage.key.arn] },
      ],
    });
    new IamRolePolicy(this, 'read-raw', { role: role.id, policy: read.json });
    const security = new GlueSecurityConfiguration(this, 'security', {
      name: this.name('glue'),
      encryptionConfiguration: {
        cloudwatchEncryption: { cloudwatchEncryptionMode: 'SSE-KMS', kmsKeyArn: storage.key.arn },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: 'CSE-KMS', kmsKeyArn: storage.key.arn },
        s3Encryption: { s3EncryptionMode: 'SSE-KMS', kmsKeyArn: storage.key.arn },
      },
    });
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
    this.crawlers = [
      new GlueCrawler(this, 'batch', {
        ...common,
        name: this.name('raw-batch'),
        tablePrefix: 'raw_',
        s3Target: TABLE_NAMES.map((table) => ({
          path: `s3://${raw.bucket}/${tablePrefix(table)}`,
          exclusions: EXCLUSIONS,
        })),
      }),
      new GlueCrawler(this, 'streaming', {
        ...common,
        name: this.name('raw-streaming'),
        tablePrefix: 'raw_streaming_',
        s3Target: [{ path: `s3://${raw.bucket}/${STREAMING_PREFIX}`, exclusions: EXCLUSIONS }],
      }),
    ];
  }
}
