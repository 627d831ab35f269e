//! Progress: the engine calls a [`Progress`] with running totals (never deltas), a few times
//! a second at most, and once at the end. Front ends implement it: terminal bars, JSON
//! lines, the desktop window's channel, a test's recorder.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::health::{HealthProgress, HealthSummary, HealthTotals};
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

/// One stream for the whole backup: the activities' totals, then (when health data is asked)
/// the days' totals, each ending with its summary. Front ends that show only activities
/// leave the health methods alone.
pub trait Progress: Send + Sync {
    fn update(&self, totals: &Totals);
    fn finish(&self, summary: &Summary) {
        let _ = summary;
    }
    /// Running totals of the health part, in days; throttled like [`Progress::update`], and
    /// always sent once the days are all done.
    fn health(&self, totals: &HealthTotals) {
        let _ = totals;
    }
    fn health_finish(&self, summary: &HealthSummary) {
        let _ = summary;
    }
}

/// Progress nobody watches.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn update(&self, _totals: &Totals) {}
}

impl HealthProgress for NoProgress {
    fn update(&self, _totals: &HealthTotals) {}
}

/// The health run's totals into the one [`Progress`] stream, throttled as the activities'
/// are (a day of an empty window takes microseconds).
pub(crate) struct HealthRelay<'a> {
    sink: &'a dyn Progress,
    /// When the last totals went out, and the pause they said.
    last: Mutex<(Option<Instant>, Option<DateTime<Utc>>)>,
}

impl<'a> HealthRelay<'a> {
    pub fn new(sink: &'a dyn Progress) -> Self {
        HealthRelay {
            sink,
            last: Mutex::new((None, None)),
        }
    }
}

impl HealthProgress for HealthRelay<'_> {
    fn update(&self, t: &HealthTotals) {
        // The end and a pause's start or end always go out: they change what is shown.
        let must = t.days_done + t.days_failed >= t.days_planned;
        let emit = match self.last.lock() {
            Ok(mut guard) => {
                let (last, paused) = &mut *guard;
                let now = Instant::now();
                let due = last.is_none_or(|l| now.duration_since(l) >= EVERY);
                let go = due || must || *paused != t.paused_until;
                if go {
                    *last = Some(now);
                    *paused = t.paused_until;
                }
                go
            }
            Err(_) => false,
        };
        if emit {
            self.sink.health(t);
        }
    }
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
