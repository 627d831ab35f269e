// The end of a run: what is now safe, what Garmin simply does not have (and why that is
// fine), what failed (with Retry), and the way back. An import (the summary carries its
// `import` findings) says so in its own words and lists what the export could not match.
import type { ActivityId, Failed, HealthReport, ImportNotes, NotInExport, Salvaged, Summary, Unavailable } from "../wire";
import { h, icon, ICONS } from "../dom";
import { formatBytes, formatCount, formatDuration, plural } from "../format";
import { explainError, FORMAT_LABELS } from "../logic/messages";
import { fileName, unmatchedCount } from "../logic/importing";
import { outcomeOf, summaryHeading, summaryIntro, unavailableByActivity } from "../logic/summary";
import { diagnosticButton } from "./diagnostic";

export interface SummaryContext {
  summary: Summary;
  folder: string;
  onRetry(ids: ActivityId[]): void;
  onOpenFolder(): void;
  onBack(): void;
  /** The back button's words ("Back to the list" unless told). */
  backLabel?: string;
  /** Whether activities were asked for (a health-only backup shows no activity tiles). */
  activities?: boolean;
}

export function mountSummary(root: HTMLElement, ctx: SummaryContext): () => void {
  const s = ctx.summary;
  const failedIds = [...new Set(s.failed.map((f) => f.id))];
  const outcome = outcomeOf(s, ctx.activities ?? true, failedIds.length);
  const { heading, tone } = summaryHeading(outcome);
  const title = h("h1", { id: "summary-title", attrs: { tabindex: -1 } }, icon([...(tone === "good" ? ICONS.check : ICONS.alert)], `icon title-icon ${tone}`), heading);
  root.replaceChildren(
    h(
      "div",
      { class: "centered" },
      h(
        "section",
        { class: "card summary-card", attrs: { "aria-labelledby": "summary-title" } },
        title,
        h("p", { class: "lead", id: "summary-intro", text: summaryIntro(outcome) }),
        s.stopped ? diagnosticButton() : null,
        h("p", { class: "folder-line" }, h("span", { class: "hint", text: "Saved in " }), h("span", { class: "mono", id: "summary-folder", text: ctx.folder })),
        activityTiles(s, failedIds.length, outcome.activities),
        // The way on comes before the details, so it is never below the fold.
        summaryActions(ctx, failedIds.length > 0),
        ...detailSections(s, failedIds, ctx.onRetry),
      ),
    ),
  );
  title.focus();
  return () => undefined;
}

/** The activity part: new, already there, failed (hidden when only health data was asked for). */
function activityTiles(s: Summary, failed: number, withActivities: boolean): HTMLElement {
  // `import` may be missing altogether (not only null), as `health` may.
  const imported = Boolean(s.import);
  const tiles = h(
    "div",
    { class: "tiles" },
    tile(
      "summary-new",
      formatCount(s.activities_new),
      imported
        ? s.activities_new === 1 ? "activity imported now" : "activities imported now"
        : s.activities_new === 1 ? "activity backed up now" : "activities backed up now",
      `${formatBytes(s.bytes_written)} in ${formatDuration(s.elapsed_ms / 1000)}`,
    ),
    tile("summary-skipped", formatCount(s.activities_skipped), "already safe in your folder", imported ? "Not copied again" : "Not downloaded again"),
    tile("summary-failed", formatCount(failed), failed === 1 ? "activity failed" : "activities failed", failed ? "See below" : "Nothing failed", failed > 0),
  );
  if (!withActivities) tiles.hidden = true;
  return tiles;
}

/** Back (the main way on, unless something failed: then Retry is) and Open folder. */
function summaryActions(ctx: SummaryContext, anyFailed: boolean): HTMLElement {
  const open = h("button", { id: "summary-open", class: "button", attrs: { type: "button" } }, icon([...ICONS.folder]), "Open folder");
  const back = h("button", { id: "summary-back", class: anyFailed ? "button" : "button primary", attrs: { type: "button" }, text: ctx.backLabel ?? "Back to the list" });
  open.addEventListener("click", () => ctx.onOpenFolder());
  back.addEventListener("click", () => ctx.onBack());
  return h("div", { class: "actions" }, back, open);
}

