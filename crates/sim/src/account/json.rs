//! The API's JSON answers, built from the spec and the plans.

use chrono::{DateTime, NaiveDateTime};
use serde_json::{Map, Value, json};

use super::Activity;
use super::catalog::{DEVICES, EVENT_TYPES, GEAR, Gear, Kind, Source};
use super::plan::{Plan, Stats};
use super::rng::{Draws, Purpose, mix};

fn utc(t: i64) -> NaiveDateTime {
    DateTime::from_timestamp(t, 0)
        .map(|d| d.naive_utc())
        .unwrap_or_default()
}

fn list_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn detail_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S.0").to_string()
}

fn r2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn r3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

pub(super) fn display_name(seed: u64) -> String {
    let a = mix(seed ^ 0xD15B_1A7E);
    let b = mix(a);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFF,
        0x8000 | ((b >> 48) & 0x3FFF),
        b & 0xFFFF_FFFF_FFFF
    )
}

pub(super) fn profile_id(seed: u64) -> i64 {
    80_000_000 + (mix(seed ^ 0x9E0F) % 9_000_000) as i64
}

fn full_name(seed: u64) -> &'static str {
    const NAMES: [&str; 4] = [
        "Alex Martin",
        "Zoë Ångström-O'Brien",
        "José Núñez",
        "陈伟 Chen Wei",
    ];
    NAMES[(mix(seed ^ 0xF00) % NAMES.len() as u64) as usize]
}

pub(super) fn social_profile(seed: u64, email: &str) -> Value {
    let id = profile_id(seed);
    let mut v = json!({
        "id": id,
        "profileId": id,
        "garminGUID": display_name(seed ^ 1),
        "displayName": display_name(seed),
        "fullName": full_name(seed),
        "userName": email,
        "profileImageType": null,
        "profileImageUrlLarge": null,
        "profileImageUrlMedium": null,
        "profileImageUrlSmall": null,
        "location": "Paris",
        "facebookUrl": "",
        "twitterUrl": "",
        "personalWebsite": "",
        "motivation": null,
        "bio": null,
        "primaryActivity": "running",
        "favoriteActivityTypes": ["running", "cycling"],
        "runningTrainingSpeed": 0.0,
        "cyclingTrainingSpeed": 0.0,
        "favoriteCyclingActivityTypes": [],
        "cyclingClassification": null,
        "cyclingMaxAvgPower": 0.0,
        "swimmingTrainingSpeed": 0.0,
        "profileVisibility": "private",
        "activityStartVisibility": "private",
        "activityMapVisibility": "public",
        "courseVisibility": "public",
        "activityHeartRateVisibility": "public",
        "activityPowerVisibility": "public",
        "badgeVisibility": "following",
    });
    let more = json!({
        "showAge": false,
        "showWeight": false,
        "showHeight": false,
        "showWeightClass": false,
        "showAgeRange": false,
        "showGender": false,
        "showActivityClass": false,
        "showVO2Max": false,
        "showPersonalRecords": false,
        "showLast12Months": false,
        "showLifetimeTotals": false,
        "showUpcomingEvents": false,
        "showRecentFavorites": false,
        "showRecentDevice": false,
        "showRecentGear": false,
        "showBadges": true,
        "otherActivity": null,
        "otherPrimaryActivity": null,
        "otherMotivation": null,
        "userRoles": ["SCOPE_ATP_READ", "SCOPE_CONNECT_READ", "SCOPE_CONNECT_WRITE", "ROLE_CONNECTUSER"],
        "nameApproved": true,
        "userProfileFullName": full_name(seed),
        "makeGolfScorecardsPrivate": true,
        "allowGolfLiveScoring": false,
        "allowGolfScoringByConnections": true,
        "userLevel": 3,
        "userPoint": 118,
        "levelUpdateDate": "2024-05-01T10:11:12.0",
        "levelIsViewed": true,
        "levelPointThreshold": 140,
        "userPointOffset": 0,
        "userPro": false
    });
    if let (Some(a), Value::Object(b)) = (v.as_object_mut(), more) {
        a.extend(b);
    }
    v
}

