//! Gear a gear item at a time (`docs/csv.md`, "Gear"): the user's gear list, then the
//! activities of each item, instead of one request per activity.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use tokio::sync::Semaphore;

use crate::error::ErrorKind;
use crate::model::ActivityId;
use crate::source::{Source, SourceError};

/// Activities per page of one item's activities (the list's own maximum).
const PAGE: usize = 1000;

/// Below this many activities without gear, asking each one costs no more than the list and
/// a page per item would.
pub(crate) const WORTH_MAPPING: usize = 4;

/// Which gear items each activity used, from every item's activity list.
#[derive(Debug, Default)]
pub(crate) struct GearMap {
    by_activity: HashMap<ActivityId, Vec<Value>>,
}

impl GearMap {
    /// The activity's gear, in the order of the user's gear list, when the map can say:
    /// always for a listed activity (named by no item: it used none), and for a multisport
    /// leg only when an item names it, since Garmin's per-item lists are not known to
    /// include legs (one that none names is asked about on its own).
    pub(crate) fn gear_of(&self, id: ActivityId, is_leg: bool) -> Option<Value> {
        match self.by_activity.get(&id) {
            Some(items) => Some(Value::Array(items.clone())),
            None if is_leg => None,
            None => Some(Value::Array(Vec::new())),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.by_activity.len()
    }
}

/// The user's gear items, when the source can list them and every item can be asked for its
/// activities (`None` otherwise: the gear is then asked per activity). One slot of `slots`.
pub(crate) async fn items<S: Source>(
    source: &S,
    slots: &Semaphore,
) -> Result<Option<Vec<Value>>, SourceError> {
    let items = {
        let _slot = slots.acquire().await.map_err(closed)?;
        match source.gear_items().await? {
            Some(items) => items,
            None => return Ok(None),
        }
    };
    if items.iter().any(|g| uuid(g).is_none()) {
        // An item without a uuid cannot be asked for its activities: the map would miss it.
        tracing::info!("a gear item carries no uuid; gear is asked per activity");
        return Ok(None);
    }
    Ok(Some(items))
}

/// Maps gear to activities from each of `items`' activity lists (from [`items`]). Item
/// pages go out at most `slots` at a time.
pub(crate) async fn map<S: Source>(
    source: &S,
    items: &[Value],
    slots: &Semaphore,
) -> Result<GearMap, SourceError> {
    let per_item = futures_util::future::try_join_all(
        items
            .iter()
            .filter_map(uuid)
            .map(|uuid| activities_of(source, uuid, slots)),
    )
    .await?;
    let mut map = GearMap::default();
    for (item, ids) in items.iter().zip(per_item) {
        for id in ids {
            map.by_activity.entry(id).or_default().push(item.clone());
        }
    }
    tracing::debug!(items = items.len(), activities = map.len(), "gear mapped");
    Ok(map)
}

fn uuid(item: &Value) -> Option<&str> {
    item.get("uuid").and_then(Value::as_str)
}

async fn activities_of<S: Source>(
    source: &S,
    uuid: &str,
    slots: &Semaphore,
) -> Result<Vec<ActivityId>, SourceError> {
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    let mut start = 0;
    loop {
        let page = {
            let _slot = slots.acquire().await.map_err(closed)?;
            source.gear_activities(uuid, start, PAGE).await?
        };
        let n = page.len();
        for item in page {
            if let Some(id) = item.get("activityId").and_then(as_id)
                && seen.insert(id)
            {
                ids.push(id);
            }
        }
        if n < PAGE {
            return Ok(ids);
        }
        start += n;
    }
}

fn as_id(v: &Value) -> Option<ActivityId> {
    v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
}

fn closed(_: tokio::sync::AcquireError) -> SourceError {
    SourceError::new(ErrorKind::Cancelled, "cancelled")
}

/// `gear.csv`, beside `activities.csv`.
pub const GEAR_CSV: &str = "gear.csv";

pub const GEAR_COLUMNS: [&str; 12] = [
    "Gear",
    "Type",
    "Make and Model",
    "Status",
    "In Use Since",
    "Retired On",
    "Activities",
    "Distance (km)",
    "First Used",
    "Last Used",
    "Max. Distance (km)",
    "Gear UUID",
];

#[derive(Default)]
struct Totals {
    item: Value,
    activities: u64,
    meters: f64,
    first: Option<chrono::NaiveDate>,
    last: Option<chrono::NaiveDate>,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A `YYYY-MM-DD...` date as its day.
fn day_of(v: &Value, key: &str) -> String {
    let t = text(v, key);
    t.get(..10).map(str::to_owned).unwrap_or(t)
}

/// Rewrites `gear.csv` from the gear the folder's activities record (`docs/csv.md`,
/// "gear.csv"): each item once, with the totals of the activities in the folder that used
/// it. Nothing is asked of Garmin. Left alone when no activity records any gear, or when
/// nothing changed.
pub fn write_csv(archive: &crate::Archive) -> crate::Result<()> {
    let mut by_uuid: HashMap<String, Totals> = HashMap::new();
    archive.for_each_stored(|s| {
        let items = s.gear.as_ref().and_then(Value::as_array);
        for item in items.into_iter().flatten() {
            let key = item
                .get("uuid")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| text(item, "displayName"));
            let t = by_uuid.entry(key).or_default();
            t.item = item.clone();
            t.activities += 1;
            let a = &s.activity;
            let dto = a.details.as_ref().and_then(|d| d.get("summaryDTO"));
            t.meters += a
                .summary
                .get("distance")
                .and_then(Value::as_f64)
                .or_else(|| dto?.get("distance")?.as_f64())
                .unwrap_or(0.0);
            if let Some(d) = a.start_local().map(|t| t.date()) {
                t.first = Some(t.first.map_or(d, |f| f.min(d)));
                t.last = Some(t.last.map_or(d, |l| l.max(d)));
            }
        }
        Ok(())
    })?;
    if by_uuid.is_empty() {
        return Ok(());
    }
    let mut rows: Vec<(String, Vec<String>)> = by_uuid
        .into_iter()
        .map(|(uuid, t)| {
            let g = &t.item;
            let name = match text(g, "displayName") {
                n if n.is_empty() => text(g, "customMakeModel"),
                n => n,
            };
            let max = g
                .get("maximumMeters")
                .and_then(Value::as_f64)
                .filter(|m| *m > 0.0)
                .map(|m| format!("{:.1}", m / 1000.0))
                .unwrap_or_default();
            let row = vec![
                name,
                text(g, "gearTypeName"),
                text(g, "customMakeModel"),
                text(g, "gearStatusName"),
                day_of(g, "dateBegin"),
                day_of(g, "dateEnd"),
                t.activities.to_string(),
                format!("{:.2}", t.meters / 1000.0),
                t.first.map(|d| d.to_string()).unwrap_or_default(),
                t.last.map(|d| d.to_string()).unwrap_or_default(),
                max,
                uuid.clone(),
            ];
            (uuid, row)
        })
        .collect();
    // Active gear first, most recently used first, as Garmin's gear page lists it.
    rows.sort_by(|(ua, a), (ub, b)| {
        (a[3] == "retired")
            .cmp(&(b[3] == "retired"))
            .then_with(|| b[9].cmp(&a[9]))
            .then_with(|| ua.cmp(ub))
    });
    let rows: Vec<Vec<String>> = rows.into_iter().map(|(_, r)| r).collect();
    crate::health::tables::write_table(archive, GEAR_CSV, &GEAR_COLUMNS, &rows)
}
