/**
 * What IAM authorises for the clean layer's Athena and Glue calls. Athena runs every query with
 * the caller's credentials (a forwarded session, `aws:CalledVia` athena.amazonaws.com): the Glue
 * reads and writes of its DDL, the S3 reads of the tables a query scans, the writes of an UNLOAD
 * and of the query's results, and the KMS calls S3 and Glue make for those, are requests the
 * function's own role must be allowed. They are read from the SQL the function sent: the tables
 * it names (their locations from the CREATE statements recorded and the declared tables), the
 * UNLOAD's target, and the workgroup's result location.
 *
 * The Data Catalog requests per statement follow the Athena user guide's policies for each DDL
 * statement ("Configure access to databases and tables in the AWS Glue Data Catalog"): an action
 * on a table is authorised on the table, its database and the catalog; every query also needs
 * `GetDatabase`/`CreateDatabase` on the `default` database; and with an encrypted catalog every
 * policy used with Athena needs `kms:GenerateDataKey`, `kms:Decrypt` and `kms:Encrypt` on the
 * catalog's key ("Configure access from Athena to encrypted metadata in the AWS Glue Data Catalog").
 */
import { InsightFlowError } from '@insightflow/shared-config';
import type { RecordedRequest } from './awsRequestRecorder.js';
import { ACCOUNT_ID } from './deployedApp.js';
import type { CatalogTable, DeploymentFacts, IamRequest } from './iamRequest.js';

export type { CatalogTable } from './iamRequest.js';

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

/** The KMS actions any client of an encrypted Data Catalog needs on its key (Glue and Athena guides). */
export const CATALOG_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt'] as const;

/** Glue operations on a database alone; every other one names a table too. */
const DATABASE_OPERATIONS = new Set(['GetDatabase', 'GetTables']);
/** IAM actions authorised on a database and the catalog, never on a table. */
const DATABASE_ACTIONS = new Set(['glue:GetDatabase', 'glue:CreateDatabase']);

