//! One health backup: probe which days had a device (one steps request per 28 days), fetch
//! only what each day's summary says exists, keep Garmin's JSON per day, then the weigh-ins
//! by year, the personal records, and the tables. See `docs/health.md`.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{Datelike, Duration, NaiveDate};
use futures_util::StreamExt as _;
use serde::Serialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::options::HealthOptions;
use super::source::{HealthCall, HealthSource};
use super::state::{self, DAY_FORMAT, DayStatus};
use super::{HEALTH_DIR, day_dir, tables, write_atomic};
use crate::archive::Archive;
use crate::error::{Error, ErrorKind, Result};
use crate::source::SourceError;

/// Running totals, for front ends (days, as the backup card counts them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HealthTotals {
    pub days_planned: u64,
    pub days_done: u64,
    pub days_failed: u64,
    /// Set while the source waits out a 429.
    pub paused_until: Option<chrono::DateTime<chrono::Utc>>,
}

pub trait HealthProgress: Send + Sync {
    fn update(&self, totals: &HealthTotals);
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HealthSummary {
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    /// Days already complete and not recent: nothing asked.
    pub days_skipped: u64,
    /// Days with data fetched this run.
    pub days_fetched: u64,
    /// Days without a device (nothing to keep).
    pub days_empty: u64,
    pub days_failed: u64,
    pub files_written: u64,
    pub weigh_ins: u64,
    pub records: u64,
    /// Requests this run made to the source.
    pub requests: u64,
    pub failures: Vec<(NaiveDate, String)>,
    /// Why the run stopped early, if it did (signed out, rate limited, disk, cancelled).
    pub stopped: Option<String>,
}

struct Ctx<'a, S> {
    archive: &'a Archive,
    source: &'a S,
    requests: AtomicU64,
    fatal: Mutex<Option<String>>,
    stop: CancellationToken,
}

impl<S: HealthSource> Ctx<'_, S> {
    async fn fetch(&self, call: HealthCall) -> std::result::Result<Option<Vec<u8>>, SourceError> {
        if self.stop.is_cancelled() {
            return Err(SourceError::new(ErrorKind::Cancelled, "cancelled"));
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let out = self.source.fetch(&call).await;
        if let Err(e) = &out
            && matches!(
                e.kind,
                ErrorKind::SignIn | ErrorKind::RateLimited | ErrorKind::Io | ErrorKind::Cancelled
            )
        {
            self.halt(e.to_string());
        }
        out
    }

    fn halt(&self, why: String) {
        if let Ok(mut f) = self.fatal.lock()
            && f.is_none()
        {
            *f = Some(why);
        }
        self.stop.cancel();
    }
}

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

fn present(v: &Value, key: &str) -> bool {
    match v.get(key) {
        Some(Value::Number(n)) => n.as_f64().is_some_and(|x| x > 0.0),
        Some(Value::Null) | None => false,
        Some(_) => true,
    }
}

/// The oldest local start date among the folder's activities.
fn oldest_activity_day(archive: &Archive) -> Option<NaiveDate> {
    archive
        .with_db(|db| {
            let v: Option<String> = db
                .query_row(
                    "SELECT MIN(substr(start_gmt, 1, 10)) FROM activity",
                    [],
                    |r| r.get(0),
                )
                .unwrap_or(None);
            Ok(v)
        })
        .ok()
        .flatten()
        .and_then(|d| NaiveDate::parse_from_str(&d, DAY_FORMAT).ok())
}

/// The first day a run considers: the one asked for, else the oldest activity in the folder,
/// else `listed` (the oldest activity Garmin lists, for a folder without activities yet),
/// else two years before the last day.
fn first_day(
    archive: Option<&Archive>,
    opts: &HealthOptions,
    listed: Option<NaiveDate>,
) -> NaiveDate {
    opts.since
        .or_else(|| archive.and_then(oldest_activity_day))
        .or(listed)
        .unwrap_or(opts.until - Duration::days(730))
        .min(opts.until)
}

