//! The simulated account: generated from a seed, deterministic, and lazy (nothing is held
//! per activity, so 10,000 activities cost no more memory than 10).
//!
//! Layout: `spec` decides who/what/when/where for a position, `plan` the physics of each
//! recorded segment, `json` the API answers, and `files` the downloads (both read the account; nothing
//! here reads them back). The newest
//! 30 positions are a fixed showcase (every kind, source, device, zone and hostile name);
//! older positions are drawn from the seed.

pub(crate) mod catalog;
pub mod files;
mod json;
pub(crate) mod plan;
pub(crate) mod rng;
pub(crate) mod spec;
mod text;

use std::collections::HashMap;
use std::sync::RwLock;

use serde_json::Value;

pub use catalog::{Kind, Source};
use plan::{Plan, Stats, combine};
use spec::Spec;

/// Ids are far above 2^32, and grow with time: `BASE_ID + 10 * j` for the j-th oldest
/// activity, its multisport legs `+1..`.
pub const BASE_ID: i64 = 21_000_000_000;
const ID_STRIDE: i64 = 10;

/// What a download endpoint answers.
pub enum Download {
    File {
        bytes: Vec<u8>,
        content_type: &'static str,
        file_name: String,
    },
    /// 204: e.g. GPX/KML without GPS.
    NoContent,
    /// 404: the original of a manual activity, TCX when there is none.
    NotFound,
    /// 500: TCX of an uploaded GPX.
    ServerError,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Original,
    Gpx,
    Tcx,
    Kml,
}

pub struct Account {
    seed: u64,
    count: usize,
    /// The only per-activity state: what the user renamed.
    renames: RwLock<HashMap<i64, String>>,
}

/// One activity, top-level or a multisport leg. Cheap: the track is generated on demand.
#[derive(Clone, Debug)]
pub struct Activity {
    spec: Spec,
    position: usize,
    leg: Option<usize>,
    kind: Kind,
    name: String,
}

