//! Errors of the engine. Each has an [`ErrorKind`] a front end branches on, never the text.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The sign-in is no longer valid: the user must sign in again.
    SignIn,
    RateLimited,
    Network,
    /// Garmin failed (5xx) or answered something unexpected.
    Server,
    /// Garmin refuses this activity for good (not the owner). Several in a row, on
    /// different activities, are a block of the whole client.
    Forbidden,
    /// The activity is not there any more (Garmin has no details for it, an export does not
    /// hold it): permanent for this activity, and no sign of a block.
    Gone,
    DiskFull,
    Io,
    /// The state file is unreadable, locked by another run, or from a newer version.
    State,
    /// A download tried to escape the folder or to expand beyond reason, or a link in the
    /// folder would have carried a write out of it.
    Hostile,
    /// A file's content is unusable: an original FIT that does not decode (cut short, wrong
    /// checksum), so nothing can be made from it.
    BadData,
    /// A template or option the user gave is not valid.
    Config,
    Cancelled,
}

/// What a source could not do, already in the engine's terms: a source translates its own
/// errors once (see `ConnectSource`), and the engine and the front ends read only these.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SourceError {
    pub kind: ErrorKind,
    /// Whether asking again later, unchanged, can succeed (a network failure, a 5xx, a
    /// body cut short, a rate limit); a refusal or a missing activity stays so.
    pub retryable: bool,
    pub message: String,
    /// For `RateLimited`: when asking again makes sense.
    pub retry_at: Option<DateTime<Utc>>,
}

impl SourceError {
    /// An error whose kind alone says whether retrying helps (a rate limit or the network).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> SourceError {
        SourceError {
            kind,
            retryable: matches!(kind, ErrorKind::RateLimited | ErrorKind::Network),
            message: message.into(),
            retry_at: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("the disk is full (writing {path}): free some space and run again")]
    DiskFull {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("archive state: {0}")]
    State(String),
    #[error("another backup is already running in {0}")]
    Locked(PathBuf),
    #[error(
        "the archive state has schema {found}; this version knows up to {known}: update gcexport"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error(
        "refused to write through {0}: it is a link this archive did not make (remove it, or choose another folder)"
    )]
    Link(PathBuf),
    #[error("refused a hostile original file: {0}")]
    Hostile(String),
    /// The message names the file and what is wrong with it.
    #[error("{0}")]
    BadData(String),
    #[error("{0}")]
    Config(String),
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Source(e) => e.kind,
            Error::DiskFull { .. } => ErrorKind::DiskFull,
            Error::Io { .. } => ErrorKind::Io,
            Error::State(_) | Error::Locked(_) | Error::SchemaTooNew { .. } => ErrorKind::State,
            Error::Hostile(_) | Error::Link(_) => ErrorKind::Hostile,
            Error::BadData(_) => ErrorKind::BadData,
            Error::Config(_) => ErrorKind::Config,
            Error::Cancelled => ErrorKind::Cancelled,
        }
    }

    /// Whether the same work, done again later without the user changing anything, can
    /// succeed: what the source said of its own failure; a local failure (a full disk, a
    /// link in the folder, a bad template) needs the user first.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Source(e) => e.retryable,
            _ => false,
        }
    }

    /// Errors after which every further item would fail the same way: the run stops
    /// (after recording what it has) instead of failing hundreds of activities one by one.
    /// A rate limit the client could not wait out is one of them: going on would be
    /// hammering a server that asked us to stop.
    pub fn stops_run(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::SignIn
                | ErrorKind::DiskFull
                | ErrorKind::State
                | ErrorKind::Cancelled
                | ErrorKind::RateLimited
        )
    }

    /// Maps a local I/O error, recognising a full disk (or a file-size limit, which the
    /// user meets the same way).
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        let path = path.into();
        if is_disk_full(&source) {
            Error::DiskFull { path, source }
        } else {
            Error::Io { path, source }
        }
    }
}

pub(crate) fn is_disk_full(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        e.kind(),
        K::StorageFull | K::QuotaExceeded | K::FileTooLarge
    )
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && f.code == rusqlite::ErrorCode::DiskFull
        {
            return Error::DiskFull {
                path: PathBuf::from(crate::names::STATE_FILE),
                source: std::io::Error::new(std::io::ErrorKind::StorageFull, e.to_string()),
            };
        }
        Error::State(e.to_string())
    }
}
