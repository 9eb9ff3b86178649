import { ErrorKind, FIREHOSE_LIMITS, InsightFlowError, type InsightFlowErrorOptions } from '@insightflow/shared-config';

/** Base error of the stream publisher. */
export class PublishError extends InsightFlowError {
  public constructor(message: string, options: InsightFlowErrorOptions = {}) {
    super(message, options);
    this.name = 'PublishError';
  }
}

/** Some entries were still refused after every attempt. */
export class UndeliveredEventsError extends PublishError {
  public constructor(
    public readonly undelivered: number,
    public readonly total: number,
    attempts: number,
    errorCodes: Record<string, number>,
  ) {
    const codes = Object.entries(errorCodes)
      .map(([code, n]) => `${code} ×${n}`)
      .join(', ');
    super(
      `${undelivered} of ${total} events were not delivered after ${attempts} attempts (last errors: ${codes}). ` +
        'The delivery stream is throttling or failing: check its metrics, then publish again (new order ids are used).',
      { kind: ErrorKind.retryable },
    );
    this.name = 'UndeliveredEventsError';
  }
}

/** One event is bigger than Firehose accepts. */
export class OversizedRecordError extends PublishError {
  public constructor(orderId: number, bytes: number) {
    super(
      `Order event ${orderId} is ${bytes} bytes; Firehose accepts at most ${FIREHOSE_LIMITS.bytesPerRecord.toLocaleString('en')} bytes per record.`,
    );
    this.name = 'OversizedRecordError';
  }
}
