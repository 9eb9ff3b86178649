import { Lake } from '@insightflow/lake';
import { findRunningServices } from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import { qualified, SYNC_SCHEMA } from '@insightflow/postgres-destination';
import type { Catalog } from '@insightflow/shared-config';
import { DuckDbWarehouse } from '@insightflow/warehouse';
import type pg from 'pg';
import type { CliContext } from '../cliContext.js';
import type { StatusResult } from '../contracts.js';
import { explainEdgeFailure } from '../edgeErrors.js';
import { connectDatabase, type Endpoints, postgresEdge, s3Edge, withEndpoints } from '../endpoints.js';
import { ExitCode } from '../exitCodes.js';
import { cleanStatus, localCleanLayer } from '../localClean.js';

type TableCounts = StatusResult['warehouse'];
const emptyCounts = (catalog: Catalog): TableCounts =>
  Object.fromEntries(catalog.tableNames().map((t) => [t, null])) as Record<string, number | null>;

async function warehouseCounts(catalog: Catalog, path: string): Promise<TableCounts> {
  const counts = emptyCounts(catalog);
  if (!(await DuckDbWarehouse.exists(path))) return counts;
  const warehouse = await DuckDbWarehouse.open({ path, readOnly: true });
  try {
    for (const table of catalog.tableNames()) counts[table] = (await warehouse.countRows(table)) ?? null;
  } finally {
    await warehouse.close();
  }
  return counts;
}

/** Why a part could not be inspected: the edge's explanation (service, endpoint, variable, next step). */
function problemOf(error: unknown, context: CliContext, endpoints: Endpoints): string {
  const edges = [postgresEdge(context, endpoints.databaseUrl), s3Edge(context, endpoints.s3Endpoint)];
  return (explainEdgeFailure(error, edges) ?? (error as Error)).message;
}

interface PostgresCounts {
  counts: TableCounts;
  reachable: boolean;
  problem?: string;
}

