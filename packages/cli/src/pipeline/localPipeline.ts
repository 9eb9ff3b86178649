import { ingestTables } from '@insightflow/batch-ingest';
import { type GenerationPlan, writeStagedTables } from '@insightflow/instacart-generator';
import { S3ObjectStore } from '@insightflow/object-store';
import { qualified, rowsOfKind } from '@insightflow/postgres-destination';
import { postgresSync, syncUntilDone } from '@insightflow/s3-to-rds-sync';
import { DEFAULT_STAGE_PREFIX, InsightFlowError, type TableName } from '@insightflow/shared-config';
import { loadStagedFiles } from '@insightflow/snowflake-loader';
import type pg from 'pg';
import type { CliContext } from '../cliContext.js';
import { type Endpoints, openWarehouseFor } from '../endpoints.js';
import { buildLocalClean, localCleanLayer, verifyCleanTables } from '../localClean.js';
import { publishThroughLocalFirehose } from '../localPublish.js';
import type { ProgressBars } from './progressBars.js';
import type { PipelineStage } from './runStages.js';

/** A table's rows in PostgreSQL against what they should be. */
export interface VerificationCheck {
  table: string;
  expected: number;
  found: number;
}

/** What the stages of a local run share. */
export interface LocalRun {
  context: CliContext;
  endpoints: Endpoints;
  database: pg.Client;
  plan: GenerationPlan;
  events: number;
  bars: ProgressBars;
  /** Filled by the publish stage: the order ids it sent and how many were delivered. */
  published?: { firstOrderId: number; delivered: number };
  /** Filled by the verify stage. */
  checks?: VerificationCheck[];
}

const raw = (run: LocalRun) => new S3ObjectStore(run.endpoints.s3, run.context.config.RAW_BUCKET);
const totalRows = (run: LocalRun) => Object.values(run.plan.rows).reduce((n, rows) => n + rows, 0);

const generate: PipelineStage<LocalRun> = {
  name: 'generate',
  nextStep: 'check the stage bucket is reachable (insightflow status)',
  async run(run) {
    const bar = run.bars.bar('generate', totalRows(run), 'rows');
    const done = new Map<TableName, number>();
    const reports = await writeStagedTables({
      store: new S3ObjectStore(run.endpoints.s3, run.context.config.STAGE_BUCKET),
      prefix: DEFAULT_STAGE_PREFIX,
      plan: run.plan,
      onProgress: (table, rows) => {
        done.set(table, rows);
        bar.update(
          [...done.values()].reduce((a, b) => a + b, 0),
          table,
        );
      },
    });
    bar.done();
    return { rows: reports.reduce((n, r) => n + r.rows, 0), files: reports.length };
  },
};

const load: PipelineStage<LocalRun> = {
  name: 'load',
  nextStep: 'fix the staged file named above, then run `insightflow load`',
  async run(run) {
    const bar = run.bars.bar('load', run.context.catalog.tableNames().length, 'files');
    const warehouse = await openWarehouseFor(run.context, run.endpoints, '1GB');
    try {
      let files = 0;
      const summary = await loadStagedFiles(
        warehouse,
        run.context.catalog,
        { bucket: run.context.config.STAGE_BUCKET, prefix: DEFAULT_STAGE_PREFIX },
        run.context.catalog.tableNames(),
        (report) => bar.update(++files, `${report.table} ${report.status}`),
      );
      return { rows: summary.rows, files: summary.filesLoaded, rejected: summary.rejected };
    } finally {
      await warehouse.close();
    }
  },
};

const ingest: PipelineStage<LocalRun> = {
  name: 'ingest',
  nextStep: 'run `insightflow ingest --tables <table>` for the table named above',
  async run(run) {
    const bar = run.bars.bar('ingest', totalRows(run), 'rows');
    const warehouse = await openWarehouseFor(run.context, run.endpoints, '128MB');
    try {
      let rows = 0;
      const result = await ingestTables(
        {
          catalog: run.context.catalog,
          warehouse,
          store: raw(run),
          onPart: (part) => {
            rows += part.rows;
            bar.update(rows, part.key.split('/').pop());
          },
        },
        run.context.catalog.tableNames(),
        { runAt: new Date(), mode: 'auto', batchSize: 1_000_000 },
      );
      if (result.failures.length > 0) throw result.failures[0]?.error;
      return { rows: result.rows, files: Object.values(result.tables).reduce((n, t) => n + t.parts, 0) };
    } finally {
      await warehouse.close();
    }
  },
};

