//! One backup run: list (newest first, stopping early when incremental), plan what is
//! missing from the archive, download with bounded concurrency, write atomically, record,
//! and rewrite `activities.csv` from the state, also when cancelled or stopped.
//!
//! The three overlap: a new activity is downloaded as soon as its list page is in, while
//! the rest of the list and the gear map come in through the same request slots; the
//! archive's older pending work follows once the list is read whole (it needs the whole
//! list to be planned). Time spent waiting on Garmin is then time spent downloading.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use chrono::NaiveDate;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::archive::{Archive, FileRecord, ItemState, PartFile, Stored, rel_string};
use crate::derive;
use crate::error::{Error, ErrorKind, Result};
use crate::health::{HealthOptions, HealthSource, HealthSummary, run_health};
use crate::layout::{FileKind, Layout};
use crate::model::{Activity, ActivityId, Format};
use crate::original::{self, ZipLimits};
use crate::progress::{CurrentActivity, HealthRelay, Progress, Reporter};
use crate::source::{Source, SourceError, UnavailableReason};
use crate::table;

pub use crate::summary::{Failure, Salvaged, Stop, Summary, Unavailable};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ListMode {
    /// Stop listing at the first page that holds nothing new.
    #[default]
    Incremental,
    /// List everything (catches activities uploaded late with an old date).
    Full,
}

/// Which activities a run considers (`gcexport.py`'s `-c`, `-sd`, `-ed`, `-tf`, `-ex`).
/// Filters apply to listed activities; multisport legs follow their parent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Selection {
    /// The N newest (after the date filter); `None` = all.
    pub count: Option<usize>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// Type ids (`3`) or type keys (`hiking`); empty = every type.
    pub types: Vec<String>,
    pub exclude: HashSet<ActivityId>,
    /// Only these activities ("back up selected"); `None` = every activity listed. Such a
    /// run lists until it has found them all and never records the listing as complete:
    /// what it skipped over is not in the archive.
    pub only: Option<HashSet<ActivityId>>,
}

impl Selection {
    /// Exactly these activities (and their multisport legs).
    pub fn only(ids: impl IntoIterator<Item = ActivityId>) -> Selection {
        Selection {
            only: Some(ids.into_iter().collect()),
            ..Selection::default()
        }
    }

    fn is_narrowed(&self) -> bool {
        self.count.is_some()
            || self.start_date.is_some()
            || self.end_date.is_some()
            || self.only.is_some()
    }

    fn chose(&self, id: ActivityId) -> bool {
        self.only.as_ref().is_none_or(|only| only.contains(&id))
    }

    fn admits(&self, a: &Activity) -> bool {
        if self.exclude.contains(&a.id) {
            return false;
        }
        if let Some(date) = a.start_local().map(|t| t.date())
            && (self.start_date.is_some_and(|s| date < s)
                || self.end_date.is_some_and(|e| date > e))
        {
            return false;
        }
        if !self.types.is_empty() {
            let id = a.type_id().map(|i| i.to_string());
            let key = a.type_key();
            return self
                .types
                .iter()
                .any(|t| Some(t.as_str()) == id.as_deref() || Some(t.as_str()) == key);
        }
        true
    }
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub formats: Vec<Format>,
    /// Unzip originals (`-u`).
    pub unzip: bool,
    pub layout: Layout,
    pub mode: ListMode,
    pub selection: Selection,
    /// Requests to the source in flight at once, 1 to 8 (activities: twice that).
    pub concurrency: usize,
    /// Set file times to the activity start (`-ot`).
    pub original_time: bool,
    /// List and plan, fetch nothing else, write nothing.
    pub dry_run: bool,
    pub page_size: usize,
    pub zip_limits: ZipLimits,
    /// Write GPX and TCX from the original (a FIT) instead of downloading them: one request
    /// per activity for all formats. Formats the source does not offer are made this way
    /// whatever this says.
    pub tracks_from_original: bool,
    /// Always download GPX and TCX from Garmin (`--garmin-tracks`), even where a FIT
    /// original would make them without a request. Without this nor `tracks_from_original`,
    /// they are made from the original when it is a FIT that decodes cleanly, and Garmin's
    /// are downloaded otherwise (uploaded tracks, manual entries, damaged files): see
    /// `docs/csv.md`, "Requests".
    pub garmin_tracks: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            formats: vec![Format::Original],
            unzip: false,
            layout: Layout::Browsable,
            mode: ListMode::Incremental,
            selection: Selection::default(),
            concurrency: 4,
            original_time: false,
            dry_run: false,
            page_size: 100,
            zip_limits: ZipLimits::default(),
            tracks_from_original: false,
            garmin_tracks: false,
        }
    }
}

/// Refusals (403) of this many different activities in a row mean the client is blocked,
/// not that those activities are someone else's: the run stops instead of failing the rest
/// one by one.
const REFUSALS_THAT_MEAN_BLOCKED: usize = 3;

const LISTING_COMPLETE: &str = "listing_complete";

/// The parts of a backup (the CLI's `--what`); a request that leaves it out asks for all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct What {
    pub activities: bool,
    /// Health and body data by day (sleep, HRV, stress, Body Battery, heart rate, steps)
    /// and the weigh-ins.
    pub health: bool,
    /// Personal records.
    pub records: bool,
    /// The gear list (it comes with the activities).
    pub gear: bool,
}

impl Default for What {
    fn default() -> Self {
        What {
            activities: true,
            health: true,
            records: true,
            gear: true,
        }
    }
}

impl What {
    /// Whether anything beside activities asks Garmin for more (health data or records).
    pub fn health_part(&self) -> bool {
        self.health || self.records
    }
}

/// A request made runnable: each part's options, checked.
#[derive(Clone, Debug)]
pub struct Job {
    pub what: What,
    pub activities: RunOptions,
    pub health: HealthOptions,
}

/// What a whole backup reports: the activities' summary (empty when they were not asked
/// for) and the health part's, when health data or records were asked for and it ran.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    pub activities: Summary,
    pub health: Option<HealthSummary>,
}

/// Runs the whole backup a [`Job`] asks for into `archive`: the activities from `source`,
/// then health data and records from `health`, through one `progress` stream. The health
/// part does not start after a cancel, a dry run, or a stop that would stop it too (signed
/// out, rate limited or blocked, disk full): asking Garmin more then is impolite or futile.
pub async fn back_up<S: Source, H: HealthSource>(
    archive: &Archive,
    source: &S,
    health: &H,
    job: &Job,
    progress: &dyn Progress,
    cancel: &CancellationToken,
) -> Result<Report> {
    let mut report = Report::default();
    if job.what.activities {
        report.activities = run(archive, source, &job.activities, progress, cancel).await?;
    }
    let halted = report.activities.stopped.as_ref().is_some_and(|s| {
        matches!(
            s.kind,
            ErrorKind::SignIn | ErrorKind::RateLimited | ErrorKind::DiskFull | ErrorKind::Cancelled
        )
    });
    if !job.what.health_part() || job.activities.dry_run || halted || cancel.is_cancelled() {
        return Ok(report);
    }
    let summary = match health.ready().await {
        Ok(()) => {
            let relay = HealthRelay::new(progress);
            run_health(archive, health, &job.health, &relay, cancel).await?
        }
        Err(e) => HealthSummary {
            stopped: Some(format!("could not ask Garmin who is signed in: {e}")),
            ..HealthSummary::default()
        },
    };
    progress.health_finish(&summary);
    report.health = Some(summary);
    Ok(report)
}

