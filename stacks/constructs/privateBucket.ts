import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import {
  S3BucketLifecycleConfiguration,
  type S3BucketLifecycleConfigurationRule,
} from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import {
  S3BucketServerSideEncryptionConfigurationA,
  type S3BucketServerSideEncryptionConfigurationRuleA,
} from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning/index.js';
import type { Construct } from 'constructs';

/** What differs between the project's private buckets. */
export interface PrivateBucketProps {
  bucketName: string;
  encryption: S3BucketServerSideEncryptionConfigurationRuleA;
  /** Bucket-policy statements besides the TLS-only deny every bucket has. */
  policyStatements?: DataAwsIamPolicyDocumentStatement[];
  lifecycleRules: S3BucketLifecycleConfigurationRule[];
  forceDestroy?: boolean;
}

/**
 * The resources every bucket of the project has, added to `scope` (so their addresses are the
 * scope's own): the bucket, versioned, all public access blocked, objects owned by the bucket
 * owner (ACLs disabled), default encryption, a bucket policy that refuses plain HTTP, and a
 * lifecycle.
 */
export function addPrivateBucket(scope: Construct, props: PrivateBucketProps): S3Bucket {
  const bucket = new S3Bucket(scope, 'bucket', { bucket: props.bucketName, forceDestroy: props.forceDestroy ?? false });
  new S3BucketPublicAccessBlock(scope, 'public-access', {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new S3BucketOwnershipControls(scope, 'ownership', {
    bucket: bucket.id,
    rule: { objectOwnership: 'BucketOwnerEnforced' },
  });
  new S3BucketVersioningA(scope, 'versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } });
  new S3BucketServerSideEncryptionConfigurationA(scope, 'encryption', { bucket: bucket.id, rule: [props.encryption] });
  const policy = new DataAwsIamPolicyDocument(scope, 'tls-only', {
    statement: [
      ...(props.policyStatements ?? []),
      {
        sid: 'DenyInsecureTransport',
        effect: 'Deny',
        actions: ['s3:*'],
        principals: [{ type: '*', identifiers: ['*'] }],
        resources: [bucket.arn, `${bucket.arn}/*`],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      },
    ],
  });
  new S3BucketPolicy(scope, 'policy', { bucket: bucket.id, policy: policy.json });
  new S3BucketLifecycleConfiguration(scope, 'lifecycle', { bucket: bucket.id, rule: props.lifecycleRules });
  return bucket;
}
