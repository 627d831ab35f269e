import { describe, expect, it } from "vitest";
import type { AppError, ErrorKind } from "../wire";
import { toAppError } from "../api";
import { explainError, explainStop, explainUnavailable, folderFieldProblem } from "./messages";

const kinds: ErrorKind[] = [
  "wrong_credentials", "wrong_code", "captcha_required", "account_locked", "rate_limited",
  "tokens_expired", "not_signed_in", "sign_in_cancelled", "ticket_rejected", "not_a_ticket", "no_pending_code",
  "offline", "timeout", "server", "forbidden", "disk_full", "folder_unusable", "folder_refused", "backup_running",
  "not_an_export", "export_damaged", "cancelled", "unexpected",
];

function err(kind: ErrorKind): AppError {
  if (kind === "rate_limited") return { kind, message: "HTTP 429", until: 0 };
  if (kind === "folder_refused") return { kind, message: "backend text", path: null };
  if (kind === "disk_full" || kind === "folder_unusable" || kind === "not_an_export" || kind === "export_damaged") return { kind, message: "m", path: null };
  return { kind, message: "backend text" } as AppError;
}

describe("explainError", () => {
  it("has plain words for every kind, never the backend's text (except for the unexpected, a refused folder and a bad paste)", () => {
    for (const kind of kinds) {
      const { title, detail } = explainError(err(kind));
      expect(title.length).toBeGreaterThan(5);
      expect(detail.length).toBeGreaterThan(5);
      if (kind !== "unexpected" && kind !== "folder_refused" && kind !== "not_a_ticket") expect(`${title} ${detail}`).not.toContain("backend text");
    }
  });
  it("says what to do for the ones people can act on", () => {
    expect(explainError(err("wrong_credentials")).title).toMatch(/email and password/);
    expect(explainError(err("account_locked")).detail).toMatch(/Reset your password/);
    expect(explainError(err("captcha_required")).detail).toMatch(/Sign in with Garmin/);
    expect(explainError(err("offline")).detail).toMatch(/internet/);
    expect(explainError(err("disk_full")).detail).toMatch(/Free some space/);
  });
  it("shows the technical detail of an unexpected error", () => {
    expect(explainError({ kind: "unexpected", message: "panic at foo" }).detail).toContain("panic at foo");
  });
});

describe("a refused folder", () => {
  // The shell's own words (gcexport_backup::folder): they name the folder and what to do.
  const refused: AppError = {
    kind: "folder_refused",
    message: "“//nas/backups” is a folder on another computer. To back up to a network folder, choose it with Choose…",
    path: "//nas/backups",
  };
  it("shows why, as the shell says it, and names the folder", () => {
    const { title, detail } = explainError(refused);
    expect(title).toBe("The backup can't go into this folder.");
    expect(detail).toBe(refused.message);
    expect(folderFieldProblem(refused)).toBe(refused.message);
  });
  it("still says what to do when the shell gave no reason", () => {
    expect(explainError({ kind: "folder_refused", message: " ", path: null }).detail).toMatch(/Choose…/);
  });
  it("is the folder field's problem; other errors are not", () => {
    expect(folderFieldProblem({ kind: "folder_unusable", message: "writing x: denied", path: "x" })).toBeNull();
    expect(folderFieldProblem({ kind: "offline", message: "m" })).toBeNull();
    expect(folderFieldProblem(null)).toBeNull();
  });
});

describe("explainStop", () => {
  it("says a blocked backup lost nothing, and when to try again", () => {
    const until = new Date(2026, 11, 6, 14, 35).getTime();
    const { title, detail } = explainStop({ kind: "rate_limited", message: "HTTP 403", until });
    expect(title).toMatch(/refusing requests/);
    expect(title).not.toMatch(/sign-ins/);
    expect(detail).toMatch(/Nothing is lost/);
    expect(detail).toContain(new Date(until).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
  });
  it("explains other stops as errors", () => {
    expect(explainStop(err("disk_full"))).toEqual(explainError(err("disk_full")));
  });
});

describe("toAppError", () => {
  it("keeps a well-formed error", () => {
    expect(toAppError({ kind: "wrong_code", message: "x" })).toEqual({ kind: "wrong_code", message: "x" });
  });
  it("keeps a refused folder's kind, message and path", () => {
    const raw = { kind: "folder_refused", message: "“/etc” is a system folder", path: "/etc" };
    expect(toAppError(raw)).toEqual(raw);
  });
  it("wraps strings and unknown kinds as unexpected", () => {
    expect(toAppError("boom")).toEqual({ kind: "unexpected", message: "boom" });
    expect(toAppError({ kind: "martian", message: "x" }).kind).toBe("unexpected");
  });
  it("gives a rate limit without an end a short cool-down rather than none", () => {
    const e = toAppError({ kind: "rate_limited", message: "" });
    expect(e.kind === "rate_limited" && e.until > Date.now()).toBe(true);
  });
});

describe("explainUnavailable", () => {
  it("explains each reason", () => {
    expect(explainUnavailable("no_track")).toMatch(/GPS/);
    expect(explainUnavailable("manual")).toMatch(/by hand/);
    expect(explainUnavailable("not_offered")).toMatch(/doesn't offer/);
    expect(explainUnavailable("uploaded_track")).toMatch(/Uploaded/);
  });
});
