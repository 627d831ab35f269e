//! The simulated account: generated from a seed, deterministic, and lazy (nothing is held
//! per activity, so 10,000 activities cost no more memory than 10).

use std::collections::HashMap;
use std::sync::RwLock;

use serde_json::{Value, json};

const BASE_ID: i64 = 10_000_000_000;

/// What a download endpoint answers.
pub enum Download {
    File {
        bytes: Vec<u8>,
        content_type: &'static str,
        file_name: String,
    },
    NoContent,
    NotFound,
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
    renames: RwLock<HashMap<i64, String>>,
}

#[derive(Clone, Debug)]
pub struct Activity {
    id: i64,
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
    pub fn nth_newest(&self, k: usize) -> Option<Activity> {
        if k >= self.count {
            return None;
        }
        let id = BASE_ID + ((self.count - 1 - k) as i64) * 10;
        let name = self
            .renames
            .read()
            .ok()
            .and_then(|m| m.get(&id).cloned())
            .unwrap_or_else(|| format!("Activity {k}"));
        Some(Activity { id, name })
    }
    pub fn activity(&self, id: i64) -> Option<Activity> {
        self.position_of(id).and_then(|k| self.nth_newest(k))
    }
    pub fn position_of(&self, id: i64) -> Option<usize> {
        let off = id.checked_sub(BASE_ID)?;
        if off < 0 || off % 10 != 0 {
            return None;
        }
        let j = usize::try_from(off / 10).ok()?;
        (j < self.count).then(|| self.count - 1 - j)
    }
    pub fn rename(&self, id: i64, name: &str) -> bool {
        if self.position_of(id).is_none() {
            return false;
        }
        if let Ok(mut m) = self.renames.write() {
            m.insert(id, name.to_string());
        }
        true
    }
    pub fn social_profile(&self, email: &str) -> Value {
        json!({"id": 1, "profileId": 1, "displayName": self.display_name(), "fullName": "Sim User", "userName": email})
    }
    pub fn user_settings(&self) -> Value {
        json!({"userData": {"measurementSystem": "metric", "timeFormat": "time_twenty_four_hr"}})
    }
    pub fn display_name(&self) -> String {
        format!("{:016x}", self.seed)
    }
    pub fn device_info(&self, _install_id: i64) -> Option<Value> {
        None
    }
    pub fn activity_types_properties(&self) -> String {
        "activity_type_running=Running\n".to_string()
    }
    pub fn event_types_properties(&self) -> String {
        "race=Race\n".to_string()
    }
}

impl Activity {
    pub fn id(&self) -> i64 {
        self.id
    }
    pub fn parent_id(&self) -> Option<i64> {
        None
    }
    pub fn child_ids(&self) -> Vec<i64> {
        Vec::new()
    }
    pub fn type_key(&self) -> &str {
        "running"
    }
    pub fn parent_type_key(&self) -> &str {
        "running"
    }
    pub fn start_local_date(&self) -> chrono::NaiveDate {
        chrono::NaiveDate::default()
    }
    pub fn name(&self) -> String {
        self.name.clone()
    }
    pub fn list_item(&self) -> Value {
        json!({"activityId": self.id, "activityName": self.name})
    }
    pub fn details(&self) -> Value {
        json!({"activityId": self.id, "activityName": self.name})
    }
    pub fn splits(&self) -> Value {
        json!({"activityId": self.id, "lapDTOs": []})
    }
    pub fn hr_time_in_zones(&self) -> Value {
        json!([])
    }
    pub fn samples(&self) -> Value {
        json!({"activityId": self.id, "metricDescriptors": [], "activityDetailMetrics": []})
    }
    pub fn gear(&self) -> Value {
        json!([])
    }
    pub fn download(&self, _format: Format, _full: bool) -> Download {
        Download::NotFound
    }
}
