import { describe, expect, it } from "vitest";
import type { ActivityRow } from "../wire";
import { countStatuses, filterRows, fold, NO_FILTER, typesOf } from "./filter";

function row(id: number, name: string, type_key: string, start_local: string, status: ActivityRow["status"] = "new"): ActivityRow {
  return { id, name, type_key, start_local, distance_m: 1000, duration_s: 600, status };
}

const rows = [
  row(1, "Morning Run", "running", "2024-03-01T07:00:00", "in_backup"),
  row(2, "Café ride ☕", "road_biking", "2024-02-15T10:00:00"),
  row(3, "<script>alert(1)</script>", "running", "2024-01-31T23:59:59", "failed"),
  row(4, "سباحة الصباح", "lap_swimming", "2023-12-31T06:00:00", "unavailable"),
  row(5, "Run in the\nmorning", "trail_running", "2023-06-01T08:00:00", "in_backup"),
];

describe("filterRows", () => {
  it("returns everything when no filter is set", () => {
    expect(filterRows(rows, NO_FILTER)).toHaveLength(5);
  });
  it("matches every word anywhere in name or type, case and accents aside", () => {
    expect(filterRows(rows, { ...NO_FILTER, query: "morning run" }).map((r) => r.id)).toEqual([1, 5]);
    expect(filterRows(rows, { ...NO_FILTER, query: "CAFE" }).map((r) => r.id)).toEqual([2]);
    expect(filterRows(rows, { ...NO_FILTER, query: "swimming" }).map((r) => r.id)).toEqual([4]);
    expect(filterRows(rows, { ...NO_FILTER, query: "<script>" }).map((r) => r.id)).toEqual([3]);
    expect(filterRows(rows, { ...NO_FILTER, query: "الصباح" }).map((r) => r.id)).toEqual([4]);
  });
  it("filters by exact type key", () => {
    expect(filterRows(rows, { ...NO_FILTER, type: "running" }).map((r) => r.id)).toEqual([1, 3]);
  });
  it("treats the date range as inclusive on both ends", () => {
    const f = { ...NO_FILTER, from: "2024-01-31", to: "2024-02-15" };
    expect(filterRows(rows, f).map((r) => r.id)).toEqual([2, 3]);
    expect(filterRows(rows, { ...NO_FILTER, to: "2023-12-31" }).map((r) => r.id)).toEqual([4, 5]);
    expect(filterRows(rows, { ...NO_FILTER, from: "2024-03-01" }).map((r) => r.id)).toEqual([1]);
  });
  it("combines filters", () => {
    expect(filterRows(rows, { query: "run", type: "running", from: "2024-02-01", to: "" }).map((r) => r.id)).toEqual([1]);
  });
  it("searches 10,000 rows quickly", () => {
    const many = Array.from({ length: 10_000 }, (_, i) => row(i, `Activity ${i} 🏃`, i % 2 ? "running" : "cycling", "2024-01-01T00:00:00"));
    const t0 = performance.now();
    expect(filterRows(many, { ...NO_FILTER, query: "9999" })).toHaveLength(1);
    expect(filterRows(many, { ...NO_FILTER, query: "999" })).toHaveLength(19);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe("fold", () => {
  it("drops accents and case", () => {
    expect(fold("Équipe ÅRE")).toBe("equipe are");
  });
});

describe("countStatuses and typesOf", () => {
  it("counts each status", () => {
    expect(countStatuses(rows)).toEqual({ total: 5, in_backup: 2, new: 1, unavailable: 1, failed: 1 });
  });
  it("lists types most frequent first", () => {
    expect(typesOf(rows)[0]).toEqual({ key: "running", count: 2 });
    expect(typesOf(rows)).toHaveLength(4);
  });
});
