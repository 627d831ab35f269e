#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Health data against the simulator over real HTTP, into a real folder with its SQLite
//! state: a full backup matches `/__sim/expected/health` byte for byte, a re-run asks only
//! for the recent days, and a run stopped midway resumes by day.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::NaiveDate;
use common::signed_in;
use gcexport_backup::health::{
    ConnectHealth, HealthOptions, HealthProgress, HealthSummary, HealthTotals, run_health, tables,
};
use gcexport_backup::{Archive, CancellationToken};
use serde_json::Value;
use sha2::{Digest, Sha256};

const FILES: [(&str, &str); 5] = [
    ("summary", "summary.json"),
    ("sleep", "sleep.json"),
    ("hrv", "hrv.json"),
    ("stress", "stress.json"),
    ("heartRate", "heart_rate.json"),
];

fn sim(days: usize) -> gcexport_sim::Sim {
    gcexport_sim::start(gcexport_sim::SimConfig {
        activities: 20,
        seed: 7,
        health_days: days,
        ..Default::default()
    })
    .unwrap()
}

/// `/__sim/expected/health`, in process (the sim's tests check the HTTP route answers it).
async fn expected(sim: &gcexport_sim::Sim) -> Value {
    sim.expected_health()
}

fn day(v: &Value, key: &str) -> NaiveDate {
    NaiveDate::parse_from_str(v[key].as_str().unwrap(), "%Y-%m-%d").unwrap()
}

fn sha(path: &std::path::Path) -> Option<String> {
    std::fs::read(path)
        .ok()
        .map(|b| hex::encode(Sha256::digest(b)))
}

/// Every day's files are exactly the answers that hold data, byte for byte; nothing else.
fn assert_matches(root: &std::path::Path, expected: &Value) {
    let mut worn = 0;
    for d in expected["days"].as_array().unwrap() {
        let date = d["date"].as_str().unwrap();
        let dir = root.join("health").join(&date[..4]).join(date);
        for (key, file) in FILES {
            let want = &d["calls"][key];
            let has_data = want["status"] == 200 && want["data"] == true;
            let got = sha(&dir.join(file));
            if has_data {
                assert_eq!(got.as_deref(), want["sha256"].as_str(), "{date} {file}");
            } else {
                assert_eq!(got, None, "{date}: {file} kept for a day without it");
            }
        }
        if d["worn"] == true {
            worn += 1;
        } else {
            assert!(
                !dir.exists(),
                "{date}: a day without a device has no folder"
            );
        }
    }
    let daily = std::fs::read_to_string(root.join(tables::DAILY_CSV)).unwrap();
    assert!(daily.starts_with('\u{feff}'));
    let mut lines = daily.trim_start_matches('\u{feff}').split("\r\n");
    assert_eq!(lines.next().unwrap(), tables::DAILY_COLUMNS.join(","));
    assert_eq!(
        lines.filter(|l| !l.is_empty()).count(),
        worn,
        "one row per day with data"
    );
    let weight = std::fs::read_to_string(root.join(tables::WEIGHT_CSV)).unwrap();
    let rows: Vec<&str> = weight
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(rows.len() as u64, expected["weighIns"].as_u64().unwrap());
    assert!(
        rows.iter().any(|r| r.ends_with(",INDEX_SCALE"))
            && rows.iter().any(|r| r.ends_with(",MANUAL"))
    );
    assert_eq!(
        sha(&root.join("health/personal_records.json")).as_deref(),
        expected["records"]["sha256"].as_str()
    );
    let records = std::fs::read_to_string(root.join(tables::RECORDS_CSV)).unwrap();
    assert_eq!(
        records
            .split("\r\n")
            .skip(1)
            .filter(|l| !l.is_empty())
            .count() as u64,
        expected["recordCount"].as_u64().unwrap()
    );
}

async fn health_source(sim: &gcexport_sim::Sim) -> ConnectHealth {
    ConnectHealth::new(signed_in(sim).await.session().clone())
        .await
        .unwrap()
}

