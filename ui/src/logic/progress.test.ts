import { describe, expect, it } from "vitest";
import { ActiveClock, estimateRemainingMs, percentDone, phaseLine, progressTitle } from "./progress";

const p = (done: number, failed: number, planned: number) => ({
  activities_done: done,
  activities_failed: failed,
  activities_planned: planned,
});

describe("percentDone", () => {
  it("counts failed activities as finished", () => {
    expect(percentDone(p(40, 10, 200))).toBe(25);
  });
  it("is 0 before a plan exists and 100 only when all are finished", () => {
    expect(percentDone(p(0, 0, 0))).toBe(0);
    expect(percentDone(p(999, 0, 1000))).toBe(99);
    expect(percentDone(p(1000, 0, 1000))).toBe(100);
  });
  it("never rounds up", () => {
    expect(percentDone(p(2, 0, 3))).toBe(66);
  });
});

describe("estimateRemainingMs", () => {
  it("waits for enough evidence", () => {
    expect(estimateRemainingMs(0, 100, 10_000)).toBeNull();
    expect(estimateRemainingMs(2, 100, 10_000)).toBeNull();
    expect(estimateRemainingMs(5, 100, 1000)).toBeNull();
  });
  it("extrapolates the average pace", () => {
    expect(estimateRemainingMs(10, 100, 20_000)).toBe(180_000);
    expect(estimateRemainingMs(100, 100, 20_000)).toBe(0);
  });
  it("works for tiny plans", () => {
    expect(estimateRemainingMs(1, 2, 4000)).toBe(4000);
  });
});

describe("ActiveClock", () => {
  it("excludes the time spent paused by Garmin", () => {
    const c = new ActiveClock(0);
    c.observe(false, 1000);
    c.observe(true, 5000);
    expect(c.active(8000)).toBe(5000);
    c.observe(false, 65_000);
    expect(c.active(70_000)).toBe(10_000);
    expect(c.elapsed(70_000)).toBe(70_000);
  });
});

describe("progressTitle and phaseLine", () => {
  it("name the run, and the health part once it starts", () => {
    expect(progressTitle("import", { is: "activities" }, false)).toBe("Importing your activities");
    expect(progressTitle("backup", { is: "starting" }, false)).toBe("Backing up your activities");
    expect(progressTitle("backup", { is: "days" }, false)).toBe("Backing up your health data");
    expect(progressTitle("backup", { is: "days" }, true)).toBe("Trying again");
  });
  it("count what the listing has found so far, in the run's words", () => {
    expect(phaseLine("import", { is: "listing", listed: 1 }, false)).toBe("Reading your export… 1 activity found so far.");
    expect(phaseLine("import", { is: "listing", listed: 1500 }, false)).toBe("Reading your export… 1,500 activities found so far.");
    expect(phaseLine("backup", { is: "listing", listed: 1500 }, false)).toBe("Checking which activities are new… 1,500 looked at so far.");
  });
  it("say that stopping keeps what is saved, once fetching has begun", () => {
    expect(phaseLine("backup", { is: "activities" }, true)).toMatch(/^Stopping after the file in progress/);
    expect(phaseLine("backup", { is: "days" }, true)).toMatch(/^Stopping after the days in progress/);
    expect(phaseLine("import", { is: "activities" }, false)).toContain("importing again picks up where it left off");
    expect(phaseLine("backup", { is: "starting" }, true)).toBe("Starting…");
  });
});