/** The details below the way on, each only when it has something to say. */
function detailSections(s: Summary, failedIds: ActivityId[], onRetry: (ids: ActivityId[]) => void): (HTMLElement | null)[] {
  const notes = s.import;
  const imported = Boolean(notes);
  const health = s.health ?? null;
  return [
    // A cancel is said once, above: the health part's "stopped" would only repeat it.
    health ? healthSection(s.cancelled ? { ...health, stopped: null } : health) : null,
    s.failed.length > 0 ? failedSection(s.failed, failedIds, imported, onRetry) : null,
    s.salvaged.length > 0 ? salvagedSection(s.salvaged) : null,
    s.unavailable.length > 0 ? unavailableSection(s.unavailable, imported) : null,
    notes && unmatchedCount(notes) > 0 ? unmatchedSection(notes) : null,
    notes && notes.not_in_export.length > 0 ? notInExportSection(notes.not_in_export) : null,
  ];
}

/** A long list shows its first 200, then how many more there are. */
function detailList<T>(all: readonly T[], item: (x: T) => HTMLElement): HTMLElement {
  return h(
    "ul",
    { class: "detail-list" },
    ...all.slice(0, 200).map(item),
    all.length > 200 ? h("li", { class: "more", text: `and ${formatCount(all.length - 200)} more` }) : null,
  );
}

/** What failed, each with the format and why, and a Retry of those activities. */
function failedSection(failed: Failed[], ids: ActivityId[], imported: boolean, onRetry: (ids: ActivityId[]) => void): HTMLElement {
  const retry = h("button", { id: "retry", class: "button primary", attrs: { type: "button" }, text: `Try ${plural(ids.length, "activity", "activities")} again` });
  retry.addEventListener("click", () => onRetry(ids));
  return h(
    "section",
    { class: "detail-section", id: "failed-section", attrs: { "aria-labelledby": "failed-title" } },
    h("div", { class: "section-head" }, h("h2", { id: "failed-title", text: imported ? "Couldn't import" : "Couldn't download" }), retry),
    detailList(failed, (f) =>
      h(
        "li",
        {},
        h("span", { class: "detail-name", attrs: { dir: "auto" }, text: f.name }),
        h("span", { class: "detail-meta", text: `${f.format ? `${FORMAT_LABELS[f.format]}: ` : ""}${explainError(f.error).title}` }),
      ),
    ),
  );
}

/** Tracks made from the readable part of damaged originals: said, calmly, once per activity. */
function salvagedSection(salvaged: Salvaged[]): HTMLElement {
  return h(
    "section",
    { class: "detail-section calm", id: "salvaged-section", attrs: { "aria-labelledby": "salvaged-title" } },
    h("h2", { id: "salvaged-title" }, icon([...ICONS.info]), `Tracks recovered from damaged files (${formatCount(salvaged.length)})`),
    h("p", {
      class: "hint",
      text: "These original files are damaged (cut short or corrupted, often by a watch that stopped mid-save). They are kept exactly as they came; the GPX and TCX hold the part that could be read.",
    }),
    detailList(salvaged, (x) =>
      h(
        "li",
        { attrs: { "data-id": String(x.id) } },
        h("span", { class: "detail-name", attrs: { dir: "auto" }, text: x.name }),
        h("span", { class: "detail-meta", text: x.message }),
      ),
    ),
  );
}

/** The files Garmin (or the export) does not have, by activity, with why: nothing is missing. */
function unavailableSection(unavailable: Unavailable[], imported: boolean): HTMLElement {
  return h(
    "section",
    { class: "detail-section calm", id: "unavailable-section", attrs: { "aria-labelledby": "unavailable-title" } },
    h(
      "h2",
      { id: "unavailable-title" },
      icon([...ICONS.info]),
      `${imported ? "Files your export doesn't have" : "Files Garmin doesn't have"} (${formatCount(unavailable.length)})`,
    ),
    h("p", {
      class: "hint",
      text: imported
        ? "Their details and their line in activities.csv are saved. Activities entered by hand never had a file; for the others, a backup signed in to Garmin may still find one."
        : "That's fine: nothing is missing from your backup. Garmin only makes some formats for some activities; an indoor swim has no GPS track, for example. Everything Garmin has is saved.",
    }),
    detailList(unavailableByActivity(unavailable), (e) =>
      h(
        "li",
        { attrs: { "data-id": String(e.id), "data-formats": e.formats.join(",") } },
        h("span", { class: "detail-name", attrs: { dir: "auto" }, text: e.name }),
        h("span", { class: "detail-meta", text: `${e.formats.map((f) => FORMAT_LABELS[f]).join(", ")}: ${e.reasons.join(" ")}` }),
      ),
    ),
  );
}

