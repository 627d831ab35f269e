//! What the API answers, parsed tolerantly: every field optional, ids as `i64`, numbers as
//! `f64` wherever a float may come, unknown fields ignored, a malformed field read as absent
//! rather than failing the whole item.

use chrono::NaiveDateTime;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Reads a value of type `T`, or `None` when it is absent, null or of another shape.
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

/// An integer that may come as a number (possibly written as a float) or a string.
fn lenient_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_f64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn lenient_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    })
}

fn lenient_time<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<NaiveDateTime>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => parse_time(&s),
        _ => None,
    })
}

/// Both of Garmin's naive time formats: `2024-05-01 07:30:00` (lists) and
/// `2024-05-01T07:30:00.0` (details), with or without fractions.
pub fn parse_time(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim().trim_end_matches('Z');
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeRef {
    #[serde(default, deserialize_with = "lenient_i64")]
    pub type_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub type_key: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub parent_type_id: Option<i64>,
}

/// One item of the activity list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivitySummary {
    #[serde(default, deserialize_with = "lenient_i64")]
    pub activity_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub activity_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub start_time_local: Option<NaiveDateTime>,
    #[serde(default, rename = "startTimeGMT", deserialize_with = "lenient_time")]
    pub start_time_gmt: Option<NaiveDateTime>,
    /// Epoch milliseconds, UTC.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub begin_timestamp: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub activity_type: Option<TypeRef>,
    #[serde(default, deserialize_with = "lenient")]
    pub event_type: Option<TypeRef>,
    /// Metres.
    #[serde(default, deserialize_with = "lenient_f64")]
    pub distance: Option<f64>,
    /// Seconds.
    #[serde(default, deserialize_with = "lenient_f64")]
    pub duration: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub moving_duration: Option<f64>,
    /// As Garmin sent it: seconds now, milliseconds in older data (see
    /// [`ActivitySummary::elapsed_seconds`]).
    #[serde(default, deserialize_with = "lenient_f64")]
    pub elapsed_duration: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub elevation_gain: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub elevation_loss: Option<f64>,
    /// As Garmin sent it: metres now, centimetres in older data (see
    /// [`ActivitySummary::min_elevation_m`]).
    #[serde(default, deserialize_with = "lenient_f64")]
    pub min_elevation: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub max_elevation: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub average_speed: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub max_speed: Option<f64>,
    #[serde(default, rename = "averageHR", deserialize_with = "lenient_f64")]
    pub average_hr: Option<f64>,
    #[serde(default, rename = "maxHR", deserialize_with = "lenient_f64")]
    pub max_hr: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub calories: Option<f64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub steps: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub lap_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub average_running_cadence_in_steps_per_minute: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub average_biking_cadence_in_rev_per_minute: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub avg_power: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub max_power: Option<f64>,
    #[serde(default, rename = "vO2MaxValue", deserialize_with = "lenient_f64")]
    pub vo2_max_value: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub aerobic_training_effect: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub anaerobic_training_effect: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub start_latitude: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub start_longitude: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub end_latitude: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub end_longitude: Option<f64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub has_polyline: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub manual_activity: Option<bool>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub device_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub location_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub manufacturer: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub parent_id: Option<i64>,
}

/// Older data gave `elapsedDuration` in milliseconds: a value far above `duration` (or
/// above a week, without one) is taken as such.
fn elapsed_seconds(elapsed: Option<f64>, duration: Option<f64>) -> Option<f64> {
    let e = elapsed?;
    let is_ms = match duration {
        Some(d) if d > 0.0 => e > d * 100.0,
        _ => e > 7.0 * 86_400.0,
    };
    Some(if is_ms { e / 1000.0 } else { e })
}

/// Older data gave min/max elevation in centimetres. No land is above 9 km, so a larger
/// magnitude is centimetres; smaller values are taken as metres.
fn elevation_m(value: Option<f64>) -> Option<f64> {
    value.map(|v| if v.abs() > 9_000.0 { v / 100.0 } else { v })
}

impl ActivitySummary {
    pub fn elapsed_seconds(&self) -> Option<f64> {
        elapsed_seconds(self.elapsed_duration, self.duration)
    }

    pub fn min_elevation_m(&self) -> Option<f64> {
        elevation_m(self.min_elevation)
    }

    pub fn max_elevation_m(&self) -> Option<f64> {
        elevation_m(self.max_elevation)
    }

    pub fn type_key(&self) -> Option<&str> {
        self.activity_type.as_ref()?.type_key.as_deref()
    }
}