pub(super) fn user_settings(seed: u64) -> Value {
    let us = mix(seed ^ 0x5E77) % 4 == 3;
    json!({
        "id": profile_id(seed),
        "userData": {
            "gender": "FEMALE",
            "weight": 61_000.0,
            "height": 168.0,
            "timeFormat": if us { "time_twelve_hr" } else { "time_twenty_four_hr" },
            "birthDate": "1988-04-12",
            "measurementSystem": if us { "statute_us" } else { "metric" },
            "activityLevel": null,
            "handedness": "RIGHT",
            "powerFormat": {"formatId": 30, "formatKey": "watt", "minFraction": 0, "maxFraction": 0, "groupingUsed": true, "displayFormat": null},
            "heartRateFormat": {"formatId": 21, "formatKey": "bpm", "minFraction": 0, "maxFraction": 0, "groupingUsed": false, "displayFormat": null},
            "firstDayOfWeek": {"dayId": 2, "dayName": "monday", "sortOrder": 2, "isPossibleFirstDay": true},
            "vo2MaxRunning": 52.0,
            "vo2MaxCycling": 55.0,
            "lactateThresholdSpeed": 3.6,
            "lactateThresholdHeartRate": 168,
            "diveNumber": null,
            "intensityMinutesCalcMethod": "AUTO",
            "moderateIntensityMinutesHrZone": 3,
            "vigorousIntensityMinutesHrZone": 4,
            "hydrationMeasurementUnit": if us { "ounce" } else { "milliliter" },
            "hydrationContainers": [],
            "hydrationAutoGoalEnabled": true,
            "firstbeatMaxStressScore": null,
            "firstbeatCyclingLtTimestamp": null,
            "firstbeatRunningLtTimestamp": 1_041_638_400,
            "thresholdHeartRateAutoDetected": true,
            "ftpAutoDetected": true,
            "trainingStatusPausedDate": null,
            "weatherLocation": {"useFixedLocation": false, "latitude": null, "longitude": null, "locationName": null, "isoCountryCode": null, "postalCode": null},
            "golfDistanceUnit": "statute_us",
            "golfElevationUnit": null,
            "golfSpeedUnit": null,
            "externalBottomTime": null,
            "availableTrainingDays": ["MONDAY", "TUESDAY", "THURSDAY", "SATURDAY", "SUNDAY"],
            "preferredLongTrainingDays": ["SUNDAY"]
        },
        "userSleep": {"sleepTime": 79_200, "defaultSleepTime": false, "wakeTime": 21_600, "defaultWakeTime": false},
        "connectDate": null,
        "sourceType": null
    })
}

pub(super) fn device_info(install_id: i64) -> Option<Value> {
    let d = DEVICES
        .iter()
        .find(|d| d.install_id == install_id && d.app_info)?;
    Some(json!({
        "productDisplayName": d.display,
        "versionString": d.version,
        "partNumber": d.part_number,
        "deviceId": d.device_id,
        "unitId": d.device_id,
        "applicationKey": d.part_number,
        "deviceApplicationInstallationId": d.install_id,
        "currentFirmwareVersion": d.version,
        "productSku": d.part_number,
    }))
}

fn activity_type(kind: Kind) -> Value {
    let i = kind.info();
    json!({
        "typeId": i.type_id,
        "typeKey": i.type_key,
        "parentTypeId": i.parent_type_id,
        "isHidden": false,
        "restricted": false,
        "trimmable": kind != Kind::Multisport,
    })
}

fn event_type(a: &Activity) -> Value {
    let (id, key, _) = EVENT_TYPES
        .get(a.spec.event)
        .copied()
        .unwrap_or((9, "uncategorized", ""));
    json!({"typeId": id, "typeKey": key, "sortOrder": id})
}

fn privacy(a: &Activity) -> Value {
    match a.spec.privacy {
        0..=5 => json!({"typeId": 2, "typeKey": "private"}),
        6..=8 => json!({"typeId": 1, "typeKey": "public"}),
        _ => json!({"typeId": 3, "typeKey": "subscribers"}),
    }
}

fn file_format(a: &Activity) -> Value {
    match a.spec.source {
        Source::Device => json!({"formatId": 7, "formatKey": "fit"}),
        Source::GpxUpload => json!({"formatId": 1, "formatKey": "gpx"}),
        Source::Manual => Value::Null,
    }
}

fn opt(v: Option<f64>) -> Value {
    v.map_or(Value::Null, Value::from)
}

fn put(m: &mut Map<String, Value>, k: &str, v: Option<f64>) {
    if let Some(v) = v {
        m.insert(k.to_string(), Value::from(v));
    }
}

/// Training effect and VO2max only come from modern watches.
fn physiology(a: &Activity) -> Option<(f64, f64, Option<f64>)> {
    let dev = a.spec.device()?;
    if !dev.training_effect || a.kind == Kind::Transition {
        return None;
    }
    let mut d = Draws::new(a.spec.seed, a.spec.j as u64, Purpose::Effort);
    let aerobic = r2(d.range(2.0, 4.6));
    let anaerobic = r2(d.range(0.0, 3.0));
    let vo2 = matches!(a.kind, Kind::Running | Kind::TrailRunning | Kind::Cycling)
        .then(|| d.range(47.0, 55.0).round());
    Some((aerobic, anaerobic, vo2))
}

