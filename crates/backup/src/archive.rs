//! The archive: the folder the user chose and one SQLite file inside it that says which
//! activities and files are done, unavailable or failed (with sizes and SHA-256), so that a
//! re-run is decided locally and a crash at any instant is recoverable.
//!
//! Every file is written as `name.part`, flushed, synced, renamed, and only then recorded. A
//! crash before the record leaves a complete file that the next open adopts (or a `.part`
//! that it deletes); a crash before the rename leaves only a `.part`.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWrite;

use crate::error::{Error, Result};
use crate::export::ORIGIN_KEY;
use crate::model::{Activity, ActivityId, Format};

/// The state file, inside the archive folder.
pub const STATE_FILE: &str = ".gcexport-state.sqlite";
const LOCK_FILE: &str = ".gcexport.lock";
const SCHEMA_VERSION: i64 = 1;
/// What this archive's partial files end with: a name of its own, so that a folder shared
/// with other programs (a Downloads folder) keeps their `*.part` files; only these are
/// removed when the folder opens.
pub(crate) const PART_SUFFIX: &str = ".gcexport-part";
/// Nested parts of a data export, decompressed into the folder while an import runs (the
/// folder's lock is held then): any found when the folder opens are a killed run's.
pub(crate) const IMPORT_TEMP_PREFIX: &str = ".gcexport-import-";
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
        migrate(&conn)?;
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

    /// Records a listed activity (or refreshes its list item: a rename shows in the CSV).
    /// Returns whether it was new to the archive.
    pub fn upsert_listed(&self, a: &Activity) -> Result<bool> {
        let db = self.db()?;
        let json = a.summary.to_string();
        let changed = db.execute(
            "INSERT INTO activity (id, parent_id, start_gmt, summary_json) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO NOTHING",
            params![a.id, a.parent_id, start_key(a), json],
        )?;
        let mut updated = 0;
        if changed == 0 && a.summary.get(ORIGIN_KEY).is_some() {
            // An import never replaces what the account itself said: the online list item is
            // richer, and at least as recent as any export the user still has.
            updated = db.execute(
                "UPDATE activity SET summary_json = ?2, start_gmt = ?3
                 WHERE id = ?1 AND summary_json != ?2
                   AND json_extract(summary_json, '$.gcexportOrigin') IS NOT NULL",
                params![a.id, json, start_key(a)],
            )?;
        } else if changed == 0 {
            let imported: bool = db
                .query_row(
                    "SELECT json_extract(details_json, '$.gcexportOrigin') IS NOT NULL
                     FROM activity WHERE id = ?1",
                    [a.id],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(false);
            updated = db.execute(
                "UPDATE activity SET summary_json = ?2, start_gmt = ?3 WHERE id = ?1 AND summary_json != ?2",
                params![a.id, json, start_key(a)],
            )?;
            if imported {
                // Details made up from an export lack the time zone, device and gear: now that
                // the account lists the activity, ask for the real ones (files stay done).
                db.execute(
                    "DELETE FROM item WHERE format = 'json' AND activity_id IN
                       (SELECT id FROM activity WHERE id = ?1 OR parent_id = ?1)",
                    [a.id],
                )?;
                updated += db.execute(
                    "UPDATE activity SET details_json = NULL, gear_json = NULL
                     WHERE id = ?1 OR parent_id = ?1",
                    [a.id],
                )?;
            }
        }
        if changed + updated > 0 {
            self.csv_changed(&db)?;
        }
        Ok(changed == 1)
    }

    /// Records a multisport leg (built from its details, which are stored with it).
    pub(crate) fn insert_leg(&self, a: &Activity) -> Result<()> {
        let db = self.db()?;
        db.execute(
            "INSERT INTO activity (id, parent_id, start_gmt, summary_json, details_json)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO UPDATE SET parent_id = ?2, details_json = COALESCE(details_json, ?5)",
            params![
                a.id,
                a.parent_id,
                start_key(a),
                a.summary.to_string(),
                a.details.as_ref().map(Value::to_string)
            ],
        )?;
        self.csv_changed(&db)
    }

    pub(crate) fn set_details(&self, id: ActivityId, details: &Value) -> Result<()> {
        let db = self.db()?;
        db.execute(
            "UPDATE activity SET details_json = ?2 WHERE id = ?1",
            params![id, details.to_string()],
        )?;
        self.csv_changed(&db)
    }

    pub(crate) fn set_gear(&self, id: ActivityId, gear: &Value) -> Result<()> {
        let db = self.db()?;
        db.execute(
            "UPDATE activity SET gear_json = ?2 WHERE id = ?1",
            params![id, gear.to_string()],
        )?;
        self.csv_changed(&db)
    }

    /// `None`: never asked; `Some(None)`: asked, the source knows nothing of it.
    pub(crate) fn device(&self, install_id: i64) -> Result<Option<Option<Value>>> {
        let row: Option<Option<String>> = self
            .db()?
            .query_row(
                "SELECT info_json FROM device WHERE install_id = ?1",
                [install_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(row.map(|j| j.and_then(|j| serde_json::from_str(&j).ok())))
    }

    pub(crate) fn set_device(&self, install_id: i64, info: Option<&Value>) -> Result<()> {
        let db = self.db()?;
        db.execute(
            "INSERT OR REPLACE INTO device (install_id, info_json) VALUES (?1, ?2)",
            params![install_id, info.map(Value::to_string)],
        )?;
        self.csv_changed(&db)
    }

    /// Notes that `activities.csv` no longer matches the state, also on disk: a run killed
    /// before it rewrites the table leaves the next run knowing it must.
    fn csv_changed(&self, db: &Connection) -> Result<()> {
        if !self.csv_dirty.swap(true, Ordering::Relaxed) {
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, '1')",
                [CSV_STALE],
            )?;
        }
        Ok(())
    }

    /// Whether `activities.csv`, written with columns `signature`, still shows the state:
    /// nothing it shows changed since it was written, by this run or a killed one.
    pub(crate) fn csv_is_current(&self, signature: &str) -> Result<bool> {
        Ok(!self.csv_dirty.load(Ordering::Relaxed)
            && self.meta(CSV_STALE)?.as_deref() == Some("0")
            && self.meta(CSV_COLUMNS)?.as_deref() == Some(signature))
    }

    pub(crate) fn csv_written(&self, signature: &str) -> Result<()> {
        let db = self.db()?;
        db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, '0'), (?2, ?3)",
            params![CSV_STALE, CSV_COLUMNS, signature],
        )?;
        self.csv_dirty.store(false, Ordering::Relaxed);
        Ok(())
    }

    pub(crate) fn devices(&self) -> Result<HashMap<i64, Value>> {
        let db = self.db()?;
        let mut stmt =
            db.prepare("SELECT install_id, info_json FROM device WHERE info_json IS NOT NULL")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = HashMap::new();
        for row in rows {
            let (id, json) = row?;
            if let Ok(v) = serde_json::from_str(&json) {
                out.insert(id, v);
            }
        }
        Ok(out)
    }

    pub fn contains(&self, id: ActivityId) -> Result<bool> {
        Ok(self
            .db()?
            .query_row("SELECT 1 FROM activity WHERE id = ?1", [id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Every activity, newest first; a multisport parent is followed by its legs in order.
    pub(crate) fn briefs(&self) -> Result<Vec<Brief>> {
        let db = self.db()?;
        // Only multisport parents list legs (`"childIds":[1,2]` in the compact JSON we
        // store): their details alone are parsed, the rest stays text inside SQLite.
        let mut stmt = db.prepare(
            "SELECT id, parent_id, start_gmt, details_json IS NOT NULL, gear_json IS NOT NULL,
                    CASE WHEN instr(details_json, '\"childIds\":[') > 0 THEN details_json END
             FROM activity",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut all = Vec::new();
        for row in rows {
            let (id, parent_id, start_gmt, has_details, has_gear, details) = row?;
            let child_ids = details
                .and_then(|d| serde_json::from_str::<Value>(&d).ok())
                .map(|d| {
                    Activity {
                        id,
                        parent_id,
                        summary: Value::Null,
                        details: Some(d),
                    }
                    .child_ids()
                })
                .unwrap_or_default();
            all.push(Brief {
                id,
                parent_id,
                has_details,
                has_gear,
                child_ids,
                start_gmt,
            });
        }
        Ok(order_newest_first(all))
    }

    /// One activity as stored, parsed.
    pub(crate) fn load(&self, id: ActivityId) -> Result<Option<Stored>> {
        let row = {
            let db = self.db()?;
            let mut stmt = db.prepare_cached(
                "SELECT parent_id, summary_json, details_json, gear_json FROM activity WHERE id = ?1",
            )?;
            stmt.query_row([id], |r| {
                Ok((
                    r.get::<_, Option<i64>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })
            .optional()?
        };
        let parse = |s: &str| serde_json::from_str::<Value>(s).ok();
        Ok(row.map(|(parent_id, summary, details, gear)| Stored {
            activity: Activity {
                id,
                parent_id,
                summary: parse(&summary).unwrap_or(Value::Null),
                details: details.as_deref().and_then(parse),
            },
            gear: gear.as_deref().and_then(parse),
        }))
    }

    /// Every activity in [`Archive::briefs`]' order, one at a time: memory stays flat
    /// whatever the account's size.
    pub(crate) fn for_each_stored(&self, mut f: impl FnMut(Stored) -> Result<()>) -> Result<()> {
        for b in self.briefs()? {
            if let Some(s) = self.load(b.id)? {
                f(s)?;
            }
        }
        Ok(())
    }

    #[cfg(test)]
    pub(crate) fn stored(&self) -> Result<Vec<Stored>> {
        let mut out = Vec::new();
        self.for_each_stored(|s| {
            out.push(s);
            Ok(())
        })?;
        Ok(out)
    }

    pub(crate) fn items(&self) -> Result<HashMap<(ActivityId, Format), ItemState>> {
        let db = self.db()?;
        let mut stmt = db.prepare("SELECT activity_id, format, state FROM item")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (id, format, state) = row?;
            if let (Some(f), Some(s)) = (Format::parse(&format), ItemState::parse(&state)) {
                out.insert((id, f), s);
            }
        }
        Ok(out)
    }

    pub fn item_state(&self, id: ActivityId, format: Format) -> Result<Option<ItemState>> {
        let state: Option<String> = self
            .db()?
            .query_row(
                "SELECT state FROM item WHERE activity_id = ?1 AND format = ?2",
                params![id, format.key()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(state.as_deref().and_then(ItemState::parse))
    }

    /// The files recorded for one item.
    pub fn files_of(&self, id: ActivityId, format: Format) -> Result<Vec<FileRecord>> {
        let db = self.db()?;
        let mut stmt = db.prepare(
            "SELECT path, size, sha256 FROM file WHERE activity_id = ?1 AND format = ?2 ORDER BY path",
        )?;
        let rows = stmt.query_map(params![id, format.key()], |r| {
            Ok(FileRecord {
                path: r.get(0)?,
                size: r.get::<_, i64>(1)?.try_into().unwrap_or(0),
                sha256: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Every recorded file.
    pub fn all_files(&self) -> Result<Vec<(ActivityId, Format, FileRecord)>> {
        let db = self.db()?;
        let mut stmt = db.prepare("SELECT activity_id, format, path, size, sha256 FROM file")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                FileRecord {
                    path: r.get(2)?,
                    size: r.get::<_, i64>(3)?.try_into().unwrap_or(0),
                    sha256: r.get(4)?,
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, f, rec) = row?;
            if let Some(f) = Format::parse(&f) {
                out.push((id, f, rec));
            }
        }
        Ok(out)
    }

    pub(crate) fn record_done(
        &self,
        id: ActivityId,
        format: Format,
        files: &[FileRecord],
    ) -> Result<()> {
        let mut db = self.db()?;
        let tx = db.transaction()?;
        tx.execute(
            "DELETE FROM file WHERE activity_id = ?1 AND format = ?2",
            params![id, format.key()],
        )?;
        for f in files {
            tx.execute(
                "INSERT OR REPLACE INTO file (path, activity_id, format, size, sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![f.path, id, format.key(), i64::try_from(f.size).unwrap_or(i64::MAX), f.sha256],
            )?;
        }
        set_item(&tx, id, format, ItemState::Done, None)?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn record_unavailable(&self, id: ActivityId, format: Format) -> Result<()> {
        let db = self.db()?;
        set_item(&db, id, format, ItemState::Unavailable, None)
    }

    pub(crate) fn record_failed(&self, id: ActivityId, format: Format, error: &str) -> Result<()> {
        let db = self.db()?;
        set_item(&db, id, format, ItemState::Failed, Some(error))
    }

    pub(crate) fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .db()?
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub(crate) fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.db()?.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            params![key, value],
        )?;
        Ok(())
    }

    /// The activities whose item failed, with the recorded reason.
    pub fn failures(&self) -> Result<Vec<(ActivityId, Format, String)>> {
        let db = self.db()?;
        let mut stmt = db.prepare(
            "SELECT activity_id, format, COALESCE(error, '') FROM item WHERE state = 'failed' ORDER BY activity_id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, f, e) = row?;
            if let Some(f) = Format::parse(&f) {
                out.push((id, f, e));
            }
        }
        Ok(out)
    }

    /// Deletes this archive's partial leftovers and a killed import's decompressed parts, and adopts complete files nobody recorded: those of
    /// `gcexport.py` (`activity_{id}.*`) and those of a run killed between rename and record.
    fn scan_folder(&self) -> Result<()> {
        let known: HashSet<String> = self
            .all_files()?
            .into_iter()
            .map(|(_, _, f)| f.path)
            .collect();
        let mut found = Vec::new();
        walk(&self.root, &self.root, &mut found, 0)?;
        let items = self.items()?;
        for rel in found {
            let abs = self.root.join(&rel);
            if rel.ends_with(PART_SUFFIX) || rel.starts_with(IMPORT_TEMP_PREFIX) {
                std::fs::remove_file(&abs).map_err(|e| Error::io(&abs, e))?;
                continue;
            }
            if known.contains(&rel) {
                continue;
            }
            let Some((id, format)) = classic_file_id(&rel) else {
                continue;
            };
            if matches!(
                items.get(&(id, format)),
                Some(ItemState::Done | ItemState::Unavailable)
            ) {
                continue;
            }
            let record = hash_file(&abs, &rel)?;
            if record.size == 0 {
                // gcexport.py wrote an empty file for "this format does not exist".
                self.record_unavailable(id, format)?;
            } else {
                tracing::info!(path = %rel, id, %format, "adopting an existing file");
                self.record_done(id, format, &[record])?;
            }
        }
        Ok(())
    }
}

fn set_item(
    db: &Connection,
    id: ActivityId,
    format: Format,
    state: ItemState,
    error: Option<&str>,
) -> Result<()> {
    db.execute(
        "INSERT INTO item (activity_id, format, state, error, attempts, updated_at)
         VALUES (?1, ?2, ?3, ?4, 1, datetime('now'))
         ON CONFLICT(activity_id, format) DO UPDATE SET
           state = ?3, error = ?4, attempts = attempts + 1, updated_at = datetime('now')",
        params![id, format.key(), state.key(), error],
    )?;
    Ok(())
}

fn migrate(conn: &Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    if version < 1 {
        conn.execute_batch(
            "BEGIN;
             CREATE TABLE activity (
               id INTEGER PRIMARY KEY,
               parent_id INTEGER,
               start_gmt TEXT,
               summary_json TEXT NOT NULL,
               details_json TEXT,
               gear_json TEXT
             );
             CREATE TABLE item (
               activity_id INTEGER NOT NULL,
               format TEXT NOT NULL,
               state TEXT NOT NULL CHECK (state IN ('done', 'unavailable', 'failed')),
               error TEXT,
               attempts INTEGER NOT NULL DEFAULT 0,
               updated_at TEXT NOT NULL,
               PRIMARY KEY (activity_id, format)
             );
             CREATE TABLE file (
               path TEXT PRIMARY KEY,
               activity_id INTEGER NOT NULL,
               format TEXT NOT NULL,
               size INTEGER NOT NULL,
               sha256 TEXT NOT NULL
             );
             CREATE INDEX file_item ON file (activity_id, format);
             CREATE TABLE device (install_id INTEGER PRIMARY KEY, info_json TEXT);
             CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             PRAGMA user_version = 1;
             COMMIT;",
        )?;
    }
    Ok(())
}

fn start_key(a: &Activity) -> Option<String> {
    a.start_gmt()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// Newest first by start; legs right after their parent, in the parent's order.
fn order_newest_first(all: Vec<Brief>) -> Vec<Brief> {
    let ids: HashSet<ActivityId> = all.iter().map(|b| b.id).collect();
    let (mut tops, legs): (Vec<Brief>, Vec<Brief>) = all
        .into_iter()
        .partition(|b| b.parent_id.is_none_or(|p| !ids.contains(&p)));
    // `start_gmt` is `YYYY-MM-DD HH:MM:SS`: as text it sorts like the time it is.
    tops.sort_by(|a, b| (&b.start_gmt, b.id).cmp(&(&a.start_gmt, a.id)));
    let mut legs_of: HashMap<ActivityId, Vec<Brief>> = HashMap::new();
    for leg in legs {
        if let Some(p) = leg.parent_id {
            legs_of.entry(p).or_default().push(leg);
        }
    }
    let mut out = Vec::with_capacity(ids.len());
    for top in tops {
        let mut legs = legs_of.remove(&top.id).unwrap_or_default();
        legs.sort_by(|a, b| {
            let pos = |l: &Brief| {
                top.child_ids
                    .iter()
                    .position(|c| *c == l.id)
                    .unwrap_or(usize::MAX)
            };
            (pos(a), &a.start_gmt, a.id).cmp(&(pos(b), &b.start_gmt, b.id))
        });
        out.push(top);
        out.extend(legs);
    }
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>, depth: usize) -> Result<()> {
    // Deep enough for any layout we write; a symlink loop cannot hold us either, since
    // symlinks are not followed.
    if depth > 8 {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let ty = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
        let path = entry.path();
        if ty.is_dir() {
            walk(root, &path, out, depth + 1)?;
        } else if ty.is_file()
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel_string(rel));
        }
    }
    Ok(())
}

pub(crate) fn rel_string(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// `[prefix]activity_{id}[_desc].{ext}`, as `gcexport.py` names its files.
fn classic_file_id(rel: &str) -> Option<(ActivityId, Format)> {
    let name = rel.rsplit('/').next()?;
    let (stem, ext) = name.rsplit_once('.')?;
    let at = stem.find("activity_")?;
    let rest = &stem[at + "activity_".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let id: ActivityId = digits.parse().ok()?;
    let tail = &rest[digits.len()..];
    if !(tail.is_empty() || tail.starts_with('_')) {
        return None;
    }
    let format = match ext.to_ascii_lowercase().as_str() {
        "gpx" if !tail.ends_with("_original") => Format::Gpx,
        "tcx" if !tail.ends_with("_original") => Format::Tcx,
        "kml" => Format::Kml,
        "zip" | "fit" => Format::Original,
        "gpx" | "tcx" => Format::Original,
        // `_zones.json` and such are side files, not the details.
        "json" if tail.is_empty() || !tail.contains("zones") => Format::Json,
        _ => return None,
    };
    Some((id, format))
}

pub(crate) fn hash_file(abs: &Path, rel: &str) -> Result<FileRecord> {
    let mut f = File::open(abs).map_err(|e| Error::io(abs, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(abs, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok(FileRecord {
        path: rel.to_string(),
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// A file being written: `final.part`, hashed and counted as it goes. Dropped without
/// [`PartFile::commit`], it leaves a `.part` that [`PartFile::discard`] or the next open
/// removes.
pub(crate) struct PartFile {
    file: tokio::fs::File,
    part: PathBuf,
    hasher: Sha256,
    size: u64,
    /// The first local write error, kept so the caller can tell "our disk failed" from
    /// "the download failed" when the source reports only that writing failed.
    write_error: Option<std::io::ErrorKind>,
    /// Folders that creating this file made, deepest first: a discarded file takes them away
    /// again while they are empty, so a format that turns out not to exist leaves no empty
    /// month folder behind. Never a folder that was there before.
    created_dirs: Vec<PathBuf>,
}

impl PartFile {
    /// Creates `final_path`'s `.part` inside `root` (the archive's folder), never through
    /// a link: see [`create_part`].
    pub async fn create(root: &Path, final_path: &Path) -> Result<PartFile> {
        let (root, final_path) = (root.to_path_buf(), final_path.to_path_buf());
        let (file, part, created_dirs) =
            tokio::task::spawn_blocking(move || create_part(&root, &final_path))
                .await
                .map_err(|e| Error::State(format!("creating a file: {e}")))??;
        Ok(PartFile {
            file: tokio::fs::File::from_std(file),
            part,
            hasher: Sha256::new(),
            size: 0,
            write_error: None,
            created_dirs,
        })
    }

    pub fn part_path(&self) -> &Path {
        &self.part
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn write_error(&self) -> Option<std::io::ErrorKind> {
        self.write_error
    }

    /// Flush, fsync, rename over `final_path`, fsync the folder. Only after this returns may
    /// the caller record the file.
    pub async fn commit(
        mut self,
        final_path: &Path,
        rel: String,
        mtime: Option<std::time::SystemTime>,
    ) -> Result<FileRecord> {
        use tokio::io::AsyncWriteExt;
        let part = self.part.clone();
        let res = async {
            self.file.flush().await?;
            self.file.sync_all().await?;
            if let Some(t) = mtime {
                let std_file = self.file.try_clone().await?.into_std().await;
                tokio::task::spawn_blocking(move || std_file.set_modified(t))
                    .await
                    .map_err(std::io::Error::other)??;
            }
            tokio::fs::rename(&part, final_path).await?;
            sync_dir(final_path).await;
            Ok::<_, std::io::Error>(())
        }
        .await;
        if let Err(e) = res {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(Error::io(final_path, e));
        }
        Ok(FileRecord {
            path: rel,
            size: self.size,
            sha256: hex::encode(self.hasher.finalize()),
        })
    }

    pub async fn discard(self) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.part).await;
        // `remove_dir` refuses a folder that holds anything: one that another file moved into
        // meanwhile stays, and so do its parents.
        for dir in &self.created_dirs {
            if tokio::fs::remove_dir(dir).await.is_err() {
                break;
            }
        }
    }
}

async fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        let dir = dir.to_path_buf();
        let _ = tokio::task::spawn_blocking(move || sync_dir_blocking(&dir)).await;
    }
}

/// Makes a rename inside `dir` durable: without it a power cut can lose the new name even
/// though the file's data was synced. Failing here loses nothing the next open cannot
/// repair, so it is not an error. Only Unix can open a folder to sync it.
pub(crate) fn sync_dir_blocking(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir)
        && d.sync_all().is_ok()
    {
        #[cfg(test)]
        SYNCED_DIRS.with(|s| s.borrow_mut().push(dir.to_path_buf()));
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
thread_local! {
    /// The folders this thread synced, for tests to see that a rename was made durable.
    pub(crate) static SYNCED_DIRS: std::cell::RefCell<Vec<PathBuf>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `path` must not be a link: the archive never writes or reads through one it did not
/// make (a planted `x -> ../elsewhere` would carry its writes out of the folder).
pub(crate) fn refuse_link(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(Error::Link(path.to_path_buf())),
        _ => Ok(()),
    }
}

/// Creates the folders from `root` down to `dir`, one level at a time, refusing any level
/// that is a link (or not a folder) instead of following it. Returns the folders it made,
/// deepest first.
pub(crate) fn make_dirs(root: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
    use std::path::Component;
    let rel = dir.strip_prefix(root).map_err(|_| {
        Error::State(format!(
            "{} is not inside the archive folder {}",
            dir.display(),
            root.display()
        ))
    })?;
    let mut at = root.to_path_buf();
    let mut made = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(n) => at.push(n),
            Component::CurDir => continue,
            _ => {
                return Err(Error::State(format!(
                    "{} leaves the archive folder",
                    dir.display()
                )));
            }
        }
        let check = |at: &Path| match std::fs::symlink_metadata(at) {
            Ok(m) if m.file_type().is_symlink() => Err(Error::Link(at.to_path_buf())),
            Ok(m) if m.is_dir() => Ok(true),
            Ok(_) => Err(Error::io(
                at,
                std::io::Error::new(
                    std::io::ErrorKind::NotADirectory,
                    "a file stands where a folder must be",
                ),
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(at, e)),
        };
        if check(&at)? {
            continue;
        }
        match std::fs::create_dir(&at) {
            Ok(()) => made.push(at.clone()),
            // Another activity in flight made it a moment ago: check what stands there now.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                check(&at)?;
            }
            Err(e) => return Err(Error::io(&at, e)),
        }
    }
    made.reverse();
    Ok(made)
}

/// The partial file `final_path` is written as, before its rename.
pub(crate) fn part_path(final_path: &Path) -> PathBuf {
    let mut part = final_path.as_os_str().to_owned();
    part.push(PART_SUFFIX);
    PathBuf::from(part)
}

/// Creates `final_path`'s partial file, new (`O_EXCL`: never opening what stands there, and
/// never through a link), with its folders made by [`make_dirs`]. A partial file of ours
/// left by a killed run is replaced; a link in its place is refused, naming it. Also returns
/// the folders it made (deepest first), for [`PartFile::discard`] to take away again.
pub(crate) fn create_part(root: &Path, final_path: &Path) -> Result<(File, PathBuf, Vec<PathBuf>)> {
    let dir = final_path.parent();
    let mut made = match dir {
        Some(dir) => make_dirs(root, dir)?,
        None => Vec::new(),
    };
    let part = part_path(final_path);
    let create = || File::options().write(true).create_new(true).open(&part);
    let mut attempts = 0;
    loop {
        match create() {
            Ok(f) => return Ok((f, part, made)),
            // Another activity's discarded file took away the shared folder it had just made,
            // between our two steps: make it again (and it is now ours to take away).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempts < 3 => {
                attempts += 1;
                if let Some(dir) = dir {
                    made = make_dirs(root, dir)?;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return match std::fs::symlink_metadata(&part) {
                    Ok(m) if m.is_file() => {
                        std::fs::remove_file(&part).map_err(|e| Error::io(&part, e))?;
                        let f = create().map_err(|e| Error::io(&part, e))?;
                        Ok((f, part, made))
                    }
                    Ok(m) if m.file_type().is_symlink() => Err(Error::Link(part)),
                    _ => Err(Error::io(&part, e)),
                };
            }
            Err(e) => return Err(Error::io(&part, e)),
        }
    }
}

impl crate::source::Sink for PartFile {
    async fn restart(&mut self) -> std::io::Result<()> {
        use tokio::io::{AsyncSeekExt, AsyncWriteExt};
        self.file.flush().await?;
        self.file.set_len(0).await?;
        self.file.seek(std::io::SeekFrom::Start(0)).await?;
        self.hasher = Sha256::new();
        self.size = 0;
        Ok(())
    }
}

impl AsyncWrite for PartFile {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.file).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                this.hasher.update(&buf[..n]);
                this.size += n as u64;
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => {
                this.write_error.get_or_insert(e.kind());
                Poll::Ready(Err(e))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.file).poll_flush(cx) {
            Poll::Ready(Err(e)) => {
                this.write_error.get_or_insert(e.kind());
                Poll::Ready(Err(e))
            }
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.file).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recognises_gcexport_py_names() {
        assert_eq!(
            classic_file_id("activity_123.gpx"),
            Some((123, Format::Gpx))
        );
        assert_eq!(
            classic_file_id("2024/03/20240308-122322-activity_123_Run.tcx"),
            Some((123, Format::Tcx))
        );
        assert_eq!(
            classic_file_id("activity_123.fit"),
            Some((123, Format::Original))
        );
        assert_eq!(
            classic_file_id("activity_123_original.gpx"),
            Some((123, Format::Original))
        );
        assert_eq!(classic_file_id("activity_123_zones.json"), None);
        assert_eq!(classic_file_id("activity_12x.gpx"), None);
        assert_eq!(classic_file_id("notes.txt"), None);
    }

    #[test]
    fn open_cleans_parts_and_adopts_old_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("activity_5.gpx"), b"<gpx/>").unwrap();
        std::fs::write(dir.path().join("activity_5.tcx"), b"").unwrap();
        let ours = dir.path().join(format!("x.gpx{PART_SUFFIX}"));
        std::fs::write(&ours, b"half").unwrap();
        let a = Archive::open(dir.path()).unwrap();
        assert!(!ours.exists());
        assert_eq!(a.item_state(5, Format::Gpx).unwrap(), Some(ItemState::Done));
        assert_eq!(
            a.item_state(5, Format::Tcx).unwrap(),
            Some(ItemState::Unavailable)
        );
        assert_eq!(a.files_of(5, Format::Gpx).unwrap()[0].size, 6);
    }

    #[test]
    fn a_killed_imports_decompressed_parts_are_removed_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(format!("{IMPORT_TEMP_PREFIX}x1y2.zip"));
        std::fs::write(&stale, b"PK").unwrap();
        // The same name deeper down is not ours: only the folder's top level holds parts.
        std::fs::create_dir(dir.path().join("2024")).unwrap();
        let other = dir
            .path()
            .join("2024")
            .join(format!("{IMPORT_TEMP_PREFIX}keep.zip"));
        std::fs::write(&other, b"PK").unwrap();
        let _a = Archive::open(dir.path()).unwrap();
        assert!(!stale.exists());
        assert!(other.exists());
    }

    #[tokio::test]
    async fn a_discarded_file_takes_away_only_the_folders_it_made() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("2024")).unwrap();
        let path = dir.path().join("2024/03/a.fit");
        let part = PartFile::create(dir.path(), &path).await.unwrap();
        // Another file arrives meanwhile in a folder the first one made.
        let other = PartFile::create(dir.path(), &dir.path().join("2024/04/b.fit"))
            .await
            .unwrap();
        let kept = other
            .commit(&dir.path().join("2024/04/b.fit"), "b".into(), None)
            .await
            .unwrap();
        assert_eq!(kept.size, 0);
        part.discard().await;
        assert!(!dir.path().join("2024/03").exists(), "made and left empty");
        assert!(dir.path().join("2024").is_dir(), "was there before");
        assert!(dir.path().join("2024/04/b.fit").is_file());

        // A folder that something else filled meanwhile stays.
        let part = PartFile::create(dir.path(), &dir.path().join("2025/01/c.fit"))
            .await
            .unwrap();
        std::fs::write(dir.path().join("2025/01/d.txt"), b"x").unwrap();
        part.discard().await;
        assert!(dir.path().join("2025/01/d.txt").is_file());
    }

    #[test]
    fn a_second_open_of_the_same_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _a = Archive::open(dir.path()).unwrap();
        assert!(matches!(Archive::open(dir.path()), Err(Error::Locked(_))));
    }

    #[test]
    fn legs_follow_their_parent() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::open(dir.path()).unwrap();
        let item = |id: i64, t: &str| {
            Activity::from_list_item(json!({"activityId": id, "startTimeGMT": t})).unwrap()
        };
        a.upsert_listed(&item(1, "2024-01-01 10:00:00")).unwrap();
        a.upsert_listed(&item(3, "2024-01-03 10:00:00")).unwrap();
        a.set_details(1, &json!({"metadataDTO": {"childIds": [12, 11]}}))
            .unwrap();
        for leg in [11, 12] {
            a.insert_leg(&Activity::leg_from_details(1, json!({"activityId": leg})).unwrap())
                .unwrap();
        }
        let ids: Vec<i64> = a.stored().unwrap().iter().map(|s| s.activity.id).collect();
        assert_eq!(ids, vec![3, 1, 12, 11]);
        // The run's and the CSV's order (briefs, then one load at a time) is the same.
        let order: Vec<i64> = a.briefs().unwrap().iter().map(|b| b.id).collect();
        assert_eq!(order, ids);
        assert_eq!(a.load(12).unwrap().unwrap().activity.parent_id, Some(1));
        assert!(a.load(99).unwrap().is_none());
    }
}
