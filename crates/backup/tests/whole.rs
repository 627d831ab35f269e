#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The whole request through the engine's one entry (`back_up`): activities, then health data
//! and records, one progress stream and one report, against the simulator over real HTTP;
//! and the backup card's count of days to fetch, read from the folder alone.

mod common;

use std::sync::Mutex;

use chrono::NaiveDate;
use common::signed_in;
use gcexport_backup::health::{ConnectHealth, HealthSummary, HealthTotals, days_to_fetch};
use gcexport_backup::{
    Archive, BackupRequest, CancellationToken, Format, Progress, Summary, Totals, What, back_up,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn sim() -> gcexport_sim::Sim {
    gcexport_sim::start(gcexport_sim::SimConfig {
        activities: 15,
        seed: 11,
        health_days: 60,
        ..Default::default()
    })
    .unwrap()
}

fn day(v: &Value, key: &str) -> NaiveDate {
    NaiveDate::parse_from_str(v[key].as_str().unwrap(), "%Y-%m-%d").unwrap()
}

/// What the one stream carried, in order.
#[derive(Debug, PartialEq)]
enum Seen {
    Activities(u64),
    ActivitiesDone,
    Days(HealthTotals),
    DaysDone,
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Seen>>);

impl Progress for Recorder {
    fn update(&self, t: &Totals) {
        self.0
            .lock()
            .unwrap()
            .push(Seen::Activities(t.activities_done));
    }
    fn finish(&self, _: &Summary) {
        self.0.lock().unwrap().push(Seen::ActivitiesDone);
    }
    fn health(&self, t: &HealthTotals) {
        self.0.lock().unwrap().push(Seen::Days(*t));
    }
    fn health_finish(&self, _: &HealthSummary) {
        self.0.lock().unwrap().push(Seen::DaysDone);
    }
}

fn request(dir: &std::path::Path, want: &Value, what: What) -> BackupRequest {
    BackupRequest {
        folder: dir.display().to_string(),
        formats: vec![Format::Original],
        what,
        health_since: Some(day(want, "firstDay")),
        health_until: Some(day(want, "lastDay")),
        ..BackupRequest::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_backs_up_activities_then_health_through_one_stream_and_one_report() {
    let sim = sim();
    let want = sim.expected_health();
    let source = signed_in(&sim).await;
    let health = ConnectHealth::signed_in(source.session().clone());
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path()).unwrap();
    let req = request(t.path(), &want, What::default());
    let job = req.job(day(&want, "lastDay")).unwrap();

    // The card's count before anything is in the folder: every day of the range.
    let days = want["days"].as_array().unwrap().len() as u64;
    assert_eq!(days, 60);
    assert_eq!(days_to_fetch(None, &job.health, None).unwrap(), days);
    assert_eq!(
        days_to_fetch(Some(&archive), &job.health, None).unwrap(),
        days
    );
    assert_eq!(
        sim.stats()
            .by_endpoint
            .keys()
            .filter(|k| k.contains("wellness") || k.contains("usersummary"))
            .count(),
        0
    );

    let progress = Recorder::default();
    let report = back_up(
        &archive,
        &source,
        &health,
        &job,
        &progress,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(
        report.activities.activities_new >= 15,
        "{:?}",
        report.activities
    );
    assert_eq!(report.activities.stopped, None);
    let h = report.health.expect("the health part ran");
    assert_eq!(
        (h.stopped.as_deref(), h.days_failed),
        (None, 0),
        "{:?}",
        h.failures
    );
    assert_eq!(h.days_fetched + h.days_empty, days);
    assert_eq!(h.records, want["recordCount"].as_u64().unwrap());
    assert_eq!(h.weigh_ins, want["weighIns"].as_u64().unwrap());

    // Activities first, to their end; then days only, counting up to the plan; then the end.
    let seen = progress.0.into_inner().unwrap();
    let split = seen
        .iter()
        .position(|s| *s == Seen::ActivitiesDone)
        .unwrap();
    assert!(
        seen[..split]
            .iter()
            .all(|s| matches!(s, Seen::Activities(_)))
    );
    assert_eq!(seen.last(), Some(&Seen::DaysDone));
    let day_totals: Vec<HealthTotals> = seen[split + 1..seen.len() - 1]
        .iter()
        .map(|s| match s {
            Seen::Days(t) => *t,
            other => panic!("after the activities' end: {other:?}"),
        })
        .collect();
    assert!(!day_totals.is_empty());
    assert!(
        day_totals
            .windows(2)
            .all(|w| w[0].days_done <= w[1].days_done)
    );
    let last = day_totals.last().unwrap();
    assert_eq!((last.days_planned, last.days_done), (days, days));

    // Every day's summary is Garmin's answer byte for byte.
    for d in want["days"].as_array().unwrap() {
        let date = d["date"].as_str().unwrap();
        let summary = &d["calls"]["summary"];
        let file = t
            .path()
            .join(format!("health/{}/{date}/summary.json", &date[..4]));
        let got = std::fs::read(&file)
            .ok()
            .map(|b| hex::encode(Sha256::digest(b)));
        if summary["data"] == true {
            assert_eq!(got.as_deref(), summary["sha256"].as_str(), "{date}");
        } else {
            assert_eq!(got, None, "{date}");
        }
    }

    // Now only the days Garmin may still change are left to fetch (the last 3).
    assert_eq!(days_to_fetch(Some(&archive), &job.health, None).unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activities_alone_ask_nothing_of_health_and_health_alone_lists_no_activity() {
    let sim = sim();
    let want = sim.expected_health();
    let source = signed_in(&sim).await;
    let health = ConnectHealth::signed_in(source.session().clone());
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path()).unwrap();
    let only_activities = What {
        activities: true,
        health: false,
        records: false,
        gear: true,
    };
    let job = request(t.path(), &want, only_activities)
        .job(day(&want, "lastDay"))
        .unwrap();
    sim.reset_stats();
    let report = back_up(
        &archive,
        &source,
        &health,
        &job,
        &gcexport_backup::NoProgress,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(report.activities.activities_new > 0);
    assert_eq!(report.health, None);
    let asked = sim.stats().by_endpoint;
    assert!(
        asked
            .keys()
            .all(|k| !k.contains("usersummary") && !k.contains("wellness")),
        "{asked:?}"
    );

    let only_health = What {
        activities: false,
        health: true,
        records: true,
        gear: false,
    };
    let mut req = request(t.path(), &want, only_health);
    req.formats.clear();
    let job = req.job(day(&want, "lastDay")).unwrap();
    sim.reset_stats();
    let report = back_up(
        &archive,
        &source,
        &health,
        &job,
        &gcexport_backup::NoProgress,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.activities, Summary::default());
    assert!(report.health.unwrap().days_fetched > 0);
    let asked = sim.stats().by_endpoint;
    assert!(
        asked.keys().all(|k| !k.contains("activitylist")),
        "{asked:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_activity_run_does_not_start_the_health_part() {
    let sim = sim();
    let want = sim.expected_health();
    let source = signed_in(&sim).await;
    let health = ConnectHealth::signed_in(source.session().clone());
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path()).unwrap();
    let job = request(t.path(), &want, What::default())
        .job(day(&want, "lastDay"))
        .unwrap();
    let cancel = CancellationToken::new();
    cancel.cancel();
    sim.reset_stats();
    let report = back_up(
        &archive,
        &source,
        &health,
        &job,
        &gcexport_backup::NoProgress,
        &cancel,
    )
    .await
    .unwrap();
    assert!(report.activities.cancelled);
    assert_eq!(report.health, None);
    let asked = sim.stats().by_endpoint;
    assert!(
        asked
            .keys()
            .all(|k| !k.contains("usersummary") && !k.contains("socialProfile")),
        "{asked:?}"
    );
}

/// Garmin's 429 during the health part: the days' totals say until when the run waits (the
/// page's countdown), then the run goes on and loses no day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_in_the_health_part_shows_in_the_days_totals_and_loses_nothing() {
    let sim = sim();
    let want = sim.expected_health();
    let source = signed_in(&sim).await;
    let health = ConnectHealth::signed_in(source.session().clone());
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path()).unwrap();
    let only_health = What {
        activities: false,
        health: true,
        records: false,
        gear: false,
    };
    let job = request(t.path(), &want, only_health)
        .job(day(&want, "lastDay"))
        .unwrap();
    sim.set_faults(
        gcexport_sim::Faults::parse(
            "429:first=1,retry-after=2,body=json,on=/usersummary-service/usersummary/daily",
        )
        .unwrap(),
    );
    let progress = Recorder::default();
    let report = back_up(
        &archive,
        &source,
        &health,
        &job,
        &progress,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let h = report.health.unwrap();
    assert_eq!(
        (h.stopped.as_deref(), h.days_failed),
        (None, 0),
        "{:?}",
        h.failures
    );
    let seen = progress.0.into_inner().unwrap();
    let pauses: Vec<bool> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Days(t) => Some(t.paused_until.is_some()),
            _ => None,
        })
        .collect();
    assert!(
        pauses.contains(&true),
        "the wait was never said: {pauses:?}"
    );
    assert_eq!(
        pauses.last(),
        Some(&false),
        "the end says no wait: {pauses:?}"
    );
}
