/**
 * What IAM authorises for each SDK request: the action(s), the resource ARN and the request
 * context, including what AWS checks on the caller's behalf — KMS for SSE-KMS objects and
 * secrets, and `s3:ListBucket` for a GET or HEAD of a key that may be missing (without it S3
 * answers 403 instead of 404, and "not there yet" becomes a crash).
 */
import { InsightFlowError } from '@insightflow/shared-config';
import { athenaRequestsFor, createdTables, glueRequestsFor } from './athenaRequests.js';
import type { RecordedRequest } from './awsRequestRecorder.js';
import { ACCOUNT_ID, type DeployedApp } from './deployedApp.js';
import type { DeploymentFacts, IamRequest } from './iamRequest.js';

export type { DeploymentFacts, IamRequest } from './iamRequest.js';

/**
 * Reads which key encrypts which bucket, secret and the Data Catalog, the workgroups and the
 * declared tables, from the synthesised resources; and the queries `requests` started.
 */
export function deploymentFacts(app: DeployedApp, requests: RecordedRequest[] = []): DeploymentFacts {
  const bucketKeys = new Map<string, string>();
  for (const { stack, config } of app.resources('aws_s3_bucket_server_side_encryption_configuration')) {
    const resolved = app.value(stack, config) as {
      bucket: string;
      rule: { apply_server_side_encryption_by_default: { sse_algorithm: string; kms_master_key_id?: string } }[];
    };
    const byDefault = resolved.rule[0]?.apply_server_side_encryption_by_default;
    if (byDefault?.sse_algorithm === 'aws:kms' && byDefault.kms_master_key_id) {
      bucketKeys.set(resolved.bucket, byDefault.kms_master_key_id);
    }
  }
  const secretKeys = new Map<string, string>();
  for (const { stack, name, config } of app.resources('aws_secretsmanager_secret')) {
    const key = app.value(stack, config.kms_key_id);
    if (typeof key === 'string')
      secretKeys.set(app.attribute(stack, 'aws_secretsmanager_secret', name, 'arn') as string, key);
  }
  // RDS keeps the master user's secret, encrypted with the key the instance names, tagged with the instance.
  const secretTags = new Map<string, Record<string, string>>();
  for (const { stack, name, config } of app.resources('aws_db_instance')) {
    const key = app.value(stack, config.master_user_secret_kms_key_id);
    const secret = app.attribute(stack, 'aws_db_instance', name, 'master_user_secret');
    if (typeof key === 'string' && typeof secret === 'string') {
      secretKeys.set(secret, key);
      secretTags.set(secret, {
        'aws:rds:primaryDBInstanceArn': app.attribute(stack, 'aws_db_instance', name, 'arn') as string,
      });
    }
  }
  const catalogKey = app
    .resources('aws_glue_data_catalog_encryption_settings')
    .map(({ stack, config }) => app.value(stack, config) as Record<string, Record<string, Record<string, unknown>>>)
    .map((s) => s.data_catalog_encryption_settings?.encryption_at_rest)
    .find((rest) => rest?.catalog_encryption_mode === 'SSE-KMS')?.sse_aws_kms_key_id as string | undefined;
  const workgroups = new Map<string, { outputLocation: string }>();
  for (const { stack, config } of app.resources('aws_athena_workgroup')) {
    const resolved = app.value(stack, config) as {
      name: string;
      configuration?: { result_configuration?: { output_location?: string } };
    };
    const outputLocation = resolved.configuration?.result_configuration?.output_location;
    if (outputLocation) workgroups.set(resolved.name, { outputLocation });
  }
  const streamKeys = new Map<string, string>();
  for (const { stack, name, config } of app.resources('aws_kinesis_stream')) {
    const key = app.value(stack, config.kms_key_id);
    if (config.encryption_type === 'KMS' && typeof key === 'string')
      streamKeys.set(app.attribute(stack, 'aws_kinesis_stream', name, 'arn') as string, key);
  }
  const tables = createdTables(requests);
  for (const { stack, config } of app.resources('aws_glue_catalog_table')) {
    const database = String(app.value(stack, config.database_name));
    const location = app.value(stack, (config.storage_descriptor as { location?: unknown } | undefined)?.location);
    const parameters = (config.parameters ?? {}) as Record<string, string>;
    const partitioned = ((config.partition_keys as unknown[] | undefined) ?? []).length > 0;
    // A version's folder: a query scans the table's whole prefix of versions at most.
    if (typeof location === 'string')
      tables.set(`${database}.${String(config.name)}`.toLowerCase(), {
        location: location.replace(/v=[^/]*\/$/, ''),
        gluePartitions: partitioned && parameters['projection.enabled'] !== 'true',
      });
  }
  const queryWorkgroups = new Map<string, string>();
  for (const request of requests) {
    if (request.service !== 'Athena' || request.operation !== 'StartQueryExecution' || !request.output) continue;
    queryWorkgroups.set(String(request.output.QueryExecutionId), String(request.input.WorkGroup ?? 'primary'));
  }
  return {
    bucketKeys,
    secretKeys,
    streamKeys,
    secretTags,
    ...(catalogKey ? { catalogKey } : {}),
    workgroups,
    tables,
    queryWorkgroups,
  };
}

