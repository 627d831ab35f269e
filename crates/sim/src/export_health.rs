//! The health folders of the account data export (docs/health.md, "From the data export"),
//! for the same person the server's health routes describe: every value is taken from the
//! answer the API would give for that day, then written in the export's own names and shapes,
//! which are not the API's:
//!
//! - `DI-Connect-Aggregator/UDSFile_<first>_<last>.json`: a bare array, one object per day
//!   with a device; stress under `allDayStress.aggregatorList` (`TOTAL`, `AWAKE`, `ASLEEP`),
//!   Body Battery under `bodyBattery.bodyBatteryStatList` (`HIGHEST`, `LOWEST`, ...),
//!   respiration under `respiration`, SpO2 as `averageSpo2Value`/`lowestSpo2Value`, floors
//!   in metres only; no sleep time.
//! - `DI-Connect-Wellness/<first>_<last>_<profilePk>_sleepData.json`: a bare array of nights,
//!   times as GMT strings only (no local times), scores as `sleepScores.overallScore`, SpO2
//!   under `spo2SleepSummary`, naps as `napList`; no HRV.
//! - `DI-Connect-Wellness/<first>_<last>_<profilePk>_healthStatusData.json`: per night with
//!   HRV, `metrics[]` of `{type, value, status, baseline...}` (`HRV`, `HR`, `SPO2`,
//!   `RESPIRATION`); its `status` is the Health Status scale, not the HRV status.
//! - `DI-Connect-Wellness/<profilePk>_userBioMetrics.json`: every biometric entry, weigh-ins
//!   as `{"metaData":{"calendarDate"}, "weight":{grams, body composition, "timestampGMT"}}`
//!   (GMT only), with entries that hold no weight (height) in between.
//! - `DI-Connect-Fitness/<email>_personalRecord.json`: `[{"personalRecords":[...]}]`, types
//!   as English labels, times as `"Sat Apr 11 16:00:00 GMT 2026"`, `activityId` 0 for records
//!   of no activity.
//!
//! Chunks of about 100 days, as real exports are cut.

use std::io::Write;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime};
use serde_json::{Map, Value, json};

use crate::account::Account;
use crate::health::Health;

/// Days per UDSFile / sleepData / healthStatusData chunk.
pub const DAYS_PER_CHUNK: i64 = 100;

pub const AGGREGATOR_DIR: &str = "DI_CONNECT/DI-Connect-Aggregator";
pub const WELLNESS_DIR: &str = "DI_CONNECT/DI-Connect-Wellness";
/// Activities, gear and personal records (the activity part of the export uses it too).
pub const FITNESS_DIR: &str = "DI_CONNECT/DI-Connect-Fitness";

/// What the health folders hold, for tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthExportReport {
    /// Days in the UDSFiles (days with a device).
    pub days: usize,
    pub nights: usize,
    pub hrv_nights: usize,
    pub weigh_ins: usize,
    pub records: usize,
}

/// One file of the export: its path inside the ZIP and its JSON.
pub type Entry = (String, Value);

fn copy(from: &Value, key: &str, to: &mut Map<String, Value>, as_key: &str) {
    if let Some(v) = from.get(key).filter(|v| !v.is_null()) {
        to.insert(as_key.to_owned(), v.clone());
    }
}

/// `"YYYY-MM-DDTHH:MM:SS.0"` of an epoch in ms (GMT).
fn gmt_stamp(ms: Option<i64>) -> Option<String> {
    ms.and_then(DateTime::from_timestamp_millis)
        .map(|t| t.naive_utc().format("%Y-%m-%dT%H:%M:%S.0").to_string())
}

/// How the export writes a record's time: Java's `Date.toString()` in GMT.
fn java_date(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%a %b %d %H:%M:%S GMT %Y").to_string())
        .unwrap_or_default()
}

