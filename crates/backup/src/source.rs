//! Where activities come from. The engine never speaks HTTP: `connect::Session` is one
//! source (see [`crate::ConnectSource`]), the account data export can be another, and tests
//! may bring their own.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::AsyncWrite;

/// The error every `Source` method answers with, defined with the engine's other errors.
pub use crate::error::SourceError;
use crate::model::{Activity, ActivityId, Format};

/// A source of activities, newest first.
pub trait Source: Send + Sync {
    /// One page of the activity list, newest first: `start` is the offset, `limit` the page
    /// size. Fewer than `limit` items (or none) means the end of the list.
    fn list(
        &self,
        start: usize,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Value>, SourceError>> + Send;

    /// The activity's details (`summaryDTO`, `metadataDTO`, ...).
    fn details(&self, id: ActivityId) -> impl Future<Output = Result<Value, SourceError>> + Send;

    /// The gear used for the activity (a JSON list, possibly empty).
    fn gear(&self, id: ActivityId) -> impl Future<Output = Result<Value, SourceError>> + Send;

    /// Every gear item of the user, each with the `uuid` that [`Source::gear_activities`]
    /// takes: with both, the gear of a whole account costs a request per gear item instead
    /// of one per activity. `None`: the source cannot say (the engine asks per activity).
    fn gear_items(&self) -> impl Future<Output = Result<Option<Vec<Value>>, SourceError>> + Send {
        async { Ok(None) }
    }

    /// One page of the activities that used the gear item `uuid`, newest first, as list
    /// items; fewer than `limit` means the end.
    fn gear_activities(
        &self,
        uuid: &str,
        start: usize,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Value>, SourceError>> + Send {
        let _ = (uuid, start, limit);
        async { Ok(Vec::new()) }
    }

    /// A device's name and firmware, `None` when the source knows nothing of it.
    fn device(
        &self,
        install_id: i64,
    ) -> impl Future<Output = Result<Option<Value>, SourceError>> + Send;

    /// Streams one format of one activity into `out`. `Ok(None)`: this activity has no such
    /// format (an outcome to record, not an error); `Ok(Some(bytes))` otherwise.
    /// [`Format::Json`] is never asked for: the engine writes the details it already has.
    fn fetch<W>(
        &self,
        id: ActivityId,
        format: Format,
        out: &mut W,
    ) -> impl Future<Output = Result<Option<u64>, SourceError>> + Send
    where
        W: Sink;

    /// Whether the source can serve `format` at all. A source that cannot (Garmin's account
    /// data export holds originals but no GPX or TCX) says so, and the engine then writes
    /// GPX and TCX itself from the original (see `RunOptions::tracks_from_original`).
    fn offers(&self, format: Format) -> bool {
        let _ = format;
        true
    }

    /// For a source bound by this machine (CPU and disk) rather than by a server's latency:
    /// how many activities may be in progress at once. More than the cores can work on buys
    /// no speed, only memory (each one in progress may hold its original and its tracks).
    /// `None`: as many as the run's concurrency keeps busy.
    fn parallelism(&self) -> Option<usize> {
        None
    }

    /// The text of Garmin's `activity_types.properties` (type labels, see `docs/csv.md`);
    /// `None` when the source has none (an account export, a test source).
    fn activity_type_labels(
        &self,
    ) -> impl Future<Output = Result<Option<String>, SourceError>> + Send {
        async { Ok(None) }
    }

    /// Why `format` of `a` does not exist, right after [`Source::fetch`] answered
    /// `Ok(None)` for it: the source says it from what it was answered and what it knows
    /// of the activity (its list item and details), so that no front end has to guess.
    fn unavailable_reason(&self, a: &Activity, format: Format) -> UnavailableReason {
        let _ = (a, format);
        UnavailableReason::NotOffered
    }

    /// Until when the source is holding back after a 429, for progress reports.
    fn paused_until(&self) -> Option<DateTime<Utc>> {
        None
    }
}

/// Where a download goes. A transfer that breaks midway may be fetched again from the
/// start, so the sink must be able to drop what it holds.
pub trait Sink: AsyncWrite + Unpin + Send {
    /// Discards everything written so far.
    fn restart(&mut self) -> impl Future<Output = std::io::Result<()>> + Send;
}

impl Sink for Vec<u8> {
    async fn restart(&mut self) -> std::io::Result<()> {
        self.clear();
        Ok(())
    }
}

/// Why a format does not exist for an activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum UnavailableReason {
    /// Recorded without GPS (indoor, pool, treadmill): there is no track to draw.
    NoTrack,
    /// Entered by hand: no device file, so no track either.
    Manual,
    /// Uploaded as a GPX (or TCX) file: the other track formats cannot be made from it.
    UploadedTrack,
    /// The source does not offer it, and did not say why.
    NotOffered,
    /// An import: the account data export holds no file for this activity.
    NotInExport,
}
