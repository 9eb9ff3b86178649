import { Lake } from '@insightflow/lake';
import { findRunningServices } from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import { qualified, SYNC_SCHEMA } from '@insightflow/postgres-destination';
import { tableNames } from '@insightflow/shared-config';
import { DuckDbWarehouse } from '@insightflow/warehouse';
import pg from 'pg';
import type { CliContext } from '../cliContext.js';
import type { StatusResult } from '../contracts.js';
import { type Endpoints, withEndpoints } from '../endpoints.js';
import { ExitCode } from '../exitCodes.js';

type TableCounts = StatusResult['warehouse'];
const emptyCounts = (): TableCounts =>
  Object.fromEntries(tableNames().map((t) => [t, null])) as Record<string, number | null>;

async function warehouseCounts(path: string): Promise<TableCounts> {
  const counts = emptyCounts();
  if (!(await DuckDbWarehouse.exists(path))) return counts;
  const warehouse = await DuckDbWarehouse.open({ path, readOnly: true });
  try {
    for (const table of tableNames()) counts[table] = (await warehouse.countRows(table)) ?? null;
  } finally {
    await warehouse.close();
  }
  return counts;
}

async function postgresCounts(databaseUrl: string | undefined): Promise<{ counts: TableCounts; reachable: boolean }> {
  const counts = emptyCounts();
  if (!databaseUrl) return { counts, reachable: false };
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch {
    return { counts, reachable: false };
  }
  try {
    const { rows } = await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [SYNC_SCHEMA],
    );
    const present = new Set(rows.map((r) => r.table_name));
    for (const table of tableNames()) {
      if (!present.has(table)) continue;
      const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified(table)}`);
      counts[table] = Number(result.rows[0]?.n ?? 0);
    }
  } finally {
    await client.end();
  }
  return { counts, reachable: true };
}

/** The lake's counts, or null when the bucket cannot be listed (server down, bucket missing). */
async function lakeSummary(endpoints: Endpoints, bucket: string): Promise<StatusResult['lake']> {
  try {
    return await new Lake(new S3ObjectStore(endpoints.s3, bucket)).summary(tableNames());
  } catch {
    return null;
  }
}

function formatCounts(title: string, counts: TableCounts): string {
  const lines = tableNames().map(
    (t) => `  ${t.padEnd(22)} ${counts[t] === null ? '—' : counts[t]?.toLocaleString('en')}`,
  );
  return [title, ...lines].join('\n');
}

/** `insightflow status`: what is there now, without starting anything. */
export async function statusCommand(context: CliContext): Promise<ExitCode> {
  const local = context.config.INSIGHTFLOW_TARGET === 'local' ? await findRunningServices(context.home) : undefined;
  const warehousePath = local?.warehousePath ?? context.home.warehouseFile;
  const running = local !== undefined || context.config.INSIGHTFLOW_TARGET === 'aws';

  // Only inspect what is already running: status never starts services.
  const { lake, pgResult, s3Endpoint } = running
    ? await withEndpoints(context, async (endpoints) => ({
        s3Endpoint: endpoints.s3Endpoint ?? null,
        lake: await lakeSummary(endpoints, context.config.RAW_BUCKET),
        pgResult: await postgresCounts(endpoints.databaseUrl),
      }))
    : { lake: null, pgResult: { counts: emptyCounts(), reachable: false }, s3Endpoint: null };
  const status: StatusResult = {
    services: {
      running,
      target: context.config.INSIGHTFLOW_TARGET,
      s3: { endpoint: s3Endpoint, reachable: lake !== null },
      postgres: {
        host: local?.state.postgres.host ?? null,
        port: local?.state.postgres.port ?? null,
        reachable: pgResult.reachable,
      },
      ...(local ? { pids: [local.state.pid, local.state.s3.pid, local.state.postgres.pid] } : {}),
    },
    warehouse: await warehouseCounts(warehousePath),
    postgres: pgResult.counts,
    lake,
  };
  context.result(
    status,
    [
      running
        ? `Services: running (S3 ${s3Endpoint ?? 'AWS'}, PostgreSQL ${pgResult.reachable ? 'reachable' : 'unreachable'})`
        : 'Services: not running (start them with `npx insightflow up`)',
      formatCounts('Warehouse (DuckDB) rows:', status.warehouse),
      formatCounts('PostgreSQL rows:', status.postgres),
      lake
        ? `Lake (${lake.bucket}): ${Object.values(lake.batch).reduce((n, t) => n + t.committedRuns, 0)} committed batch runs, ${lake.streaming.objects} streaming objects`
        : 'Lake: not reachable',
    ].join('\n'),
  );
  return ExitCode.ok;
}
