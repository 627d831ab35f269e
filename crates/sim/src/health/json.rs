//! The answers of §7, shaped like Garmin's (keys and units as public clients' recorded
//! answers show them: weights in grams, times as epoch ms or `...T..:..:..0` strings, stress
//! -1/-2 for "too active"/"not enough data", Body Battery rows as `[ms, status, level, version]`).

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Europe::Paris;
use serde_json::{Value, json};

use super::{Day, Era, Health};

const TRACKER_ID: i64 = 3_329_978_681;
const WATCH_ID: i64 = 3_477_316_333;

fn gmt_ms(local: NaiveDateTime) -> i64 {
    Paris
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.timestamp_millis())
        .unwrap_or_else(|| local.and_utc().timestamp_millis())
}

/// Garmin's "local epoch": the local wall time written as if it were UTC.
fn local_ms(local: NaiveDateTime) -> i64 {
    local.and_utc().timestamp_millis()
}

fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S.0").to_string()
}

fn midnight(date: NaiveDate) -> NaiveDateTime {
    date.and_hms_opt(0, 0, 0).unwrap_or_default()
}

fn utc_of(local: NaiveDateTime) -> NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(gmt_ms(local))
        .map(|t| t.naive_utc())
        .unwrap_or(local)
}

/// Everything measured on a worn day, computed once so that the summary and the detailed
/// answers agree the way Garmin's do.
pub(crate) struct Vitals {
    /// (local time, bpm) every 2 minutes while worn.
    pub heart: Vec<(NaiveDateTime, i64)>,
    /// (local time, level or -1/-2) every 3 minutes.
    pub stress: Vec<(NaiveDateTime, i64)>,
    /// (local time, level) every 3 minutes, modern watch only.
    pub battery: Vec<(NaiveDateTime, i64)>,
    pub resting: i64,
    pub steps: i64,
    pub distance_m: i64,
    pub floors: f64,
    pub moderate_min: i64,
    pub vigorous_min: i64,
    pub active_kcal: f64,
    pub bmr_kcal: f64,
    pub sleep: Option<Sleep>,
}

pub(crate) struct Sleep {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub deep: i64,
    pub light: i64,
    pub rem: i64,
    pub awake: i64,
    pub score: Option<i64>,
    pub spo2_avg: Option<f64>,
    pub spo2_low: Option<i64>,
    pub respiration: Option<f64>,
    pub hrv_avg: Option<i64>,
}

impl Sleep {
    fn seconds(&self) -> i64 {
        self.deep + self.light + self.rem
    }
}