async function postgresCounts(context: CliContext, endpoints: Endpoints): Promise<PostgresCounts> {
  const counts = emptyCounts(context.catalog);
  if (!endpoints.databaseUrl) return { counts, reachable: false };
  let client: pg.Client;
  try {
    client = await connectDatabase(context, endpoints);
  } catch (error) {
    return { counts, reachable: false, problem: problemOf(error, context, endpoints) };
  }
  try {
    const { rows } = await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [SYNC_SCHEMA],
    );
    const present = new Set(rows.map((r) => r.table_name));
    for (const table of context.catalog.tableNames()) {
      if (!present.has(table)) continue;
      const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified(table)}`);
      counts[table] = Number(result.rows[0]?.n ?? 0);
    }
  } finally {
    await client.end();
  }
  return { counts, reachable: true };
}

/** The lake's counts, or null and why when the bucket cannot be listed (server down, bucket missing). */
async function lakeSummary(
  context: CliContext,
  endpoints: Endpoints,
): Promise<{ lake: StatusResult['lake']; problem?: string }> {
  try {
    const { catalog } = context;
    const lake = await new Lake(new S3ObjectStore(endpoints.s3, context.config.RAW_BUCKET), catalog).summary(
      catalog.tableNames(),
      catalog.streams.map((s) => s.name),
    );
    return { lake };
  } catch (error) {
    return { lake: null, problem: problemOf(error, context, endpoints) };
  }
}

function formatClean(bucket: string, clean: NonNullable<StatusResult['clean']>): string {
  const lines = Object.entries(clean).map(([table, t]) =>
    t.version === null
      ? `  ${table.padEnd(22)} not built${t.stale ? ' (raw inputs waiting: run `insightflow clean`)' : ''}`
      : `  ${table.padEnd(22)} ${t.rows?.toLocaleString('en').padStart(12)} rows  ${String(t.files).padStart(3)} files  v=${t.version}${t.stale ? '  stale: new raw inputs, run `insightflow clean`' : ''}`,
  );
  return [`Clean layer (${bucket}):`, ...lines].join('\n');
}

const START_SERVICES = 'start them with `npx insightflow up`';
const NOT_RUNNING = `The local services are not running: ${START_SERVICES}.`;

function formatCounts(catalog: Catalog, title: string, counts: TableCounts): string {
  const lines = catalog
    .tableNames()
    .map((t) => `  ${t.padEnd(22)} ${counts[t] === null ? '—' : counts[t]?.toLocaleString('en')}`);
  return [title, ...lines].join('\n');
}

/**
 * `insightflow status`: what is there now, without starting anything. What is not running or not
 * reachable is reported with the next step (`npx insightflow up`, or the endpoint's problem).
 * Exit code 0 whenever the report could be made, services up or not — it is a report, not a
 * check; scripts read `services.running` and each `reachable` from `--json`. Exit code 1 only when
 * no report can be made (bad configuration).
 */
export async function statusCommand(context: CliContext): Promise<ExitCode> {
  const local = context.config.INSIGHTFLOW_TARGET === 'local' ? await findRunningServices(context.home) : undefined;
  const warehousePath = local?.warehousePath ?? context.home.warehouseFile;
  const running = local !== undefined || context.config.INSIGHTFLOW_TARGET === 'aws';

  // Only inspect what is already running: status never starts services.
  const { lakeResult, pgResult, s3Endpoint, clean } = running
    ? await withEndpoints(context, async (endpoints) => ({
        s3Endpoint: endpoints.s3Endpoint ?? null,
        lakeResult: await lakeSummary(context, endpoints),
        clean: await cleanStatus(localCleanLayer(context, endpoints), context.catalog.tableNames()).catch(() => null),
        pgResult: await postgresCounts(context, endpoints),
      }))
    : {
        clean: null,
        lakeResult: { lake: null, problem: NOT_RUNNING },
        pgResult: { counts: emptyCounts(context.catalog), reachable: false, problem: NOT_RUNNING },
        s3Endpoint: null,
      };
  const { lake } = lakeResult;
  const { catalog, catalogFile } = context;
  const status: StatusResult = {
    catalog: { hash: catalog.hash, file: catalogFile ?? null, tables: catalog.tableNames() },
    services: {
      running,
      target: context.config.INSIGHTFLOW_TARGET,
      s3: {
        endpoint: s3Endpoint,
        reachable: lake !== null,
        ...(lakeResult.problem ? { problem: lakeResult.problem } : {}),
      },
      postgres: {
        host: local?.state.postgres.host ?? null,
        port: local?.state.postgres.port ?? null,
        reachable: pgResult.reachable,
        ...(pgResult.problem ? { problem: pgResult.problem } : {}),
      },
      ...(local ? { pids: [local.state.pid, local.state.s3.pid, local.state.postgres.pid] } : {}),
      ...(running ? {} : { nextStep: '`npx insightflow up` starts the local S3 API server and PostgreSQL' }),
    },
    warehouse: await warehouseCounts(catalog, warehousePath),
    postgres: pgResult.counts,
    lake,
    clean,
  };
  context.result(
    status,
    [
      running
        ? `Services: running (S3 ${s3Endpoint ?? 'AWS'}, PostgreSQL ${pgResult.reachable ? 'reachable' : 'unreachable'})`
        : `Services: not running (${START_SERVICES})`,
      `Catalog: ${catalogFile ?? 'the built-in Instacart catalog'} (hash ${catalog.hash.slice(0, 12)}, ${catalog.tables.length} table${catalog.tables.length === 1 ? '' : 's'})`,
      formatCounts(catalog, 'Warehouse (DuckDB) rows:', status.warehouse),
      formatCounts(catalog, 'PostgreSQL rows:', status.postgres),
      ...(running && pgResult.problem ? [`PostgreSQL: not reachable: ${pgResult.problem}`] : []),
      lake
        ? `Lake (${lake.bucket}): ${Object.values(lake.batch).reduce((n, t) => n + t.committedRuns, 0)} committed batch runs, ${lake.streaming.objects} streaming objects`
        : `Lake: not reachable: ${lakeResult.problem ?? 'unknown'}`,
      clean
        ? formatClean(context.config.CLEAN_BUCKET, clean)
        : `Clean layer: not reachable: ${lakeResult.problem ?? 'the clean bucket could not be listed'}`,
    ].join('\n'),
  );
  return ExitCode.ok;
}