fn options(expected: &Value) -> HealthOptions {
    let mut o = HealthOptions::new(day(expected, "lastDay"));
    o.since = Some(day(expected, "firstDay"));
    o
}

fn data_requests(sim: &gcexport_sim::Sim) -> BTreeMap<String, u64> {
    sim.stats()
        .by_endpoint
        .into_iter()
        .filter(|(k, _)| !k.contains("sso") && !k.contains("oauth") && !k.contains("socialProfile"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_then_an_incremental_health_backup_match_the_simulator_byte_for_byte() {
    let sim = sim(75);
    let want = expected(&sim).await;
    let source = health_source(&sim).await;
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path()).unwrap();
    let opts = options(&want);

    sim.reset_stats();
    let first = common::health_once(&archive, &source, &opts).await;
    assert_eq!(first.stopped, None);
    assert_eq!(first.days_failed, 0, "{:?}", first.failures);
    assert_matches(t.path(), &want);
    let requests: u64 = data_requests(&sim).values().sum();
    assert_eq!(requests, first.requests);
    assert!(
        requests <= 5 * 75,
        "{requests} requests for 75 days: {:?}",
        data_requests(&sim)
    );
    let worn = want["days"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["worn"] == true)
        .count() as u64;
    assert_eq!(first.days_fetched, worn);
    assert_eq!(first.days_empty, 75 - worn);

    // Again, same day: only the last 3 days are asked again (late sleep and HRV), plus one
    // steps range, this year's weigh-ins and the records.
    sim.reset_stats();
    let again = common::health_once(&archive, &source, &opts).await;
    assert_eq!(again.days_skipped, 72);
    let per_day: u64 = data_requests(&sim)
        .iter()
        .filter(|(k, _)| k.contains("usersummary/daily/"))
        .map(|(_, n)| n)
        .sum();
    assert!(per_day <= 3, "{per_day} summaries asked again");
    assert!(
        again.requests <= 3 + 3 * 5,
        "{} requests: {:?}",
        again.requests,
        data_requests(&sim)
    );
    assert_matches(t.path(), &want);

    // Days later: only the new days (and the refresh window) are asked for.
    let mut later = opts.clone();
    later.until = opts.until + chrono::Duration::days(10);
    sim.reset_stats();
    let next = common::health_once(&archive, &source, &later).await;
    assert_eq!(next.days_skipped, 75, "{next:?}");
    assert_eq!(next.days_empty + next.days_fetched, 10);
}

/// Cancels the run once `after` days are done, as a closed laptop would.
struct StopAfter {
    after: u64,
    cancel: CancellationToken,
    fired: AtomicBool,
}

impl HealthProgress for StopAfter {
    fn update(&self, totals: &HealthTotals) {
        if totals.days_done >= self.after && !self.fired.swap(true, Ordering::SeqCst) {
            self.cancel.cancel();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stopped_midway_resumes_by_day_without_asking_again() {
    let sim = sim(75);
    let want = expected(&sim).await;
    let source = health_source(&sim).await;
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path()).unwrap();
    let opts = options(&want);

    let cancel = CancellationToken::new();
    let stop = StopAfter {
        after: 30,
        cancel: cancel.clone(),
        fired: AtomicBool::new(false),
    };
    let cut: HealthSummary = run_health(&archive, &source, &opts, &stop, &cancel)
        .await
        .unwrap();
    assert!(cut.stopped.is_some(), "{cut:?}");
    let done = cut.days_fetched + cut.days_empty;
    assert!((30..75).contains(&done), "{done} days done before the stop");
    // Nothing half-written: no `.part` anywhere.
    for entry in walk(t.path()) {
        assert!(!entry.ends_with(".part"), "{entry}");
    }

    sim.reset_stats();
    let rest = common::health_once(&archive, &source, &opts).await;
    assert_eq!(rest.stopped, None);
    // The days done before the stop (minus the 3 recent ones, always asked again) are skipped.
    assert!(rest.days_skipped + 3 >= done, "{rest:?} after {done}");
    assert_matches(t.path(), &want);
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.to_string_lossy().into_owned());
        }
    }
    out
}
