#![allow(clippy::unwrap_used, clippy::expect_used)]
//! GPX and TCX made from the original during a run, against the simulator over real HTTP:
//! one request per activity, files recorded like downloads, and a corrupt original that
//! fails only its own tracks.

mod common;
use common::signed_in;

use std::io::Write;
use std::path::{Path, PathBuf};

use gcexport_backup::{
    Archive, ConnectSource, ErrorKind, Format, ItemState, RunOptions, Sink, Source, SourceError,
};
use gcexport_sim::account::Source as Origin;
use serde_json::{Value, json};
use sha2::Digest;
use tokio::io::AsyncWriteExt;

const ORIGINAL: &str = "GET /download-service/files/activity/{id}";
const EXPORT: &str = "GET /download-service/export/{format}/activity/{id}";

/// Activities with an original of their own among the `n` newest: a multisport leg's is its
/// parent's (copied from the folder, issue 16) and one entered by hand has none.
fn own_originals(sim: &gcexport_sim::Sim, n: usize) -> usize {
    let acc = sim.account();
    (0..n)
        .filter_map(|k| acc.nth_newest(k))
        .filter(|a| a.parent_id().is_none() && a.source() != Origin::Manual)
        .count()
}

fn sim(activities: usize) -> gcexport_sim::Sim {
    gcexport_sim::start(gcexport_sim::SimConfig {
        activities,
        seed: 5,
        ..Default::default()
    })
    .unwrap()
}

fn schema(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(name)
}

fn assert_valid(schema_file: &str, files: &[PathBuf]) {
    assert!(!files.is_empty());
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(schema(schema_file))
        .args(files)
        .output()
        .expect("xmllint is needed: install libxml2-utils (.ci/install-deps does)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every recorded file of `format` exists with the recorded size and hash.
fn recorded(archive: &Archive, format: Format) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for (_, f, rec) in archive.all_files().unwrap() {
        if f != format {
            continue;
        }
        let abs = archive.root().join(&rec.path);
        let bytes = std::fs::read(&abs).unwrap();
        assert_eq!(bytes.len() as u64, rec.size, "{}", rec.path);
        assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), rec.sha256);
        out.push(abs);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracks_from_the_original_cost_one_request_per_activity() {
    let sim = sim(24);
    let source = signed_in(&sim).await;
    sim.reset_stats();
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path().join("backup")).unwrap();
    let opts = RunOptions {
        formats: vec![Format::Gpx, Format::Tcx, Format::Original],
        unzip: true,
        tracks_from_original: true,
        ..RunOptions::default()
    };
    let summary = common::run_once(&archive, &source, &opts).await;
    assert!(summary.failures.is_empty(), "{summary:?}");
    assert!(summary.activities_new > 24, "legs included: {summary:?}");
    // One download per activity with a file of its own (the original; a leg's is its
    // parent's), no export asked for at all.
    assert_eq!(
        common::requests(&sim, ORIGINAL) as usize,
        own_originals(&sim, 24)
    );
    assert_eq!(common::requests(&sim, EXPORT), 0);

    // What exists is what Garmin would have served, format by format.
    let (mut with_gpx, mut uploads) = (0, 0);
    for (id, _, _) in archive.all_files().unwrap() {
        let a = sim.account().activity(id).unwrap();
        let state = |f| archive.item_state(id, f).unwrap();
        match a.source() {
            Origin::Device => {
                assert_eq!(state(Format::Tcx), Some(ItemState::Done), "{id}");
                let gpx = if a.has_gps() {
                    with_gpx += 1;
                    ItemState::Done
                } else {
                    ItemState::Unavailable
                };
                assert_eq!(state(Format::Gpx), Some(gpx), "{id} {:?}", a.kind());
            }
            Origin::GpxUpload => {
                uploads += 1;
                // The GPX is the upload itself; a TCX cannot be made from it.
                assert_eq!(state(Format::Tcx), Some(ItemState::Unavailable));
                let gpx = archive.files_of(id, Format::Gpx).unwrap();
                let original = archive.files_of(id, Format::Original).unwrap();
                assert_eq!(gpx[0].sha256, original[0].sha256);
            }
            Origin::Manual => panic!("a manual activity has no file: {id}"),
        }
    }
    assert!(with_gpx > 0 && uploads > 0, "{with_gpx} {uploads}");
    let gpx = recorded(&archive, Format::Gpx);
    let tcx = recorded(&archive, Format::Tcx);
    assert_valid("gpx-check.xsd", &gpx);
    assert_valid("tcx-check.xsd", &tcx);
    let leftovers: Vec<_> = walk(archive.root())
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Nothing is asked again.
    sim.reset_stats();
    let again = common::run_once(&archive, &source, &opts).await;
    assert_eq!(again.files_written, 0, "{again:?}");
    assert_eq!(
        common::requests(&sim, ORIGINAL) + common::requests(&sim, EXPORT),
        0
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracks_alone_fetch_the_original_once_and_keep_only_the_tracks() {
    let sim = sim(12);
    let source = signed_in(&sim).await;
    sim.reset_stats();
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path().join("backup")).unwrap();
    let opts = RunOptions {
        formats: vec![Format::Gpx, Format::Tcx],
        tracks_from_original: true,
        ..RunOptions::default()
    };
    let summary = common::run_once(&archive, &source, &opts).await;
    assert!(summary.failures.is_empty(), "{summary:?}");
    assert_eq!(
        common::requests(&sim, ORIGINAL) as usize,
        own_originals(&sim, 12)
    );
    assert_eq!(common::requests(&sim, EXPORT), 0);
    let files = walk(archive.root());
    // Beside the state (dot files) and the tables, only tracks: no original was kept.
    assert!(
        files.iter().all(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with('.')
                || name == "activities.csv"
                || name == "gear.csv"
                || name.ends_with(".gpx")
                || name.ends_with(".tcx")
        }),
        "{files:?}"
    );
    assert!(!recorded(&archive, Format::Tcx).is_empty());
}

