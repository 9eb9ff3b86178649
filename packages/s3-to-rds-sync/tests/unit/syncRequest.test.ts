import { describe, expect, it } from 'vitest';
import { InvalidSyncRequestError, syncRequest } from '../../src/index.js';

describe('Function: syncRequest()', () => {
  it('reads nothing as incremental, and bounds alone as a window (UTC, inclusive)', () => {
    expect(syncRequest({})).toEqual({ mode: 'incremental' });
    expect(syncRequest({ since: '2026-01-01-0000', until: '2026-01-02-2359' })).toEqual({
      mode: 'window',
      since: new Date('2026-01-01T00:00:00Z'),
      until: new Date('2026-01-02T23:59:00Z'),
    });
  });

  it('refuses a window that ends before it starts, saying how to fix it', () => {
    expect(() => syncRequest({ since: '2026-01-01-0000', until: '2025-01-01-0000' })).toThrow(
      /window ends \(2025-01-01-0000\) before it starts \(2026-01-01-0000\): swap the bounds/,
    );
    expect(() => syncRequest({ since: '2026-01-01-0000', until: '2025-01-01-0000' })).toThrow(InvalidSyncRequestError);
  });

  it('refuses a window without bounds, pointing at incremental', () => {
    expect(() => syncRequest({ mode: 'window' })).toThrow(InvalidSyncRequestError);
    expect(() => syncRequest({ mode: 'window' })).toThrow(/needs since, until or both.*use mode "incremental"/);
  });

  it('refuses bounds with a mode other than window', () => {
    expect(() => syncRequest({ mode: 'full', since: '2026-01-01-0000' })).toThrow(/need mode "window", not "full"/);
  });

  it('refuses a bound that is not a time, naming the form expected', () => {
    expect(() => syncRequest({ since: 'yesterday' })).toThrow(/YYYY-MM-DD-HHMM/);
  });
});
