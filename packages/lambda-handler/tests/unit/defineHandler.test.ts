import {
  type Catalog,
  ErrorKind,
  InsightFlowError,
  instacartCatalog,
  tableNameSchema,
} from '@insightflow/shared-config';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineHandler, InvalidEventError, type InvocationError } from '../../src/index.js';

const EventSchema = z.object({ n: z.number().int() });

/** A Lambda context with what the handler reads. */
const context = (awsRequestId: string) =>
  ({ awsRequestId, functionName: 'f', getRemainingTimeInMillis: () => 1_234 }) as unknown as Context;

const failWith = (error: unknown) =>
  defineHandler(
    { name: 'probe', eventSchema: z.unknown() },
    () => undefined,
    async () => {
      throw error;
    },
  );

describe('Function: defineHandler()', () => {
  it('parses the event and hands the core the parsed value, the dependencies and the time left', async () => {
    const handler = defineHandler(
      { name: 'probe', eventSchema: EventSchema },
      () => ({ base: 10 }),
      async ({ n }, { base }, { remainingMs }) => ({ sum: n + base, remaining: remainingMs?.() }),
    );
    expect(await handler({ n: 1 }, context('a'))).toEqual({ sum: 11, remaining: 1_234 });
    expect(await handler({ n: 2 })).toEqual({ sum: 12, remaining: undefined });
  });

  it('hands one catalog (outside a bundle, the built-in one) to the event schema, the setup and the core', async () => {
    const seen: Catalog[] = [];
    const handler = defineHandler(
      {
        name: 'probe',
        eventSchema: (catalog) => {
          seen.push(catalog);
          return z.object({ table: tableNameSchema(catalog) });
        },
      },
      ({ catalog }) => {
        seen.push(catalog);
        return {};
      },
      async ({ table }, _, { catalog }) => {
        seen.push(catalog);
        return catalog.table(table).primaryKey;
      },
    );
    expect(await handler({ table: 'aisles' })).toEqual(['aisle_id']);
    expect(seen).toHaveLength(3);
    for (const catalog of seen) expect(catalog).toBe(instacartCatalog());
    // The schema checks names against that catalog.
    await expect(handler({ table: 'shipments' })).rejects.toThrow(/unknown table "shipments"; use one of aisles/);
  });

  it('refuses an invalid event with a terminal error naming the handler, before any setup', async () => {
    let setups = 0;
    const handler = defineHandler(
      { name: 'probe', eventSchema: EventSchema },
      () => setups++,
      async () => 'never',
    );
    const attempt = handler({ n: 'one' });
    await expect(attempt).rejects.toMatchObject({ name: 'InsightFlow.Terminal', kind: ErrorKind.terminal });
    await expect(attempt).rejects.toThrow(/The probe event is invalid: .*n/s);
    await expect(attempt.catch((e: InvocationError) => e.cause)).resolves.toBeInstanceOf(InvalidEventError);
    expect(setups).toBe(0);
  });

  it("uses the definition's own error for an invalid event", async () => {
    class ProbeEventError extends InsightFlowError {}
    const handler = defineHandler(
      { name: 'probe', eventSchema: EventSchema, invalidEvent: (d) => new ProbeEventError(`bad probe: ${d}`) },
      () => undefined,
      async () => 'never',
    );
    await expect(handler({})).rejects.toThrow(/^bad probe: /);
  });

  it('runs the setup once per container, and again after a setup that failed', async () => {
    let setups = 0;
    const handler = defineHandler(
      { name: 'probe', eventSchema: EventSchema },
      async () => {
        setups++;
        if (setups === 1) throw new InsightFlowError('not yet', { kind: ErrorKind.retryable });
        return { setups };
      },
      async (_event, deps) => deps.setups,
    );
    await expect(handler({ n: 1 }, context('a'))).rejects.toMatchObject({ name: 'InsightFlow.Retryable' });
    expect(await handler({ n: 1 }, context('b'))).toBe(2);
    expect(await handler({ n: 1 }, context('c'))).toBe(2);
    expect(setups).toBe(2);
  });

  it('reports an InsightFlowError under its kind, keeping the message and the original as cause', async () => {
    const original = new InsightFlowError('the warehouse is busy', { kind: ErrorKind.retryable });
    const attempt = failWith(original)({});
    await expect(attempt).rejects.toMatchObject({
      name: 'InsightFlow.Retryable',
      message: 'the warehouse is busy',
      cause: original,
    });
    const terminal = new InsightFlowError('no such table');
    await expect(failWith(terminal)({})).rejects.toMatchObject({ name: 'InsightFlow.Terminal', cause: terminal });
  });
});
