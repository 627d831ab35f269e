// Generated from the Rust types by `make wire-types` (tests/wire_types.rs): do not edit.
// Command arguments are camelCase (Tauri maps them to the Rust parameter names);
// everything inside an argument or a result is as serde writes it.

/**
 * One backup, as asked. Fields other front ends add later take `#[serde(default)]`, so an
 * older page's request still reads.
 */
export type BackupRequest = { 
/**
 * Where the backup goes, as the person gave it; the front end decides whether it may
 * write there (`folder::destination`).
 */
folder: string, formats: Array<Format>, 
/**
 * File names: a template of `{YYYY} {MM} {DD} {hh} {mm} {ss} {id} {type} {name}` that
 * holds `{id}`.
 */
layout: string, 
/**
 * `gcexport.py`'s file names instead of the template (the CLI's `--layout classic`).
 */
classic: ClassicNames | null, 
/**
 * Requests to the source at once, 1 to 8.
 */
concurrency: number, 
/**
 * Which activities: every one listed, some filters, or exactly these ids.
 */
selection: Selection, mode: ListMode, 
/**
 * Unzip originals.
 */
unzip: boolean, 
/**
 * Set file times to the activity's start.
 */
original_time: boolean, 
/**
 * Download GPX and TCX from Garmin instead of making them from a clean FIT original.
 */
garmin_tracks: boolean, 
/**
 * What to back up; everything when left out.
 */
what: What, 
/**
 * The first day of health data; `None`: the oldest activity in the folder, else two
 * years before the last day.
 */
health_since: string | null, 
/**
 * The last day of health data; `None`: today.
 */
health_until: string | null, };

/**
 * `gcexport.py`'s names: `[YYYYMMDD-hhmmss-]activity_{id}[_name].ext`.
 */
export type ClassicNames = { file_prefix: boolean, 
/**
 * Append the activity name, cut to N characters when N > 0.
 */
desc: number | null, 
/**
 * A folder inside the backup, with `{YYYY}` and `{MM}`.
 */
subdir: string | null, };

/**
 * Which activities a run considers (`gcexport.py`'s `-c`, `-sd`, `-ed`, `-tf`, `-ex`).
 * Filters apply to listed activities; multisport legs follow their parent.
 */
export type Selection = { 
/**
 * The N newest (after the date filter); `None` = all.
 */
count: number | null, start_date: string | null, end_date: string | null, 
/**
 * Type ids (`3`) or type keys (`hiking`); empty = every type.
 */
types: Array<string>, exclude: Array<number>, 
/**
 * Only these activities ("back up selected"); `None` = every activity listed. Such a
 * run lists until it has found them all and never records the listing as complete:
 * what it skipped over is not in the archive.
 */
only: Array<number> | null, };

export type ListMode = "incremental" | "full";

/**
 * The parts of a backup (the CLI's `--what`); a request that leaves it out asks for all.
 */
export type What = { activities: boolean, 
/**
 * Health and body data by day (sleep, HRV, stress, Body Battery, heart rate, steps)
 * and the weigh-ins.
 */
health: boolean, 
/**
 * Personal records.
 */
records: boolean, 
/**
 * The gear list (it comes with the activities).
 */
gear: boolean, };

/**
 * One kind of file a backup can hold for an activity.
 */
export type Format = "original" | "gpx" | "tcx" | "kml" | "json";

/**
 * Why a format does not exist for an activity.
 */
export type UnavailableReason = "no_track" | "manual" | "uploaded_track" | "not_offered" | "not_in_export";

export type AppInfo = { name: string, version: string, demo: boolean, 
/**
 * The preferences a new person starts with (the engine's request defaults): what the
 * page shows when the saved ones cannot be read.
 */
defaults: Preferences, };

export type Preferences = { folder: string | null, formats: Array<Format>, layout: string, concurrency: number, 
/**
 * GPX/TCX downloaded from Garmin instead of made from the original FIT. A preference,
 * so that the automatic backup makes its tracks the way the person chose on the page.
 */
garmin_tracks: boolean, 
/**
 * What "Back up" covers (the card's "Activities" and "Health data"); a preference for
 * the same reason as `garmin_tracks`.
 */
what: What, };

