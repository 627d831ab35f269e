//! The backup engine: turns a [`Source`] of activities into a folder the user owns.
//!
//! The pieces, in the order a run uses them: a [`Source`] lists and fetches activities; the
//! [`Archive`] is the folder and its SQLite state; the [`Layout`] names files; [`run`] plans,
//! downloads with bounded concurrency, writes atomically, records, and rewrites
//! `activities.csv`; [`Progress`] receives running totals.

mod archive;
mod connect_source;
pub mod convert;
mod derive;
mod error;
pub mod export;
pub mod folder;
mod gear;
pub mod health;
mod infer;
pub mod labels;
mod layout;
mod model;
mod names;
mod original;
mod progress;
mod request;
mod run;
pub mod schedule;
mod source;
mod summary;
pub mod table;

pub use archive::{Archive, FileRecord, ItemState};
pub use connect_source::ConnectSource;
pub use error::{Error, ErrorKind, Result};
pub use export::{Ambiguity, ExportSource, ImportReport, OpenOptions, OpenProgress};
pub use gear::{GEAR_COLUMNS, GEAR_CSV};
pub use labels::Labels;
pub use layout::{Layout, sanitize_component};
pub use model::{Activity, ActivityId, Format};
pub use names::STATE_FILE;
pub use original::ZipLimits;
pub use progress::{CurrentActivity, NoProgress, Progress, Totals};
pub use request::{BackupRequest, ClassicNames, DEFAULT_TEMPLATE};
pub use run::{
    Failure, Job, ListMode, Report, RunOptions, Salvaged, Selection, Stop, Summary, Unavailable,
    What, activity_name, back_up, run,
};
pub use source::{Sink, Source, SourceError, UnavailableReason};
pub use tokio_util::sync::CancellationToken;
