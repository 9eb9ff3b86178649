import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { firehoseEvent, firehoseRecord, orderEvent } from '../helpers/firehoseEvents.js';

describe('Lambda handler: stream-transformer', () => {
  let handler: (event: unknown) => Promise<{ records: { recordId: string; result: string }[] }>;
  beforeAll(async () => {
    vi.stubEnv('STREAM_NAME', 'orders');
    ({ handler } = await import('../../src/handler.js'));
  });
  afterAll(() => {
    vi.unstubAllEnvs();
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

  it('fails, naming the catalog streams, when STREAM_NAME is not one of them', async () => {
    vi.resetModules();
    vi.stubEnv('STREAM_NAME', 'shipment_updates');
    const fresh = (await import('../../src/handler.js')) as { handler: typeof handler };
    await expect(fresh.handler(firehoseEvent([firehoseRecord(1, orderEvent())]))).rejects.toThrow(
      /Unknown stream "shipment_updates".*orders/,
    );
    vi.stubEnv('STREAM_NAME', 'orders');
  });
});
