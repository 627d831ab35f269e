//! The `summarizedActivities` chunks: read one item at a time (a chunk is never held whole),
//! and each item turned into what the online API would have said, so that the same CSV code
//! fills the same columns.
//!
//! The export's names and units (docs/protocol.md, "The data export"): times in epoch ms (`startTimeLocal` already
//! shifted to local time), durations in ms, distances and elevations in cm, speeds in cm/ms.

use std::fmt;
use std::io::Read;

use chrono::{DateTime, NaiveDateTime};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value, json};

use crate::model::{ORIGIN_EXPORT, ORIGIN_KEY, as_i64};

/// Calls `each` with every item of every `summarizedActivitiesExport` array in `reader`
/// (`[{"summarizedActivitiesExport":[...]}]`; other keys are skipped unread).
pub(crate) fn for_each_item<R: Read>(
    reader: R,
    each: &mut dyn FnMut(Value),
) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    Outer { each }.deserialize(&mut de)?;
    de.end()
}

struct Outer<'a> {
    each: &'a mut dyn FnMut(Value),
}

impl<'de> DeserializeSeed<'de> for Outer<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Outer<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list or object holding summarizedActivitiesExport")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Outer { each: self.each })?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "summarizedActivitiesExport" {
                map.next_value_seed(Items { each: self.each })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Items<'a> {
    each: &'a mut dyn FnMut(Value),
}

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of activities")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Value>()? {
            (self.each)(item);
        }
        Ok(())
    }
}

/// What the importer keeps of one exported activity.
#[derive(Clone, Debug)]
pub(crate) struct Converted {
    pub id: i64,
    pub parent_id: Option<i64>,
    /// UTC start, epoch ms (what uploads are matched against).
    pub start_ms: Option<i64>,
    pub manual: bool,
    /// The list item and details, with the online names and units.
    pub list: Value,
    pub details: Value,
}

fn f(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64).filter(|x| x.is_finite())
}

fn ms_to_naive(ms: f64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms.round() as i64).map(|t| t.naive_utc())
}

/// `typeKey` -> (typeId, parentTypeId) for the keys Garmin uses most; unknown keys get their
/// parent from the export's `sportType`.
fn type_ids(key: &str) -> Option<(i64, i64)> {
    Some(match key {
        "running" => (1, 17),
        "cycling" => (2, 17),
        "hiking" => (3, 17),
        "other" => (4, 17),
        "mountain_biking" => (5, 2),
        "trail_running" => (6, 1),
        "street_running" => (7, 1),
        "track_running" => (8, 1),
        "walking" => (9, 17),
        "road_biking" => (10, 2),
        "indoor_cardio" => (11, 29),
        "strength_training" => (13, 29),
        "casual_walking" => (15, 9),
        "speed_walking" => (16, 9),
        "treadmill_running" => (18, 1),
        "cyclocross" => (19, 2),
        "track_cycling" => (21, 2),
        "indoor_cycling" => (25, 2),
        "swimming" => (26, 17),
        "lap_swimming" => (27, 26),
        "open_water_swimming" => (28, 26),
        "fitness_equipment" => (29, 17),
        "elliptical" => (30, 29),
        "stair_climbing" => (31, 29),
        "indoor_rowing" => (32, 29),
        "transition" => (83, 4),
        "multi_sport" => (89, 17),
        "virtual_ride" => (152, 2),
        "virtual_run" => (153, 1),
        "yoga" => (163, 29),
        "indoor_running" => (156, 1),
        _ => return None,
    })
}

fn parent_of_sport(sport: &str) -> Option<i64> {
    Some(match sport.to_ascii_uppercase().as_str() {
        "RUNNING" => 1,
        "CYCLING" => 2,
        "SWIMMING" => 26,
        "TRAINING" | "FITNESS_EQUIPMENT" => 29,
        "WALKING" => 9,
        "HIKING" => 17,
        _ => 17,
    })
}

fn event_key(id: i64) -> Option<&'static str> {
    Some(match id {
        1 => "race",
        2 => "recreation",
        3 => "specialEvent",
        4 => "training",
        5 => "transportation",
        6 => "touring",
        7 => "geocaching",
        8 => "fitness",
        9 => "uncategorized",
        _ => return None,
    })
}