/** What the export holds that could not be tied to exactly one activity: listed, never guessed. */
function unmatchedSection(n: ImportNotes): HTMLElement {
  const items: HTMLElement[] = [];
  for (const a of n.ambiguous) {
    const names = a.activities.map((x) => x.name).join(", ");
    items.push(
      h(
        "li",
        {},
        h("span", { class: "detail-name", attrs: { dir: "auto" }, text: names || a.uploads.map(fileName).join(", ") }),
        h("span", { class: "detail-meta", text: `Several matches (${a.uploads.map(fileName).join(", ")}): imported without its file, nothing guessed.` }),
      ),
    );
  }
  for (const f of n.unmatched_uploads) {
    items.push(h("li", {}, h("span", { class: "detail-name mono", text: fileName(f) }), h("span", { class: "detail-meta", text: "No activity in the export starts at this file's time (often one deleted since)." })));
  }
  for (const f of n.unreadable_uploads) {
    items.push(h("li", {}, h("span", { class: "detail-name mono", text: fileName(f) }), h("span", { class: "detail-meta", text: "This file's start time can't be read, so it can't be matched." })));
  }
  const count = unmatchedCount(n);
  return h(
    "section",
    { class: "detail-section calm", id: "unmatched-section", attrs: { "aria-labelledby": "unmatched-title" } },
    h("h2", { id: "unmatched-title" }, icon([...ICONS.info]), `Not matched (${formatCount(count)})`),
    h("p", {
      class: "hint",
      text: `The export's files are tied to activities by their start time; ${formatCount(n.matched)} of ${formatCount(n.uploads)} were. These could not be tied to exactly one activity, so they were left out rather than guessed. They are still in your export.`,
    }),
    detailList(items, (item) => item),
  );
}

/** What the export's health folders leave empty: said once, so no one wonders why a column is blank. */
function notInExportSection(missing: NotInExport[]): HTMLElement {
  return h(
    "section",
    { class: "detail-section calm", id: "not-in-export-section", attrs: { "aria-labelledby": "not-in-export-title" } },
    h("h2", { id: "not-in-export-title" }, icon([...ICONS.info]), "Not in Garmin's export"),
    h("p", { class: "hint", text: "The export leaves these empty. Sign in and back up the same days to fill them." }),
    h(
      "ul",
      { class: "detail-list" },
      ...missing.map((m) =>
        h("li", {}, h("span", { class: "detail-name mono", text: m.column ? `${m.file} · ${m.column}` : m.file }), h("span", { class: "detail-meta", text: m.why })),
      ),
    ),
  );
}

/** The health part: days fetched, already there, failed; weigh-ins and records; what failed. */
function healthSection(r: HealthReport): HTMLElement {
  const range = r.first_day && r.last_day ? `${r.first_day} to ${r.last_day}` : "";
  const failed = r.failures;
  return h(
    "section",
    { class: "detail-section", id: "health-section", attrs: { "aria-labelledby": "health-title" } },
    h("h2", { id: "health-title", text: "Health data" }),
    range ? h("p", { class: "hint", id: "health-range", text: `Days from ${range}.` }) : null,
    h(
      "div",
      { class: "tiles" },
      tile("health-fetched", formatCount(r.days_fetched), r.days_fetched === 1 ? "day backed up now" : "days backed up now", `${plural(r.days_empty, "day", "days")} without a device`),
      tile("health-skipped", formatCount(r.days_skipped), "already safe in your folder", "Not downloaded again"),
      tile("health-failed", formatCount(r.days_failed), r.days_failed === 1 ? "day failed" : "days failed", r.days_failed ? "Retried next time" : "Nothing failed", r.days_failed > 0),
    ),
    h("p", { class: "hint", id: "health-extra", text: `${plural(r.weigh_ins, "weigh-in", "weigh-ins")} and ${plural(r.records, "personal record", "personal records")} in your folder.` }),
    r.stopped ? h("p", { class: "notice-detail", id: "health-stopped", text: `Stopped early: ${r.stopped}. The next backup continues from there.` }) : null,
    failed.length > 0
      ? h(
          "ul",
          { class: "detail-list", id: "health-failures" },
          ...failed.map((f) => h("li", {}, h("span", { class: "detail-name", text: f.day }), h("span", { class: "detail-meta", text: f.message }))),
        )
      : null,
  );
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
