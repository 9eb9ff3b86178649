/** A span of partition minutes (UTC), both bounds inclusive; an absent bound is open. */
export interface LakeWindow {
  since?: Date;
  until?: Date;
}

/** True when a partition minute lies in the window (always, without one). */
export function isInWindow(at: Date, window: LakeWindow | undefined): boolean {
  if (!window) return true;
  return (!window.since || at >= window.since) && (!window.until || at <= window.until);
}
