//! `activities.csv`, exactly as `docs/csv.md` specifies: the 50 columns of `gcexport.py`'s
//! default template, in its order, with its titles, computed from the archive's state.
//!
//! Encoding decisions: UTF-8 with a byte-order mark and `\r\n` line ends (RFC 4180). Excel
//! reads a BOM-less file as the local code page, which would garble `°` in the very header
//! and every non-ASCII activity name; LibreOffice, Numbers and CSV libraries (Rust's `csv`,
//! pandas with `utf-8-sig`) accept the BOM. Fields are quoted only when they must be.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use chrono::{Duration, NaiveDateTime};
use serde_json::Value;

use crate::archive::{Archive, Stored, create_part, sync_dir_blocking};
use crate::error::{Error, Result};
use crate::labels::{self, Labels};
use crate::model::{Activity, as_i64};

pub const FILE_NAME: &str = "activities.csv";

/// `(key, title)` of each column, in order.
pub const COLUMNS: [(&str, &str); 50] = [
    ("startTimeIso", "Start Time"),
    ("endTimeIso", "End Time"),
    ("id", "Activity ID"),
    ("activityName", "Activity Name"),
    ("description", "Description"),
    ("locationName", "Location Name"),
    ("tz", "Time Zone"),
    ("tzOffset", "Offset"),
    ("duration", "Duration (h:m:s)"),
    ("elapsedDuration", "Elapsed Duration (h:m:s)"),
    ("movingDuration", "Moving Duration (h:m:s)"),
    ("activityParent", "Activity Parent"),
    ("activityType", "Activity Type"),
    ("eventType", "Event Type"),
    ("device", "Device"),
    ("gear", "Gear"),
    ("privacy", "Privacy"),
    ("fileFormat", "File Format"),
    ("distanceRaw", "Distance (km)"),
    ("averageSpeedRaw", "Average Speed (km/h)"),
    ("averageSpeedPace", "Average Speed (km/h or min/km)"),
    ("averageMovingSpeedRaw", "Average Moving Speed (km/h)"),
    (
        "averageMovingSpeedPace",
        "Average Moving Speed (km/h or min/km)",
    ),
    ("maxSpeedRaw", "Max. Speed (km/h)"),
    ("maxSpeedPace", "Max. Speed (km/h or min/km)"),
    ("elevationGain", "Elevation Gain (m)"),
    ("elevationLoss", "Elevation Loss (m)"),
    ("minElevation", "Elevation Min. (m)"),
    ("maxElevation", "Elevation Max. (m)"),
    ("elevationCorrected", "Elevation Corrected"),
    ("startLatitude", "Begin Latitude (°DD)"),
    ("startLongitude", "Begin Longitude (°DD)"),
    ("endLatitude", "End Latitude (°DD)"),
    ("endLongitude", "End Longitude (°DD)"),
    ("maxHR", "Max. Heart Rate (bpm)"),
    ("averageHR", "Average Heart Rate (bpm)"),
    ("calories", "Calories"),
    ("vo2max", "VO2max"),
    ("aerobicEffect", "Aerobic Training Effect"),
    ("anaerobicEffect", "Anaerobic Training Effect"),
    ("averageRunCadence", "Avg. Run Cadence"),
    ("maxRunCadence", "Max. Run Cadence"),
    ("strideLength", "Stride Length"),
    ("steps", "Steps"),
    ("averageCadence", "Avg. Cadence (rpm)"),
    ("maxCadence", "Max. Cadence (rpm)"),
    ("strokes", "Strokes"),
    ("averageTemperature", "Avg. Temp (°C)"),
    ("minTemperature", "Min. Temp (°C)"),
    ("maxTemperature", "Max. Temp (°C)"),
];

