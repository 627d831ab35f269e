//! The health folders of Garmin's data export, into the same per-day folders, state and
//! tables as an online health backup (docs/health.md, "From the data export").
//!
//! The export's objects are kept as the export wrote them (byte for byte), one per day and
//! kind (`export_summary.json`, `export_sleep.json`, `export_health_status.json`), weigh-ins
//! by year, and the tables read them where Garmin Connect's own answers are not in the
//! folder. A day an online backup already fetched is left alone: the API's answers hold
//! more (local times, values over the day, naps with times, HRV readings).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::{Capped, hostile, ratio_ok, walk};
use crate::archive::Archive;
use crate::error::{Error, Result};
use crate::health::state::{self, DAY_FORMAT, DayStatus};
use crate::health::tables::{
    self, EXPORT_HEALTH_STATUS, EXPORT_RECORDS_JSON, EXPORT_SLEEP, EXPORT_SUMMARY, NOT_IN_EXPORT,
    NotInExport, WEIGHT_EXPORT_KIND,
};
use crate::health::{HEALTH_DIR, HealthOptions, day_dir};

/// One JSON file of the export larger than this is not Garmin's.
const MAX_JSON_BYTES: u64 = 512 * 1024 * 1024;

/// What to import from the export's health folders.
#[derive(Clone, Copy, Debug)]
pub struct HealthImportOptions {
    /// Days (summary, sleep, HRV) and weigh-ins.
    pub health: bool,
    pub records: bool,
}

/// What an import of the export's health folders did. Fields are only ever added.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HealthImportReport {
    /// Days the export has data for, kept in the folder (written now or already there).
    pub days: u64,
    /// Days the folder already had from Garmin Connect: left as they were.
    pub days_online: u64,
    pub nights: u64,
    /// Nights with an HRV average.
    pub hrv_nights: u64,
    pub weigh_ins: u64,
    pub records: u64,
    pub files_written: u64,
    /// Of `days`, those written or recorded by this import (0 when it ran before).
    pub days_new: u64,
    /// Files and entries of the export that could not be read, with why; everything else
    /// was imported.
    pub skipped: Vec<String>,
    /// What the export cannot fill (the same for every export).
    pub not_in_export: Vec<NotInExport>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Summary,
    Sleep,
    HealthStatus,
    BioMetrics,
    Records,
}

fn kind_of(name: &str) -> Option<Kind> {
    let lower = name.replace('\\', "/").to_ascii_lowercase();
    let file = lower.rsplit('/').next().unwrap_or(&lower);
    if !file.ends_with(".json") {
        None
    } else if file.starts_with("udsfile") {
        Some(Kind::Summary)
    } else if file.ends_with("_sleepdata.json") {
        Some(Kind::Sleep)
    } else if file.ends_with("_healthstatusdata.json") {
        Some(Kind::HealthStatus)
    } else if file.ends_with("userbiometrics.json") {
        Some(Kind::BioMetrics)
    } else if file.ends_with("_personalrecord.json") {
        Some(Kind::Records)
    } else {
        None
    }
}

/// The export's health files, read whole (each is a few MB at most in real exports).
fn health_files(path: &Path, skipped: &mut Vec<String>) -> Result<Vec<(String, Kind, Vec<u8>)>> {
    let mut out = Vec::new();
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        let mut files = Vec::new();
        walk(path, path, &mut files, 0)?;
        files.sort();
        for rel in files {
            let Some(kind) = kind_of(&rel) else { continue };
            let abs = path.join(&rel);
            let mut bytes = Vec::new();
            let read = File::open(&abs).and_then(|f| {
                Capped {
                    inner: f,
                    left: MAX_JSON_BYTES,
                    what: "a health file of the export",
                }
                .read_to_end(&mut bytes)
            });
            match read {
                Ok(_) => out.push((rel, kind, bytes)),
                Err(e) => skipped.push(format!("{rel}: {e}")),
            }
        }
        return Ok(out);
    }
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| {
        hostile(format!(
            "{} is not a readable ZIP ({e}): if the download was cut short, download it again \
             from Garmin's email",
            path.display()
        ))
    })?;
    let mut names: Vec<(String, usize)> = Vec::new();
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index(i) else { continue };
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        if !entry.is_dir() && kind_of(&name).is_some() {
            names.push((name, i));
        }
    }
    names.sort();
    for (name, i) in names {
        let Some(kind) = kind_of(&name) else { continue };
        let mut entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                skipped.push(format!("{name}: a damaged entry ({e})"));
                continue;
            }
        };
        if entry.size() > MAX_JSON_BYTES || !ratio_ok(entry.size(), entry.compressed_size()) {
            skipped.push(format!(
                "{name}: claims {} bytes from {}, not a file Garmin writes",
                entry.size(),
                entry.compressed_size()
            ));
            continue;
        }
        let mut bytes = Vec::new();
        let read = Capped {
            inner: &mut entry,
            left: MAX_JSON_BYTES,
            what: "a health file of the export",
        }
        .read_to_end(&mut bytes);
        match read {
            Ok(_) => out.push((name, kind, bytes)),
            Err(e) => skipped.push(format!("{name}: damaged ({e})")),
        }
    }
    Ok(out)
}

