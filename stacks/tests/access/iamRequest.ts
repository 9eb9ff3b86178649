/**
 * The shapes the access test judges: one authorisation IAM makes, and the facts of the deployment
 * that mapping needs. Apart from `iamRequests.ts`, which maps requests to them, so the per-service
 * mappings (`athenaRequests.ts`) and the mapping import these without importing each other.
 */

/** A catalog table a query may name: where its objects are, and whether Athena lists its partitions in Glue. */
export interface CatalogTable {
  /** `s3://bucket/prefix/`: the prefix a query scans. */
  location: string;
  /** Partition keys without partition projection: Athena reads the partitions from Glue (`GetPartitions`). */
  gluePartitions: boolean;
}

/** One authorisation IAM makes. */
export interface IamRequest {
  principal: string;
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
  /** Why this is checked: the SDK call, or the service edge, it comes from. */
  because: string;
}

/** What the mapping needs to know of the deployment: its KMS keys by what they encrypt, its workgroups and tables. */
export interface DeploymentFacts {
  /** Bucket name → ARN of its default SSE-KMS key. */
  bucketKeys: Map<string, string>;
  /** Secret ARN → ARN of its KMS key. */
  secretKeys: Map<string, string>;
  /** Kinesis data stream ARN → ARN of the KMS key its records are encrypted with. */
  streamKeys: Map<string, string>;
  /** Secret ARN → the tags the service that made it put on it (RDS tags its master secret with the instance). */
  secretTags: Map<string, Record<string, string>>;
  /** The key the Glue Data Catalog is encrypted with, when it is. */
  catalogKey?: string;
  /** Athena workgroup name → its enforced result location (`s3://…/`). */
  workgroups: Map<string, { outputLocation: string }>;
  /** `database.table` → the table: the declared Glue tables and the tables the recorded queries created. */
  tables: Map<string, CatalogTable>;
  /** Athena query id → the workgroup the recorded request started it in. */
  queryWorkgroups: Map<string, string>;
}
