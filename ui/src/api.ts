// The page's one door to the backend: no other module imports @tauri-apps/*. Every function
// here is one command of the Rust shell; each rejects with an `AppError` (never a bare string),
// so views branch on `kind` and never on message text.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type {
  Account,
  AppError,
  AppInfo,
  BackupEvent,
  BackupRequest,
  ErrorKind,
  ImportRequest,
  ListDone,
  ListEvent,
  PasswordSignIn,
  Preferences,
  ScheduleStatus,
  SessionStatus,
} from "./wire";

export type * from "./wire";

const KINDS: ReadonlySet<string> = new Set<ErrorKind>([
  "wrong_credentials", "wrong_code", "captcha_required", "account_locked", "rate_limited",
  "tokens_expired", "not_signed_in", "sign_in_cancelled", "ticket_rejected", "no_pending_code",
  "offline", "timeout", "server", "forbidden", "disk_full", "folder_unusable", "folder_refused", "backup_running",
  "not_an_export", "export_damaged", "cancelled", "unexpected",
]);

/** Whatever a command rejected with, as an `AppError` (a shell panic or an IPC failure is a string). */
export function toAppError(raw: unknown): AppError {
  if (typeof raw === "object" && raw !== null && "kind" in raw) {
    const r = raw as Record<string, unknown>;
    const message = typeof r["message"] === "string" ? r["message"] : "";
    if (typeof r["kind"] === "string" && KINDS.has(r["kind"])) {
      if (r["kind"] === "rate_limited" && typeof r["until"] !== "number") {
        // A cool-down without an end would leave the UI waiting forever: assume a short one.
        return { kind: "rate_limited", message, until: Date.now() + 60_000 };
      }
      return { ...(r as AppError), message };
    }
  }
  return { kind: "unexpected", message: typeof raw === "string" ? raw : String(raw) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (raw) {
    throw toAppError(raw);
  }
}

export function appInfo(): Promise<AppInfo> {
  return call("app_info");
}

/** Saved tokens (OS keyring) checked and refreshed: the next start goes straight to the list. */
export function sessionStatus(): Promise<SessionStatus> {
  return call("session_status");
}

/** Opens Garmin's own sign-in page in a second window; resolves once its ticket is exchanged. */
export function signInWithGarmin(): Promise<Account> {
  return call("sign_in_with_garmin");
}

export function signInWithPassword(email: string, password: string, remember: boolean): Promise<PasswordSignIn> {
  return call("sign_in_with_password", { email, password, remember });
}

/** Completes a `needs_code` sign-in (the `remember` choice of that sign-in carries over). */
export function submitCode(code: string): Promise<Account> {
  return call("submit_code", { code });
}

/** Forgets the session and removes saved tokens from the keyring. */
export function signOut(): Promise<void> {
  return call("sign_out");
}

/**
 * Lists every activity with its status in `folder` (or all `new` without a folder). Pages
 * arrive through `onPage` as Garmin sends them, so the list shows before the last one.
 */
export function listActivities(folder: string | null, onPage: (event: ListEvent) => void): Promise<ListDone> {
  const channel = new Channel<ListEvent>(onPage);
  return call("list_activities", { folder, onPage: channel });
}

/** The system folder picker; `null` when the person closes it. */
export function chooseFolder(): Promise<string | null> {
  return call("choose_folder");
}

/**
 * Runs one backup. Events arrive through `onEvent`: running totals, then exactly one
 * `finished` with the summary (also after a cancel or a fatal stop such as a full disk).
 * Rejects only when the run cannot start (folder unusable, one already running, signed out).
 */
export function startBackup(request: BackupRequest, onEvent: (event: BackupEvent) => void): Promise<void> {
  const channel = new Channel<BackupEvent>(onEvent);
  return call("start_backup", { request, onEvent: channel });
}

/**
 * The system picker for Garmin's account data export: its ZIP, or with `unpacked` the folder
 * it was unpacked to. `null` when the person closes it.
 */
export function chooseExport(unpacked: boolean): Promise<string | null> {
  return call("choose_export", { unpacked });
}

/**
 * Imports an account data export into a folder, without signing in. Events arrive as for a
 * backup: while the export is read, `activities_listed` counts what was found; then the run's
 * totals, then one `finished`. Rejects when the import cannot start (not an export, a damaged
 * one, folder unusable, one already running, or a cancel while the export was being read).
 * `cancelBackup` stops it.
 */
export function startImport(request: ImportRequest, onEvent: (event: BackupEvent) => void): Promise<void> {
  const channel = new Channel<BackupEvent>(onEvent);
  return call("start_import", { request, onEvent: channel });
}

/** Asks the running backup (or import) to stop; it finishes the file in hand and sends `finished`. */
export function cancelBackup(): Promise<void> {
  return call("cancel_backup");
}

/** Opens the folder in the system's file manager. */
export function openFolder(path: string): Promise<void> {
  return call("open_folder", { path });
}

export function readPreferences(): Promise<Preferences> {
  return call("read_preferences");
}

export function savePreferences(preferences: Preferences): Promise<void> {
  return call("save_preferences", { preferences });
}

/** The daily automatic backup: on or off, the last backup, what it waits for. */
export function scheduleStatus(): Promise<ScheduleStatus> {
  return call("schedule_status");
}

/** "Back up automatically every day": also starts the app at login, with a tray icon. */
export function setAutoBackup(enabled: boolean): Promise<ScheduleStatus> {
  return call("set_auto_backup", { enabled });
}

/** Called after every backup (automatic or not) and tray action; resolves to the unsubscribe. */
export function onScheduleChanged(handler: () => void): Promise<() => void> {
  return listen("schedule-changed", () => handler());
}
