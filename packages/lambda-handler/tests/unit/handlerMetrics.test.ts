import { METRICS_NAMESPACE } from '@insightflow/shared-config';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineHandler } from '../../src/index.js';

/** The EMF documents written to stdout while `work` runs (Powertools Metrics writes them there). */
async function emfDocuments(work: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  // The shared test setup silences Powertools Metrics; this test is about them.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await work();
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('handler metrics: one definition, the result the CLI prints with --json (EMF on stdout)', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('publishes the duration and each table figure with service, environment and table dimensions', async () => {
    vi.stubEnv('INSIGHTFLOW_ENV', 'prod');
    const handler = defineHandler(
      { name: 'probe', eventSchema: z.unknown() },
      () => ({ table: 'orders' }),
      async () => ({ tables: { orders: { rows: 12, rejected: 2 } } }),
      (result, { table }) => [
        { table, values: { rows: result.tables.orders.rows, rejected: result.tables.orders.rejected } },
      ],
    );
    const documents = await emfDocuments(() => handler({}));
    const perTable = documents.find((d) => d.table === 'orders');
    expect(perTable).toMatchObject({ service: 'probe', environment: 'prod', rows: 12, rejected: 2 });
    const directive = (
      perTable?._aws as {
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
      }
    ).CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe(METRICS_NAMESPACE);
    expect(directive?.Dimensions[0]).toEqual(expect.arrayContaining(['service', 'environment', 'table']));
    expect(directive?.Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'rows', Unit: 'Count' },
        { Name: 'rejected', Unit: 'Count' },
      ]),
    );
    const invocation = documents.find((d) => d.table === undefined);
    expect(invocation).toMatchObject({ service: 'probe', environment: 'prod' });
    expect(typeof invocation?.seconds).toBe('number');
  });

  it('publishes nothing for a failed invocation, and leaves out values that are not numbers', async () => {
    const failing = defineHandler(
      { name: 'probe', eventSchema: z.unknown() },
      () => undefined,
      async () => {
        throw new Error('boom');
      },
      () => [{ values: { rows: 1 } }],
    );
    expect(await emfDocuments(() => failing({}).catch(() => undefined))).toEqual([]);
    const partial = defineHandler(
      { name: 'probe', eventSchema: z.unknown() },
      () => undefined,
      async () => ({}),
      () => [{ table: 't', values: { rows: Number.NaN } }],
    );
    const documents = await emfDocuments(() => partial({}));
    expect(documents.filter((d) => d.table === 't')).toEqual([]);
  });
});