/// The items of one file: a JSON array of objects (or one object), each kept as its bytes.
fn items(name: &str, bytes: &[u8]) -> std::result::Result<Vec<Box<RawValue>>, String> {
    if let Ok(list) = serde_json::from_slice::<Vec<Box<RawValue>>>(bytes) {
        return Ok(list);
    }
    match serde_json::from_slice::<Box<RawValue>>(bytes) {
        Ok(one) if one.get().trim_start().starts_with('{') => Ok(vec![one]),
        Ok(_) => Err(format!("{name}: not a list of days")),
        Err(e) => Err(format!("{name}: not readable JSON ({e})")),
    }
}

/// A `calendarDate` as the export writes it: `YYYY-MM-DD`, `YYYY-MM-DDT00:00:00.0`, or
/// epoch milliseconds; years Garmin cannot have are refused.
fn calendar_date(v: Option<&Value>) -> Option<NaiveDate> {
    let d = match v? {
        Value::String(s) => NaiveDate::parse_from_str(s.get(..10)?, DAY_FORMAT).ok()?,
        Value::Number(n) => chrono::DateTime::from_timestamp_millis(n.as_i64()?)?.date_naive(),
        _ => return None,
    };
    (1990..=2200).contains(&d.year()).then_some(d)
}

#[derive(Default)]
struct Day {
    summary: Option<String>,
    sleep: Option<String>,
    status: Option<String>,
}

/// Imports the health folders of the export at `export` (the ZIP or its unpacked folder)
/// into `archive`, then rebuilds the tables. Blocking: call it from a blocking task.
pub fn import_health(
    archive: &Archive,
    export: &Path,
    opts: HealthImportOptions,
) -> Result<HealthImportReport> {
    state::open(archive)?;
    let mut report = HealthImportReport {
        not_in_export: NOT_IN_EXPORT.to_vec(),
        ..HealthImportReport::default()
    };
    let found = read_export(export, opts)?;
    write_days(archive, &found.days, &mut report)?;
    write_weigh_ins(archive, &found.weigh_ins, &mut report)?;
    if let Some(bytes) = found.records {
        write_records(archive, &bytes, &mut report)?;
    }
    let mut table_opts = HealthOptions::new(chrono::Local::now().date_naive());
    table_opts.health = opts.health;
    table_opts.records = opts.records;
    tables::write_all(archive, &table_opts)?;
    report.skipped = found.skipped;
    Ok(report)
}

/// What the export's health files hold, sorted by day (weigh-ins by year), and what of
/// them could not be read.
#[derive(Default)]
struct Found {
    days: BTreeMap<NaiveDate, Day>,
    weigh_ins: BTreeMap<i32, Vec<String>>,
    records: Option<Vec<u8>>,
    skipped: Vec<String>,
}

fn read_export(export: &Path, opts: HealthImportOptions) -> Result<Found> {
    let mut found = Found::default();
    for (name, kind, bytes) in health_files(export, &mut found.skipped)? {
        if kind == Kind::Records {
            if !opts.records {
                continue;
            }
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(_) => found.records = Some(bytes),
                Err(e) => found
                    .skipped
                    .push(format!("{name}: not readable JSON ({e})")),
            }
            continue;
        }
        if !opts.health {
            continue;
        }
        match items(&name, &bytes) {
            Ok(list) => {
                let unreadable = sort_entries(kind, list, &mut found);
                if unreadable > 0 {
                    found.skipped.push(format!(
                        "{name}: {unreadable} entries without a readable date or value were skipped"
                    ));
                }
            }
            Err(why) => found.skipped.push(why),
        }
    }
    Ok(found)
}

