//! What crosses the IPC boundary. The page's declarations (`ui/src/wire.gen.ts`) are
//! generated from these types and the engine's ones they hold (`make wire-types`); a test
//! (`tests/wire_types.rs`) fails when that file is not what these types generate.
//!
//! Errors are mapped to [`AppError`] here and nowhere else: the page branches on `kind`.

use gcexport_backup as backup;
use gcexport_connect as connect;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use backup::{
    BackupRequest, ClassicNames, Format, ListMode, Selection, UnavailableReason, What,
};

pub type ActivityId = i64;
/// Milliseconds since the Unix epoch, UTC.
pub type EpochMs = i64;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    pub demo: bool,
    /// The preferences a new person starts with (the engine's request defaults): what the
    /// page shows when the saved ones cannot be read.
    pub defaults: Preferences,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Account {
    pub display_name: String,
    pub full_name: Option<String>,
}

impl From<connect::Profile> for Account {
    fn from(p: connect::Profile) -> Self {
        // Garmin's display name is often a UUID; the user name is what a person recognises.
        let display_name = p
            .display_name
            .clone()
            .filter(|n| !looks_like_uuid(n))
            .or_else(|| p.user_name.clone().filter(|n| !n.trim().is_empty()))
            .or(p.display_name)
            .unwrap_or_else(|| "Garmin Connect".to_owned());
        Account {
            display_name,
            full_name: p.full_name.filter(|n| !n.trim().is_empty()),
        }
    }
}