fn is_foot(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Running | Kind::TrailRunning | Kind::TreadmillRunning | Kind::Hiking | Kind::Walking
    )
}

fn is_bike(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Cycling | Kind::IndoorCycling | Kind::VirtualRide
    )
}

fn is_swim(kind: Kind) -> bool {
    matches!(kind, Kind::LapSwimming | Kind::OpenWaterSwimming)
}

fn lap_count(a: &Activity) -> usize {
    if a.spec.source == Source::Manual {
        return 1;
    }
    a.segments().iter().map(|p| p.lap_bounds().len()).sum()
}

pub(super) fn list_item(a: &Activity) -> Value {
    let s = a.summary();
    let start_local = a.spec.local(s.start);
    let old = a.spec.old_units();
    let dev = a.spec.device();
    let mut m = Map::new();
    m.insert("activityId".into(), a.id().into());
    m.insert("activityName".into(), a.name().into());
    match (a.spec.desc, a.description()) {
        (super::spec::Desc::Absent, _) => {}
        (_, d) => {
            m.insert("description".into(), d.map_or(Value::Null, Value::from));
        }
    }
    m.insert("startTimeLocal".into(), list_time(start_local).into());
    m.insert("startTimeGMT".into(), list_time(utc(s.start)).into());
    m.insert("activityType".into(), activity_type(a.kind));
    m.insert("eventType".into(), event_type(a));
    m.insert("comments".into(), Value::Null);
    m.insert(
        "parentId".into(),
        a.parent_id().map_or(Value::Null, Value::from),
    );
    m.insert("distance".into(), s.distance.into());
    m.insert("duration".into(), s.timer.into());
    m.insert(
        "elapsedDuration".into(),
        (if old { s.elapsed * 1000.0 } else { s.elapsed }).into(),
    );
    m.insert("movingDuration".into(), s.moving.into());
    put(&mut m, "elevationGain", s.gain);
    put(&mut m, "elevationLoss", s.loss);
    m.insert("averageSpeed".into(), r3(s.avg_speed).into());
    m.insert("maxSpeed".into(), s.max_speed.into());
    if let Some((lat, lon)) = s.start_pos {
        m.insert("startLatitude".into(), lat.into());
        m.insert("startLongitude".into(), lon.into());
    }
    m.insert("hasPolyline".into(), a.has_gps().into());
    m.insert("hasImages".into(), false.into());
    m.insert(
        "ownerId".into(),
        super::json::profile_id(a.spec.seed).into(),
    );
    m.insert("ownerDisplayName".into(), display_name(a.spec.seed).into());
    m.insert("ownerFullName".into(), full_name(a.spec.seed).into());
    m.insert("ownerProfileImageUrlSmall".into(), Value::Null);
    m.insert("calories".into(), s.calories.into());
    m.insert("bmrCalories".into(), (s.timer / 60.0).round().into());
    put(&mut m, "averageHR", s.avg_hr);
    put(&mut m, "maxHR", s.max_hr);
    if is_foot(a.kind) {
        put(
            &mut m,
            "averageRunningCadenceInStepsPerMinute",
            s.avg_cadence.map(|c| c * 2.0),
        );
        put(
            &mut m,
            "maxRunningCadenceInStepsPerMinute",
            s.max_cadence.map(|c| c * 2.0),
        );
        if let Some(c) = s.avg_cadence {
            m.insert(
                "steps".into(),
                ((c * 2.0 * s.timer / 60.0).round() as i64).into(),
            );
            // Real list items carry the details' stride length too.
            if s.distance > 0.0 {
                let stride_cm = s.distance * 100.0 / (c * 2.0 * s.timer / 60.0);
                m.insert("avgStrideLength".into(), r2(stride_cm).into());
            }
        }
    }
    if is_bike(a.kind) {
        put(&mut m, "averageBikingCadenceInRevPerMinute", s.avg_cadence);
        put(&mut m, "maxBikingCadenceInRevPerMinute", s.max_cadence);
        put(&mut m, "avgPower", s.avg_power);
        put(&mut m, "maxPower", s.max_power);
        put(&mut m, "normPower", s.avg_power.map(|p| (p * 1.05).round()));
    }
    if is_swim(a.kind) {
        put(
            &mut m,
            "averageSwimCadenceInStrokesPerMinute",
            s.avg_cadence,
        );
        put(&mut m, "maxSwimCadenceInStrokesPerMinute", s.max_cadence);
        if let Some(c) = s.avg_cadence {
            m.insert("strokes".into(), (c * s.timer / 60.0).round().into());
        }
        if a.kind == Kind::LapSwimming {
            m.insert("poolLength".into(), 25.0.into());
            m.insert(
                "unitOfPoolLength".into(),
                json!({"unitId": 1, "unitKey": "meter", "factor": 100.0}),
            );
            m.insert(
                "activeLengths".into(),
                ((s.distance / 25.0).round() as i64).into(),
            );
        }
    }
    m.insert("lapCount".into(), lap_count(a).into());
    match physiology(a) {
        Some((ae, an, vo2)) => {
            m.insert("aerobicTrainingEffect".into(), ae.into());
            m.insert("anaerobicTrainingEffect".into(), an.into());
            m.insert("vO2MaxValue".into(), opt(vo2));
        }
        None => {
            m.insert("vO2MaxValue".into(), Value::Null);
        }
    }
    match dev {
        Some(d) => {
            m.insert("deviceId".into(), d.device_id.into());
            m.insert("manufacturer".into(), "GARMIN".into());
        }
        None => {
            m.insert("deviceId".into(), Value::Null);
        }
    }
    m.insert(
        "locationName".into(),
        a.spec
            .zone()
            .city
            .filter(|_| a.has_gps())
            .map_or(Value::Null, Value::from),
    );
    m.insert("timeZoneId".into(), a.spec.zone().unit_id.into());
    m.insert("beginTimestamp".into(), (s.start * 1000).into());
    m.insert("sportTypeId".into(), a.kind.info().fit_sport.into());
    if let Some(lo) = s.min_ele {
        let f = if old { 100.0 } else { 1.0 };
        m.insert("minElevation".into(), r2(lo * f).into());
        put(&mut m, "maxElevation", s.max_ele.map(|v| r2(v * f)));
    }
    if let Some((lat, lon)) = s.end_pos {
        m.insert("endLatitude".into(), lat.into());
        m.insert("endLongitude".into(), lon.into());
    }
    if dev.is_some() && a.kind != Kind::StrengthTraining && !is_swim(a.kind) {
        let mut d = Draws::new(a.spec.seed, a.spec.j as u64, Purpose::Noise);
        let t = d.range(8.0, 28.0).round();
        m.insert("minTemperature".into(), (t - 3.0).into());
        m.insert("maxTemperature".into(), (t + 4.0).into());
    }
    m.insert("privacy".into(), privacy(a));
    m.insert("userPro".into(), false.into());
    m.insert("hasVideo".into(), false.into());
    m.insert(
        "manualActivity".into(),
        (a.spec.source == Source::Manual).into(),
    );
    m.insert("autoCalcCalories".into(), false.into());
    m.insert(
        "elevationCorrected".into(),
        (a.spec.source == Source::GpxUpload).into(),
    );
    m.insert("atpActivity".into(), false.into());
    m.insert("favorite".into(), false.into());
    m.insert("decoDive".into(), false.into());
    m.insert("pr".into(), (a.spec.j % 37 == 5).into());
    m.insert("parent".into(), a.is_multisport_parent().into());
    m.insert("purposeful".into(), false.into());
    if a.is_multisport_parent() {
        m.insert("childIds".into(), a.child_ids().into());
        m.insert(
            "childActivityTypes".into(),
            a.spec
                .legs()
                .iter()
                .map(|k| activity_type(*k))
                .collect::<Vec<_>>()
                .into(),
        );
    }
    Value::Object(m)
}

