//! The account data export (docs/protocol.md, "The data export"): the one ZIP Garmin mails a user who asks for
//! "Export Your Data", for the same account the server serves (same ids, names, times and
//! uploaded files).
//!
//! What it holds, as Garmin lays it out:
//! - `DI_CONNECT/DI-Connect-Fitness/<email>_<k>_summarizedActivities.json`, chunked, each
//!   `[{"summarizedActivitiesExport":[...]}]`, with the export's own names and units (times
//!   in epoch ms, local times already shifted; durations in ms; distances and elevations in
//!   cm; speeds in cm/ms). Chunks hold the oldest activities first: nothing promises an order.
//! - `DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_PartN.zip`: nested ZIPs of the raw
//!   uploads (`.fit` from devices, `.gpx` for activities uploaded as GPX), named by upload
//!   id, never by activity id. Manual activities uploaded nothing. A multisport was one
//!   upload, the parent's FIT: its legs are items of their own (with `parentId`) but have no
//!   upload of their own. One upload belongs to no activity (one the user deleted).
//! - The health folders (wellness, aggregator) and personal records: `export_health`.
//! - Folders nobody importing needs (profile, metrics).
//!
//! Everything is written as it is generated: one activity's JSON or file at a time, nested
//! ZIPs streamed into the outer one, so a multi-gigabyte export costs a few MB of memory.

use std::io::{Seek, Write};

use chrono::{DateTime, NaiveDateTime};
use serde_json::{Map, Value, json};
use zip::write::SimpleFileOptions;

use crate::account::Account;
use crate::account::Activity;
use crate::fit::{V, Writer, fit_time, mesg};

/// How the export is cut up. Garmin's own sizes are unknown; these are plausible.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// The account's email: it prefixes the JSON chunks and the uploaded files.
    pub email: String,
    /// Activities per `summarizedActivities` chunk.
    pub activities_per_chunk: usize,
    /// Uploaded files per nested `UploadedFiles_0-_PartN.zip`.
    pub files_per_part: usize,
    /// Bytes of skippable padding added to each FIT (see `files::fit_file_padded`): for
    /// benchmark exports of gigabytes with a realistic number of activities. 0 (the
    /// default) keeps the uploads byte for byte the server's originals.
    pub fit_padding: usize,
    /// The K newest activities are left out, as in an export asked for before they were
    /// recorded (the server's `withheld` has the same meaning).
    pub withheld: usize,
    /// Days of health data, as the server's `SimConfig::health_days`: the same number gives
    /// the same person the server's health routes describe.
    pub health_days: usize,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            email: "demo@example.com".into(),
            activities_per_chunk: 100,
            files_per_part: 1000,
            fit_padding: 0,
            withheld: 0,
            health_days: 120,
        }
    }
}

/// What was written, for the caller's checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// Items in the summarizedActivities chunks (multisport legs included).
    pub activities: usize,
    pub chunks: usize,
    /// Uploaded files, the orphan included.
    pub uploads: usize,
    pub parts: usize,
    /// The health folders (docs/health.md, "From the data export").
    pub health: crate::export_health::HealthExportReport,
}

// Named where the health part (which this module uses) can see it without a cycle.
pub use crate::export_health::FITNESS_DIR;
pub const UPLOADS_DIR: &str = "DI_CONNECT/DI-Connect-Uploaded-Files";

/// Upload ids are Garmin's own numbering: they grow with upload order and have nothing to
/// do with activity ids.
pub fn upload_id(account: &Account, activity_id: i64) -> i64 {
    let j = (activity_id - crate::account::BASE_ID) / 10;
    let noise = crate::account::rng::mix(account.seed() ^ j as u64) % 7;
    7_300_000_000 + j * 13 + noise as i64
}

/// The file name an activity's upload has inside the nested ZIPs (`None`: no upload).
pub fn upload_name(account: &Account, a: &Activity, email: &str) -> Option<String> {
    if a.parent_id().is_some() {
        return None;
    }
    let (ext, _) = crate::files::upload(a)?;
    Some(format!("{email}_{}.{ext}", upload_id(account, a.id())))
}

fn io(e: zip::result::ZipError) -> std::io::Error {
    std::io::Error::other(e)
}

fn options(deflate: bool) -> SimpleFileOptions {
    // A fixed time: the same account must give the same bytes.
    let t = zip::DateTime::from_date_and_time(2026, 11, 2, 8, 15, 0).unwrap_or_default();
    SimpleFileOptions::default()
        .compression_method(if deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        })
        .last_modified_time(t)
        .large_file(false)
}

