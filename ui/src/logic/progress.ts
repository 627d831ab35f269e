// What the progress view derives from running totals, and what it says about them.
import type { BackupProgress } from "../wire";
import { formatCount } from "../format";

/** What the run is called: a backup from Garmin, or an import of the account data export. */
export type RunKind = "backup" | "import";

/** Where a run is: not heard from yet, finding what is new, fetching activities, then days. */
export type Stage = { is: "starting" } | { is: "listing"; listed: number } | { is: "activities" } | { is: "days" };

/** The view's title; the health part, after the activities, has its own. */
export function progressTitle(run: RunKind, stage: Stage, retrying: boolean): string {
  if (retrying) return "Trying again";
  if (stage.is === "days") return "Backing up your health data";
  return run === "import" ? "Importing your activities" : "Backing up your activities";
}

/** The sentence under the title: what is happening, and (once fetching) that leaving is safe. */
export function phaseLine(run: RunKind, stage: Stage, stopping: boolean): string {
  const imported = run === "import";
  switch (stage.is) {
    case "starting":
      return imported ? "Opening your export…" : "Starting…";
    case "listing":
      return imported
        ? `Reading your export… ${formatCount(stage.listed)} ${stage.listed === 1 ? "activity" : "activities"} found so far.`
        : `Checking which activities are new… ${formatCount(stage.listed)} looked at so far.`;
    case "activities":
      if (stopping) return "Stopping after the file in progress. Everything saved so far is kept.";
      return imported
        ? "You can keep using your computer. Closing the window stops the import; importing again picks up where it left off."
        : "You can keep using your computer. Closing the window stops the backup; the next one picks up where it left off.";
    case "days":
      return stopping
        ? "Stopping after the days in progress. Everything saved so far is kept."
        : "Sleep, heart rate, stress, steps and weight, day by day. The next backup picks up where this one stops.";
  }
}

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
