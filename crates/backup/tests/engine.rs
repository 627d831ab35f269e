#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The engine on its own: a hostile source (as an outside party could be), and the
//! connect source against the simulator over real HTTP.

mod common;
use common::signed_in;

use std::io::Write;

use gcexport_backup::{
    Archive, CancellationToken, ErrorKind, Format, ItemState, Layout, NoProgress, RunOptions, Sink,
    Source, SourceError, run,
};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

/// An outside party that serves one ZIP per activity, whatever we ask: the files a
/// malicious or broken server could send.
struct ZipServer {
    zips: Vec<(i64, Vec<u8>)>,
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

impl Source for ZipServer {
    async fn list(&self, start: usize, _limit: usize) -> Result<Vec<Value>, SourceError> {
        Ok(self
            .zips
            .iter()
            .skip(start)
            .map(|(id, _)| {
                json!({"activityId": id, "activityName": "../../../x",
                       "startTimeLocal": "2024-01-01 10:00:00", "startTimeGMT": "2024-01-01 09:00:00",
                       "activityType": {"typeKey": "../..", "typeId": 1}})
            })
            .collect())
    }
    async fn details(&self, id: i64) -> Result<Value, SourceError> {
        Ok(json!({"activityId": id, "summaryDTO": {}}))
    }
    async fn gear(&self, _id: i64) -> Result<Value, SourceError> {
        Ok(json!([]))
    }
    async fn device(&self, _install_id: i64) -> Result<Option<Value>, SourceError> {
        Ok(None)
    }
    async fn fetch<W: Sink>(
        &self,
        id: i64,
        format: Format,
        out: &mut W,
    ) -> Result<Option<u64>, SourceError> {
        if format != Format::Original {
            return Ok(None);
        }
        let zip = &self.zips.iter().find(|(i, _)| *i == id).unwrap().1;
        out.write_all(zip)
            .await
            .map_err(|e| SourceError::new(ErrorKind::Io, e.to_string()))?;
        Ok(Some(zip.len() as u64))
    }
}

#[tokio::test]
async fn a_hostile_zip_never_writes_outside_the_folder() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("backup");
    let bomb = vec![0u8; 300 * 1024 * 1024];
    let source = ZipServer {
        zips: vec![
            (1, zip_of(&[("../../escaped.fit", b"evil")])),
            (2, zip_of(&[("/etc/escaped.fit", b"evil")])),
            (3, zip_of(&[("bomb.fit", &bomb)])),
            (4, zip_of(&[("fine/../../../escaped.gpx", b"evil")])),
            (5, zip_of(&[("ok_ACTIVITY.fit", b"FIT")])),
        ],
    };
    drop(bomb);
    let archive = Archive::open(&dir).unwrap();
    let opts = RunOptions {
        unzip: true,
        formats: vec![Format::Original],
        ..RunOptions::default()
    };
    let summary = common::run_once(&archive, &source, &opts).await;
    let hostile: Vec<i64> = summary
        .failures
        .iter()
        .filter(|f| f.kind == ErrorKind::Hostile)
        .map(|f| f.activity_id)
        .collect();
    let mut sorted = hostile.clone();
    sorted.sort();
    assert_eq!(sorted, vec![1, 2, 3, 4], "{summary:?}");
    assert_eq!(
        archive.item_state(5, Format::Original).unwrap(),
        Some(ItemState::Done)
    );

