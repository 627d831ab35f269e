// The daily automatic backup's strip at the top of every view: when the last backup was
// ("Last backup: today 07:12, 2 new"), what it waits for, and the switch that turns it on.
// It lives outside #app, so the views mounted there come and go without it.
import * as api from "../api";
import type { ScheduleStatus } from "../wire";
import { h } from "../dom";

const WAITING: Record<string, string> = {
  sign_in: "Waiting for you to sign in again.",
  folder: "Waiting for the backup folder (is its drive plugged in?).",
  disk_space: "Waiting for free space on the backup disk.",
  garmin: "Garmin is refusing for now: trying again tomorrow.",
  paused: "Paused for a day.",
};

/** The words of the strip for a status: exported for the unit tests. */
export function describe(status: ScheduleStatus): { last: string; waiting: string | null } {
  return {
    last: status.last_backup === null ? "No backup yet" : `Last backup: ${status.last_backup}`,
    waiting: status.enabled && status.waiting_for !== null ? (WAITING[status.waiting_for] ?? null) : null,
  };
}

export function mountDailyBackup(parent: HTMLElement, before: Element | null): () => void {
  const last = h("span", { class: "daily-last", attrs: { "data-testid": "last-backup" } });
  const waiting = h("span", { class: "daily-waiting", attrs: { "data-testid": "daily-waiting" } });
  const toggle = h("input", { attrs: { type: "checkbox", "data-testid": "auto-backup" } });
  // A banner landmark beside #app's main, so nothing on the page sits outside a landmark; only
  // the words are a live region, not the switch.
  const strip = h(
    "header",
    { class: "daily-backup", id: "daily-backup", attrs: { "aria-label": "Daily backup", hidden: true } },
    h("span", { class: "daily-words", attrs: { "aria-live": "polite" } }, last, waiting),
    h("label", { class: "daily-toggle" }, toggle, " Back up automatically every day"),
  );
  parent.insertBefore(strip, before);

  const render = (status: ScheduleStatus): void => {
    const words = describe(status);
    last.textContent = words.last;
    waiting.textContent = words.waiting ?? "";
    toggle.checked = status.enabled;
    strip.hidden = false;
  };
  const refresh = (): void => {
    // A backend without the schedule (an older shell, the page tests' fake) shows no strip.
    api.scheduleStatus().then(render, () => undefined);
  };
  toggle.addEventListener("change", () => {
    toggle.disabled = true;
    api
      .setAutoBackup(toggle.checked)
      .then(render, () => refresh())
      .finally(() => {
        toggle.disabled = false;
      });
  });
  refresh();
  let unlisten: (() => void) | null = null;
  let gone = false;
  api.onScheduleChanged(refresh).then(
    (stop) => {
      if (gone) stop();
      else unlisten = stop;
    },
    () => undefined,
  );
  // "today" turns into "yesterday" at midnight without any event.
  const timer = window.setInterval(refresh, 60_000);
  return () => {
    gone = true;
    window.clearInterval(timer);
    unlisten?.();
    strip.remove();
  };
}
