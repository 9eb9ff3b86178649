import { ErrorKind, InsightFlowError } from '@insightflow/shared-config';
import { describe, expect, it } from 'vitest';
import { TablesFailedError, TimeBudgetError } from '../../src/index.js';

const busy = () => new InsightFlowError('the warehouse is busy', { kind: ErrorKind.retryable });

describe('Class: TablesFailedError', () => {
  it('is retryable when every table failed retryably, naming each table and its problem', () => {
    const error = new TablesFailedError([
      { table: 'orders', error: busy() },
      { table: 'aisles', error: busy() },
    ]);
    expect(error.kind).toBe(ErrorKind.retryable);
    expect(error.message).toBe('Ingest failed for orders, aisles: the warehouse is busy | the warehouse is busy');
  });

  it('is terminal as soon as one failure is terminal: retrying cannot make that table pass', () => {
    const error = new TablesFailedError([
      { table: 'orders', error: busy() },
      { table: 'products', error: new TimeBudgetError('products', 10, 900, 60) },
    ]);
    expect(error.kind).toBe(ErrorKind.terminal);
  });
});