/// Writes the account's export into `out` (a file: the outer ZIP needs to seek back to
/// fill in sizes; nested ZIPs are streamed into it).
pub fn write_export<W: Write + Seek>(
    account: &Account,
    opts: &ExportOptions,
    out: W,
) -> std::io::Result<ExportReport> {
    let mut report = ExportReport::default();
    let mut z = zip::ZipWriter::new(out);
    let email = opts.email.as_str();
    let n = account.len();
    let newest = opts.withheld.min(n);

    z.start_file(
        "DI_CONNECT/DI-Connect-User/user_profile.json",
        options(true),
    )
    .map_err(io)?;
    let social = account.social_profile(email);
    let profile = json!({
        "userName": email,
        "emailAddress": email,
        "firstName": social["fullName"].as_str().unwrap_or("").split(' ').next(),
        "lastName": social["fullName"].as_str().unwrap_or("").split(' ').skip(1).collect::<Vec<_>>().join(" "),
        "displayName": account.display_name(),
        "birthDate": "1988-04-12",
        "gender": "FEMALE",
        "locale": "en_US",
        "timeZone": "Europe/Paris",
    });
    serde_json::to_writer_pretty(&mut z, &profile)?;
    z.start_file(
        "DI_CONNECT/DI-Connect-User/user_settings.json",
        options(true),
    )
    .map_err(io)?;
    serde_json::to_writer(&mut z, &account.user_settings())?;

    // summarizedActivities, oldest first, chunk by chunk; legs follow their parent.
    let per_chunk = opts.activities_per_chunk.max(1);
    let mut k = n;
    let mut chunk = 0usize;
    while k > newest {
        z.start_file(
            format!("{FITNESS_DIR}/{email}_{chunk}_summarizedActivities.json"),
            options(true),
        )
        .map_err(io)?;
        z.write_all(b"[{\"summarizedActivitiesExport\":[")?;
        let mut first = true;
        for _ in 0..per_chunk {
            if k == newest {
                break;
            }
            k -= 1;
            let Some(top) = account.nth_newest(k) else {
                continue;
            };
            let legs = top.child_ids();
            for a in std::iter::once(Some(top)).chain(legs.iter().map(|id| account.activity(*id))) {
                let Some(a) = a else { continue };
                if !first {
                    z.write_all(b",")?;
                }
                first = false;
                serde_json::to_writer(&mut z, &export_item(&a))?;
                report.activities += 1;
            }
        }
        z.write_all(b"]}]")?;
        chunk += 1;
    }
    report.chunks = chunk;

    // Health data, records, and files the importer must walk past.
    let health = crate::health::Health::new(account.seed(), opts.health_days, account.profile_pk());
    let (entries, health_report) = crate::export_health::health_entries(account, &health, email);
    crate::export_health::write_entries(&mut z, &entries, options(true))?;
    report.health = health_report;
    for (name, body) in [
        (
            format!("{FITNESS_DIR}/{email}_gear.json"),
            json!([{"gearDTOS": [{"displayName": "Pegasus 41", "gearTypeName": "Shoes"}]}]),
        ),
        (
            "DI_CONNECT/DI-Connect-Metrics/MetricsMaxMetData_20260101_20260501_80000001.json"
                .to_string(),
            json!([{"vo2MaxValue": 52.0, "calendarDate": "2026-03-01"}]),
        ),
    ] {
        z.start_file(name, options(true)).map_err(io)?;
        serde_json::to_writer(&mut z, &body)?;
    }

    // The uploads, in upload order (oldest first), a nested ZIP per part; generated one at
    // a time as the parts are written.
    let per_part = opts.files_per_part.max(1);
    let mut uploads = (newest..n)
        .rev()
        .filter_map(|k| {
            let a = account.nth_newest(k)?;
            let name = upload_name(account, &a, email)?;
            let (_, body) = crate::files::upload_padded(&a, opts.fit_padding)?;
            Some((name, body))
        })
        .chain(std::iter::once_with(|| orphan(account, email)))
        .peekable();
    while uploads.peek().is_some() {
        report.parts += 1;
        z.start_file(
            format!("{UPLOADS_DIR}/UploadedFiles_0-_Part{}.zip", report.parts),
            options(true),
        )
        .map_err(io)?;
        // The nested ZIP's bytes go straight into the outer entry: nothing is held whole.
        let mut part = zip::ZipWriter::new_stream(&mut z);
        for (name, body) in uploads.by_ref().take(per_part) {
            part.start_file(name, options(true)).map_err(io)?;
            part.write_all(&body)?;
            report.uploads += 1;
        }
        part.finish().map_err(io)?;
    }
    z.finish().map_err(io)?;
    Ok(report)
}

/// An upload whose activity the user deleted: a short FIT a day after the newest activity.
fn orphan(account: &Account, email: &str) -> (String, Vec<u8>) {
    let t = crate::account::spec::ANCHOR + 86_400;
    let mut w = Writer::new();
    w.message(
        mesg::FILE_ID,
        &[
            (0, V::Enum(4)),
            (1, V::U16(1)),
            (2, V::U16(4315)),
            (4, V::U32(fit_time(t))),
        ],
    );
    w.message(mesg::RECORD, &[(253, V::U32(fit_time(t))), (3, V::U8(90))]);
    let id = 7_300_000_000 + account.len() as i64 * 13 + 100;
    (format!("{email}_{id}.fit"), w.finish())
}

fn ms(t: NaiveDateTime) -> f64 {
    t.and_utc().timestamp_millis() as f64
}

fn parse_list_time(v: &Value) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(v.as_str()?, "%Y-%m-%d %H:%M:%S").ok()
}