impl Account {
    pub fn new(seed: u64, activities: usize) -> Account {
        Account {
            seed,
            count: activities,
            renames: RwLock::new(HashMap::new()),
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    fn renamed(&self, id: i64) -> Option<String> {
        self.renames.read().ok().and_then(|m| m.get(&id).cloned())
    }

    /// Top-level activity at position k, newest first (0 = newest).
    pub fn nth_newest(&self, k: usize) -> Option<Activity> {
        if k >= self.count {
            return None;
        }
        let spec = Spec::new(self.seed, self.count, k);
        let id = BASE_ID + spec.j as i64 * ID_STRIDE;
        let name = self.renamed(id).unwrap_or_else(|| text::name(&spec));
        Some(Activity {
            kind: spec.kind,
            spec,
            position: k,
            leg: None,
            name,
        })
    }

    /// Any activity by id, top-level or a multisport leg.
    pub fn activity(&self, id: i64) -> Option<Activity> {
        let k = self.position_of(id)?;
        let top = self.nth_newest(k)?;
        let leg = (id - top.id()) as usize;
        if leg == 0 {
            return Some(top);
        }
        let kind = *top.spec.legs().get(leg - 1)?;
        let name = self
            .renamed(id)
            .unwrap_or_else(|| text::default_name(&top.spec, kind));
        Some(Activity {
            spec: top.spec,
            position: k,
            leg: Some(leg - 1),
            kind,
            name,
        })
    }

    /// Newest-first position of the top-level activity that owns `id`.
    pub fn position_of(&self, id: i64) -> Option<usize> {
        let offset = id.checked_sub(BASE_ID).filter(|o| *o >= 0)?;
        let j = usize::try_from(offset / ID_STRIDE).ok()?;
        if j >= self.count {
            return None;
        }
        let k = self.count - 1 - j;
        let leg = offset % ID_STRIDE;
        if leg != 0 {
            let spec = Spec::new(self.seed, self.count, k);
            if leg as usize > spec.legs().len() {
                return None;
            }
        }
        Some(k)
    }

    /// Renames an activity; every later answer uses the new name. False if not ours.
    pub fn rename(&self, id: i64, name: &str) -> bool {
        if self.activity(id).is_none() {
            return false;
        }
        match self.renames.write() {
            Ok(mut m) => {
                m.insert(id, name.to_string());
                true
            }
            Err(_) => false,
        }
    }

    pub fn social_profile(&self, email: &str) -> Value {
        json::social_profile(self.seed, email)
    }

    pub fn user_settings(&self) -> Value {
        json::user_settings(self.seed)
    }

    /// UUID-like, from the seed (Garmin gives many accounts such display names).
    /// socialProfile's `profileId` (health answers carry it as `userProfilePK`).
    pub fn profile_pk(&self) -> i64 {
        json::profile_id(self.seed)
    }

    pub fn display_name(&self) -> String {
        json::display_name(self.seed)
    }

    /// app-info for a deviceApplicationInstallationId; None means 204.
    /// The user's gear items, as `filterGear?userProfilePk=` answers.
    pub fn gear_items(&self) -> Value {
        json::all_gear(self.seed)
    }

    pub fn gear_exists(&self, uuid: &str) -> bool {
        json::gear_exists(uuid)
    }

    /// The account's profile id (`socialProfile`'s `profileId`).
    pub fn profile_id(&self) -> i64 {
        self.social_profile("")
            .get("profileId")
            .and_then(serde_json::Value::as_i64)
            .unwrap_or_default()
    }

    pub fn device_info(&self, install_id: i64) -> Option<Value> {
        json::device_info(install_id)
    }

    pub fn activity_types_properties(&self) -> String {
        catalog::TYPE_NAMES
            .iter()
            .map(|(k, v)| format!("activity_type_{k}={v}\n"))
            .collect()
    }

    pub fn event_types_properties(&self) -> String {
        catalog::EVENT_TYPES
            .iter()
            .map(|(_, k, v)| format!("{k}={v}\n"))
            .collect()
    }
}

impl Activity {
    pub fn id(&self) -> i64 {
        self.parent_or_self_id() + self.leg.map_or(0, |l| l as i64 + 1)
    }

    fn parent_or_self_id(&self) -> i64 {
        BASE_ID + self.spec.j as i64 * ID_STRIDE
    }

    pub fn parent_id(&self) -> Option<i64> {
        self.leg.map(|_| self.parent_or_self_id())
    }

    /// Legs of a multisport parent (empty otherwise, and for a leg).
    pub fn child_ids(&self) -> Vec<i64> {
        if self.leg.is_some() {
            return Vec::new();
        }
        let base = self.parent_or_self_id();
        (1..=self.spec.legs().len() as i64)
            .map(|i| base + i)
            .collect()
    }

    /// Newest-first position of the top-level activity (a leg's is its parent's).
    pub fn position(&self) -> usize {
        self.position
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn source(&self) -> Source {
        self.spec.source
    }

    pub fn is_multisport_parent(&self) -> bool {
        self.leg.is_none() && self.kind == Kind::Multisport
    }

    pub fn has_gps(&self) -> bool {
        self.segments().iter().any(Plan::has_gps)
    }

    /// Name of the uploaded file inside the original ZIP.
    pub fn original_entry_name(&self) -> Option<String> {
        match self.spec.source {
            Source::Manual => None,
            Source::Device => Some(format!("{}_ACTIVITY.fit", self.parent_or_self_id())),
            Source::GpxUpload => catalog::GPX_FILE_NAMES
                .get(self.spec.gpx_file)
                .map(|s| (*s).to_string()),
        }
    }

    pub fn type_key(&self) -> &str {
        self.kind.info().type_key
    }

    pub fn parent_type_key(&self) -> &str {
        self.kind.info().parent_key
    }

    pub fn start_local_date(&self) -> chrono::NaiveDate {
        self.spec.local(self.start()).date()
    }

    /// Start, unix seconds UTC.
    pub fn start(&self) -> i64 {
        self.segments().first().map_or(self.spec.start, |p| p.start)
    }

    pub fn name(&self) -> String {
        self.name.clone()
    }

    pub fn description(&self) -> Option<String> {
        if self.leg.is_some() {
            return None;
        }
        text::description(&self.spec)
    }

    /// The recorded segments: one, or one per leg for a multisport parent.
    pub(crate) fn segments(&self) -> Vec<Plan> {
        let all = Plan::segments(&self.spec);
        match self.leg {
            Some(l) => all.into_iter().nth(l).into_iter().collect(),
            None => all,
        }
    }

    pub(crate) fn summary(&self) -> Stats {
        let parts: Vec<Stats> = self.segments().iter().map(Plan::totals).collect();
        combine(&parts)
    }

    /// Number of trackpoints every file format carries for this activity.
    pub fn point_count(&self) -> usize {
        if self.spec.source == Source::Manual {
            return 0;
        }
        self.segments().iter().map(Plan::point_count).sum()
    }

    pub(crate) fn spec(&self) -> &Spec {
        &self.spec
    }

    pub fn list_item(&self) -> Value {
        json::list_item(self)
    }

    pub fn details(&self) -> Value {
        json::details(self)
    }

    pub fn splits(&self) -> Value {
        json::splits(self)
    }

    pub fn hr_time_in_zones(&self) -> Value {
        json::hr_time_in_zones(self)
    }

    pub fn samples(&self) -> Value {
        json::samples(self)
    }

    /// The uuids of the gear items the per-activity gear call names, in its order.
    pub fn gear_uuids(&self) -> Vec<String> {
        match json::gear(self) {
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|g| g.get("uuid")?.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn gear(&self) -> Value {
        json::gear(self)
    }

    pub fn download(&self, format: Format, full: bool) -> Download {
        files::download(self, format, full)
    }
}

impl Activity {
    /// The top-level activity this one belongs to (itself when it is one).
    pub fn top_level(&self) -> Activity {
        Activity {
            spec: self.spec.clone(),
            position: self.position,
            leg: None,
            kind: self.spec.kind,
            name: if self.leg.is_none() {
                self.name.clone()
            } else {
                text::name(&self.spec)
            },
        }
    }
}
