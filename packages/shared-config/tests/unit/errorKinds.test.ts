import { describe, expect, it } from 'vitest';
import { ErrorKind, errorKindOf, InsightFlowError, kindOfAll, REPORTED_ERROR_NAMES } from '../../src/index.js';

describe('Function: errorKindOf()', () => {
  it.each([
    ['a retryable InsightFlowError', new InsightFlowError('x', { kind: ErrorKind.retryable }), ErrorKind.retryable],
    ['a terminal InsightFlowError', new InsightFlowError('x'), ErrorKind.terminal],
    ['an SDK throttling error', Object.assign(new Error('slow'), { $fault: 'client', $retryable: {} }), 'retryable'],
    ['an SDK server fault', Object.assign(new Error('oops'), { $fault: 'server' }), ErrorKind.retryable],
    ['an SDK access denial', Object.assign(new Error('denied'), { $fault: 'client' }), ErrorKind.terminal],
    ['a TypeError (a defect)', new TypeError('x is undefined'), ErrorKind.terminal],
    ['a dropped connection', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'retryable'],
    ['a thrown string', 'boom', ErrorKind.retryable],
  ])('classifies %s', (_, error, kind) => {
    expect(errorKindOf(error)).toBe(kind);
  });
});

describe('Function: kindOfAll()', () => {
  const retryable = new InsightFlowError('busy', { kind: ErrorKind.retryable });
  const terminal = new InsightFlowError('no such table');

  it('is retryable when every failure is', () => {
    expect(kindOfAll([retryable, Object.assign(new Error('reset'), { code: 'ECONNRESET' })])).toBe(ErrorKind.retryable);
  });

  it('is terminal when one failure is terminal', () => {
    expect(kindOfAll([retryable, terminal, retryable])).toBe(ErrorKind.terminal);
  });
});

describe('Constant: REPORTED_ERROR_NAMES', () => {
  it('names each kind as Step Functions matches it', () => {
    expect(REPORTED_ERROR_NAMES).toEqual({ retryable: 'InsightFlow.Retryable', terminal: 'InsightFlow.Terminal' });
  });
});