/// Files each entry of one export file under its day (or its year, for a weigh-in), byte
/// for byte; returns how many had no readable date or value.
fn sort_entries(kind: Kind, list: Vec<Box<RawValue>>, found: &mut Found) -> usize {
    let mut unreadable = 0usize;
    for raw in list {
        let Ok(v) = serde_json::from_str::<Value>(raw.get()) else {
            unreadable += 1;
            continue;
        };
        if kind == Kind::BioMetrics {
            // Entries without a weight (height, zones) are not weigh-ins.
            let Some(w) = v.get("weight").filter(|w| w.is_object()) else {
                continue;
            };
            let date = calendar_date(v.pointer("/metaData/calendarDate"))
                .or_else(|| calendar_date(w.get("timestampGMT")));
            match (date, w.get("weight").and_then(Value::as_f64)) {
                (Some(d), Some(_)) => found
                    .weigh_ins
                    .entry(d.year())
                    .or_default()
                    .push(raw.get().to_owned()),
                _ => unreadable += 1,
            }
            continue;
        }
        let night = v.get("dailySleepDTO").unwrap_or(&v);
        let Some(date) = calendar_date(night.get("calendarDate")) else {
            unreadable += 1;
            continue;
        };
        let day = found.days.entry(date).or_default();
        let slot = match kind {
            Kind::Summary => &mut day.summary,
            Kind::Sleep => &mut day.sleep,
            _ => &mut day.status,
        };
        *slot = Some(raw.get().to_owned());
    }
    unreadable
}

/// Each day's files, unless Garmin Connect's own answers for that day are in the folder
/// already (they win: docs/health.md); a day whose files are all there already is not new.
fn write_days(
    archive: &Archive,
    days: &BTreeMap<NaiveDate, Day>,
    report: &mut HealthImportReport,
) -> Result<()> {
    let known = state::day_states(archive)?;
    for (date, day) in days {
        let (status, listed) = known
            .get(date)
            .map(|(s, f)| (s.as_str(), f.as_str()))
            .unwrap_or(("", ""));
        if status == "complete" {
            report.days_online += 1;
            continue;
        }
        let files: Vec<(&str, &str)> = [
            (EXPORT_SUMMARY, &day.summary),
            (EXPORT_SLEEP, &day.sleep),
            (EXPORT_HEALTH_STATUS, &day.status),
        ]
        .into_iter()
        .filter_map(|(n, b)| b.as_deref().map(|b| (n, b)))
        .collect();
        report.days += 1;
        report.nights += u64::from(day.sleep.is_some());
        report.hrv_nights += u64::from(day.status.is_some());
        let dir = day_dir(*date);
        let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
        let mut changed = status != "imported" || listed != names.join(",");
        for (name, body) in &files {
            let rel = format!("{dir}/{name}");
            if std::fs::read(archive.root().join(&rel)).ok().as_deref() == Some(body.as_bytes()) {
                continue;
            }
            tables::write_bytes(archive, &rel, body.as_bytes())?;
            report.files_written += 1;
            changed = true;
        }
        if changed {
            state::record_day(archive, *date, DayStatus::Imported, &names, None)?;
            report.days_new += 1;
        }
    }
    Ok(())
}

/// The weigh-ins, one file per year.
fn write_weigh_ins(
    archive: &Archive,
    weigh_ins: &BTreeMap<i32, Vec<String>>,
    report: &mut HealthImportReport,
) -> Result<()> {
    for (year, list) in weigh_ins {
        report.weigh_ins += list.len() as u64;
        let rel = format!("{HEALTH_DIR}/weight/export-{year}.json");
        let body = format!("[{}]", list.join(","));
        let (Some(start), Some(end)) = (
            NaiveDate::from_ymd_opt(*year, 1, 1),
            NaiveDate::from_ymd_opt(*year, 12, 31),
        ) else {
            continue;
        };
        if std::fs::read(archive.root().join(&rel)).ok().as_deref() != Some(body.as_bytes()) {
            tables::write_bytes(archive, &rel, body.as_bytes())?;
            report.files_written += 1;
        }
        if state::range(archive, WEIGHT_EXPORT_KIND, start)?
            .is_none_or(|(_, f)| f.as_deref() != Some(rel.as_str()))
        {
            state::record_range(archive, WEIGHT_EXPORT_KIND, start, end, Some(&rel))?;
        }
    }
    Ok(())
}

/// The personal records, as the export has them.
fn write_records(archive: &Archive, bytes: &[u8], report: &mut HealthImportReport) -> Result<()> {
    let rel = format!("{HEALTH_DIR}/{EXPORT_RECORDS_JSON}");
    report.records = serde_json::from_slice::<Value>(bytes)
        .map(|v| tables::export_record_rows(&v).len() as u64)
        .unwrap_or(0);
    if std::fs::read(archive.root().join(&rel)).ok().as_deref() != Some(bytes) {
        tables::write_bytes(archive, &rel, bytes)?;
        report.files_written += 1;
    }
    Ok(())
}
