// The end of a run: what is now safe, what Garmin simply does not have (and why that is
// fine), what failed (with Retry), and the way back. An import (the summary carries its
// `import` findings) says so in its own words and lists what the export could not match.
import type { ActivityId, Format, HealthReport, ImportNotes, NotInExport, Summary } from "../wire";
import { h, icon, ICONS } from "../dom";
import { formatBytes, formatCount, formatDuration } from "../format";
import { explainError, explainStop, explainUnavailable, FORMAT_LABELS } from "../logic/messages";
import { fileName, unmatchedCount } from "../logic/importing";
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

function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function mountSummary(root: HTMLElement, ctx: SummaryContext): () => void {
  const s = ctx.summary;
  const failedIds = [...new Set(s.failed.map((f) => f.id))];
  const stopped = s.stopped;
  const notes = s.import;
  const run = notes ? "Import" : "Backup";
  // A summary from an older shell has no health part at all.
  const health = s.health ?? null;
  const withActivities = ctx.activities ?? true;
  const healthTrouble = health !== null && (health.stopped !== null || health.days_failed > 0);
  const what = !withActivities ? "Your health data is" : health ? "Your activities and health data are" : "Your activities are";

  let heading: string;
  let tone: "good" | "warn" | "bad";
  if (s.cancelled) {
    heading = `${run} stopped`;
    tone = "warn";
  } else if (stopped) {
    heading = `${run} stopped early`;
    tone = "bad";
  } else if (failedIds.length > 0 || healthTrouble) {
    heading = `${run} finished, with a few problems`;
    tone = "warn";
  } else {
    heading = notes ? "Your activities are imported" : `${what} backed up`;
    tone = "good";
  }

  let intro: string;
  if (s.cancelled)
    intro = notes
      ? "You stopped the import. Everything saved so far is complete and kept; importing again continues from there."
      : "You stopped the backup. Everything saved so far is complete and kept; the next backup continues from there.";
  else if (stopped) intro = `${explainStop(stopped).title} ${explainStop(stopped).detail}`;
  else if (failedIds.length > 0)
    intro = notes
      ? "Most of your activities are safe. A few could not be read from the export; you can try them again."
      : "Most of your activities are safe. A few could not be downloaded this time; you can try them again.";
  else if (notes)
    intro = `Every activity in your export (${plural(notes.activities, "activity", "activities")}) is now in your folder, with the files the export holds for them.`;
  else if (!withActivities) intro = "Your health data is now in your folder, day by day. Next time, only new days are downloaded.";
  else if (health) intro = "Everything Garmin has for your activities and your health data is now in your folder. Next time, only what's new is downloaded.";
  else intro = "Everything Garmin has for your activities is now in your folder. Next time, only new activities are downloaded.";

  const tiles = h(
    "div",
    { class: "tiles" },
    tile(
      "summary-new",
      formatCount(s.activities_new),
      notes
        ? s.activities_new === 1 ? "activity imported now" : "activities imported now"
        : s.activities_new === 1 ? "activity backed up now" : "activities backed up now", `${formatBytes(s.bytes_written)} in ${formatDuration(s.elapsed_ms / 1000)}`),
    tile("summary-skipped", formatCount(s.activities_skipped), "already safe in your folder", notes ? "Not copied again" : "Not downloaded again"),
    tile("summary-failed", formatCount(failedIds.length), failedIds.length === 1 ? "activity failed" : "activities failed", failedIds.length ? "See below" : "Nothing failed", failedIds.length > 0),
  );

  if (!withActivities) tiles.hidden = true;

  const sections: HTMLElement[] = [];
  // A cancel is said once, above: the health part's "stopped" would only repeat it.
  if (health) sections.push(healthSection(s.cancelled ? { ...health, stopped: null } : health));

  if (s.failed.length > 0) {
    const retry = h("button", { id: "retry", class: "button primary", attrs: { type: "button" }, text: `Try ${plural(failedIds.length, "activity", "activities")} again` });
    retry.addEventListener("click", () => ctx.onRetry(failedIds));
    sections.push(
      h(
        "section",
        { class: "detail-section", id: "failed-section", attrs: { "aria-labelledby": "failed-title" } },
        h("div", { class: "section-head" }, h("h2", { id: "failed-title", text: notes ? "Couldn't import" : "Couldn't download" }), retry),
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

  if (s.salvaged.length > 0) {
    sections.push(
      h(
        "section",
        { class: "detail-section calm", id: "salvaged-section", attrs: { "aria-labelledby": "salvaged-title" } },
        h("h2", { id: "salvaged-title" }, icon([...ICONS.info]), `Tracks recovered from damaged files (${formatCount(s.salvaged.length)})`),
        h("p", {
          class: "hint",
          text: "These original files are damaged (cut short or corrupted, often by a watch that stopped mid-save). They are kept exactly as they came; the GPX and TCX hold the part that could be read.",
        }),
        h(
          "ul",
          { class: "detail-list" },
          ...s.salvaged.slice(0, 200).map((x) =>
            h(
              "li",
              { attrs: { "data-id": String(x.id) } },
              h("span", { class: "detail-name", attrs: { dir: "auto" }, text: x.name }),
              h("span", { class: "detail-meta", text: x.message }),
            ),
          ),
          s.salvaged.length > 200 ? h("li", { class: "more", text: `and ${formatCount(s.salvaged.length - 200)} more` }) : null,
        ),
      ),
    );
  }

  if (s.unavailable.length > 0) {
    // Grouped by activity: "Pool swim: GPX, KML" reads better than one line per file.
    const byActivity = new Map<ActivityId, { id: ActivityId; name: string; formats: Format[]; reasons: Set<string> }>();
    for (const u of s.unavailable) {
      const entry = byActivity.get(u.id) ?? { id: u.id, name: u.name, formats: [], reasons: new Set<string>() };
      entry.formats.push(u.format);
      entry.reasons.add(explainUnavailable(u.reason));
      byActivity.set(u.id, entry);
    }
    const entries = [...byActivity.values()];
    sections.push(
      h(
        "section",
        { class: "detail-section calm", id: "unavailable-section", attrs: { "aria-labelledby": "unavailable-title" } },
        h(
          "h2",
          { id: "unavailable-title" },
          icon([...ICONS.info]),
          `${notes ? "Files your export doesn't have" : "Files Garmin doesn't have"} (${formatCount(s.unavailable.length)})`,
        ),
        h("p", {
          class: "hint",
          text: notes
            ? "Their details and their line in activities.csv are saved. Activities entered by hand never had a file; for the others, a backup signed in to Garmin may still find one."
            : "That's fine: nothing is missing from your backup. Garmin only makes some formats for some activities; an indoor swim has no GPS track, for example. Everything Garmin has is saved.",
        }),
        h(
          "ul",
          { class: "detail-list" },
          ...entries.slice(0, 200).map((e) =>
            h(
              "li",
              { attrs: { "data-id": String(e.id), "data-formats": e.formats.join(",") } },
              h("span", { class: "detail-name", attrs: { dir: "auto" }, text: e.name }),
              h("span", { class: "detail-meta", text: `${e.formats.map((f) => FORMAT_LABELS[f]).join(", ")}: ${[...e.reasons].join(" ")}` }),
            ),
          ),
          entries.length > 200 ? h("li", { class: "more", text: `and ${formatCount(entries.length - 200)} more` }) : null,
        ),
      ),
    );
  }

  if (notes && unmatchedCount(notes) > 0) sections.push(unmatchedSection(notes));
  if (notes && notes.not_in_export.length > 0) sections.push(notInExportSection(notes.not_in_export));

  const open = h("button", { id: "summary-open", class: "button", attrs: { type: "button" } }, icon([...ICONS.folder]), "Open folder");
  const back = h("button", { id: "summary-back", class: failedIds.length ? "button" : "button primary", attrs: { type: "button" }, text: ctx.backLabel ?? "Back to the list" });
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
        stopped ? diagnosticButton() : null,
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
    h(
      "ul",
      { class: "detail-list" },
      ...items.slice(0, 200),
      items.length > 200 ? h("li", { class: "more", text: `and ${formatCount(items.length - 200)} more` }) : null,
    ),
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