export type Account = { display_name: string, full_name: string | null, };

export type SignedOutReason = "tokens_expired";

export type SessionStatus = { "state": "signed_in", account: Account, } | { "state": "signed_out", reason: SignedOutReason | null, };

export type CodeChannel = "email" | "sms" | "app";

export type PasswordSignIn = { "status": "signed_in", account: Account, } | { "status": "needs_code", channel: CodeChannel | null, sent_to: string | null, };

/**
 * Why Garmin's sign-in window looks stuck.
 */
export type StuckReason = "no_navigation" | "challenge";

/**
 * What Garmin's sign-in window reports while `sign_in_with_garmin` waits for its ticket.
 */
export type SignInWindowEvent = { "kind": "stuck", reason: StuckReason, };

export type ActivityStatus = "in_backup" | "new" | "unavailable" | "failed";

export type ActivityRow = { id: number, start_local: string, type_key: string, name: string, distance_m: number | null, duration_s: number | null, status: ActivityStatus, };

export type ListEvent = { "type": "page", activities: Array<ActivityRow>, activities_listed: number, activities_total: number | null, };

export type ListDone = { activities_listed: number, 
/**
 * Days of health data a backup into the listed folder would fetch (the days not yet
 * complete there, and the last few Garmin may still change): read from the folder's
 * state, no request made. "Health data · 412 days" on the backup card.
 */
health_days: number, };

export type CurrentActivity = { id: number, name: string, };

export type Unavailable = { id: number, name: string, format: Format, reason: UnavailableReason, };

export type Failed = { id: number, name: string, format: Format | null, error: AppError, };

/**
 * An activity whose tracks were made from the intact part of a damaged original (the
 * original itself is kept as it came).
 */
export type Salvaged = { id: number, name: string, points: number, 
/**
 * "recovered 14,391 points from a damaged original (...)", ready to show.
 */
message: string, };

export type Summary = { activities_new: number, activities_skipped: number, activities_failed: number, files_written: number, bytes_written: number, elapsed_ms: number, unavailable: Array<Unavailable>, failed: Array<Failed>, 
/**
 * GPX/TCX made from a damaged original: what was recovered, said once per activity.
 */
salvaged: Array<Salvaged>, cancelled: boolean, stopped: AppError | null, 
/**
 * An import's findings in the export; `None` for a backup from Garmin.
 */
import: ImportNotes | null, 
/**
 * The health part's end; `None` when health data and records were not asked for, or
 * the part did not start (a cancel, or a stop that stops it too).
 */
health: HealthReport | null, };

/**
 * The health part of a backup, in days.
 */
export type HealthReport = { 
/**
 * The range considered, `YYYY-MM-DD`.
 */
first_day: string | null, last_day: string | null, 
/**
 * Days with data fetched this run.
 */
days_fetched: number, 
/**
 * Days already complete in the folder: nothing asked.
 */
days_skipped: number, 
/**
 * Days without a device: nothing to keep.
 */
days_empty: number, days_failed: number, weigh_ins: number, 
/**
 * Personal records in `records.csv`.
 */
records: number, 
/**
 * What failed, by day (retried by the next backup); at most 200.
 */
failures: Array<FailedDay>, 
/**
 * Why the health part stopped early, ready to show.
 */
stopped: string | null, };

export type FailedDay = { 
/**
 * `YYYY-MM-DD`.
 */
day: string, message: string, };

/**
 * The health part's running totals, in days.
 */
export type DaysProgress = { days_planned: number, days_done: number, days_failed: number, };

/**
 * An import of Garmin's account data export (no sign-in needed): a backup request whose
 * activities come from the export. Its list mode is always `full` (listing the export
 * costs nothing).
 */
