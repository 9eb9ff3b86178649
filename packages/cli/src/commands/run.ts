import { ingestTables } from '@insightflow/batch-ingest';
import { planGeneration, writeStagedTables } from '@insightflow/instacart-generator';
import { S3ObjectStore } from '@insightflow/object-store';
import { syncLake } from '@insightflow/s3-to-rds-sync';
import { DEFAULT_STAGE_PREFIX, InsightFlowError, TABLE_NAMES, type TableName } from '@insightflow/shared-config';
import { loadStagedFiles } from '@insightflow/snowflake-loader';
import cliProgress from 'cli-progress';
import pg from 'pg';
import type { CliContext } from '../cliContext.js';
import type { DataMovementDocument } from '../contracts.js';
import { openWarehouseFor, withEndpoints } from '../endpoints.js';
import { ExitCode } from '../exitCodes.js';
import { publishThroughLocalFirehose } from '../localPublish.js';

/** Options of `insightflow run`. */
export interface RunOptions {
  scale: number;
  seed: number;
  events: number;
}

/** One stage's figures for the summary. */
interface StageFigures {
  stage: string;
  rows: number;
  files: number;
  seconds: number;
  rejected: number;
}

/** A stage failed: names the stage, the table when known, and the next step. */
export class StageFailedError extends InsightFlowError {
  public constructor(stage: string, nextStep: string, cause: unknown) {
    super(`Stage "${stage}" failed: ${(cause as Error).message ?? String(cause)}\nNext step: ${nextStep}`, { cause });
    this.name = 'StageFailedError';
  }
}

/** Live bars on a terminal (stderr); nothing when stderr is not a terminal or with --json. */
function progressBars(enabled: boolean) {
  if (!enabled) {
    const idle = { update: () => undefined, done: () => undefined };
    return { bar: (_stage: string, _total: number, _unit: string) => idle, stop: () => undefined };
  }
  const bars = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      clearOnComplete: false,
      hideCursor: true,
      format: ' {stage} |{bar}| {value}/{total} {unit} {detail}',
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    bar(stage: string, total: number, unit: string) {
      const payload = { stage: stage.padEnd(8), unit, detail: '' };
      const bar = bars.create(Math.max(1, total), 0, payload);
      bar.setTotal(Math.max(1, total));
      return {
        update: (value: number, detail = '') => bar.update(value, { ...payload, detail }),
        done: (detail = '') => bar.update(Math.max(1, total), { ...payload, detail }),
      };
    },
    stop: () => bars.stop(),
  };
}

async function stage<T>(
  figures: StageFigures[],
  name: string,
  nextStep: string,
  work: () => Promise<{ value: T; rows: number; files: number; rejected?: number }>,
): Promise<T> {
  const started = performance.now();
  try {
    const { value, rows, files, rejected } = await work();
    figures.push({ stage: name, rows, files, rejected: rejected ?? 0, seconds: (performance.now() - started) / 1000 });
    return value;
  } catch (error) {
    throw new StageFailedError(name, nextStep, error);
  }
}

/**
 * `insightflow run` (`npm start`): the whole pipeline on this machine — generate → load → ingest →
 * publish a streaming burst → sync → verify — and a summary of rows, files, seconds and rate
 * per stage.
 */
