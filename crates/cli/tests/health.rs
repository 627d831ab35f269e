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

/// On a terminal (a pseudo-terminal from `script`), the health part has its own bar counting
/// days, as the activities' counts activities.
#[test]
fn on_a_terminal_the_health_part_shows_a_bar_of_days() {
    if !common::can_make_a_terminal() {
        return;
    }
    let sim = sim(config());
    let want = sim.expected_health();
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    let line = format!(
        "{} --server {} --session {} -d {} --username {EMAIL} --password {PASSWORD} \
         --what activities,health --health-since {} --health-until {}",
        env!("CARGO_BIN_EXE_gcexport"),
        sim.base_url(),
        session.display(),
        dir.display(),
        want["firstDay"].as_str().unwrap(),
        want["lastDay"].as_str().unwrap(),
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("GCEXPORT_CONFIG_DIR", &session)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // The activities' bar, then the days' (40 days asked: the bar's length).
    assert!(text.contains(" activities"), "{text}");
    assert!(text.contains("/40 days  health data"), "{text}");
    assert!(
        text.contains("Health data ("),
        "the summary follows: {text}"
    );
}

/// With `--json` (or no terminal) there is no bar: the days' totals are JSON lines, then the
/// health summary, and they only count up.
#[test]
fn with_json_the_days_are_progress_events_not_a_bar() {
    let sim = sim(config());
    let want = sim.expected_health();
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    let out = run(gcexport(
        &sim,
        &dir,
        &session,
        true,
        &[
            "--what",
            "health",
            "--json",
            "--health-since",
            want["firstDay"].as_str().unwrap(),
            "--health-until",
            want["lastDay"].as_str().unwrap(),
        ],
    ));
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("days  health data"), "{stderr}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let days: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|v| v["event"] == "health_progress")
        .collect();
    assert!(!days.is_empty(), "{stdout}");
    let done: Vec<u64> = days
        .iter()
        .map(|v| v["days_done"].as_u64().unwrap())
        .collect();
    assert!(done.windows(2).all(|w| w[0] <= w[1]), "{done:?}");
    let last = days.last().unwrap();
    assert_eq!(last["days_planned"], 40);
    assert_eq!(last["days_done"], 40);
    let summary = lines
        .iter()
        .find(|v| v["event"] == "health_summary")
        .expect("a health summary line");
    assert_eq!(
        summary["summary"]["days_fetched"].as_u64().unwrap()
            + summary["summary"]["days_empty"].as_u64().unwrap(),
        40
    );
    assert!(
        lines.iter().all(|v| v["event"] != "summary"),
        "no activities were asked for: {stdout}"
    );
    assert!(
        !stdout.contains("Health data ("),
        "words only without --json"
    );
}
