import { ErrorKind, InsightFlowError, type InsightFlowErrorOptions } from '@insightflow/shared-config';

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
        'The stream is throttling or failing: check its metrics, then publish again (new order ids are used).',
      { kind: ErrorKind.retryable },
    );
    this.name = 'UndeliveredEventsError';
  }
}

/** One event is bigger than its stream accepts. */
export class OversizedRecordError extends PublishError {
  public constructor(orderId: number, bytes: number, service: string, limit: number) {
    super(
      `Order event ${orderId} is ${bytes} bytes; ${service} accepts at most ${limit.toLocaleString('en')} bytes per record.`,
    );
    this.name = 'OversizedRecordError';
  }
}
