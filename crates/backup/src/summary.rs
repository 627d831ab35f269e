//! What a run reports when it ends: counts, each failure and each missing format with its
//! reason, and why it stopped early. Apart from [`crate::run`] so that a [`crate::Progress`]
//! can receive it without the progress module importing the run.

use serde::Serialize;

use crate::error::ErrorKind;
use crate::model::{ActivityId, Format};
use crate::source::UnavailableReason;

/// One thing that failed, to retry next run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Failure {
    pub activity_id: ActivityId,
    /// The activity's name, or "Activity <id>" when the run never learnt it.
    pub name: String,
    /// `None` for the details (nothing else of the activity could be fetched).
    pub format: Option<Format>,
    pub kind: ErrorKind,
    pub message: String,
}

/// A format that does not exist for its activity (recorded, not asked again), and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unavailable {
    pub activity_id: ActivityId,
    pub name: String,
    pub format: Format,
    pub reason: UnavailableReason,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub activities_listed: u64,
    /// Activities (and multisport legs) the archive did not know before this run.
    pub activities_new: u64,
    /// Activities with something to fetch.
    pub activities_planned: u64,
    /// Activities in scope that had nothing to fetch.
    pub activities_skipped: u64,
    /// As in [`crate::Totals`]: a multisport counts once, its legs included.
    pub activities_done: u64,
    pub activities_failed: u64,
    pub files_written: u64,
    /// Formats that do not exist for their activity, found by this run.
    pub unavailable: Vec<Unavailable>,
    pub bytes_written: u64,
    pub failures: Vec<Failure>,
    /// GPX/TCX made from a damaged original: what was intact before the damage.
    pub salvaged: Vec<Salvaged>,
    pub cancelled: bool,
    /// Why the run stopped before the end (signed out, disk full, cancelled), if it did.
    pub stopped: Option<Stop>,
}

/// An activity whose GPX/TCX were made from a damaged original (cut short, a bad message,
/// a checksum mismatch): `points` were recovered; `message` says so, ready to show.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Salvaged {
    pub activity_id: ActivityId,
    pub points: u64,
    pub message: String,
}

/// Why a run ended early.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stop {
    pub kind: ErrorKind,
    pub message: String,
    /// For a rate limit or a block: when asking again makes sense.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}
