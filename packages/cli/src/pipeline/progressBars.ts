import cliProgress from 'cli-progress';

/** One bar: advance it, or finish it. */
export interface ProgressBar {
  update(value: number, detail?: string): void;
  done(detail?: string): void;
}

/** Bars for the stages of a run. */
export interface ProgressBars {
  bar(stage: string, total: number, unit: string): ProgressBar;
  stop(): void;
}

/** Live bars on a terminal (stderr); nothing when stderr is not a terminal or with --json. */
export function progressBars(enabled: boolean): ProgressBars {
  if (!enabled) {
    const idle = { update: () => undefined, done: () => undefined };
    return { bar: () => idle, stop: () => undefined };
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
    bar(stage, total, unit) {
      const payload = { stage: stage.padEnd(8), unit, detail: '' };
      const bar = bars.create(Math.max(1, total), 0, payload);
      return {
        update: (value, detail = '') => bar.update(value, { ...payload, detail }),
        done: (detail = '') => bar.update(Math.max(1, total), { ...payload, detail }),
      };
    },
    stop: () => bars.stop(),
  };
}
