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
