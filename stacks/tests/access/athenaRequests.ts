/**
 * What IAM authorises for the clean layer's Athena and Glue calls. Athena runs every query with
 * the caller's credentials (a forwarded session, `aws:CalledVia` athena.amazonaws.com): the Glue
 * reads and writes of its DDL, the S3 reads of the tables a query scans, the writes of an UNLOAD
 * and of the query's results, and the KMS calls S3 and Glue make for those, are requests the
 * function's own role must be allowed. They are read from the SQL the function sent: the tables
 * it names (their locations from the CREATE statements recorded and the declared tables), the
 * UNLOAD's target, and the workgroup's result location.
 */
import { InsightFlowError } from '@insightflow/shared-config';
import type { RecordedRequest } from './awsRequestRecorder.js';
import { ACCOUNT_ID } from './deployedApp.js';
import type { DeploymentFacts, IamRequest } from './iamRequest.js';

/** A query whose statement the access test cannot model yet. */
export class UnmappedQueryError extends InsightFlowError {
  public constructor(principal: string, sql: string) {
    super(
      `${principal} started an Athena query the access test does not model: ${sql.slice(0, 120)}… Add its ` +
        'statement to athenaRequestsFor() in stacks/tests/access/athenaRequests.ts (what Athena reads and writes for it).',
    );
    this.name = 'UnmappedQueryError';
  }
}