pub(crate) fn vitals(h: &Health, day: &Day) -> Vitals {
    let mut d = day.draws(1);
    let fitness = (day.date - h.first_day()).num_days() as f64 / 365.0;
    let resting = (58.0 - 2.0 * fitness.min(3.0) + d.range(-3.0, 3.0)).round() as i64;
    let steps = (3_000.0 + d.range(0.0, 11_000.0)).round() as i64;
    let sleep = day.slept.then(|| {
        let mut s = day.draws(2);
        let start = midnight(day.date) - Duration::minutes(30 + s.below(120) as i64);
        let total = 6 * 3600 + s.below(2 * 3600 + 1) as i64;
        let awake = 60 * (5 + s.below(40) as i64);
        let deep = total * (15 + s.below(10) as i64) / 100;
        let rem = if day.era == Era::Watch {
            total * (18 + s.below(8) as i64) / 100
        } else {
            0
        };
        let light = total - deep - rem;
        let end = start + Duration::seconds(total + awake);
        let watch = day.era == Era::Watch;
        Sleep {
            start,
            end,
            deep,
            light,
            rem,
            awake,
            score: watch.then(|| 55 + s.below(40) as i64),
            spo2_avg: watch.then(|| (92.0 + s.range(0.0, 5.0)).round()),
            spo2_low: watch.then(|| 84 + s.below(6) as i64),
            respiration: watch.then(|| (13.0 + s.range(0.0, 4.0)).round()),
            hrv_avg: day.hrv.then(|| 38 + s.below(30) as i64),
        }
    });
    let mut heart = Vec::new();
    let mut stress = Vec::new();
    let mut battery = Vec::new();
    let taken_off = 22 * 60 + 30; // minutes: the tracker comes off at night without sleep
    let mut level = 25.0 + d.range(0.0, 30.0);
    for slot in 0..720i64 {
        let minute = slot * 2;
        let t = midnight(day.date) + Duration::minutes(minute);
        let asleep = sleep.as_ref().is_some_and(|s| t < s.end);
        if !day.slept && (minute < 7 * 60 || minute >= taken_off) {
            continue;
        }
        let wave = ((minute as f64) / 1440.0 * std::f64::consts::TAU).sin();
        let noise = crate::account::rng::noise(
            day.seed ^ 0x4EA7,
            (day.date.num_days_from_ce_i64() << 11) as u64 | slot as u64,
        );
        let bpm = if asleep {
            resting as f64 + 2.0 + 3.0 * noise
        } else {
            resting as f64 + 22.0 + 12.0 * wave.abs() + 8.0 * noise
        };
        heart.push((t, bpm.round() as i64));
        if minute % 3 == 0 || slot % 3 == 0 {
            let s = if asleep {
                (12.0 + 6.0 * noise.abs()).round() as i64
            } else if noise > 0.85 {
                -1
            } else if noise < -0.95 {
                -2
            } else {
                (30.0 + 25.0 * wave.abs() + 15.0 * noise)
                    .round()
                    .clamp(1.0, 99.0) as i64
            };
            stress.push((t, s));
            if day.era == Era::Watch {
                level += if asleep {
                    0.45
                } else {
                    -0.12 - 0.1 * noise.abs()
                };
                level = level.clamp(5.0, 100.0);
                battery.push((t, level.round() as i64));
            }
        }
    }
    let vigorous = d.below(40) as i64;
    Vitals {
        heart,
        stress,
        battery,
        resting,
        steps,
        distance_m: (steps as f64 * 0.78).round() as i64,
        floors: (d.range(0.0, 25.0) * 1000.0).round() / 1000.0,
        moderate_min: d.below(60) as i64,
        vigorous_min: vigorous,
        active_kcal: (steps as f64 * 0.045 + vigorous as f64 * 9.0).round(),
        bmr_kcal: 1_780.0,
        sleep,
    }
}

trait DaysFromCe {
    fn num_days_from_ce_i64(&self) -> i64;
}

impl DaysFromCe for NaiveDate {
    fn num_days_from_ce_i64(&self) -> i64 {
        i64::from(chrono::Datelike::num_days_from_ce(self))
    }
}

fn stress_avg(v: &Vitals) -> Option<i64> {
    let real: Vec<i64> = v
        .stress
        .iter()
        .map(|(_, s)| *s)
        .filter(|s| *s > 0)
        .collect();
    (!real.is_empty()).then(|| real.iter().sum::<i64>() / real.len() as i64)
}

fn device_id(day: &Day) -> Option<i64> {
    match day.era {
        Era::Tracker => Some(TRACKER_ID),
        Era::Watch => Some(WATCH_ID),
        Era::None => None,
    }
}