/// An activity's details: the whole JSON as Garmin sent it, and the fields this client reads.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ActivityDetails {
    pub raw: Value,
    pub activity_id: Option<i64>,
    pub activity_name: Option<String>,
    pub description: Option<String>,
    pub activity_type: Option<TypeRef>,
    pub event_type: Option<TypeRef>,
    pub time_zone: Option<String>,
    pub file_format: Option<String>,
    /// The legs of a multisport parent.
    pub child_ids: Vec<i64>,
    pub parent_id: Option<i64>,
    pub manual_activity: Option<bool>,
    pub device_application_installation_id: Option<i64>,
    pub device_id: Option<String>,
    pub location_name: Option<String>,
    pub start_time_local: Option<NaiveDateTime>,
    pub start_time_gmt: Option<NaiveDateTime>,
    pub distance: Option<f64>,
    pub duration: Option<f64>,
    pub moving_duration: Option<f64>,
    pub elapsed_duration: Option<f64>,
    pub elevation_gain: Option<f64>,
    pub elevation_loss: Option<f64>,
    pub min_elevation: Option<f64>,
    pub max_elevation: Option<f64>,
    pub average_speed: Option<f64>,
    pub max_speed: Option<f64>,
    pub calories: Option<f64>,
    pub average_hr: Option<f64>,
    pub max_hr: Option<f64>,
}

impl ActivityDetails {
    pub fn from_value(raw: Value) -> ActivityDetails {
        let at = |path: &[&str]| -> Option<&Value> {
            let mut v = &raw;
            for key in path {
                v = v.get(key)?;
            }
            (!v.is_null()).then_some(v)
        };
        let f = |path: &[&str]| at(path).and_then(value_f64);
        let i = |path: &[&str]| at(path).and_then(value_i64);
        let s = |path: &[&str]| at(path).and_then(value_string);
        let type_ref = |key: &str| at(&[key]).and_then(|v| serde_json::from_value(v.clone()).ok());
        let summary = |key: &str| f(&["summaryDTO", key]);
        ActivityDetails {
            activity_id: i(&["activityId"]),
            activity_name: s(&["activityName"]),
            description: s(&["description"]),
            activity_type: type_ref("activityTypeDTO"),
            event_type: type_ref("eventTypeDTO"),
            time_zone: s(&["timeZoneUnitDTO", "timeZone"]),
            file_format: s(&["metadataDTO", "fileFormat", "formatKey"]),
            child_ids: at(&["metadataDTO", "childIds"])
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(value_i64).collect())
                .unwrap_or_default(),
            parent_id: i(&["parentId"]),
            manual_activity: at(&["metadataDTO", "manualActivity"]).and_then(Value::as_bool),
            device_application_installation_id: i(&[
                "metadataDTO",
                "deviceApplicationInstallationId",
            ]),
            device_id: s(&["metadataDTO", "deviceMetaDataDTO", "deviceId"]),
            location_name: s(&["locationName"]),
            start_time_local: s(&["summaryDTO", "startTimeLocal"])
                .as_deref()
                .and_then(parse_time),
            start_time_gmt: s(&["summaryDTO", "startTimeGMT"])
                .as_deref()
                .and_then(parse_time),
            distance: summary("distance"),
            duration: summary("duration"),
            moving_duration: summary("movingDuration"),
            elapsed_duration: summary("elapsedDuration"),
            elevation_gain: summary("elevationGain"),
            elevation_loss: summary("elevationLoss"),
            min_elevation: summary("minElevation"),
            max_elevation: summary("maxElevation"),
            average_speed: summary("averageSpeed"),
            max_speed: summary("maxSpeed"),
            calories: summary("calories"),
            average_hr: summary("averageHR"),
            max_hr: summary("maxHR"),
            raw,
        }
    }

    pub fn elapsed_seconds(&self) -> Option<f64> {
        elapsed_seconds(self.elapsed_duration, self.duration)
    }

    pub fn min_elevation_m(&self) -> Option<f64> {
        elevation_m(self.min_elevation)
    }

    pub fn max_elevation_m(&self) -> Option<f64> {
        elevation_m(self.max_elevation)
    }

    pub fn is_multisport_parent(&self) -> bool {
        !self.child_ids.is_empty()
    }
}

fn value_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn value_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn value_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `socialProfile`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    #[serde(default, deserialize_with = "lenient_i64")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub profile_id: Option<i64>,
    /// May be a UUID.
    #[serde(default, deserialize_with = "lenient_string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub full_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub user_name: Option<String>,
}

/// `user-settings`, the part this client reads, and the rest as sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct UserSettings {
    pub raw: Value,
    /// `metric` or `statute_us`.
    pub measurement_system: Option<String>,
    pub time_format: Option<String>,
}