fn summary_dto(a: &Activity, s: &Stats) -> Value {
    let mut m = Map::new();
    m.insert(
        "startTimeLocal".into(),
        detail_time(a.spec.local(s.start)).into(),
    );
    m.insert("startTimeGMT".into(), detail_time(utc(s.start)).into());
    if let Some((lat, lon)) = s.start_pos {
        m.insert("startLatitude".into(), lat.into());
        m.insert("startLongitude".into(), lon.into());
    }
    m.insert("distance".into(), s.distance.into());
    m.insert("duration".into(), s.timer.into());
    m.insert("movingDuration".into(), s.moving.into());
    m.insert("elapsedDuration".into(), s.elapsed.into());
    put(&mut m, "elevationGain", s.gain);
    put(&mut m, "elevationLoss", s.loss);
    put(&mut m, "maxElevation", s.max_ele);
    put(&mut m, "minElevation", s.min_ele);
    m.insert("averageSpeed".into(), r3(s.avg_speed).into());
    // Distance over moving time, unrounded: what a recorded real answer gives.
    let moving_speed = if s.moving > 0.0 {
        s.distance / s.moving
    } else {
        0.0
    };
    m.insert("averageMovingSpeed".into(), moving_speed.into());
    m.insert("maxSpeed".into(), s.max_speed.into());
    m.insert("calories".into(), s.calories.into());
    m.insert("bmrCalories".into(), (s.timer / 60.0).round().into());
    put(&mut m, "averageHR", s.avg_hr);
    put(&mut m, "maxHR", s.max_hr);
    put(&mut m, "minHR", s.avg_hr.map(|h| h - 30.0));
    if is_foot(a.kind) {
        put(&mut m, "averageRunCadence", s.avg_cadence.map(|c| c * 2.0));
        put(&mut m, "maxRunCadence", s.max_cadence.map(|c| c * 2.0));
        if let Some(c) = s.avg_cadence {
            m.insert(
                "steps".into(),
                ((c * 2.0 * s.timer / 60.0).round() as i64).into(),
            );
            if s.distance > 0.0 {
                let stride_cm = s.distance * 100.0 / (c * 2.0 * s.timer / 60.0);
                m.insert("strideLength".into(), r2(stride_cm).into());
            }
        }
    }
    if is_bike(a.kind) {
        put(&mut m, "averageBikeCadence", s.avg_cadence);
        put(&mut m, "maxBikeCadence", s.max_cadence);
        put(&mut m, "averagePower", s.avg_power);
        put(&mut m, "maxPower", s.max_power);
        put(
            &mut m,
            "normalizedPower",
            s.avg_power.map(|p| (p * 1.05).round()),
        );
    }
    if is_swim(a.kind) {
        put(&mut m, "averageSwimCadence", s.avg_cadence);
        put(&mut m, "maxSwimCadence", s.max_cadence);
    }
    if let Some((ae, an, _)) = physiology(a) {
        m.insert("trainingEffect".into(), ae.into());
        m.insert("anaerobicTrainingEffect".into(), an.into());
        m.insert(
            "aerobicTrainingEffectMessage".into(),
            "IMPROVING_AEROBIC_BASE_8".into(),
        );
        m.insert(
            "anaerobicTrainingEffectMessage".into(),
            "NO_ANAEROBIC_BENEFIT_0".into(),
        );
    }
    if let Some((lat, lon)) = s.end_pos {
        m.insert("endLatitude".into(), lat.into());
        m.insert("endLongitude".into(), lon.into());
    }
    Value::Object(m)
}

