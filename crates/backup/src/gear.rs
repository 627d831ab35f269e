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

/// Maps gear to activities when that is cheaper than asking `wanted` activities one by one:
/// `Ok(None)` when it is not (more items than activities to ask about) or the source cannot
/// list gear. Item pages go out at most `slots` at a time.
pub(crate) async fn map<S: Source>(
    source: &S,
    wanted: usize,
    slots: &Semaphore,
) -> Result<Option<GearMap>, SourceError> {
    let items = {
        let _slot = slots.acquire().await.map_err(closed)?;
        match source.gear_items().await? {
            Some(items) => items,
            None => return Ok(None),
        }
    };
    let uuids: Vec<Option<String>> = items
        .iter()
        .map(|g| g.get("uuid").and_then(Value::as_str).map(str::to_owned))
        .collect();
    if uuids.iter().any(Option::is_none) {
        // An item without a uuid cannot be asked for its activities: the map would miss it.
        tracing::info!("a gear item carries no uuid; gear is asked per activity");
        return Ok(None);
    }
    if items.len() >= wanted {
        return Ok(None);
    }
    let per_item = futures_util::future::try_join_all(
        uuids
            .iter()
            .flatten()
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
    Ok(Some(map))
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