/// Runs one backup of `source` into `archive`.
///
/// Errors that concern one activity are recorded and reported in the summary; errors after
/// which nothing more can succeed (signed out, disk full, cancel) stop the run, and are also
/// reported in the summary. `Err` is returned only when the archive itself cannot be used.
pub async fn run<S: Source>(
    archive: &Archive,
    source: &S,
    opts: &RunOptions,
    progress: &dyn Progress,
    cancel: &CancellationToken,
) -> Result<Summary> {
    if opts.formats.is_empty() {
        return Err(Error::Config("no format chosen".into()));
    }
    let ctx = Ctx {
        archive,
        source,
        opts,
        reporter: Reporter::new(progress),
        stop: cancel.child_token(),
        fatal: Mutex::new(None),
        outcome: Mutex::new(Outcome::default()),
        devices_asked: Mutex::new(HashSet::new()),
        requests: tokio::sync::Semaphore::new(opts.concurrency.clamp(1, 8)),
        refused: Mutex::new(Vec::new()),
        blocked: Mutex::new(None),
        gear: Mutex::new(GearState::default()),
        gear_demand: tokio::sync::watch::Sender::new(GearDemand::default()),
        legs_inserted: Mutex::new(HashSet::new()),
        parent_originals: Mutex::new(HashMap::new()),
    };

    let mut summary = Summary::default();
    if opts.dry_run {
        match ctx.list(&mut |_| {}).await {
            Ok((ids, new)) => {
                let listed: HashSet<ActivityId> = ids.into_iter().collect();
                let plan = ctx.plan(&listed, &HashSet::new())?;
                summary.activities_skipped = plan.skipped;
                ctx.reporter
                    .change(|t| t.activities_planned = plan.work.len() as u64);
                // Nothing was recorded: what is new to the archive is not in the plan yet.
                summary.activities_planned = plan.work.len() as u64 + new;
            }
            Err(e) => ctx.stop_with(e),
        }
    } else {
        summary.activities_skipped = ctx.list_and_execute().await?;
    }

    let outcome = ctx.outcome.lock().map(|o| o.clone()).unwrap_or_default();
    let totals = ctx.reporter.totals();
    if !opts.dry_run {
        summary.activities_planned = totals.activities_planned;
    }
    // From the totals, not the listing's result: a listing cut short counts too.
    summary.activities_listed = totals.activities_listed;
    summary.activities_new = outcome.listed_new + outcome.legs_new;
    summary.activities_done = totals.activities_done;
    summary.activities_failed = totals.activities_failed;
    summary.files_written = outcome.files_written;
    summary.unavailable = outcome.unavailable;
    summary.bytes_written = totals.bytes_written;
    summary.failures = outcome.failures;
    summary.salvaged = outcome.salvaged;
    let fatal = ctx.fatal.lock().ok().and_then(|mut f| f.take());
    summary.cancelled = cancel.is_cancelled();
    summary.stopped = fatal.map(|e| {
        let until = match &e {
            Error::Source(s) => s.retry_at,
            _ => None,
        };
        let mut message = e.to_string();
        if e.kind() == ErrorKind::RateLimited {
            message.push_str(
                "; nothing is lost: what was saved is kept and recorded, and the next run goes on from there",
            );
        }
        Stop {
            kind: e.kind(),
            message,
            until,
        }
    });
    if summary.cancelled && summary.stopped.is_none() {
        summary.stopped = Some(Stop {
            kind: ErrorKind::Cancelled,
            message: "cancelled".into(),
            until: None,
        });
    }

    if !opts.dry_run && summary.stopped.is_none() && table::is_stale(archive).unwrap_or(false) {
        // Garmin's type labels, only when the table is rewritten anyway (docs/csv.md).
        if let Err(e) = crate::labels::refresh(archive, source).await {
            tracing::warn!(error = %e, "activity type labels not kept");
        }
    }
    if !opts.dry_run {
        // Also after a cancel or a stop: the CSV must describe what the folder holds.
        if let Err(e) = table::write(archive)
            && summary.stopped.is_none()
        {
            summary.stopped = Some(Stop {
                kind: e.kind(),
                message: e.to_string(),
                until: None,
            });
        }
    }
    ctx.reporter.finish(&summary);
    Ok(summary)
}

#[derive(Clone, Debug, Default)]
struct Outcome {
    listed_new: u64,
    files_written: u64,
    unavailable: Vec<Unavailable>,
    legs_new: u64,
    failures: Vec<Failure>,
    salvaged: Vec<Salvaged>,
}

struct Plan {
    /// Loaded one at a time when their turn comes: memory does not grow with the account.
    work: Vec<ActivityId>,
    skipped: u64,
    /// Planned activities whose gear is not known yet.
    without_gear: usize,
    /// What the archive held of each file when the plan was made.
    items: Arc<Items>,
}

type Items = HashMap<(ActivityId, Format), ItemState>;

/// How many activities of this run need their gear, and whether that number is final (the
/// list is read whole and planned). The gear map waits on it: mapping costs a request per
/// gear item, and pays only when more activities than items need gear.
#[derive(Clone, Copy, Debug, Default)]
struct GearDemand {
    wanted: usize,
    settled: bool,
}

/// Whether the gear map is made (`decided`), and the activities that reached their gear
/// step before it was: they go on to their files, and get their gear when it is decided.
#[derive(Default)]
struct GearState {
    decided: Option<Option<Arc<crate::gear::GearMap>>>,
    waiting: Vec<(ActivityId, bool)>,
}

struct Ctx<'a, S> {
    archive: &'a Archive,
    source: &'a S,
    opts: &'a RunOptions,
    reporter: Reporter<'a>,
    /// Fired by the caller's cancel or by a run-stopping error.
    stop: CancellationToken,
    fatal: Mutex<Option<Error>>,
    outcome: Mutex<Outcome>,
    /// Devices already asked for in this run: activities in flight together often share
    /// one, and the archive only knows it once the first answer is back.
    devices_asked: Mutex<HashSet<i64>>,
    /// Requests to the source in flight: `concurrency` of them, whatever the activities in
    /// flight are doing on disk meanwhile (fsync, unzip, records).
    requests: tokio::sync::Semaphore,
    /// The different activities refused (403) since the last file that came through.
    refused: Mutex<Vec<ActivityId>>,
    /// Once refusals mean a block: until when and why. Requests already waiting for a slot
    /// then return this instead of going out (the run is stopping, every one would strike
    /// the same wall).
    blocked: Mutex<Option<(String, Option<chrono::DateTime<chrono::Utc>>)>>,
    /// Gear a gear item at a time, when that is cheaper than asking each activity.
    gear: Mutex<GearState>,
    gear_demand: tokio::sync::watch::Sender<GearDemand>,
    /// Multisport legs this run found and recorded: their parent's turn does them, so a
    /// plan made meanwhile must not start them a second time.
    legs_inserted: Mutex<HashSet<ActivityId>>,
    /// A multisport parent's original fetched into memory, for its legs (the same file)
    /// while they are done; dropped with the activity.
    parent_originals: Mutex<HashMap<ActivityId, derive::Original>>,
}

