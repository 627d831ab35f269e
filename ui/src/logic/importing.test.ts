import { describe, expect, it } from "vitest";
import { fileName, importFormats, importProblem, unmatchedCount } from "./importing";

describe("importFormats", () => {
  it("keeps what the export can give, in order, and never KML", () => {
    expect(importFormats(["kml", "json", "gpx"])).toEqual(["gpx", "json"]);
    expect(importFormats(["original", "tcx"])).toEqual(["original", "tcx"]);
  });
  it("falls back to the original when nothing usable was saved", () => {
    expect(importFormats([])).toEqual(["original"]);
    expect(importFormats(["kml"])).toEqual(["original"]);
  });
});

describe("fileName", () => {
  it("shows the last part of Unix and Windows paths", () => {
    expect(fileName("/Users/ana/Downloads/export.zip")).toBe("export.zip");
    expect(fileName("C:\\Users\\Ana\\Downloads\\garmin.zip")).toBe("garmin.zip");
    expect(fileName("/Users/ana/unpacked/")).toBe("unpacked");
    expect(fileName("x.fit")).toBe("x.fit");
  });
});

describe("importProblem", () => {
  const ok = { export: "/Users/ana/export.zip", folder: "/Users/ana/Garmin", formats: ["original"] as const };
  it("is null when everything is there", () => {
    expect(importProblem(ok)).toBeNull();
    expect(importProblem({ ...ok, export: "C:\\Users\\Ana\\export.zip", folder: "D:\\Backup" })).toBeNull();
  });
  it("names the first missing thing", () => {
    expect(importProblem({ ...ok, export: "  " })?.field).toBe("export");
    expect(importProblem({ ...ok, export: "export.zip" })?.field).toBe("export");
    expect(importProblem({ ...ok, folder: "" })?.field).toBe("folder");
    expect(importProblem({ ...ok, folder: "Garmin" })?.field).toBe("folder");
    expect(importProblem({ ...ok, formats: [] })?.field).toBe("formats");
  });
});

describe("unmatchedCount", () => {
  it("counts files and ambiguous groups", () => {
    expect(
      unmatchedCount({
        activities: 3, uploads: 4, matched: 1,
        unmatched_uploads: ["a.fit"], unreadable_uploads: ["b.gpx"],
        ambiguous: [{ uploads: ["c.fit", "d.fit"], activities: [{ id: 1, name: "Run" }] }],
        not_in_export: [],
      }),
    ).toBe(3);
  });
});