pub(crate) fn daily_summary(h: &Health, day: &Day) -> Value {
    let start = midnight(day.date);
    let end = start + Duration::days(1);
    let base = |worn: bool| {
        json!({
            "userProfileId": h.profile_pk(),
            "calendarDate": day.date.to_string(),
            "wellnessStartTimeGmt": stamp(utc_of(start)),
            "wellnessStartTimeLocal": stamp(start),
            "wellnessEndTimeGmt": stamp(utc_of(end)),
            "wellnessEndTimeLocal": stamp(end),
            "durationInMilliseconds": 86_400_000,
            "includesWellnessData": worn,
            "includesActivityData": false,
            "privacyProtected": false,
            "dailyStepGoal": 8_000,
            "intensityMinutesGoal": 150,
            "source": "GARMIN",
            "rule": {"typeId": 2, "typeKey": "private"},
        })
    };
    let mut out = base(day.worn);
    let Value::Object(map) = &mut out else {
        return out;
    };
    if !day.worn {
        for key in [
            "totalSteps",
            "totalDistanceMeters",
            "totalKilocalories",
            "restingHeartRate",
            "minHeartRate",
            "maxHeartRate",
            "averageStressLevel",
            "maxStressLevel",
            "bodyBatteryHighestValue",
            "bodyBatteryLowestValue",
            "sleepingSeconds",
            "averageSpo2",
            "lowestSpo2",
            "avgWakingRespirationValue",
            "moderateIntensityMinutes",
            "vigorousIntensityMinutes",
            "floorsAscended",
        ] {
            map.insert(key.to_owned(), Value::Null);
        }
        return out;
    }
    let v = vitals(h, day);
    let watch = day.era == Era::Watch;
    let (min_hr, max_hr) = v
        .heart
        .iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), (_, b)| {
            (lo.min(*b), hi.max(*b))
        });
    let sleeping = v.sleep.as_ref().map_or(0, Sleep::seconds) + day.nap.unwrap_or(0);
    let bb = |f: fn(i64, i64) -> i64, init: i64| {
        (!v.battery.is_empty()).then(|| v.battery.iter().fold(init, |a, (_, l)| f(a, *l)))
    };
    let fields = json!({
        "totalSteps": v.steps,
        "totalDistanceMeters": v.distance_m,
        "wellnessDistanceMeters": v.distance_m,
        "activeKilocalories": v.active_kcal,
        "bmrKilocalories": v.bmr_kcal,
        "totalKilocalories": v.active_kcal + v.bmr_kcal,
        "restingHeartRate": v.resting,
        "minHeartRate": min_hr,
        "maxHeartRate": max_hr,
        "averageStressLevel": stress_avg(&v).unwrap_or(-1),
        "maxStressLevel": v.stress.iter().map(|(_, s)| *s).max().unwrap_or(-1),
        "stressQualifier": "BALANCED",
        "bodyBatteryHighestValue": bb(i64::max, i64::MIN),
        "bodyBatteryLowestValue": bb(i64::min, i64::MAX),
        "bodyBatteryMostRecentValue": v.battery.last().map(|(_, l)| *l),
        "sleepingSeconds": sleeping,
        "measurableAsleepDuration": v.sleep.as_ref().map(Sleep::seconds),
        "moderateIntensityMinutes": v.moderate_min,
        "vigorousIntensityMinutes": v.vigorous_min,
        "floorsAscended": v.floors,
        "floorsAscendedInMeters": (v.floors * 3.048 * 1000.0).round() / 1000.0,
        "averageSpo2": v.sleep.as_ref().and_then(|s| s.spo2_avg),
        "lowestSpo2": v.sleep.as_ref().and_then(|s| s.spo2_low),
        "avgWakingRespirationValue": if watch { Some(14.0) } else { None },
        "lastSevenDaysAvgRestingHeartRate": v.resting,
    });
    if let Value::Object(extra) = fields {
        map.extend(extra);
    }
    out
}

