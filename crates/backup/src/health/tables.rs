//! The spreadsheet tables, rebuilt from the JSON kept in the folder (never from the network):
//! `health/daily.csv`, `health/sleep.csv`, `health/weight.csv`, `records.csv`. Columns and
//! units: `docs/health.md`. Same conventions as `activities.csv`: UTF-8 with a BOM, CRLF,
//! quoted only where needed, written atomically.

use std::io::Write;

use chrono::{DateTime, NaiveDate};
use serde_json::Value;

use super::options::HealthOptions;
use super::state;
use super::{HEALTH_DIR, day_dir};
use crate::archive::{Archive, create_part, sync_dir_blocking};
use crate::error::{Error, Result};

pub(crate) const SUMMARY: &str = "summary.json";
pub(crate) const SLEEP: &str = "sleep.json";
pub(crate) const HRV: &str = "hrv.json";
pub(crate) const STRESS: &str = "stress.json";
pub(crate) const HEART_RATE: &str = "heart_rate.json";
pub(crate) const RECORDS_JSON: &str = "personal_records.json";
/// What the data export holds for a day, each its own object as the export wrote it: the
/// day's `UDSFile` item, the night's `sleepData` item, the night's `healthStatusData` item.
pub(crate) const EXPORT_SUMMARY: &str = "export_summary.json";
pub(crate) const EXPORT_SLEEP: &str = "export_sleep.json";
pub(crate) const EXPORT_HEALTH_STATUS: &str = "export_health_status.json";
/// The export's personal records (`*_personalRecord.json`), beside the online ones.
pub(crate) const EXPORT_RECORDS_JSON: &str = "export_personal_records.json";
/// `health_ranges` kind of the export's weigh-ins, a file per year.
pub(crate) const WEIGHT_EXPORT_KIND: &str = "weight_export";

pub const DAILY_CSV: &str = "health/daily.csv";
pub const SLEEP_CSV: &str = "health/sleep.csv";
pub const WEIGHT_CSV: &str = "health/weight.csv";
pub const RECORDS_CSV: &str = "records.csv";

pub const DAILY_COLUMNS: [&str; 22] = [
    "Date",
    "Steps",
    "Distance (km)",
    "Floors Climbed",
    "Active Calories (kcal)",
    "Total Calories (kcal)",
    "Resting Heart Rate (bpm)",
    "Min. Heart Rate (bpm)",
    "Max. Heart Rate (bpm)",
    "Avg. Stress",
    "Max. Stress",
    "Body Battery High",
    "Body Battery Low",
    "Moderate Intensity (min)",
    "Vigorous Intensity (min)",
    "Avg. SpO2 (%)",
    "Lowest SpO2 (%)",
    "Avg. Waking Respiration (brpm)",
    "Sleep (h:m:s)",
    "Overnight HRV (ms)",
    "HRV Status",
    "Device Worn",
];

pub const SLEEP_COLUMNS: [&str; 14] = [
    "Date",
    "Sleep Start",
    "Sleep End",
    "Sleep (h:m:s)",
    "Deep (h:m:s)",
    "Light (h:m:s)",
    "REM (h:m:s)",
    "Awake (h:m:s)",
    "Sleep Score",
    "Avg. SpO2 (%)",
    "Lowest SpO2 (%)",
    "Avg. Respiration (brpm)",
    "Avg. Overnight HRV (ms)",
    "Naps (h:m:s)",
];

pub const WEIGHT_COLUMNS: [&str; 9] = [
    "Date",
    "Time",
    "Weight (kg)",
    "BMI",
    "Body Fat (%)",
    "Body Water (%)",
    "Bone Mass (kg)",
    "Muscle Mass (kg)",
    "Source",
];

pub const RECORDS_COLUMNS: [&str; 7] = [
    "Record",
    "Value",
    "Unit",
    "Date",
    "Activity ID",
    "Activity Name",
    "Activity Type",
];

/// Something an import of Garmin's data export cannot fill: a column of a table, or a whole
/// per-day file (`column` is `None`). Listed in `docs/health.md` too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NotInExport {
    pub file: &'static str,
    pub column: Option<&'static str>,
    pub why: &'static str,
}

