import { beforeAll, describe, expect, it } from 'vitest';
import { firehoseEvent, firehoseRecord, orderEvent } from '../helpers/firehoseEvents.js';

describe('Lambda handler: stream-transformer', () => {
  let handler: (event: unknown) => Promise<{ records: { recordId: string; result: string }[] }>;
  beforeAll(async () => {
    ({ handler } = await import('../../src/handler.js'));
  });

  it('answers a Firehose event with one result per record', async () => {
    const response = await handler(
      firehoseEvent([
        firehoseRecord(1, orderEvent()),
        firehoseRecord(2, 'nope', true),
        firehoseRecord(3, orderEvent()),
      ]),
    );
    expect(response.records.map((r) => r.result)).toEqual(['Ok', 'ProcessingFailed', 'Dropped']);
  });

  it('refuses something that is not a Firehose event', async () => {
    await expect(handler({ Records: [] })).rejects.toThrow(/Not a Firehose data-transformation event/);
  });
});