/// One `summarizedActivitiesExport` item, from the same data the API serves, in the
/// export's names and units.
pub fn export_item(a: &Activity) -> Value {
    let l = a.list_item();
    let d = a.details();
    let s = &d["summaryDTO"];
    let mut m = Map::new();
    let get = |v: &Value, k: &str| v.get(k).filter(|x| !x.is_null()).cloned();
    let num = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64);
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    };
    put("activityId", get(&l, "activityId"));
    put(
        "uuidMsb",
        Some(Value::from(a.id().wrapping_mul(2_654_435_761))),
    );
    put("uuidLsb", Some(Value::from(-a.id())));
    put("name", get(&l, "activityName"));
    put("description", get(&l, "description"));
    put("activityType", get(&l["activityType"], "typeKey"));
    let sport = match a.parent_type_key() {
        "running" => "RUNNING",
        "cycling" => "CYCLING",
        "swimming" => "SWIMMING",
        "multi_sport" => "MULTI_SPORT",
        "fitness_equipment" => "TRAINING",
        "other" => "TRANSITION",
        _ => "GENERIC",
    };
    put("sportType", Some(sport.into()));
    put("userProfileId", get(&l, "ownerId"));
    put("timeZoneId", get(&l, "timeZoneId"));
    put("eventTypeId", get(&l["eventType"], "typeId"));
    put("rule", get(&l["privacy"], "typeKey"));
    let gmt = parse_list_time(&l["startTimeGMT"]);
    let local = parse_list_time(&l["startTimeLocal"]);
    put("beginTimestamp", get(&l, "beginTimestamp"));
    // Garmin writes these epoch milliseconds as floats.
    put("startTimeGmt", gmt.map(|t| ms(t).into()));
    put("startTimeLocal", local.map(|t| ms(t).into()));
    let scaled = |k: &str, f: f64| num(s, k).map(|v| Value::from(v * f));
    put("duration", scaled("duration", 1000.0));
    put("elapsedDuration", scaled("elapsedDuration", 1000.0));
    put("movingDuration", scaled("movingDuration", 1000.0));
    put("distance", scaled("distance", 100.0));
    put("elevationGain", scaled("elevationGain", 100.0));
    put("elevationLoss", scaled("elevationLoss", 100.0));
    put("minElevation", scaled("minElevation", 100.0));
    put("maxElevation", scaled("maxElevation", 100.0));
    put("avgSpeed", scaled("averageSpeed", 0.1));
    put("maxSpeed", scaled("maxSpeed", 0.1));
    put("avgHr", get(s, "averageHR"));
    put("maxHr", get(s, "maxHR"));
    put("minHr", get(s, "minHR"));
    put("calories", get(s, "calories"));
    put("bmrCalories", get(s, "bmrCalories"));
    put("steps", get(s, "steps"));
    put("avgRunCadence", get(s, "averageRunCadence"));
    put("maxRunCadence", get(s, "maxRunCadence"));
    put("avgStrideLength", get(s, "strideLength"));
    put(
        "avgBikeCadence",
        get(&l, "averageBikingCadenceInRevPerMinute"),
    );
    put("maxBikeCadence", get(&l, "maxBikingCadenceInRevPerMinute"));
    put("avgPower", get(s, "averagePower"));
    put("maxPower", get(s, "maxPower"));
    put("normPower", get(s, "normalizedPower"));
    put("strokes", get(&l, "strokes"));
    put("avgSwimCadence", get(s, "averageSwimCadence"));
    put("aerobicTrainingEffect", get(&l, "aerobicTrainingEffect"));
    put(
        "anaerobicTrainingEffect",
        get(&l, "anaerobicTrainingEffect"),
    );
    put("vO2MaxValue", get(&l, "vO2MaxValue"));
    put("startLatitude", get(s, "startLatitude"));
    put("startLongitude", get(s, "startLongitude"));
    put("endLatitude", get(s, "endLatitude"));
    put("endLongitude", get(s, "endLongitude"));
    put("locationName", get(&l, "locationName"));
    put("deviceId", get(&l, "deviceId"));
    put("manufacturer", get(&l, "manufacturer"));
    put("lapCount", get(&l, "lapCount"));
    put("minTemperature", get(&l, "minTemperature"));
    put("maxTemperature", get(&l, "maxTemperature"));
    put("manualActivity", get(&l, "manualActivity"));
    put("elevationCorrected", get(&l, "elevationCorrected"));
    put("favorite", get(&l, "favorite"));
    put("pr", get(&l, "pr"));
    put("purposeful", get(&l, "purposeful"));
    put("parent", Some(a.is_multisport_parent().into()));
    put("parentId", a.parent_id().map(Value::from));
    if a.is_multisport_parent() {
        put("childIds", Some(a.child_ids().into()));
    }
    put("splitSummaries", Some(json!([])));
    put(
        "summarizedDiveInfo",
        Some(json!({"summarizedDiveGases": []})),
    );
    Value::Object(m)
}

/// A start time as the export writes it, for tests: epoch ms of the UTC start.
pub fn start_ms(a: &Activity) -> i64 {
    DateTime::from_timestamp(a.start(), 0).map_or(0, |t| t.timestamp_millis())
}