pub const NOT_IN_EXPORT: [NotInExport; 10] = [
    NotInExport {
        file: DAILY_CSV,
        column: Some("HRV Status"),
        why: "the export's health status (healthStatusData) rates HRV on its own scale, not \
              Garmin's HRV status",
    },
    NotInExport {
        file: SLEEP_CSV,
        column: Some("Sleep Start"),
        why: "the export gives the night's times in GMT only, not the local wall time",
    },
    NotInExport {
        file: SLEEP_CSV,
        column: Some("Sleep End"),
        why: "the export gives the night's times in GMT only, not the local wall time",
    },
    NotInExport {
        file: WEIGHT_CSV,
        column: Some("Time"),
        why: "the export gives weigh-in times in GMT only, not the local wall time",
    },
    NotInExport {
        file: RECORDS_CSV,
        column: Some("Date"),
        why: "the export gives a record's time in GMT only (the local day can differ); \
              filled for records of an activity in the folder, from its local start",
    },
    NotInExport {
        file: RECORDS_CSV,
        column: Some("Activity Name"),
        why: "the export's records name their activity by id only; filled when that \
              activity is in the folder (imported from the same export, or backed up)",
    },
    NotInExport {
        file: RECORDS_CSV,
        column: Some("Activity Type"),
        why: "the export's records name their activity by id only; filled when that \
              activity is in the folder (imported from the same export, or backed up)",
    },
    NotInExport {
        file: "health/YYYY/YYYY-MM-DD/stress.json, heart_rate.json",
        column: None,
        why: "the export keeps the day's totals only; stress, Body Battery and heart rate \
              over the day are in its raw monitoring FIT files, which are not read",
    },
    NotInExport {
        file: "gear.csv",
        column: None,
        why: "the export lists gear but never says which activity used it, so there are no \
              totals to give",
    },
    NotInExport {
        file: "health/YYYY/YYYY-MM-DD/hrv.json",
        column: None,
        why: "the export keeps the night's HRV average only, not its 5-minute readings",
    },
];