pub(crate) fn sleep(h: &Health, day: &Day) -> Value {
    let date = day.date.to_string();
    let v = day.worn.then(|| vitals(h, day));
    let night = v.as_ref().and_then(|v| v.sleep.as_ref());
    let naps: Vec<Value> = day
        .nap
        .map(|secs| {
            let start = midnight(day.date) + Duration::hours(14);
            json!({
                "userProfilePK": h.profile_pk(),
                "calendarDate": date,
                "napTimeSec": secs,
                "napStartTimestampGMT": stamp(utc_of(start)),
                "napEndTimestampGMT": stamp(utc_of(start + Duration::seconds(secs))),
                "napFeedback": "IDEAL_TIMING_IDEAL_DURATION_LOW_NEED",
                "napSource": 1,
            })
        })
        .into_iter()
        .collect();
    let Some(s) = night else {
        let mut dto = json!({
            "id": null,
            "userProfilePK": h.profile_pk(),
            "calendarDate": date,
            "sleepTimeSeconds": null,
            "napTimeSeconds": day.nap,
            "sleepWindowConfirmed": false,
            "sleepFromDevice": null,
        });
        if !naps.is_empty()
            && let Value::Object(m) = &mut dto
        {
            m.insert("napTimeSeconds".into(), json!(day.nap));
        }
        let mut out = json!({"dailySleepDTO": dto, "remSleepData": false, "sleepMovement": [], "sleepLevels": []});
        if !naps.is_empty()
            && let Value::Object(m) = &mut out
        {
            m.insert("dailyNapDTOS".into(), Value::Array(naps));
        }
        return out;
    };
    let watch = day.era == Era::Watch;
    let mut dto = json!({
        "id": gmt_ms(s.start),
        "userProfilePK": h.profile_pk(),
        "calendarDate": date,
        "sleepTimeSeconds": s.seconds(),
        "napTimeSeconds": day.nap.unwrap_or(0),
        "sleepWindowConfirmed": true,
        "sleepWindowConfirmationType": "enhanced_confirmed_final",
        "sleepStartTimestampGMT": gmt_ms(s.start),
        "sleepEndTimestampGMT": gmt_ms(s.end),
        "sleepStartTimestampLocal": local_ms(s.start),
        "sleepEndTimestampLocal": local_ms(s.end),
        "unmeasurableSleepSeconds": 0,
        "deepSleepSeconds": s.deep,
        "lightSleepSeconds": s.light,
        "remSleepSeconds": s.rem,
        "awakeSleepSeconds": s.awake,
        "deviceRemCapable": watch,
        "retro": false,
        "sleepFromDevice": true,
        "averageSpO2Value": s.spo2_avg,
        "lowestSpO2Value": s.spo2_low,
        "averageRespirationValue": s.respiration,
        "sleepVersion": 2,
    });
    if let (Some(score), Value::Object(m)) = (s.score, &mut dto) {
        m.insert(
            "sleepScores".into(),
            json!({"overall": {"value": score, "qualifierKey": if score >= 80 { "GOOD" } else { "FAIR" }}}),
        );
    }
    let levels: Vec<Value> = {
        let mut out = Vec::new();
        let mut t = s.start;
        let mut k = 0i64;
        while t < s.end {
            let next = (t + Duration::minutes(45)).min(s.end);
            let activity = [1.0, 0.0, if watch { 2.0 } else { 1.0 }, 1.0][(k % 4) as usize];
            out.push(json!({"startGMT": stamp(utc_of(t)), "endGMT": stamp(utc_of(next)), "activityLevel": activity}));
            t = next;
            k += 1;
        }
        out
    };
    let mut out = json!({
        "dailySleepDTO": dto,
        "remSleepData": watch,
        "sleepMovement": [],
        "sleepLevels": levels,
        "restingHeartRate": v.as_ref().map(|v| v.resting),
        "avgOvernightHrv": s.hrv_avg,
        "hrvStatus": s.hrv_avg.map(|_| if day.watch_day >= super::HRV_BASELINE_DAYS { "BALANCED" } else { "NONE" }),
    });
    if let Value::Object(m) = &mut out {
        if watch {
            m.insert(
                "wellnessSpO2SleepSummaryDTO".into(),
                json!({
                    "userProfilePk": h.profile_pk(),
                    "deviceId": WATCH_ID,
                    "sleepMeasurementStartGMT": stamp(utc_of(s.start)),
                    "sleepMeasurementEndGMT": stamp(utc_of(s.end)),
                    "averageSPO2": s.spo2_avg,
                    "lowestSPO2": s.spo2_low,
                }),
            );
        }
        if !naps.is_empty() {
            m.insert("dailyNapDTOS".into(), Value::Array(naps));
        }
    }
    out
}