export async function runCommand(context: CliContext, options: RunOptions): Promise<ExitCode> {
  const plan = planGeneration({ scale: options.scale, seed: options.seed });
  const figures: StageFigures[] = [];
  const bars = progressBars(Boolean(process.stderr.isTTY) && !context.json);
  const stageBucket = context.config.STAGE_BUCKET;
  const rawBucket = context.config.RAW_BUCKET;
  const totalRows = TABLE_NAMES.reduce((n, t) => n + plan.rows[t], 0);

  const verification = await withEndpoints(context, async (endpoints) => {
    const raw = new S3ObjectStore(endpoints.s3, rawBucket);

    await stage(figures, 'generate', 'check the stage bucket is reachable (insightflow status)', async () => {
      const bar = bars.bar('generate', totalRows, 'rows');
      const done = new Map<TableName, number>();
      const reports = await writeStagedTables({
        s3: endpoints.s3,
        bucket: stageBucket,
        prefix: DEFAULT_STAGE_PREFIX,
        plan,
        onProgress: (table, rows) => {
          done.set(table, rows);
          bar.update(
            [...done.values()].reduce((a, b) => a + b, 0),
            table,
          );
        },
      });
      bar.done();
      return { value: reports, rows: reports.reduce((n, r) => n + r.rows, 0), files: reports.length };
    });

    await stage(figures, 'load', 'fix the staged file named above, then run `insightflow load`', async () => {
      const bar = bars.bar('load', TABLE_NAMES.length, 'files');
      const warehouse = await openWarehouseFor(context, endpoints, '1GB');
      try {
        let files = 0;
        const summary = await loadStagedFiles(
          warehouse,
          { bucket: stageBucket, prefix: DEFAULT_STAGE_PREFIX },
          TABLE_NAMES,
          (report) => {
            files++;
            bar.update(files, `${report.table} ${report.status}`);
          },
        );
        return { value: summary, rows: summary.rows, files: summary.filesLoaded, rejected: summary.rejected };
      } finally {
        await warehouse.close();
      }
    });

    const ingest = await stage(
      figures,
      'ingest',
      'run `insightflow ingest --tables <table>` for the table named above',
      async () => {
        const bar = bars.bar('ingest', totalRows, 'rows');
        const warehouse = await openWarehouseFor(context, endpoints, '64MB');
        try {
          let rows = 0;
          const result = await ingestTables(
            {
              warehouse,
              store: raw,
              onPart: (part) => {
                rows += part.rows;
                bar.update(rows, part.key.split('/').pop());
              },
            },
            TABLE_NAMES,
            { runAt: new Date(), mode: 'stream', batchSize: 1_000_000 },
          );
          if (result.failures.length > 0) throw result.failures[0]?.error;
          const parts = Object.values(result.tables).reduce((n, t) => n + t.parts, 0);
          return { value: result, rows: result.rows, files: parts };
        } finally {
          await warehouse.close();
        }
      },
    );

    const published = await stage(
      figures,
      'publish',
      'run `insightflow publish --events N` to retry the burst',
      async () => {
        const bar = bars.bar('publish', options.events, 'events');
        const { result, stats, range } = await publishThroughLocalFirehose(context, endpoints, {
          events: options.events,
          onBatch: (p) => bar.update(p.delivered),
        });
        return {
          value: { range, delivered: stats.ok, calls: result.calls },
          rows: stats.ok,
          files: stats.objects.length,
          rejected: stats.processingFailed,
        };
      },
    );

    if (!endpoints.databaseUrl) throw new StageFailedError('sync', 'set DATABASE_URL', new Error('no database'));
    const database = new pg.Client({ connectionString: endpoints.databaseUrl });
    await database.connect();
    try {
      await stage(figures, 'sync', 'run `insightflow sync` again: it resumes and loads each object once', async () => {
        const bar = bars.bar('sync', 1, 'objects');
        let objects = 0;
        let result = await syncLake(
          {
            client: database,
            store: raw,
            onObject: (table) => {
              objects++;
              bar.update(objects, table);
            },
          },
          { mode: 'incremental' },
        );
        while (result.more) result = await syncLake({ client: database, store: raw }, { mode: 'incremental' });
        bar.done(`${objects} objects`);
        return { value: result, rows: result.rows, files: result.filesLoaded, rejected: result.rejected };
      });

      return await stage(
        figures,
        'verify',
        'compare `insightflow status` counts; rerun `insightflow sync`',
        async () => {
          const warehouse = await openWarehouseFor(context, endpoints, '64MB');
          const checks: { table: string; expected: number; found: number }[] = [];
          try {
            for (const table of TABLE_NAMES) {
              const expected = (await warehouse.countRows(table)) ?? 0;
              const { rows } = await database.query<{ n: string }>(
                `SELECT count(*) AS n FROM insightflow_raw."${table}" WHERE "_source_kind" = 'batch'`,
              );
              checks.push({ table, expected, found: Number(rows[0]?.n ?? 0) });
            }
          } finally {
            await warehouse.close();
          }
          const first = published.range.firstOrderId;
          const { rows } = await database.query<{ n: string }>(
            `SELECT count(DISTINCT order_id) AS n FROM insightflow_raw.orders WHERE "_source_kind" = 'stream' AND order_id BETWEEN $1 AND $2`,
            [first, first + options.events - 1],
          );
          checks.push({ table: 'orders (stream)', expected: published.delivered, found: Number(rows[0]?.n ?? 0) });
          const failed = checks.filter((c) => c.expected !== c.found);
          if (failed.length > 0) {
            throw new Error(failed.map((c) => `${c.table}: expected ${c.expected} rows, found ${c.found}`).join('; '));
          }
          return { value: { checks, ingest }, rows: checks.reduce((n, c) => n + c.found, 0), files: 0 };
        },
      );
    } finally {
      await database.end();
    }
  }).finally(() => bars.stop());

  const rejected = figures.reduce((n, f) => n + f.rejected, 0);
  const document: DataMovementDocument = {
    tables: Object.fromEntries(
      verification.checks.map((c) => [c.table, { rows: c.found, rejected: 0, expected: c.expected }]),
    ),
    rows: figures.filter((f) => f.stage === 'sync').reduce((n, f) => n + f.rows, 0),
    rejected,
    scale: plan.scale,
    stages: figures,
    verified: true,
  };
  const format = (n: number) => Math.round(n).toLocaleString('en');
  context.result(
    document,
    [
      `InsightFlow ran at scale ${plan.scale}: every table verified in PostgreSQL.`,
      '',
      `  ${'stage'.padEnd(9)} ${'rows'.padStart(12)} ${'files'.padStart(6)} ${'seconds'.padStart(8)} ${'rows/s'.padStart(11)}`,
      ...figures.map(
        (f) =>
          `  ${f.stage.padEnd(9)} ${format(f.rows).padStart(12)} ${String(f.files).padStart(6)} ${f.seconds.toFixed(1).padStart(8)} ${(f.seconds > 0 && f.rows > 0 ? format(f.rows / f.seconds) : '—').padStart(11)}`,
      ),
      '',
      ...verification.checks.map((c) => `  ${c.table.padEnd(22)} ${format(c.found).padStart(12)} rows ✓`),
    ].join('\n'),
  );
  return rejected > 0 ? ExitCode.rejected : ExitCode.ok;
}
