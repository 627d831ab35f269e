#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `gcexport` against the simulator: real HTTP, real files, the real binary.

mod common;

use common::*;
use gcexport_backup::Format;
use gcexport_sim::SimConfig;

const FORMATS: [Format; 3] = [Format::Gpx, Format::Tcx, Format::Original];
const F: &str = "gpx,tcx,original";

fn small(activities: usize) -> SimConfig {
    SimConfig {
        activities,
        seed: 7,
        ..SimConfig::default()
    }
}

#[test]
fn a_full_run_holds_every_format_byte_for_byte_and_a_row_per_activity() {
    let sim = sim(small(45));
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    let out = run(gcexport(
        &sim,
        &dir,
        &session,
        true,
        &["-c", "all", "-f", F, "-u"],
    ));
    assert_eq!(out.status.code(), Some(0));
    assert_matches_simulator(&sim, &dir, &FORMATS, true);
    let expected = expected(&sim);
    assert!(
        expected.iter().any(|e| !e["parentId"].is_null()),
        "the account has multisport legs"
    );
}

#[test]
fn a_rerun_with_nothing_new_makes_at_most_two_requests_and_five_new_fetch_only_those() {
    let sim = sim(SimConfig {
        withheld: 5,
        ..small(40)
    });
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    let out = run(gcexport(&sim, &dir, &session, true, &["-f", F]));
    assert_eq!(out.status.code(), Some(0));

    sim.reset_stats();
    let out = run(gcexport(&sim, &dir, &session, false, &["-f", F]));
    assert_eq!(out.status.code(), Some(0));
    let stats = sim.stats();
    eprintln!(
        "re-run requests: {} {:?}",
        stats.requests, stats.by_endpoint
    );
    assert!(stats.requests <= 2, "{:?}", stats.by_endpoint);
    assert_eq!(stats.logins, 0);

    post(&sim, "/__sim/reveal?count=5");
    sim.reset_stats();
    let out = run(gcexport(&sim, &dir, &session, false, &["-f", F, "--json"]));
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: serde_json::Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == "summary")
        .expect("a summary line");
    let stats = sim.stats();
    eprintln!("after reveal: {summary}\n{:?}", stats.by_endpoint);
    // Five new top-level activities (and any legs they have), nothing else.
    let new = summary["activities_new"].as_u64().unwrap();
    assert!(new >= 5, "{summary}");
    let details = stats
        .by_endpoint
        .get("GET /activity-service/activity/{id}")
        .copied()
        .unwrap_or(0);
    assert_eq!(details, new, "details fetched once per new activity only");
    let downloads: u64 = stats
        .by_endpoint
        .iter()
        .filter(|(k, _)| k.contains("/download-service/"))
        .map(|(_, v)| *v)
        .sum();
    assert!(
        downloads <= new * 3,
        "{downloads} downloads for {new} new activities"
    );
    assert_matches_simulator(&sim, &dir, &FORMATS, false);
}
