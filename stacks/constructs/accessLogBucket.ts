import type { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { Construct } from 'constructs';
import { addPrivateBucket } from './privateBucket.js';

/** Props of {@link AccessLogBucket}. */
export interface AccessLogBucketProps {
  bucketName: string;
  /** The account whose buckets deliver logs here (`aws:SourceAccount`). */
  accountId: string;
  /** Names of the buckets allowed to deliver their server access logs here (`aws:SourceArn`). */
  sourceBucketNames: string[];
  /** Days a log object is kept. */
  expirationDays: number;
}

/**
 * The target of S3 server access logging: a private bucket ({@link addPrivateBucket}) whose
 * policy lets S3 log delivery write, logs expired after `expirationDays`. Encrypted with SSE-S3
 * (AES256): S3 log delivery cannot write into a bucket whose default encryption is SSE-KMS.
 * With ACLs disabled, log delivery is granted by the bucket policy, not the log-delivery ACL.
 */
export class AccessLogBucket extends Construct {
  public readonly bucket: S3Bucket;

  public constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    super(scope, id);
    this.bucket = addPrivateBucket(this, {
      bucketName: props.bucketName,
      encryption: { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } },
      policyStatements: [
        {
          sid: 'S3ServerAccessLogDelivery',
          actions: ['s3:PutObject'],
          principals: [{ type: 'Service', identifiers: ['logging.s3.amazonaws.com'] }],
          resources: [`arn:aws:s3:::${props.bucketName}/*`],
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [props.accountId] },
            {
              test: 'ArnLike',
              variable: 'aws:SourceArn',
              values: props.sourceBucketNames.map((name) => `arn:aws:s3:::${name}`),
            },
          ],
        },
      ],
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          expiration: [{ days: props.expirationDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 7 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
        {
          // Expiring a log leaves a delete marker; once its version is gone too, so is the marker.
          // (S3 takes this action only in a rule without an expiration in days.)
          id: 'remove-expired-delete-markers',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          expiration: [{ expiredObjectDeleteMarker: true }],
        },
      ],
    });
  }
}
