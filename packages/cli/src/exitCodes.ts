/** The CLI's exit codes, part of its contract with scripts. */
export const ExitCode = {
  /**
   * Done. `status` exits 0 whenever it could make its report, services running or not: it is a
   * report, not a check (scripts read `services.running` and each `reachable` from `--json`).
   */
  ok: 0,
  /**
   * Failed; the message says which stage and what to do next. A service that could not be
   * reached or used is named with its endpoint, the variable it came from and the next step.
   */
  failed: 1,
  /** The command line was wrong, or asks for what cannot be done as stated (a reversed window). */
  usage: 2,
  /** Finished, but some rows were rejected (see the rejects). */
  rejected: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
