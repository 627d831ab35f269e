use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{StreamExt as _, TryStreamExt as _};
use gcexport_connect::{
    EndpointProfile, ErrorKind, FileStore, Format, ListQuery, MemoryStore, Session, TokenStore,
};
use gcexport_sim::{Faults, SimConfig};

use crate::common::*;

/// Every format of every activity (legs included), `concurrency` at a time; returns
/// id -> format -> sha256 (None: the format does not exist).
pub async fn download_everything(
    session: &Session,
    concurrency: usize,
) -> Vec<(i64, Format, Option<String>)> {
    let list: Vec<_> = session
        .activities(ListQuery {
            page_size: 7,
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for a in &list {
        let id = a.activity_id.unwrap();
        ids.push(id);
        let details = session.activity_details(id).await.unwrap().unwrap();
        assert_eq!(details.activity_id, Some(id));
        ids.extend(details.child_ids.iter().copied());
    }
    let jobs = ids.into_iter().flat_map(|id| Format::ALL.map(|f| (id, f)));
    futures_util::stream::iter(jobs)
        .map(|(id, format)| async move {
            let mut bytes = Vec::new();
            let got = session
                .download(id, format, &mut bytes)
                .await
                .unwrap_or_else(|e| panic!("{id} {format:?}: {e}"));
            if let Some(info) = &got {
                assert_eq!(info.bytes, bytes.len() as u64);
            }
            (id, format, got.map(|_| sha256(&bytes)))
        })
        .buffer_unordered(concurrency)
        .collect()
        .await
}

pub async fn assert_matches_expected(
    sim: &gcexport_sim::Sim,
    got: &[(i64, Format, Option<String>)],
) {
    let expected = expected(sim).await;
    assert_eq!(
        got.len(),
        expected.len() * 4,
        "every activity and leg, every format"
    );
    for (id, format, sha) in got {
        let (status, want) = &expected[id][format.name()];
        match status {
            200 => assert_eq!(sha.as_ref(), want.as_ref(), "{id} {format:?}"),
            _ => assert!(
                sha.is_none(),
                "{id} {format:?}: expected status {status}, got a file"
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_run_refreshes_once_per_expiry_and_saves_every_rotation() {
    let ttl = Duration::from_secs(2);
    let sim = sim(SimConfig {
        activities: 24,
        access_token_ttl: ttl,
        // Slow enough that the run outlives the access token several times.
        faults: Faults::parse("latency:ms=60").unwrap(),
        ..Default::default()
    });
    let store = Arc::new(RecordingStore::default());
    let session = demo_session(&sim, store.clone(), fast()).await;
    let first = session.tokens();
    let started = Instant::now();
    let got = download_everything(&session, 2).await;
    let elapsed = started.elapsed();
    assert_matches_expected(&sim, &got).await;

    let stats = sim.stats();
    let refreshes = session.refresh_count();
    assert_eq!(stats.token_refreshes, refreshes);
    assert!(
        elapsed > ttl * 3,
        "the run must outlive the token several times: {elapsed:?}"
    );
    assert!(refreshes >= 3, "{refreshes} refreshes in {elapsed:?}");
    // One refresh per (ttl - margin) of run time, at most: never two for one expiry.
    let margin = ttl / 10;
    let most = (elapsed.as_secs_f64() / (ttl - margin).as_secs_f64()).ceil() as u64 + 1;
    assert!(
        refreshes <= most,
        "{refreshes} refreshes > {most} in {elapsed:?}"
    );
    // Every rotated token was saved, in order, the initial set first.
    let saved = store.saved.lock().unwrap().clone();
    assert_eq!(saved.len() as u64, refreshes + 1);
    assert_eq!(saved[0], first);
    assert_eq!(saved.last().unwrap(), &session.tokens());
    for pair in saved.windows(2) {
        assert_ne!(
            pair[0].refresh_token, pair[1].refresh_token,
            "each refresh rotates"
        );
    }
    // A rotated-out refresh token is refused.
    assert_eq!(raw_refresh_status(&sim, &first).await, 400);
    assert_eq!(
        stats.by_status.get("401").copied().unwrap_or(0),
        0,
        "refreshed before expiry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_seeing_an_expired_token_cause_one_refresh() {
    let sim = sim(SimConfig {
        access_token_ttl: Duration::from_secs(1),
        ..small()
    });
    let session = demo_session(&sim, Arc::new(MemoryStore::default()), fast()).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let calls = (0..8).map(|_| {
        let s = session.clone();
        tokio::spawn(async move { s.profile().await })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap().unwrap();
    }
    assert_eq!(sim.stats().token_refreshes, 1);
    assert_eq!(session.refresh_count(), 1);
}

#[tokio::test]
async fn a_401_refreshes_once_and_retries() {
    let sim = sim(small());
    let session = demo_session(&sim, Arc::new(MemoryStore::default()), fast()).await;
    sim.set_faults(Faults::parse("inactive:on=/userprofile-service/userprofile,first=1").unwrap());
    session.settings().await.unwrap();
    assert_eq!(sim.stats().token_refreshes, 1);
    // A token refused again after the refresh is "sign in again", not a loop.
    sim.set_faults(Faults::parse("inactive:on=/userprofile-service/userprofile").unwrap());
    let err = session.settings().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TokensExpired);
    assert_eq!(sim.stats().token_refreshes, 2);
}

#[tokio::test]
async fn a_dead_refresh_token_means_sign_in_again_and_the_file_store_keeps_the_latest() {
    let sim = sim(small());
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FileStore::new(dir.path().join("tokens.json")));
    let session = demo_session(&sim, store.clone(), fast()).await;
    let old = session.tokens();
    session.refresh().await.unwrap();
    assert_eq!(store.load().unwrap().unwrap(), session.tokens());
    assert_ne!(session.tokens().refresh_token, old.refresh_token);
    // A second process still holding the old set (e.g. restored from a backup).
    let stale = Session::start(
        EndpointProfile::server(sim.base_url()),
        old,
        Arc::new(MemoryStore::default()),
        fast(),
    )
    .await
    .unwrap();
    let err = stale.refresh().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TokensExpired, "{err}");
    // Resuming from the file store works.
    let resumed = Session::resume(EndpointProfile::server(sim.base_url()), store, fast())
        .await
        .unwrap();
    resumed.profile().await.unwrap();
}

#[tokio::test]
async fn the_list_is_a_paged_stream_that_stops_early() {
    let sim = sim(SimConfig {
        activities: 25,
        ..Default::default()
    });
    let session = demo_session(&sim, Arc::new(MemoryStore::default()), fast()).await;
    let count = session.activity_count().await.unwrap();
    assert_eq!(count, 25);
    let all: Vec<_> = session
        .activities(ListQuery {
            page_size: 10,
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 25);
    let starts: Vec<_> = all.iter().map(|a| a.start_time_gmt.unwrap()).collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let list_calls = |s: &gcexport_sim::Sim| {
        s.stats()
            .by_endpoint
            .iter()
            .filter(|(k, _)| k.contains("search/activities"))
            .map(|(_, v)| *v)
            .sum::<u64>()
    };
    let before = list_calls(&sim);
    let first_three: Vec<_> = session
        .activities(ListQuery {
            page_size: 2,
            ..Default::default()
        })
        .take(3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(first_three.len(), 3);
    assert_eq!(
        list_calls(&sim) - before,
        2,
        "stopping early fetches no further page"
    );
    let settings = session.settings().await.unwrap();
    assert!(settings.measurement_system.is_some());
    let d = session
        .activity_details(all[0].activity_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(d.raw.get("summaryDTO").is_some(), "raw JSON kept");
    // An id that is not the account's: Garmin's permanent 403, not retried.
    let err = session.activity_details(1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert!(!err.is_retryable());
}

/// The raw list page keeps every field Garmin sent; gear and device info answer for the
/// activities that have them, and a device Garmin knows nothing of is `None`, not an error.
#[tokio::test]
async fn raw_pages_gear_and_devices() {
    let sim = sim(SimConfig {
        activities: 20,
        ..Default::default()
    });
    let session = demo_session(&sim, Arc::new(MemoryStore::default()), fast()).await;
    let raw = session
        .activities_page_raw(&ListQuery::default(), 0)
        .await
        .unwrap();
    assert_eq!(raw.len(), 20);
    assert_eq!(raw[0], sim.account().nth_newest(0).unwrap().list_item());

    let mut devices = 0;
    let mut no_device = 0;
    let mut with_gear = 0;
    for item in &raw {
        let id = item["activityId"].as_i64().unwrap();
        if !session.activity_gear(id).await.unwrap().is_empty() {
            with_gear += 1;
        }
        let details = session.activity_details(id).await.unwrap().unwrap().raw;
        if let Some(install) = details["metadataDTO"]["deviceApplicationInstallationId"].as_i64() {
            match session.device_info(install).await.unwrap() {
                Some(info) => {
                    assert!(info["productDisplayName"].is_string(), "{info}");
                    devices += 1;
                }
                None => no_device += 1,
            }
        }
    }
    assert!(with_gear > 0, "some activities have gear");
    assert!(
        devices > 0 && no_device > 0,
        "{devices} devices, {no_device} answered 204"
    );
}
