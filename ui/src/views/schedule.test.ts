import { describe as suite, expect, it } from "vitest";
import { describe } from "./schedule";
import type { ScheduleStatus } from "../wire";

const base: ScheduleStatus = { enabled: true, last_backup: null, last_success: null, next_check: null, waiting_for: null };

suite("the daily backup strip", () => {
  it("says there was no backup yet, then when the last one was", () => {
    expect(describe(base).last).toBe("No backup yet");
    expect(describe({ ...base, last_backup: "today 07:12, 2 new" }).last).toBe("Last backup: today 07:12, 2 new");
  });

  it("says what it waits for only while it is on", () => {
    expect(describe({ ...base, waiting_for: "sign_in" }).waiting).toBe("Waiting for you to sign in again.");
    expect(describe({ ...base, waiting_for: "garmin" }).waiting).toContain("tomorrow");
    expect(describe({ ...base, enabled: false, waiting_for: "sign_in" }).waiting).toBeNull();
    expect(describe({ ...base, waiting_for: "something_new" }).waiting).toBeNull();
  });
});
