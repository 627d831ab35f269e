//! Details only where the list falls short (`docs/csv.md`, "Requests"): for most activities
//! the list item, the original file and what earlier details taught the folder give every
//! column the details would, so the details call is skipped. What stands in for them is
//! stored as the activity's details with [`MARK`] set, and holds only what the table reads.

use serde_json::{Map, Value, json};

use crate::archive::Archive;
use crate::convert::Recording;
use crate::derive::Original;
use crate::error::Result;
use crate::model::{Activity, Format};

/// Set in details made here from the list item; never in Garmin's own.
pub(crate) const MARK: &str = "gcexportInferred";

pub(crate) fn is_inferred(details: Option<&Value>) -> bool {
    details.is_some_and(|d| d.get(MARK).is_some())
}

/// Garmin's details are needed before anything else: the JSON format is those details, a
/// multisport parent names its legs only there, and a leg has nothing but them.
pub(crate) fn needed_first(a: &Activity, formats: &[Format]) -> bool {
    let l = |k: &str| a.summary.get(k).filter(|v| !v.is_null());
    formats.contains(&Format::Json)
        || a.parent_id.is_some()
        || l("parent").and_then(Value::as_bool) == Some(true)
        || l("childIds")
            .and_then(Value::as_array)
            .is_some_and(|c| !c.is_empty())
        || a.type_key() == Some("multi_sport")
}

fn f(a: &Activity, k: &str) -> Option<f64> {
    a.summary.get(k).and_then(Value::as_f64)
}

/// Old list items give the elapsed time in milliseconds and the elevations in centimetres
/// (the details always seconds and metres): elapsed time is never a hundred times the
/// timer's, so such a ratio tells the old units apart. Without both times, neither is known.
fn modern_units(a: &Activity) -> Option<bool> {
    match (f(a, "elapsedDuration"), f(a, "duration")) {
        (Some(e), Some(d)) if d > 0.0 && e > 0.0 => Some(e < d * 100.0),
        _ => None,
    }
}

fn tz_key(unit_id: i64) -> String {
    format!("learned.tz.{unit_id}")
}

/// A device's `deviceApplicationInstallationId` changes with its firmware (it is the
/// firmware's record), so it is learnt per device and firmware version.
fn device_key(device_id: i64, version: (u16, u16)) -> String {
    format!("learned.device.{device_id}.{}.{}", version.0, version.1)
}

fn list_device_id(a: &Activity) -> Option<i64> {
    let v = a.summary.get("deviceId")?;
    v.as_i64()
        .or_else(|| v.as_str()?.trim().parse().ok())
        .filter(|id| *id != 0)
}

/// The details the table needs, made from the list item, the original and what the folder
/// learnt; `None` when something only Garmin's details can say is missing.
pub(crate) fn infer(
    archive: &Archive,
    a: &Activity,
    original: Option<&Original>,
    decoded: Option<&Recording>,
) -> Result<Option<Value>> {
    if a.is_manual() {
        return Ok(None);
    }
    let format = match original {
        Some(Original::Fit(_)) => "fit",
        Some(Original::Gpx(_)) => "gpx",
        Some(Original::Tcx(_)) => "tcx",
        Some(Original::Missing) | None => return Ok(None),
    };
    let Some(unit_id) = a.summary.get("timeZoneId").and_then(Value::as_i64) else {
        return Ok(None);
    };
    let Some(tz) = archive.meta(&tz_key(unit_id))? else {
        return Ok(None);
    };
    let install_id = match list_device_id(a) {
        None => None,
        Some(device_id) => {
            let Some(version) = decoded.and_then(|r| r.device.as_ref()?.version) else {
                return Ok(None);
            };
            match archive.meta(&device_key(device_id, version))? {
                Some(id) => id.parse::<i64>().ok(),
                None => return Ok(None),
            }
        }
    };

    let mut summary = Map::new();
    let Some(modern) = modern_units(a) else {
        return Ok(None);
    };
    // The details' units: seconds and metres (a recorded real list item of 2018 gives
    // milliseconds and centimetres where its details give seconds and metres).
    for (k, old_factor) in [
        ("elapsedDuration", 1000.0),
        ("minElevation", 100.0),
        ("maxElevation", 100.0),
    ] {
        if let Some(v) = f(a, k) {
            let v = if modern { v } else { v / old_factor };
            summary.insert(k.into(), Value::from(v));
        }
    }
    // What Garmin's details say too: distance over moving time (a recorded real answer
    // gives exactly that quotient).
    if let (Some(d), Some(m)) = (f(a, "distance"), f(a, "movingDuration"))
        && m > 0.0
    {
        summary.insert("averageMovingSpeed".into(), Value::from(d / m));
    }
    let device_id = list_device_id(a).map(|id| Value::from(id.to_string()));
    Ok(Some(json!({
        MARK: "list item, original file and learnt time zones and devices (docs/csv.md)",
        "activityId": a.id,
        "timeZoneUnitDTO": {"unitId": unit_id, "timeZone": tz},
        "metadataDTO": {
            "fileFormat": {"formatKey": format},
            "deviceApplicationInstallationId": install_id,
            "deviceMetaDataDTO": {"deviceId": device_id.unwrap_or(Value::Null)},
        },
        "summaryDTO": Value::Object(summary),
    })))
}

/// Keeps what Garmin's details of `a` teach about others: the name of its time zone id,
/// and its device's installation id for the firmware its original names.
pub(crate) fn learn(
    archive: &Archive,
    a: &Activity,
    details: &Value,
    decoded: Option<&Recording>,
) -> Result<()> {
    if let (Some(unit_id), Some(tz)) = (
        details
            .pointer("/timeZoneUnitDTO/unitId")
            .and_then(Value::as_i64),
        details
            .pointer("/timeZoneUnitDTO/timeZone")
            .and_then(Value::as_str),
    ) && archive.meta(&tz_key(unit_id))?.as_deref() != Some(tz)
    {
        archive.set_meta(&tz_key(unit_id), tz)?;
    }
    let said = details
        .pointer("/metadataDTO/deviceMetaDataDTO/deviceId")
        .and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str()?.trim().parse::<i64>().ok())
        });
    let install_id = details
        .pointer("/metadataDTO/deviceApplicationInstallationId")
        .and_then(Value::as_i64);
    if let (Some(device_id), Some(install_id), Some(version)) = (
        list_device_id(a).filter(|id| Some(*id) == said),
        install_id,
        decoded.and_then(|r| r.device.as_ref()?.version),
    ) {
        archive.set_meta(&device_key(device_id, version), &install_id.to_string())?;
    }
    Ok(())
}