/// `None` is Garmin's 204: no HRV that night.
pub(crate) fn hrv(h: &Health, day: &Day) -> Option<Value> {
    if !day.hrv {
        return None;
    }
    let v = vitals(h, day);
    let s = v.sleep.as_ref()?;
    let avg = s.hrv_avg?;
    let baseline = day.watch_day >= super::HRV_BASELINE_DAYS;
    let mut d = day.draws(3);
    let readings: Vec<Value> = {
        let mut out = Vec::new();
        let mut t = s.start;
        while t < s.end {
            out.push(json!({
                "hrvValue": avg - 8 + d.below(17) as i64,
                "readingTimeGMT": stamp(utc_of(t)),
                "readingTimeLocal": stamp(t),
            }));
            t += Duration::minutes(5);
        }
        out
    };
    Some(json!({
        "userProfilePk": h.profile_pk(),
        "hrvSummary": {
            "calendarDate": day.date.to_string(),
            "weeklyAvg": if baseline { Some(avg - 2) } else { None },
            "lastNightAvg": avg,
            "lastNight5MinHigh": avg + 14,
            "baseline": if baseline { json!({"lowUpper": 40, "balancedLow": 43, "balancedUpper": 58, "markerValue": 0.45}) } else { Value::Null },
            "status": if baseline { "BALANCED" } else { "NONE" },
            "feedbackPhrase": if baseline { "HRV_BALANCED_2" } else { "HRV_NO_STATUS_1" },
            "createTimeStamp": stamp(utc_of(s.end)),
        },
        "hrvReadings": readings,
        "startTimestampGMT": stamp(utc_of(s.start)),
        "endTimestampGMT": stamp(utc_of(s.end)),
        "startTimestampLocal": stamp(s.start),
        "endTimestampLocal": stamp(s.end),
        "sleepStartTimestampGMT": stamp(utc_of(s.start)),
        "sleepEndTimestampGMT": stamp(utc_of(s.end)),
    }))
}

fn day_frame(h: &Health, day: &Day) -> Value {
    let start = midnight(day.date);
    let end = start + Duration::days(1);
    json!({
        "userProfilePK": h.profile_pk(),
        "calendarDate": day.date.to_string(),
        "startTimestampGMT": stamp(utc_of(start)),
        "endTimestampGMT": stamp(utc_of(end)),
        "startTimestampLocal": stamp(start),
        "endTimestampLocal": stamp(end),
    })
}

pub(crate) fn stress(h: &Health, day: &Day) -> Value {
    let mut out = day_frame(h, day);
    let v = day.worn.then(|| vitals(h, day));
    let fields = match &v {
        None => json!({
            "maxStressLevel": null,
            "avgStressLevel": null,
            "stressValueDescriptorsDTOList": [],
            "stressValuesArray": null,
            "bodyBatteryValueDescriptorsDTOList": [],
            "bodyBatteryValuesArray": null,
        }),
        Some(v) => json!({
            "maxStressLevel": v.stress.iter().map(|(_, s)| *s).max(),
            "avgStressLevel": stress_avg(v).unwrap_or(-1),
            "stressChartValueOffset": 1,
            "stressChartYAxisOrigin": -1,
            "stressValueDescriptorsDTOList": [
                {"key": "timestamp", "index": 0},
                {"key": "stressLevel", "index": 1},
            ],
            "stressValuesArray": v.stress.iter().map(|(t, s)| json!([gmt_ms(*t), s])).collect::<Vec<_>>(),
            "bodyBatteryValueDescriptorsDTOList": if v.battery.is_empty() { json!([]) } else { json!([
                {"bodyBatteryValueDescriptorIndex": 0, "bodyBatteryValueDescriptorKey": "timestamp"},
                {"bodyBatteryValueDescriptorIndex": 1, "bodyBatteryValueDescriptorKey": "bodyBatteryStatus"},
                {"bodyBatteryValueDescriptorIndex": 2, "bodyBatteryValueDescriptorKey": "bodyBatteryLevel"},
                {"bodyBatteryValueDescriptorIndex": 3, "bodyBatteryValueDescriptorKey": "bodyBatteryVersion"},
            ]) },
            "bodyBatteryValuesArray": if v.battery.is_empty() { Value::Null } else {
                Value::Array(v.battery.iter().map(|(t, l)| json!([gmt_ms(*t), "MEASURED", l, 3.0])).collect())
            },
        }),
    };
    if let (Value::Object(m), Value::Object(f)) = (&mut out, fields) {
        m.extend(f);
    }
    out
}