/// Rewrites `activities.csv` from the state: `.part`, fsync, rename. An activity gets its
/// row once its details are in (listed but not yet processed, after a cancel, it has none).
///
/// Rows are rendered one activity at a time, so memory does not grow with the account; and
/// when nothing the table shows has changed since it was last written (a re-run that found
/// nothing new), the file is left as it is.
pub fn write(archive: &Archive) -> Result<()> {
    // The gear list and its totals come from the same rows (docs/csv.md, "gear.csv").
    crate::gear::write_csv(archive)?;
    let path = archive.root().join(FILE_NAME);
    let labels = labels::kept(archive)?;
    let signature = signature(&labels);
    if path.is_file() && archive.csv_is_current(&signature)? {
        return Ok(());
    }
    let devices = archive.devices()?;
    // New, never through a link planted in its place.
    let (f, part, _) = create_part(archive.root(), &path)?;
    let res = (|| {
        let mut out = std::io::BufWriter::with_capacity(256 * 1024, f);
        write_rows(&mut out, &devices, &labels, |row| {
            archive.for_each_stored(row)
        })?;
        let f = out
            .into_inner()
            .map_err(|e| Error::io(&part, e.into_error()))?;
        f.sync_all().map_err(|e| Error::io(&part, e))?;
        drop(f);
        std::fs::rename(&part, &path).map_err(|e| Error::io(&path, e))?;
        sync_dir_blocking(archive.root());
        Ok(())
    })();
    if let Err(e) = res {
        let _ = std::fs::remove_file(&part);
        return Err(e);
    }
    archive.csv_written(&signature)
}

/// The header row and the labels: a table written with other columns or other labels must be
/// written again.
fn signature(labels: &Labels) -> String {
    let columns = COLUMNS
        .iter()
        .map(|(k, _)| *k)
        .collect::<Vec<_>>()
        .join(",");
    match labels.digest() {
        "" => columns,
        d => format!("{columns};labels={d}"),
    }
}

/// Whether [`write`] would rewrite the file (so a run knows whether labels are worth fetching).
pub(crate) fn is_stale(archive: &Archive) -> Result<bool> {
    let path = archive.root().join(FILE_NAME);
    Ok(!path.is_file() || !archive.csv_is_current(&signature(&labels::kept(archive)?))?)
}

/// BOM, header, then a row for each activity `each` hands over that has its details.
fn write_rows<W: Write>(
    out: &mut W,
    devices: &HashMap<i64, Value>,
    labels: &Labels,
    each: impl FnOnce(&mut dyn FnMut(Stored) -> Result<()>) -> Result<()>,
) -> Result<()> {
    out.write_all("\u{feff}".as_bytes())
        .map_err(|e| Error::io(Path::new(FILE_NAME), e))?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    let err = |e: csv::Error| Error::State(format!("CSV: {e}"));
    w.write_record(COLUMNS.iter().map(|(_, t)| *t))
        .map_err(err)?;
    each(&mut |s: Stored| {
        if s.activity.details.is_some() {
            let cells = row(&s.activity, s.gear.as_ref(), devices, labels);
            w.write_record(cells.into_iter().enumerate().map(|(i, cell)| {
                let key = COLUMNS.get(i).map_or("", |(k, _)| *k);
                defuse(key, cell)
            }))
            .map_err(err)?;
        }
        Ok(())
    })?;
    w.flush().map_err(|e| Error::io(Path::new(FILE_NAME), e))
}

/// Columns whose text comes from Garmin or the user, as it was typed: a name, a place, a
/// label. Any of them can start like a formula.
const TEXT_COLUMNS: [&str; 11] = [
    "activityName",
    "description",
    "locationName",
    "tz",
    "activityParent",
    "activityType",
    "eventType",
    "device",
    "gear",
    "privacy",
    "fileFormat",
];

/// OWASP's rule against CSV injection: a text cell starting with `=`, `+`, `-`, `@`, tab or
/// CR gets a leading `'`, so a spreadsheet shows it instead of running it
/// (`=HYPERLINK(...)`). Numbers are not text: `-7.000001` or an offset `-07:00` that this
/// table computes must stay numbers and times for the spreadsheet. In other columns only a
/// cell that is neither gets the quote (a raw value Garmin sent as a string).
fn defuse(key: &str, cell: String) -> String {
    let risky = cell
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    if !risky || (!TEXT_COLUMNS.contains(&key) && is_number_or_offset(&cell)) {
        return cell;
    }
    format!("'{cell}")
}

/// `-12.5`, `+3`, `1e-5`, or a UTC offset `-07:00`.
fn is_number_or_offset(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() == 6
        && matches!(b[0], b'+' | b'-')
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3] == b':'
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
    {
        return true;
    }
    let digits = s.trim_start_matches(['+', '-']);
    digits.len() + 1 >= s.len()
        && digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits.parse::<f64>().is_ok_and(f64::is_finite)
}

#[cfg(test)]
pub(crate) fn render(stored: &[Stored], devices: &HashMap<i64, Value>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_rows(&mut out, devices, &Labels::default(), |row| {
        for s in stored {
            row(s.clone())?;
        }
        Ok(())
    })?;
    Ok(out)
}