/** An SDK call this mapping does not know: the test fails until it is mapped (and allowed). */
export class UnmappedRequestError extends InsightFlowError {
  public constructor(request: RecordedRequest) {
    super(
      `${request.principal} called ${request.service}:${request.operation}, which the access test does not map to ` +
        'IAM actions yet: add it to iamRequestsFor() in stacks/tests/access/iamRequests.ts, then allow it in the stack.',
    );
    this.name = 'UnmappedRequestError';
  }
}

const s3Object = (bucket: unknown, key: unknown) => `arn:aws:s3:::${String(bucket)}/${String(key)}`;
const s3Bucket = (bucket: unknown) => `arn:aws:s3:::${String(bucket)}`;

/** Maps one recorded SDK request to the IAM authorisations it needs. */
export function iamRequestsFor(
  request: RecordedRequest,
  facts: DeploymentFacts,
  region: string,
  roleArn: string,
): IamRequest[] {
  const because = `${request.service}:${request.operation}`;
  const base = { principal: roleArn, because };
  const secure = { 'aws:SecureTransport': 'true', 'aws:PrincipalAccount': ACCOUNT_ID };
  const input = request.input;
  const out: IamRequest[] = [];
  const s3 = (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
    out.push({ ...base, action, resource, context: { ...secure, ...context } });
  const kms = (action: string, bucket: string) => {
    const key = facts.bucketKeys.get(bucket);
    if (!key) return;
    out.push({
      ...base,
      action,
      resource: key,
      context: {
        ...secure,
        'kms:ViaService': `s3.${region}.amazonaws.com`,
        'kms:CallerAccount': ACCOUNT_ID,
        // With an S3 bucket key the encryption context is the bucket's ARN.
        'kms:EncryptionContext:aws:s3:arn': s3Bucket(bucket),
      },
      because: `${because} (SSE-KMS)`,
    });
  };

  if (request.service === 'S3') {
    const bucket = String(input.Bucket);
    switch (request.operation) {
      case 'PutObject':
      case 'CreateMultipartUpload':
        s3('s3:PutObject', s3Object(bucket, input.Key));
        kms('kms:GenerateDataKey', bucket);
        break;
      case 'UploadPart':
      case 'CompleteMultipartUpload':
        s3('s3:PutObject', s3Object(bucket, input.Key));
        kms('kms:GenerateDataKey', bucket);
        kms('kms:Decrypt', bucket);
        break;
      case 'AbortMultipartUpload':
        s3('s3:AbortMultipartUpload', s3Object(bucket, input.Key));
        break;
      case 'GetObject':
        s3('s3:GetObject', s3Object(bucket, input.Key));
        kms('kms:Decrypt', bucket);
        break;
      case 'HeadObject':
        s3('s3:GetObject', s3Object(bucket, input.Key));
        break;
      case 'ListObjectsV2':
      case 'ListObjects':
        s3('s3:ListBucket', s3Bucket(bucket), input.Prefix === undefined ? {} : { 's3:prefix': String(input.Prefix) });
        break;
      case 'DeleteObject':
        s3('s3:DeleteObject', s3Object(bucket, input.Key));
        break;
      case 'DeleteObjects':
        for (const object of (input.Delete as { Objects?: { Key: string }[] } | undefined)?.Objects ?? []) {
          s3('s3:DeleteObject', s3Object(bucket, object.Key));
        }
        break;
      case 'CopyObject': {
        const source = decodeURIComponent(String(input.CopySource)).replace(/^\//, '');
        const slash = source.indexOf('/');
        const sourceBucket = source.slice(0, slash);
        s3('s3:GetObject', s3Object(sourceBucket, source.slice(slash + 1)));
        kms('kms:Decrypt', sourceBucket);
        s3('s3:PutObject', s3Object(bucket, input.Key));
        kms('kms:GenerateDataKey', bucket);
        break;
      }
      default:
        throw new UnmappedRequestError(request);
    }
    // A GET or HEAD that may find nothing: S3 answers 404 only to a caller allowed to list.
    const mayBeMissing =
      request.operation === 'HeadObject' || (request.operation === 'GetObject' && request.error !== undefined);
    if (mayBeMissing) {
      out.push({
        ...base,
        action: 's3:ListBucket',
        resource: s3Bucket(bucket),
        context: secure,
        because: `${because} of a key that may be missing (404, not 403)`,
      });
    }
    return out;
  }

  if (request.service === 'Athena') return athenaRequestsFor(request, facts, region, roleArn);
  if (request.service === 'Glue') return glueRequestsFor(request, facts, region, roleArn);

  if (request.service === 'Firehose' && (request.operation === 'PutRecordBatch' || request.operation === 'PutRecord')) {
    return [
      {
        ...base,
        action: `firehose:${request.operation}`,
        resource: `arn:aws:firehose:${region}:${ACCOUNT_ID}:deliverystream/${String(input.DeliveryStreamName)}`,
        context: secure,
      },
    ];
  }

  if (request.service === 'Kinesis' && (request.operation === 'PutRecords' || request.operation === 'PutRecord')) {
    const stream = String(
      input.StreamARN ?? `arn:aws:kinesis:${region}:${ACCOUNT_ID}:stream/${String(input.StreamName)}`,
    );
    const key = facts.streamKeys.get(stream);
    return [
      { ...base, action: `kinesis:${request.operation}`, resource: stream, context: secure },
      // Kinesis encrypts each record with the producer's permission, the stream's ARN as context.
      ...(key
        ? [
            {
              ...base,
              action: 'kms:GenerateDataKey',
              resource: key,
              context: {
                ...secure,
                'kms:ViaService': `kinesis.${region}.amazonaws.com`,
                'kms:CallerAccount': ACCOUNT_ID,
                'kms:EncryptionContext:aws:kinesis:arn': stream,
              },
              because: `${because} (stream encrypted with KMS)`,
            },
          ]
        : []),
    ];
  }

  if (request.service === 'Secrets Manager' && request.operation === 'GetSecretValue') {
    const secret = String(input.SecretId);
    const key = facts.secretKeys.get(secret);
    const tags = Object.entries(facts.secretTags.get(secret) ?? {}).map(([tag, value]) => [
      `aws:ResourceTag/${tag}`,
      value,
    ]);
    return [
      {
        ...base,
        action: 'secretsmanager:GetSecretValue',
        resource: secret,
        context: { ...secure, ...Object.fromEntries(tags) },
      },
      ...(key
        ? [
            {
              ...base,
              action: 'kms:Decrypt',
              resource: key,
              context: {
                ...secure,
                'kms:ViaService': `secretsmanager.${region}.amazonaws.com`,
                'kms:CallerAccount': ACCOUNT_ID,
                'kms:EncryptionContext:SecretARN': secret,
              },
              because: `${because} (secret encrypted with KMS)`,
            },
          ]
        : []),
    ];
  }

  throw new UnmappedRequestError(request);
}
