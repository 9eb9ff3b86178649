import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { startLocalDeliveryStream } from '@insightflow/local-services';
import { ObjectStoreError, S3ObjectStore } from '@insightflow/object-store';
import { instacartCatalog, SchemaChangeRefusedError } from '@insightflow/shared-config';
import { WarehouseError } from '@insightflow/warehouse';
import { describe, expect, it } from 'vitest';
import { type Edge, EdgeError, EdgeService, explainEdgeFailure, hostAndPort } from '../../src/edgeErrors.js';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const s3Edge: Edge = {
  service: EdgeService.s3,
  endpoint: 'http://127.0.0.1:9/',
  source: 'S3_ENDPOINT',
  local: false,
  host: '127.0.0.1',
  port: 9,
  buckets: { 'insightflow-raw-bucket': 'RAW_BUCKET' },
};
const firehoseEdge = (endpoint: string): Edge => ({
  service: EdgeService.firehose,
  endpoint,
  source: 'the local delivery stream `insightflow publish` starts',
  local: true,
  ...hostAndPort(endpoint),
});
const snowflakeEdge: Edge = {
  service: EdgeService.warehouse,
  endpoint: 'Snowflake https://acct.insightflow.invalid/',
  source: 'SNOWFLAKE_ACCOUNT',
  local: false,
  host: 'acct.insightflow.invalid',
  port: 443,
  flavour: 'snowflake',
};

/** An S3 error as the SDK builds it from a response: s3rver accepts any credentials, so these are constructed. */
const s3Refusal = (name: string) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 403 }, message: `${name} refusal` });

describe('Function: explainEdgeFailure()', () => {
  it('a Firehose client at a closed port (real client, real socket): Firehose, its endpoint, the next step', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const client = new FirehoseClient({
      region: 'us-east-1',
      endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const failure = await client
      .send(new PutRecordBatchCommand({ DeliveryStreamName: 's', Records: [{ Data: Buffer.from('{}') }] }))
      .catch((error: unknown) => error);
    client.destroy();
    const explained = explainEdgeFailure(failure, [s3Edge, firehoseEdge(endpoint)]);
    expect(explained).toBeInstanceOf(EdgeError);
    expect(explained?.service).toBe('Firehose');
    expect(explained?.problem).toBe('connection-refused');
    expect(explained?.message).toContain(`Firehose at ${endpoint}`);
    expect(explained?.nextStep).toMatch(/run the command again/);
    expect(explained?.retryable).toBe(true);
  });

  it('a delivery stream that does not exist (the real local delivery stream): missing-stream', async () => {
    const store = new S3ObjectStore(new S3Client({ region: 'us-east-1' }), 'insightflow-raw-bucket');
    const delivery = await startLocalDeliveryStream({
      stream: 'orders',
      catalog: instacartCatalog(),
      streamName: 'insightflow-local-orders',
      store,
      transform: async () => ({ records: [] }),
    });
    const client = new FirehoseClient({
      region: 'us-east-1',
      endpoint: delivery.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const failure = await client
        .send(new PutRecordBatchCommand({ DeliveryStreamName: 'nope', Records: [{ Data: Buffer.from('{}') }] }))
        .catch((error: unknown) => error);
      const explained = explainEdgeFailure(failure, [s3Edge, firehoseEdge(delivery.endpoint)]);
      expect(explained?.service).toBe('Firehose');
      expect(explained?.problem).toBe('missing-stream');
      expect(explained?.message).toMatch(/Delivery stream nope not found/);
    } finally {
      client.destroy();
      await delivery.stop();
    }
  });

  it('S3 refusing credentials (constructed SDK exceptions: s3rver accepts any): names the AWS credential variables', () => {
    for (const name of ['InvalidAccessKeyId', 'SignatureDoesNotMatch']) {
      const explained = explainEdgeFailure(
        new ObjectStoreError('Could not list s3://insightflow-raw-bucket/x', {
          cause: s3Refusal(name),
          bucket: 'insightflow-raw-bucket',
        }),
        [s3Edge],
      );
      expect(explained?.problem).toBe('credentials');
      expect(explained?.nextStep).toMatch(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
      expect(explained?.retryable).toBe(false);
    }
  });

  it('S3 denying access (constructed SDK exception): names the bucket, its variable and the permissions', () => {
    const explained = explainEdgeFailure(
      new ObjectStoreError('Could not list s3://insightflow-raw-bucket/x', {
        cause: s3Refusal('AccessDenied'),
        bucket: 'insightflow-raw-bucket',
      }),
      [s3Edge],
    );
    expect(explained?.problem).toBe('access-denied');
    expect(explained?.nextStep).toMatch(/s3:ListBucket.*bucket insightflow-raw-bucket \(RAW_BUCKET\)/);
  });

  it('a Snowflake account host that does not resolve (a real DNS failure, wrapped as the adapter wraps it)', async () => {
    const dns = await lookup('acct.insightflow.invalid').catch((error: unknown) => error);
    const explained = explainEdgeFailure(
      new WarehouseError(`Snowflake failed to connect: ${(dns as Error).message}`, { cause: dns }),
      [s3Edge, snowflakeEdge],
    );
    expect(explained?.service).toBe('warehouse');
    expect(explained?.problem).toBe('dns');
    expect(explained?.message).toContain('(from SNOWFLAKE_ACCOUNT)');
    expect(explained?.nextStep).toMatch(/check SNOWFLAKE_ACCOUNT/);
  });

  it('a Snowflake table that does not exist (its error code 002003): load it first', () => {
    const explained = explainEdgeFailure(
      new WarehouseError("Snowflake failed to stream: Object 'ORDERS' does not exist or not authorized.", {
        code: '002003',
        sqlState: '42S02',
      }),
      [snowflakeEdge],
    );
    expect(explained?.problem).toBe('missing-table');
    expect(explained?.nextStep).toMatch(/insightflow load.*SNOWFLAKE_DATABASE and SNOWFLAKE_SCHEMA/);
  });

  it('leaves alone what is not a failure at an edge, and what belongs to a service not among the edges', () => {
    expect(explainEdgeFailure(new SchemaChangeRefusedError('PostgreSQL', []), [s3Edge])).toBeUndefined();
    expect(explainEdgeFailure(new Error('boom'), [s3Edge])).toBeUndefined();
    const s3Failure = new ObjectStoreError('x', { cause: s3Refusal('AccessDenied') });
    expect(explainEdgeFailure(s3Failure, [firehoseEdge('http://127.0.0.1:1')])).toBeUndefined();
  });
});