    // Nothing beside the folder, nothing named after the entries, no leftovers.
    let beside: Vec<_> = std::fs::read_dir(t.path()).unwrap().collect();
    assert_eq!(beside.len(), 1);
    assert!(!std::path::Path::new("/etc/escaped.fit").exists());
    let mut all = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                all.push(p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    assert!(
        all.iter()
            .all(|p| !p.contains("escaped") && !p.ends_with(".part")),
        "{all:?}"
    );
    assert_eq!(
        all.iter().filter(|p| p.ends_with(".fit")).count(),
        1,
        "{all:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gcexport_py_folder_is_recognised_by_id_and_not_fetched_again() {
    let sim = gcexport_sim::start(gcexport_sim::SimConfig {
        activities: 20,
        seed: 3,
        ..Default::default()
    })
    .unwrap();
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("old-gcexport-folder");
    std::fs::create_dir_all(&dir).unwrap();

    // What gcexport.py left: GPX files of the 8 newest activities that have one.
    let mut adopted = Vec::new();
    for k in 0..20 {
        let a = sim.account().nth_newest(k).unwrap();
        if let gcexport_sim::account::Download::File { bytes, .. } =
            a.download(gcexport_sim::account::Format::Gpx, false)
            && adopted.len() < 8
        {
            std::fs::write(dir.join(format!("activity_{}.gpx", a.id())), bytes).unwrap();
            adopted.push(a.id());
        }
    }
    let source = signed_in(&sim).await;
    sim.reset_stats();
    let archive = Archive::open(&dir).unwrap();
    let opts = RunOptions {
        formats: vec![Format::Gpx],
        layout: Layout::Classic {
            file_prefix: false,
            desc: None,
            subdir: None,
        },
        // GPX downloads as gcexport.py made them, so each one fetched is counted below.
        garmin_tracks: true,
        ..RunOptions::default()
    };
    let summary = common::run_once(&archive, &source, &opts).await;
    assert!(summary.failures.is_empty(), "{summary:?}");
    let stats = sim.stats();
    let gpx = stats
        .by_endpoint
        .get("GET /download-service/export/{format}/activity/{id}")
        .copied()
        .unwrap_or(0);
    eprintln!("{summary:?}\n{:?}", stats.by_endpoint);
    // Every activity (legs included) but the adopted ones was asked for its GPX, once.
    assert_eq!(gpx, summary.activities_new - adopted.len() as u64);
    for id in adopted {
        assert_eq!(
            archive.item_state(id, Format::Gpx).unwrap(),
            Some(ItemState::Done)
        );
        let files = archive.files_of(id, Format::Gpx).unwrap();
        assert_eq!(files[0].path, format!("activity_{id}.gpx"));
    }
}

#[test]
fn a_run_can_be_spawned_on_a_multi_threaded_runtime() {
    fn is_send<T: Send>(_: &T) {}
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path()).unwrap();
    let source = ZipServer { zips: Vec::new() };
    let opts = RunOptions::default();
    let cancel = CancellationToken::new();
    let fut = run(&archive, &source, &opts, &NoProgress, &cancel);
    is_send(&fut);
}

/// An account of `n` activities served in pages, counting list calls; it can cancel the
/// run when a given page is asked for (a user pressing Ctrl-C mid-listing).
struct Paged {
    n: i64,
    list_calls: std::sync::atomic::AtomicUsize,
    cancel_at: Option<(usize, CancellationToken)>,
}

impl Source for Paged {
    async fn list(&self, start: usize, limit: usize) -> Result<Vec<Value>, SourceError> {
        self.list_calls
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Some((at, token)) = &self.cancel_at
            && *at == start
        {
            token.cancel();
            std::future::pending::<()>().await;
        }
        Ok((start as i64..(start + limit).min(self.n as usize) as i64)
            .map(|k| {
                let id = 1000 + self.n - k;
                json!({"activityId": id, "startTimeGMT": format!("2024-01-01 00:{:02}:{:02}", id / 60 % 60, id % 60)})
            })
            .collect())
    }
    async fn details(&self, id: i64) -> Result<Value, SourceError> {
        Ok(json!({"activityId": id}))
    }
    async fn gear(&self, _id: i64) -> Result<Value, SourceError> {
        Ok(json!([]))
    }
    async fn device(&self, _install_id: i64) -> Result<Option<Value>, SourceError> {
        Ok(None)
    }
    async fn fetch<W: Sink>(
        &self,
        _: i64,
        _: Format,
        _: &mut W,
    ) -> Result<Option<u64>, SourceError> {
        Ok(None)
    }
}

#[tokio::test]
async fn a_listing_cut_short_is_finished_by_the_next_incremental_run() {
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path()).unwrap();
    let opts = RunOptions {
        formats: vec![Format::Gpx],
        page_size: 100,
        ..RunOptions::default()
    };
    let cancel = CancellationToken::new();
    let first = Paged {
        n: 250,
        list_calls: Default::default(),
        cancel_at: Some((100, cancel.clone())),
    };
    let s = run(&archive, &first, &opts, &NoProgress, &cancel)
        .await
        .unwrap();
    assert!(s.cancelled);
    assert_eq!(s.activities_listed, 100);

    // Page 1 holds nothing new now, yet the listing never reached its end: go on.
    let second = Paged {
        n: 250,
        list_calls: Default::default(),
        cancel_at: None,
    };
    let s = common::run_once(&archive, &second, &opts).await;
    assert_eq!(s.activities_listed, 250);
    assert_eq!(s.activities_new, 150);
    for id in 1001..=1250 {
        assert!(archive.contains(id).unwrap(), "{id}");
    }
    // And from then on, nothing new costs one page.
    let third = Paged {
        n: 250,
        list_calls: Default::default(),
        cancel_at: None,
    };
    let s = common::run_once(&archive, &third, &opts).await;
    assert_eq!(
        third.list_calls.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert_eq!(s.activities_skipped, 250);
    assert_eq!(s.activities_planned, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_information_is_asked_once_per_device_with_activities_in_flight_together() {
    // Latency makes the activities in flight reach their device look-up together, as they do
    // against Garmin; most of them share one of a handful of devices.
    let sim = gcexport_sim::start(gcexport_sim::SimConfig {
        activities: 40,
        seed: 5,
        faults: gcexport_sim::Faults::parse("latency:ms=20").unwrap(),
        ..Default::default()
    })
    .unwrap();
    let mut devices = std::collections::HashSet::new();
    let account = sim.account();
    for k in 0..40 {
        let top = account.nth_newest(k).unwrap();
        let mut all = vec![top.clone()];
        all.extend(
            top.child_ids()
                .into_iter()
                .filter_map(|id| account.activity(id)),
        );
        for a in all {
            let d = a.details();
            let meta = &d["metadataDTO"];
            // As docs/protocol.md says ("Calls the backup makes"): a device id of null or 0 names no device.
            let unknown = meta
                .pointer("/deviceMetaDataDTO/deviceId")
                .is_some_and(|id| id.is_null() || id.as_i64() == Some(0) || id == "0");
            if let (false, Some(install)) =
                (unknown, meta["deviceApplicationInstallationId"].as_i64())
            {
                devices.insert(install);
            }
        }
    }
    assert!(!devices.is_empty() && devices.len() < 10, "{devices:?}");

    let source = signed_in(&sim).await;
    sim.reset_stats();
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path()).unwrap();
    let opts = RunOptions {
        formats: vec![Format::Gpx],
        concurrency: 8,
        ..RunOptions::default()
    };
    let summary = common::run_once(&archive, &source, &opts).await;
    assert!(summary.failures.is_empty(), "{summary:?}");
    let asked = sim
        .stats()
        .by_endpoint
        .get("GET /device-service/deviceservice/app-info/{id}")
        .copied()
        .unwrap_or(0);
    assert_eq!(asked, devices.len() as u64, "one look-up per device");
}