impl<S: Source> Ctx<'_, S> {
    fn stop_with(&self, e: Error) {
        if matches!(e.kind(), ErrorKind::Cancelled) {
            self.stop.cancel();
            return;
        }
        if let Ok(mut f) = self.fatal.lock()
            && f.is_none()
        {
            tracing::warn!(error = %e, "the run stops");
            *f = Some(e);
        }
        self.stop.cancel();
    }

    async fn cancellable<T>(
        &self,
        f: impl Future<Output = std::result::Result<T, SourceError>>,
    ) -> std::result::Result<T, SourceError> {
        tokio::select! {
            biased;
            _ = self.stop.cancelled() => Err(SourceError::new(ErrorKind::Cancelled, "cancelled")),
            r = f => r,
        }
    }

    /// One request to the source for activity `id`, when one of the `concurrency` slots is
    /// free. After a refusal (403) requests go one at a time, with nothing else in flight,
    /// until a file comes through (a CDN may block the downloads alone while the details
    /// still come): refusals of several activities in a row are a block, and the run stops
    /// before it spends more requests on it.
    async fn ask<T>(
        &self,
        id: ActivityId,
        f: impl Future<Output = std::result::Result<T, SourceError>>,
    ) -> std::result::Result<T, SourceError> {
        let cancelled = || SourceError::new(ErrorKind::Cancelled, "cancelled");
        let all = self.opts.concurrency.clamp(1, 8) as u32;
        let refusing = || self.refused.lock().map(|r| !r.is_empty()).unwrap_or(false);
        self.cancellable(async {
            let mut slot = self.requests.acquire().await.map_err(|_| cancelled())?;
            if refusing() {
                drop(slot);
                slot = self
                    .requests
                    .acquire_many(all)
                    .await
                    .map_err(|_| cancelled())?;
            }
            let known_block = self.blocked.lock().ok().and_then(|b| b.clone());
            if let Some((message, until)) = known_block {
                drop(slot);
                let mut e = SourceError::new(ErrorKind::RateLimited, message);
                e.retry_at = until;
                return Err(e);
            }
            let answer = f.await;
            let blocked = match &answer {
                Err(e) if e.kind == ErrorKind::Forbidden => self
                    .refused
                    .lock()
                    .map(|mut r| {
                        if !r.contains(&id) {
                            r.push(id);
                        }
                        r.len() >= REFUSALS_THAT_MEAN_BLOCKED
                    })
                    .unwrap_or(false),
                _ => false,
            };
            drop(slot);
            if blocked {
                let until = chrono::Utc::now() + chrono::Duration::hours(1);
                let mut e = SourceError::new(
                    ErrorKind::RateLimited,
                    format!(
                        "Garmin refused {REFUSALS_THAT_MEAN_BLOCKED} activities in a row (HTTP 403): \
                         it blocks requests from here for now; try again after {}",
                        until.format("%Y-%m-%d %H:%M UTC")
                    ),
                );
                e.retry_at = Some(until);
                if let Ok(mut b) = self.blocked.lock() {
                    b.get_or_insert_with(|| (e.message.clone(), e.retry_at));
                }
                return Err(e);
            }
            // A CDN page (HTML) is a block at once: nothing more goes out either.
            if let Err(e) = &answer
                && e.kind == ErrorKind::RateLimited
                && let Ok(mut b) = self.blocked.lock()
            {
                b.get_or_insert_with(|| (e.message.clone(), e.retry_at));
            }
            answer
        })
        .await
    }

    /// Lists newest first. Returns the listed top-level ids and how many were new; each new
    /// one is handed to `on_new` as soon as it is recorded. A page takes a request slot like
    /// any other request: downloads may be running meanwhile.
    async fn list(
        &self,
        on_new: &mut (dyn FnMut(&Activity) + Send),
    ) -> Result<(Vec<ActivityId>, u64)> {
        let sel = &self.opts.selection;
        let page_size = self.opts.page_size.clamp(1, 1000);
        let was_complete = self.archive.meta(LISTING_COMPLETE)?.as_deref() == Some("1");
        // A listing that never reached its end (first run, killed, or cut by -c) leaves
        // older activities unknown: stopping at "nothing new" would then skip them.
        let mode = if was_complete {
            self.opts.mode
        } else {
            ListMode::Full
        };
        if !self.opts.dry_run {
            self.archive.set_meta(LISTING_COMPLETE, "0")?;
        }
        let mut ids = Vec::new();
        let mut new = 0u64;
        let mut start = 0usize;
        let complete = loop {
            let page = self
                .cancellable(async {
                    let _slot = self
                        .requests
                        .acquire()
                        .await
                        .map_err(|_| SourceError::new(ErrorKind::Cancelled, "cancelled"))?;
                    self.source.list(start, page_size).await
                })
                .await?;
            let n = page.len();
            let mut considered = 0usize;
            let mut page_new = 0usize;
            let mut cut = false;
            for item in page {
                let Some(a) = Activity::from_list_item(item) else {
                    continue;
                };
                if !sel.chose(a.id) {
                    continue;
                }
                let date = a.start_local().map(|t| t.date());
                if let (Some(end), Some(d)) = (sel.end_date, date)
                    && d > end
                {
                    continue;
                }
                if let (Some(st), Some(d)) = (sel.start_date, date)
                    && d < st
                {
                    cut = true;
                    break;
                }
                if sel.count.is_some_and(|c| ids.len() >= c) {
                    cut = true;
                    break;
                }
                considered += 1;
                let is_new = if self.opts.dry_run {
                    !self.archive.contains(a.id)?
                } else {
                    self.archive.upsert_listed(&a)?
                };
                if is_new {
                    page_new += 1;
                    new += 1;
                    if let Ok(mut o) = self.outcome.lock() {
                        o.listed_new += 1;
                    }
                    on_new(&a);
                }
                ids.push(a.id);
                self.reporter.change(|t| t.activities_listed += 1);
            }
            if n < page_size {
                break true;
            }
            if cut {
                break false;
            }
            if let Some(only) = &sel.only {
                // Chosen activities are often known already: only finding them all ends
                // this listing early.
                if ids.len() >= only.len() {
                    break false;
                }
                start += n;
                continue;
            }
            if mode == ListMode::Incremental && considered > 0 && page_new == 0 {
                break true;
            }
            start += n;
        };
        if !self.opts.dry_run && complete && !sel.is_narrowed() {
            self.archive.set_meta(LISTING_COMPLETE, "1")?;
        } else if !self.opts.dry_run && was_complete && sel.is_narrowed() && new == 0 {
            // A narrowed run that found nothing new cannot have left a gap.
            self.archive.set_meta(LISTING_COMPLETE, "1")?;
        }
        Ok((ids, new))
    }

    /// Decided from the archive's briefs: no activity's JSON is parsed unless a date or type
    /// filter needs it, so a re-run of a large account costs milliseconds. Activities in
    /// `started` (and the legs their turn records) are under way already: neither planned
    /// again nor counted as skipped.
    fn plan(&self, listed: &HashSet<ActivityId>, started: &HashSet<ActivityId>) -> Result<Plan> {
        let briefs = self.archive.briefs()?;
        let items = self.archive.items()?;
        let known: HashSet<ActivityId> = briefs.iter().map(|b| b.id).collect();
        let sel = &self.opts.selection;
        let filters_fields =
            sel.start_date.is_some() || sel.end_date.is_some() || !sel.types.is_empty();
        let mut work = Vec::new();
        let mut skipped = 0u64;
        let mut without_gear = 0usize;
        let mut admitted_tops = HashSet::new();
        let inserted = self
            .legs_inserted
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default();
        for b in briefs {
            if started.contains(&b.id) {
                admitted_tops.insert(b.id);
                continue;
            }
            if inserted.contains(&b.id) {
                continue;
            }
            let top = b.parent_id.filter(|p| known.contains(p)).unwrap_or(b.id);
            if (sel.count.is_some() && !listed.contains(&top)) || !sel.chose(top) {
                continue;
            }
            // A leg follows its parent: the list, which the filters speak of, shows only
            // the parent. Its own id can still be excluded.
            let admitted = if top != b.id {
                admitted_tops.contains(&top) && !sel.exclude.contains(&b.id)
            } else if filters_fields {
                match self.archive.load(b.id)? {
                    Some(s) => sel.admits(&s.activity),
                    None => false,
                }
            } else {
                !sel.exclude.contains(&b.id)
            };
            if !admitted {
                continue;
            }
            if top == b.id {
                admitted_tops.insert(b.id);
            }
            let needs_files = self.opts.formats.iter().any(|f| {
                !matches!(
                    items.get(&(b.id, *f)),
                    Some(ItemState::Done | ItemState::Unavailable)
                )
            });
            let needs = !b.has_details
                || !b.has_gear
                || needs_files
                || b.child_ids.iter().any(|c| !known.contains(c));
            if needs {
                without_gear += usize::from(!b.has_gear);
                work.push(b.id);
            } else {
                skipped += 1;
            }
        }
        Ok(Plan {
            work,
            skipped,
            without_gear,
            items: Arc::new(items),
        })
    }

    /// Lists, plans and downloads at once (see the module's comment); returns how many
    /// activities needed nothing.
    async fn list_and_execute(&self) -> Result<u64> {
        // What the folder held before the list: files adopted from an older tool can belong
        // to activities the list then finds new. The listing changes no file's state of a new
        // activity, so this is still right when its turn comes. Read before anything waits on
        // the feed: an error here must not leave the downloads and the gear map waiting.
        let before = Arc::new(self.archive.items()?);
        let (work, queue) = tokio::sync::mpsc::unbounded_channel::<(ActivityId, Arc<Items>)>();
        let feed = async {
            let mut started = HashSet::new();
            let sel = &self.opts.selection;
            let listed = self
                .list(&mut |a| {
                    if sel.admits(a) && started.insert(a.id) {
                        self.gear_demand.send_modify(|d| d.wanted += 1);
                        let _ = work.send((a.id, Arc::clone(&before)));
                    }
                })
                .await;
            let planned = match listed {
                Ok((ids, _)) => {
                    let listed: HashSet<ActivityId> = ids.into_iter().collect();
                    self.plan(&listed, &started).map(|plan| {
                        self.gear_demand
                            .send_modify(|d| d.wanted += plan.without_gear);
                        for id in &plan.work {
                            let _ = work.send((*id, Arc::clone(&plan.items)));
                        }
                        (plan.work.len(), plan.skipped)
                    })
                }
                Err(e) => {
                    self.stop_with(e);
                    Ok((0, 0))
                }
            };
            self.gear_demand.send_modify(|d| d.settled = true);
            drop(work);
            let (more, skipped) = planned.inspect_err(|_| self.stop.cancel())?;
            self.reporter
                .change(|t| t.activities_planned = (started.len() + more) as u64);
            Ok(skipped)
        };
        let (skipped, (), ()) = tokio::join!(feed, self.execute(queue), self.gear());
        skipped
    }

    /// Makes the gear map if it pays, then gives their gear to the activities that got to
    /// their gear step before it was made.
    async fn gear(&self) {
        let map = self.gear_map().await.map(Arc::new);
        let waiting = match self.gear.lock() {
            Ok(mut g) => {
                g.decided = Some(map.clone());
                std::mem::take(&mut g.waiting)
            }
            Err(_) => return,
        };
        futures_util::stream::iter(waiting)
            .for_each_concurrent(None, |(id, is_leg)| {
                let map = map.as_deref();
                async move {
                    if self.stop.is_cancelled() {
                        return;
                    }
                    if let Err(e) = self.gear_step(id, is_leg, map).await {
                        if e.stops_run() {
                            self.stop_with(e);
                        } else {
                            tracing::warn!(id, error = %e, "gear not recorded");
                        }
                    }
                }
            })
            .await;
    }

    /// The gear of every activity, a gear item at a time, when that costs fewer requests
    /// than asking each activity: once more activities need gear than there are items. It
    /// starts as soon as that is so, while the list is still being read.
    async fn gear_map(&self) -> Option<crate::gear::GearMap> {
        use crate::gear::WORTH_MAPPING;
        let mut demand = self.gear_demand.subscribe();
        let d = self
            .demand_until(&mut demand, |d| d.wanted >= WORTH_MAPPING)
            .await?;
        if d.wanted < WORTH_MAPPING {
            return None;
        }
        let mapped = async {
            let Some(items) = crate::gear::items(self.source, &self.requests).await? else {
                return Ok(None);
            };
            let enough = |d: &GearDemand| d.wanted > items.len();
            let Some(d) = self.demand_until(&mut demand, enough).await else {
                return Ok(None);
            };
            if items.len() >= d.wanted {
                return Ok(None);
            }
            crate::gear::map(self.source, &items, &self.requests)
                .await
                .map(Some)
        };
        match self.cancellable(mapped).await {
            Ok(map) => map,
            Err(e) => {
                let e = Error::from(e);
                if e.stops_run() {
                    self.stop_with(e);
                } else {
                    // Asked per activity instead: slower, not wrong.
                    tracing::warn!(error = %e, "gear not mapped by item");
                }
                None
            }
        }
    }

    /// The demand once it is `enough` or final; `None` when the run stops first.
    async fn demand_until(
        &self,
        demand: &mut tokio::sync::watch::Receiver<GearDemand>,
        enough: impl Fn(&GearDemand) -> bool,
    ) -> Option<GearDemand> {
        tokio::select! {
            _ = self.stop.cancelled() => None,
            d = demand.wait_for(|d| d.settled || enough(d)) => d.ok().map(|d| *d),
        }
    }

    /// An activity's gear: from the map when it is made and names the activity, else asked.
    /// An activity that gets here before the map is decided leaves it to [`Self::gear`].
    async fn gear_of(&self, id: ActivityId, is_leg: bool) -> Result<()> {
        let map = match self.gear.lock() {
            Ok(mut g) => match &g.decided {
                Some(map) => map.clone(),
                None => {
                    g.waiting.push((id, is_leg));
                    return Ok(());
                }
            },
            Err(_) => None,
        };
        self.gear_step(id, is_leg, map.as_deref()).await
    }

    async fn gear_step(
        &self,
        id: ActivityId,
        is_leg: bool,
        map: Option<&crate::gear::GearMap>,
    ) -> Result<()> {
        if let Some(g) = map.and_then(|m| m.gear_of(id, is_leg)) {
            return self.archive.set_gear(id, &g);
        }
        match self.ask(id, self.source.gear(id)).await {
            Ok(g) => self.archive.set_gear(id, &g),
            Err(e) => {
                let e = Error::from(e);
                if e.stops_run() {
                    return Err(e);
                }
                // The gear only fills one CSV column: no reason to fail the files.
                tracing::warn!(id, error = %e, "gear not fetched; asked again next run");
                Ok(())
            }
        }
    }

    async fn execute(
        &self,
        mut work: tokio::sync::mpsc::UnboundedReceiver<(ActivityId, Arc<Items>)>,
    ) {
        // Twice as many activities as requests: while one writes, syncs and unzips what it
        // fetched, another already waits with its next request, so Garmin always has
        // `concurrency` requests and never more.
        let requests = self.opts.concurrency.clamp(1, 8);
        let in_flight = match self.source.parallelism() {
            Some(p) => p.clamp(1, requests),
            None => requests * 2,
        };
        let mut stream = futures_util::stream::poll_fn(|cx| work.poll_recv(cx))
            .map(|(id, items)| async move { self.activity(id, &items).await })
            .buffer_unordered(in_flight);
        // A 429 pause can outlast every download in flight: poll it so the front end can
        // say "waiting until ..." instead of looking stuck.
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
        loop {
            tokio::select! {
                next = stream.next() => {
                    if next.is_none() {
                        break;
                    }
                    if self.stop.is_cancelled() {
                        // In-flight work sees the token and returns promptly; nothing new
                        // starts.
                        while stream.next().await.is_some() {}
                        break;
                    }
                }
                _ = tick.tick() => {
                    let paused = self.source.paused_until();
                    if self.reporter.totals().paused_until != paused {
                        self.reporter.change(|t| t.paused_until = paused);
                    }
                }
            }
        }
    }

    /// Everything one activity needs, and then its legs. Errors stay with the activity.
    ///
    /// The totals count the activity once, legs included: the list a person sees has one
    /// row per multisport, so "12 of 300" must not become "12 of 337" as legs turn up.
    async fn activity(&self, id: ActivityId, items: &Items) {
        let mut queue = match self.archive.load(id) {
            Ok(Some(s)) => vec![s],
            // Planned from the archive a moment ago: gone only if the state was tampered with.
            Ok(None) => Vec::new(),
            Err(e) => {
                self.stop_with(e);
                return;
            }
        };
        let mut failed = false;
        while let Some(s) = queue.pop() {
            if self.stop.is_cancelled() {
                return;
            }
            match self.one(s, items).await {
                Ok((legs, f)) => {
                    failed |= f;
                    queue.extend(legs.into_iter().rev());
                }
                Err(e) if e.stops_run() => {
                    self.stop_with(e);
                    return;
                }
                Err(e) => {
                    failed = true;
                    tracing::warn!(error = %e, "activity failed");
                }
            }
        }
        if let Ok(mut kept) = self.parent_originals.lock() {
            kept.remove(&id);
        }
        self.reporter.change(|t| {
            if failed {
                t.activities_failed += 1;
            } else {
                t.activities_done += 1;
            }
        });
    }

    /// Returns the legs still to do and whether something failed.
    async fn one(&self, s: Stored, items: &Items) -> Result<(Vec<Stored>, bool)> {
        let mut a = s.activity;
        let id = a.id;
        self.reporter.change(|t| {
            t.current_activity = Some(CurrentActivity {
                id,
                name: a.name().unwrap_or("").to_string(),
            });
        });
        if !self.details_first(&mut a, items).await? {
            // Without details nothing is named right: leave the files for the next run
            // instead of writing them under a guessed name.
            return Ok((Vec::new(), true));
        }
        let (legs, mut failed) = self.new_legs(&a).await?;
        if s.gear.is_none() {
            self.gear_of(id, a.parent_id.is_some()).await?;
        }
        self.ensure_device(&a).await?;
        let mut tracks = derive::Cache::default();
        failed |= self.files(&mut a, items, &mut tracks).await?;
        if !legs.is_empty()
            && let Some(original) = tracks.original.take()
            && let Ok(mut kept) = self.parent_originals.lock()
        {
            kept.insert(id, original);
        }
        Ok((legs, failed))
    }

    /// Garmin's details, asked first only where nothing else will do (docs/csv.md,
    /// "Requests"); the JSON format is Garmin's own details, never the ones made here.
    /// `false` when they were needed and could not be had (recorded as the activity's
    /// failure).
    async fn details_first(&self, a: &mut Activity, items: &Items) -> Result<bool> {
        let id = a.id;
        let json_wanted = self.opts.formats.contains(&Format::Json)
            && !matches!(
                items.get(&(id, Format::Json)),
                Some(ItemState::Done | ItemState::Unavailable)
            );
        if !((a.details.is_none() && crate::infer::needed_first(a, &self.opts.formats))
            || (json_wanted && crate::infer::is_inferred(a.details.as_ref())))
        {
            return Ok(true);
        }
        match self.ask(id, self.source.details(id)).await {
            Ok(d) => {
                crate::infer::learn(self.archive, a, &d, None)?;
                self.archive.set_details(id, &d)?;
                a.details = Some(d);
                Ok(true)
            }
            Err(e) => {
                let e = Error::from(e);
                if e.stops_run() {
                    return Err(e);
                }
                self.fail(id, None, &e);
                Ok(false)
            }
        }
    }

    /// A multisport parent's legs the folder does not know yet, from their details (legs
    /// are never listed), recorded; and whether one of them could not be had.
    async fn new_legs(&self, a: &Activity) -> Result<(Vec<Stored>, bool)> {
        let id = a.id;
        let mut legs = Vec::new();
        let mut failed = false;
        for child in a.child_ids() {
            if self.archive.contains(child)? {
                continue;
            }
            match self.ask(id, self.source.details(child)).await {
                Ok(d) => match Activity::leg_from_details(id, d) {
                    Some(leg) => {
                        // Before it is in the archive, so that no plan ever sees it alone.
                        if let Ok(mut l) = self.legs_inserted.lock() {
                            l.insert(leg.id);
                        }
                        self.archive.insert_leg(&leg)?;
                        if let Ok(mut o) = self.outcome.lock() {
                            o.legs_new += 1;
                        }
                        legs.push(Stored {
                            activity: leg,
                            gear: None,
                        });
                    }
                    None => {
                        self.fail(
                            child,
                            None,
                            &Error::Source(SourceError::new(
                                ErrorKind::Server,
                                "the leg's details carry no activityId",
                            )),
                        );
                        failed = true;
                    }
                },
                Err(e) => {
                    let e = Error::from(e);
                    if e.stops_run() {
                        return Err(e);
                    }
                    self.fail(child, None, &e);
                    failed = true;
                }
            }
        }
        Ok((legs, failed))
    }

    /// Each chosen format of the activity not yet in the folder, the original first (GPX
    /// and TCX made from it then find it on disk); and whether one of them failed.
    async fn files(
        &self,
        a: &mut Activity,
        items: &Items,
        tracks: &mut derive::Cache,
    ) -> Result<bool> {
        let id = a.id;
        let mut failed = false;
        let mut formats = self.opts.formats.clone();
        formats.sort_by_key(|f| *f != Format::Original);
        let mut settled = false;
        for format in formats {
            if format != Format::Original && !settled {
                // Before the tracks: they name the device, which the details tell.
                settled = true;
                failed |= self.settle_details(a, tracks).await?;
            }
            if matches!(
                items.get(&(id, format)),
                Some(ItemState::Done | ItemState::Unavailable)
            ) {
                continue;
            }
            if self.stop.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let made_here = match self.derives(format) {
                Derive::Never => Ok(false),
                Derive::Always => Ok(true),
                Derive::FromCleanFit => self.original_is_clean_fit(a, tracks).await,
            };
            let (made_here, outcome) = match made_here {
                Ok(true) => (true, self.derived(a, format, tracks).await),
                Err(e) => (false, Err(e)),
                Ok(false) => (false, self.downloaded(a, format).await),
            };
            match outcome {
                Ok(Some(records)) => {
                    self.archive.record_done(id, format, &records)?;
                    if let Ok(mut o) = self.outcome.lock() {
                        o.files_written += records.len() as u64;
                    }
                }
                Ok(None) => {
                    self.archive.record_unavailable(id, format)?;
                    let reason = if made_here {
                        self.derived_reason(a, format, tracks)
                    } else {
                        self.source.unavailable_reason(a, format)
                    };
                    if let Ok(mut o) = self.outcome.lock() {
                        o.unavailable.push(Unavailable {
                            activity_id: id,
                            name: display_name(a),
                            format,
                            reason,
                        });
                    }
                }
                Err(e) if e.stops_run() => return Err(e),
                Err(e) => {
                    self.archive.record_failed(id, format, &e.to_string())?;
                    self.fail(id, Some(format), &e);
                    failed = true;
                }
            }
        }
        if !settled {
            failed |= self.settle_details(a, tracks).await?;
        }
        Ok(failed)
    }

    /// The device's name and firmware, once per device and run, when the details name one
    /// the folder does not know.
    async fn ensure_device(&self, a: &Activity) -> Result<()> {
        if let Some(install_id) = table::device_install_id(a)
            && self.archive.device(install_id)?.is_none()
            && self
                .devices_asked
                .lock()
                .map(|mut asked| asked.insert(install_id))
                .unwrap_or(true)
        {
            match self.ask(a.id, self.source.device(install_id)).await {
                Ok(info) => self.archive.set_device(install_id, info.as_ref())?,
                Err(e) => {
                    let e = Error::from(e);
                    if e.stops_run() {
                        return Err(e);
                    }
                    tracing::warn!(install_id, error = %e, "device not fetched");
                }
            }
        }
        Ok(())
    }

    /// Gives an activity without details the ones the table needs: made from the list item,
    /// its original and what the folder learnt when they say everything, else Garmin's (and
    /// what they teach is kept). Returns whether that failed.
    async fn settle_details(&self, a: &mut Activity, cache: &mut derive::Cache) -> Result<bool> {
        if a.details.is_some() {
            return Ok(false);
        }
        // The original is at hand when it was downloaded, or when a track is made from it
        // anyway; it is never fetched for the details' sake alone (that costs what they do).
        let tracks_use_it = self.opts.formats.iter().any(|f| {
            !matches!(self.derives(*f), Derive::Never)
                && !matches!(
                    self.archive.item_state(a.id, *f),
                    Ok(Some(ItemState::Done | ItemState::Unavailable))
                )
        });
        if tracks_use_it || !derive::original_paths(self.archive, a)?.is_empty() {
            match self.original_is_clean_fit(a, cache).await {
                Ok(_) => {}
                Err(e) if e.stops_run() => return Err(e),
                // Unreadable here: the details are asked for instead.
                Err(e) => tracing::debug!(id = a.id, error = %e, "original not read"),
            }
        }
        let decoded = match &cache.decoded {
            Some(Ok(r)) => Some(std::sync::Arc::clone(r)),
            _ => None,
        };
        let inferred =
            crate::infer::infer(self.archive, a, cache.original.as_ref(), decoded.as_deref())?;
        let details = match inferred {
            Some(d) => d,
            None => match self.ask(a.id, self.source.details(a.id)).await {
                Ok(d) => {
                    crate::infer::learn(self.archive, a, &d, decoded.as_deref())?;
                    d
                }
                Err(e) => {
                    let e = Error::from(e);
                    if e.stops_run() {
                        return Err(e);
                    }
                    self.fail(a.id, None, &e);
                    return Ok(true);
                }
            },
        };
        self.archive.set_details(a.id, &details)?;
        a.details = Some(details);
        self.ensure_device(a).await?;
        Ok(false)
    }

    fn fail(&self, id: ActivityId, format: Option<Format>, e: &Error) {
        tracing::warn!(id, format = ?format, error = %e, "failed");
        // Rare, so the name is looked up here rather than carried by every caller. A leg
        // whose details failed is not in the archive yet.
        let name = activity_name(self.archive, id);
        if let Ok(mut o) = self.outcome.lock() {
            o.failures.push(Failure {
                activity_id: id,
                name,
                format,
                kind: e.kind(),
                message: e.to_string(),
            });
        }
    }

    /// Notes once per activity that its tracks come from a damaged original.
    fn salvaged(&self, id: ActivityId, rec: &crate::convert::Recording, why: &str) {
        if let Ok(mut o) = self.outcome.lock()
            && !o.salvaged.iter().any(|s| s.activity_id == id)
        {
            let points = rec.points().count() as u64;
            o.salvaged.push(Salvaged {
                activity_id: id,
                points,
                message: crate::convert::salvage_note(points, why),
            });
        }
    }

    fn path(&self, a: &Activity, kind: &FileKind) -> (PathBuf, String) {
        let rel = self.opts.layout.relative_path(a, kind);
        (self.archive.root().join(&rel), rel_string(&rel))
    }

    fn mtime(&self, a: &Activity) -> Option<SystemTime> {
        if self.opts.original_time {
            a.start_utc().map(SystemTime::from)
        } else {
            None
        }
    }

    /// Writes bytes the run made itself (details JSON, tracks from the original) as it
    /// writes downloads: through a `.part`, synced, renamed.
    async fn write_made(&self, a: &Activity, format: Format, body: &[u8]) -> Result<FileRecord> {
        let (abs, rel) = self.path(a, &FileKind::Export(format));
        let mut part = PartFile::create(self.archive.root(), &abs).await?;
        use tokio::io::AsyncWriteExt;
        if let Err(e) = part.write_all(body).await {
            part.discard().await;
            return Err(Error::io(&abs, e));
        }
        let rec = part.commit(&abs, rel, self.mtime(a)).await?;
        self.reporter.change(|t| t.bytes_written += rec.size);
        Ok(rec)
    }

    /// Why a track could not be made from the original: the original's own absence is the
    /// source's to explain.
    fn derived_reason(
        &self,
        a: &Activity,
        format: Format,
        made_from: &derive::Cache,
    ) -> UnavailableReason {
        match made_from.original {
            Some(derive::Original::Gpx(_) | derive::Original::Tcx(_)) => {
                UnavailableReason::UploadedTrack
            }
            Some(derive::Original::Fit(_)) if format == Format::Gpx => UnavailableReason::NoTrack,
            Some(derive::Original::Fit(_)) => UnavailableReason::NotOffered,
            Some(derive::Original::Missing) | None if a.is_manual() => UnavailableReason::Manual,
            Some(derive::Original::Missing) | None => {
                self.source.unavailable_reason(a, Format::Original)
            }
        }
    }

    /// Whether `format` is made here from the original rather than downloaded.
    fn derives(&self, format: Format) -> Derive {
        if !matches!(format, Format::Gpx | Format::Tcx) {
            return Derive::Never;
        }
        if self.opts.tracks_from_original || !self.source.offers(format) {
            Derive::Always
        } else if self.opts.garmin_tracks {
            Derive::Never
        } else {
            Derive::FromCleanFit
        }
    }

    /// Whether the activity's original (from the archive, or fetched once into memory) is
    /// a FIT that decodes without damage: then GPX and TCX made from it cost no request and
    /// carry every sample; Garmin's own serve anything else better.
    async fn original_is_clean_fit(&self, a: &Activity, cache: &mut derive::Cache) -> Result<bool> {
        if cache.original.is_none() {
            cache.original = Some(self.original_for_tracks(a).await?);
        }
        let Some(derive::Original::Fit(bytes)) = cache.original.clone() else {
            return Ok(false);
        };
        if cache.decoded.is_none() {
            let decoded = tokio::task::spawn_blocking(move || {
                crate::convert::decode_fit(&bytes)
                    .map(std::sync::Arc::new)
                    .map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| Error::State(format!("decoding the original: {e}")))?;
            cache.decoded = Some(decoded);
        }
        Ok(matches!(&cache.decoded, Some(Ok(r)) if r.damage.is_none()))
    }

    /// Makes GPX or TCX from the original: the archive's copy, or else one fetch into
    /// memory that the activity's other track format shares. `Ok(None)`: it cannot exist.
    async fn derived(
        &self,
        a: &Activity,
        format: Format,
        cache: &mut derive::Cache,
    ) -> Result<Option<Vec<FileRecord>>> {
        if cache.original.is_none() {
            cache.original = Some(self.original_for_tracks(a).await?);
        }
        let device = match table::device_install_id(a) {
            Some(install_id) => self.archive.device(install_id)?.flatten(),
            None => None,
        };
        let mut owned = std::mem::take(cache);
        let activity = a.clone();
        let (owned, made) = tokio::task::spawn_blocking(move || {
            let made = derive::make(&mut owned, &activity, device.as_ref(), format);
            (owned, made)
        })
        .await
        .map_err(|e| Error::State(format!("conversion task: {e}")))?;
        *cache = owned;
        if let (Ok(Some(_)), Some(Ok(rec))) = (&made, &cache.decoded)
            && let Some(why) = &rec.damage
        {
            self.salvaged(a.id, rec, why);
        }
        match made? {
            Some(body) => Ok(Some(vec![self.write_made(a, format, &body).await?])),
            None => Ok(None),
        }
    }

    async fn original_for_tracks(&self, a: &Activity) -> Result<derive::Original> {
        let limits = self.opts.zip_limits;
        let paths = derive::original_paths(self.archive, a)?;
        if !paths.is_empty() {
            let on_disk =
                tokio::task::spawn_blocking(move || derive::read_original(&paths, limits))
                    .await
                    .map_err(|e| Error::State(format!("reading the original: {e}")))??;
            if let Some(o) = on_disk {
                return Ok(o);
            }
        }
        let parents = a
            .parent_id
            .and_then(|p| self.parent_originals.lock().ok()?.get(&p).cloned());
        if let Some(original) = parents {
            return Ok(original);
        }
        if a.is_manual()
            || self.archive.item_state(a.id, Format::Original)? == Some(ItemState::Unavailable)
        {
            // Asked already (a manual activity has none): not asked twice.
            return Ok(derive::Original::Missing);
        }
        let mut buf = derive::CappedBuf::new(crate::convert::MAX_FIT_BYTES);
        // Through the same slots as every other request: `concurrency` in flight, never more.
        let fetched = self
            .ask(a.id, self.source.fetch(a.id, Format::Original, &mut buf))
            .await;
        self.reporter
            .change(|t| t.paused_until = self.source.paused_until());
        match fetched {
            Ok(None) => Ok(derive::Original::Missing),
            Ok(Some(_)) => {
                if let Ok(mut r) = self.refused.lock() {
                    r.clear();
                }
                let bytes = std::mem::take(&mut buf.buf);
                let classified =
                    tokio::task::spawn_blocking(move || derive::classify(bytes, limits))
                        .await
                        .map_err(|e| Error::State(format!("reading the original: {e}")))??;
                classified.ok_or_else(|| {
                    Error::BadData(format!(
                        "the original of activity {} is neither a FIT, a GPX nor a TCX file",
                        a.id
                    ))
                })
            }
            Err(_) if buf.overflowed => Err(Error::Hostile(format!(
                "the original of activity {} is larger than {} bytes",
                a.id,
                crate::convert::MAX_FIT_BYTES
            ))),
            Err(e) => Err(Error::Source(e)),
        }
    }

    /// Downloads one format from the source.
    async fn downloaded(&self, a: &Activity, format: Format) -> Result<Option<Vec<FileRecord>>> {
        match self.file(a, format).await {
            Ok(None) if format == Format::Tcx && made_from_fit(a) => {
                // Garmin answers a 500 for good only for TCX of an uploaded GPX; for
                // a device file it was a passing failure, not "this does not exist".
                Err(Error::Source(SourceError::new(
                    ErrorKind::Server,
                    "Garmin failed to export the TCX (HTTP 500)",
                )))
            }
            other => other,
        }
    }

    /// A multisport leg's original is its parent's file, byte for byte: copied from the
    /// folder rather than downloaded again. `None` when the parent's copy is not there in
    /// the form this run writes (zipped or not), and the leg's is then downloaded.
    async fn leg_original(&self, a: &Activity) -> Result<Option<Vec<FileRecord>>> {
        let Some(parent) = a.parent_id else {
            return Ok(None);
        };
        if self.archive.item_state(parent, Format::Original)? != Some(ItemState::Done) {
            return Ok(None);
        }
        let files = self.archive.files_of(parent, Format::Original)?;
        let zipped = |p: &str| p.to_ascii_lowercase().ends_with(".zip");
        if files.is_empty() || files.iter().any(|f| zipped(&f.path) == self.opts.unzip) {
            return Ok(None);
        }
        let mut bodies = Vec::new();
        for f in &files {
            let src = self.archive.root().join(&f.path);
            match tokio::fs::read(&src).await {
                Ok(b) if b.len() as u64 == f.size => bodies.push((src, b)),
                // Changed or gone since it was written: Garmin's copy is the safe one.
                _ => return Ok(None),
            }
        }
        let mut records = Vec::new();
        for (index, (src, body)) in bodies.into_iter().enumerate() {
            let kind = if self.opts.unzip {
                let ext = src
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("fit")
                    .to_ascii_lowercase();
                FileKind::OriginalEntry { ext, index }
            } else {
                FileKind::OriginalZip
            };
            let (abs, rel) = self.path(a, &kind);
            let mut part = PartFile::create(self.archive.root(), &abs).await?;
            use tokio::io::AsyncWriteExt;
            if let Err(e) = part.write_all(&body).await {
                part.discard().await;
                return Err(Error::io(&abs, e));
            }
            let rec = part.commit(&abs, rel, self.mtime(a)).await?;
            self.reporter.change(|t| t.bytes_written += rec.size);
            records.push(rec);
        }
        Ok(Some(records))
    }

    /// Fetches and writes one format. `Ok(None)`: the format does not exist for it.
    async fn file(&self, a: &Activity, format: Format) -> Result<Option<Vec<FileRecord>>> {
        let mtime = self.mtime(a);
        if format == Format::Json {
            let details = a.details.clone().unwrap_or(Value::Null);
            let body = serde_json::to_vec_pretty(&details)
                .map_err(|e| Error::State(format!("details of {}: {e}", a.id)))?;
            return Ok(Some(vec![self.write_made(a, Format::Json, &body).await?]));
        }
        if format == Format::Original && a.is_manual() {
            // Entered by hand: Garmin holds no file and answers 404, so it is not asked.
            return Ok(None);
        }
        if format == Format::Original
            && let Some(records) = self.leg_original(a).await?
        {
            return Ok(Some(records));
        }

        let kind = if format == Format::Original {
            FileKind::OriginalZip
        } else {
            FileKind::Export(format)
        };
        let (abs, rel) = self.path(a, &kind);
        let mut part = PartFile::create(self.archive.root(), &abs).await?;
        let fetched = self
            .ask(a.id, self.source.fetch(a.id, format, &mut part))
            .await;
        self.reporter
            .change(|t| t.paused_until = self.source.paused_until());
        let fetched = match fetched {
            Ok(f) => {
                if let Ok(mut r) = self.refused.lock() {
                    r.clear();
                }
                f
            }
            Err(e) => {
                let local = part.write_error();
                part.discard().await;
                return Err(match local {
                    Some(kind) => Error::io(&abs, std::io::Error::new(kind, e.message)),
                    None => Error::Source(e),
                });
            }
        };
        if fetched.is_none() {
            part.discard().await;
            return Ok(None);
        }

        if format == Format::Original && self.opts.unzip {
            // The ZIP itself is only a vehicle: extract from the `.part`, then drop it.
            use tokio::io::AsyncWriteExt;
            if let Err(e) = part.flush().await {
                part.discard().await;
                return Err(Error::io(&abs, e));
            }
            let zip_part = part.part_path().to_path_buf();
            let zip_bytes = part.size();
            let layout = self.opts.layout.clone();
            let root = self.archive.root().to_path_buf();
            let activity = a.clone();
            let limits = self.opts.zip_limits;
            let zp = zip_part.clone();
            let extracted = tokio::task::spawn_blocking(move || {
                original::extract(&zp, limits, mtime, &|ext, index| {
                    let rel = layout.relative_path(
                        &activity,
                        &FileKind::OriginalEntry {
                            ext: ext.to_string(),
                            index,
                        },
                    );
                    (root.join(&rel), rel_string(&rel))
                })
            })
            .await
            .map_err(|e| Error::State(format!("unzip task: {e}")));
            part.discard().await;
            let extracted = extracted??;
            tracing::debug!(id = a.id, zip_bytes, "unzipped the original");
            let records: Vec<FileRecord> = extracted.into_iter().map(|x| x.record).collect();
            let bytes: u64 = records.iter().map(|r| r.size).sum();
            self.reporter.change(|t| t.bytes_written += bytes);
            return Ok(Some(records));
        }

        let rec = part.commit(&abs, rel, mtime).await?;
        self.reporter.change(|t| t.bytes_written += rec.size);
        Ok(Some(vec![rec]))
    }
}

/// Where a GPX or TCX comes from.
#[derive(Clone, Copy)]
enum Derive {
    /// Downloaded from the source.
    Never,
    /// Made from the original, whatever it is.
    Always,
    /// Made from the original when it is a clean FIT, else downloaded.
    FromCleanFit,
}

/// The name the folder knows an activity by, for front ends naming what a run found.
pub fn activity_name(archive: &Archive, id: ActivityId) -> String {
    match archive.load(id) {
        Ok(Some(s)) => display_name(&s.activity),
        _ => format!("Activity {id}"),
    }
}

/// The name a person knows the activity by.
fn display_name(a: &Activity) -> String {
    match a.name() {
        Some(n) if !n.trim().is_empty() => n.to_owned(),
        _ => format!("Activity {}", a.id),
    }
}

/// The activity was recorded by a device (its original is a FIT), so every export exists.
fn made_from_fit(a: &Activity) -> bool {
    !a.is_manual()
        && a.details
            .as_ref()
            .and_then(|d| d.pointer("/metadataDTO/fileFormat/formatKey"))
            .and_then(Value::as_str)
            .is_some_and(|k| k.eq_ignore_ascii_case("fit"))
}
