//! The archive: the folder the user chose and one SQLite file inside it that says which
//! activities and files are done, unavailable or failed (with sizes and SHA-256), so that a
//! re-run is decided locally and a crash at any instant is recoverable.
//!
//! Every file is written as `name.part`, flushed, synced, renamed, and only then recorded. A
//! crash before the record leaves a complete file that the next open adopts (or a `.part`
//! that it deletes); a crash before the rename leaves only a `.part`.
//!
//! By job: [`state`] is the SQLite file, [`adopt`] takes in files found in the folder, and
//! [`writer`] writes a file atomically.

mod adopt;
mod state;
mod writer;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::{Activity, ActivityId};
use crate::names::{LOCK_FILE, STATE_FILE};

pub(crate) use adopt::rel_string;
pub(crate) use writer::{PartFile, create_part, refuse_link, sync_dir_blocking};
#[cfg(test)]
pub(crate) use writer::{SYNCED_DIRS, part_path};

const SCHEMA_VERSION: i64 = 1;
const CSV_STALE: &str = "csv_stale";
const CSV_COLUMNS: &str = "csv_columns";

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    Done,
    /// The source says this format does not exist for the activity: not asked again.
    Unavailable,
    /// Asked and failed: asked again on the next run.
    Failed,
}

impl ItemState {
    fn key(self) -> &'static str {
        match self {
            ItemState::Done => "done",
            ItemState::Unavailable => "unavailable",
            ItemState::Failed => "failed",
        }
    }
    fn parse(s: &str) -> Option<ItemState> {
        match s {
            "done" => Some(ItemState::Done),
            "unavailable" => Some(ItemState::Unavailable),
            "failed" => Some(ItemState::Failed),
            _ => None,
        }
    }
}

/// A file the archive holds, relative to its folder with `/` separators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRecord {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// An activity as stored, with what was fetched for it once.
#[derive(Clone, Debug)]
pub(crate) struct Stored {
    pub activity: Activity,
    pub gear: Option<Value>,
}

/// What planning and ordering need of a stored activity, read without parsing its JSON:
/// an account of 10,000 activities is planned in milliseconds and in little memory.
#[derive(Clone, Debug)]
pub(crate) struct Brief {
    pub id: ActivityId,
    pub parent_id: Option<ActivityId>,
    pub has_details: bool,
    pub has_gear: bool,
    /// The multisport legs its details name, in Garmin's order.
    pub child_ids: Vec<ActivityId>,
    start_gmt: Option<String>,
}

pub struct Archive {
    root: PathBuf,
    db: Mutex<Connection>,
    /// Something `activities.csv` shows changed during this run (see [`Archive::csv_is_current`]).
    csv_dirty: AtomicBool,
    // Held for the archive's lifetime: a second run on the same folder would interleave
    // renames and records.
    _lock: File,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive").field("root", &self.root).finish()
    }
}

impl Archive {
    /// Opens (or creates) the archive in `root`: takes the folder's lock, migrates the state,
    /// deletes `.part` leftovers, and adopts files written by `gcexport.py` (or by a run that
    /// died between rename and record).
    pub fn open(root: impl Into<PathBuf>) -> Result<Archive> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|e| Error::io(&root, e))?;
        let lock_path = root.join(LOCK_FILE);
        refuse_link(&lock_path)?;
        refuse_link(&root.join(STATE_FILE))?;
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(Error::Locked(root)),
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&lock_path, e)),
        }
        let conn = Connection::open(root.join(STATE_FILE))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // WAL survives a killed process without losing a committed record, and lets a
        // record commit without waiting for two fsyncs.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        state::migrate(&conn)?;
        let archive = Archive {
            root,
            db: Mutex::new(conn),
            csv_dirty: AtomicBool::new(false),
            _lock: lock,
        };
        archive.scan_folder()?;
        Ok(archive)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The state connection, for modules that keep their own tables in the same file
    /// (health data: `crate::health`).
    pub(crate) fn with_db<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let db = self.db()?;
        f(&db)
    }

    fn db(&self) -> Result<MutexGuard<'_, Connection>> {
        self.db
            .lock()
            .map_err(|_| Error::State("the state connection was poisoned".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_open_of_the_same_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _a = Archive::open(dir.path()).unwrap();
        assert!(matches!(Archive::open(dir.path()), Err(Error::Locked(_))));
    }
}