/** `db.table`, `"db"."table"` or `` `db`.`table` ``; the database is optional. */
const TABLE_REFERENCE = /(?:[`"]?([a-z0-9_]+)[`"]?\s*\.\s*)?[`"]?([a-z0-9_]+)[`"]?/i.source;

/** The lower-case `database.table` of a parsed reference (the query's database when unqualified). */
function tableId(match: RegExpExecArray, offset: number, database: string | undefined): string {
  return `${(match[offset] ?? database ?? '').toLowerCase()}.${String(match[offset + 1]).toLowerCase()}`;
}

/** `s3://bucket/prefix` → its bucket and prefix. */
function s3Location(url: string): { bucket: string; prefix: string } {
  const [bucket = '', ...rest] = url.replace(/^s3:\/\//, '').split('/');
  return { bucket, prefix: rest.join('/') };
}

/** Every `CREATE EXTERNAL TABLE … LOCATION '…'` in the recorded queries: `database.table` → location. */
export function createdTableLocations(requests: RecordedRequest[]): Map<string, string> {
  const locations = new Map<string, string>();
  const create = new RegExp(`^\\s*CREATE\\s+EXTERNAL\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${TABLE_REFERENCE}`, 'i');
  for (const request of requests) {
    if (request.service !== 'Athena' || request.operation !== 'StartQueryExecution') continue;
    const sql = String(request.input.QueryString);
    const match = create.exec(sql);
    const location = /\bLOCATION\s+'([^']+)'/i.exec(sql)?.[1];
    const database = (request.input.QueryExecutionContext as { Database?: string } | undefined)?.Database;
    if (match && location) locations.set(tableId(match, 1, database), location);
  }
  return locations;
}

/** Maps one recorded Athena request to the authorisations it needs, Athena's own on the caller's behalf included. */
export function athenaRequestsFor(
  request: RecordedRequest,
  facts: DeploymentFacts,
  region: string,
  roleArn: string,
): IamRequest[] {
  const because = `${request.service}:${request.operation}`;
  const secure = { 'aws:SecureTransport': 'true', 'aws:PrincipalAccount': ACCOUNT_ID };
  const out: IamRequest[] = [];
  const workgroupArn = (name: string) => `arn:aws:athena:${region}:${ACCOUNT_ID}:workgroup/${name}`;
  const id = String(request.input.QueryExecutionId ?? request.output?.QueryExecutionId ?? '');
  const workgroup =
    request.operation === 'StartQueryExecution'
      ? String(request.input.WorkGroup ?? 'primary')
      : facts.queryWorkgroups.get(id);
  if (workgroup === undefined) throw new Error(`${because}: query ${id} was not started by a recorded request`);
  out.push({
    principal: roleArn,
    action: `athena:${request.operation}`,
    resource: workgroupArn(workgroup),
    context: secure,
    because,
  });

  // What Athena does with the caller's credentials.
  const onBehalf = {
    ...secure,
    'aws:CalledVia': ['athena.amazonaws.com'],
    'aws:CalledViaFirst': 'athena.amazonaws.com',
  };
  const why = (what: string) => `${because} (${what}: made by Athena with the function's credentials)`;
  const s3 = (action: string, resource: string, what: string, context: Record<string, string> = {}) =>
    out.push({ principal: roleArn, action, resource, context: { ...onBehalf, ...context }, because: why(what) });
  const kmsFor = (action: string, bucket: string, what: string) => {
    const key = facts.bucketKeys.get(bucket);
    if (!key) return;
    out.push({
      principal: roleArn,
      action,
      resource: key,
      context: {
        ...onBehalf,
        'kms:ViaService': `s3.${region}.amazonaws.com`,
        'kms:CallerAccount': ACCOUNT_ID,
        'kms:EncryptionContext:aws:s3:arn': `arn:aws:s3:::${bucket}`,
      },
      because: why(`${what}, SSE-KMS`),
    });
  };
  const glue = (action: string, tableOrDatabase: string, what: string) => {
    const [database = '', table] = tableOrDatabase.split('.');
    const resources = [
      `arn:aws:glue:${region}:${ACCOUNT_ID}:catalog`,
      `arn:aws:glue:${region}:${ACCOUNT_ID}:database/${database}`,
      ...(table ? [`arn:aws:glue:${region}:${ACCOUNT_ID}:table/${database}/${table}`] : []),
    ];
    for (const resource of resources)
      out.push({ principal: roleArn, action, resource, context: onBehalf, because: why(what) });
    if (facts.catalogKey) {
      out.push({
        principal: roleArn,
        action: action === 'glue:GetTable' || action === 'glue:GetDatabase' ? 'kms:Decrypt' : 'kms:GenerateDataKey',
        resource: facts.catalogKey,
        context: { ...onBehalf, 'kms:ViaService': `glue.${region}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT_ID },
        because: why(`${what}, encrypted Data Catalog`),
      });
    }
  };
  const results = facts.workgroups.get(workgroup)?.outputLocation;
  const resultObject = results ? s3Location(`${results}${id}.csv`) : undefined;

  if (request.operation === 'GetQueryResults' && resultObject) {
    s3('s3:GetObject', `arn:aws:s3:::${resultObject.bucket}/${resultObject.prefix}`, 'reads the results');
    kmsFor('kms:Decrypt', resultObject.bucket, 'reads the results');
  }
  if (request.operation !== 'StartQueryExecution') return out;

  const sql = String(request.input.QueryString);
  const database = (request.input.QueryExecutionContext as { Database?: string } | undefined)?.Database;
  if (resultObject) {
    const { bucket, prefix } = resultObject;
    s3('s3:GetBucketLocation', `arn:aws:s3:::${bucket}`, 'writes the results');
    for (const key of [prefix, `${prefix}.metadata`]) {
      s3('s3:PutObject', `arn:aws:s3:::${bucket}/${key}`, 'writes the results');
      s3('s3:AbortMultipartUpload', `arn:aws:s3:::${bucket}/${key}`, 'writes the results');
    }
    kmsFor('kms:GenerateDataKey', bucket, 'writes the results');
  }
  const reads = (statement: string) => {
    const reference = new RegExp(`\\b(?:FROM|JOIN)\\s+${TABLE_REFERENCE}`, 'gi');
    for (let match = reference.exec(statement); match; match = reference.exec(statement)) {
      const table = tableId(match, 1, database);
      // Only catalog tables the run declared or created: `FROM` also appears in EXTRACT(… FROM …).
      const location = facts.tableLocations.get(table);
      if (!location) continue;
      glue('glue:GetTable', table, `reads ${table}`);
      const { bucket, prefix } = s3Location(location);
      s3('s3:GetBucketLocation', `arn:aws:s3:::${bucket}`, `reads ${table}`);
      s3('s3:ListBucket', `arn:aws:s3:::${bucket}`, `reads ${table}`, { 's3:prefix': prefix });
      s3('s3:GetObject', `arn:aws:s3:::${bucket}/${prefix}part-00000`, `reads ${table}`);
      kmsFor('kms:Decrypt', bucket, `reads ${table}`);
    }
  };

  const create = new RegExp(
    `^\\s*CREATE\\s+EXTERNAL\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${TABLE_REFERENCE}`,
    'i',
  ).exec(sql);
  const drop = new RegExp(`^\\s*DROP\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?${TABLE_REFERENCE}`, 'i').exec(sql);
  if (create) {
    const table = tableId(create, 1, database);
    glue('glue:GetDatabase', table.split('.')[0] as string, `creates ${table}`);
    glue('glue:CreateTable', table, `creates ${table}`);
  } else if (drop) {
    const table = tableId(drop, 1, database);
    glue('glue:GetTable', table, `drops ${table}`);
    glue('glue:DeleteTable', table, `drops ${table}`);
  } else if (/^\s*UNLOAD\s*\(/i.test(sql)) {
    const target = /\)\s*TO\s+'(s3:\/\/[^']+)'/i.exec(sql)?.[1];
    if (!target) throw new UnmappedQueryError(roleArn, sql);
    reads(sql);
    const { bucket, prefix } = s3Location(target);
    // UNLOAD refuses a target that holds objects: it lists it first.
    s3('s3:GetBucketLocation', `arn:aws:s3:::${bucket}`, 'UNLOAD writes');
    s3('s3:ListBucket', `arn:aws:s3:::${bucket}`, 'UNLOAD checks its target is empty', { 's3:prefix': prefix });
    s3('s3:PutObject', `arn:aws:s3:::${bucket}/${prefix}part-00000.parquet`, 'UNLOAD writes');
    s3('s3:AbortMultipartUpload', `arn:aws:s3:::${bucket}/${prefix}part-00000.parquet`, 'UNLOAD writes');
    kmsFor('kms:GenerateDataKey', bucket, 'UNLOAD writes');
  } else if (/^\s*(SELECT|WITH)\b/i.test(sql)) {
    reads(sql);
  } else {
    throw new UnmappedQueryError(roleArn, sql);
  }
  return out;
}

/** Glue operations on a database alone; every other one names a table too. */
const DATABASE_OPERATIONS = new Set(['GetDatabase', 'GetTables']);
/** Glue operations that only read the (encrypted) catalog. */
const READ_OPERATIONS = new Set(['GetDatabase', 'GetTable', 'GetTables', 'GetPartitions', 'GetPartition']);

/** Maps one recorded Glue request to the authorisations it needs: catalog, database and table ARNs, and the catalog key. */
export function glueRequestsFor(
  request: RecordedRequest,
  facts: DeploymentFacts,
  region: string,
  roleArn: string,
): IamRequest[] {
  const because = `${request.service}:${request.operation}`;
  const context = { 'aws:SecureTransport': 'true', 'aws:PrincipalAccount': ACCOUNT_ID };
  const input = request.input;
  const database = String(input.DatabaseName ?? (request.operation === 'GetDatabase' ? input.Name : ''));
  const table = String((input.TableInput as { Name?: string } | undefined)?.Name ?? input.TableName ?? input.Name);
  const resources = [
    `arn:aws:glue:${region}:${ACCOUNT_ID}:catalog`,
    `arn:aws:glue:${region}:${ACCOUNT_ID}:database/${database}`,
    ...(DATABASE_OPERATIONS.has(request.operation)
      ? []
      : [`arn:aws:glue:${region}:${ACCOUNT_ID}:table/${database}/${table}`]),
  ];
  const out: IamRequest[] = resources.map((resource) => ({
    principal: roleArn,
    action: `glue:${request.operation}`,
    resource,
    context,
    because,
  }));
  if (facts.catalogKey) {
    out.push({
      principal: roleArn,
      action: READ_OPERATIONS.has(request.operation) ? 'kms:Decrypt' : 'kms:GenerateDataKey',
      resource: facts.catalogKey,
      context: { ...context, 'kms:ViaService': `glue.${region}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT_ID },
      because: `${because} (encrypted Data Catalog)`,
    });
  }
  return out;
}
