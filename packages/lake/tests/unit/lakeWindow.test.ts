import { describe, expect, it } from 'vitest';
import { isInWindow } from '../../src/index.js';

describe('Function: isInWindow()', () => {
  const at = new Date('2026-11-23T14:00:00Z');

  it('accepts every minute without a window, and with open bounds', () => {
    expect(isInWindow(at, undefined)).toBe(true);
    expect(isInWindow(at, {})).toBe(true);
  });

  it('includes both bounds and excludes the minutes just outside them', () => {
    expect(isInWindow(at, { since: at, until: at })).toBe(true);
    expect(isInWindow(at, { since: new Date('2026-11-23T14:01:00Z') })).toBe(false);
    expect(isInWindow(at, { until: new Date('2026-11-23T13:59:00Z') })).toBe(false);
  });
});
