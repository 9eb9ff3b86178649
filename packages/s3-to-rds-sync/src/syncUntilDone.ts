import { addToTableResult, type SyncDependencies, type SyncRequest, type SyncResult, syncLake } from './syncLake.js';

/**
 * Syncs until nothing is left: what the state machine's `MoreToSync` loop does on AWS, in one
 * process (the CLI). Each round is one {@link syncLake} call; the results add up.
 */
export async function syncUntilDone(
  deps: SyncDependencies,
  request: SyncRequest,
  onRound?: (round: SyncResult) => void,
): Promise<SyncResult> {
  const total: SyncResult = {
    tables: {},
    rows: 0,
    rejected: 0,
    filesLoaded: 0,
    filesSkipped: 0,
    more: true,
    refused: [],
    lagSeconds: {},
  };
  while (total.more) {
    const round = await syncLake(deps, request);
    onRound?.(round);
    for (const [table, t] of Object.entries(round.tables)) {
      total.tables[table] ??= { rows: 0, rejected: 0, duplicates: 0, filesLoaded: 0, filesSkipped: 0 };
      addToTableResult(total.tables[table], t);
    }
    total.rows += round.rows;
    total.rejected += round.rejected;
    total.filesLoaded += round.filesLoaded;
    total.filesSkipped += round.filesSkipped;
    total.refused.push(...round.refused);
    total.more = round.more;
    // The lag is where the last round left it.
    total.lagSeconds = round.lagSeconds;
  }
  return total;
}