/// One row, column by column as the table in `docs/csv.md` says; type names from Garmin's own
/// `labels` where it has them.
pub fn row(
    a: &Activity,
    gear: Option<&Value>,
    devices: &HashMap<i64, Value>,
    labels: &Labels,
) -> Vec<String> {
    let v = Values(a);
    let types = Types::of(a);
    let mut out = Vec::with_capacity(50);
    out.extend(when_and_what(&v));
    out.extend(kind_and_kit(&v, &types, gear, devices, labels));
    out.extend(distance_and_speed(&v, &types));
    out.extend(elevation_and_place(&v));
    out.extend(body_and_cadence(&v, &types));
    out
}

/// Where a column's value is read (the letters of `docs/csv.md`): `l` the list item, `d` a
/// pointer into the details, `s` the details' `summaryDTO`, `sl` S else L. Null is absent.
struct Values<'a>(&'a Activity);

impl<'a> Values<'a> {
    fn l(&self, k: &str) -> Option<&'a Value> {
        self.0.summary.get(k).filter(|v| !v.is_null())
    }
    fn d(&self, p: &str) -> Option<&'a Value> {
        self.0.details.as_ref()?.pointer(p).filter(|v| !v.is_null())
    }
    fn s(&self, k: &str) -> Option<&'a Value> {
        self.0
            .details
            .as_ref()?
            .get("summaryDTO")?
            .get(k)
            .filter(|v| !v.is_null())
    }
    fn sl(&self, k: &str) -> Option<&'a Value> {
        self.s(k).or_else(|| self.l(k))
    }
    /// The start, local, and its offset from UTC in minutes.
    fn start(&self) -> (Option<NaiveDateTime>, Option<i64>) {
        let start_local = self.0.start_local();
        let offset = match (start_local, self.0.start_gmt()) {
            (Some(l), Some(g)) => Some((l - g).num_minutes()),
            _ => None,
        };
        (start_local, offset)
    }
    fn elapsed(&self) -> Option<f64> {
        num(self.s("elapsedDuration")).or_else(|| num(self.l("duration")))
    }
}

fn num(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64)
}

fn text(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or("").to_string()
}

/// The activity's parent type id, and whether it is a sport on foot.
struct Types {
    parent_type_id: Option<i64>,
    on_foot: bool,
}

impl Types {
    fn of(a: &Activity) -> Types {
        let type_id = a
            .summary
            .pointer("/activityType/typeId")
            .and_then(as_i64)
            .or_else(|| {
                a.details
                    .as_ref()?
                    .pointer("/activityTypeDTO/typeId")
                    .and_then(as_i64)
            });
        let parent_type_id = a
            .summary
            .pointer("/activityType/parentTypeId")
            .and_then(as_i64)
            .or_else(|| {
                a.details
                    .as_ref()?
                    .pointer("/activityTypeDTO/parentTypeId")
                    .and_then(as_i64)
            });
        // On foot: running (1), hiking (3), walking (9), as the type or as its parent.
        let on_foot = [type_id, parent_type_id]
            .iter()
            .any(|t| matches!(t, Some(1 | 3 | 9)));
        Types {
            parent_type_id,
            on_foot,
        }
    }
}

/// Start, end, id, name, description, location, time zone, offset and the three durations.
fn when_and_what(v: &Values<'_>) -> Vec<String> {
    let a = v.0;
    let (start_local, offset) = v.start();
    let elapsed = v.elapsed();
    let iso = |t: NaiveDateTime| match offset {
        Some(o) => format!("{}{}", t.format("%Y-%m-%dT%H:%M:%S"), fmt_offset(o)),
        None => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
    };
    let end = match (start_local, elapsed) {
        (Some(t), Some(e)) => Some(t + Duration::seconds(e.round() as i64)),
        _ => None,
    };
    vec![
        start_local.map(iso).unwrap_or_default(),
        end.map(iso).unwrap_or_default(),
        a.id.to_string(),
        text(v.l("activityName").or_else(|| v.d("/activityName"))),
        text(v.l("description").or_else(|| v.d("/description"))),
        text(v.d("/locationName").or_else(|| v.l("locationName"))),
        text(v.d("/timeZoneUnitDTO/timeZone")),
        offset.map(fmt_offset).unwrap_or_default(),
        opt(num(v.l("duration"))
            .or_else(|| num(v.s("duration")))
            .map(hms)),
        opt(elapsed.map(hms)),
        opt(num(v.s("movingDuration"))
            .or_else(|| num(v.l("movingDuration")))
            .map(hms)),
    ]
}