pub(super) fn details(a: &Activity) -> Value {
    let s = a.summary();
    let dev = a.spec.device();
    let id = a.id();
    let mut meta = json!({
        "isOriginal": a.spec.source != Source::Manual,
        "deviceApplicationInstallationId": dev.map_or(Value::Null, |d| d.install_id.into()),
        "agentApplicationInstallationId": null,
        "agentString": null,
        "fileFormat": file_format(a),
        "associatedCourseId": null,
        "lastUpdateDate": detail_time(utc(s.start + s.elapsed as i64 + 600)),
        "uploadedDate": detail_time(utc(s.start + s.elapsed as i64 + 300)),
        "videoUrl": null,
        "hasPolyline": a.has_gps(),
        "hasChartData": a.spec.source != Source::Manual,
        "hasHrTimeInZones": s.avg_hr.is_some(),
        "hasPowerTimeInZones": s.avg_power.is_some(),
        "userInfoDto": {
            "userProfilePk": profile_id(a.spec.seed),
            "displayname": display_name(a.spec.seed),
            "fullname": full_name(a.spec.seed),
            "profileImageUrlLarge": null,
            "profileImageUrlMedium": null,
            "profileImageUrlSmall": null,
            "userPro": false
        },
        "childIds": if a.is_multisport_parent() { Value::from(a.child_ids()) } else { Value::Null },
        "childActivityTypes": if a.is_multisport_parent() {
            a.spec.legs().iter().map(|k| activity_type(*k)).collect::<Vec<_>>().into()
        } else { Value::Null },
        "sensors": [],
        "activityImages": [],
        "calendarEventInfo": null,
        "manufacturer": dev.map(|_| "GARMIN"),
        "manualActivity": a.spec.source == Source::Manual,
        "autoCalcCalories": false,
        "favorite": false,
        "personalRecord": a.spec.j % 37 == 5,
        "gcj02": false,
        "trimmed": false,
        "elevationCorrected": a.spec.source == Source::GpxUpload,
        "lapCount": lap_count(a),
        "deviceMetaDataDTO": {
            "deviceId": match (a.spec.source, dev) {
                (Source::Manual, _) => Value::from("0"),
                (_, Some(d)) => Value::from(d.device_id.to_string()),
                _ => Value::Null,
            },
            "deviceTypePk": dev.map(|d| d.fit_product),
            "deviceVersionPk": dev.map(|d| d.fit_software),
        },
    });
    if let Some(m) = meta.as_object_mut().filter(|_| !a.is_multisport_parent()) {
        m.remove("childIds");
        m.remove("childActivityTypes");
    }
    let zone = a.spec.zone();
    let mut out = json!({
        "activityId": id,
        "activityUUID": {"uuid": display_name(a.spec.seed ^ id as u64)},
        "activityName": a.name(),
        "description": a.description(),
        "userProfileId": profile_id(a.spec.seed),
        "isMultiSportParent": a.is_multisport_parent(),
        "activityTypeDTO": activity_type(a.kind),
        "eventTypeDTO": event_type(a),
        "accessControlRuleDTO": privacy(a),
        "timeZoneUnitDTO": {"unitId": zone.unit_id, "unitKey": zone.name, "factor": 0.0, "timeZone": zone.name},
        "metadataDTO": meta,
        "summaryDTO": summary_dto(a, &s),
        "locationName": zone.city.filter(|_| a.has_gps()),
        "splitSummaries": [],
    });
    if let (Some(p), Some(m)) = (a.parent_id(), out.as_object_mut()) {
        m.insert("parentId".into(), p.into());
    }
    out
}