fn read_json(archive: &Archive, rel: &str) -> Option<Value> {
    let bytes = std::fs::read(archive.root().join(rel)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A number as Garmin wrote it, without a trailing `.0` on whole values.
fn num(v: Option<&Value>) -> String {
    match v {
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            (None, Some(f)) => format!("{}", (f * 1000.0).round() / 1000.0),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// Stress levels below zero are Garmin's markers ("too active", "not enough data").
fn level(v: Option<&Value>) -> String {
    match v.and_then(Value::as_f64) {
        Some(x) if x >= 0.0 => num(v),
        _ => String::new(),
    }
}

fn scaled(v: Option<&Value>, by: f64, decimals: usize) -> String {
    v.and_then(Value::as_f64)
        .map(|x| format!("{:.*}", decimals, x / by))
        .unwrap_or_default()
}

fn hms(v: Option<&Value>) -> String {
    match v.and_then(Value::as_f64) {
        Some(s) if s >= 0.0 => {
            let s = s.round() as i64;
            format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
        }
        _ => String::new(),
    }
}

/// Garmin's "local epoch" (local wall time counted as if UTC) as `YYYY-MM-DDTHH:MM:SS`.
fn local_time(v: Option<&Value>) -> String {
    v.and_then(Value::as_i64)
        .and_then(DateTime::from_timestamp_millis)
        .map(|t| t.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default()
}

pub(crate) fn write_table(
    archive: &Archive,
    rel: &str,
    header: &[&str],
    rows: &[Vec<String>],
) -> Result<()> {
    let path = archive.root().join(rel);
    let (f, part, _) = create_part(archive.root(), &path)?;
    let res = (|| {
        let mut out = std::io::BufWriter::new(f);
        out.write_all(b"\xEF\xBB\xBF")
            .map_err(|e| Error::io(&part, e))?;
        {
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(&mut out);
            w.write_record(header)
                .map_err(|e| Error::State(format!("writing {rel}: {e}")))?;
            for row in rows {
                w.write_record(row)
                    .map_err(|e| Error::State(format!("writing {rel}: {e}")))?;
            }
            w.flush().map_err(|e| Error::io(&part, e))?;
        }
        let f = out
            .into_inner()
            .map_err(|e| Error::io(&part, e.into_error()))?;
        f.sync_all().map_err(|e| Error::io(&part, e))?;
        drop(f);
        std::fs::rename(&part, &path).map_err(|e| Error::io(&path, e))?;
        if let Some(dir) = path.parent() {
            sync_dir_blocking(dir);
        }
        Ok(())
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    res
}

/// `rel` written whole or not at all (`.part`, fsync, rename), as the tables are.
pub(crate) fn write_bytes(archive: &Archive, rel: &str, bytes: &[u8]) -> Result<()> {
    let path = archive.root().join(rel);
    let (mut f, part, _) = create_part(archive.root(), &path)?;
    let res = f
        .write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(&part, e))
        .and_then(|()| {
            drop(f);
            std::fs::rename(&part, &path).map_err(|e| Error::io(&path, e))
        });
    if res.is_err() {
        let _ = std::fs::remove_file(&part);
    } else if let Some(dir) = path.parent() {
        sync_dir_blocking(dir);
    }
    res
}

pub(crate) fn daily_row(
    date: NaiveDate,
    s: &Value,
    sleep: Option<&Value>,
    hrv: Option<&Value>,
) -> Vec<String> {
    let hrv_avg = hrv
        .and_then(|h| h.pointer("/hrvSummary/lastNightAvg"))
        .or_else(|| sleep.and_then(|s| s.get("avgOvernightHrv")));
    let hrv_status = hrv
        .and_then(|h| h.pointer("/hrvSummary/status"))
        .or_else(|| sleep.and_then(|s| s.get("hrvStatus")))
        .and_then(Value::as_str)
        .unwrap_or_default();
    vec![
        date.to_string(),
        num(s.get("totalSteps")),
        scaled(s.get("totalDistanceMeters"), 1000.0, 3),
        scaled(s.get("floorsAscended"), 1.0, 0),
        num(s.get("activeKilocalories")),
        num(s.get("totalKilocalories")),
        num(s.get("restingHeartRate")),
        num(s.get("minHeartRate")),
        num(s.get("maxHeartRate")),
        level(s.get("averageStressLevel")),
        level(s.get("maxStressLevel")),
        num(s.get("bodyBatteryHighestValue")),
        num(s.get("bodyBatteryLowestValue")),
        num(s.get("moderateIntensityMinutes")),
        num(s.get("vigorousIntensityMinutes")),
        num(s.get("averageSpo2")),
        num(s.get("lowestSpo2")),
        num(s.get("avgWakingRespirationValue")),
        hms(s.get("sleepingSeconds")),
        num(hrv_avg),
        hrv_status.to_owned(),
        match s.get("includesWellnessData") {
            Some(Value::Bool(b)) => b.to_string(),
            _ => String::new(),
        },
    ]
}

pub(crate) fn sleep_row(date: NaiveDate, v: &Value) -> Option<Vec<String>> {
    let d = v.get("dailySleepDTO")?;
    let naps: f64 = v
        .get("dailyNapDTOS")
        .and_then(Value::as_array)
        .map(|n| {
            n.iter()
                .filter_map(|x| x.get("napTimeSec").and_then(Value::as_f64))
                .sum()
        })
        .unwrap_or(0.0);
    if d.get("sleepTimeSeconds").is_none_or(Value::is_null) && naps == 0.0 {
        return None;
    }
    Some(vec![
        date.to_string(),
        local_time(d.get("sleepStartTimestampLocal")),
        local_time(d.get("sleepEndTimestampLocal")),
        hms(d.get("sleepTimeSeconds")),
        hms(d.get("deepSleepSeconds")),
        hms(d.get("lightSleepSeconds")),
        hms(d.get("remSleepSeconds")),
        hms(d.get("awakeSleepSeconds")),
        num(d.pointer("/sleepScores/overall/value")),
        num(d.get("averageSpO2Value")),
        num(d.get("lowestSpO2Value")),
        num(d.get("averageRespirationValue")),
        num(v.get("avgOvernightHrv")),
        if naps > 0.0 {
            hms(Some(&Value::from(naps)))
        } else {
            String::new()
        },
    ])
}

/// Every weigh-in of one `weight/range` answer, oldest first.
pub(crate) fn weight_rows(v: &Value) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for day in v
        .get("dailyWeightSummaries")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for w in day
            .get("allWeightMetrics")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let date = w
                .get("calendarDate")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            rows.push(weigh_in_row(date, w));
        }
    }
    rows.sort();
    rows
}

/// One `weight.csv` row: the online answer and the export name a weigh-in's values alike;
/// only where the day is written differs.
fn weigh_in_row(date: String, w: &Value) -> Vec<String> {
    vec![
        date,
        local_time(w.get("date"))
            .get(11..)
            .unwrap_or_default()
            .to_owned(),
        scaled(w.get("weight"), 1000.0, 2),
        scaled(w.get("bmi"), 1.0, 1),
        scaled(w.get("bodyFat"), 1.0, 1),
        scaled(w.get("bodyWater"), 1.0, 1),
        scaled(w.get("boneMass"), 1000.0, 2),
        scaled(w.get("muscleMass"), 1000.0, 2),
        w.get("sourceType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    ]
}

/// Garmin's personal record types (`typeId`), with the unit their value is in.
fn record_type(id: i64) -> (&'static str, &'static str) {
    match id {
        1 => ("Fastest 1 km", "s"),
        2 => ("Fastest mile", "s"),
        3 => ("Fastest 5 km", "s"),
        4 => ("Fastest 10 km", "s"),
        5 => ("Fastest half marathon", "s"),
        6 => ("Fastest marathon", "s"),
        7 => ("Longest run", "m"),
        8 => ("Longest ride", "m"),
        9 => ("Most total ascent", "m"),
        10 => ("Best 20 min average power", "W"),
        11 => ("Fastest 40 km", "s"),
        12 => ("Most steps in a day", "steps"),
        13 => ("Most steps in a week", "steps"),
        14 => ("Most steps in a month", "steps"),
        15 => ("Longest goal streak", "days"),
        _ => ("", ""),
    }
}

pub(crate) fn record_rows(v: &Value) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for r in v.as_array().into_iter().flatten() {
        let id = r.get("typeId").and_then(Value::as_i64).unwrap_or(0);
        let (label, unit) = record_type(id);
        let label = if label.is_empty() {
            format!("Record type {id}")
        } else {
            label.to_owned()
        };
        let date = r
            .get("prStartTimeLocalFormatted")
            .or_else(|| r.get("activityStartDateTimeLocalFormatted"))
            .and_then(Value::as_str)
            .map(|t| t.get(..10).unwrap_or(t).to_owned())
            .unwrap_or_default();
        let value = if unit == "s" {
            hms(r.get("value"))
        } else {
            num(r.get("value"))
        };
        rows.push(vec![
            label,
            value,
            if unit == "s" {
                "h:m:s".to_owned()
            } else {
                unit.to_owned()
            },
            date,
            num(r.get("activityId")),
            r.get("activityName")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            r.get("activityType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        ]);
    }
    rows
}

/// The entry of `list` (an array of objects) whose `key` is `value`.
fn find_in<'a>(list: Option<&'a Value>, key: &str, value: &str) -> Option<&'a Value> {
    list.and_then(Value::as_array)?
        .iter()
        .find(|x| x.get(key).and_then(Value::as_str) == Some(value))
}

/// The value of one metric (`HRV`, `HR`...) of a `healthStatusData` item.
fn health_metric<'a>(status: Option<&'a Value>, kind: &str) -> Option<&'a Value> {
    find_in(status.and_then(|s| s.get("metrics")), "type", kind)
        .and_then(|m| m.get("value"))
        .filter(|v| !v.is_null())
}

/// A night of the export; older exports wrap it as the API does (`dailySleepDTO`).
fn export_night(v: &Value) -> &Value {
    v.get("dailySleepDTO").unwrap_or(v)
}

fn export_naps(v: &Value) -> f64 {
    v.get("napList")
        .or_else(|| v.get("dailyNapDTOS"))
        .and_then(Value::as_array)
        .map(|n| {
            n.iter()
                .filter_map(|x| x.get("napTimeSec").and_then(Value::as_f64))
                .sum()
        })
        .unwrap_or(0.0)
}

/// Seconds asleep in the export's night: its stages (it has no total of its own).
fn export_asleep(d: &Value) -> Option<f64> {
    if let Some(t) = d.get("sleepTimeSeconds").and_then(Value::as_f64) {
        return Some(t);
    }
    let stages: Vec<f64> = ["deepSleepSeconds", "lightSleepSeconds", "remSleepSeconds"]
        .iter()
        .filter_map(|k| d.get(*k).and_then(Value::as_f64))
        .collect();
    (!stages.is_empty()).then(|| stages.iter().sum())
}

/// The same row as [`daily_row`], from the export's `UDSFile` item of the day, its night
/// (`sleepData`) and its health status; what the export lacks stays empty
/// ([`NOT_IN_EXPORT`]).
pub(crate) fn export_daily_row(
    date: NaiveDate,
    u: &Value,
    sleep: Option<&Value>,
    status: Option<&Value>,
) -> Vec<String> {
    let stress = find_in(u.pointer("/allDayStress/aggregatorList"), "type", "TOTAL")
        .or_else(|| u.get("allDayStress"));
    let battery = |kind: &str| {
        find_in(
            u.pointer("/bodyBattery/bodyBatteryStatList"),
            "bodyBatteryStatType",
            kind,
        )
        .and_then(|s| s.get("statsValue"))
    };
    // Floors in metres only: a floor is 3.048 m (10 ft), and Garmin's floors carry 3 decimals.
    let floors = u.get("floorsAscended").cloned().or_else(|| {
        u.get("floorsAscendedInMeters")
            .and_then(Value::as_f64)
            .map(|m| Value::from((m / 3.048 * 1000.0).round() / 1000.0))
    });
    // A day with a device but no night in the export is a day without sleep, as the API's
    // `sleepingSeconds` 0 says.
    let asleep = Value::from(sleep.map_or(0.0, |s| {
        export_asleep(export_night(s)).unwrap_or(0.0) + export_naps(s)
    }));
    vec![
        date.to_string(),
        num(u.get("totalSteps")),
        scaled(u.get("totalDistanceMeters"), 1000.0, 3),
        scaled(floors.as_ref(), 1.0, 0),
        num(u.get("activeKilocalories")),
        num(u.get("totalKilocalories")),
        num(u
            .get("restingHeartRate")
            .filter(|v| !v.is_null())
            .or_else(|| u.get("currentDayRestingHeartRate"))),
        num(u.get("minHeartRate")),
        num(u.get("maxHeartRate")),
        level(stress.and_then(|s| s.get("averageStressLevel"))),
        level(stress.and_then(|s| s.get("maxStressLevel"))),
        num(battery("HIGHEST")),
        num(battery("LOWEST")),
        num(u.get("moderateIntensityMinutes")),
        num(u.get("vigorousIntensityMinutes")),
        num(u.get("averageSpo2Value")),
        num(u.get("lowestSpo2Value")),
        num(u.pointer("/respiration/avgWakingRespirationValue")),
        hms(Some(&asleep)),
        num(health_metric(status, "HRV")),
        String::new(),
        u.get("includesWellnessData")
            .and_then(Value::as_bool)
            .map(|b| b.to_string())
            .unwrap_or_default(),
    ]
}

/// The same row as [`sleep_row`], from the export's `sleepData` item (and the night's HRV
/// from its health status).
pub(crate) fn export_sleep_row(
    date: NaiveDate,
    v: &Value,
    status: Option<&Value>,
) -> Option<Vec<String>> {
    let d = export_night(v);
    let naps = export_naps(v);
    let asleep = export_asleep(d);
    if asleep.is_none() && naps == 0.0 {
        return None;
    }
    let spo2 = v.get("spo2SleepSummary");
    Some(vec![
        date.to_string(),
        local_time(d.get("sleepStartTimestampLocal")),
        local_time(d.get("sleepEndTimestampLocal")),
        hms(asleep.map(Value::from).as_ref()),
        hms(d.get("deepSleepSeconds")),
        hms(d.get("lightSleepSeconds")),
        hms(d.get("remSleepSeconds")),
        hms(d.get("awakeSleepSeconds")),
        num(d
            .pointer("/sleepScores/overallScore")
            .or_else(|| d.pointer("/sleepScores/overall/value"))),
        num(spo2
            .and_then(|s| s.get("averageSPO2"))
            .or_else(|| d.get("averageSpO2Value"))),
        num(spo2
            .and_then(|s| s.get("lowestSPO2"))
            .or_else(|| d.get("lowestSpO2Value"))),
        num(d
            .get("averageRespiration")
            .or_else(|| d.get("averageRespirationValue"))),
        num(health_metric(status, "HRV").or_else(|| v.get("avgOvernightHrv"))),
        if naps > 0.0 {
            hms(Some(&Value::from(naps)))
        } else {
            String::new()
        },
    ])
}

/// Every weigh-in of the export's `userBioMetrics` entries (entries without a weight, such
/// as height, are not weigh-ins).
pub(crate) fn export_weight_rows(v: &Value) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for e in v.as_array().into_iter().flatten() {
        let Some(w) = e.get("weight").filter(|w| w.is_object()) else {
            continue;
        };
        if w.get("weight").and_then(Value::as_f64).is_none() {
            continue;
        }
        let date = e
            .pointer("/metaData/calendarDate")
            .and_then(Value::as_str)
            .and_then(|d| d.get(..10))
            .unwrap_or_default()
            .to_owned();
        rows.push(weigh_in_row(date, w));
    }
    rows.sort();
    rows
}

/// The export's record labels, as Garmin writes them, and the online `typeId` they are.
fn export_record_type(label: &str) -> Option<i64> {
    Some(match label {
        "Best 1km Run" => 1,
        "Best 1 Mile Run" => 2,
        "Best 5km Run" => 3,
        "Best 10km Run" => 4,
        "Best Half Marathon" => 5,
        "Best Marathon" => 6,
        "Farthest Run" => 7,
        "Farthest Cycle" => 8,
        "Max Elevation Gain" => 9,
        "Max Avg Power (20 min)" => 10,
        "Best 40km Cycle" => 11,
        "Most Steps in a Day" => 12,
        "Most Steps in a Week" => 13,
        "Most Steps in a Month" => 14,
        "Longest Goal Streak" => 15,
        _ => return None,
    })
}

/// The export's current personal records (`[{"personalRecords":[...]}]`, or the bare list).
pub(crate) fn export_record_rows(v: &Value) -> Vec<Vec<String>> {
    let items: Vec<&Value> = match v.as_array() {
        Some(a) if a.iter().any(|x| x.get("personalRecords").is_some()) => a
            .iter()
            .filter_map(|x| x.get("personalRecords").and_then(Value::as_array))
            .flatten()
            .collect(),
        Some(a) => a.iter().collect(),
        None => Vec::new(),
    };
    let mut rows = Vec::new();
    for r in items {
        if r.get("current") == Some(&Value::Bool(false)) {
            continue;
        }
        let label = r
            .get("personalRecordType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (name, unit) = match export_record_type(label).map(record_type) {
            Some((name, unit)) => (name.to_owned(), unit),
            None => (label.to_owned(), ""),
        };
        let activity = r
            .get("activityId")
            .filter(|a| a.as_i64().is_some_and(|id| id > 0));
        rows.push(vec![
            name,
            if unit == "s" {
                hms(r.get("value"))
            } else {
                num(r.get("value"))
            },
            if unit == "s" {
                "h:m:s".to_owned()
            } else {
                unit.to_owned()
            },
            String::new(),
            num(activity),
            String::new(),
            String::new(),
        ]);
    }
    rows
}

pub(crate) fn write_all(archive: &Archive, opts: &HealthOptions) -> Result<()> {
    if opts.health {
        let mut daily = Vec::new();
        let mut sleep = Vec::new();
        for (date, files) in state::complete_days(archive)?.into_iter().rev() {
            let dir = day_dir(date);
            let has = |f: &str| files.iter().any(|x| x == f);
            let sleep_json = has(SLEEP)
                .then(|| read_json(archive, &format!("{dir}/{SLEEP}")))
                .flatten();
            let hrv_json = has(HRV)
                .then(|| read_json(archive, &format!("{dir}/{HRV}")))
                .flatten();
            if let Some(s) = has(SUMMARY)
                .then(|| read_json(archive, &format!("{dir}/{SUMMARY}")))
                .flatten()
            {
                daily.push(daily_row(date, &s, sleep_json.as_ref(), hrv_json.as_ref()));
                if let Some(row) = sleep_json.as_ref().and_then(|v| sleep_row(date, v)) {
                    sleep.push(row);
                }
                continue;
            }
            // A day only the data export has filled (an online backup replaces it).
            let read = |f: &str| {
                has(f)
                    .then(|| read_json(archive, &format!("{dir}/{f}")))
                    .flatten()
            };
            let night = read(EXPORT_SLEEP);
            let status = read(EXPORT_HEALTH_STATUS);
            if let Some(u) = read(EXPORT_SUMMARY) {
                daily.push(export_daily_row(date, &u, night.as_ref(), status.as_ref()));
            }
            if let Some(row) = night
                .as_ref()
                .and_then(|v| export_sleep_row(date, v, status.as_ref()))
            {
                sleep.push(row);
            }
        }
        write_table(archive, DAILY_CSV, &DAILY_COLUMNS, &daily)?;
        write_table(archive, SLEEP_CSV, &SLEEP_COLUMNS, &sleep)?;
        let mut weight = all_weight_rows(archive)?;
        weight.sort();
        weight.reverse();
        write_table(archive, WEIGHT_CSV, &WEIGHT_COLUMNS, &weight)?;
    }
    if opts.records {
        if let Some(v) = read_json(archive, &format!("{HEALTH_DIR}/{RECORDS_JSON}")) {
            write_table(archive, RECORDS_CSV, &RECORDS_COLUMNS, &record_rows(&v))?;
        } else if let Some(v) = read_json(archive, &format!("{HEALTH_DIR}/{EXPORT_RECORDS_JSON}")) {
            let mut rows = export_record_rows(&v);
            // The export's records name their activity by id: the folder's copy of that
            // activity (imported from the same export, or backed up) says the rest.
            for row in &mut rows {
                let Ok(id) = row[4].parse::<i64>() else {
                    continue;
                };
                if let Some(a) = archive.load(id)?.map(|s| s.activity) {
                    row[3] = a
                        .start_local()
                        .map(|t| t.date().to_string())
                        .unwrap_or_default();
                    row[5] = a.name().unwrap_or_default().to_owned();
                    row[6] = a.type_key().unwrap_or_default().to_owned();
                }
            }
            write_table(archive, RECORDS_CSV, &RECORDS_COLUMNS, &rows)?;
        }
    }
    Ok(())
}

/// Every weigh-in in the folder: a year Garmin Connect was asked about comes from there
/// (its list is the account's current one); the data export fills only the other years.
fn all_weight_rows(archive: &Archive) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    let online = state::ranges(archive, "weight")?;
    for (_, file) in &online {
        if let Some(v) = file.as_ref().and_then(|f| read_json(archive, f)) {
            rows.extend(weight_rows(&v));
        }
    }
    for (start, file) in state::ranges(archive, WEIGHT_EXPORT_KIND)? {
        if online.iter().any(|(s, _)| *s == start) {
            continue;
        }
        if let Some(v) = file.as_ref().and_then(|f| read_json(archive, f)) {
            rows.extend(export_weight_rows(&v));
        }
    }
    Ok(rows)
}

pub(crate) fn weigh_in_count(archive: &Archive) -> Result<u64> {
    Ok(all_weight_rows(archive)?.len() as u64)
}

pub(crate) fn record_count(archive: &Archive) -> Result<u64> {
    Ok(read_json(archive, &format!("{HEALTH_DIR}/{RECORDS_JSON}"))
        .and_then(|v| v.as_array().map(|a| a.len() as u64))
        .unwrap_or(0))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Garmin's real answers (see the fixtures' README), not the simulator's.
    fn real(name: &str) -> Value {
        let path = format!(
            "{}/tests/fixtures/health-real/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// Shapes public parsers of the export meet in other years: stress straight under
    /// `allDayStress`, nights wrapped as the API wraps them (with local times), scores as
    /// the API writes them.
    #[test]
    fn the_exports_other_known_shapes_fill_the_same_columns() {
        let u = serde_json::json!({
            "calendarDate": "2023-11-27", "totalSteps": 5288, "totalDistanceMeters": 4162.0,
            "floorsAscendedInMeters": 30.674, "restingHeartRate": null,
            "currentDayRestingHeartRate": 63,
            "allDayStress": {"averageStressLevel": 30, "maxStressLevel": 82},
        });
        let night = serde_json::json!({"dailySleepDTO": {
            "calendarDate": "2023-11-27", "sleepTimeSeconds": 24060,
            "sleepStartTimestampLocal": 1_701_039_600_000_i64,
            "sleepEndTimestampLocal": 1_701_063_660_000_i64,
            "deepSleepSeconds": 7620, "lightSleepSeconds": 13980, "remSleepSeconds": 2460,
            "awakeSleepSeconds": 0, "sleepScores": {"overall": {"value": 81}},
        }});
        let by = |row: Vec<String>, cols: &[&str]| -> std::collections::HashMap<String, String> {
            cols.iter().map(|c| c.to_string()).zip(row).collect()
        };
        let d = by(
            export_daily_row(day("2023-11-27"), &u, Some(&night), None),
            &DAILY_COLUMNS,
        );
        assert_eq!(d["Floors Climbed"], "10");
        assert_eq!(d["Resting Heart Rate (bpm)"], "63");
        assert_eq!(d["Avg. Stress"], "30");
        assert_eq!(d["Max. Stress"], "82");
        assert_eq!(d["Sleep (h:m:s)"], "06:41:00");
        let s = by(
            export_sleep_row(day("2023-11-27"), &night, None).unwrap(),
            &SLEEP_COLUMNS,
        );
        assert_eq!(s["Sleep Start"], "2023-11-26T23:00:00");
        assert_eq!(s["Sleep End"], "2023-11-27T05:41:00");
        assert_eq!(s["Sleep Score"], "81");
        assert_eq!(s["Deep (h:m:s)"], "02:07:00");
    }

    #[test]
    fn a_real_daily_summary_fills_its_row_and_leaves_what_it_lacks_empty() {
        let row = daily_row(
            day("2025-06-14"),
            &real("summary_2025-06-14.json"),
            None,
            None,
        );
        let by: std::collections::HashMap<&str, &str> = DAILY_COLUMNS
            .iter()
            .copied()
            .zip(row.iter().map(String::as_str))
            .collect();
        assert_eq!(by["Steps"], "5459");
        assert_eq!(by["Distance (km)"], "4.471");
        assert_eq!(by["Floors Climbed"], "4");
        assert_eq!(by["Total Calories (kcal)"], "2252");
        assert_eq!(by["Resting Heart Rate (bpm)"], "51");
        assert_eq!(by["Max. Heart Rate (bpm)"], "104");
        assert_eq!(by["Avg. Stress"], "24");
        assert_eq!(by["Body Battery High"], "92");
        assert_eq!(by["Body Battery Low"], "32");
        assert_eq!(by["Avg. SpO2 (%)"], "", "null in Garmin's answer");
        assert_eq!(by["Avg. Waking Respiration (brpm)"], "14");
        assert_eq!(by["Sleep (h:m:s)"], "08:00:42");
        assert_eq!(by["Overnight HRV (ms)"], "");
        assert_eq!(by["Device Worn"], "true");
    }

    #[test]
    fn a_real_night_gives_local_times_and_stages() {
        let row = sleep_row(day("2021-07-20"), &real("sleep_2021-07-20.json")).unwrap();
        assert_eq!(
            row,
            [
                "2021-07-20",
                "2021-07-20T00:20:00",
                "2021-07-20T07:59:00",
                "07:09:00",
                "01:14:00",
                "05:12:00",
                "00:43:00",
                "00:30:00",
                "",
                "92",
                "84",
                "15",
                "",
                "",
            ]
        );
    }

    #[test]
    fn real_weigh_ins_give_kilograms_and_keep_typed_ones_without_body_composition() {
        let rows = weight_rows(&real("weight_range_2025-06-01_2025-06-15.json"));
        assert_eq!(rows.len(), 4, "every weigh-in, two on one day included");
        assert_eq!(rows[0][0], "2025-06-07");
        assert_eq!(
            &rows[0][2..],
            [
                "59.19",
                "22.6",
                "20.0",
                "58.4",
                "3.45",
                "26.85",
                "INDEX_SCALE"
            ]
        );
        let typed = rows.iter().find(|r| r[8] == "MANUAL").unwrap();
        assert_eq!(typed[2], "59.50");
        assert_eq!(&typed[3..8], ["", "", "", "", ""]);
    }
}
