// Progress while a backup runs. Events may arrive far faster than frames: each one only
// replaces the latest totals, and the DOM is written at most once per animation frame. A
// one-second tick keeps the clocks moving while Garmin is silent (or makes us wait).
import type { BackupProgress, DaysProgress } from "../wire";
import { h, icon, ICONS, perFrame } from "../dom";
import { formatBytes, formatCount, formatDuration } from "../format";
import { ActiveClock, estimateRemainingMs, percentDone, phaseLine, progressTitle, type RunKind } from "../logic/progress";
import { formatApprox, formatCountdown } from "../logic/time";

export interface ProgressHandle {
  update(p: BackupProgress): void;
  /** Called once Cancel was pressed and the backend acknowledged it. */
  stopping(): void;
  unmount(): void;
}

export type { RunKind } from "../logic/progress";

export function mountProgress(root: HTMLElement, onCancel: () => void, retrying: boolean, kind: RunKind = "backup"): ProgressHandle {
  const clock = new ActiveClock(performance.now());
  const v = progressParts(progressTitle(kind, { is: "starting" }, retrying));
  let latest: BackupProgress | null = null;
  let stopping = false;
  root.replaceChildren(h("div", { class: "centered" }, progressCard(v)));
  v.cancel.focus();

  const run: Run = { v, kind, retrying, clock, say: throttled(v.announce), daysFrom: null };
  const render = perFrame(() => {
    const now = performance.now();
    const p = latest;
    clock.observe(p?.paused_until != null && p.paused_until > Date.now(), now);
    v.elapsed.textContent = formatDuration(clock.elapsed(now) / 1000);
    if (!p) showStarting(v, kind);
    // The health part, after the activities: days instead of activities, its own pace.
    else if (p.health) showDays(run, p.health, p.paused_until, stopping, now);
    else showActivities(run, p, stopping, now);
  });

  const tick = window.setInterval(render, 500);
  render();

  v.cancel.addEventListener("click", () => {
    v.cancel.disabled = true;
    v.cancel.textContent = "Stopping…";
    onCancel();
  });

  return {
    update(p) {
      latest = p;
      render();
    },
    stopping() {
      stopping = true;
      render();
    },
    unmount() {
      window.clearInterval(tick);
    },
  };
}

/** What every part of a render needs: the elements, the run, its clock and its voice. */
interface Run {
  v: ProgressParts;
  kind: RunKind;
  retrying: boolean;
  clock: ActiveClock;
  say(now: number, text: string): void;
  /** When the health part began, in active time; its pace is its own. */
  daysFrom: number | null;
}

/** Screen readers hear a short summary every few seconds, not every frame. */
function throttled(announce: HTMLElement): (now: number, text: string) => void {
  let last = 0;
  return (now, text) => {
    if (now - last > 5000) {
      last = now;
      announce.textContent = text;
    }
  };
}

/** Nothing heard from the run yet. */
function showStarting(v: ProgressParts, kind: RunKind): void {
  v.phase.textContent = phaseLine(kind, { is: "starting" }, false);
  v.counts.textContent = "";
  v.track.removeAttribute("aria-valuenow");
  v.track.classList.add("indeterminate");
  v.percent.textContent = "";
  v.bytes.textContent = formatBytes(0);
  v.remaining.textContent = "–";
  v.failed.textContent = "0";
}

/** The activities: first finding which are new (no percent yet), then fetching them. */
function showActivities(run: Run, p: BackupProgress, stopping: boolean, now: number): void {
  const { v } = run;
  const listing = p.activities_planned === 0;
  const pct = percentDone(p);
  const finished = p.activities_done + p.activities_failed;
  const words = `${formatCount(finished)} of ${formatCount(p.activities_planned)} activities`;
  v.track.classList.toggle("indeterminate", listing);
  if (listing) {
    v.phase.textContent = phaseLine(run.kind, { is: "listing", listed: p.activities_listed }, stopping);
    v.counts.textContent = "";
    v.percent.textContent = "";
    v.track.removeAttribute("aria-valuenow");
  } else {
    v.phase.textContent = phaseLine(run.kind, { is: "activities" }, stopping);
    showShare(v, pct, words);
  }
  v.bytes.textContent = formatBytes(p.bytes_written);
  showFailed(v, p.activities_failed);
  v.current.textContent = p.current ? `Now: ${p.current.name}` : "";
  showRemaining(v, estimateRemainingMs(finished, p.activities_planned, run.clock.active(now)));
  showPause(v, p.paused_until);
  if (!listing) run.say(now, `${pct} percent. ${words}.`);
}