const publish: PipelineStage<LocalRun> = {
  name: 'publish',
  nextStep: 'run `insightflow publish --events N` to retry the burst',
  async run(run) {
    const bar = run.bars.bar('publish', run.events, 'events');
    const { result, stats, range } = await publishThroughLocalFirehose(run.context, run.endpoints, {
      events: run.events,
      onBatch: (p) => bar.update(p.delivered),
    });
    // A Kinesis source also delivers what an interrupted earlier burst left in the data stream:
    // those records are not this burst's orders.
    const leftovers = Math.max(0, stats.accepted - result.delivered);
    run.published = { firstOrderId: range.firstOrderId, delivered: stats.ok - leftovers };
    return { rows: stats.ok, files: stats.objects.length, rejected: stats.processingFailed };
  },
};

const clean: PipelineStage<LocalRun> = {
  name: 'clean',
  nextStep: 'run `insightflow clean --tables <table>` for the table named above: the previous version stays published',
  async run(run) {
    const bar = run.bars.bar('clean', run.context.catalog.tableNames().length, 'tables');
    let done = 0;
    const result = await buildLocalClean(
      localCleanLayer(run.context, run.endpoints),
      run.context.catalog.tableNames(),
      (table) => bar.update(++done, `${table.table} ${table.status}`),
    );
    return {
      rows: result.rows,
      files: result.tables.reduce((n, t) => n + (t.status === 'built' ? t.files : 0), 0),
      rejected: result.rejects,
    };
  },
};

const sync: PipelineStage<LocalRun> = {
  name: 'sync',
  nextStep: 'run `insightflow sync` again: it resumes and loads each object once',
  async run(run) {
    const bar = run.bars.bar('sync', 1, 'objects');
    let objects = 0;
    const result = await syncUntilDone(
      {
        ...postgresSync(run.database, raw(run), run.context.catalog),
        onObject: (table) => bar.update(++objects, table),
      },
      { mode: 'incremental' },
    );
    bar.done(`${objects} objects`);
    return { rows: result.rows, files: result.filesLoaded, rejected: result.rejected };
  },
};

const verify: PipelineStage<LocalRun> = {
  name: 'verify',
  nextStep: 'compare `insightflow status` counts; rerun `insightflow sync`',
  async run(run) {
    const warehouse = await openWarehouseFor(run.context, run.endpoints, '64MB');
    const checks: VerificationCheck[] = [];
    try {
      for (const table of run.context.catalog.tableNames()) {
        const expected = (await warehouse.countRows(table)) ?? 0;
        const { rows } = await run.database.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${qualified(table)} WHERE ${rowsOfKind(table, 'batch')}`,
        );
        checks.push({ table, expected, found: Number(rows[0]?.n ?? 0) });
      }
    } finally {
      await warehouse.close();
    }
    const published = run.published ?? { firstOrderId: 0, delivered: 0 };
    const { rows } = await run.database.query<{ n: string }>(
      `SELECT count(DISTINCT order_id) AS n FROM ${qualified('orders')} WHERE ${rowsOfKind('orders', 'stream')} AND order_id BETWEEN $1 AND $2`,
      [published.firstOrderId, published.firstOrderId + run.events - 1],
    );
    checks.push({ table: 'orders (stream)', expected: published.delivered, found: Number(rows[0]?.n ?? 0) });
    // The clean layer: each table's Parquet, read back, holds one row per distinct key of its raw inputs.
    for (const check of await verifyCleanTables(
      localCleanLayer(run.context, run.endpoints),
      run.context.catalog.tableNames(),
    )) {
      checks.push({ ...check, table: `${check.table} (clean)` });
    }
    const failed = checks.filter((c) => c.expected !== c.found);
    if (failed.length > 0) {
      throw new VerificationFailedError(failed);
    }
    run.checks = checks;
    return { rows: checks.reduce((n, c) => n + c.found, 0), files: 0 };
  },
};

/** PostgreSQL does not hold what the lake and the warehouse say it should. */
export class VerificationFailedError extends InsightFlowError {
  public constructor(failed: readonly VerificationCheck[]) {
    super(failed.map((c) => `${c.table}: expected ${c.expected} rows, found ${c.found}`).join('; '));
    this.name = 'VerificationFailedError';
  }
}

/** The local pipeline, stage by stage: what `insightflow run` runs. */
export const LOCAL_PIPELINE: readonly PipelineStage<LocalRun>[] = [
  generate,
  load,
  ingest,
  publish,
  clean,
  sync,
  verify,
];