/// One export item as the API's list item and details. `None` without an `activityId`.
pub(crate) fn convert(item: &Value) -> Option<Converted> {
    let common = Common::read(item)?;
    Some(Converted {
        id: common.id,
        parent_id: common.parent_id,
        start_ms: common.gmt_ms.map(|m| m.round() as i64),
        manual: common.manual,
        list: Value::Object(list_item(item, &common)),
        details: Value::Object(details(item, &common)),
    })
}

/// What the list item and the details both show, read once from an export item.
struct Common {
    id: i64,
    parent_id: Option<i64>,
    gmt_ms: Option<f64>,
    gmt: Option<NaiveDateTime>,
    local: Option<NaiveDateTime>,
    manual: bool,
    activity_type: Value,
    event_type: Option<Value>,
    privacy: Option<Value>,
    distance: Option<f64>,
    moving: Option<f64>,
}

impl Common {
    fn read(item: &Value) -> Option<Common> {
        let id = item.get("activityId").and_then(as_i64)?;
        let parent_id = item.get("parentId").and_then(as_i64);
        let gmt_ms = f(item, "startTimeGmt").or_else(|| f(item, "beginTimestamp"));
        let local_ms = f(item, "startTimeLocal");
        let gmt = gmt_ms.and_then(ms_to_naive);
        let local = local_ms.and_then(ms_to_naive).or(gmt);
        let manual = item
            .get("manualActivity")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let units = Units(item);
        Some(Common {
            id,
            parent_id,
            gmt_ms,
            gmt,
            local,
            manual,
            activity_type: activity_type(item),
            event_type: item
                .get("eventTypeId")
                .and_then(as_i64)
                .and_then(|e| Some(json!({"typeId": e, "typeKey": event_key(e)?}))),
            privacy: item
                .get("rule")
                .and_then(Value::as_str)
                .map(|r| json!({"typeKey": r})),
            distance: units.metres("distance"),
            moving: units.secs("movingDuration"),
        })
    }
}

/// The API's `activityType` from the export's type key (or sport, when the key is unknown).
fn activity_type(item: &Value) -> Value {
    let type_key = item.get("activityType").and_then(|t| match t {
        Value::String(s) => Some(s.clone()),
        // Tolerate the API's object form too.
        Value::Object(o) => o.get("typeKey").and_then(Value::as_str).map(String::from),
        _ => None,
    });
    let sport = item.get("sportType").and_then(Value::as_str).unwrap_or("");
    let (type_id, parent_type_id) = match type_key.as_deref().and_then(type_ids) {
        Some((t, p)) => (Some(t), Some(p)),
        None => (None, parent_of_sport(sport)),
    };
    json!({
        "typeId": type_id,
        "typeKey": type_key,
        "parentTypeId": parent_type_id,
    })
}

/// An export item's values in the API's units: the export counts milliseconds,
/// centimetres and centimetres per millisecond.
struct Units<'a>(&'a Value);

impl Units<'_> {
    fn secs(&self, k: &str) -> Option<f64> {
        f(self.0, k).map(|v| v / 1000.0)
    }
    fn metres(&self, k: &str) -> Option<f64> {
        f(self.0, k).map(|v| v / 100.0)
    }
    fn mps(&self, k: &str) -> Option<f64> {
        f(self.0, k).map(|v| v * 10.0)
    }
    /// A value whose unit is the API's already.
    fn copy(&self, k: &str) -> Option<Value> {
        self.0.get(k).filter(|v| !v.is_null()).cloned()
    }
}

/// Sets `k` when there is a value: a missing value stays missing, as in Garmin's answers.
fn put(m: &mut Map<String, Value>, k: &str, v: Option<Value>) {
    if let Some(v) = v.filter(|v| !v.is_null()) {
        m.insert(k.into(), v);
    }
}

fn num(v: Option<f64>) -> Option<Value> {
    v.map(Value::from)
}