/// The UDSFile object of a day, from the day's API summary.
fn uds_item(day: &Value) -> Option<Value> {
    if day.get("includesWellnessData") != Some(&Value::Bool(true)) {
        return None;
    }
    let mut m = Map::new();
    for key in [
        "userProfileId",
        "calendarDate",
        "wellnessStartTimeGmt",
        "wellnessStartTimeLocal",
        "wellnessEndTimeGmt",
        "wellnessEndTimeLocal",
        "durationInMilliseconds",
        "totalSteps",
        "dailyStepGoal",
        "totalDistanceMeters",
        "wellnessDistanceMeters",
        "totalKilocalories",
        "activeKilocalories",
        "bmrKilocalories",
        "moderateIntensityMinutes",
        "vigorousIntensityMinutes",
        "intensityMinutesGoal",
        "floorsAscendedInMeters",
        "minHeartRate",
        "maxHeartRate",
        "restingHeartRate",
        "includesWellnessData",
        "includesActivityData",
        "source",
    ] {
        let as_key = match key {
            "userProfileId" => "userProfilePK",
            "intensityMinutesGoal" => "userIntensityMinutesGoal",
            k => k,
        };
        copy(day, key, &mut m, as_key);
    }
    copy(
        day,
        "restingHeartRate",
        &mut m,
        "currentDayRestingHeartRate",
    );
    copy(day, "averageSpo2", &mut m, "averageSpo2Value");
    copy(day, "lowestSpo2", &mut m, "lowestSpo2Value");
    let date = day.get("calendarDate").cloned().unwrap_or(Value::Null);
    if let Some(avg) = day.get("averageStressLevel").filter(|v| !v.is_null()) {
        m.insert(
            "allDayStress".into(),
            json!({
                "calendarDate": date,
                "aggregatorList": [
                    {"type": "TOTAL", "averageStressLevel": avg, "maxStressLevel": day.get("maxStressLevel")},
                    {"type": "AWAKE", "averageStressLevel": avg, "maxStressLevel": day.get("maxStressLevel")},
                ],
            }),
        );
    }
    if let (Some(hi), Some(lo)) = (
        day.get("bodyBatteryHighestValue").filter(|v| !v.is_null()),
        day.get("bodyBatteryLowestValue").filter(|v| !v.is_null()),
    ) {
        let mut stats = vec![
            json!({"bodyBatteryStatType": "HIGHEST", "statsValue": hi}),
            json!({"bodyBatteryStatType": "LOWEST", "statsValue": lo}),
        ];
        if let Some(last) = day
            .get("bodyBatteryMostRecentValue")
            .filter(|v| !v.is_null())
        {
            stats.push(json!({"bodyBatteryStatType": "MOSTRECENT", "statsValue": last}));
        }
        m.insert(
            "bodyBattery".into(),
            json!({"calendarDate": date, "bodyBatteryStatList": stats}),
        );
    }
    if let Some(r) = day
        .get("avgWakingRespirationValue")
        .filter(|v| !v.is_null())
    {
        m.insert(
            "respiration".into(),
            json!({"calendarDate": date, "avgWakingRespirationValue": r}),
        );
    }
    Some(Value::Object(m))
}

/// The sleepData object of a night (and its naps), from the day's API sleep answer.
fn sleep_item(api: &Value) -> Option<Value> {
    let dto = api.get("dailySleepDTO")?;
    let naps: Vec<Value> = api
        .get("dailyNapDTOS")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|n| {
            let mut m = Map::new();
            for k in [
                "calendarDate",
                "napTimeSec",
                "napStartTimestampGMT",
                "napEndTimestampGMT",
                "napFeedback",
            ] {
                copy(n, k, &mut m, k);
            }
            Value::Object(m)
        })
        .collect();
    let night = dto.get("sleepTimeSeconds").is_some_and(|v| !v.is_null());
    if !night && naps.is_empty() {
        return None;
    }
    let mut m = Map::new();
    copy(dto, "calendarDate", &mut m, "calendarDate");
    if night {
        let ms = |k: &str| dto.get(k).and_then(Value::as_i64);
        if let Some(s) = gmt_stamp(ms("sleepStartTimestampGMT")) {
            m.insert("sleepStartTimestampGMT".into(), s.into());
        }
        if let Some(s) = gmt_stamp(ms("sleepEndTimestampGMT")) {
            m.insert("sleepEndTimestampGMT".into(), s.into());
        }
        m.insert(
            "sleepWindowConfirmationType".into(),
            "ENHANCED_CONFIRMED_FINAL".into(),
        );
        for k in [
            "deepSleepSeconds",
            "lightSleepSeconds",
            "remSleepSeconds",
            "awakeSleepSeconds",
        ] {
            copy(dto, k, &mut m, k);
        }
        copy(
            dto,
            "unmeasurableSleepSeconds",
            &mut m,
            "unmeasurableSeconds",
        );
        copy(dto, "averageRespirationValue", &mut m, "averageRespiration");
        copy(dto, "retro", &mut m, "retro");
        if let Some(score) = dto.pointer("/sleepScores/overall/value") {
            m.insert("sleepScores".into(), json!({"overallScore": score}));
        }
        if let Some(spo2) = api.get("wellnessSpO2SleepSummaryDTO") {
            let mut s = Map::new();
            for k in [
                "userProfilePk",
                "deviceId",
                "sleepMeasurementStartGMT",
                "sleepMeasurementEndGMT",
                "averageSPO2",
                "lowestSPO2",
            ] {
                copy(spo2, k, &mut s, k);
            }
            copy(api, "restingHeartRate", &mut s, "averageHR");
            m.insert("spo2SleepSummary".into(), Value::Object(s));
        }
    }
    if !naps.is_empty() {
        m.insert("napList".into(), Value::Array(naps));
    }
    Some(Value::Object(m))
}