/** `db.table`, `"db"."table"` or `` `db`.`table` ``; the database is optional. */
const TABLE_REFERENCE = /(?:[`"]?([a-z0-9_]+)[`"]?\s*\.\s*)?[`"]?([a-z0-9_]+)[`"]?/i.source;
const CREATE_TABLE = new RegExp(
  `^\\s*CREATE\\s+EXTERNAL\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${TABLE_REFERENCE}`,
  'i',
);
const DROP_TABLE = new RegExp(`^\\s*DROP\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?${TABLE_REFERENCE}`, 'i');

/** The lower-case `database.table` of a parsed reference (the query's database when unqualified). */
function tableId(match: RegExpExecArray, offset: number, database: string | undefined): string {
  return `${(match[offset] ?? database ?? '').toLowerCase()}.${String(match[offset + 1]).toLowerCase()}`;
}

/** `s3://bucket/prefix` → its bucket and prefix. */
function s3Location(url: string): { bucket: string; prefix: string } {
  const [bucket = '', ...rest] = url.replace(/^s3:\/\//, '').split('/');
  return { bucket, prefix: rest.join('/') };
}

const contextDatabase = (request: RecordedRequest) =>
  (request.input.QueryExecutionContext as { Database?: string } | undefined)?.Database;

/** Every `CREATE EXTERNAL TABLE … LOCATION '…'` in the recorded queries: `database.table` → the table. */
export function createdTables(requests: RecordedRequest[]): Map<string, CatalogTable> {
  const tables = new Map<string, CatalogTable>();
  for (const request of requests) {
    if (request.service !== 'Athena' || request.operation !== 'StartQueryExecution') continue;
    const sql = String(request.input.QueryString);
    const match = CREATE_TABLE.exec(sql);
    const location = /\bLOCATION\s+'([^']+)'/i.exec(sql)?.[1];
    if (match && location) {
      tables.set(tableId(match, 1, contextDatabase(request)), {
        location,
        gluePartitions: /\bPARTITIONED\s+BY\b/i.test(sql) && !/'projection\.enabled'\s*=\s*'true'/i.test(sql),
      });
    }
  }
  return tables;
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
  /** `actions` on a table (catalog, database and table; a database action on its database) or a database. */
  const glue = (actions: string[], tableOrDatabase: string, what: string) => {
    for (const action of actions) {
      const on = DATABASE_ACTIONS.has(action) ? (tableOrDatabase.split('.')[0] as string) : tableOrDatabase;
      for (const resource of catalogResources(region, on))
        out.push({ principal: roleArn, action, resource, context: onBehalf, because: why(what) });
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
  const database = contextDatabase(request);
  const unload = /^\s*UNLOAD\s*\(/i.test(sql);
  // Every query: the default database (Athena's mandatory policy), the query's own database, and
  // the encrypted catalog's key.
  glue(['glue:GetDatabase', 'glue:CreateDatabase'], 'default', 'opens the catalog');
  if (database) glue(['glue:GetDatabase'], database, `opens ${database}`);
  if (facts.catalogKey) {
    for (const action of CATALOG_KEY_ACTIONS) {
      out.push({
        principal: roleArn,
        action,
        resource: facts.catalogKey,
        context: { ...onBehalf, ...glueKmsContext(region) },
        because: why('uses the encrypted Data Catalog'),
      });
    }
  }
  if (resultObject) {
    const { bucket, prefix } = resultObject;
    s3('s3:GetBucketLocation', `arn:aws:s3:::${bucket}`, 'writes the results');
    // An UNLOAD's manifest of the files it wrote goes beside its results (`<id>-manifest.csv`).
    const keys = [prefix, `${prefix}.metadata`, ...(unload ? [prefix.replace(/\.csv$/, '-manifest.csv')] : [])];
    for (const key of keys) {
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
      const known = facts.tables.get(table);
      if (!known) continue;
      glue(
        ['glue:GetDatabase', 'glue:GetTable', ...(known.gluePartitions ? ['glue:GetPartitions'] : [])],
        table,
        `reads ${table}`,
      );
      const { bucket, prefix } = s3Location(known.location);
      s3('s3:GetBucketLocation', `arn:aws:s3:::${bucket}`, `reads ${table}`);
      s3('s3:ListBucket', `arn:aws:s3:::${bucket}`, `reads ${table}`, { 's3:prefix': prefix });
      s3('s3:GetObject', `arn:aws:s3:::${bucket}/${prefix}part-00000`, `reads ${table}`);
      kmsFor('kms:Decrypt', bucket, `reads ${table}`);
    }
  };

  const create = CREATE_TABLE.exec(sql);
  const drop = DROP_TABLE.exec(sql);
  if (create) {
    const table = tableId(create, 1, database);
    // Athena looks the table up before it creates it (IF NOT EXISTS or not).
    glue(['glue:GetDatabase', 'glue:GetTable', 'glue:CreateTable'], table, `creates ${table}`);
  } else if (drop) {
    const table = tableId(drop, 1, database);
    const partitions = facts.tables.get(table)?.gluePartitions
      ? ['glue:GetPartitions', 'glue:GetPartition', 'glue:DeletePartition']
      : [];
    glue(['glue:GetDatabase', 'glue:GetTable', 'glue:DeleteTable', ...partitions], table, `drops ${table}`);
  } else if (unload) {
    const target = /\)\s*TO\s+'(s3:\/\/[^']+)'/i.exec(sql)?.[1];
    if (!target) throw new UnmappedQueryError(roleArn, sql);
    reads(sql);
    const { bucket, prefix } = s3Location(target);
    // A partitioned UNLOAD writes each partition's files under `<column>=<value>/`.
    const partitionedBy = /partitioned_by\s*=\s*ARRAY\[([^\]]*)\]/i.exec(sql)?.[1];
    const folder = (partitionedBy?.match(/'([^']+)'/g) ?? []).map((c) => `${c.replaceAll("'", '')}=x/`).join('');
    const file = `${prefix}${folder}part-00000.parquet`;
    // UNLOAD refuses a target that holds objects: it lists it first.
    s3('s3:GetBucketLocation', `arn:aws:s3:::${bucket}`, 'UNLOAD writes');
    s3('s3:ListBucket', `arn:aws:s3:::${bucket}`, 'UNLOAD checks its target is empty', { 's3:prefix': prefix });
    s3('s3:PutObject', `arn:aws:s3:::${bucket}/${file}`, 'UNLOAD writes');
    s3('s3:AbortMultipartUpload', `arn:aws:s3:::${bucket}/${file}`, 'UNLOAD writes');
    kmsFor('kms:GenerateDataKey', bucket, 'UNLOAD writes');
  } else if (/^\s*(SELECT|WITH)\b/i.test(sql)) {
    reads(sql);
  } else {
    throw new UnmappedQueryError(roleArn, sql);
  }
  return out;
}

/** The catalog, database and (for `database.table`) table ARNs an action on that resource is authorised on. */
function catalogResources(region: string, tableOrDatabase: string): string[] {
  const [database = '', table] = tableOrDatabase.split('.');
  return [
    `arn:aws:glue:${region}:${ACCOUNT_ID}:catalog`,
    `arn:aws:glue:${region}:${ACCOUNT_ID}:database/${database}`,
    ...(table ? [`arn:aws:glue:${region}:${ACCOUNT_ID}:table/${database}/${table}`] : []),
  ];
}

/** The context of a KMS request Glue makes for the encrypted catalog (the key's aliases are added by `decide`). */
function glueKmsContext(region: string): Record<string, string> {
  return { 'kms:ViaService': `glue.${region}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT_ID };
}

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
  const resources = catalogResources(
    region,
    DATABASE_OPERATIONS.has(request.operation) ? database : `${database}.${table}`,
  );
  const out: IamRequest[] = resources.map((resource) => ({
    principal: roleArn,
    action: `glue:${request.operation}`,
    resource,
    context,
    because,
  }));
  // "Any client that accesses or writes to an encrypted catalog" needs all three (Glue guide).
  if (facts.catalogKey) {
    for (const action of CATALOG_KEY_ACTIONS) {
      out.push({
        principal: roleArn,
        action,
        resource: facts.catalogKey,
        context: { ...context, ...glueKmsContext(region) },
        because: `${because} (encrypted Data Catalog)`,
      });
    }
  }
  return out;
}
