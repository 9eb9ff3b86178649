import path from 'node:path';
import { LOCAL_DEFAULTS } from '@insightflow/shared-config';

/** Where the local services keep their state, under one home directory. */
export interface HomeLayout {
  /** The home directory itself (absolute). */
  root: string;
  /** What `up` records: endpoints and process ids of the running services. */
  stateFile: string;
  /** The S3 API server's object store. */
  s3Dir: string;
  /** PostgreSQL's data directory. */
  postgresDataDir: string;
  /** The local PostgreSQL role's password (mode 0600). */
  postgresCredentialsFile: string;
  /** The DuckDB warehouse. */
  warehouseFile: string;
  /** Service logs. */
  logsDir: string;
}

/** Resolves the home directory (default `.insightflow/` under the working directory). */
export function resolveHomeLayout(home: string = LOCAL_DEFAULTS.home, cwd: string = process.cwd()): HomeLayout {
  const root = path.resolve(cwd, home);
  return {
    root,
    stateFile: path.join(root, 'services.json'),
    s3Dir: path.join(root, 's3'),
    postgresDataDir: path.join(root, 'postgres', 'data'),
    postgresCredentialsFile: path.join(root, 'postgres', 'credentials.json'),
    warehouseFile: path.join(root, 'warehouse.duckdb'),
    logsDir: path.join(root, 'logs'),
  };
}
