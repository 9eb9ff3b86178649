import { planGeneration } from '@insightflow/instacart-generator';
import { InsightFlowError } from '@insightflow/shared-config';
import type { CliContext } from '../cliContext.js';
import type { DataMovementDocument } from '../contracts.js';
import { connectDatabase, withEndpoints } from '../endpoints.js';
import { ExitCode } from '../exitCodes.js';
import { LOCAL_PIPELINE, type LocalRun } from '../pipeline/localPipeline.js';
import { progressBars } from '../pipeline/progressBars.js';
import { runStages } from '../pipeline/runStages.js';

/** Options of `insightflow run`. */
export interface RunOptions {
  scale: number;
  seed: number;
  events: number;
}

/** The run needs a PostgreSQL and has none. */
export class NoDatabaseError extends InsightFlowError {
  public constructor() {
    super('No PostgreSQL to sync into: set DATABASE_URL, or run `npx insightflow up` to start the local services.');
    this.name = 'NoDatabaseError';
  }
}

/**
 * `insightflow run` (`npm start`): the whole pipeline on this machine — generate → load → ingest →
 * publish a streaming burst → clean → sync → verify — and a summary of rows, files, seconds and rate
 * per stage.
 */
export async function runCommand(context: CliContext, options: RunOptions): Promise<ExitCode> {
  const plan = planGeneration({ scale: options.scale, seed: options.seed });
  const bars = progressBars(Boolean(process.stderr.isTTY) && !context.json);

  const { figures, checks } = await withEndpoints(context, async (endpoints) => {
    if (!endpoints.databaseUrl) throw new NoDatabaseError();
    const database = await connectDatabase(context, endpoints);
    try {
      const run: LocalRun = { context, endpoints, database, plan, events: options.events, bars };
      const stages = await runStages(LOCAL_PIPELINE, run);
      return { figures: stages, checks: run.checks ?? [] };
    } finally {
      await database.end();
    }
  }).finally(() => bars.stop());

  const rejected = figures.reduce((n, f) => n + f.rejected, 0);
  const document: DataMovementDocument = {
    tables: Object.fromEntries(checks.map((c) => [c.table, { rows: c.found, rejected: 0, expected: c.expected }])),
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
      `InsightFlow ran at scale ${plan.scale}: every table verified in PostgreSQL and in the clean layer.`,
      '',
      `  ${'stage'.padEnd(9)} ${'rows'.padStart(12)} ${'files'.padStart(6)} ${'seconds'.padStart(8)} ${'rows/s'.padStart(11)}`,
      ...figures.map(
        (f) =>
          `  ${f.stage.padEnd(9)} ${format(f.rows).padStart(12)} ${String(f.files).padStart(6)} ${f.seconds.toFixed(1).padStart(8)} ${(f.seconds > 0 && f.rows > 0 ? format(f.rows / f.seconds) : '—').padStart(11)}`,
      ),
      '',
      ...checks.map((c) => `  ${c.table.padEnd(30)} ${format(c.found).padStart(12)} rows ✓`),
    ].join('\n'),
  );
  return rejected > 0 ? ExitCode.rejected : ExitCode.ok;
}
