/**
 * Runs one incremental sync in its own process, so a test can SIGKILL it mid-COPY.
 * Environment: DATABASE_URL, S3_ENDPOINT.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { LOCAL_S3_CREDENTIALS } from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import { instacartCatalog, s3ClientOptions } from '@insightflow/shared-config';
import pg from 'pg';
import { postgresSync, syncLake } from '../../src/index.js';

const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
const s3 = new S3Client({
  ...s3ClientOptions({ AWS_REGION: 'us-east-1', S3_ENDPOINT: process.env.S3_ENDPOINT }),
  credentials: LOCAL_S3_CREDENTIALS,
});
const store = new S3ObjectStore(s3, 'insightflow-raw-bucket');
const result = await syncLake(postgresSync(client, store, instacartCatalog()), { mode: 'incremental' });
process.stdout.write(JSON.stringify(result));
await client.end();
s3.destroy();
