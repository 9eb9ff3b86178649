import { Lake } from '@insightflow/lake';
import type { ObjectStore } from '@insightflow/object-store';
import { PostgresDestination } from '@insightflow/postgres-destination';
import type { Catalog } from '@insightflow/shared-config';
import type { ClientBase } from 'pg';
import type { SyncDependencies } from './syncLake.js';

/**
 * The lake of a raw bucket and the PostgreSQL destination on a connected client, both over
 * `catalog`: the sync's adapters and its catalog, wired for the handler and the CLI. The core
 * (`syncLake`) sees only the ports.
 */
export function postgresSync(
  client: ClientBase,
  store: ObjectStore,
  catalog: Catalog,
): Pick<SyncDependencies, 'catalog' | 'lake' | 'destination'> {
  return { catalog, lake: new Lake(store, catalog), destination: new PostgresDestination(client, store, catalog) };
}