/// The healthStatusData object of a night with HRV, from the API's HRV and summary answers.
fn health_status_item(hrv: &Value, day: &Value) -> Option<Value> {
    let summary = hrv.get("hrvSummary")?;
    let avg = summary.get("lastNightAvg")?;
    let baseline = summary.get("baseline").filter(|b| !b.is_null());
    let in_range = |low: Option<&Value>, high: Option<&Value>| match baseline {
        Some(_) => {
            json!({"status": "IN_RANGE", "baselineLowerLimit": low, "baselineUpperLimit": high})
        }
        None => json!({"status": null}),
    };
    let metric = |kind: &str, value: &Value, extra: Value| {
        let mut m = json!({"type": kind, "value": value});
        if let (Value::Object(m), Value::Object(e)) = (&mut m, extra) {
            m.extend(e);
        }
        m
    };
    let mut metrics = vec![metric(
        "HRV",
        avg,
        in_range(
            baseline.and_then(|b| b.get("balancedLow")),
            baseline.and_then(|b| b.get("balancedUpper")),
        ),
    )];
    if let Some(hr) = day.get("restingHeartRate").filter(|v| !v.is_null()) {
        metrics.push(metric("HR", hr, in_range(None, None)));
    }
    if let Some(s) = day.get("averageSpo2").filter(|v| !v.is_null()) {
        metrics.push(metric("SPO2", s, in_range(None, None)));
    }
    Some(json!({
        "calendarDate": summary.get("calendarDate"),
        "createTimestampUTC": summary.get("createTimeStamp"),
        "metrics": metrics,
    }))
}

fn chunk_name(dir: &str, first: NaiveDate, last: NaiveDate, tail: &str) -> String {
    format!("{dir}/{first}_{last}_{tail}")
}

