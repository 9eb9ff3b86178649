/** The CLI's exit codes, part of its contract with scripts. */
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** Failed; the message says which stage and what to do next. */
  failed: 1,
  /** The command line was wrong. */
  usage: 2,
  /** Finished, but some rows were rejected (see the rejects). */
  rejected: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
