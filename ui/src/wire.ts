// The wire types between the page and the Rust shell: exactly what serde emits (snake_case
// fields, `Option<T>` as `T | null`, enums tagged by `type`/`kind`/`state`/`status`).
//
// Plain types only, no code, so that a Rust test can read this file and check every type
// against the shell's serde types (field names, tags, nullability). Change both sides together.
// Command *arguments* are camelCase on this side (Tauri maps them to the Rust parameter
// names); everything inside an argument or a result is snake_case.

/** Garmin activity id (`i64` in Rust; Garmin's ids stay far below 2^53). */
export type ActivityId = number;

/** Milliseconds since the Unix epoch, UTC. */
export type EpochMs = number;

export interface AppInfo {
  name: string;
  version: string;
  /** Started with `--demo`: an in-process simulator plays Garmin. */
  demo: boolean;
}

export interface Account {
  /** Garmin's display name (user name), always present. */
  display_name: string;
  /** The person's full name when the profile has one. */
  full_name: string | null;
}

/** `session_status`: whether saved tokens let us skip the sign-in view. */
export type SessionStatus =
  | { state: "signed_in"; account: Account }
  /** `reason` says why when tokens existed but could not be used. */
  | { state: "signed_out"; reason: "tokens_expired" | null };

/** How Garmin delivered the verification code, when it says. */
export type CodeChannel = "email" | "sms" | "app";

/** `sign_in_with_password`: either done, or Garmin wants a code (then `submit_code`). */
export type PasswordSignIn =
  | { status: "signed_in"; account: Account }
  | {
      status: "needs_code";
      channel: CodeChannel | null;
      /** Masked destination as Garmin shows it (`j•••@example.com`, `•••• 42`). */
      sent_to: string | null;
    };

/** One kind of file a backup holds for an activity (Rust `backup::Format`). */
export type Format = "original" | "gpx" | "tcx" | "kml" | "json";

/** Where one activity stands in the chosen folder. */
export type ActivityStatus =
  /** Every chosen format Garmin has is in the folder. */
  | "in_backup"
  /** Not (or not completely) in the folder yet: the next backup fetches it. */
  | "new"
  /** Garmin has no file at all for it (a manual entry): nothing to fetch, nothing lost. */
  | "unavailable"
  /** The last backup tried and failed: the next one tries again. */
  | "failed";

export interface ActivityRow {
  id: ActivityId;
  /** Local start time as recorded, `YYYY-MM-DDTHH:MM:SS`, no offset (it is the athlete's clock). */
  start_local: string;
  /** Garmin's type key (`running`, `lap_swimming`, `road_biking`, ...). */
  type_key: string;
  /** As typed by the athlete: may hold emoji, markup, RTL text, newlines, 300+ characters. */
  name: string;
  distance_m: number | null;
  duration_s: number | null;
  status: ActivityStatus;
}

/** Messages of `list_activities`' channel: pages arrive newest first. */
export type ListEvent = {
  type: "page";
  activities: ActivityRow[];
  /** Running total of rows sent so far, this page included. */
  activities_listed: number;
  /** What Garmin says the account holds, once known. */
  activities_total: number | null;
};

/** `list_activities` resolves with this once the last page has been sent. */
export interface ListDone {
  activities_listed: number;
}

export type BackupScope = { kind: "all" } | { kind: "selected"; ids: ActivityId[] };

export interface BackupRequest {
  /** Absolute path; created if missing. */
  folder: string;
  formats: Format[];
  scope: BackupScope;
}

export interface CurrentActivity {
  id: ActivityId;
  name: string;
}

/** Why Garmin has no file of some format for an activity. */
export type UnavailableReason =
  /** Recorded without GPS (treadmill, pool, strength): no track, so no GPX/KML. */
  | "no_track"
  /** Entered by hand: there was never a file. */
  | "manual"
  /** Uploaded as a GPX or TCX file: the other track format cannot be made from it. */
  | "uploaded_track"
  /** Garmin does not offer this format for this kind of activity. */
  | "not_offered"
  /** An import: the account data export holds no file for this activity. */
  | "not_in_export";

export interface Unavailable {
  id: ActivityId;
  name: string;
  format: Format;
  reason: UnavailableReason;
}

export interface Failed {
  id: ActivityId;
  name: string;
  /** `null` when the whole activity failed (its details could not be fetched). */
  format: Format | null;
  error: AppError;
}

/**
 * An activity whose tracks were made from the intact part of a damaged original (the
 * original itself is kept as it came).
 */
export interface Salvaged {
  id: ActivityId;
  name: string;
  points: number;
  /** "recovered 14,391 points from a damaged original (...)", ready to show. */
  message: string;
}

