import { Lake } from '@insightflow/lake';
import type { ObjectStore } from '@insightflow/object-store';
import { PostgresDestination } from '@insightflow/postgres-destination';
import type { ClientBase } from 'pg';
import type { SyncDependencies } from './syncLake.js';

/**
 * The lake of a raw bucket and the PostgreSQL destination on a connected client: the sync's
 * adapters, wired for the handler and the CLI. The core (`syncLake`) sees only the ports.
 */
export function postgresSync(client: ClientBase, store: ObjectStore): Pick<SyncDependencies, 'lake' | 'destination'> {
  return { lake: new Lake(store), destination: new PostgresDestination(client, store) };
}
