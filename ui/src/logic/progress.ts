// What the progress view derives from running totals.
import type { BackupProgress } from "../wire";

/** Whole percent of activities finished (done or failed) of planned; 0 until a plan exists. */
export function percentDone(p: Pick<BackupProgress, "activities_done" | "activities_failed" | "activities_planned">): number {
  if (p.activities_planned <= 0) return 0;
  const finished = p.activities_done + p.activities_failed;
  if (finished >= p.activities_planned) return 100;
  // Never show 100 % while something is left: rounding up would be a small lie.
  return Math.min(99, Math.floor((finished / p.activities_planned) * 100));
}

/**
 * Time left, from the average pace so far, or `null` while there is too little to go on.
 * `activeMs` is the time spent working, pauses imposed by Garmin excluded: a pause says
 * nothing about the pace after it.
 */
export function estimateRemainingMs(finished: number, planned: number, activeMs: number): number | null {
  if (planned <= 0 || finished <= 0 || activeMs < 2000) return null;
  if (finished < Math.min(3, Math.max(1, Math.floor(planned / 2)))) return null;
  const left = Math.max(0, planned - finished);
  return (activeMs / finished) * left;
}

/** Tracks working time, excluding the stretches where `paused_until` was set. */
export class ActiveClock {
  private pausedMs = 0;
  private pauseStart: number | null = null;
  constructor(private readonly startedAt: number) {}

  observe(paused: boolean, now: number): void {
    if (paused && this.pauseStart === null) this.pauseStart = now;
    if (!paused && this.pauseStart !== null) {
      this.pausedMs += now - this.pauseStart;
      this.pauseStart = null;
    }
  }

  elapsed(now: number): number {
    return Math.max(0, now - this.startedAt);
  }

  active(now: number): number {
    const pausing = this.pauseStart === null ? 0 : now - this.pauseStart;
    return Math.max(0, now - this.startedAt - this.pausedMs - pausing);
  }
}