/// The item as the activity list shows it.
fn list_item(item: &Value, c: &Common) -> Map<String, Value> {
    let u = Units(item);
    let copy = |k: &str| u.copy(k);
    let mut l = Map::new();
    put(&mut l, "activityId", Some(c.id.into()));
    put(&mut l, "activityName", copy("name"));
    put(&mut l, "description", copy("description"));
    let list_time = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    put(
        &mut l,
        "startTimeLocal",
        c.local.map(|t| list_time(t).into()),
    );
    put(&mut l, "startTimeGMT", c.gmt.map(|t| list_time(t).into()));
    put(
        &mut l,
        "beginTimestamp",
        c.gmt_ms.map(|m| Value::from(m.round() as i64)),
    );
    put(&mut l, "activityType", Some(c.activity_type.clone()));
    put(&mut l, "eventType", c.event_type.clone());
    put(&mut l, "privacy", c.privacy.clone());
    put(&mut l, "parentId", c.parent_id.map(Value::from));
    put(&mut l, "distance", num(c.distance));
    put(&mut l, "duration", num(u.secs("duration")));
    put(&mut l, "elapsedDuration", num(u.secs("elapsedDuration")));
    put(&mut l, "movingDuration", num(c.moving));
    put(&mut l, "elevationGain", num(u.metres("elevationGain")));
    put(&mut l, "elevationLoss", num(u.metres("elevationLoss")));
    put(&mut l, "averageSpeed", num(u.mps("avgSpeed")));
    put(&mut l, "maxSpeed", num(u.mps("maxSpeed")));
    for (api, export) in [
        ("averageHR", "avgHr"),
        ("maxHR", "maxHr"),
        ("calories", "calories"),
        ("steps", "steps"),
        ("averageRunningCadenceInStepsPerMinute", "avgRunCadence"),
        ("maxRunningCadenceInStepsPerMinute", "maxRunCadence"),
        ("averageBikingCadenceInRevPerMinute", "avgBikeCadence"),
        ("maxBikingCadenceInRevPerMinute", "maxBikeCadence"),
        ("avgPower", "avgPower"),
        ("maxPower", "maxPower"),
        ("normPower", "normPower"),
        ("strokes", "strokes"),
        ("vO2MaxValue", "vO2MaxValue"),
        ("aerobicTrainingEffect", "aerobicTrainingEffect"),
        ("anaerobicTrainingEffect", "anaerobicTrainingEffect"),
    ] {
        put(&mut l, api, copy(export));
    }
    for k in [
        "startLatitude",
        "startLongitude",
        "endLatitude",
        "endLongitude",
        "locationName",
        "deviceId",
        "manufacturer",
        "lapCount",
        "minTemperature",
        "maxTemperature",
        "manualActivity",
        "elevationCorrected",
        "favorite",
        "pr",
    ] {
        put(&mut l, k, copy(k));
    }
    put(
        &mut l,
        "hasPolyline",
        Some(
            item.get("startLatitude")
                .is_some_and(|v| !v.is_null())
                .into(),
        ),
    );
    if let Some(ids) = item.get("childIds").filter(|v| v.is_array()) {
        put(&mut l, "childIds", Some(ids.clone()));
    }
    l.insert(ORIGIN_KEY.into(), ORIGIN_EXPORT.into());
    l
}

/// The details' `summaryDTO`.
fn summary_dto(item: &Value, c: &Common) -> Map<String, Value> {
    let u = Units(item);
    let copy = |k: &str| u.copy(k);
    let moving_speed = match (c.distance, c.moving) {
        (Some(d), Some(m)) if m > 0.0 => Some(d / m),
        _ => None,
    };
    let mut s = Map::new();
    let detail_time = |t: NaiveDateTime| t.format("%Y-%m-%dT%H:%M:%S.0").to_string();
    put(
        &mut s,
        "startTimeLocal",
        c.local.map(|t| detail_time(t).into()),
    );
    put(&mut s, "startTimeGMT", c.gmt.map(|t| detail_time(t).into()));
    put(&mut s, "distance", num(c.distance));
    put(&mut s, "duration", num(u.secs("duration")));
    put(&mut s, "movingDuration", num(c.moving));
    put(&mut s, "elapsedDuration", num(u.secs("elapsedDuration")));
    put(&mut s, "elevationGain", num(u.metres("elevationGain")));
    put(&mut s, "elevationLoss", num(u.metres("elevationLoss")));
    put(&mut s, "minElevation", num(u.metres("minElevation")));
    put(&mut s, "maxElevation", num(u.metres("maxElevation")));
    put(&mut s, "averageSpeed", num(u.mps("avgSpeed")));
    put(&mut s, "averageMovingSpeed", num(moving_speed));
    put(&mut s, "maxSpeed", num(u.mps("maxSpeed")));
    for (api, export) in [
        ("calories", "calories"),
        ("bmrCalories", "bmrCalories"),
        ("averageHR", "avgHr"),
        ("maxHR", "maxHr"),
        ("minHR", "minHr"),
        ("averageRunCadence", "avgRunCadence"),
        ("maxRunCadence", "maxRunCadence"),
        ("strideLength", "avgStrideLength"),
        ("steps", "steps"),
        ("averageBikeCadence", "avgBikeCadence"),
        ("maxBikeCadence", "maxBikeCadence"),
        ("averagePower", "avgPower"),
        ("maxPower", "maxPower"),
        ("normalizedPower", "normPower"),
        ("averageSwimCadence", "avgSwimCadence"),
        ("trainingEffect", "aerobicTrainingEffect"),
        ("anaerobicTrainingEffect", "anaerobicTrainingEffect"),
        ("startLatitude", "startLatitude"),
        ("startLongitude", "startLongitude"),
        ("endLatitude", "endLatitude"),
        ("endLongitude", "endLongitude"),
    ] {
        put(&mut s, api, copy(export));
    }
    s
}