export interface Summary {
  /** Activities fetched by this run. */
  activities_new: number;
  /** Activities already complete in the folder: nothing to fetch. */
  activities_skipped: number;
  activities_failed: number;
  files_written: number;
  bytes_written: number;
  elapsed_ms: number;
  unavailable: Unavailable[];
  failed: Failed[];
  /** GPX/TCX made from a damaged original: what was recovered, said once per activity. */
  salvaged: Salvaged[];
  /** The user pressed Cancel; what was written is complete and kept. */
  cancelled: boolean;
  /** Why the run stopped early (disk full, signed out), if it did. */
  stopped: AppError | null;
  /** An import's findings in the export; `null` for a backup from Garmin. */
  import: ImportNotes | null;
}

/** An import of Garmin's account data export (no sign-in needed). */
export interface ImportRequest {
  /** The export's ZIP, or the folder it was unpacked to (absolute). */
  export: string;
  /** Absolute path; created if missing. */
  folder: string;
  formats: Format[];
  scope: BackupScope;
}

export interface NamedActivity {
  id: ActivityId;
  name: string;
}

/** Uploads and activities that fit each other equally well: left alone, never guessed. */
export interface AmbiguousMatch {
  uploads: string[];
  activities: NamedActivity[];
}

/** What the export held and what could not be matched (file names as in the export). */
export interface ImportNotes {
  /** Activities in the export, as the list counts them (multisport legs inside). */
  activities: number;
  /** Uploaded files in the export. */
  uploads: number;
  /** Uploaded files matched to exactly one activity. */
  matched: number;
  /** Files no activity starts near (often activities deleted since). */
  unmatched_uploads: string[];
  /** Files whose start could not be read. */
  unreadable_uploads: string[];
  ambiguous: AmbiguousMatch[];
}

/** Messages of `start_backup`'s channel: running totals (never deltas), then one `finished`. */
export type BackupEvent =
  | {
      type: "progress";
      activities_listed: number;
      /** Activities with something to fetch (grows while listing runs). */
      activities_planned: number;
      activities_done: number;
      activities_failed: number;
      bytes_written: number;
      current: CurrentActivity | null;
      /** Set while Garmin makes us wait (HTTP 429): the run resumes by itself then. */
      paused_until: EpochMs | null;
    }
  | { type: "finished"; summary: Summary };

export type BackupProgress = Extract<BackupEvent, { type: "progress" }>;

export interface Preferences {
  folder: string | null;
  formats: Format[];
  /** File-name template (see backup::Layout); the page shows and keeps it. */
  layout: string;
  /** Activities in flight at once, 1 to 8. */
  concurrency: number;
}

/** Every error a command rejects with: `#[serde(tag = "kind", rename_all = "snake_case")]`. */
export type AppError =
  | { kind: "wrong_credentials"; message: string }
  | { kind: "wrong_code"; message: string }
  | { kind: "captcha_required"; message: string }
  | { kind: "account_locked"; message: string }
  /** Garmin refuses for now; retry after `until`. */
  | { kind: "rate_limited"; message: string; until: EpochMs }
  /** The saved sign-in can no longer be used. */
  | { kind: "tokens_expired"; message: string }
  /** A command that needs a session was called without one. */
  | { kind: "not_signed_in"; message: string }
  /** The user closed Garmin's sign-in window. */
  | { kind: "sign_in_cancelled"; message: string }
  /** Garmin refused the ticket its page handed over. */
  | { kind: "ticket_rejected"; message: string }
  /** `submit_code` with no sign-in waiting for a code. */
  | { kind: "no_pending_code"; message: string }
  | { kind: "offline"; message: string }
  | { kind: "timeout"; message: string }
  /** Garmin failed (5xx) or answered something unexpected. */
  | { kind: "server"; message: string }
  | { kind: "forbidden"; message: string }
  | { kind: "disk_full"; message: string; path: string | null }
  /** The folder cannot be created or written, or it is in use by another backup. */
  | { kind: "folder_unusable"; message: string; path: string | null }
  /**
   * The app will not write there (not a full path, a system folder, the home folder itself,
   * another computer's when typed rather than chosen): `message` says why, for people.
   */
  | { kind: "folder_refused"; message: string; path: string | null }
  | { kind: "backup_running"; message: string }
  /** The chosen file or folder holds no Garmin account data export. */
  | { kind: "not_an_export"; message: string; path: string | null }
  /** The export is cut short, damaged or unreadable. */
  | { kind: "export_damaged"; message: string; path: string | null }
  | { kind: "cancelled"; message: string }
  | { kind: "unexpected"; message: string };

export type ErrorKind = AppError["kind"];

/** The daily automatic backup, for the header and its switch (`schedule_status`). */
export interface ScheduleStatus {
  /** "Back up automatically every day" is on. */
  enabled: boolean;
  /** "today 07:12, 2 new", in the computer's time zone; null before the first backup. */
  last_backup: string | null;
  last_success: EpochMs | null;
  /** When the schedule looks again (null: off, or waiting for the person). */
  next_check: EpochMs | null;
  /** What it waits for: sign_in, folder, disk_space, garmin, paused, or null. */
  waiting_for: string | null;
}
