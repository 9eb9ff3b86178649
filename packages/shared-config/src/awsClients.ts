/**
 * Options for AWS SDK v3 clients, derived from configuration. Plain objects only: building the
 * clients (I/O) is the adapters' job.
 */

/** What an S3 client needs to know about where it talks. */
export interface S3Endpoint {
  AWS_REGION: string;
  /** An S3-compatible server (the local S3 API server); unset on AWS. */
  S3_ENDPOINT?: string | undefined;
}

/** Constructor options for `new S3Client(…)`, compatible with AWS and the local S3 API server. */
export interface S3ClientOptions {
  region: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  requestChecksumCalculation: 'WHEN_REQUIRED';
  responseChecksumValidation: 'WHEN_REQUIRED';
}

/**
 * S3 client options. Checksums are computed only when an operation requires them: flexible
 * checksums on streamed uploads use aws-chunked framing, which S3-compatible servers such as
 * s3rver store verbatim (silently corrupting the object).
 */
export function s3ClientOptions(endpoint: S3Endpoint): S3ClientOptions {
  return {
    region: endpoint.AWS_REGION,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(endpoint.S3_ENDPOINT ? { endpoint: endpoint.S3_ENDPOINT, forcePathStyle: true } : {}),
  };
}