/// The details' `metadataDTO`.
fn metadata_dto(item: &Value, c: &Common) -> Map<String, Value> {
    let u = Units(item);
    let mut meta = Map::new();
    put(&mut meta, "manualActivity", Some(c.manual.into()));
    put(
        &mut meta,
        "elevationCorrected",
        u.copy("elevationCorrected"),
    );
    put(&mut meta, "lapCount", u.copy("lapCount"));
    if let Some(ids) = item.get("childIds").filter(|v| v.is_array()) {
        put(&mut meta, "childIds", Some(ids.clone()));
    }
    meta
}

/// The item as the activity's details show it.
fn details(item: &Value, c: &Common) -> Map<String, Value> {
    let u = Units(item);
    let mut d = Map::new();
    put(&mut d, "activityId", Some(c.id.into()));
    put(&mut d, "activityName", u.copy("name"));
    put(&mut d, "description", u.copy("description"));
    put(&mut d, "locationName", u.copy("locationName"));
    put(&mut d, "activityTypeDTO", Some(c.activity_type.clone()));
    put(&mut d, "eventTypeDTO", c.event_type.clone());
    put(&mut d, "accessControlRuleDTO", c.privacy.clone());
    put(&mut d, "parentId", c.parent_id.map(Value::from));
    put(
        &mut d,
        "isMultiSportParent",
        Some(
            item.get("parent")
                .and_then(Value::as_bool)
                .unwrap_or(false)
                .into(),
        ),
    );
    d.insert("metadataDTO".into(), Value::Object(metadata_dto(item, c)));
    d.insert("summaryDTO".into(), Value::Object(summary_dto(item, c)));
    d.insert(ORIGIN_KEY.into(), ORIGIN_EXPORT.into());
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_streamed_and_other_keys_skipped() {
        let json = br#"[{"other": {"deep": [1, 2, {"x": 3}]}, "summarizedActivitiesExport": [{"activityId": 1}, {"activityId": 2}]}, {"summarizedActivitiesExport": [{"activityId": 3}]}]"#;
        let mut ids = Vec::new();
        for_each_item(&json[..], &mut |v| {
            ids.push(v["activityId"].as_i64().unwrap())
        })
        .unwrap();
        assert_eq!(ids, vec![1, 2, 3]);
        assert!(for_each_item(&b"[{\"summarizedActivitiesExport\": [{"[..], &mut |_| {}).is_err());
    }

    #[test]
    fn units_become_the_apis() {
        let item = json!({"activityId": 9, "name": "Run", "activityType": "trail_running",
            "startTimeGmt": 1_700_000_000_000.0, "startTimeLocal": 1_700_003_600_000.0,
            "duration": 3_600_000.0, "distance": 1_000_000.0, "avgSpeed": 0.28, "elevationGain": 12_345.0,
            "movingDuration": 3_000_000.0});
        let c = convert(&item).unwrap();
        assert_eq!(c.list["startTimeGMT"], "2023-11-14 22:13:20");
        assert_eq!(c.list["startTimeLocal"], "2023-11-14 23:13:20");
        assert_eq!(c.list["duration"], 3600.0);
        assert_eq!(c.list["distance"], 10_000.0);
        assert_eq!(c.list["activityType"]["parentTypeId"], 1);
        assert!((c.list["averageSpeed"].as_f64().unwrap() - 2.8).abs() < 1e-12);
        assert_eq!(c.details["summaryDTO"]["elevationGain"], 123.45);
        assert!(
            (c.details["summaryDTO"]["averageMovingSpeed"]
                .as_f64()
                .unwrap()
                - 10.0 / 3.0)
                .abs()
                < 1e-12
        );
        assert_eq!(c.start_ms, Some(1_700_000_000_000));
    }
}