/// Parent type, type, event, device, gear, privacy and file format.
fn kind_and_kit(
    v: &Values<'_>,
    types: &Types,
    gear: Option<&Value>,
    devices: &HashMap<i64, Value>,
    labels: &Labels,
) -> Vec<String> {
    let a = v.0;
    let event_key = a
        .summary
        .pointer("/eventType/typeKey")
        .and_then(Value::as_str)
        .or_else(|| {
            a.details
                .as_ref()?
                .pointer("/eventTypeDTO/typeKey")?
                .as_str()
        });
    let gear = gear
        .and_then(Value::as_array)
        .and_then(|g| g.first())
        .and_then(|g| {
            g.get("displayName")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .or_else(|| g.get("customMakeModel").and_then(Value::as_str))
        })
        .unwrap_or("")
        .to_string();
    vec![
        types
            .parent_type_id
            .map(|p| label(parent_type_key(p).unwrap_or("other"), labels))
            .unwrap_or_default(),
        a.type_key().map(|k| label(k, labels)).unwrap_or_default(),
        event_key.map(event_name).unwrap_or_default(),
        device_name(a, devices),
        gear,
        text(
            v.d("/accessControlRuleDTO/typeKey")
                .or_else(|| a.summary.pointer("/privacy/typeKey")),
        ),
        text(v.d("/metadataDTO/fileFormat/formatKey")),
    ]
}

/// Distance, and average, moving and maximum speed each with its pace.
fn distance_and_speed(v: &Values<'_>, types: &Types) -> Vec<String> {
    let uses_pace = types.on_foot;
    let kmh = |v: Option<f64>| v.map(|mps| mps * 3.6);
    let pace = |v: Option<f64>| match v {
        Some(k) if uses_pace && k > 0.0 => {
            let secs = (3600.0 / k).round() as i64;
            format!("{:02}:{:02}", secs / 60, secs % 60)
        }
        Some(_) if uses_pace => String::new(),
        Some(k) => format!("{k:.1}"),
        None => String::new(),
    };
    let avg_speed = kmh(num(v.sl("averageSpeed")));
    let moving_speed =
        kmh(num(v.s("averageMovingSpeed")).or_else(|| num(v.l("averageMovingSpeed"))));
    let max_speed = kmh(num(v.sl("maxSpeed")));
    vec![
        opt(num(v.l("distance").or_else(|| v.s("distance"))).map(|m| format!("{:.5}", m / 1000.0))),
        opt(avg_speed.map(py_float)),
        pace(avg_speed),
        opt(moving_speed.map(py_float)),
        pace(moving_speed),
        opt(max_speed.map(py_float)),
        pace(max_speed),
    ]
}