/// How many days a run with `opts` would fetch: the days of its range not yet complete (or
/// known empty) in the folder, and the recent days it asks again. Reads the folder's state
/// only (no request); `archive` is `None` for a folder not backed up into yet. What the
/// backup card counts as "Health data · N days".
pub fn days_to_fetch(
    archive: Option<&Archive>,
    opts: &HealthOptions,
    listed: Option<NaiveDate>,
) -> Result<u64> {
    let since = first_day(archive, opts, listed);
    let settled = match archive {
        Some(a) => {
            state::open(a)?;
            state::settled_days(a)?
        }
        None => HashSet::new(),
    };
    let fresh_from = opts.until - Duration::days(opts.refresh_days.max(1) - 1);
    let mut n = 0;
    let mut day = opts.until;
    while day >= since {
        if day >= fresh_from || !settled.contains(&day) {
            n += 1;
        }
        day -= Duration::days(1);
    }
    Ok(n)
}

/// Runs one health backup into `archive`. Per-day trouble is recorded and reported; `Err`
/// only when the archive itself cannot be used.
pub async fn run_health<S: HealthSource>(
    archive: &Archive,
    source: &S,
    opts: &HealthOptions,
    progress: &dyn HealthProgress,
    cancel: &CancellationToken,
) -> Result<HealthSummary> {
    state::open(archive)?;
    let ctx = Ctx {
        archive,
        source,
        requests: AtomicU64::new(0),
        fatal: Mutex::new(None),
        stop: cancel.child_token(),
    };
    let mut summary = HealthSummary::default();
    let until = opts.until;
    let since = first_day(Some(archive), opts, None);
    summary.first_day = Some(since);
    summary.last_day = Some(until);
    let fresh_from = until - Duration::days(opts.refresh_days.max(1) - 1);

    if opts.health {
        days(&ctx, opts, since, fresh_from, progress, &mut summary).await?;
        if !ctx.stop.is_cancelled() {
            weight(&ctx, since, until, fresh_from, &mut summary).await?;
        }
    }
    if opts.records && !ctx.stop.is_cancelled() {
        match ctx.fetch(HealthCall::PersonalRecords).await {
            Ok(Some(bytes)) => {
                write_atomic(
                    archive,
                    &format!("{HEALTH_DIR}/{}", tables::RECORDS_JSON),
                    &bytes,
                )
                .await?;
                summary.files_written += 1;
            }
            Ok(None) => {}
            Err(e) => summary
                .failures
                .push((until, format!("personal records: {e}"))),
        }
    }
    summary.requests = ctx.requests.load(Ordering::Relaxed);
    summary.stopped = ctx.fatal.lock().ok().and_then(|f| f.clone());
    if summary.stopped.is_none() && cancel.is_cancelled() {
        summary.stopped = Some("cancelled".into());
    }
    tables::write_all(archive, opts)?;
    if opts.records {
        summary.records = tables::record_count(archive)?;
    }
    summary.weigh_ins = tables::weigh_in_count(archive)?;
    Ok(summary)
}