fn looks_like_uuid(s: &str) -> bool {
    s.len() == 36
        && s.chars().enumerate().all(|(i, c)| {
            matches!(i, 8 | 13 | 18 | 23) == (c == '-') && (c == '-' || c.is_ascii_hexdigit())
        })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SignedOutReason {
    TokensExpired,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SessionStatus {
    SignedIn { account: Account },
    SignedOut { reason: Option<SignedOutReason> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CodeChannel {
    Email,
    Sms,
    App,
}

impl CodeChannel {
    /// The method connect reports for the last code, as far as it is known.
    pub fn from_method(method: &str) -> Option<CodeChannel> {
        match method.to_ascii_lowercase().as_str() {
            "email" => Some(CodeChannel::Email),
            "phone" | "sms" | "text" => Some(CodeChannel::Sms),
            "app" | "totp" | "authenticator" => Some(CodeChannel::App),
            _ => None,
        }
    }
}

/// Why Garmin's sign-in window looks stuck.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StuckReason {
    /// Nothing happened for a while after Submit.
    NoNavigation,
    /// The CDN's "verify you are human" page did not clear.
    Challenge,
}

/// What Garmin's sign-in window reports while `sign_in_with_garmin` waits for its ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SignInWindowEvent {
    /// The page looks stuck: offer the user's own browser (the window stays open).
    Stuck { reason: StuckReason },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PasswordSignIn {
    SignedIn {
        account: Account,
    },
    NeedsCode {
        channel: Option<CodeChannel>,
        sent_to: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ActivityStatus {
    InBackup,
    New,
    Unavailable,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct ActivityRow {
    pub id: ActivityId,
    pub start_local: String,
    pub type_key: String,
    pub name: String,
    pub distance_m: Option<f64>,
    pub duration_s: Option<f64>,
    pub status: ActivityStatus,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ListEvent {
    Page {
        activities: Vec<ActivityRow>,
        activities_listed: u64,
        activities_total: Option<u64>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct ListDone {
    pub activities_listed: u64,
    /// Days of health data a backup into the listed folder would fetch (the days not yet
    /// complete there, and the last few Garmin may still change): read from the folder's
    /// state, no request made. "Health data · 412 days" on the backup card.
    #[serde(default)]
    pub health_days: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct CurrentActivity {
    pub id: ActivityId,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Unavailable {
    pub id: ActivityId,
    pub name: String,
    pub format: Format,
    pub reason: UnavailableReason,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Failed {
    pub id: ActivityId,
    pub name: String,
    pub format: Option<Format>,
    pub error: AppError,
}

/// An activity whose tracks were made from the intact part of a damaged original (the
/// original itself is kept as it came).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Salvaged {
    pub id: ActivityId,
    pub name: String,
    pub points: u64,
    /// "recovered 14,391 points from a damaged original (...)", ready to show.
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct Summary {
    pub activities_new: u64,
    pub activities_skipped: u64,
    pub activities_failed: u64,
    pub files_written: u64,
    pub bytes_written: u64,
    pub elapsed_ms: u64,
    pub unavailable: Vec<Unavailable>,
    pub failed: Vec<Failed>,
    /// GPX/TCX made from a damaged original: what was recovered, said once per activity.
    pub salvaged: Vec<Salvaged>,
    pub cancelled: bool,
    pub stopped: Option<AppError>,
    /// An import's findings in the export; `None` for a backup from Garmin.
    pub import: Option<ImportNotes>,
    /// The health part's end; `None` when health data and records were not asked for, or
    /// the part did not start (a cancel, or a stop that stops it too).
    #[serde(default)]
    pub health: Option<HealthReport>,
}

/// The health part of a backup, in days.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct HealthReport {
    /// The range considered, `YYYY-MM-DD`.
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    /// Days with data fetched this run.
    pub days_fetched: u64,
    /// Days already complete in the folder: nothing asked.
    pub days_skipped: u64,
    /// Days without a device: nothing to keep.
    pub days_empty: u64,
    pub days_failed: u64,
    pub weigh_ins: u64,
    /// Personal records in `records.csv`.
    pub records: u64,
    /// What failed, by day (retried by the next backup); at most 200.
    pub failures: Vec<FailedDay>,
    /// Why the health part stopped early, ready to show.
    pub stopped: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct FailedDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub message: String,
}

/// The health part's running totals, in days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DaysProgress {
    pub days_planned: u64,
    pub days_done: u64,
    pub days_failed: u64,
}

/// An import of Garmin's account data export (no sign-in needed): a backup request whose
/// activities come from the export. Its list mode is always `full` (listing the export
/// costs nothing).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportRequest {
    /// The export's ZIP, or the folder it was unpacked to (absolute).
    pub export: String,
    #[serde(flatten)]
    pub backup: BackupRequest,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct NamedActivity {
    pub id: ActivityId,
    pub name: String,
}

/// Uploads and activities that fit each other equally well: left alone, never guessed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct AmbiguousMatch {
    pub uploads: Vec<String>,
    pub activities: Vec<NamedActivity>,
}

/// What the export held and what could not be matched (file names as in the export).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportNotes {
    pub activities: u64,
    pub uploads: u64,
    pub matched: u64,
    pub unmatched_uploads: Vec<String>,
    pub unreadable_uploads: Vec<String>,
    pub ambiguous: Vec<AmbiguousMatch>,
    /// What the export's health folders cannot fill (an online backup can), once they were
    /// imported; empty otherwise.
    #[serde(default)]
    pub not_in_export: Vec<NotInExport>,
}

/// A table, or one of its columns, that Garmin's data export leaves empty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct NotInExport {
    /// Inside the backup folder, e.g. `health/daily.csv`.
    pub file: String,
    pub column: Option<String>,
    pub why: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
// One `Finished` per run, moved once into the channel: boxing it would save nothing.
#[allow(clippy::large_enum_variant)]
pub enum BackupEvent {
    Progress {
        activities_listed: u64,
        activities_planned: u64,
        activities_done: u64,
        activities_failed: u64,
        bytes_written: u64,
        current: Option<CurrentActivity>,
        paused_until: Option<EpochMs>,
        /// Set once the health part runs (after the activities): its days so far.
        health: Option<DaysProgress>,
    },
    Finished {
        summary: Summary,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Preferences {
    pub folder: Option<String>,
    pub formats: Vec<Format>,
    pub layout: String,
    pub concurrency: u8,
    /// GPX/TCX downloaded from Garmin instead of made from the original FIT. A preference,
    /// so that the automatic backup makes its tracks the way the person chose on the page.
    #[serde(default)]
    pub garmin_tracks: bool,
    /// What "Back up" covers (the card's "Activities" and "Health data"); a preference for
    /// the same reason as `garmin_tracks`.
    #[serde(default)]
    pub what: What,
}

/// Every error a command rejects with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    #[error("{message}")]
    WrongCredentials { message: String },
    #[error("{message}")]
    WrongCode { message: String },
    #[error("{message}")]
    CaptchaRequired { message: String },
    #[error("{message}")]
    AccountLocked { message: String },
    #[error("{message}")]
    RateLimited { message: String, until: EpochMs },
    #[error("{message}")]
    TokensExpired { message: String },
    #[error("{message}")]
    NotSignedIn { message: String },
    #[error("{message}")]
    SignInCancelled { message: String },
    #[error("{message}")]
    TicketRejected { message: String },
    /// What was pasted holds no sign-in ticket (`message` says what to paste instead).
    #[error("{message}")]
    NotATicket { message: String },
    #[error("{message}")]
    NoPendingCode { message: String },
    #[error("{message}")]
    Offline { message: String },
    #[error("{message}")]
    Timeout { message: String },
    #[error("{message}")]
    Server { message: String },
    #[error("{message}")]
    Forbidden { message: String },
    #[error("{message}")]
    DiskFull {
        message: String,
        path: Option<String>,
    },
    #[error("{message}")]
    FolderUnusable {
        message: String,
        path: Option<String>,
    },
    /// The app will not write into this folder (not a full path, a system folder, the home
    /// folder itself, another computer's when typed): `message` says why, in words for people.
    #[error("{message}")]
    FolderRefused {
        message: String,
        path: Option<String>,
    },
    #[error("{message}")]
    BackupRunning { message: String },
    /// The chosen file or folder holds no Garmin account data export.
    #[error("{message}")]
    NotAnExport {
        message: String,
        path: Option<String>,
    },
    /// The export is cut short, damaged or unreadable.
    #[error("{message}")]
    ExportDamaged {
        message: String,
        path: Option<String>,
    },
    #[error("{message}")]
    Cancelled { message: String },
    #[error("{message}")]
    Unexpected { message: String },
}

/// When Garmin gives no end to a pause, the page still needs one to count down to.
const DEFAULT_PAUSE_MS: i64 = 60_000;

fn now_ms() -> EpochMs {
    chrono::Utc::now().timestamp_millis()
}

impl AppError {
    pub fn not_signed_in() -> Self {
        AppError::NotSignedIn {
            message: "not signed in to Garmin Connect".into(),
        }
    }

    pub fn unexpected(message: impl Into<String>) -> Self {
        AppError::Unexpected {
            message: message.into(),
        }
    }

    pub fn folder_unusable(path: &str, message: impl Into<String>) -> Self {
        AppError::FolderUnusable {
            message: message.into(),
            path: Some(path.to_owned()),
        }
    }

    /// A folder `gcexport_backup::folder` refused, as the page names it.
    pub fn folder_refused(path: &str, refusal: backup::folder::Refusal) -> Self {
        AppError::FolderRefused {
            message: refusal.message,
            path: Some(path.to_owned()),
        }
    }

    /// A failure the engine recorded (by kind and text only).
    pub fn from_backup_kind(
        kind: backup::ErrorKind,
        message: String,
        until: Option<EpochMs>,
    ) -> Self {
        use backup::ErrorKind as K;
        match kind {
            K::SignIn => AppError::TokensExpired { message },
            K::RateLimited => AppError::RateLimited {
                message,
                until: until.unwrap_or_else(|| now_ms() + DEFAULT_PAUSE_MS),
            },
            K::Network => AppError::Offline { message },
            K::Server | K::Hostile | K::BadData => AppError::Server { message },
            K::Forbidden | K::Gone => AppError::Forbidden { message },
            K::DiskFull => AppError::DiskFull {
                message,
                path: None,
            },
            K::Io | K::State => AppError::FolderUnusable {
                message,
                path: None,
            },
            K::Config => AppError::Unexpected { message },
            K::Cancelled => AppError::Cancelled { message },
        }
    }
}

impl AppError {
    /// Opening an account data export failed, in the page's words: the wrong file and a
    /// damaged one call for different actions (choose another, download it again).
    pub fn from_export(e: backup::Error, export: &std::path::Path) -> Self {
        let path = Some(export.display().to_string());
        let message = e.to_string();
        match e {
            backup::Error::Config(_) => AppError::NotAnExport { message, path },
            backup::Error::Hostile(_) => AppError::ExportDamaged { message, path },
            backup::Error::Io { path: p, .. } if p.starts_with(export) => {
                AppError::ExportDamaged { message, path }
            }
            other => other.into(),
        }
    }

    /// A failure recorded while importing: what the backup calls a server's fault is the
    /// export's here (no server is involved).
    pub fn in_export(self) -> Self {
        match self {
            AppError::Server { message } | AppError::Forbidden { message } => {
                AppError::ExportDamaged {
                    message,
                    path: None,
                }
            }
            other => other,
        }
    }
}

impl From<connect::Error> for AppError {
    fn from(e: connect::Error) -> Self {
        use connect::ErrorKind as K;
        // connect's messages are built to be safe to show: no tokens, tickets or passwords.
        let message = e.to_string();
        match e.kind() {
            K::WrongCredentials => AppError::WrongCredentials { message },
            K::WrongCode => AppError::WrongCode { message },
            K::CaptchaRequired => AppError::CaptchaRequired { message },
            K::AccountLocked => AppError::AccountLocked { message },
            K::RateLimited => AppError::RateLimited {
                message,
                until: e
                    .until()
                    .map_or_else(|| now_ms() + DEFAULT_PAUSE_MS, |t| t.timestamp_millis()),
            },
            K::TokensExpired => AppError::TokensExpired { message },
            K::TicketRejected => AppError::TicketRejected { message },
            K::NoPendingCode => AppError::NoPendingCode { message },
            K::Network => AppError::Offline { message },
            K::Timeout => AppError::Timeout { message },
            K::Forbidden => AppError::Forbidden { message },
            K::Unexpected | K::BadBody => AppError::Server { message },
            K::Storage | K::Config | K::Io => AppError::Unexpected { message },
        }
    }
}

impl From<backup::Error> for AppError {
    fn from(e: backup::Error) -> Self {
        let message = e.to_string();
        match &e {
            backup::Error::Locked(path) => AppError::FolderUnusable {
                message: "another backup is already writing into this folder".into(),
                path: Some(path.display().to_string()),
            },
            backup::Error::DiskFull { path, .. } => AppError::DiskFull {
                message,
                path: Some(path.display().to_string()),
            },
            backup::Error::Io { path, .. } => AppError::FolderUnusable {
                message,
                path: Some(path.display().to_string()),
            },
            backup::Error::Source(s) => AppError::from_backup_kind(
                e.kind(),
                message.clone(),
                s.retry_at.map(|t| t.timestamp_millis()),
            ),
            _ => AppError::from_backup_kind(e.kind(), message, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(display: Option<&str>, user: Option<&str>, full: Option<&str>) -> connect::Profile {
        connect::Profile {
            display_name: display.map(str::to_owned),
            user_name: user.map(str::to_owned),
            full_name: full.map(str::to_owned),
            ..connect::Profile::default()
        }
    }

    #[test]
    fn the_account_shows_a_name_a_person_recognises() {
        const UUID: &str = "ff60f33c-a27c-424d-a7b5-7080b45561f4";
        let a = Account::from(profile(Some(UUID), Some("ana_runs"), Some("  ")));
        assert_eq!(a.display_name, "ana_runs");
        assert_eq!(a.full_name, None);
        let b = Account::from(profile(Some("ana"), None, Some("Ana Lima")));
        assert_eq!(b.display_name, "ana");
        assert_eq!(b.full_name.as_deref(), Some("Ana Lima"));
        let c = Account::from(profile(Some(UUID), None, None));
        assert_eq!(c.display_name, UUID);
    }

    #[test]
    fn rate_limits_always_carry_an_end_for_the_countdown() {
        let e = AppError::from_backup_kind(backup::ErrorKind::RateLimited, "wait".into(), None);
        let AppError::RateLimited { until, .. } = e else {
            panic!("{e:?}");
        };
        assert!(until > now_ms());
    }
}

/// The daily automatic backup, for the header and its switch (`schedule_status`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct ScheduleStatus {
    /// "Back up automatically every day" is on.
    pub enabled: bool,
    /// "today 07:12, 2 new", in the computer's time zone; `None` before the first backup.
    pub last_backup: Option<String>,
    pub last_success: Option<EpochMs>,
    /// When the schedule looks again (`None`: off, or waiting for the person).
    pub next_check: Option<EpochMs>,
    /// What it waits for: `sign_in`, `folder`, `disk_space`, `garmin`, `paused`, or `None`.
    pub waiting_for: Option<String>,
}