/// The simulator's account, minus GPX and TCX: what Garmin's account data export holds.
struct OriginalsOnly(ConnectSource);

impl Source for OriginalsOnly {
    async fn list(&self, start: usize, limit: usize) -> Result<Vec<Value>, SourceError> {
        self.0.list(start, limit).await
    }
    async fn details(&self, id: i64) -> Result<Value, SourceError> {
        self.0.details(id).await
    }
    async fn gear(&self, id: i64) -> Result<Value, SourceError> {
        self.0.gear(id).await
    }
    async fn device(&self, install_id: i64) -> Result<Option<Value>, SourceError> {
        self.0.device(install_id).await
    }
    async fn fetch<W: Sink>(
        &self,
        id: i64,
        format: Format,
        out: &mut W,
    ) -> Result<Option<u64>, SourceError> {
        assert!(
            matches!(format, Format::Original | Format::Kml),
            "{format} was asked of a source that does not offer it"
        );
        self.0.fetch(id, format, out).await
    }
    fn offers(&self, format: Format) -> bool {
        !matches!(format, Format::Gpx | Format::Tcx)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_without_tracks_gets_them_from_the_original() {
    let sim = sim(12);
    let source = OriginalsOnly(signed_in(&sim).await);
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path().join("backup")).unwrap();
    let opts = RunOptions {
        formats: vec![Format::Original, Format::Gpx, Format::Tcx],
        ..RunOptions::default()
    };
    let summary = common::run_once(&archive, &source, &opts).await;
    assert!(summary.failures.is_empty(), "{summary:?}");
    assert!(!recorded(&archive, Format::Gpx).is_empty());
    assert_valid("tcx-check.xsd", &recorded(&archive, Format::Tcx));
}

/// Serves one good original (the simulator's FIT) and one whose FIT is corrupt.
struct OneCorrupt {
    good: Vec<u8>,
    bad: Vec<u8>,
}

fn zip_of(name: &str, data: &[u8]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(name, zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap().into_inner()
}

impl Source for OneCorrupt {
    async fn list(&self, start: usize, _limit: usize) -> Result<Vec<Value>, SourceError> {
        Ok([1i64, 2]
            .iter()
            .skip(start)
            .map(|id| {
                json!({"activityId": id, "activityName": format!("Run {id}"),
                       "startTimeLocal": "2024-01-01 10:00:00", "startTimeGMT": "2024-01-01 09:00:00",
                       "activityType": {"typeKey": "running", "typeId": 1}})
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
        assert_eq!(format, Format::Original);
        let body = if id == 1 { &self.good } else { &self.bad };
        out.write_all(body)
            .await
            .map_err(|e| SourceError::new(ErrorKind::Io, e.to_string()))?;
        Ok(Some(body.len() as u64))
    }
}

#[tokio::test]
async fn a_damaged_original_gives_its_tracks_with_a_note_and_is_kept() {
    let acc = gcexport_sim::account::Account::new(5, 12);
    let fit = (0..12)
        .map(|k| acc.nth_newest(k).unwrap())
        .find(|a| a.source() == Origin::Device && a.has_gps() && a.parent_id().is_none())
        .map(
            |a| match a.download(gcexport_sim::account::Format::Original, false) {
                gcexport_sim::account::Download::File { bytes, .. } => bytes,
                _ => unreachable!(),
            },
        )
        .unwrap();
    let mut raw = {
        use std::io::Read;
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(&fit)).unwrap();
        let mut v = Vec::new();
        z.by_index(0).unwrap().read_to_end(&mut v).unwrap();
        v
    };
    let mid = raw.len() / 2;
    raw[mid] ^= 0x10;
    let source = OneCorrupt {
        good: fit,
        bad: zip_of("2_ACTIVITY.fit", &raw),
    };
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path().join("backup")).unwrap();
    let opts = RunOptions {
        formats: vec![Format::Original, Format::Gpx, Format::Tcx],
        tracks_from_original: true,
        ..RunOptions::default()
    };
    let summary = common::run_once(&archive, &source, &opts).await;
    assert!(summary.stopped.is_none(), "{summary:?}");
    // The damaged one (a changed byte: its checksum no longer matches): both tracks made
    // from what it holds, the summary says so once, and its original is kept as it came.
    assert!(summary.failures.is_empty(), "{summary:?}");
    assert_eq!(summary.salvaged.len(), 1, "{summary:?}");
    let s = &summary.salvaged[0];
    assert_eq!(s.activity_id, 2);
    assert!(s.points > 0);
    assert!(
        s.message.contains("damaged original") && s.message.contains("checksum"),
        "{}",
        s.message
    );
    for f in [Format::Original, Format::Gpx, Format::Tcx] {
        assert_eq!(
            archive.item_state(2, f).unwrap(),
            Some(ItemState::Done),
            "{f}"
        );
    }
    let kept = archive.files_of(2, Format::Original).unwrap();
    assert!(archive.root().join(&kept[0].path).is_file());
    // The good one is whole.
    for f in [Format::Original, Format::Gpx, Format::Tcx] {
        assert_eq!(
            archive.item_state(1, f).unwrap(),
            Some(ItemState::Done),
            "{f}"
        );
    }
    assert_eq!(summary.activities_done, 2);
    assert_eq!(summary.activities_failed, 0);
}

/// Online, over real HTTP: the simulator serves every device original cut short (its
/// `damage` fault, as a watch that crashed mid-save leaves a file). Each one's GPX and TCX
/// are made from the part that was saved and validate, the summary names each once, and the
/// original is kept exactly as Garmin served it (not repaired, not dropped).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn originals_served_damaged_give_tracks_of_what_they_hold() {
    let sim = sim(10);
    let source = signed_in(&sim).await;
    sim.set_faults(
        gcexport_sim::Faults::parse("damage:at=0.6,on=/download-service/files/activity").unwrap(),
    );
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path().join("backup")).unwrap();
    let opts = RunOptions {
        formats: vec![Format::Original, Format::Gpx, Format::Tcx],
        tracks_from_original: true,
        ..RunOptions::default()
    };
    let summary = common::run_once(&archive, &source, &opts).await;
    assert!(summary.stopped.is_none(), "{summary:?}");
    // A multisport leg that starts after the cut is not in what was saved: its tracks fail
    // (retried by the next run), saying so; nothing else fails.
    for f in &summary.failures {
        let a = sim.account().activity(f.activity_id).unwrap();
        assert!(a.parent_id().is_some(), "only legs may fail: {f:?}");
        assert!(f.message.contains("holds no leg"), "{f:?}");
    }

    // The device uploads with a track (legs share their parent's file, so count top levels).
    let damaged: Vec<i64> = (0..10)
        .map(|k| sim.account().nth_newest(k).unwrap())
        .filter(|a| a.source() == Origin::Device && a.parent_id().is_none())
        .map(|a| a.id())
        .collect();
    assert!(!damaged.is_empty());
    let salvaged: std::collections::HashSet<i64> =
        summary.salvaged.iter().map(|s| s.activity_id).collect();
    for id in &damaged {
        assert!(
            salvaged.contains(id),
            "{id} is said to be recovered: {summary:?}"
        );
    }
    for s in &summary.salvaged {
        assert!(s.message.contains("damaged original"), "{}", s.message);
        assert_eq!(
            archive.item_state(s.activity_id, Format::Original).unwrap(),
            Some(ItemState::Done)
        );
    }
    // The kept original is what was served: a ZIP whose FIT is shorter than the whole one.
    for id in &damaged {
        let kept = archive.files_of(*id, Format::Original).unwrap();
        let bytes = std::fs::read(archive.root().join(&kept[0].path)).unwrap();
        let whole = match sim
            .account()
            .activity(*id)
            .unwrap()
            .download(gcexport_sim::account::Format::Original, false)
        {
            gcexport_sim::account::Download::File { bytes, .. } => bytes,
            _ => unreachable!(),
        };
        let fit_len = |zip_bytes: &[u8]| {
            let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
            z.by_index(0).unwrap().size()
        };
        assert!(
            fit_len(&bytes) < fit_len(&whole),
            "{id}: the damaged original is kept as served"
        );
    }
    assert_valid("gpx-check.xsd", &recorded(&archive, Format::Gpx));
    assert_valid("tcx-check.xsd", &recorded(&archive, Format::Tcx));
}
