#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What the archive does to the folder it is given: it writes only its own files, under
//! names that keep every activity apart, never through a link it did not make, never
//! deleting what other programs keep there; and a CDN block stops a run at once.

mod common;
use common::signed_in;

use std::path::{Path, PathBuf};

use gcexport_backup::{
    Archive, ErrorKind, Format, ItemState, RunOptions, Sink, Source, SourceError, Summary,
};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

/// An account of the activities given, every one with a GPX of its own id.
struct Account {
    items: Vec<Value>,
}

impl Source for Account {
    async fn list(&self, start: usize, limit: usize) -> Result<Vec<Value>, SourceError> {
        Ok(self.items.iter().skip(start).take(limit).cloned().collect())
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
        if format != Format::Gpx {
            return Ok(None);
        }
        let body = format!("<?xml version=\"1.0\"?><gpx><!-- {id} --></gpx>");
        out.write_all(body.as_bytes())
            .await
            .map_err(|e| SourceError::new(ErrorKind::Io, e.to_string()))?;
        Ok(Some(body.len() as u64))
    }
}

fn item(id: i64, name: &str, local: &str) -> Value {
    json!({"activityId": id, "activityName": name,
           "startTimeLocal": local, "startTimeGMT": local,
           "activityType": {"typeKey": "running", "typeId": 1, "parentTypeId": 17}})
}

async fn back_up(dir: &Path, source: &Account) -> (Archive, Summary) {
    let archive = Archive::open(dir).unwrap();
    let opts = RunOptions {
        formats: vec![Format::Gpx],
        ..RunOptions::default()
    };
    let summary = common::run_once(&archive, source, &opts).await;
    (archive, summary)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let ty = e.file_type().unwrap();
            if ty.is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn csv_rows(dir: &Path) -> Vec<csv::StringRecord> {
    let bytes = std::fs::read(dir.join("activities.csv")).unwrap();
    let mut rd = csv::Reader::from_reader(&bytes[3..]);
    rd.records().map(|r| r.unwrap()).collect()
}

#[tokio::test]
async fn two_activities_of_one_minute_with_long_cjk_names_keep_two_files() {
    // 60 CJK characters are 180 bytes: with the date, the type and the id the name passed
    // 200 bytes, the cut took the id, and the second file replaced the first.
    let name = "北京马拉松训练长距离慢跑".repeat(5);
    assert_eq!(name.chars().count(), 60);
    let source = Account {
        items: vec![
            item(12_000_000_002, &name, "2024-05-01 07:30:40"),
            item(12_000_000_001, &name, "2024-05-01 07:30:05"),
        ],
    };
    let t = tempfile::tempdir().unwrap();
    let (archive, summary) = back_up(t.path(), &source).await;
    assert!(summary.failures.is_empty(), "{summary:?}");
    let mut paths = Vec::new();
    for id in [12_000_000_001_i64, 12_000_000_002] {
        assert_eq!(
            archive.item_state(id, Format::Gpx).unwrap(),
            Some(ItemState::Done)
        );
        let files = archive.files_of(id, Format::Gpx).unwrap();
        assert_eq!(files.len(), 1, "{id}: {files:?}");
        assert!(files[0].path.ends_with(&format!("_{id}.gpx")), "{files:?}");
        let body = std::fs::read_to_string(t.path().join(&files[0].path)).unwrap();
        assert!(body.contains(&id.to_string()), "{body}");
        paths.push(files[0].path.clone());
    }
    assert_ne!(paths[0], paths[1]);
    let gpx: Vec<_> = files_under(t.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "gpx"))
        .collect();
    assert_eq!(gpx.len(), 2, "{gpx:?}");
    let ids: Vec<String> = csv_rows(t.path())
        .iter()
        .map(|r| r[2].to_string())
        .collect();
    assert_eq!(ids, ["12000000002", "12000000001"]);
}

#[tokio::test]
async fn another_programs_part_files_survive_a_run() {
    // Pointed at a Downloads folder: a browser's unfinished download is not ours.
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("sub")).unwrap();
    let film = t.path().join("sub").join("film.mkv.part");
    std::fs::write(&film, b"half a film").unwrap();
    let top = t.path().join("notes.txt.part");
    std::fs::write(&top, b"draft").unwrap();
    let source = Account {
        items: vec![item(7, "Run", "2024-05-01 07:30:40")],
    };
    let (archive, summary) = back_up(t.path(), &source).await;
    assert!(summary.failures.is_empty(), "{summary:?}");
    drop(archive);
    // And once more: opening a folder that holds them is where they were deleted.
    let _again = Archive::open(t.path()).unwrap();
    assert_eq!(std::fs::read(&film).unwrap(), b"half a film");
    assert_eq!(std::fs::read(&top).unwrap(), b"draft");
}