pub(crate) fn heart_rate(h: &Health, day: &Day) -> Value {
    let mut out = day_frame(h, day);
    let v = day.worn.then(|| vitals(h, day));
    let fields = match &v {
        None => json!({
            "maxHeartRate": null,
            "minHeartRate": null,
            "restingHeartRate": null,
            "lastSevenDaysAvgRestingHeartRate": null,
            "heartRateValueDescriptors": null,
            "heartRateValues": null,
        }),
        Some(v) => json!({
            "maxHeartRate": v.heart.iter().map(|(_, b)| *b).max(),
            "minHeartRate": v.heart.iter().map(|(_, b)| *b).min(),
            "restingHeartRate": v.resting,
            "lastSevenDaysAvgRestingHeartRate": v.resting,
            "heartRateValueDescriptors": [
                {"key": "timestamp", "index": 0},
                {"key": "heartrate", "index": 1},
            ],
            "heartRateValues": v.heart.iter().map(|(t, b)| json!([gmt_ms(*t), b])).collect::<Vec<_>>(),
        }),
    };
    if let (Value::Object(m), Value::Object(f)) = (&mut out, fields) {
        m.extend(f);
    }
    out
}

/// `stats/steps/daily/{start}/{end}`: one item per day, nulls on days without a device.
pub(crate) fn steps(h: &Health, from: NaiveDate, to: NaiveDate) -> Value {
    let mut out = Vec::new();
    let mut date = from;
    while date <= to {
        let day = h.day(date);
        let steps = day.worn.then(|| vitals(h, &day).steps);
        out.push(json!({
            "calendarDate": date.to_string(),
            "totalSteps": steps,
            "totalDistance": steps.map(|s| (s as f64 * 0.78).round() as i64),
            "stepGoal": 8_000,
        }));
        date += Duration::days(1);
    }
    Value::Array(out)
}

fn weigh_in_json(h: &Health, date: NaiveDate, w: &super::WeighIn, delta: Option<f64>) -> Value {
    let local = midnight(date) + Duration::seconds(w.seconds);
    let height_m: f64 = 1.78;
    let bmi = (w.grams / 1000.0 / (height_m * height_m) * 10.0).round() / 10.0;
    let mut d = h.day(date).draws(9);
    json!({
        "samplePk": gmt_ms(local) + 27_851,
        "date": local_ms(local),
        "calendarDate": date.to_string(),
        "weight": w.grams,
        "bmi": if w.scale { Some(bmi) } else { None },
        "bodyFat": if w.scale { Some(((18.0 + d.range(0.0, 4.0)) * 10.0).round() / 10.0) } else { None },
        "bodyWater": if w.scale { Some(((57.0 + d.range(0.0, 3.0)) * 10.0).round() / 10.0) } else { None },
        "boneMass": if w.scale { Some((w.grams * 0.045).round() as i64) } else { None },
        "muscleMass": if w.scale { Some((w.grams * 0.43).round() as i64) } else { None },
        "physiqueRating": null,
        "visceralFat": null,
        "metabolicAge": null,
        "sourceType": if w.scale { "INDEX_SCALE" } else { "MANUAL" },
        "timestampGMT": gmt_ms(local),
        "weightDelta": delta,
    })
}