export type ImportRequest = { 
/**
 * The export's ZIP, or the folder it was unpacked to (absolute).
 */
export: string, 
/**
 * Where the backup goes, as the person gave it; the front end decides whether it may
 * write there (`folder::destination`).
 */
folder: string, formats: Array<Format>, 
/**
 * File names: a template of `{YYYY} {MM} {DD} {hh} {mm} {ss} {id} {type} {name}` that
 * holds `{id}`.
 */
layout: string, 
/**
 * `gcexport.py`'s file names instead of the template (the CLI's `--layout classic`).
 */
classic: ClassicNames | null, 
/**
 * Requests to the source at once, 1 to 8.
 */
concurrency: number, 
/**
 * Which activities: every one listed, some filters, or exactly these ids.
 */
selection: Selection, mode: ListMode, 
/**
 * Unzip originals.
 */
unzip: boolean, 
/**
 * Set file times to the activity's start.
 */
original_time: boolean, 
/**
 * Download GPX and TCX from Garmin instead of making them from a clean FIT original.
 */
garmin_tracks: boolean, 
/**
 * What to back up; everything when left out.
 */
what: What, 
/**
 * The first day of health data; `None`: the oldest activity in the folder, else two
 * years before the last day.
 */
health_since: string | null, 
/**
 * The last day of health data; `None`: today.
 */
health_until: string | null, };

export type NamedActivity = { id: number, name: string, };

/**
 * Uploads and activities that fit each other equally well: left alone, never guessed.
 */
export type AmbiguousMatch = { uploads: Array<string>, activities: Array<NamedActivity>, };

/**
 * What the export held and what could not be matched (file names as in the export).
 */
export type ImportNotes = { activities: number, uploads: number, matched: number, unmatched_uploads: Array<string>, unreadable_uploads: Array<string>, ambiguous: Array<AmbiguousMatch>, 
/**
 * What the export's health folders cannot fill (an online backup can), once they were
 * imported; empty otherwise.
 */
not_in_export: Array<NotInExport>, };

/**
 * A table, or one of its columns, that Garmin's data export leaves empty.
 */
export type NotInExport = { 
/**
 * Inside the backup folder, e.g. `health/daily.csv`.
 */
file: string, column: string | null, why: string, };

export type BackupEvent = { "type": "progress", activities_listed: number, activities_planned: number, activities_done: number, activities_failed: number, bytes_written: number, current: CurrentActivity | null, paused_until: number | null, 
/**
 * Set once the health part runs (after the activities): its days so far.
 */
health: DaysProgress | null, } | { "type": "finished", summary: Summary, };

/**
 * The daily automatic backup, for the header and its switch (`schedule_status`).
 */
export type ScheduleStatus = { 
/**
 * "Back up automatically every day" is on.
 */
enabled: boolean, 
/**
 * "today 07:12, 2 new", in the computer's time zone; `None` before the first backup.
 */
last_backup: string | null, last_success: number | null, 
/**
 * When the schedule looks again (`None`: off, or waiting for the person).
 */
next_check: number | null, 
/**
 * What it waits for: `sign_in`, `folder`, `disk_space`, `garmin`, `paused`, or `None`.
 */
waiting_for: string | null, };

/**
 * Every error a command rejects with.
 */
export type AppError = { "kind": "wrong_credentials", message: string, } | { "kind": "wrong_code", message: string, } | { "kind": "captcha_required", message: string, } | { "kind": "account_locked", message: string, } | { "kind": "rate_limited", message: string, until: number, } | { "kind": "tokens_expired", message: string, } | { "kind": "not_signed_in", message: string, } | { "kind": "sign_in_cancelled", message: string, } | { "kind": "ticket_rejected", message: string, } | { "kind": "not_a_ticket", message: string, } | { "kind": "no_pending_code", message: string, } | { "kind": "offline", message: string, } | { "kind": "timeout", message: string, } | { "kind": "server", message: string, } | { "kind": "forbidden", message: string, } | { "kind": "disk_full", message: string, path: string | null, } | { "kind": "folder_unusable", message: string, path: string | null, } | { "kind": "folder_refused", message: string, path: string | null, } | { "kind": "backup_running", message: string, } | { "kind": "not_an_export", message: string, path: string | null, } | { "kind": "export_damaged", message: string, path: string | null, } | { "kind": "cancelled", message: string, } | { "kind": "unexpected", message: string, };
