//! Which days and ranges are in the folder, in the archive's SQLite file (own tables, so the
//! activity state is untouched). A day is recorded only after its files are renamed into
//! place: a run killed at any instant redoes at most the days it was working on.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};

use crate::archive::Archive;
use crate::error::Result;

pub(crate) const DAY_FORMAT: &str = "%Y-%m-%d";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DayStatus {
    /// Every call answered; its files are on disk.
    Complete,
    /// No device that day: nothing to keep.
    Empty,
    Failed,
    /// Filled from Garmin's data export (its `export_*.json` files): kept until an online
    /// backup fetches the day, which it still does (the API has more). See `docs/health.md`.
    Imported,
}

impl DayStatus {
    fn key(self) -> &'static str {
        match self {
            DayStatus::Complete => "complete",
            DayStatus::Empty => "empty",
            DayStatus::Failed => "failed",
            DayStatus::Imported => "imported",
        }
    }
}

fn migrate(db: &Connection) -> Result<()> {
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS health_days (
            day TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            files TEXT NOT NULL DEFAULT '',
            error TEXT,
            fetched_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS health_ranges (
            kind TEXT NOT NULL,
            start TEXT NOT NULL,
            end TEXT NOT NULL,
            file TEXT,
            fetched_at TEXT NOT NULL,
            PRIMARY KEY (kind, start)
        );",
    )?;
    Ok(())
}

