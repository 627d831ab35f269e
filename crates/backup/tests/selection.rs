#![allow(clippy::unwrap_used, clippy::expect_used)]
//! "Back up selected": only the chosen activities are fetched, and choosing some never
//! leaves the rest of the account unlisted. Against the simulator over real HTTP, into a
//! real folder with its SQLite state.

mod common;

use common::{DETAILS, DOWNLOAD, ORIGINAL, requests, signed_in};
use gcexport_backup::{Archive, Format, ItemState, RunOptions, Selection};

fn sim(activities: usize) -> gcexport_sim::Sim {
    gcexport_sim::start(gcexport_sim::SimConfig {
        activities,
        seed: 11,
        ..Default::default()
    })
    .unwrap()
}

/// Two activities among the `within` newest that are neither multisport nor without a GPX.
fn two_plain(sim: &gcexport_sim::Sim, within: usize) -> Vec<i64> {
    (0..within)
        .filter_map(|k| sim.account().nth_newest(k))
        .filter(|a| {
            a.child_ids().is_empty()
                && matches!(
                    a.download(gcexport_sim::account::Format::Gpx, false),
                    gcexport_sim::account::Download::File { .. }
                )
        })
        .map(|a| a.id())
        .skip(1)
        .take(2)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selecting_two_in_a_folder_with_pending_work_fetches_exactly_those_two() {
    let sim = sim(30);
    let source = signed_in(&sim).await;
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path()).unwrap();
    // The folder holds every original; then GPX is ticked too: every activity has work
    // pending, none of which the person asked for yet.
    let originals = RunOptions {
        formats: vec![Format::Original],
        page_size: 10,
        ..RunOptions::default()
    };
    let first = common::run_once(&archive, &source, &originals).await;
    assert!(first.failures.is_empty(), "{first:?}");

    let chosen = two_plain(&sim, 10);
    assert_eq!(chosen.len(), 2);
    sim.reset_stats();
    let opts = RunOptions {
        formats: vec![Format::Original, Format::Gpx],
        page_size: 10,
        ..RunOptions::default()
    };
    let opts = RunOptions {
        selection: Selection::only(chosen.clone()),
        ..opts
    };
    let s = common::run_once(&archive, &source, &opts).await;

    assert!(s.failures.is_empty(), "{s:?}");
    // Their GPX is made from the originals already in the folder (issue 16): no download.
    assert_eq!(requests(&sim, DOWNLOAD), 0, "no GPX asked of Garmin");
    assert_eq!(
        requests(&sim, ORIGINAL),
        0,
        "the originals are in the folder"
    );
    assert_eq!(requests(&sim, DETAILS), 0);
    assert_eq!(s.activities_done, 2, "{s:?}");
    for id in &chosen {
        assert_eq!(
            archive.item_state(*id, Format::Gpx).unwrap(),
            Some(ItemState::Done)
        );
    }
    let untouched = sim.account().nth_newest(0).unwrap().id();
    assert_eq!(archive.item_state(untouched, Format::Gpx).unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_run_after_a_selected_one_still_lists_everything_older() {
    let sim = sim(30);
    let source = signed_in(&sim).await;
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path()).unwrap();
    // The listing never reached its end: only the 10 newest were asked for (`-c 10`).
    let newest = RunOptions {
        formats: vec![Format::Gpx],
        page_size: 10,
        selection: Selection {
            count: Some(10),
            ..Selection::default()
        },
        ..RunOptions::default()
    };
    let first = common::run_once(&archive, &source, &newest).await;
    assert_eq!(first.activities_listed, 10);

    // Two of those are backed up again in other formats, chosen in the list.
    let chosen = two_plain(&sim, 10);
    let opts = RunOptions {
        formats: vec![Format::Gpx, Format::Tcx],
        page_size: 10,
        ..RunOptions::default()
    };
    let opts = RunOptions {
        selection: Selection::only(chosen.clone()),
        ..opts
    };
    let s = common::run_once(&archive, &source, &opts).await;
    assert!(s.failures.is_empty(), "{s:?}");
    assert_eq!(s.activities_done, 2, "{s:?}");

    // An ordinary incremental run: its first page holds nothing new, yet the 20 older
    // activities were never listed, so it must go on.
    let incremental = RunOptions {
        formats: vec![Format::Gpx],
        page_size: 10,
        ..RunOptions::default()
    };
    let s = common::run_once(&archive, &source, &incremental).await;
    assert_eq!(s.activities_listed, 30, "{s:?}");
    for k in 0..30 {
        let id = sim.account().nth_newest(k).unwrap().id();
        assert!(
            archive.contains(id).unwrap(),
            "activity {id} was never listed"
        );
    }
}
