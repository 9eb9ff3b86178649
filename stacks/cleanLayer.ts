import { AthenaWorkgroup } from '@cdktf/provider-aws/lib/athena-workgroup/index.js';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database/index.js';
import {
  GlueCatalogTable,
  type GlueCatalogTablePartitionKeys,
  type GlueCatalogTableStorageDescriptorColumns,
} from '@cdktf/provider-aws/lib/glue-catalog-table/index.js';
import {
  ATHENA_RESULTS_PREFIX,
  CLEAN_PROVENANCE_COLUMNS,
  CLEAN_TABLES_PREFIX,
  CleanLayerConfigSchema,
  DATA_PREFIX,
  sqlType,
  type TableSpec,
} from '@insightflow/shared-config';
import type { Construct } from 'constructs';
import { NodeLambda } from './constructs/nodeLambda.js';
import { viaService } from './constructs/serviceRole.js';
import { catalogKeyUse } from './deployAccess.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';
import type { S3BucketsStack } from './s3Buckets.js';

/** Props of {@link CleanLayerStack}. */
export interface CleanLayerStackProps extends InsightFlowStackProps {
  storage: S3BucketsStack;
  /** The most one query of the workgroup may scan before Athena cancels it (at least 10 MB). */
  bytesScannedCutoffPerQuery?: number;
}

/**
 * The version a declared table points at until the clean function first publishes one: no object
 * is ever written there, so the table reads as empty instead of reading every version at once.
 */
export const UNPUBLISHED_VERSION = '0';
/** The default scan limit per query: 10 GiB, over ten times the demo's largest raw table. */
export const DEFAULT_BYTES_SCANNED_CUTOFF = 10 * 1024 ** 3;

/**
 * The columns the clean function adds to every clean table (after the catalog's), as Glue spells
 * them: the clean layout's provenance columns (`CLEAN_PROVENANCE_COLUMNS`, shared-config).
 */
export const PROVENANCE_COLUMNS = CLEAN_PROVENANCE_COLUMNS.map((c) => ({
  name: c.name,
  type: sqlType(c, 'glue'),
  comment: c.description,
}));

/** Hive's Parquet SerDe and formats: what Athena reads the Parquet that its UNLOAD writes with. */
export const PARQUET_STORAGE = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
} as const;

/** The value Hive (and Athena's UNLOAD) writes for a NULL partition value. */
const HIVE_NULL_PARTITION = '__HIVE_DEFAULT_PARTITION__';
const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint']);

/** The catalog's `partitionBy` of a table; none when the field is absent. */
export function partitionColumns(table: TableSpec): string[] {
  return [...(table.partitionBy ?? [])];
}

/**
 * Athena partition projection for one partition column, from the catalog:
 * - `enum` over the column's `allowed` values (plus Hive's NULL partition for a nullable column):
 *   every query sees every partition, and Athena prunes on a filter;
 * - `integer` over `min`..`max` for an integer column bounded both ways;
 * - otherwise `injected`: the values are unbounded, so a query must name the partition
 *   (`WHERE col = …`) — Athena refuses a scan of every partition of such a table.
 * Projection, not Glue partitions: the function publishes a new version with one UpdateTable
 * (its `storage.location.template`), instead of re-registering every partition.
 */
export function projectionParameters(table: TableSpec, column: string): Record<string, string> {
  const spec = table.columns.find((c) => c.name === column);
  if (!spec) {
    throw new Error(
      `Table ${table.name} is partitioned by ${column}, which is not one of its columns (${table.columns.map((c) => c.name).join(', ')}); fix partitionBy in the catalog.`,
    );
  }
  const key = `projection.${column}`;
  if (spec.allowed) {
    const values = spec.nullable ? [...spec.allowed, HIVE_NULL_PARTITION] : [...spec.allowed];
    return { [`${key}.type`]: 'enum', [`${key}.values`]: values.join(',') };
  }
  if (INTEGER_TYPES.has(spec.type) && spec.min !== undefined && spec.max !== undefined && !spec.nullable) {
    return { [`${key}.type`]: 'integer', [`${key}.range`]: `${spec.min},${spec.max}` };
  }
  return { [`${key}.type`]: 'injected' };
}

