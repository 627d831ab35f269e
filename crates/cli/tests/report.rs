#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What `gcexport` says at the end of a run: the formats Garmin does not have, counted by
//! reason, and with `-v` one line per activity and format, named as in Garmin Connect.

mod common;

use std::collections::BTreeSet;

use common::*;
use gcexport_sim::SimConfig;
use gcexport_sim::account;

#[test]
fn the_missing_formats_are_counted_by_reason_and_listed_one_by_one_with_v() {
    let sim = sim(SimConfig {
        activities: 40,
        seed: 42,
        ..SimConfig::default()
    });
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    let out = run(gcexport(
        &sim,
        &dir,
        &session,
        true,
        &["--garmin-tracks", "-f", "gpx,tcx", "-v"],
    ));
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);

    let mut want = BTreeSet::new();
    for a in newest_with_legs(sim.account(), 40) {
        for (label, f) in [("GPX", account::Format::Gpx), ("TCX", account::Format::Tcx)] {
            if !serves(&a, f) {
                want.insert(format!(
                    "  unavailable: {} (activity {}) {label}",
                    a.name(),
                    a.id()
                ));
            }
        }
    }
    let got: BTreeSet<String> = stderr
        .lines()
        .filter(|l| l.starts_with("  unavailable: "))
        .map(|l| l.rsplit_once(':').unwrap().0.to_owned())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    let count = format!("  {} formats unavailable: ", want.len());
    let grouped = stderr.lines().find(|l| l.starts_with(&count)).unwrap();
    assert!(grouped.contains("GPX without a GPS track"), "{grouped}");
    assert!(grouped.contains("of manual entries"), "{grouped}");
    assert!(grouped.contains("TCX of an uploaded track"), "{grouped}");

    // Without -v only the counts: a re-run finds nothing new and says nothing of them.
    let again = run(gcexport(
        &sim,
        &dir,
        &session,
        false,
        &["--garmin-tracks", "-f", "gpx,tcx"],
    ));
    assert_eq!(again.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&again.stderr).contains("unavailable: "));
}