fn lap_json(plan: &Plan, from: u32, to: u32, index: usize, trigger_distance: bool) -> Value {
    let s = plan.stats(from, to);
    let mut m = Map::new();
    m.insert("startTimeGMT".into(), detail_time(utc(s.start)).into());
    if let Some((lat, lon)) = s.start_pos {
        m.insert("startLatitude".into(), lat.into());
        m.insert("startLongitude".into(), lon.into());
    }
    m.insert("distance".into(), s.distance.into());
    m.insert("duration".into(), s.timer.into());
    m.insert("movingDuration".into(), s.moving.into());
    m.insert("elapsedDuration".into(), s.elapsed.into());
    put(&mut m, "elevationGain", s.gain);
    put(&mut m, "elevationLoss", s.loss);
    put(&mut m, "maxElevation", s.max_ele);
    put(&mut m, "minElevation", s.min_ele);
    m.insert("averageSpeed".into(), r3(s.avg_speed).into());
    let moving_speed = if s.moving > 0.0 {
        s.distance / s.moving
    } else {
        0.0
    };
    m.insert("averageMovingSpeed".into(), r3(moving_speed).into());
    m.insert("maxSpeed".into(), s.max_speed.into());
    m.insert("calories".into(), s.calories.into());
    put(&mut m, "averageHR", s.avg_hr);
    put(&mut m, "maxHR", s.max_hr);
    if is_foot(plan.kind) {
        put(&mut m, "averageRunCadence", s.avg_cadence.map(|c| c * 2.0));
        put(&mut m, "maxRunCadence", s.max_cadence.map(|c| c * 2.0));
    }
    if is_bike(plan.kind) {
        put(&mut m, "averageBikeCadence", s.avg_cadence);
        put(&mut m, "averagePower", s.avg_power);
        put(&mut m, "maxPower", s.max_power);
    }
    if let Some((lat, lon)) = s.end_pos {
        m.insert("endLatitude".into(), lat.into());
        m.insert("endLongitude".into(), lon.into());
    }
    m.insert("activityType".into(), plan.kind.type_key().into());
    m.insert("lapIndex".into(), (index + 1).into());
    m.insert("messageIndex".into(), index.into());
    m.insert("lengthDTOs".into(), json!([]));
    m.insert("connectIQMetrics".into(), json!([]));
    m.insert("intensityType".into(), "ACTIVE".into());
    m.insert(
        "lapTrigger".into(),
        if trigger_distance {
            "DISTANCE"
        } else {
            "MANUAL"
        }
        .into(),
    );
    Value::Object(m)
}

pub(super) fn splits(a: &Activity) -> Value {
    let mut laps = Vec::new();
    let mut events = Vec::new();
    if a.spec.source != Source::Manual {
        for plan in a.segments() {
            let bounds = plan.lap_bounds();
            let n = bounds.len();
            for (i, (from, to)) in bounds.into_iter().enumerate() {
                laps.push(lap_json(
                    &plan,
                    from,
                    to,
                    laps.len(),
                    i + 1 < n && plan.kind.info().lap_m > 0.0,
                ));
            }
            if let Some((at, _)) = plan.pause {
                let t = plan.wall(f64::from(at)) as i64;
                events.push(json!({
                    "startTimeGMT": detail_time(utc(t)),
                    "startTimeGMTDoubleValue": (t * 1000) as f64,
                    "sectionTypeDTO": {"id": 2, "key": "timerStop", "sectionTypeKey": "timerStop"}
                }));
            }
        }
    }
    json!({"activityId": a.id(), "lapDTOs": laps, "eventDTOs": events})
}

