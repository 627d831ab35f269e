import { describe, expect, it } from "vitest";
import type { HealthReport, ImportNotes, Summary } from "../wire";
import { outcomeOf, summaryHeading, summaryIntro, unavailableByActivity, type Outcome } from "./summary";

const quiet: Outcome = { exportActivities: null, cancelled: false, stopped: null, failed: 0, activities: true, health: false, healthTrouble: false };

function summary(over: Partial<Summary> = {}): Summary {
  return {
    activities_new: 0, activities_skipped: 0, activities_failed: 0, files_written: 0, bytes_written: 0, elapsed_ms: 0,
    unavailable: [], failed: [], salvaged: [], cancelled: false, stopped: null, import: null, health: null,
    ...over,
  };
}

const health: HealthReport = {
  first_day: "2024-01-01", last_day: "2024-01-31", days_fetched: 31, days_skipped: 0, days_empty: 0, days_failed: 0,
  weigh_ins: 0, records: 0, failures: [], stopped: null,
};

const notes: ImportNotes = { activities: 1200, uploads: 0, matched: 0, unmatched_uploads: [], unreadable_uploads: [], ambiguous: [], not_in_export: [] };

describe("outcomeOf", () => {
  it("counts the health part's trouble: a stop or a failed day", () => {
    expect(outcomeOf(summary({ health }), true, 0)).toMatchObject({ health: true, healthTrouble: false });
    expect(outcomeOf(summary({ health: { ...health, days_failed: 1 } }), true, 0).healthTrouble).toBe(true);
    expect(outcomeOf(summary({ health: { ...health, stopped: "disk full" } }), true, 0).healthTrouble).toBe(true);
  });
  it("reads a summary without a health part or import notes (not even null) as a plain backup", () => {
    const older = summary();
    delete (older as Partial<Summary>).health;
    delete (older as Partial<Summary>).import;
    expect(outcomeOf(older, true, 0)).toMatchObject({ exportActivities: null, health: false, healthTrouble: false });
    expect(summaryHeading(outcomeOf(older, true, 0)).heading).toBe("Your activities are backed up");
  });
  it("knows an import by its notes", () => {
    expect(outcomeOf(summary({ import: notes }), true, 2)).toMatchObject({ exportActivities: 1200, failed: 2 });
  });
});

describe("summaryHeading", () => {
  it("says what was backed up when all went well", () => {
    expect(summaryHeading(quiet)).toEqual({ heading: "Your activities are backed up", tone: "good" });
    expect(summaryHeading({ ...quiet, health: true }).heading).toBe("Your activities and health data are backed up");
    expect(summaryHeading({ ...quiet, activities: false, health: true }).heading).toBe("Your health data is backed up");
    expect(summaryHeading({ ...quiet, exportActivities: 3 })).toEqual({ heading: "Your activities are imported", tone: "good" });
  });
  it("puts a cancel before a stop, and a stop before failures", () => {
    const everything = { ...quiet, cancelled: true, stopped: { kind: "offline", message: "" } as const, failed: 2, healthTrouble: true };
    expect(summaryHeading(everything)).toEqual({ heading: "Backup stopped", tone: "warn" });
    expect(summaryHeading({ ...everything, cancelled: false })).toEqual({ heading: "Backup stopped early", tone: "bad" });
    expect(summaryHeading({ ...everything, cancelled: false, stopped: null, exportActivities: 5 })).toEqual({ heading: "Import finished, with a few problems", tone: "warn" });
    expect(summaryHeading({ ...quiet, healthTrouble: true }).tone).toBe("warn");
  });
});

describe("summaryIntro", () => {
  it("counts the export's activities after an import", () => {
    expect(summaryIntro({ ...quiet, exportActivities: 1200 })).toContain("Every activity in your export (1,200 activities)");
    expect(summaryIntro({ ...quiet, exportActivities: 1 })).toContain("(1 activity)");
  });
  it("speaks of an import or a backup, in its own words", () => {
    expect(summaryIntro({ ...quiet, cancelled: true })).toContain("the next backup continues");
    expect(summaryIntro({ ...quiet, cancelled: true, exportActivities: 4 })).toContain("importing again continues");
    expect(summaryIntro({ ...quiet, failed: 1 })).toContain("could not be downloaded");
    expect(summaryIntro({ ...quiet, failed: 1, exportActivities: 4 })).toContain("could not be read from the export");
  });
  it("says why a run stopped early", () => {
    expect(summaryIntro({ ...quiet, stopped: { kind: "disk_full", message: "m", path: null } })).toMatch(/^The disk is full\. Free some space/);
  });
  it("says what the next backup fetches", () => {
    expect(summaryIntro(quiet)).toContain("only new activities are downloaded");
    expect(summaryIntro({ ...quiet, health: true })).toContain("only what's new is downloaded");
    expect(summaryIntro({ ...quiet, activities: false, health: true })).toContain("only new days are downloaded");
  });
});

describe("unavailableByActivity", () => {
  it("lists each activity once, with its formats and each reason once, in the order met", () => {
    const grouped = unavailableByActivity([
      { id: 2, name: "Pool swim", format: "gpx", reason: "no_track" },
      { id: 1, name: "Yoga", format: "original", reason: "manual" },
      { id: 2, name: "Pool swim", format: "kml", reason: "no_track" },
      { id: 2, name: "Pool swim", format: "tcx", reason: "not_offered" },
    ]);
    expect(grouped.map((g) => [g.id, g.formats])).toEqual([[2, ["gpx", "kml", "tcx"]], [1, ["original"]]]);
    expect(grouped[0]?.reasons).toEqual(["Recorded without GPS, so there is no track to export.", "Garmin doesn't offer this format for this kind of activity."]);
  });
});
