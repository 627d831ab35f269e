//! The state: one SQLite file in the folder that says which activities and files are done,
//! unavailable or failed, with what was fetched for each activity once.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::{
    Archive, Brief, CSV_COLUMNS, CSV_STALE, FileRecord, ItemState, SCHEMA_VERSION, Stored,
};
use crate::error::{Error, Result};
use crate::model::{Activity, ActivityId, Format, ORIGIN_KEY};

impl Archive {
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

pub(super) fn migrate(conn: &Connection) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