/**
 * `clean-layer`: the clean (silver) layer on AWS. A Glue database of clean tables declared from
 * the catalog (Parquet, partitioned by the catalog's `partitionBy` with partition projection; not
 * crawled), a scratch database where the clean function creates and drops its temporary tables
 * over raw inputs, an Athena workgroup of its own (results encrypted with the project key in the
 * clean bucket's `athena-results/`, settings enforced, a scan limit per query), and the
 * clean-layer Lambda that runs the transformation as Athena queries, with a role scoped to exactly
 * these databases, tables, prefixes, workgroup and key.
 */
export class CleanLayerStack extends InsightFlowStack {
  public readonly database: GlueCatalogDatabase;
  public readonly scratchDatabase: GlueCatalogDatabase;
  public readonly tables: GlueCatalogTable[];
  public readonly workgroup: AthenaWorkgroup;
  public readonly clean: NodeLambda;

  public constructor(scope: Construct, id: string, props: CleanLayerStackProps) {
    super(scope, id, props);
    const { settings, storage, catalog } = props;
    const raw = storage.raw.bucket;
    const cleanBucket = storage.clean.bucket;
    const { region } = settings;
    const account = storage.accountId;

    this.database = new GlueCatalogDatabase(this, 'database', {
      name: `insightflow_${settings.env}_clean`,
      description:
        'InsightFlow clean (silver) tables: Parquet, declared from the catalog, built by the clean-layer function.',
    });
    this.scratchDatabase = new GlueCatalogDatabase(this, 'scratch-database', {
      name: `insightflow_${settings.env}_clean_scratch`,
      description: 'Temporary tables over raw inputs that the clean-layer function creates and drops during a build.',
    });

    const tableLocation = (table: string) =>
      `s3://${cleanBucket.bucket}/${CLEAN_TABLES_PREFIX}${table}/v=${UNPUBLISHED_VERSION}/`;
    this.tables = catalog.tables.map((table) => {
      const partitionBy = partitionColumns(table);
      const columns: GlueCatalogTableStorageDescriptorColumns[] = [
        ...table.columns
          .filter((c) => !partitionBy.includes(c.name))
          .map((c) => ({
            name: c.name,
            type: sqlType(c, 'glue'),
            ...(c.description ? { comment: c.description } : {}),
          })),
        ...PROVENANCE_COLUMNS.map((c) => ({ ...c })),
      ];
      const partitionKeys: GlueCatalogTablePartitionKeys[] = partitionBy.map((name) => {
        const column = table.columns.find((c) => c.name === name);
        return { name, type: column ? sqlType(column, 'glue') : 'string' };
      });
      const projection =
        partitionBy.length === 0
          ? {}
          : {
              'projection.enabled': 'true',
              ...Object.assign({}, ...partitionBy.map((c) => projectionParameters(table, c))),
              // `$${…}` is Terraform's escape for a literal `${…}`: Athena fills in the partition value.
              'storage.location.template': `${tableLocation(table.name)}${partitionBy.map((c) => `${c}=$\${${c}}`).join('/')}/`,
            };
      return new GlueCatalogTable(this, `table-${table.name}`, {
        databaseName: this.database.name,
        name: table.name,
        ...(table.description ? { description: table.description } : {}),
        tableType: 'EXTERNAL_TABLE',
        parameters: { EXTERNAL: 'TRUE', classification: 'parquet', ...projection },
        partitionKeys,
        storageDescriptor: {
          location: tableLocation(table.name),
          inputFormat: PARQUET_STORAGE.inputFormat,
          outputFormat: PARQUET_STORAGE.outputFormat,
          serDeInfo: {
            name: 'parquet',
            serializationLibrary: PARQUET_STORAGE.serializationLibrary,
            parameters: { 'serialization.format': '1' },
          },
          columns,
        },
        // The clean function publishes each new version with one glue:UpdateTable that moves the
        // table's location (and, when partitioned, its projection's location template) to the new
        // version: Terraform must not move it back to the unpublished version on the next apply.
        lifecycle: {
          ignoreChanges: ['storage_descriptor[0].location', 'parameters["storage.location.template"]'],
        },
      });
    });

    this.workgroup = new AthenaWorkgroup(this, 'workgroup', {
      name: this.name('clean'),
      description: 'InsightFlow clean layer: the clean-layer function builds the clean tables here.',
      state: 'ENABLED',
      // Destroying the workgroup must not silently drop its saved queries and history.
      forceDestroy: false,
      configuration: {
        // Queries cannot pick another result location or turn encryption off.
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery ?? DEFAULT_BYTES_SCANNED_CUTOFF,
        engineVersion: { selectedEngineVersion: 'AUTO' },
        resultConfiguration: {
          outputLocation: `s3://${cleanBucket.bucket}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: storage.key.arn },
        },
      },
    });

    const glueArn = (resource: string) => `arn:aws:glue:${region}:${account}:${resource}`;
    const catalogArn = glueArn('catalog');
    const cleanTableArns = catalog.tableNames().map((t) => glueArn(`table/${this.database.name}/${t}`));
    this.clean = new NodeLambda(this, 'clean-layer', {
      packageName: 'clean-layer',
      functionName: this.name('clean-layer'),
      memorySize: 512,
      timeout: 900,
      ...storage.functionDefaults(),
      configSchema: CleanLayerConfigSchema,
      environment: {
        RAW_BUCKET: raw.bucket,
        CLEAN_BUCKET: cleanBucket.bucket,
        ATHENA_WORKGROUP: this.workgroup.name,
        CLEAN_DATABASE: this.database.name,
        CLEAN_SCRATCH_DATABASE: this.scratchDatabase.name,
        INSIGHTFLOW_ENV: settings.env,
      },
      // Athena runs each query with the caller's credentials: what its queries read and write
      // (raw inputs, the new version, the results, the catalog) the function itself must be allowed.
      statements: [
        {
          actions: [
            'athena:StartQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:StopQueryExecution',
          ],
          resources: [`arn:aws:athena:${region}:${account}:workgroup/${this.workgroup.name}`],
        },
        {
          // Athena opens the catalog through the `default` database for every query (its user
          // guide's mandatory policy for the Data Catalog, per Region).
          actions: ['glue:GetDatabase', 'glue:CreateDatabase'],
          resources: [catalogArn, glueArn('database/default')],
        },
        {
          // The scratch tables over raw inputs: created, read and dropped by the function's queries.
          actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:CreateTable', 'glue:DeleteTable'],
          resources: [
            catalogArn,
            glueArn(`database/${this.scratchDatabase.name}`),
            glueArn(`table/${this.scratchDatabase.name}/*`),
          ],
        },
        {
          // The declared clean tables: read, and published with one UpdateTable per build.
          actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions', 'glue:UpdateTable'],
          resources: [catalogArn, glueArn(`database/${this.database.name}`), ...cleanTableArns],
        },
        { actions: ['s3:GetObject'], resources: [`${raw.arn}/${DATA_PREFIX}*`] },
        {
          actions: ['s3:ListBucket'],
          resources: [raw.arn],
          conditions: [{ test: 'StringLike', variable: 's3:prefix', values: [`${DATA_PREFIX}*`] }],
        },
        {
          actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
          resources: [`${cleanBucket.arn}/${CLEAN_TABLES_PREFIX}*`],
        },
        {
          actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
          resources: [`${cleanBucket.arn}/${ATHENA_RESULTS_PREFIX}*`],
        },
        // Unconditioned: the first build's GET of a table's _current.json must answer 404, and S3
        // answers 404 instead of 403 only to a caller allowed to list the bucket.
        { actions: ['s3:ListBucket'], resources: [cleanBucket.arn] },
        { actions: ['s3:GetBucketLocation'], resources: [raw.arn, cleanBucket.arn] },
        // The project key encrypts both buckets and the query results.
        {
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [storage.key.arn],
          conditions: [viaService(region, 's3')],
        },
        // Every policy used with Athena over an encrypted Data Catalog needs all three on its key
        // (the account stack's, found by its alias).
        catalogKeyUse(region, account, ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt']),
      ],
    });
  }
}
