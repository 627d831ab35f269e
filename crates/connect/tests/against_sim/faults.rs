use std::sync::Arc;
use std::time::{Duration, Instant};

use gcexport_connect::{ErrorKind, MemoryStore, RetryPolicy, SessionConfig};
use gcexport_sim::{Faults, SimConfig};

use crate::common::*;
use crate::refresh::{assert_matches_expected, download_everything};

async fn run_under_429s(concurrency: usize) -> gcexport_sim::Stats {
    let sim = sim(SimConfig {
        activities: 10,
        ..Default::default()
    });
    let session = demo_session(&sim, Arc::new(MemoryStore::default()), fast()).await;
    sim.set_faults(Faults::parse("429:p=0.05,body=json,retry-after=1").unwrap());
    let got = download_everything(&session, concurrency).await;
    sim.set_faults(Faults::none());
    let stats = sim.stats();
    assert_matches_expected(&sim, &got).await;
    assert!(
        stats.faults_injected.get("429").copied().unwrap_or(0) > 0,
        "{stats:?}"
    );
    stats
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_is_sent_during_a_429_pause() {
    let stats = run_under_429s(1).await;
    assert_eq!(stats.requests_during_retry_after, 0, "{stats:?}");
}

/// With requests in parallel, every one sent after the first 429 waits for the shared
/// pause (the simulator does not count requests already on their way when it answered 429).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_requests_all_respect_the_shared_429_pause() {
    let stats = run_under_429s(3).await;
    assert_eq!(stats.requests_during_retry_after, 0, "{stats:?}");
}

/// A 200 carrying a maintenance page or a JSON error instead of the file is refused: never
/// handed over as the activity's file.
#[tokio::test]
async fn a_200_that_is_not_the_file_is_an_error_not_a_file() {
    let sim = sim(small());
    let session = demo_session(&sim, Arc::new(MemoryStore::default()), fast()).await;
    let id = sim.account().nth_newest(0).unwrap().id();
    for spec in [
        "wrongbody:p=1,on=download",
        "wrongbody:p=1,as=json,on=download",
    ] {
        sim.set_faults(Faults::parse(spec).unwrap());
        for format in [
            gcexport_connect::Format::Original,
            gcexport_connect::Format::Gpx,
        ] {
            let mut sink: Vec<u8> = Vec::new();
            let err = session
                .download(id, format, &mut sink)
                .await
                .expect_err("a page is not a file");
            assert_eq!(err.kind(), ErrorKind::BadBody, "{spec} {format:?}: {err}");
        }
    }
    sim.set_faults(Faults::none());
    let mut sink: Vec<u8> = Vec::new();
    assert!(
        session
            .download(id, gcexport_connect::Format::Original, &mut sink)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_from_the_base() {
    let sim = sim(small());
    let session = demo_session(&sim, Arc::new(MemoryStore::default()), fast()).await;
    sim.set_faults(Faults::parse("429:first=2,body=json,on=api").unwrap());
    let started = Instant::now();
    session.profile().await.unwrap();
    // 300 ms, then 600 ms (fast() sets a 300 ms base).
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_survive_5xx_resets_and_truncation_with_the_right_bytes() {
    let sim = sim(SimConfig {
        activities: 14,
        ..Default::default()
    });
    let session = demo_session(&sim, Arc::new(MemoryStore::default()), fast()).await;
    sim.set_faults(
        Faults::parse(
            "5xx:p=0.1,on=download;reset:p=0.1,on=download;truncate:p=0.1,length=correct,on=download;truncate:p=0.1,length=wrong,on=download;5xx:p=0.05,on=api",
        )
        .unwrap(),
    );
    let got = download_everything(&session, 3).await;
    let stats = sim.stats();
    sim.set_faults(Faults::none());
    assert_matches_expected(&sim, &got).await;
    for kind in ["5xx", "reset", "truncate"] {
        assert!(
            stats.faults_injected.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} injected: {stats:?}"
        );
    }
}

#[tokio::test]
async fn a_stalled_api_times_out_instead_of_hanging() {
    let sim = sim(small());
    let config = SessionConfig {
        read_timeout: Duration::from_millis(400),
        retry: RetryPolicy {
            max_attempts: 2,
            ..fast().retry
        },
        ..fast()
    };
    let session = demo_session(&sim, Arc::new(MemoryStore::default()), config).await;
    sim.set_faults(Faults::parse("stall:ms=60000,on=api").unwrap());
    let started = Instant::now();
    let err = session.profile().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.is_retryable());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
