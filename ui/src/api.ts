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
  Format,
  ImportRequest,
  ListDone,
  ListEvent,
  PasswordSignIn,
  Preferences,
  ScheduleStatus,
  SessionStatus,
  SignInWindowEvent,
} from "./wire";

export type * from "./wire";

// A Record, so that the compiler names any kind the generated `AppError` gains and this misses.
const KNOWN: Record<ErrorKind, true> = {
  wrong_credentials: true, wrong_code: true, captcha_required: true, account_locked: true,
  rate_limited: true, tokens_expired: true, not_signed_in: true, sign_in_cancelled: true,
  ticket_rejected: true, not_a_ticket: true, no_pending_code: true, offline: true, timeout: true, server: true,
  forbidden: true, disk_full: true, folder_unusable: true, folder_refused: true,
  backup_running: true, not_an_export: true, export_damaged: true, cancelled: true, unexpected: true,
};
const KINDS: ReadonlySet<string> = new Set(Object.keys(KNOWN));

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

/**
 * Opens Garmin's own sign-in page in a second window; resolves once its ticket is exchanged.
 * `onEvent` hears when the page looks stuck (the window stays open meanwhile).
 */
export function signInWithGarmin(onEvent: (event: SignInWindowEvent) => void = () => {}): Promise<Account> {
  const channel = new Channel<SignInWindowEvent>(onEvent);
  return call("sign_in_with_garmin", { onEvent: channel });
}

/** The fallback: Garmin's sign-in page in the person's own browser. Resolves with its address. */
export function openGarminInBrowser(): Promise<string> {
  return call("open_garmin_in_browser");
}

/** The address (or ticket) pasted back from the person's browser, exchanged at once. */
export function signInWithPastedAddress(text: string): Promise<Account> {
  return call("sign_in_with_pasted_address", { text });
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
 * Lists every activity with its status in `folder` for the ticked `formats` (or all `new`
 * without a folder). Pages
 * arrive through `onPage` as Garmin sends them, so the list shows before the last one.
 */
export function listActivities(
  folder: string | null,
  formats: Format[],
  onPage: (event: ListEvent) => void,
): Promise<ListDone> {
  const channel = new Channel<ListEvent>(onPage);
  return call("list_activities", { folder, formats, onPage: channel });
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

/** The last sign-in's diagnostic report (no secrets in it), or null before any. */
export function diagnosticReport(): Promise<string | null> {
  return call("diagnostic_report");
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