impl UserSettings {
    pub fn from_value(raw: Value) -> UserSettings {
        let user_data = raw.get("userData");
        let s = |key: &str| user_data.and_then(|u| u.get(key)).and_then(value_string);
        UserSettings {
            measurement_system: s("measurementSystem"),
            time_format: s("timeFormat"),
            raw,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_item_tolerates_nulls_strings_floats_and_unknown_fields() {
        let item: ActivitySummary = serde_json::from_str(
            r#"{"activityId": 21474836470, "activityName": "Run 🏃 \"a/b\"\nx", "startTimeLocal": "2024-05-01 07:30:00",
                "startTimeGMT": "2024-05-01 05:30:00", "beginTimestamp": 1714541400000.0,
                "activityType": {"typeId": 1, "typeKey": "running", "parentTypeId": 17, "isHidden": false},
                "distance": 10000, "duration": "3600.5", "averageHR": 150.0, "steps": 9000.0,
                "hasPolyline": null, "deviceId": "3952483934", "unknownThing": {"a": [1,2]},
                "eventType": "not-an-object", "calories": null}"#,
        )
        .unwrap();
        assert_eq!(item.activity_id, Some(21_474_836_470));
        assert_eq!(item.type_key(), Some("running"));
        assert_eq!(item.distance, Some(10_000.0));
        assert_eq!(item.duration, Some(3600.5));
        assert_eq!(item.steps, Some(9000));
        assert_eq!(item.device_id, Some(3_952_483_934));
        assert_eq!(item.begin_timestamp, Some(1_714_541_400_000));
        assert_eq!(item.event_type, None);
        assert_eq!(item.start_time_local, parse_time("2024-05-01T07:30:00.0"));
        let empty: ActivitySummary = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, ActivitySummary::default());
    }

    #[test]
    fn both_time_formats() {
        let a = parse_time("2024-05-01 07:30:00").unwrap();
        assert_eq!(parse_time("2024-05-01T07:30:00.0"), Some(a));
        assert_eq!(parse_time("2024-05-01T07:30:00"), Some(a));
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn older_unit_quirks() {
        let old: ActivitySummary = serde_json::from_str(
            r#"{"duration": 3600, "elapsedDuration": 3700000, "minElevation": 15000, "maxElevation": 45050}"#,
        )
        .unwrap();
        assert_eq!(old.elapsed_seconds(), Some(3700.0));
        assert_eq!(old.min_elevation_m(), Some(150.0));
        assert_eq!(old.max_elevation_m(), Some(450.5));
        let new: ActivitySummary = serde_json::from_str(
            r#"{"duration": 3600, "elapsedDuration": 3700, "minElevation": 150, "maxElevation": 4500}"#,
        )
        .unwrap();
        assert_eq!(new.elapsed_seconds(), Some(3700.0));
        assert_eq!(new.min_elevation_m(), Some(150.0));
        assert_eq!(new.max_elevation_m(), Some(4500.0));
    }

    #[test]
    fn details_keep_raw_and_read_nested_fields() {
        let raw = serde_json::json!({
            "activityId": 12345678901_i64, "activityName": "Tri",
            "activityTypeDTO": {"typeId": 89, "typeKey": "multi_sport", "parentTypeId": 4},
            "metadataDTO": {"fileFormat": {"formatKey": "fit"}, "childIds": [1, 2, "3"], "manualActivity": false,
                            "deviceApplicationInstallationId": 777, "deviceMetaDataDTO": {"deviceId": "0"}},
            "summaryDTO": {"startTimeLocal": "2024-05-01T07:30:00.0", "distance": 51500.5, "averageHR": 140},
            "timeZoneUnitDTO": {"unitKey": "Europe/Paris", "timeZone": "Europe/Paris"},
            "somethingNew": true
        });
        let d = ActivityDetails::from_value(raw.clone());
        assert_eq!(d.raw, raw);
        assert_eq!(d.activity_id, Some(12_345_678_901));
        assert_eq!(d.child_ids, vec![1, 2, 3]);
        assert!(d.is_multisport_parent());
        assert_eq!(d.file_format.as_deref(), Some("fit"));
        assert_eq!(d.device_id.as_deref(), Some("0"));
        assert_eq!(d.device_application_installation_id, Some(777));
        assert_eq!(d.average_hr, Some(140.0));
        assert_eq!(d.time_zone.as_deref(), Some("Europe/Paris"));
        assert!(d.start_time_local.is_some());
        let none = ActivityDetails::from_value(Value::Null);
        assert_eq!(none.activity_id, None);
    }
}