async fn days<S: HealthSource>(
    ctx: &Ctx<'_, S>,
    opts: &HealthOptions,
    since: NaiveDate,
    fresh_from: NaiveDate,
    progress: &dyn HealthProgress,
    summary: &mut HealthSummary,
) -> Result<()> {
    let settled = state::settled_days(ctx.archive)?;
    let mut todo = Vec::new();
    let mut day = opts.until;
    while day >= since {
        if day >= fresh_from || !settled.contains(&day) {
            todo.push(day);
        } else {
            summary.days_skipped += 1;
        }
        day -= Duration::days(1);
    }
    let mut totals = HealthTotals {
        days_planned: todo.len() as u64,
        ..HealthTotals::default()
    };
    progress.update(&totals);
    // Newest first, in windows the steps range allows: its nulls say which days had no
    // device, and those cost nothing more.
    let mut windows: Vec<Vec<NaiveDate>> = Vec::new();
    for d in todo {
        match windows.last_mut() {
            Some(w)
                if w.first().is_some_and(|first| {
                    (*first - d).num_days() < gcexport_connect::STEPS_RANGE_DAYS
                }) =>
            {
                w.push(d)
            }
            _ => windows.push(vec![d]),
        }
    }
    for window in windows {
        if ctx.stop.is_cancelled() {
            break;
        }
        let (Some(&newest), Some(&oldest)) = (window.first(), window.last()) else {
            continue;
        };
        let worn: HashSet<NaiveDate> = match ctx.fetch(HealthCall::Steps(oldest, newest)).await {
            Ok(Some(bytes)) => parse(&bytes)
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter(|i| i.get("totalSteps").is_some_and(|s| !s.is_null()))
                        .filter_map(|i| i.get("calendarDate").and_then(Value::as_str))
                        .filter_map(|d| NaiveDate::parse_from_str(d, DAY_FORMAT).ok())
                        .collect()
                })
                .unwrap_or_default(),
            Ok(None) => HashSet::new(),
            Err(e) => {
                for d in &window {
                    state::record_day(
                        ctx.archive,
                        *d,
                        DayStatus::Failed,
                        &[],
                        Some(&e.to_string()),
                    )?;
                    summary.days_failed += 1;
                    summary.failures.push((*d, e.to_string()));
                }
                totals.days_failed += window.len() as u64;
                progress.update(&totals);
                continue;
            }
        };
        let (with, without): (Vec<NaiveDate>, Vec<NaiveDate>) =
            window.iter().partition(|d| worn.contains(d));
        for d in without {
            state::record_day(ctx.archive, d, DayStatus::Empty, &[], None)?;
            summary.days_empty += 1;
            totals.days_done += 1;
        }
        progress.update(&totals);
        let mut results = futures_util::stream::iter(
            with.into_iter()
                .map(|d| async move { (d, one_day(ctx, d).await) }),
        )
        .buffer_unordered(opts.concurrency.clamp(1, 8));
        // While Garmin makes us wait (429), no day ends: a tick says so, as for activities.
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
        loop {
            let (d, outcome) = tokio::select! {
                next = results.next() => match next {
                    Some(done) => done,
                    None => break,
                },
                _ = tick.tick() => {
                    let paused = ctx.source.paused_until();
                    if paused != totals.paused_until {
                        totals.paused_until = paused;
                        progress.update(&totals);
                    }
                    continue;
                }
            };
            totals.paused_until = ctx.source.paused_until();
            match outcome {
                Ok(files) => {
                    let names: Vec<&str> = files.iter().map(String::as_str).collect();
                    state::record_day(ctx.archive, d, DayStatus::Complete, &names, None)?;
                    summary.days_fetched += 1;
                    summary.files_written += files.len() as u64;
                    totals.days_done += 1;
                }
                Err(DayError::Archive(e)) => return Err(e),
                Err(DayError::Source(e)) => {
                    if e.kind != ErrorKind::Cancelled {
                        state::record_day(
                            ctx.archive,
                            d,
                            DayStatus::Failed,
                            &[],
                            Some(&e.to_string()),
                        )?;
                        summary.days_failed += 1;
                        summary.failures.push((d, e.to_string()));
                        totals.days_failed += 1;
                    }
                }
            }
            progress.update(&totals);
        }
    }
    summary.failures.sort();
    Ok(())
}

enum DayError {
    Source(SourceError),
    Archive(Error),
}

impl From<SourceError> for DayError {
    fn from(e: SourceError) -> Self {
        DayError::Source(e)
    }
}

impl From<Error> for DayError {
    fn from(e: Error) -> Self {
        DayError::Archive(e)
    }
}

