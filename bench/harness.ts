/**
 * The benchmark harness: every figure is a ratio against an anchor measured in the same run
 * on the same machine, so results compare across machines. Timing is never asserted.
 */

/** One measured figure and the anchor it is compared with. */
export interface Figure {
  suite: string;
  name: string;
  value: number;
  unit: string;
  anchor?: { name: string; value: number };
  /** value / anchor.value (higher is better for rates). */
  ratio?: number;
  note?: string;
}

/** What every suite receives. */
export interface BenchContext {
  /** The data-set scale (1 = the real Instacart size). */
  scale: number;
  log(message: string): void;
}

/** A benchmark suite: measures its figures and their anchors. */
export interface Suite {
  name: string;
  run(context: BenchContext): Promise<Figure[]>;
}

/** Times an async function, in seconds. */
export async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { seconds: (performance.now() - started) / 1000, result };
}

/** A rate figure compared with an anchor rate. */
export function rateFigure(
  suite: string,
  name: string,
  rows: number,
  seconds: number,
  anchor: { name: string; rows: number; seconds: number },
): Figure {
  const value = rows / seconds;
  const anchorValue = anchor.rows / anchor.seconds;
  return {
    suite,
    name,
    value,
    unit: 'rows/s',
    anchor: { name: anchor.name, value: anchorValue },
    ratio: value / anchorValue,
  };
}