/// The health files of the export, in the order they are written.
pub fn health_entries(
    account: &Account,
    health: &Health,
    email: &str,
) -> (Vec<Entry>, HealthExportReport) {
    let mut report = HealthExportReport::default();
    let mut out = Vec::new();
    let pk = health.profile_pk();
    let (first, last) = (health.first_day(), health.last_day());

    let mut start = first;
    while start <= last {
        let end = (start + Duration::days(DAYS_PER_CHUNK - 1)).min(last);
        let (mut uds, mut nights, mut status) = (Vec::new(), Vec::new(), Vec::new());
        let mut date = start;
        while date <= end {
            let day = health.day(date);
            let summary = crate::health::json::daily_summary(health, &day);
            if let Some(item) = uds_item(&summary) {
                uds.push(item);
            }
            if day.worn {
                if let Some(item) = sleep_item(&crate::health::json::sleep(health, &day)) {
                    nights.push(item);
                }
                if let Some(item) = crate::health::json::hrv(health, &day)
                    .and_then(|h| health_status_item(&h, &summary))
                {
                    status.push(item);
                }
            }
            date += Duration::days(1);
        }
        report.days += uds.len();
        report.nights += nights.len();
        report.hrv_nights += status.len();
        out.push((
            format!("{AGGREGATOR_DIR}/UDSFile_{start}_{end}.json"),
            Value::Array(uds),
        ));
        out.push((
            chunk_name(WELLNESS_DIR, start, end, &format!("{pk}_sleepData.json")),
            Value::Array(nights),
        ));
        out.push((
            chunk_name(
                WELLNESS_DIR,
                start,
                end,
                &format!("{pk}_healthStatusData.json"),
            ),
            Value::Array(status),
        ));
        start = end + Duration::days(1);
    }

    // Weigh-ins, oldest first, with the profile's height recorded once between them.
    let mut bio = vec![json!({
        "version": 1,
        "metaData": {"calendarDate": format!("{first}T00:00:00.0"), "sequence": 0, "userProfilePK": pk},
        "height": 178.0,
    })];
    let api = crate::health::json::weight_range(health, first, last);
    let mut all: Vec<&Value> = api
        .get("dailyWeightSummaries")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|d| {
            d.get("allWeightMetrics")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .collect();
    all.sort_by_key(|w| w.get("timestampGMT").and_then(Value::as_i64));
    for (i, w) in all.into_iter().enumerate() {
        let mut weight = Map::new();
        for k in [
            "weight",
            "bmi",
            "bodyFat",
            "bodyWater",
            "boneMass",
            "muscleMass",
            "sourceType",
        ] {
            copy(w, k, &mut weight, k);
        }
        if let Some(t) = gmt_stamp(w.get("timestampGMT").and_then(Value::as_i64)) {
            weight.insert("timestampGMT".into(), t.into());
        }
        let date = w
            .get("calendarDate")
            .and_then(Value::as_str)
            .unwrap_or_default();
        bio.push(json!({
            "version": 3,
            "metaData": {"calendarDate": format!("{date}T00:00:00.0"), "sequence": i + 1, "userProfilePK": pk},
            "weight": weight,
        }));
        report.weigh_ins += 1;
    }
    out.push((
        format!("{WELLNESS_DIR}/{pk}_userBioMetrics.json"),
        Value::Array(bio),
    ));

    let records =
        crate::health::json::records(health, &record_runs(account), &record_rides(account));
    let mut prs = Vec::new();
    for r in records.as_array().into_iter().flatten() {
        let label = match r.get("typeId").and_then(Value::as_i64) {
            Some(1) => "Best 1km Run",
            Some(2) => "Best 1 Mile Run",
            Some(3) => "Best 5km Run",
            Some(4) => "Best 10km Run",
            Some(7) => "Farthest Run",
            Some(8) => "Farthest Cycle",
            Some(12) => "Most Steps in a Day",
            _ => continue,
        };
        let gmt = r.get("prStartTimeGmt").and_then(Value::as_i64).unwrap_or(0);
        prs.push(json!({
            "personalRecordId": r.get("id"),
            "activityId": r.get("activityId").and_then(Value::as_i64).unwrap_or(0),
            "value": r.get("value"),
            "prStartTimeGMT": java_date(gmt),
            "personalRecordType": label,
            "createdDate": gmt_stamp(Some(gmt)).map(|s| s[..10].to_owned()),
            "current": true,
            "confirmed": true,
        }));
        report.records += 1;
    }
    out.push((
        format!("{FITNESS_DIR}/{email}_personalRecord.json"),
        json!([{"personalRecords": prs}]),
    ));
    (out, report)
}

/// The runs and rides personal records point at, as the server's records route picks them.
fn record_runs(account: &Account) -> Vec<(i64, String, NaiveDateTime)> {
    picks(account, crate::account::Kind::Running, 5)
}

fn record_rides(account: &Account) -> Vec<(i64, String, NaiveDateTime)> {
    picks(account, crate::account::Kind::Cycling, 1)
}

fn picks(
    account: &Account,
    kind: crate::account::Kind,
    n: usize,
) -> Vec<(i64, String, NaiveDateTime)> {
    (0..account.len())
        .filter_map(|k| account.nth_newest(k))
        .filter(|a| a.kind() == kind)
        .take(n)
        .map(|a| (a.id(), a.name(), a.spec().local(a.start())))
        .collect()
}

/// Writes `entries` into the export being written.
pub(crate) fn write_entries<W: Write + std::io::Seek>(
    z: &mut zip::ZipWriter<W>,
    entries: &[Entry],
    options: zip::write::SimpleFileOptions,
) -> std::io::Result<()> {
    for (name, body) in entries {
        z.start_file(name.as_str(), options)
            .map_err(std::io::Error::other)?;
        serde_json::to_writer(&mut *z, body)?;
    }
    Ok(())
}
