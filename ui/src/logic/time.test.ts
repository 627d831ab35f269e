import { describe, expect, it } from "vitest";
import { formatApprox, formatCountdown } from "./time";

describe("formatCountdown", () => {
  it("shows minutes and seconds, rounding up so 0:00 means now", () => {
    expect(formatCountdown(299_001)).toBe("5:00");
    expect(formatCountdown(299_000)).toBe("4:59");
    expect(formatCountdown(1)).toBe("0:01");
    expect(formatCountdown(0)).toBe("0:00");
  });
  it("shows hours for long waits", () => {
    expect(formatCountdown(3_723_000)).toBe("1:02:03");
  });
  it("never goes negative", () => {
    expect(formatCountdown(-5000)).toBe("0:00");
    expect(formatCountdown(Number.NaN)).toBe("0:00");
  });
});

describe("formatApprox", () => {
  it("speaks in rough units", () => {
    expect(formatApprox(20_000)).toBe("under a minute");
    expect(formatApprox(70_000)).toBe("about 1 minute");
    expect(formatApprox(7 * 60_000)).toBe("about 7 minutes");
    expect(formatApprox(65 * 60_000)).toBe("about 1 hour");
    expect(formatApprox(5 * 3_600_000)).toBe("about 5 hours");
    expect(formatApprox(50 * 3_600_000)).toBe("about 2 days");
    expect(formatApprox(-1)).toBe("–");
  });
});