/// Elevation gain, loss, extremes and whether it was corrected; start and end positions.
fn elevation_and_place(v: &Values<'_>) -> Vec<String> {
    let elevation_corrected = v
        .l("elevationCorrected")
        .or_else(|| v.d("/metadataDTO/elevationCorrected"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    vec![
        opt(num(v.sl("elevationGain")).map(|x| format!("{x:.2}"))),
        opt(num(v.sl("elevationLoss")).map(|x| format!("{x:.2}"))),
        opt(num(v.s("minElevation")).map(|x| format!("{x:.2}"))),
        opt(num(v.s("maxElevation")).map(|x| format!("{x:.2}"))),
        elevation_corrected.to_string(),
        opt(num(v.sl("startLatitude")).map(trunc6)),
        opt(num(v.sl("startLongitude")).map(trunc6)),
        opt(num(v.sl("endLatitude")).map(trunc6)),
        opt(num(v.sl("endLongitude")).map(trunc6)),
    ]
}

/// Heart rate, calories, VO2max, training effects, cadences, stride, steps, strokes and
/// temperatures.
fn body_and_cadence(v: &Values<'_>, types: &Types) -> Vec<String> {
    // Run cadence and stride: what the details say, for any sport (Garmin puts them there only
    // where its own page shows them); the list item's step counts only for a sport on foot. A
    // watch counts arm swings on skis and strokes on a paddleboard as "steps": 34.77 steps/min
    // and a 6 m stride on a cross-country ski are not a run cadence.
    let on_foot_list = |k: &str| if types.on_foot { v.l(k) } else { None };
    vec![
        opt(num(v.sl("maxHR")).map(|x| format!("{x:.0}"))),
        opt(num(v.sl("averageHR")).map(|x| format!("{x:.0}"))),
        opt(num(v.sl("calories")).map(|x| format!("{x:.0}"))),
        opt(v.l("vO2MaxValue").map(raw)),
        opt(num(v
            .s("trainingEffect")
            .or_else(|| v.l("aerobicTrainingEffect")))
        .map(|x| format!("{x:.2}"))),
        opt(num(v
            .s("anaerobicTrainingEffect")
            .or_else(|| v.l("anaerobicTrainingEffect")))
        .map(|x| format!("{x:.2}"))),
        opt(num(v
            .s("averageRunCadence")
            .or_else(|| on_foot_list("averageRunningCadenceInStepsPerMinute")))
        .map(|x| format!("{x:.2}"))),
        opt(v
            .s("maxRunCadence")
            .or_else(|| on_foot_list("maxRunningCadenceInStepsPerMinute"))
            .map(raw)),
        opt(num(v
            .s("strideLength")
            .or_else(|| on_foot_list("avgStrideLength")))
        .map(|x| format!("{x:.2}"))),
        opt(v.l("steps").or_else(|| v.s("steps")).map(raw)),
        opt(v.l("averageBikingCadenceInRevPerMinute").map(raw)),
        opt(v.l("maxBikingCadenceInRevPerMinute").map(raw)),
        opt(v.l("strokes").map(raw)),
        opt(v
            .s("averageTemperature")
            .or_else(|| v.l("averageTemperature"))
            .map(raw)),
        opt(v
            .s("minTemperature")
            .or_else(|| v.l("minTemperature"))
            .map(raw)),
        opt(v
            .s("maxTemperature")
            .or_else(|| v.l("maxTemperature"))
            .map(raw)),
    ]
}

fn opt(v: Option<String>) -> String {
    v.unwrap_or_default()
}

fn device_name(a: &Activity, devices: &HashMap<i64, Value>) -> String {
    let Some(install_id) = device_install_id(a) else {
        return String::new();
    };
    match devices.get(&install_id) {
        Some(info) => match (
            info.get("productDisplayName").and_then(Value::as_str),
            info.get("versionString").and_then(Value::as_str),
        ) {
            (Some(name), Some(version)) => format!("{name} {version}"),
            (Some(name), None) => name.to_string(),
            _ => format!("device-id:{install_id}"),
        },
        None => format!("device-id:{install_id}"),
    }
}

/// The device to ask about, if the details name one that is known (`deviceId` null or
/// `"0"` means Garmin itself does not know it, so asking is a wasted request).
pub(crate) fn device_install_id(a: &Activity) -> Option<i64> {
    let meta = a.details.as_ref()?.get("metadataDTO")?;
    let install_id = meta
        .get("deviceApplicationInstallationId")
        .and_then(as_i64)?;
    if let Some(dm) = meta.get("deviceMetaDataDTO")
        && dm.get("deviceId").is_some()
    {
        let id = dm.get("deviceId");
        let unknown = match id {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.is_empty() || s == "0",
            Some(v) => as_i64(v) == Some(0),
        };
        if unknown {
            return None;
        }
    }
    Some(install_id)
}

/// `+01:00`, `-07:00`, `+05:45`.
fn fmt_offset(minutes: i64) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

/// `HH:MM:SS`, hours beyond 24 kept as hours.
fn hms(secs: f64) -> String {
    let s = secs.round().max(0.0) as i64;
    format!("{:02}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
}

/// Six decimals, cut toward minus infinity (as `gcexport.py` did).
fn trunc6(v: f64) -> String {
    format!("{:.6}", (v * 1_000_000.0).floor() / 1_000_000.0)
}

/// A JSON number as Garmin sent it: integers as integers, floats as Python prints them
/// (`12.0`, `3.25`), so values match what users of the classic script see.
fn raw(v: &Value) -> String {
    match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Value::Number(n) => n.as_f64().map(py_float).unwrap_or_default(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

fn py_float(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e16 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

fn parent_type_key(id: i64) -> Option<&'static str> {
    Some(match id {
        1 => "running",
        2 => "cycling",
        3 => "hiking",
        4 => "other",
        9 => "walking",
        // Garmin's own activity types call 17 `all` ("All Activities"); gcexport.py's table
        // says `any` ("Any Activity Type"), a label Garmin uses for a filter, not a type.
        17 => "all",
        26 => "swimming",
        29 => "fitness_equipment",
        144 => "diving",
        157 => "safety",
        165 => "winter_sports",
        199 => "para_sports",
        206 => "team_sports",
        219 => "racket_sports",
        228 => "water_sports",
        _ => return None,
    })
}

/// Garmin's label for a type key: its translation file first, then the built-in table (for a
/// `*_v2` key, the table's name of the key without the suffix: Garmin labels both alike).
pub fn label(key: &str, labels: &Labels) -> String {
    if let Some(l) = labels.activity_type(key) {
        return l.to_string();
    }
    match key.strip_suffix("_v2") {
        Some(base) if !builtin(base).is_empty() => builtin(base).to_string(),
        _ => type_name(key),
    }
}

/// The built-in labels (the fallback; see [`label`]); unknown keys are title-cased.
pub fn type_name(key: &str) -> String {
    match builtin(key) {
        "" => title_case(key),
        known => known.to_string(),
    }
}

/// Garmin's labels of common keys, as its translation file had them; "" when not known.
fn builtin(key: &str) -> &'static str {
    match key {
        "running" => "Running",
        "trail_running" => "Trail Running",
        "treadmill_running" => "Treadmill Running",
        "street_running" => "Street Running",
        "track_running" => "Track Running",
        "indoor_running" => "Indoor Running",
        "virtual_run" => "Virtual Running",
        "ultra_run" => "Ultra Running",
        "obstacle_run" => "Obstacle Course Racing",
        "cycling" => "Cycling",
        "road_biking" => "Road Cycling",
        "mountain_biking" => "Mountain Biking",
        "gravel_cycling" => "Gravel/Unpaved Cycling",
        "indoor_cycling" => "Indoor Cycling",
        "virtual_ride" => "Virtual Cycling",
        "cyclocross" => "Cyclocross",
        "track_cycling" => "Track Cycling",
        "recumbent_cycling" => "Recumbent Cycling",
        "e_bike_fitness" => "eBiking",
        "e_bike_mountain" => "eMountain Biking",
        "bmx" => "BMX",
        "hiking" => "Hiking",
        "walking" => "Walking",
        "casual_walking" => "Casual Walking",
        "speed_walking" => "Speed Walking",
        "swimming" => "Swimming",
        "lap_swimming" => "Pool Swimming",
        "open_water_swimming" => "Open Water Swimming",
        "multi_sport" => "Multisport",
        "triathlon" => "Triathlon",
        "duathlon" => "Duathlon",
        "transition" => "Transition",
        "fitness_equipment" => "Gym & Fitness Equipment",
        "strength_training" => "Strength Training",
        "cardio_training" => "Cardio Training",
        "elliptical" => "Elliptical",
        "stair_climbing" => "Stair Stepper",
        "indoor_rowing" => "Indoor Rowing",
        "yoga" => "Yoga",
        "pilates" => "Pilates",
        "hiit" => "HIIT",
        "breathwork" => "Breathwork",
        "other" => "Other",
        "all" => "All Activities",
        "any" => "Any Activity Type",
        "diving" => "Diving",
        "single_gas_diving" => "Single-Gas Dive",
        "multi_gas_diving" => "Multi-Gas Dive",
        "apnea_diving" => "Apnea",
        "winter_sports" => "Winter Sports",
        "resort_skiing_snowboarding_ws" => "Resort Skiing/Snowboarding",
        "backcountry_skiing" => "Backcountry Skiing",
        "cross_country_skiing_ws" => "Cross Country Classic Skiing",
        "skate_skiing_ws" => "Cross Country Skate Skiing",
        "snow_shoe_ws" => "Snowshoeing",
        "water_sports" => "Water Sports",
        "rowing" => "Rowing",
        "stand_up_paddleboarding" => "Stand Up Paddleboarding",
        "kayaking" => "Kayaking",
        "surfing" => "Surfing",
        "sailing" => "Sailing",
        "whitewater_rafting_kayaking" => "Whitewater Kayaking/Rafting",
        "safety" => "Safety",
        "team_sports" => "Team Sports",
        "soccer" => "Soccer/Football",
        "basketball" => "Basketball",
        "racket_sports" => "Racket Sports",
        "tennis" => "Tennis",
        "pickleball" => "Pickleball",
        "padel" => "Padel",
        "golf" => "Golf",
        "mountaineering" => "Mountaineering",
        "rock_climbing" => "Rock Climbing",
        "bouldering" => "Bouldering",
        "indoor_climbing" => "Indoor Climbing",
        "floor_climbing" => "Floor Climbing",
        "para_sports" => "Parasports",
        "wheelchair_push_run" => "Pushing - Run Speed",
        "wheelchair_push_walk" => "Pushing - Walk Speed",
        "motorcycling" => "Motorcycling",
        "horseback_riding" => "Horseback Riding",
        "hunting" => "Hunting",
        "fishing" => "Fishing",
        "inline_skating" => "Inline Skating",
        "cross_country_skiing" => "Cross Country Classic Skiing",
        "skate_skiing" => "Cross Country Skate Skiing",
        "snow_shoe" => "Snowshoeing",
        "resort_skiing_snowboarding" => "Resort Skiing/Snowboarding",
        "paddling" => "Canoeing",
        "uncategorized" => "Uncategorized",
        _ => "",
    }
}

pub fn event_name(key: &str) -> String {
    match key {
        "uncategorized" => "Uncategorized".into(),
        "race" => "Race".into(),
        "recreation" => "Recreation".into(),
        "specialEvent" | "special_event" => "Special Event".into(),
        "training" => "Training".into(),
        "transportation" => "Transportation".into(),
        "touring" => "Touring".into(),
        "geocaching" => "Geocaching".into(),
        "fitness" => "Fitness".into(),
        other => title_case(other),
    }
}

fn title_case(key: &str) -> String {
    key.split(['_', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Activity {
        let mut a = Activity::from_list_item(json!({
            "activityId": 2541953812_i64, "activityName": "Morning, \"quoted\"\nRun",
            "description": null,
            "startTimeLocal": "2018-03-08 05:23:22", "startTimeGMT": "2018-03-08 12:23:22",
            "activityType": {"typeId": 1, "typeKey": "running", "parentTypeId": 17},
            "eventType": {"typeKey": "race"},
            "distance": 10000.0, "duration": 3000.4, "averageSpeed": 3.3333333,
            "maxHR": 180.0, "averageHR": 150.5, "steps": 0, "vO2MaxValue": 52.0,
            "startLatitude": 46.1234567, "startLongitude": -7.0000001,
            "elevationCorrected": false
        }))
        .unwrap();
        a.details = Some(json!({
            "locationName": "Bern", "timeZoneUnitDTO": {"timeZone": "America/Los_Angeles"},
            "accessControlRuleDTO": {"typeKey": "private"},
            "metadataDTO": {"fileFormat": {"formatKey": "fit"}, "deviceApplicationInstallationId": 9,
                            "deviceMetaDataDTO": {"deviceId": "3"}},
            "summaryDTO": {"elapsedDuration": 3100.0, "movingDuration": 2990.0, "averageMovingSpeed": 3.4,
                           "maxSpeed": 5.0, "elevationGain": 0.0, "minElevation": 501.234, "calories": 700.4,
                           "trainingEffect": 3.456, "averageTemperature": 21.0}
        }));
        a
    }

    #[test]
    fn a_row_has_fifty_columns_in_the_documented_units() {
        let devices = HashMap::from([(
            9,
            json!({"productDisplayName": "fēnix 5", "versionString": "10.0"}),
        )]);
        let gear = json!([{"displayName": null, "customMakeModel": "Pegasus"}]);
        let r = row(&sample(), Some(&gear), &devices, &Labels::default());
        assert_eq!(r.len(), 50);
        let col = |k: &str| r[COLUMNS.iter().position(|(key, _)| *key == k).unwrap()].as_str();
        assert_eq!(col("startTimeIso"), "2018-03-08T05:23:22-07:00");
        assert_eq!(col("endTimeIso"), "2018-03-08T06:15:02-07:00");
        assert_eq!(col("tzOffset"), "-07:00");
        assert_eq!(col("duration"), "00:50:00");
        assert_eq!(col("elapsedDuration"), "00:51:40");
        assert_eq!(col("activityParent"), "All Activities");
        assert_eq!(col("activityType"), "Running");
        assert_eq!(col("eventType"), "Race");
        assert_eq!(col("device"), "fēnix 5 10.0");
        assert_eq!(col("gear"), "Pegasus");
        assert_eq!(col("distanceRaw"), "10.00000");
        assert_eq!(col("averageSpeedPace"), "05:00");
        assert_eq!(col("maxSpeedRaw"), "18.0");
        assert_eq!(col("elevationGain"), "0.00");
        assert_eq!(col("minElevation"), "501.23");
        assert_eq!(col("startLongitude"), "-7.000001");
        assert_eq!(col("averageHR"), "150");
        assert_eq!(col("calories"), "700");
        assert_eq!(col("vo2max"), "52.0");
        assert_eq!(col("aerobicEffect"), "3.46");
        assert_eq!(col("steps"), "0");
        assert_eq!(col("elevationCorrected"), "false");
        assert_eq!(col("averageTemperature"), "21.0");
    }

    #[test]
    fn the_file_is_bom_crlf_csv_that_reads_back() {
        let stored = vec![Stored {
            activity: sample(),
            gear: None,
        }];
        let bytes = render(&stored, &HashMap::new()).unwrap();
        assert!(bytes.starts_with("\u{feff}Start Time,End Time,".as_bytes()));
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\r\n"));
        let mut rd = csv::Reader::from_reader(&bytes[..]);
        assert_eq!(rd.headers().unwrap().len(), 50);
        let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][3], "Morning, \"quoted\"\nRun");
        assert_eq!(&rows[0][14], "device-id:9");
    }

    #[test]
    fn text_that_a_spreadsheet_would_run_as_a_formula_is_defused() {
        let mut a = sample();
        a.summary["activityName"] = json!("=HYPERLINK(\"http://x\",\"click\")");
        a.summary["description"] = json!("+cmd|' /C calc'!A0");
        a.summary["startLongitude"] = json!(-122.4194);
        a.details.as_mut().unwrap()["locationName"] = json!("@SUM(1+1)");
        a.details.as_mut().unwrap()["timeZoneUnitDTO"]["timeZone"] = json!("-2+3");
        let devices = HashMap::from([(9, json!({"productDisplayName": "\tfenix"}))]);
        let gear = json!([{"displayName": "\r=1+1"}]);
        let stored = vec![Stored {
            activity: a,
            gear: Some(gear),
        }];
        let bytes = render(&stored, &devices).unwrap();
        let mut rd = csv::Reader::from_reader(&bytes[3..]);
        let row = rd.records().next().unwrap().unwrap();
        let col = |k: &str| row[COLUMNS.iter().position(|(key, _)| *key == k).unwrap()].to_string();
        assert_eq!(col("activityName"), "'=HYPERLINK(\"http://x\",\"click\")");
        assert_eq!(col("description"), "'+cmd|' /C calc'!A0");
        assert_eq!(col("locationName"), "'@SUM(1+1)");
        assert_eq!(col("tz"), "'-2+3");
        assert_eq!(col("device"), "'\tfenix");
        assert_eq!(col("gear"), "'\r=1+1");
        // Numbers and the values this table computes stay as they are: a spreadsheet must
        // still read them as numbers, and a west-of-UTC offset is no formula.
        assert_eq!(col("tzOffset"), "-07:00");
        assert_eq!(col("startTimeIso"), "2018-03-08T05:23:22-07:00");
        assert_eq!(col("startLongitude"), "-122.419400");
        assert_eq!(col("averageSpeedPace"), "05:00");
        // Text that merely contains the characters is left alone.
        assert_eq!(col("activityType"), "Running");
    }

    #[test]
    fn the_folder_is_synced_after_the_table_is_renamed_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::open(dir.path()).unwrap();
        crate::archive::SYNCED_DIRS.with(|s| s.borrow_mut().clear());
        write(&archive).unwrap();
        assert!(dir.path().join(FILE_NAME).is_file());
        let synced = crate::archive::SYNCED_DIRS.with(|s| s.borrow().clone());
        assert_eq!(synced, vec![dir.path().to_path_buf()]);
    }

    #[test]
    fn unknown_keys_are_title_cased() {
        assert_eq!(type_name("lap_swimming"), "Pool Swimming");
        assert_eq!(type_name("some_new_sport"), "Some New Sport");
    }

    #[test]
    fn labels_come_from_garmins_file_then_the_built_in_table() {
        let garmin = Labels::from_properties(
            "activity_type_lap_swimming=Lap Swimming\nactivity_type_all=All Activities\n",
        );
        assert_eq!(label("lap_swimming", &garmin), "Lap Swimming");
        assert_eq!(label("hiking", &garmin), "Hiking", "a key the file lacks");
        let none = Labels::default();
        assert_eq!(
            label("cross_country_skiing", &none),
            "Cross Country Classic Skiing"
        );
        assert_eq!(
            label("stand_up_paddleboarding_v2", &none),
            "Stand Up Paddleboarding"
        );
        assert_eq!(label("brand_new_v2", &none), "Brand New V2");
        assert_eq!(label(parent_type_key(17).unwrap(), &none), "All Activities");
    }
}