const ZONE_FLOORS: [f64; 5] = [95.0, 114.0, 133.0, 152.0, 171.0];

pub(super) fn hr_time_in_zones(a: &Activity) -> Value {
    let segs = a.segments();
    if a.spec.source != Source::Device {
        return json!([]);
    }
    let mut secs = [0.0f64; 5];
    for plan in &segs {
        let pts = plan.points();
        let per = f64::from(plan.timer) / pts.len().max(1) as f64;
        for p in pts {
            if let Some(h) = p.hr
                && let Some(z) = ZONE_FLOORS.iter().rposition(|f| f64::from(h) >= *f)
            {
                secs[z] += per;
            }
        }
    }
    Value::from(
        ZONE_FLOORS
            .iter()
            .zip(secs)
            .enumerate()
            .map(|(i, (f, s))| json!({"zoneNumber": i + 1, "secsInZone": r3(s), "zoneLowBoundary": f}))
            .collect::<Vec<_>>(),
    )
}

pub(super) fn samples(a: &Activity) -> Value {
    if a.spec.source == Source::Manual {
        return json!({
            "activityId": a.id(), "measurementCount": 0, "metricsCount": 0, "totalMetricsCount": 0,
            "metricDescriptors": [], "activityDetailMetrics": [], "geoPolylineDTO": null,
            "heartRateDTOs": null, "pendingData": null, "detailsAvailable": false
        });
    }
    let segs = a.segments();
    let pts: Vec<_> = segs.iter().flat_map(Plan::points).collect();
    let start = a.start();
    let gps = pts.iter().any(|p| p.lat.is_some());
    let has = |f: fn(&super::plan::Point) -> bool| pts.iter().any(f);
    let cad_key = if is_bike(a.kind) {
        "directBikeCadence"
    } else if is_swim(a.kind) {
        "directSwimCadence"
    } else {
        "directRunCadence"
    };
    let mut keys: Vec<(&str, &str, f64)> = vec![
        ("directTimestamp", "gmt", 0.0),
        ("sumDuration", "second", 1.0),
        ("sumElapsedDuration", "second", 1.0),
    ];
    let want = [
        (has(|p| p.distance.is_some()), "sumDistance", "meter", 100.0),
        (gps, "directLatitude", "dd", 1.0),
        (gps, "directLongitude", "dd", 1.0),
        (has(|p| p.alt.is_some()), "directElevation", "meter", 100.0),
        (has(|p| p.hr.is_some()), "directHeartRate", "bpm", 1.0),
        (has(|p| p.speed.is_some()), "directSpeed", "mps", 0.1),
        (has(|p| p.cadence.is_some()), cad_key, "stepsPerMinute", 1.0),
        (has(|p| p.power.is_some()), "directPower", "watt", 1.0),
    ];
    keys.extend(want.iter().filter(|w| w.0).map(|w| (w.1, w.2, w.3)));
    let descriptors: Vec<Value> = keys
        .iter()
        .enumerate()
        .map(|(i, (k, u, f))| json!({"metricsIndex": i, "key": k, "unit": {"id": i + 1, "key": u, "factor": f}}))
        .collect();
    // Garmin caps the chart at about 2,000 rows.
    let stride = pts.len().div_ceil(2000).max(1);
    let mut timer_before = 0.0;
    let mut rows = Vec::with_capacity(pts.len() / stride + 1);
    let mut seg_timer_offsets = Vec::new();
    for s in &segs {
        seg_timer_offsets.push(timer_before);
        timer_before += f64::from(s.timer);
    }
    let mut idx = 0usize;
    let mut polyline = Vec::new();
    for (si, s) in segs.iter().enumerate() {
        let n = s.point_count();
        for p in pts.iter().skip(idx).take(n) {
            if idx.is_multiple_of(stride) || idx + 1 == pts.len() {
                let mut row = vec![
                    Value::from((p.time * 1000) as f64),
                    Value::from(seg_timer_offsets[si] + f64::from(p.timer)),
                    Value::from((p.time - start) as f64),
                ];
                for w in &want {
                    if !w.0 {
                        continue;
                    }
                    row.push(match w.1 {
                        "sumDistance" => opt(p.distance),
                        "directLatitude" => opt(p.lat),
                        "directLongitude" => opt(p.lon),
                        "directElevation" => opt(p.alt),
                        "directHeartRate" => opt(p.hr.map(f64::from)),
                        "directSpeed" => opt(p.speed),
                        "directPower" => opt(p.power.map(f64::from)),
                        _ => opt(p.cadence.map(|c| {
                            if is_foot(a.kind) {
                                f64::from(c) * 2.0
                            } else {
                                f64::from(c)
                            }
                        })),
                    });
                }
                rows.push(json!({"metrics": row}));
                if let (Some(lat), Some(lon)) = (p.lat, p.lon) {
                    polyline.push(
                        json!({"lat": lat, "lon": lon, "altitude": p.alt, "time": p.time * 1000,
                        "timerStart": false, "timerStop": false, "distanceFromPreviousPoint": null,
                        "distanceInMeters": p.distance, "speed": p.speed, "cumulativeAscent": null,
                        "cumulativeDescent": null, "extendedCoordinate": false, "valid": true}),
                    );
                }
            }
            idx += 1;
        }
    }
    let geo = if gps {
        let lats = polyline.iter().filter_map(|p| p["lat"].as_f64());
        let lons = polyline.iter().filter_map(|p| p["lon"].as_f64());
        let (min_lat, max_lat) = lats.fold((f64::MAX, f64::MIN), |a, v| (a.0.min(v), a.1.max(v)));
        let (min_lon, max_lon) = lons.fold((f64::MAX, f64::MIN), |a, v| (a.0.min(v), a.1.max(v)));
        json!({
            "startPoint": polyline.first(), "endPoint": polyline.last(),
            "minLat": min_lat, "maxLat": max_lat, "minLon": min_lon, "maxLon": max_lon,
            "polyline": polyline,
        })
    } else {
        Value::Null
    };
    json!({
        "activityId": a.id(),
        "measurementCount": keys.len(),
        "metricsCount": rows.len(),
        "totalMetricsCount": pts.len(),
        "metricDescriptors": descriptors,
        "activityDetailMetrics": rows,
        "geoPolylineDTO": geo,
        "heartRateDTOs": null,
        "pendingData": null,
        "detailsAvailable": true,
    })
}

