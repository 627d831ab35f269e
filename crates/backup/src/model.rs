//! What the engine knows of an activity: the raw JSON Garmin gave (kept whole, so the CSV
//! and future columns never need a refetch) and the few fields the engine itself reads.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub type ActivityId = i64;

/// Marks JSON the importer made up from an export, so that richer online data replaces it
/// and never the other way round. The archive reads it, the importer writes it.
pub const ORIGIN_KEY: &str = "gcexportOrigin";
pub const ORIGIN_EXPORT: &str = "garmin-data-export";

/// One kind of file a backup can hold for an activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The uploaded file, as Garmin's ZIP or unzipped.
    Original,
    Gpx,
    Tcx,
    Kml,
    /// The activity details JSON (no extra request: it is fetched anyway).
    Json,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Original,
        Format::Gpx,
        Format::Tcx,
        Format::Kml,
        Format::Json,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Format::Original => "original",
            Format::Gpx => "gpx",
            Format::Tcx => "tcx",
            Format::Kml => "kml",
            Format::Json => "json",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.key().eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// An activity as the archive holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    pub id: ActivityId,
    /// Set for a multisport leg.
    pub parent_id: Option<ActivityId>,
    /// The list item; for a leg (never listed) a summary built from its details.
    pub summary: Value,
    pub details: Option<Value>,
}

impl Activity {
    /// From an item of the activity list. `None` if it carries no usable id.
    pub fn from_list_item(item: Value) -> Option<Activity> {
        let id = item.get("activityId").and_then(as_i64)?;
        let parent_id = item.get("parentId").and_then(as_i64);
        Some(Activity {
            id,
            parent_id,
            summary: item,
            details: None,
        })
    }

    /// A multisport leg is not in the list: its summary is made from its details, with the
    /// list's field names, so the rest of the engine treats it like any activity.
    pub fn leg_from_details(parent_id: ActivityId, details: Value) -> Option<Activity> {
        let id = details.get("activityId").and_then(as_i64)?;
        let s = details.get("summaryDTO").cloned().unwrap_or(Value::Null);
        let t = details
            .get("activityTypeDTO")
            .cloned()
            .unwrap_or(Value::Null);
        let e = details.get("eventTypeDTO").cloned().unwrap_or(Value::Null);
        let mut summary = serde_json::Map::new();
        summary.insert("activityId".into(), Value::from(id));
        summary.insert("parentId".into(), Value::from(parent_id));
        for key in ["activityName", "description", "locationName"] {
            if let Some(v) = details.get(key) {
                summary.insert(key.into(), v.clone());
            }
        }
        summary.insert("activityType".into(), t);
        summary.insert("eventType".into(), e);
        for (from, to) in [
            ("startTimeLocal", "startTimeLocal"),
            ("startTimeGMT", "startTimeGMT"),
        ] {
            if let Some(v) = s.get(from).and_then(Value::as_str) {
                // The list's form, so one parser and one sort order serve both.
                let v = v.replace('T', " ");
                let v = v.split('.').next().unwrap_or(&v).to_string();
                summary.insert(to.into(), Value::from(v));
            }
        }
        for key in [
            "distance",
            "duration",
            "movingDuration",
            "elapsedDuration",
            "averageSpeed",
            "maxSpeed",
            "averageHR",
            "maxHR",
            "calories",
            "steps",
            "startLatitude",
            "startLongitude",
            "endLatitude",
            "endLongitude",
        ] {
            if let Some(v) = s.get(key) {
                summary.insert(key.into(), v.clone());
            }
        }
        if let Some(v) = details.pointer("/metadataDTO/elevationCorrected") {
            summary.insert("elevationCorrected".into(), v.clone());
        }
        Some(Activity {
            id,
            parent_id: Some(parent_id),
            summary: Value::Object(summary),
            details: Some(details),
        })
    }

    pub fn name(&self) -> Option<&str> {
        self.summary
            .get("activityName")
            .and_then(Value::as_str)
            .or_else(|| self.details.as_ref()?.get("activityName")?.as_str())
    }

    pub fn description(&self) -> Option<&str> {
        self.summary
            .get("description")
            .and_then(Value::as_str)
            .or_else(|| self.details.as_ref()?.get("description")?.as_str())
    }

    pub fn type_key(&self) -> Option<&str> {
        self.summary
            .pointer("/activityType/typeKey")
            .and_then(Value::as_str)
            .or_else(|| {
                self.details
                    .as_ref()?
                    .pointer("/activityTypeDTO/typeKey")?
                    .as_str()
            })
    }

    pub fn type_id(&self) -> Option<i64> {
        self.summary
            .pointer("/activityType/typeId")
            .and_then(as_i64)
    }

    pub fn start_local(&self) -> Option<NaiveDateTime> {
        self.time("startTimeLocal")
    }

    pub fn start_gmt(&self) -> Option<NaiveDateTime> {
        self.time("startTimeGMT")
    }

    /// The start as an instant (for file times).
    pub fn start_utc(&self) -> Option<DateTime<Utc>> {
        if let Some(ms) = self.summary.get("beginTimestamp").and_then(as_i64) {
            return DateTime::from_timestamp_millis(ms);
        }
        self.start_gmt().map(|t| t.and_utc())
    }

    fn time(&self, key: &str) -> Option<NaiveDateTime> {
        let from_summary = self.summary.get(key).and_then(Value::as_str);
        let from_details = || self.details.as_ref()?.get("summaryDTO")?.get(key)?.as_str();
        from_summary.or_else(from_details).and_then(parse_time)
    }

    /// The multisport legs the details name (empty for anything else).
    pub fn child_ids(&self) -> Vec<ActivityId> {
        self.details
            .as_ref()
            .and_then(|d| d.pointer("/metadataDTO/childIds"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(as_i64).collect())
            .unwrap_or_default()
    }

    pub fn is_manual(&self) -> bool {
        self.summary
            .get("manualActivity")
            .and_then(Value::as_bool)
            .or_else(|| {
                self.details
                    .as_ref()?
                    .pointer("/metadataDTO/manualActivity")?
                    .as_bool()
            })
            .unwrap_or(false)
    }
}

/// Garmin writes times as `2024-03-08 12:23:22` in the list and `2024-03-08T12:23:22.0` in
/// details; both are naive.
pub fn parse_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t);
        }
    }
    None
}

/// Ids arrive as numbers, but a tolerant reader also takes them as strings.
pub fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn leg_summary_uses_list_field_names_and_format() {
        let d = json!({"activityId": 7, "activityName": "Swim", "activityTypeDTO": {"typeKey": "open_water_swimming", "typeId": 28},
            "summaryDTO": {"startTimeLocal": "2024-03-08T12:23:22.0", "startTimeGMT": "2024-03-08T11:23:22.0", "distance": 1500.0}});
        let a = Activity::leg_from_details(5, d).unwrap();
        assert_eq!(a.parent_id, Some(5));
        assert_eq!(a.summary["startTimeLocal"], "2024-03-08 12:23:22");
        assert_eq!(a.type_key(), Some("open_water_swimming"));
        assert_eq!(a.start_gmt().unwrap().to_string(), "2024-03-08 11:23:22");
    }

    #[test]
    fn formats_parse_case_insensitively() {
        assert_eq!(Format::parse(" GPX"), Some(Format::Gpx));
        assert_eq!(Format::parse("fit"), None);
    }
}
