import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildLambda } from '../build/buildLambda.js';
import { readConfiguredCatalog } from '../build/configuredCatalog.js';
import { lambdaZipPath } from '../constructs/nodeLambda.js';

/** The stacks consume the Lambda zips: build any that are missing (a fresh clone has none). */
export default async function buildMissingZips(): Promise<void> {
  for (const name of [
    'batch-ingest',
    'clean-layer',
    'stream-publisher',
    'stream-transformer',
    's3-to-rds-sync',
    'snowflake-loader',
    'database-roles',
  ]) {
    if (!existsSync(lambdaZipPath(name))) {
      await buildLambda(path.resolve(import.meta.dirname, '../../packages', name), readConfiguredCatalog());
    }
  }
}
