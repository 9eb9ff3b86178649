import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  childEnvironment,
  readBatchIngestConfig,
  readCliConfig,
  readPlanConfig,
  readPlannedStacksConfig,
  readStreamPublisherConfig,
  readSyncConfig,
  s3ClientOptions,
} from '../../src/index.js';

function configError(read: () => unknown): ConfigError {
  try {
    read();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Function: readBatchIngestConfig()', () => {
  it('applies defaults and coerces numbers', () => {
    const cfg = readBatchIngestConfig({ RAW_BUCKET: 'my-raw', BATCH_SIZE: '5000' });
    expect(cfg).toMatchObject({ RAW_BUCKET: 'my-raw', BATCH_SIZE: 5000, INGEST_MODE: 'auto', WAREHOUSE: 'duckdb' });
  });

  it('names the variable, the bad value and the expected form', () => {
    const error = configError(() => readBatchIngestConfig({ RAW_BUCKET: 'My_Bucket', BATCH_SIZE: 'lots' }));
    expect(error.message).toContain('batch-ingest');
    expect(error.message).toMatch(/RAW_BUCKET: got "My_Bucket"; expected an S3 bucket name/);
    expect(error.message).toMatch(/BATCH_SIZE: got "lots"; expected a positive whole number/);
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['BATCH_SIZE', 'RAW_BUCKET']);
  });

  it('reports a missing variable as not set, and an empty one counts as missing', () => {
    const error = configError(() => readBatchIngestConfig({ RAW_BUCKET: '' }));
    expect(error.message).toMatch(/RAW_BUCKET: not set/);
  });

  it('requires Snowflake account, user and secret only when WAREHOUSE=snowflake', () => {
    const error = configError(() => readBatchIngestConfig({ RAW_BUCKET: 'raw', WAREHOUSE: 'snowflake' }));
    expect(error.problems.map((p) => p.variable).sort()).toEqual([
      'SNOWFLAKE_ACCOUNT',
      'SNOWFLAKE_SECRET_ARN',
      'SNOWFLAKE_USER',
    ]);
  });

  it('refuses an invalid ingest mode with the allowed values', () => {
    const error = configError(() => readBatchIngestConfig({ RAW_BUCKET: 'raw', INGEST_MODE: 'fast' }));
    expect(error.message).toMatch(
      /INGEST_MODE: got "fast"; expected auto \(unload big tables where the warehouse can\), stream or unload/,
    );
  });
});

