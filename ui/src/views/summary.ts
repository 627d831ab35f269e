// The end of a run: what is now safe, what Garmin simply does not have (and why that is
// fine), what failed (with Retry), and the way back.
import type { ActivityId, Format, Summary } from "../wire";
import { h, icon, ICONS } from "../dom";
import { formatBytes, formatCount, formatDuration } from "../format";
import { explainError, explainUnavailable, FORMAT_LABELS } from "../logic/messages";

export interface SummaryContext {
  summary: Summary;
  folder: string;
  onRetry(ids: ActivityId[]): void;
  onOpenFolder(): void;
  onBack(): void;
}

function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function mountSummary(root: HTMLElement, ctx: SummaryContext): () => void {
  const s = ctx.summary;
  const failedIds = [...new Set(s.failed.map((f) => f.id))];
  const stopped = s.stopped;

  let heading: string;
  let tone: "good" | "warn" | "bad";
  if (s.cancelled) {
    heading = "Backup stopped";
    tone = "warn";
  } else if (stopped) {
    heading = "Backup stopped early";
    tone = "bad";
  } else if (failedIds.length > 0) {
    heading = "Backup finished, with a few problems";
    tone = "warn";
  } else {
    heading = "Your activities are backed up";
    tone = "good";
  }

  const intro = s.cancelled
    ? "You stopped the backup. Everything saved so far is complete and kept; the next backup continues from there."
    : stopped
      ? `${explainError(stopped).title} ${explainError(stopped).detail}`
      : failedIds.length > 0
        ? "Most of your activities are safe. A few could not be downloaded this time; you can try them again."
        : "Everything Garmin has for your activities is now in your folder. Next time, only new activities are downloaded.";

  const tiles = h(
    "div",
    { class: "tiles" },
    tile("summary-new", formatCount(s.activities_new), s.activities_new === 1 ? "activity backed up now" : "activities backed up now", `${formatBytes(s.bytes_written)} in ${formatDuration(s.elapsed_ms / 1000)}`),
    tile("summary-skipped", formatCount(s.activities_skipped), "already safe in your folder", "Not downloaded again"),
    tile("summary-failed", formatCount(failedIds.length), failedIds.length === 1 ? "activity failed" : "activities failed", failedIds.length ? "See below" : "Nothing failed", failedIds.length > 0),
  );

  const sections: HTMLElement[] = [];

  if (s.failed.length > 0) {
    const retry = h("button", { id: "retry", class: "button primary", attrs: { type: "button" }, text: `Try ${plural(failedIds.length, "activity", "activities")} again` });
    retry.addEventListener("click", () => ctx.onRetry(failedIds));
    sections.push(
      h(
        "section",
        { class: "detail-section", id: "failed-section", attrs: { "aria-labelledby": "failed-title" } },
        h("div", { class: "section-head" }, h("h2", { id: "failed-title", text: "Couldn't download" }), retry),
        h(
          "ul",
          { class: "detail-list" },
          ...s.failed.slice(0, 200).map((f) =>
            h(
              "li",
              {},
              h("span", { class: "detail-name", attrs: { dir: "auto" }, text: f.name }),
              h("span", { class: "detail-meta", text: `${f.format ? `${FORMAT_LABELS[f.format]}: ` : ""}${explainError(f.error).title}` }),
            ),
          ),
          s.failed.length > 200 ? h("li", { class: "more", text: `and ${formatCount(s.failed.length - 200)} more` }) : null,
        ),
      ),
    );
  }

  if (s.unavailable.length > 0) {
    // Grouped by activity: "Pool swim: GPX, KML" reads better than one line per file.
    const byActivity = new Map<ActivityId, { name: string; formats: Format[]; reasons: Set<string> }>();
    for (const u of s.unavailable) {
      const entry = byActivity.get(u.id) ?? { name: u.name, formats: [], reasons: new Set<string>() };
      entry.formats.push(u.format);
      entry.reasons.add(explainUnavailable(u.reason));
      byActivity.set(u.id, entry);
    }
    const entries = [...byActivity.values()];
    sections.push(
      h(
        "section",
        { class: "detail-section calm", id: "unavailable-section", attrs: { "aria-labelledby": "unavailable-title" } },
        h("h2", { id: "unavailable-title" }, icon([...ICONS.info]), `Files Garmin doesn't have (${formatCount(s.unavailable.length)})`),
        h("p", {
          class: "hint",
          text: "That's fine: nothing is missing from your backup. Garmin only makes some formats for some activities; an indoor swim has no GPS track, for example. Everything Garmin has is saved.",
        }),
        h(
          "ul",
          { class: "detail-list" },
          ...entries.slice(0, 200).map((e) =>
            h(
              "li",
              {},
              h("span", { class: "detail-name", attrs: { dir: "auto" }, text: e.name }),
              h("span", { class: "detail-meta", text: `${e.formats.map((f) => FORMAT_LABELS[f]).join(", ")}: ${[...e.reasons].join(" ")}` }),
            ),
          ),
          entries.length > 200 ? h("li", { class: "more", text: `and ${formatCount(entries.length - 200)} more` }) : null,
        ),
      ),
    );
  }

  const open = h("button", { id: "summary-open", class: "button", attrs: { type: "button" } }, icon([...ICONS.folder]), "Open folder");
  const back = h("button", { id: "summary-back", class: failedIds.length ? "button" : "button primary", attrs: { type: "button" }, text: "Back to the list" });
  open.addEventListener("click", () => ctx.onOpenFolder());
  back.addEventListener("click", () => ctx.onBack());

  const title = h("h1", { id: "summary-title", attrs: { tabindex: -1 } }, icon([...(tone === "good" ? ICONS.check : ICONS.alert)], `icon title-icon ${tone}`), heading);
  root.replaceChildren(
    h(
      "div",
      { class: "centered" },
      h(
        "section",
        { class: "card summary-card", attrs: { "aria-labelledby": "summary-title" } },
        title,
        h("p", { class: "lead", id: "summary-intro", text: intro }),
        h("p", { class: "folder-line" }, h("span", { class: "hint", text: "Saved in " }), h("span", { class: "mono", id: "summary-folder", text: ctx.folder })),
        tiles,
        // The way on comes before the details, so it is never below the fold.
        h("div", { class: "actions" }, back, open),
        ...sections,
      ),
    ),
  );
  title.focus();
  return () => undefined;
}

function tile(id: string, value: string, label: string, sub: string, bad = false): HTMLElement {
  return h(
    "div",
    { class: `tile${bad ? " bad" : ""}`, id },
    h("span", { class: "tile-value", text: value }),
    h("span", { class: "tile-label", text: label }),
    h("span", { class: "tile-sub", text: sub }),
  );
}
