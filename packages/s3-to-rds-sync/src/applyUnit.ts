import type { SyncDestination, UnitOutcome } from '@insightflow/shared-config';
import type { WorkUnit } from './planSync.js';

/** Applies one planned unit: one transaction in the destination. */
export function applyUnit(destination: SyncDestination, unit: WorkUnit): Promise<UnitOutcome> {
  switch (unit.kind) {
    case 'snapshot':
      return destination.replaceSnapshot(unit.snapshot);
    case 'stream-object':
      return destination.loadStreamObject(unit.object);
    case 'rebuild':
      return destination.rebuildTable(unit.table, unit.snapshot, unit.objects);
  }
}
