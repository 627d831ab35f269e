#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What a backup costs Garmin (docs/csv.md, "Requests"), counted by the simulator: gear a
//! gear item at a time, details only where the list falls short, GPX made from the original
//! FIT; and the table those runs write is the one Garmin's details for every activity give.

mod common;
use common::{DETAILS, DOWNLOAD, ORIGINAL, requests, signed_in};

use gcexport_backup::{Archive, Format, RunOptions};

const GEAR_PER_ACTIVITY: &str = "GET /gear-service/gear/filterGear";
const ACTIVITIES: usize = 300;

fn demo() -> gcexport_sim::SimConfig {
    gcexport_sim::SimConfig {
        activities: ACTIVITIES,
        seed: 42,
        ..Default::default()
    }
}

async fn backup(sim: &gcexport_sim::Sim, dir: &std::path::Path, opts: RunOptions) -> Vec<u8> {
    let source = signed_in(sim).await;
    sim.reset_stats();
    let archive = Archive::open(dir).unwrap();
    let summary = common::run_once(&archive, &source, &opts).await;
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    assert!(summary.stopped.is_none(), "{:?}", summary.stopped);
    std::fs::read(dir.join("activities.csv")).unwrap()
}

#[tokio::test]
async fn original_and_gpx_cost_about_one_request_per_activity_and_the_table_stays_the_same() {
    let sim = gcexport_sim::start(demo()).unwrap();
    let tmp = tempfile::tempdir().unwrap();

    // Today's way, as the reference: Garmin's details for every activity (the JSON format
    // is those details), Garmin's own GPX, gear asked per activity where that is cheaper.
    let reference = backup(
        &sim,
        &tmp.path().join("reference"),
        RunOptions {
            formats: vec![Format::Original, Format::Gpx, Format::Json],
            garmin_tracks: true,
            ..RunOptions::default()
        },
    )
    .await;
    let reference_details = requests(&sim, DETAILS);
    let with_legs = reference_details as usize;
    assert!(with_legs > ACTIVITIES, "the account has multisport legs");

    let csv = backup(
        &sim,
        &tmp.path().join("lean"),
        RunOptions {
            formats: vec![Format::Original, Format::Gpx],
            ..RunOptions::default()
        },
    )
    .await;
    let stats = sim.stats();
    let originals = requests(&sim, ORIGINAL);
    let gpx = requests(&sim, DOWNLOAD);
    let details = requests(&sim, DETAILS);
    let gear = requests(&sim, GEAR_PER_ACTIVITY);
    let per_activity = stats.requests as f64 / with_legs as f64;
    eprintln!(
        "{} requests for {with_legs} activities with legs ({per_activity:.3} each): \
         {originals} originals, {gpx} GPX from Garmin, {details} details (reference \
         {reference_details}), gear lists+per activity {gear}; {:?}",
        stats.requests, stats.by_endpoint
    );
    assert!(
        per_activity <= 1.3,
        "{per_activity:.3} requests per activity"
    );
    assert!(details < reference_details / 2, "{details} details");
    assert!(stats.peak_concurrent_requests <= 4, "{stats:?}");

    if csv != reference {
        let a = String::from_utf8_lossy(&reference);
        let b = String::from_utf8_lossy(&csv);
        for (x, y) in a.lines().zip(b.lines()) {
            if x != y {
                eprintln!("reference: {x}\nlean:      {y}");
            }
        }
        panic!("activities.csv differs from the one Garmin's details give");
    }

    // A re-run with nothing new: the first list page, nothing else.
    sim.reset_stats();
    let again = backup(
        &sim,
        &tmp.path().join("lean"),
        RunOptions {
            formats: vec![Format::Original, Format::Gpx],
            ..RunOptions::default()
        },
    )
    .await;
    assert_eq!(sim.stats().requests, 1, "{:?}", sim.stats().by_endpoint);
    assert_eq!(again, csv);
}