#[cfg(unix)]
#[tokio::test]
async fn links_planted_in_the_folder_are_refused_and_nothing_outside_changes() {
    use std::os::unix::fs::symlink;
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("backup");
    let elsewhere = t.path().join("elsewhere");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    symlink("../elsewhere", dir.join("2024")).unwrap();
    // The name the issue found, and the one the archive now writes its table through.
    symlink("../x", dir.join("activities.csv.part")).unwrap();
    symlink("../y", dir.join("activities.csv.gcexport-part")).unwrap();
    let source = Account {
        items: vec![
            item(2, "In 2024", "2024-05-01 07:30:40"),
            item(1, "In 2023", "2023-05-01 07:30:40"),
        ],
    };
    let (archive, summary) = back_up(&dir, &source).await;

    // Nothing outside the folder: the link's target stays empty, `x` never appears.
    assert!(
        files_under(&elsewhere).is_empty(),
        "{:?}",
        files_under(&elsewhere)
    );
    assert!(!t.path().join("x").exists());
    assert!(!t.path().join("y").exists());
    let beside: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside.len(), 2, "{beside:?}");

    // The 2024 activity failed, saying which path was refused; the 2023 one is done.
    let failure = summary
        .failures
        .iter()
        .find(|f| f.activity_id == 2)
        .unwrap_or_else(|| panic!("{summary:?}"));
    assert!(failure.message.contains("2024"), "{failure:?}");
    assert!(failure.message.contains("link"), "{failure:?}");
    assert_eq!(
        archive.item_state(1, Format::Gpx).unwrap(),
        Some(ItemState::Done)
    );
    assert_ne!(
        archive.item_state(2, Format::Gpx).unwrap(),
        Some(ItemState::Done)
    );
    // The CSV could not be written through the planted `.part`: the run says so.
    let stop = summary
        .stopped
        .as_ref()
        .unwrap_or_else(|| panic!("{summary:?}"));
    assert!(stop.message.contains("activities.csv."), "{stop:?}");
    assert!(stop.message.contains("link"), "{stop:?}");
    // The links are still links, as the user left them.
    assert!(
        std::fs::symlink_metadata(dir.join("2024"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    for planted in ["activities.csv.part", "activities.csv.gcexport-part"] {
        assert!(
            std::fs::symlink_metadata(dir.join(planted))
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
}

/// A run against an account whose every download is answered 403 (`body` html or json):
/// the download requests the simulator saw, and the summary.
async fn blocked_run(body: &str) -> (u64, Summary) {
    let sim = gcexport_sim::start(gcexport_sim::SimConfig {
        activities: 60,
        seed: 11,
        ..Default::default()
    })
    .unwrap();
    let source = signed_in(&sim).await;
    sim.set_faults(gcexport_sim::Faults::parse(&format!("403:body={body},on=download")).unwrap());
    sim.reset_stats();
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path()).unwrap();
    let opts = RunOptions {
        formats: vec![Format::Original],
        ..RunOptions::default()
    };
    let summary = common::run_once(&archive, &source, &opts).await;
    let stats = sim.stats();
    let downloads: u64 = stats
        .by_endpoint
        .iter()
        .filter(|(k, _)| k.contains("/download-service/"))
        .map(|(_, n)| *n)
        .sum();
    eprintln!("{summary:?}\n{:?}", stats.by_endpoint);
    // Nothing was lost: the CSV still describes the folder, with what was listed.
    assert!(t.path().join("activities.csv").is_file());
    (downloads, summary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cdn_block_page_stops_the_run_at_once() {
    let (downloads, summary) = blocked_run("html").await;
    assert!(downloads >= 1);
    assert!(
        downloads <= 4,
        "{downloads} download requests: at most 3 after the first"
    );
    let stop = summary
        .stopped
        .as_ref()
        .unwrap_or_else(|| panic!("{summary:?}"));
    assert_eq!(stop.kind, ErrorKind::RateLimited, "{stop:?}");
    assert!(stop.message.contains("nothing is lost"), "{stop:?}");
    assert!(stop.message.contains("try again after"), "{stop:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consecutive_refusals_of_different_activities_stop_the_run() {
    let (downloads, summary) = blocked_run("json").await;
    assert!(
        downloads <= 4,
        "{downloads} download requests: at most 3 after the first"
    );
    let stop = summary
        .stopped
        .as_ref()
        .unwrap_or_else(|| panic!("{summary:?}"));
    assert_eq!(stop.kind, ErrorKind::RateLimited, "{stop:?}");
    assert!(stop.message.contains("nothing is lost"), "{stop:?}");
}
