import { describe, expect, it } from "vitest";
import { formatDistance, formatDuration } from "./format";

describe("formatDuration", () => {
  it("shows minutes and seconds under an hour", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(59.6)).toBe("1:00");
    expect(formatDuration(3599)).toBe("59:59");
  });
  it("lets hours run past a day", () => {
    expect(formatDuration(3600)).toBe("1:00:00");
    expect(formatDuration(90061)).toBe("25:01:01");
  });
  it("refuses nonsense", () => {
    expect(formatDuration(-1)).toBe("–");
    expect(formatDuration(Number.NaN)).toBe("–");
  });
});

describe("formatDistance", () => {
  it("converts metres to kilometres", () => {
    expect(formatDistance(10_000)).toBe("10.00 km");
    expect(formatDistance(1234.5)).toBe("1.23 km");
  });
  it("shows a dash when there is no distance", () => {
    expect(formatDistance(null)).toBe("–");
    expect(formatDistance(undefined)).toBe("–");
  });
});

import { formatBytes, formatCount, formatStart, plural, typeLabel } from "./format";

describe("formatBytes", () => {
  it("uses decimal units", () => {
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1500)).toBe("1.5 kB");
    expect(formatBytes(12_345_678)).toBe("12 MB");
    expect(formatBytes(2_500_000_000)).toBe("2.5 GB");
  });
});

describe("formatStart", () => {
  it("reads the athlete's local clock without shifting time zones", () => {
    expect(formatStart("2024-03-12T07:05:00")).toBe("12 Mar 2024, 07:05");
    expect(formatStart("2023-12-31")).toBe("31 Dec 2023");
    expect(formatStart("garbage")).toBe("garbage");
  });
});

describe("typeLabel, formatCount and plural", () => {
  it("makes type keys readable", () => {
    expect(typeLabel("lap_swimming")).toBe("Lap swimming");
    expect(typeLabel("")).toBe("Other");
  });
  it("groups thousands", () => {
    expect(formatCount(10000)).toBe("10,000");
    expect(formatCount(999)).toBe("999");
  });
  it("says one or many with the count", () => {
    expect(plural(1, "day", "days")).toBe("1 day");
    expect(plural(0, "day", "days")).toBe("0 days");
    expect(plural(2500, "activity", "activities")).toBe("2,500 activities");
  });
});
