import type { Catalog } from '@insightflow/shared-config';
import { App } from 'cdktf';
import { ACCOUNT_STACK, AccountStack } from './account.js';
import { BastionStack } from './bastion.js';
import { BatchIngestionStack } from './batchIngestion.js';
import { CleanLayerStack } from './cleanLayer.js';
import type { EnvironmentSettings } from './config.js';
import { DataSyncRawStack } from './dataSyncRaw.js';
import { GlueCrawlerRawStack } from './glueCrawlerRaw.js';
import { OrchestrationStack } from './orchestration.js';
import { RdsPostgresqlStack } from './rdsPostgresql.js';
import { S3BucketsStack } from './s3Buckets.js';
import { StreamingIngestionStack } from './streamingIngestion.js';
import { VpcStack } from './vpc.js';

/**
 * The stacks, in deploy order; cross-stack references make the same order in manifest.json.
 * `account` comes first and once per account and Region, deployed by an administrator; the rest
 * are one environment's.
 */
export const STACK_NAMES = [
  ACCOUNT_STACK,
  's3-buckets',
  'vpc',
  'rds-postgresql',
  'bastion',
  'batch-ingestion',
  'streaming-ingestion',
  'glue-crawler-raw',
  'data-sync-raw',
  'clean-layer',
  'orchestration',
] as const;

/** The stacks of one environment: every stack but the account's. */
export const ENVIRONMENT_STACK_NAMES = STACK_NAMES.filter((name) => name !== ACCOUNT_STACK);

/**
 * Composes the app: the account stack, and one stack per module of the environment, wired by
 * passing resources between them, each handed the catalog (the tables it crawls, declares and
 * orchestrates). No environment stack refers to the account stack: what they use of it they find
 * by name (the catalog key by its alias, the boundary by its policy name), so an environment's
 * plan reads no other state than its own stacks'.
 */
export function buildApp(settings: EnvironmentSettings, catalog: Catalog, outdir?: string): App {
  const app = new App({ ...(outdir ? { outdir } : {}), skipValidation: false });
  new AccountStack(app, ACCOUNT_STACK, { settings: settings.account });
  const props = { settings, catalog };
  const storage = new S3BucketsStack(app, 's3-buckets', props);
  const network = new VpcStack(app, 'vpc', { ...props, storage });
  const database = new RdsPostgresqlStack(app, 'rds-postgresql', { ...props, network, storage });
  if (settings.bastion) new BastionStack(app, 'bastion', { ...props, network, storage });
  const batch = new BatchIngestionStack(app, 'batch-ingestion', { ...props, storage });
  const streaming = new StreamingIngestionStack(app, 'streaming-ingestion', { ...props, storage });
  const crawlers = new GlueCrawlerRawStack(app, 'glue-crawler-raw', { ...props, storage });
  const sync = new DataSyncRawStack(app, 'data-sync-raw', { ...props, storage, network, database });
  const clean = new CleanLayerStack(app, 'clean-layer', { ...props, storage });
  new OrchestrationStack(app, 'orchestration', {
    ...props,
    storage,
    batch,
    crawlers,
    clean,
    sync,
    streaming,
    database,
  });
  return app;
}
