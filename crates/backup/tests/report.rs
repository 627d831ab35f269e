#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The run's report names every format that does not exist and says why, decided by the
//! engine from what the source answered: against the simulator over real HTTP, into a real
//! folder with its SQLite state.

mod common;

use std::collections::BTreeMap;

use common::signed_in;
use gcexport_backup::{Archive, Format, RunOptions, UnavailableReason};
use gcexport_sim::account::{self, Source as Origin};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_missing_format_is_named_with_its_activity_and_its_reason() {
    let sim = gcexport_sim::start(gcexport_sim::SimConfig {
        activities: 80,
        seed: 42,
        ..Default::default()
    })
    .unwrap();
    let source = signed_in(&sim).await;
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path()).unwrap();
    let opts = RunOptions {
        formats: vec![Format::Original, Format::Gpx, Format::Tcx, Format::Kml],
        ..RunOptions::default()
    };
    let s = common::run_once(&archive, &source, &opts).await;
    assert!(s.failures.is_empty(), "{:?}", s.failures);

    // What the simulator's account says is missing, and why a person would expect that.
    let mut want = BTreeMap::new();
    for a in gcexport_testkit::newest_with_legs(sim.account(), 80) {
        for (format, theirs) in [
            (Format::Original, account::Format::Original),
            (Format::Gpx, account::Format::Gpx),
            (Format::Tcx, account::Format::Tcx),
            (Format::Kml, account::Format::Kml),
        ] {
            if gcexport_testkit::serves(&a, theirs) {
                continue;
            }
            let reason = match a.source() {
                Origin::Manual => UnavailableReason::Manual,
                Origin::GpxUpload if format == Format::Tcx => UnavailableReason::UploadedTrack,
                _ if !a.has_gps() && matches!(format, Format::Gpx | Format::Kml) => {
                    UnavailableReason::NoTrack
                }
                _ => UnavailableReason::NotOffered,
            };
            want.insert((a.id(), format), (a.name(), reason));
        }
    }
    let got: BTreeMap<_, _> = s
        .unavailable
        .iter()
        .map(|u| ((u.activity_id, u.format), (u.name.clone(), u.reason)))
        .collect();
    assert_eq!(got.len(), s.unavailable.len(), "each said once");
    assert_eq!(got, want);
    let reasons: std::collections::BTreeSet<_> = got.values().map(|(_, r)| *r).collect();
    assert!(
        reasons.contains(&UnavailableReason::Manual)
            && reasons.contains(&UnavailableReason::NoTrack)
            && reasons.contains(&UnavailableReason::UploadedTrack),
        "the account has manual, indoor and uploaded activities: {reasons:?}"
    );
}
