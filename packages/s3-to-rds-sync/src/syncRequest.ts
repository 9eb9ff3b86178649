import { parseWindowTimestamp, type TableName } from '@insightflow/shared-config';
import { InvalidSyncRequestError } from './errors.js';
import type { SyncMode } from './planSync.js';
import type { SyncRequest } from './syncLake.js';

/** A sync request as a caller states it: window bounds as `YYYY-MM-DD-HHMM` (UTC), mode optional. */
export interface StatedSyncRequest {
  mode?: SyncMode | undefined;
  since?: string | undefined;
  until?: string | undefined;
  tables?: readonly TableName[] | undefined;
}

/**
 * The one reading of a sync request, for the Lambda's event and the CLI alike: bounds without
 * a mode mean a window, nothing means incremental; a window that ends before it starts, a
 * window without bounds (an empty statement of one), or bounds with another mode, is refused.
 */
export function syncRequest(stated: StatedSyncRequest): SyncRequest {
  const bounded = stated.since !== undefined || stated.until !== undefined;
  const mode = stated.mode ?? (bounded ? 'window' : 'incremental');
  if (bounded && mode !== 'window') {
    throw new InvalidSyncRequestError(`window bounds (since/until) need mode "window", not "${mode}"`);
  }
  if (mode === 'window' && !bounded) {
    throw new InvalidSyncRequestError(
      'mode "window" needs since, until or both (YYYY-MM-DD-HHMM, UTC); for everything not yet loaded use mode "incremental"',
    );
  }
  const since = stated.since === undefined ? undefined : parseWindowTimestamp(stated.since);
  const until = stated.until === undefined ? undefined : parseWindowTimestamp(stated.until);
  if (since && until && since > until) {
    throw new InvalidSyncRequestError(
      `the window ends (${stated.until}) before it starts (${stated.since}): swap the bounds`,
    );
  }
  return {
    mode,
    ...(stated.tables ? { tables: stated.tables } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
  };
}