#[tokio::test]
async fn gpx_alone_costs_the_original_once_and_garmin_tracks_still_download() {
    let sim = gcexport_sim::start(demo()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    backup(
        &sim,
        &tmp.path().join("gpx"),
        RunOptions {
            formats: vec![Format::Gpx],
            ..RunOptions::default()
        },
    )
    .await;
    let stats = sim.stats();
    let legs: usize = (0..ACTIVITIES)
        .map(|k| sim.account().nth_newest(k).unwrap().child_ids().len())
        .sum();
    let per_activity = stats.requests as f64 / (ACTIVITIES + legs) as f64;
    eprintln!(
        "-f gpx: {} requests: {:?}",
        stats.requests, stats.by_endpoint
    );
    assert!(
        per_activity <= 1.3,
        "{per_activity:.3} requests per activity"
    );
    // The originals fetched only to make tracks go through the same slots as the rest.
    assert!(stats.peak_concurrent_requests <= 4, "{stats:?}");
    // A leg's track comes from its parent's original: fetched once for the family.
    assert_eq!(requests(&sim, ORIGINAL) as usize, ACTIVITIES - manual(&sim));
    // Garmin's GPX only where the original is no clean FIT (uploads, manual entries).
    let garmins = requests(&sim, DOWNLOAD);
    assert!(garmins > 0 && garmins < 60, "{garmins} GPX from Garmin");
    // The originals were fetched to make the tracks, not kept: only GPX was asked for.
    let kept_zip = walk(&tmp.path().join("gpx"))
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "zip" || e == "fit"));
    assert!(!kept_zip);

    backup(
        &sim,
        &tmp.path().join("garmin"),
        RunOptions {
            formats: vec![Format::Gpx],
            garmin_tracks: true,
            ..RunOptions::default()
        },
    )
    .await;
    assert_eq!(requests(&sim, ORIGINAL), 0);
    assert!(requests(&sim, DOWNLOAD) as usize >= ACTIVITIES);
}

/// Activities entered by hand (no original at all).
fn manual(sim: &gcexport_sim::Sim) -> usize {
    (0..ACTIVITIES)
        .filter(|k| sim.account().nth_newest(*k).unwrap().list_item()["manualActivity"] == true)
        .count()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Waiting on Garmin is the time a backup takes: the downloads must not wait for the whole
/// list, nor for the gear map, and the list pages and gear pages still share the same
/// `concurrency` slots as everything else.
#[tokio::test]
async fn downloads_and_the_gear_map_start_while_the_list_is_still_read() {
    const LIST: &str = "GET /activitylist-service/activities/search/activities";
    const GEAR_ITEMS: &str = "GET /gear-service/gear/filterGear";
    const GEAR_PAGES: &str = "GET /activitylist-service/activities/{uuid}/gear";
    let sim = gcexport_sim::start(demo()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opts = RunOptions {
        formats: vec![Format::Original, Format::Gpx],
        page_size: 20,
        ..RunOptions::default()
    };
    let csv = backup(&sim, &tmp.path().join("paged"), opts.clone()).await;
    let stats = sim.stats();
    let first = |e: &str| stats.first_request.get(e).copied().unwrap_or(u64::MAX);
    let last = |e: &str| stats.last_request.get(e).copied().unwrap_or(0);
    eprintln!(
        "list pages {}..{}, first original {}, gear items {}, gear pages {}..{}",
        first(LIST),
        last(LIST),
        first(ORIGINAL),
        first(GEAR_ITEMS),
        first(GEAR_PAGES),
        last(GEAR_PAGES)
    );
    assert_eq!(requests(&sim, LIST), ACTIVITIES as u64 / 20 + 1);
    assert!(first(ORIGINAL) < last(LIST), "{:?}", stats.first_request);
    assert!(first(GEAR_PAGES) < last(LIST), "{:?}", stats.first_request);
    assert!(stats.peak_concurrent_requests <= 4, "{stats:?}");
    // filterGear is the gear list once, and then one per activity asked on its own: legs no
    // item names. Those that reached their gear step before the map was made are not asked:
    // the count is the one of a run that lists whole and maps before any download.
    let per_activity_gear = requests(&sim, GEAR_ITEMS) - 1;

    // The same account listed whole before anything else, as the reference.
    let whole = backup(
        &sim,
        &tmp.path().join("whole"),
        RunOptions {
            page_size: 1000,
            ..opts
        },
    )
    .await;
    assert_eq!(requests(&sim, LIST), 1);
    assert_eq!(requests(&sim, GEAR_ITEMS) - 1, per_activity_gear);
    assert_eq!(
        csv, whole,
        "activities.csv depends on how the list was paged"
    );
}
