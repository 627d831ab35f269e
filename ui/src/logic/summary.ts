// What a run's summary says before its details: the heading, its tone and the first sentence,
// decided from how the run ended; and the files it could not have, grouped by activity. Pure
// functions, for the summary view and its tests.
import type { ActivityId, Format, Summary, Unavailable } from "../wire";
import { plural } from "../format";
import { explainStop, explainUnavailable } from "./messages";

/** How a run ended, in the terms the summary's heading and first sentence need. */
export interface Outcome {
  /** An import counts the export's activities; `null` for a backup from Garmin. */
  exportActivities: number | null;
  cancelled: boolean;
  stopped: Summary["stopped"];
  /** Activities that failed (each counted once, whatever number of its files failed). */
  failed: number;
  /** Whether activities were asked for (a health-only backup has none to speak of). */
  activities: boolean;
  /** Whether the run has a health part. */
  health: boolean;
  /** The health part stopped early or left days behind. */
  healthTrouble: boolean;
}

export function outcomeOf(s: Summary, activities: boolean, failed: number): Outcome {
  // A summary from an older shell has no health part at all.
  const health = s.health ?? null;
  return {
    exportActivities: s.import ? s.import.activities : null,
    cancelled: s.cancelled,
    stopped: s.stopped,
    failed,
    activities,
    health: health !== null,
    healthTrouble: health !== null && (health.stopped !== null || health.days_failed > 0),
  };
}

export type Tone = "good" | "warn" | "bad";

/** The summary's title and how it looks: a cancel warns, a stop is bad, failures warn. */
export function summaryHeading(o: Outcome): { heading: string; tone: Tone } {
  const run = o.exportActivities !== null ? "Import" : "Backup";
  if (o.cancelled) return { heading: `${run} stopped`, tone: "warn" };
  if (o.stopped) return { heading: `${run} stopped early`, tone: "bad" };
  if (o.failed > 0 || o.healthTrouble) return { heading: `${run} finished, with a few problems`, tone: "warn" };
  if (o.exportActivities !== null) return { heading: "Your activities are imported", tone: "good" };
  const what = !o.activities ? "Your health data is" : o.health ? "Your activities and health data are" : "Your activities are";
  return { heading: `${what} backed up`, tone: "good" };
}

/** The sentence under the title: what is safe now, and what the next run does. */
export function summaryIntro(o: Outcome): string {
  const imported = o.exportActivities !== null;
  if (o.cancelled)
    return imported
      ? "You stopped the import. Everything saved so far is complete and kept; importing again continues from there."
      : "You stopped the backup. Everything saved so far is complete and kept; the next backup continues from there.";
  if (o.stopped) return `${explainStop(o.stopped).title} ${explainStop(o.stopped).detail}`;
  if (o.failed > 0)
    return imported
      ? "Most of your activities are safe. A few could not be read from the export; you can try them again."
      : "Most of your activities are safe. A few could not be downloaded this time; you can try them again.";
  if (o.exportActivities !== null)
    return `Every activity in your export (${plural(o.exportActivities, "activity", "activities")}) is now in your folder, with the files the export holds for them.`;
  if (!o.activities) return "Your health data is now in your folder, day by day. Next time, only new days are downloaded.";
  if (o.health) return "Everything Garmin has for your activities and your health data is now in your folder. Next time, only what's new is downloaded.";
  return "Everything Garmin has for your activities is now in your folder. Next time, only new activities are downloaded.";
}

export interface UnavailableActivity {
  id: ActivityId;
  name: string;
  formats: Format[];
  /** Each reason once, in plain words. */
  reasons: string[];
}

/** Grouped by activity, in the order first met: "Pool swim: GPX, KML" reads better than one line per file. */
export function unavailableByActivity(unavailable: readonly Unavailable[]): UnavailableActivity[] {
  const byActivity = new Map<ActivityId, { id: ActivityId; name: string; formats: Format[]; reasons: Set<string> }>();
  for (const u of unavailable) {
    const entry = byActivity.get(u.id) ?? { id: u.id, name: u.name, formats: [], reasons: new Set<string>() };
    entry.formats.push(u.format);
    entry.reasons.add(explainUnavailable(u.reason));
    byActivity.set(u.id, entry);
  }
  return [...byActivity.values()].map((e) => ({ ...e, reasons: [...e.reasons] }));
}