describe('Function: readSyncConfig()', () => {
  it('accepts a DATABASE_URL outside Lambda', () => {
    const cfg = readSyncConfig({ RAW_BUCKET: 'raw', DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db' });
    expect(cfg.DATABASE_URL).toBe('postgres://u:p@127.0.0.1:5432/db');
  });

  it('refuses a password in a Lambda environment and never prints it', () => {
    const error = configError(() =>
      readSyncConfig({
        RAW_BUCKET: 'raw',
        DATABASE_URL: 'postgres://admin:hunter2@db:5432/x',
        AWS_LAMBDA_FUNCTION_NAME: 'sync',
      }),
    );
    expect(error.message).toMatch(/DATABASE_URL: got "postgres:\/\/admin:\*\*\*\*@db:5432\/x"; expected no password/);
    expect(error.message).not.toContain('hunter2');
  });

  it('asks for DB_HOST or DATABASE_URL when neither is set', () => {
    expect(() => readSyncConfig({ RAW_BUCKET: 'raw' })).toThrow(/DB_HOST: not set; expected set DB_HOST/);
  });
});

describe('Function: readStreamPublisherConfig()', () => {
  it('refuses a delivery stream name Firehose would refuse', () => {
    expect(() => readStreamPublisherConfig({ RAW_BUCKET: 'raw', DELIVERY_STREAM_NAME: 'orders stream!' })).toThrow(
      /DELIVERY_STREAM_NAME: got "orders stream!"; expected a Firehose delivery stream name/,
    );
  });

  it('sends to the delivery stream by default (Direct PUT)', () => {
    const cfg = readStreamPublisherConfig({ RAW_BUCKET: 'raw', DELIVERY_STREAM_NAME: 'insightflow-dev-orders' });
    expect(cfg.destination).toEqual({ source: 'direct', deliveryStreamName: 'insightflow-dev-orders' });
  });

  it('sends to the Kinesis data stream with INSIGHTFLOW_STREAM_SOURCE=kinesis, at a local endpoint when given', () => {
    const cfg = readStreamPublisherConfig({
      RAW_BUCKET: 'raw',
      INSIGHTFLOW_STREAM_SOURCE: 'kinesis',
      KINESIS_STREAM_NAME: 'insightflow-dev-orders',
      KINESIS_ENDPOINT: 'http://127.0.0.1:4567',
    });
    expect(cfg.destination).toEqual({
      source: 'kinesis',
      streamName: 'insightflow-dev-orders',
      endpoint: 'http://127.0.0.1:4567',
    });
  });

  it('asks for KINESIS_STREAM_NAME, not DELIVERY_STREAM_NAME, when the source is kinesis', () => {
    const error = configError(() =>
      readStreamPublisherConfig({ RAW_BUCKET: 'raw', INSIGHTFLOW_STREAM_SOURCE: 'kinesis' }),
    );
    expect(error.problems.map((p) => p.variable)).toEqual(['KINESIS_STREAM_NAME']);
    expect(error.message).toMatch(
      /KINESIS_STREAM_NAME: not set; expected required when INSIGHTFLOW_STREAM_SOURCE=kinesis/,
    );
  });

  it("refuses the other source's variables, naming the variable and both fixes", () => {
    const kinesis = configError(() =>
      readStreamPublisherConfig({
        RAW_BUCKET: 'raw',
        INSIGHTFLOW_STREAM_SOURCE: 'kinesis',
        KINESIS_STREAM_NAME: 'orders',
        DELIVERY_STREAM_NAME: 'orders',
      }),
    );
    expect(kinesis.message).toMatch(
      /DELIVERY_STREAM_NAME: got "orders"; expected unset when INSIGHTFLOW_STREAM_SOURCE=kinesis.*Remove DELIVERY_STREAM_NAME, or set INSIGHTFLOW_STREAM_SOURCE=direct/,
    );
    const direct = configError(() => readStreamPublisherConfig({ RAW_BUCKET: 'raw', KINESIS_STREAM_NAME: 'orders' }));
    expect(direct.problems.map((p) => p.variable).sort()).toEqual(['DELIVERY_STREAM_NAME', 'KINESIS_STREAM_NAME']);
    expect(direct.message).toMatch(/Remove KINESIS_STREAM_NAME, or set INSIGHTFLOW_STREAM_SOURCE=kinesis/);
  });

  it('refuses a stream source it does not know', () => {
    expect(() =>
      readStreamPublisherConfig({ RAW_BUCKET: 'raw', DELIVERY_STREAM_NAME: 'x', INSIGHTFLOW_STREAM_SOURCE: 'msk' }),
    ).toThrow(/INSIGHTFLOW_STREAM_SOURCE: got "msk"; expected direct \(Firehose Direct PUT\) or kinesis/);
  });
});

describe('Function: readCliConfig()', () => {
  it('defaults to the local bucket names', () => {
    expect(readCliConfig({})).toMatchObject({
      RAW_BUCKET: 'insightflow-raw-bucket',
      CLEAN_BUCKET: 'insightflow-clean-bucket',
      STAGE_BUCKET: 'insightflow-stage',
    });
  });

  it('refuses an S3 endpoint that is not an http(s) URL', () => {
    expect(() => readCliConfig({ S3_ENDPOINT: 'localhost:4569' })).toThrow(/S3_ENDPOINT: got "localhost:4569"/);
  });
});

describe('Function: s3ClientOptions()', () => {
  it('uses path-style addressing and on-demand checksums for a local endpoint', () => {
    expect(s3ClientOptions({ AWS_REGION: 'us-east-1', S3_ENDPOINT: 'http://127.0.0.1:9000' })).toEqual({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });

  it('leaves the AWS endpoint alone when none is configured', () => {
    expect(s3ClientOptions({ AWS_REGION: 'eu-west-1' })).not.toHaveProperty('endpoint');
  });
});

describe('Function: readPlanConfig() and readPlannedStacksConfig(), the offline plan', () => {
  const examples = {
    SNOWFLAKE_ACCOUNT: 'exampleorg-insightflow',
    SNOWFLAKE_USER: 'INSIGHTFLOW_SERVICE',
    SNOWFLAKE_ROLE: 'INSIGHTFLOW_LOADER',
    SNOWFLAKE_WAREHOUSE: 'INSIGHTFLOW_WH',
    SNOWFLAKE_IAM_USER_ARN: 'arn:aws:iam::123456789012:user/snowflake-example',
    SNOWFLAKE_EXTERNAL_ID: 'EXAMPLE',
  };

  it('looks for the provider mirror in /opt/tf-plugins unless TF_PLUGIN_MIRROR says where', () => {
    expect(readPlanConfig({}).TF_PLUGIN_MIRROR).toBe('/opt/tf-plugins');
    expect(readPlanConfig({ TF_PLUGIN_MIRROR: '/srv/mirror' }).TF_PLUGIN_MIRROR).toBe('/srv/mirror');
  });

  it('stands the examples in for the Snowflake settings only when none is set, keeping the other settings', () => {
    const none = readPlannedStacksConfig(examples, { INSIGHTFLOW_ENV: 'prod', INSIGHTFLOW_BASTION: 'true' });
    expect(none.examplesUsed).toBe(true);
    expect(none.config).toMatchObject({ INSIGHTFLOW_ENV: 'prod', INSIGHTFLOW_BASTION: true, ...examples });
    // One setting of the user's: the user's configuration is read as it is, and a half-set pair is refused.
    expect(() => readPlannedStacksConfig(examples, { SNOWFLAKE_ACCOUNT: 'myorg-account' })).toThrow(
      /SNOWFLAKE_USER: .*required together with SNOWFLAKE_ACCOUNT/,
    );
    const own = readPlannedStacksConfig(examples, { SNOWFLAKE_ACCOUNT: 'myorg-account', SNOWFLAKE_USER: 'ME' });
    expect(own.examplesUsed).toBe(false);
    expect(own.config.SNOWFLAKE_IAM_USER_ARN).toBeUndefined();
  });
});

describe('Function: childEnvironment()', () => {
  it("hands this process's environment on, the overrides on top", () => {
    const env = childEnvironment({ PATH: '/only/here', INSIGHTFLOW_CHILD: 'yes' });
    expect(env).toMatchObject({ PATH: '/only/here', INSIGHTFLOW_CHILD: 'yes' });
    expect(Object.keys(env).length).toBeGreaterThan(2);
    expect(childEnvironment().PATH).not.toBe('/only/here');
  });
});
