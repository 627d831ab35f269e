// Progress while a backup runs. Events may arrive far faster than frames: each one only
// replaces the latest totals, and the DOM is written at most once per animation frame. A
// one-second tick keeps the clocks moving while Garmin is silent (or makes us wait).
import type { BackupProgress, DaysProgress } from "../wire";
import { h, icon, ICONS, perFrame } from "../dom";
import { formatBytes, formatCount, formatDuration } from "../format";
import { ActiveClock, estimateRemainingMs, percentDone } from "../logic/progress";
import { formatApprox, formatCountdown } from "../logic/time";

export interface ProgressHandle {
  update(p: BackupProgress): void;
  /** Called once Cancel was pressed and the backend acknowledged it. */
  stopping(): void;
  unmount(): void;
}

/** What the run is called: a backup from Garmin, or an import of the account data export. */
export type RunKind = "backup" | "import";

export function mountProgress(root: HTMLElement, onCancel: () => void, retrying: boolean, kind: RunKind = "backup"): ProgressHandle {
  const clock = new ActiveClock(performance.now());
  let latest: BackupProgress | null = null;
  let stopping = false;

  const title = h("h1", {
    id: "progress-title",
    text: retrying ? "Trying again" : kind === "import" ? "Importing your activities" : "Backing up your activities",
  });
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
  // Screen readers hear a short summary every few seconds, not every frame.
  const announce = h("p", { id: "progress-announce", class: "visually-hidden", attrs: { "aria-live": "polite" } });

  const card = h(
    "section",
    { class: "card progress-card", attrs: { "aria-labelledby": "progress-title" } },
    title,
    phase,
    h("div", { class: "bar-row" }, track, percent),
    counts,
    current,
    pause,
    h(
      "dl",
      { class: "stats" },
      h("div", {}, h("dt", { text: "Saved" }), bytes),
      h("div", {}, h("dt", { text: "Elapsed" }), elapsed),
      h("div", {}, h("dt", { text: "Time left" }), remaining),
      h("div", {}, h("dt", { text: "Failed" }), failed),
    ),
    h("div", { class: "actions end" }, cancel),
    announce,
  );
  root.replaceChildren(h("div", { class: "centered" }, card));
  cancel.focus();

  let lastAnnounce = 0;
  const render = perFrame(() => {
    const now = performance.now();
    const p = latest;
    clock.observe(p?.paused_until != null && p.paused_until > Date.now(), now);
    elapsed.textContent = formatDuration(clock.elapsed(now) / 1000);
    if (!p) {
      phase.textContent = kind === "import" ? "Opening your export…" : "Starting…";
      counts.textContent = "";
      track.removeAttribute("aria-valuenow");
      track.classList.add("indeterminate");
      percent.textContent = "";
      bytes.textContent = formatBytes(0);
      remaining.textContent = "–";
      failed.textContent = "0";
      return;
    }
    if (p.health) {
      renderDays(p.health, p.paused_until, now);
      return;
    }
    const listing = p.activities_planned === 0;
    const pct = percentDone(p);
    const finished = p.activities_done + p.activities_failed;
    track.classList.toggle("indeterminate", listing);
    if (listing) {
      phase.textContent =
        kind === "import"
          ? `Reading your export… ${formatCount(p.activities_listed)} ${p.activities_listed === 1 ? "activity" : "activities"} found so far.`
          : `Checking which activities are new… ${formatCount(p.activities_listed)} looked at so far.`;
      counts.textContent = "";
      percent.textContent = "";
      track.removeAttribute("aria-valuenow");
    } else {
      phase.textContent = stopping
        ? "Stopping after the file in progress. Everything saved so far is kept."
        : kind === "import"
          ? "You can keep using your computer. Closing the window stops the import; importing again picks up where it left off."
          : "You can keep using your computer. Closing the window stops the backup; the next one picks up where it left off.";
      counts.textContent = `${formatCount(finished)} of ${formatCount(p.activities_planned)} activities`;
      percent.textContent = `${pct}%`;
      bar.style.width = `${pct}%`;
      track.setAttribute("aria-valuenow", String(pct));
      track.setAttribute("aria-valuetext", `${pct} percent, ${formatCount(finished)} of ${formatCount(p.activities_planned)} activities`);
    }
    bytes.textContent = formatBytes(p.bytes_written);
    failed.textContent = formatCount(p.activities_failed);
    failed.classList.toggle("bad", p.activities_failed > 0);
    current.textContent = p.current ? `Now: ${p.current.name}` : "";
    const est = estimateRemainingMs(finished, p.activities_planned, clock.active(now));
    remaining.textContent = est === null ? "Estimating…" : formatApprox(est);

    const pausedLeft = p.paused_until === null ? 0 : p.paused_until - Date.now();
    pause.hidden = pausedLeft <= 0;
    if (pausedLeft > 0) pauseText.textContent = `Waiting for Garmin: continuing in ${formatCountdown(pausedLeft)}`;

    if (now - lastAnnounce > 5000 && !listing) {
      lastAnnounce = now;
      announce.textContent = `${pct} percent. ${formatCount(finished)} of ${formatCount(p.activities_planned)} activities.`;
    }
  });

  // The health part, after the activities: days instead of activities, its own pace.
  let daysFrom: number | null = null;
  function renderDays(d: DaysProgress, paused: number | null, now: number): void {
    daysFrom ??= clock.active(now);
    title.textContent = retrying ? "Trying again" : "Backing up your health data";
    const pct = percentDone({ activities_done: d.days_done, activities_failed: d.days_failed, activities_planned: d.days_planned });
    const finished = d.days_done + d.days_failed;
    const words = `Health data: ${formatCount(finished)} of ${formatCount(d.days_planned)} ${d.days_planned === 1 ? "day" : "days"}`;
    track.classList.remove("indeterminate");
    phase.textContent = stopping
      ? "Stopping after the days in progress. Everything saved so far is kept."
      : "Sleep, heart rate, stress, steps and weight, day by day. The next backup picks up where this one stops.";
    counts.textContent = words;
    percent.textContent = `${pct}%`;
    bar.style.width = `${pct}%`;
    track.setAttribute("aria-valuenow", String(pct));
    track.setAttribute("aria-valuetext", `${pct} percent, ${words}`);
    failed.textContent = formatCount(d.days_failed);
    failed.classList.toggle("bad", d.days_failed > 0);
    current.textContent = "";
    const pausedLeft = paused === null ? 0 : paused - Date.now();
    pause.hidden = pausedLeft <= 0;
    if (pausedLeft > 0) pauseText.textContent = `Waiting for Garmin: continuing in ${formatCountdown(pausedLeft)}`;
    const est = estimateRemainingMs(finished, d.days_planned, clock.active(now) - daysFrom);
    remaining.textContent = est === null ? "Estimating…" : formatApprox(est);
    if (now - lastAnnounce > 5000) {
      lastAnnounce = now;
      announce.textContent = `${pct} percent. ${words}.`;
    }
  }

  const tick = window.setInterval(render, 500);
  render();

  cancel.addEventListener("click", () => {
    cancel.disabled = true;
    cancel.textContent = "Stopping…";
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