pub(crate) fn open(archive: &Archive) -> Result<()> {
    archive.with_db(migrate)
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Days recorded complete or empty (nothing more to ask Garmin for, unless recent).
pub(crate) fn settled_days(archive: &Archive) -> Result<std::collections::HashSet<NaiveDate>> {
    archive.with_db(|db| {
        let mut stmt =
            db.prepare("SELECT day FROM health_days WHERE status IN ('complete', 'empty')")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = std::collections::HashSet::new();
        for row in rows {
            if let Ok(d) = NaiveDate::parse_from_str(&row?, DAY_FORMAT) {
                out.insert(d);
            }
        }
        Ok(out)
    })
}

pub(crate) fn record_day(
    archive: &Archive,
    day: NaiveDate,
    status: DayStatus,
    files: &[&str],
    error: Option<&str>,
) -> Result<()> {
    archive.with_db(|db| {
        // A failed refetch of a day already complete keeps it complete: its files are there.
        if status == DayStatus::Failed {
            db.execute(
                "INSERT INTO health_days (day, status, error, fetched_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(day) DO UPDATE SET error = excluded.error
                 WHERE health_days.status != 'complete'",
                params![
                    day.format(DAY_FORMAT).to_string(),
                    status.key(),
                    error,
                    now()
                ],
            )?;
            db.execute(
                "UPDATE health_days SET status = 'failed' WHERE day = ?1 AND status = 'empty'",
                params![day.format(DAY_FORMAT).to_string()],
            )?;
            return Ok(());
        }
        // Garmin Connect saying "no device" never erases a day the data export filled.
        db.execute(
            "INSERT INTO health_days (day, status, files, error, fetched_at)
             VALUES (?1, ?2, ?3, NULL, ?4)
             ON CONFLICT(day) DO UPDATE SET status = excluded.status, files = excluded.files,
                 error = NULL, fetched_at = excluded.fetched_at
             WHERE NOT (health_days.status = 'imported' AND excluded.status = 'empty')",
            params![
                day.format(DAY_FORMAT).to_string(),
                status.key(),
                files.join(","),
                now()
            ],
        )?;
        Ok(())
    })
}

/// Days recorded with files (from Garmin Connect or from the data export), oldest first,
/// with their file names.
pub(crate) fn complete_days(archive: &Archive) -> Result<Vec<(NaiveDate, Vec<String>)>> {
    archive.with_db(|db| {
        let mut stmt = db.prepare(
            "SELECT day, files FROM health_days WHERE status IN ('complete', 'imported') ORDER BY day",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (day, files) = row?;
            if let Ok(d) = NaiveDate::parse_from_str(&day, DAY_FORMAT) {
                out.push((
                    d,
                    files
                        .split(',')
                        .filter(|f| !f.is_empty())
                        .map(str::to_owned)
                        .collect(),
                ));
            }
        }
        Ok(out)
    })
}

/// When a range (`kind`, starting `start`) was last fetched, and the file it left.
pub(crate) fn range(
    archive: &Archive,
    kind: &str,
    start: NaiveDate,
) -> Result<Option<(NaiveDate, Option<String>)>> {
    archive.with_db(|db| {
        let row: Option<(String, Option<String>)> = db
            .query_row(
                "SELECT end, file FROM health_ranges WHERE kind = ?1 AND start = ?2",
                params![kind, start.format(DAY_FORMAT).to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row.and_then(|(end, file)| {
            NaiveDate::parse_from_str(&end, DAY_FORMAT)
                .ok()
                .map(|e| (e, file))
        }))
    })
}

pub(crate) fn record_range(
    archive: &Archive,
    kind: &str,
    start: NaiveDate,
    end: NaiveDate,
    file: Option<&str>,
) -> Result<()> {
    archive.with_db(|db| {
        db.execute(
            "INSERT INTO health_ranges (kind, start, end, file, fetched_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(kind, start) DO UPDATE SET end = excluded.end, file = excluded.file,
                 fetched_at = excluded.fetched_at",
            params![
                kind,
                start.format(DAY_FORMAT).to_string(),
                end.format(DAY_FORMAT).to_string(),
                file,
                now()
            ],
        )?;
        Ok(())
    })
}

/// Every day's status and files, for the import to decide what it may fill.
pub(crate) fn day_states(
    archive: &Archive,
) -> Result<std::collections::HashMap<NaiveDate, (String, String)>> {
    archive.with_db(|db| {
        let mut stmt = db.prepare("SELECT day, status, files FROM health_days")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = std::collections::HashMap::new();
        for row in rows {
            let (day, status, files) = row?;
            if let Ok(d) = NaiveDate::parse_from_str(&day, DAY_FORMAT) {
                out.insert(d, (status, files));
            }
        }
        Ok(out)
    })
}

/// The ranges of one kind: (start, file).
pub(crate) fn ranges(archive: &Archive, kind: &str) -> Result<Vec<(NaiveDate, Option<String>)>> {
    archive.with_db(|db| {
        let mut stmt =
            db.prepare("SELECT start, file FROM health_ranges WHERE kind = ?1 ORDER BY start")?;
        let rows = stmt.query_map(params![kind], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (start, file) = row?;
            if let Ok(d) = NaiveDate::parse_from_str(&start, DAY_FORMAT) {
                out.push((d, file));
            }
        }
        Ok(out)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn no_device_online_never_erases_a_day_the_export_filled_but_data_online_replaces_it() {
        let t = tempfile::tempdir().unwrap();
        let archive = Archive::open(t.path()).unwrap();
        open(&archive).unwrap();
        let day = NaiveDate::from_ymd_opt(2025, 3, 4).unwrap();
        record_day(
            &archive,
            day,
            DayStatus::Imported,
            &["export_summary.json"],
            None,
        )
        .unwrap();
        assert!(
            !settled_days(&archive).unwrap().contains(&day),
            "still asked online"
        );
        record_day(&archive, day, DayStatus::Empty, &[], None).unwrap();
        record_day(&archive, day, DayStatus::Failed, &[], Some("HTTP 500")).unwrap();
        assert_eq!(
            complete_days(&archive).unwrap(),
            [(day, vec!["export_summary.json".to_owned()])]
        );
        record_day(&archive, day, DayStatus::Complete, &["summary.json"], None).unwrap();
        assert_eq!(
            complete_days(&archive).unwrap(),
            [(day, vec!["summary.json".to_owned()])]
        );
        assert!(settled_days(&archive).unwrap().contains(&day));
    }
}