fn gear_json(g: &Gear, seed: u64) -> Value {
    json!({
        "gearPk": g.pk,
        "uuid": g.uuid,
        "userProfilePk": profile_id(seed),
        "gearMakeName": g.make,
        "gearModelName": g.model,
        "gearTypeName": g.type_name,
        "gearStatusName": "active",
        "displayName": g.display,
        "customMakeModel": g.custom_make_model,
        "imageNameLarge": null,
        "imageNameMedium": null,
        "imageNameSmall": null,
        "dateBegin": g.begin,
        "dateEnd": null,
        "maximumMeters": g.max_meters,
        "notified": false,
        "createDate": g.begin,
        "updateDate": g.begin,
    })
}

/// Every gear item of the account (`filterGear?userProfilePk=`), in the catalogue's order: the
/// same item shape as the per-activity answer.
pub(super) fn all_gear(seed: u64) -> Value {
    GEAR.iter()
        .map(|g| gear_json(g, seed))
        .collect::<Vec<_>>()
        .into()
}

/// Whether the gear item `uuid` exists in the catalogue.
pub(super) fn gear_exists(uuid: &str) -> bool {
    GEAR.iter().any(|g| g.uuid == uuid)
}

pub(super) fn gear(a: &Activity) -> Value {
    let begin = |g: &Gear| {
        chrono::NaiveDateTime::parse_from_str(g.begin, "%Y-%m-%dT%H:%M:%S%.f")
            .map(|d| d.and_utc().timestamp())
            .unwrap_or(0)
    };
    if a.spec.source == Source::Manual
        || a.is_multisport_parent()
        || Draws::new(a.spec.seed, a.id() as u64, Purpose::Gear).below(100) < 12
    {
        return json!([]);
    }
    let t = a.start();
    let picks: Vec<&Gear> = match a.kind {
        k if is_foot(k) && k != Kind::Walking => {
            if t >= begin(&GEAR[0]) {
                vec![&GEAR[0]]
            } else if t >= begin(&GEAR[1]) {
                vec![&GEAR[1]]
            } else {
                vec![]
            }
        }
        Kind::Cycling | Kind::VirtualRide | Kind::IndoorCycling => {
            let mut v = Vec::new();
            if t >= begin(&GEAR[2]) {
                v.push(&GEAR[2]);
            }
            if a.kind != Kind::Cycling && t >= begin(&GEAR[3]) {
                v.push(&GEAR[3]);
            }
            v
        }
        _ => vec![],
    };
    picks
        .into_iter()
        .map(|g| gear_json(g, a.spec.seed))
        .collect::<Vec<_>>()
        .into()
}
