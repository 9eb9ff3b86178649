import { InsightFlowError } from '@insightflow/shared-config';

/** One stage's figures for the summary. */
export interface StageFigures {
  stage: string;
  rows: number;
  files: number;
  seconds: number;
  rejected: number;
}

/** What a stage reports when it is done. */
export interface StageOutcome {
  rows: number;
  files: number;
  rejected?: number;
}

/** A stage of the local pipeline: a name, what to do when it fails, and the work over a shared run state. */
export interface PipelineStage<State> {
  name: string;
  nextStep: string;
  run(state: State): Promise<StageOutcome>;
}

/** A stage failed: names the stage, the cause, and the next step. */
export class StageFailedError extends InsightFlowError {
  public constructor(stage: string, nextStep: string, cause: unknown) {
    super(`Stage "${stage}" failed: ${(cause as Error).message ?? String(cause)}\nNext step: ${nextStep}`, { cause });
    this.name = 'StageFailedError';
  }
}

/** Runs the stages in order over one state, timing each; the first failure stops the run. */
export async function runStages<State>(stages: readonly PipelineStage<State>[], state: State): Promise<StageFigures[]> {
  const figures: StageFigures[] = [];
  for (const stage of stages) {
    const started = performance.now();
    let outcome: StageOutcome;
    try {
      outcome = await stage.run(state);
    } catch (error) {
      throw new StageFailedError(stage.name, stage.nextStep, error);
    }
    figures.push({
      stage: stage.name,
      rows: outcome.rows,
      files: outcome.files,
      rejected: outcome.rejected ?? 0,
      seconds: (performance.now() - started) / 1000,
    });
  }
  return figures;
}