/// `weight/range/{start}/{end}?includeAll=true`: days with weigh-ins, newest first.
pub(crate) fn weight_range(h: &Health, from: NaiveDate, to: NaiveDate) -> Value {
    let mut summaries = Vec::new();
    let mut date = to;
    while date >= from {
        let ins = h.weigh_ins(date);
        if !ins.is_empty() {
            let all: Vec<Value> = ins
                .iter()
                .rev()
                .map(|w| weigh_in_json(h, date, w, None))
                .collect();
            let grams: Vec<f64> = ins.iter().map(|w| w.grams).collect();
            summaries.push(json!({
                "summaryDate": date.to_string(),
                "numOfWeightEntries": ins.len(),
                "minWeight": grams.iter().cloned().fold(f64::INFINITY, f64::min),
                "maxWeight": grams.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
                "latestWeight": all.first().cloned(),
                "allWeightMetrics": all,
            }));
        }
        date -= Duration::days(1);
    }
    json!({
        "dailyWeightSummaries": summaries,
        "totalAverage": {
            "from": local_ms(midnight(from)),
            "until": local_ms(midnight(to + Duration::days(1))) - 1,
        },
    })
}

/// Personal records, some tied to activities of the account (`activities`: a few of its
/// runs and rides as (id, name, typeKey, local start), newest first), some to days.
pub(crate) fn records(
    h: &Health,
    runs: &[super::routes::RecordActivity],
    rides: &[super::routes::RecordActivity],
) -> Value {
    let mut out = Vec::new();
    let mut pk = 1_000_000 + (h.profile_pk() % 1000) * 100;
    let mut push = |type_id: i64,
                    act: Option<&super::routes::RecordActivity>,
                    type_key: &str,
                    value: f64,
                    at: NaiveDateTime| {
        pk += 1;
        out.push(json!({
            "id": pk,
            "typeId": type_id,
            "status": "ACCEPTED",
            "activityId": act.map(|a| a.0),
            "activityName": act.map(|a| a.1.clone()),
            "activityType": act.map(|_| type_key),
            "activityStartDateTimeInGMT": act.map(|a| gmt_ms(a.2)),
            "actStartDateTimeInGMTFormatted": act.map(|a| stamp(utc_of(a.2))),
            "activityStartDateTimeLocal": act.map(|a| local_ms(a.2)),
            "activityStartDateTimeLocalFormatted": act.map(|a| stamp(a.2)),
            "value": value,
            "prStartTimeGmt": gmt_ms(at),
            "prStartTimeGmtFormatted": stamp(utc_of(at)),
            "prStartTimeLocal": local_ms(at),
            "prStartTimeLocalFormatted": stamp(at),
            "prTypeLabelKey": null,
            "poolLengthUnit": null,
        }));
    };
    // Running PRs: 1 km, 1 mile, 5 km, 10 km (seconds), longest run (m).
    for (i, (type_id, base)) in [(1, 225.0), (2, 372.0), (3, 1_268.0), (4, 2_655.0)]
        .iter()
        .enumerate()
    {
        if let Some(run) = runs.get(i) {
            push(
                *type_id,
                Some(run),
                "running",
                base + (run.0 % 97) as f64 / 10.0,
                run.2,
            );
        }
    }
    if let Some(run) = runs.get(4) {
        push(7, Some(run), "running", 21_431.7, run.2);
    }
    if let Some(ride) = rides.first() {
        push(8, Some(ride), "cycling", 112_874.2, ride.2);
    }
    // Step records: no activity, a day.
    let mut best: Option<(NaiveDate, i64)> = None;
    let mut date = h.last_day();
    let stop = h.last_day() - Duration::days(400).min(h.last_day() - h.first_day());
    while date >= stop {
        let day = h.day(date);
        if day.worn {
            let s = vitals(h, &day).steps;
            if best.is_none_or(|(_, b)| s > b) {
                best = Some((date, s));
            }
        }
        date -= Duration::days(1);
    }
    if let Some((date, s)) = best {
        push(12, None, "", s as f64, midnight(date));
    }
    Value::Array(out)
}

pub(crate) fn device_of(day: &Day) -> Option<i64> {
    device_id(day)
}
