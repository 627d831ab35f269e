#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `gcexport --what`: health data and records beside (or instead of) the activities, through
//! the real binary against the simulator.

mod common;

use common::*;
use gcexport_sim::SimConfig;

fn config() -> SimConfig {
    SimConfig {
        activities: 12,
        seed: 7,
        health_days: 40,
        ..SimConfig::default()
    }
}

#[test]
fn what_health_and_records_backs_up_the_days_and_the_tables_without_activities() {
    let sim = sim(config());
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    let want = sim.expected_health();
    let (first, last) = (
        want["firstDay"].as_str().unwrap(),
        want["lastDay"].as_str().unwrap(),
    );
    let out = run(gcexport(
        &sim,
        &dir,
        &session,
        true,
        &[
            "--what",
            "health,records",
            "--health-since",
            first,
            "--health-until",
            last,
        ],
    ));
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Health data (") && stdout.contains("Personal records:"),
        "{stdout}"
    );
    let files = user_files(&dir);
    assert!(
        !files.contains_key("activities.csv"),
        "activities were not asked for"
    );
    assert!(files.contains_key("health/daily.csv") && files.contains_key("records.csv"));
    for d in want["days"].as_array().unwrap() {
        let date = d["date"].as_str().unwrap();
        let summary = &d["calls"]["summary"];
        let rel = format!("health/{}/{date}/summary.json", &date[..4]);
        if summary["data"] == true {
            assert_eq!(
                files.get(&rel).map(String::as_str),
                summary["sha256"].as_str(),
                "{rel}"
            );
        } else {
            assert!(!files.contains_key(&rel), "{rel}");
        }
    }
    assert!(
        sim.stats()
            .by_endpoint
            .keys()
            .all(|k| !k.contains("activitylist")),
        "{:?}",
        sim.stats().by_endpoint
    );
}

#[test]
fn an_unknown_what_is_a_usage_error_that_names_the_choices() {
    let sim = sim(config());
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    let out = run(gcexport(
        &sim,
        &dir,
        &session,
        false,
        &["--what", "activities,sleep"],
    ));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("activities, health, records, gear"),
        "{stderr}"
    );
    assert_eq!(sim.stats().requests, 0, "nothing is asked of Garmin");
}
