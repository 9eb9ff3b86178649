import type { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import type { S3BucketLifecycleConfigurationRule } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketLoggingA } from '@cdktf/provider-aws/lib/s3-bucket-logging/index.js';
import { Construct } from 'constructs';
import { addPrivateBucket } from './privateBucket.js';

/** Props of {@link EncryptedBucket}. */
export interface EncryptedBucketProps {
  bucketName: string;
  kmsKeyArn: string;
  /** Rules added to the default ones (expire noncurrent versions, abort stale uploads). */
  lifecycleRules?: S3BucketLifecycleConfigurationRule[];
  forceDestroy?: boolean;
  /** Where the bucket's server access logs go: the access-log bucket's name and a key prefix. */
  accessLogs?: { targetBucket: string; targetPrefix: string };
}

/**
 * A private data bucket ({@link addPrivateBucket}) encrypted with SSE-KMS and a bucket key, whose
 * lifecycle expires noncurrent versions, removes the delete markers left with no version behind
 * them and aborts abandoned multipart uploads; server access logs to `accessLogs` when given.
 */
export class EncryptedBucket extends Construct {
  public readonly bucket: S3Bucket;

  public constructor(scope: Construct, id: string, props: EncryptedBucketProps) {
    super(scope, id);
    this.bucket = addPrivateBucket(this, {
      bucketName: props.bucketName,
      forceDestroy: props.forceDestroy ?? false,
      encryption: {
        applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.kmsKeyArn },
        bucketKeyEnabled: true,
      },
      lifecycleRules: [
        {
          id: 'expire-noncurrent-versions',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          noncurrentVersionExpiration: [{ noncurrentDays: 30 }],
          // A delete marker whose versions have all expired holds nothing: remove it too.
          expiration: [{ expiredObjectDeleteMarker: true }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
        ...(props.lifecycleRules ?? []),
      ],
    });
    if (props.accessLogs) {
      new S3BucketLoggingA(this, 'logging', {
        bucket: this.bucket.id,
        targetBucket: props.accessLogs.targetBucket,
        targetPrefix: props.accessLogs.targetPrefix,
      });
    }
  }
}
