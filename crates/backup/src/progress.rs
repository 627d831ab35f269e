//! Progress: the engine calls a [`Progress`] with running totals (never deltas), a few times
//! a second at most, and once at the end. Front ends implement it: terminal bars, JSON
//! lines, the desktop window's channel, a test's recorder.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::ActivityId;
use crate::summary::Summary;

/// Running totals for one run. Every field is a total since the run began. Activities are
/// counted as the list shows them: a multisport is one activity, its legs included.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Totals {
    pub activities_listed: u64,
    /// Activities with something to fetch.
    pub activities_planned: u64,
    pub activities_done: u64,
    pub activities_failed: u64,
    pub bytes_written: u64,
    pub current_activity: Option<CurrentActivity>,
    /// Set while the source waits out a 429.
    pub paused_until: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CurrentActivity {
    pub id: ActivityId,
    pub name: String,
}

pub trait Progress: Send + Sync {
    fn update(&self, totals: &Totals);
    fn finish(&self, summary: &Summary) {
        let _ = summary;
    }
}

/// Progress nobody watches.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn update(&self, _totals: &Totals) {}
}

/// Holds the totals and throttles what reaches the front end.
pub(crate) struct Reporter<'a> {
    sink: &'a dyn Progress,
    state: Mutex<(Totals, Option<Instant>)>,
}

const EVERY: Duration = Duration::from_millis(200);

impl<'a> Reporter<'a> {
    pub fn new(sink: &'a dyn Progress) -> Self {
        Reporter {
            sink,
            state: Mutex::new((Totals::default(), None)),
        }
    }

    pub fn change(&self, f: impl FnOnce(&mut Totals)) {
        let emit = {
            let Ok(mut guard) = self.state.lock() else {
                return;
            };
            let (totals, last) = &mut *guard;
            f(totals);
            let now = Instant::now();
            if last.is_none_or(|l| now.duration_since(l) >= EVERY) {
                *last = Some(now);
                Some(totals.clone())
            } else {
                None
            }
        };
        if let Some(t) = emit {
            self.sink.update(&t);
        }
    }

    pub fn totals(&self) -> Totals {
        self.state.lock().map(|g| g.0.clone()).unwrap_or_default()
    }

    /// The last totals, always delivered, then the summary.
    pub fn finish(&self, summary: &Summary) {
        let mut t = self.totals();
        t.current_activity = None;
        t.paused_until = None;
        self.sink.update(&t);
        self.sink.finish(summary);
    }
}