/// A day's calls, each asked only when the summary (or the night) says it has something.
/// Files are written as they come; the day is recorded by the caller once all are in.
async fn one_day<S: HealthSource>(
    ctx: &Ctx<'_, S>,
    day: NaiveDate,
) -> std::result::Result<Vec<String>, DayError> {
    let dir = day_dir(day);
    let mut files = Vec::new();
    let mut keep = async |name: &str, bytes: &[u8]| -> std::result::Result<(), DayError> {
        write_atomic(ctx.archive, &format!("{dir}/{name}"), bytes).await?;
        files.push(name.to_owned());
        Ok(())
    };
    let Some(summary) = ctx.fetch(HealthCall::DailySummary(day)).await? else {
        return Ok(Vec::new());
    };
    keep(tables::SUMMARY, &summary).await?;
    let s = parse(&summary);
    if (present(&s, "sleepingSeconds") || present(&s, "measurableAsleepDuration"))
        && let Some(sleep) = ctx.fetch(HealthCall::Sleep(day)).await?
    {
        keep(tables::SLEEP, &sleep).await?;
        // The night's answer says whether the watch measured HRV: older devices never do.
        if present(&parse(&sleep), "avgOvernightHrv")
            && let Some(hrv) = ctx.fetch(HealthCall::Hrv(day)).await?
        {
            keep(tables::HRV, &hrv).await?;
        }
    }
    if s.get("averageStressLevel").is_some_and(|v| !v.is_null())
        && let Some(stress) = ctx.fetch(HealthCall::Stress(day)).await?
    {
        keep(tables::STRESS, &stress).await?;
    }
    if (present(&s, "restingHeartRate") || present(&s, "maxHeartRate"))
        && let Some(hr) = ctx.fetch(HealthCall::HeartRate(day)).await?
    {
        keep(tables::HEART_RATE, &hr).await?;
    }
    Ok(files)
}

/// Weigh-ins by calendar year, one request each; the years reaching the recent days are
/// asked again (a weigh-in can be typed in late).
async fn weight<S: HealthSource>(
    ctx: &Ctx<'_, S>,
    since: NaiveDate,
    until: NaiveDate,
    fresh_from: NaiveDate,
    summary: &mut HealthSummary,
) -> Result<()> {
    let mut years: BTreeMap<i32, (NaiveDate, NaiveDate)> = BTreeMap::new();
    for year in since.year()..=until.year() {
        let start = NaiveDate::from_ymd_opt(year, 1, 1)
            .unwrap_or(since)
            .max(since);
        let end = NaiveDate::from_ymd_opt(year, 12, 31)
            .unwrap_or(until)
            .min(until);
        years.insert(year, (start, end));
    }
    for (year, (start, end)) in years.into_iter().rev() {
        let year_start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(start);
        if let Some((done_until, _)) = state::range(ctx.archive, "weight", year_start)?
            && done_until >= end
            && done_until < fresh_from
        {
            continue;
        }
        match ctx.fetch(HealthCall::Weight(start, end)).await {
            Ok(bytes) => {
                let has = bytes.as_ref().is_some_and(|b| {
                    parse(b)
                        .get("dailyWeightSummaries")
                        .and_then(Value::as_array)
                        .is_some_and(|a| !a.is_empty())
                });
                let file = format!("{HEALTH_DIR}/weight/{year}.json");
                if let (true, Some(b)) = (has, bytes) {
                    write_atomic(ctx.archive, &file, &b).await?;
                    summary.files_written += 1;
                    state::record_range(ctx.archive, "weight", year_start, end, Some(&file))?;
                } else {
                    state::record_range(ctx.archive, "weight", year_start, end, None)?;
                }
            }
            Err(e) => {
                if ctx.stop.is_cancelled() {
                    break;
                }
                summary
                    .failures
                    .push((end, format!("weigh-ins {year}: {e}")));
            }
        }
    }
    Ok(())
}