/** The health part: days done of planned. */
function showDays(run: Run, d: DaysProgress, paused: number | null, stopping: boolean, now: number): void {
  const { v, clock } = run;
  run.daysFrom ??= clock.active(now);
  v.title.textContent = progressTitle(run.kind, { is: "days" }, run.retrying);
  const pct = percentDone({ activities_done: d.days_done, activities_failed: d.days_failed, activities_planned: d.days_planned });
  const finished = d.days_done + d.days_failed;
  const words = `Health data: ${formatCount(finished)} of ${formatCount(d.days_planned)} ${d.days_planned === 1 ? "day" : "days"}`;
  v.track.classList.remove("indeterminate");
  v.phase.textContent = phaseLine(run.kind, { is: "days" }, stopping);
  showShare(v, pct, words);
  showFailed(v, d.days_failed);
  v.current.textContent = "";
  showPause(v, paused);
  showRemaining(v, estimateRemainingMs(finished, d.days_planned, clock.active(now) - run.daysFrom));
  run.say(now, `${pct} percent. ${words}.`);
}

/** How much is done, in the bar, beside it, and in words (for everyone and for the bar's name). */
function showShare(v: ProgressParts, pct: number, words: string): void {
  v.counts.textContent = words;
  v.percent.textContent = `${pct}%`;
  v.bar.style.width = `${pct}%`;
  v.track.setAttribute("aria-valuenow", String(pct));
  v.track.setAttribute("aria-valuetext", `${pct} percent, ${words}`);
}

function showFailed(v: ProgressParts, failed: number): void {
  v.failed.textContent = formatCount(failed);
  v.failed.classList.toggle("bad", failed > 0);
}

function showRemaining(v: ProgressParts, estimate: number | null): void {
  v.remaining.textContent = estimate === null ? "Estimating…" : formatApprox(estimate);
}

/** The notice while Garmin makes us wait, with the time left. */
function showPause(v: ProgressParts, pausedUntil: number | null): void {
  const pausedLeft = pausedUntil === null ? 0 : pausedUntil - Date.now();
  v.pause.hidden = pausedLeft <= 0;
  if (pausedLeft > 0) v.pauseText.textContent = `Waiting for Garmin: continuing in ${formatCountdown(pausedLeft)}`;
}

type ProgressParts = ReturnType<typeof progressParts>;

/** The elements a render writes to. */
function progressParts(titleText: string) {
  const title = h("h1", { id: "progress-title", text: titleText });
  const phase = h("p", { id: "progress-phase", class: "lead" });
  const bar = h("div", { class: "bar-fill" });
  const track = h(
    "div",
    {
      id: "progress-bar",
      class: "bar",
      attrs: { role: "progressbar", "aria-labelledby": "progress-title", "aria-valuemin": 0, "aria-valuemax": 100 },
    },
    bar,
  );
  const counts = h("p", { id: "progress-counts", class: "progress-counts" });
  const percent = h("span", { id: "progress-percent", class: "percent" });
  const bytes = h("dd", { id: "progress-bytes" });
  const elapsed = h("dd", { id: "progress-elapsed" });
  const remaining = h("dd", { id: "progress-remaining" });
  const failed = h("dd", { id: "progress-failed" });
  const current = h("p", { id: "progress-current", class: "current", attrs: { dir: "auto" } });
  const pauseText = h("p", { class: "notice-title", id: "pause-text", attrs: { "aria-live": "off" } });
  const pause = h(
    "div",
    { id: "pause-notice", class: "notice warn", attrs: { role: "status" } },
    icon([...ICONS.clock], "icon notice-icon"),
    h(
      "div",
      { class: "notice-body" },
      pauseText,
      h("p", { class: "notice-detail", text: "Garmin asked us to slow down. The backup continues by itself; there is nothing to do." }),
    ),
  );
  pause.hidden = true;
  const cancel = h("button", { id: "cancel", class: "button", attrs: { type: "button" }, text: "Cancel" });
  const announce = h("p", { id: "progress-announce", class: "visually-hidden", attrs: { "aria-live": "polite" } });
  return { title, phase, bar, track, counts, percent, bytes, elapsed, remaining, failed, current, pauseText, pause, cancel, announce };
}

/** The card: title, what is happening, the bar, the numbers, Cancel. */
function progressCard(v: ProgressParts): HTMLElement {
  return h(
    "section",
    { class: "card progress-card", attrs: { "aria-labelledby": "progress-title" } },
    v.title,
    v.phase,
    h("div", { class: "bar-row" }, v.track, v.percent),
    v.counts,
    v.current,
    v.pause,
    h(
      "dl",
      { class: "stats" },
      h("div", {}, h("dt", { text: "Saved" }), v.bytes),
      h("div", {}, h("dt", { text: "Elapsed" }), v.elapsed),
      h("div", {}, h("dt", { text: "Time left" }), v.remaining),
      h("div", {}, h("dt", { text: "Failed" }), v.failed),
    ),
    h("div", { class: "actions end" }, v.cancel),
    v.announce,
  );
}
