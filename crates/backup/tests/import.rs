#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Garmin's account data export as a source, against exports the simulator writes of the
//! same account it serves online: the same folder and CSV as an online backup, merging in
//! both orders without duplicates, ambiguous uploads reported and never guessed, and hostile
//! archives refused with a clear message.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use common::signed_in;
use gcexport_backup::{Archive, ErrorKind, ExportSource, Format, ItemState, RunOptions, Summary};
use gcexport_sim::export::{ExportOptions, write_export};

const SEED: u64 = 7;

fn write_sim_export(dir: &Path, activities: usize, opts: ExportOptions) -> PathBuf {
    let account = gcexport_sim::account::Account::new(SEED, activities);
    let path = dir.join("export.zip");
    let f = std::fs::File::create(&path).unwrap();
    write_export(&account, &opts, std::io::BufWriter::new(f)).unwrap();
    path
}

fn small_parts() -> ExportOptions {
    ExportOptions {
        activities_per_chunk: 7,
        files_per_part: 6,
        ..Default::default()
    }
}

/// Originals unzipped, and GPX/TCX made from them (the export has none; the online run
/// makes them the same way, so both folders can be compared whole).
fn opts() -> RunOptions {
    RunOptions {
        formats: vec![Format::Original, Format::Gpx, Format::Tcx],
        unzip: true,
        tracks_from_original: true,
        ..RunOptions::default()
    }
}

async fn run_source<S: gcexport_backup::Source>(dir: &Path, source: &S) -> Summary {
    let archive = Archive::open(dir).unwrap();
    common::run_once(&archive, source, &opts()).await
}

async fn import(dir: &Path, export: &Path) -> Summary {
    let source = ExportSource::open(export).unwrap();
    run_source(dir, &source).await
}

/// Every file under `dir` but the state, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel.starts_with(".gcexport") {
                continue;
            }
            out.insert(rel, std::fs::read(&p).unwrap());
        }
    }
    out
}

fn csv_rows(dir: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let bytes = std::fs::read(dir.join("activities.csv")).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn same_value(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0),
        _ => false,
    }
}

/// Columns an export cannot fill the way the online backup does, and why:
/// - Time Zone: the export has only Garmin's numeric `timeZoneId`, no zone name.
/// - Device: the export names no device application (install id), so no product name and
///   firmware can be looked up.
/// - Gear: the export lists gear, but not which activity used it.
const EXPORT_CANNOT_FILL: [&str; 3] = ["Time Zone", "Device", "Gear"];

/// The export has no average moving speed: the import computes it (distance / moving
/// time), where Garmin rounds its own to mm/s. Equal within 0.5%, or a second of pace.
const COMPUTED: [&str; 2] = [
    "Average Moving Speed (km/h)",
    "Average Moving Speed (km/h or min/km)",
];

fn close_enough(a: &str, b: &str) -> bool {
    let secs = |s: &str| -> Option<f64> {
        let (m, s) = s.split_once(':')?;
        Some(m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?)
    };
    if let (Some(x), Some(y)) = (secs(a), secs(b)) {
        return (x - y).abs() <= 1.0;
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 5e-3 * x.abs().max(y.abs()).max(0.1),
        _ => a == b,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_gives_the_same_folder_and_csv_as_an_online_backup() {
    let t = tempfile::tempdir().unwrap();
    let export = write_sim_export(t.path(), 40, small_parts());
    let sim = gcexport_sim::start(gcexport_sim::SimConfig {
        activities: 40,
        seed: SEED,
        ..Default::default()
    })
    .unwrap();
    let online_dir = t.path().join("online");
    let imported_dir = t.path().join("imported");
    let online = run_source(&online_dir, &signed_in(&sim).await).await;
    assert!(online.failures.is_empty(), "{online:?}");

    let source = ExportSource::open(&export).unwrap();
    let report = source.report().clone();
    assert_eq!(report.activities, 40);
    assert!(report.legs > 0);
    assert!(report.chunks >= 6, "{report:?}");
    assert_eq!(
        report.unmatched_uploads.len(),
        1,
        "the deleted activity's: {report:?}"
    );
    assert!(report.ambiguous.is_empty(), "{report:?}");
    assert!(report.without_upload.is_empty(), "{report:?}");
    assert!(report.unreadable_uploads.is_empty(), "{report:?}");
    assert_eq!(report.matched + 1, report.uploads);
    let imported = run_source(&imported_dir, &source).await;
    assert!(imported.failures.is_empty(), "{imported:?}");
    assert_eq!(imported.activities_new, online.activities_new);
    assert_eq!(imported.activities_done, 40);

    // The same files, byte for byte, under the same names (CSV compared below).
    let mut a = tree(&online_dir);
    let mut b = tree(&imported_dir);
    a.remove("activities.csv");
    b.remove("activities.csv");
    // The export's activities name no gear (docs/csv.md, "gear.csv"): no gear.csv.
    assert!(a.remove("gear.csv").is_some());
    assert!(!b.contains_key("gear.csv"));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same file names"
    );
    for (name, bytes) in &a {
        if name.ends_with(".tcx") {
            // TCX names the device that recorded it: the export does not say which.
            let strip = |b: &[u8]| {
                String::from_utf8_lossy(b)
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("<Name>"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            assert!(strip(bytes) == strip(&b[name]), "{name} differs");
            continue;
        }
        assert!(bytes == &b[name], "{name} differs");
    }
    for ext in [".fit", ".gpx", ".tcx"] {
        assert!(a.keys().any(|k| k.ends_with(ext)), "some {ext}");
    }

    // The same CSV, but for the columns the export cannot fill.
    let (ha, ra) = csv_rows(&online_dir);
    let (hb, rb) = csv_rows(&imported_dir);
    assert_eq!(ha, hb);
    assert_eq!(ra.len(), rb.len());
    let mut filled_online_only: HashSet<&str> = HashSet::new();
    for (x, y) in ra.iter().zip(&rb) {
        assert_eq!(x[2], y[2], "same activity, same order");
        for (c, title) in ha.iter().enumerate() {
            if EXPORT_CANNOT_FILL.contains(&title.as_str()) {
                if !x[c].is_empty() {
                    filled_online_only.insert(title);
                }
                assert_eq!(y[c], "", "{title} of {} should be empty", x[2]);
                continue;
            }
            if COMPUTED.contains(&title.as_str()) {
                assert!(
                    close_enough(&x[c], &y[c]),
                    "{title}: {:?} vs {:?}",
                    x[c],
                    y[c]
                );
                continue;
            }
            assert!(
                same_value(&x[c], &y[c]),
                "{title} of {}: online {:?}, imported {:?}",
                x[2],
                x[c],
                y[c]
            );
        }
    }
    // Those columns are really lost, not empty anyway.
    assert_eq!(filled_online_only.len(), EXPORT_CANNOT_FILL.len());
}

fn original_files(dir: &Path) -> Vec<String> {
    tree(dir)
        .into_keys()
        .filter(|k| k.ends_with(".fit") || k.ends_with(".gpx") || k.ends_with(".zip"))
        .collect()
}

fn downloads(sim: &gcexport_sim::Sim) -> u64 {
    sim.stats()
        .by_endpoint
        .iter()
        .filter(|(k, _)| k.contains("download-service"))
        .map(|(_, v)| *v)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_backup_after_an_import_fetches_only_what_is_new() {
    let t = tempfile::tempdir().unwrap();
    // The export was asked for before the 3 newest activities were recorded.
    let export = write_sim_export(
        t.path(),
        30,
        ExportOptions {
            withheld: 3,
            ..small_parts()
        },
    );
    let dir = t.path().join("backup");
    let first = import(&dir, &export).await;
    assert!(first.failures.is_empty(), "{first:?}");
    assert_eq!(first.activities_done, 27);
    let before: HashSet<String> = original_files(&dir).into_iter().collect();

    let sim = gcexport_sim::start(gcexport_sim::SimConfig {
        activities: 30,
        seed: SEED,
        ..Default::default()
    })
    .unwrap();
    let source = signed_in(&sim).await;
    sim.reset_stats();
    let second = run_source(&dir, &source).await;
    assert!(second.failures.is_empty(), "{second:?}");
    let archive = Archive::open(&dir).unwrap();
    let account = sim.account();
    let mut new_ids = Vec::new();
    for k in 0..3 {
        let a = account.nth_newest(k).unwrap();
        new_ids.push(a.id());
        new_ids.extend(a.child_ids());
    }
    assert_eq!(second.activities_new, new_ids.len() as u64);
    // Originals were downloaded for the new activities only; a multisport leg's is its
    // parent's file, copied from the folder, not downloaded again.
    let done =
        |id: &i64| archive.item_state(*id, Format::Original).unwrap() == Some(ItemState::Done);
    let new_originals = (0..3)
        .map(|k| account.nth_newest(k).unwrap().id())
        .filter(done)
        .count() as u64;
    assert_eq!(downloads(&sim), new_originals);
    assert!(new_ids.iter().all(done), "legs have their originals too");
    // Nothing imported was written again or twice.
    let after = original_files(&dir);
    assert_eq!(after.len(), after.iter().collect::<HashSet<_>>().len());
    assert!(before.iter().all(|f| after.contains(f)));
    let (_, rows) = csv_rows(&dir);
    let ids: Vec<&String> = rows.iter().map(|r| &r[2]).collect();
    assert_eq!(
        ids.len(),
        ids.iter().collect::<HashSet<_>>().len(),
        "no duplicate rows"
    );
    assert_eq!(
        ids.len(),
        (0..30)
            .map(|k| 1 + account.nth_newest(k).unwrap().child_ids().len())
            .sum::<usize>()
    );
    // The account's own details replaced the export's: the time zone is back.
    let tz = 6;
    assert!(
        rows.iter().all(|r| !r[tz].is_empty()),
        "time zones refreshed"
    );
    drop(archive);

    // A third run, online again, has nothing to do.
    sim.reset_stats();
    let third = run_source(&dir, &source).await;
    assert_eq!(third.activities_planned, 0, "{third:?}");
    assert_eq!(downloads(&sim), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_after_an_online_backup_adds_only_what_is_missing() {
    let t = tempfile::tempdir().unwrap();
    let sim = gcexport_sim::start(gcexport_sim::SimConfig {
        activities: 30,
        seed: SEED,
        withheld: 4,
        ..Default::default()
    })
    .unwrap();
    let dir = t.path().join("backup");
    let online = run_source(&dir, &signed_in(&sim).await).await;
    assert!(online.failures.is_empty(), "{online:?}");
    let before = tree(&dir);
    let (_, rows_before) = csv_rows(&dir);

    let export = write_sim_export(t.path(), 30, small_parts());
    let imported = import(&dir, &export).await;
    assert!(imported.failures.is_empty(), "{imported:?}");
    let account = sim.account();
    let mut new_ids = HashSet::new();
    for k in 0..4 {
        let a = account.nth_newest(k).unwrap();
        new_ids.insert(a.id().to_string());
        new_ids.extend(a.child_ids().iter().map(i64::to_string));
    }
    assert_eq!(imported.activities_new, new_ids.len() as u64);
    assert_eq!(
        imported.activities_planned, 4,
        "only the new ones: {imported:?}"
    );

    // Every file the online backup wrote is still there, unchanged; files were only added.
    let after = tree(&dir);
    for (name, bytes) in &before {
        if name == "activities.csv" {
            continue;
        }
        assert!(after.get(name) == Some(bytes), "{name} changed");
    }
    let originals = original_files(&dir);
    assert_eq!(
        originals.len(),
        originals.iter().collect::<HashSet<_>>().len()
    );
    // The rows the account gave are kept as they were (the export never overrides them).
    let (_, rows) = csv_rows(&dir);
    let old: Vec<&Vec<String>> = rows.iter().filter(|r| !new_ids.contains(&r[2])).collect();
    assert_eq!(old.len(), rows_before.len());
    for (x, y) in old.iter().zip(&rows_before) {
        assert_eq!(*x, y);
    }
    assert_eq!(rows.len(), rows_before.len() + new_ids.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpacked_export_folder_imports_like_the_zip() {
    let t = tempfile::tempdir().unwrap();
    let export = write_sim_export(t.path(), 12, small_parts());
    let unpacked = t.path().join("unpacked");
    let mut z = zip::ZipArchive::new(std::fs::File::open(&export).unwrap()).unwrap();
    z.extract(&unpacked).unwrap();
    let from_zip = ExportSource::open(&export).unwrap();
    let from_dir = ExportSource::open(&unpacked).unwrap();
    assert_eq!(from_zip.report(), from_dir.report());
    let a = t.path().join("a");
    let b = t.path().join("b");
    run_source(&a, &from_zip).await;
    run_source(&b, &from_dir).await;
    assert_eq!(tree(&a), tree(&b));
}

/// Copies every entry of `src` into a new ZIP, then lets `more` add entries.
fn rewrite(src: &Path, dst: &Path, more: impl FnOnce(&mut zip::ZipWriter<std::fs::File>)) {
    let mut z = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut w = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    for i in 0..z.len() {
        w.raw_copy_file(z.by_index(i).unwrap()).unwrap();
    }
    more(&mut w);
    w.finish().unwrap();
}

fn first_upload(export: &Path) -> (String, Vec<u8>) {
    let mut z = zip::ZipArchive::new(std::fs::File::open(export).unwrap()).unwrap();
    let name = z
        .file_names()
        .map(|n| n.unwrap().to_string())
        .find(|n| n.ends_with("_Part1.zip"))
        .unwrap();
    let mut part = Vec::new();
    z.by_name(&name).unwrap().read_to_end(&mut part).unwrap();
    let mut inner = zip::ZipArchive::new(std::io::Cursor::new(part)).unwrap();
    let mut f = inner.by_index(0).unwrap();
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).unwrap();
    (f.name().unwrap().to_string(), bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_uploads_for_one_activity_are_reported_and_not_guessed() {
    let t = tempfile::tempdir().unwrap();
    let export = write_sim_export(t.path(), 12, small_parts());
    let (name, bytes) = first_upload(&export);
    let doubled = t.path().join("doubled.zip");
    rewrite(&export, &doubled, |w| {
        let mut part = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        part.start_file(
            format!("copy-of-{name}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        part.write_all(&bytes).unwrap();
        let part = part.finish().unwrap().into_inner();
        w.start_file(
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part99.zip",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        w.write_all(&part).unwrap();
    });
    let source = ExportSource::open(&doubled).unwrap();
    let report = source.report().clone();
    assert_eq!(report.ambiguous.len(), 1, "{report:?}");
    let amb = &report.ambiguous[0];
    assert_eq!(amb.uploads.len(), 2);
    assert_eq!(amb.activities.len(), 1);
    let id = amb.activities[0];

    let dir = t.path().join("backup");
    let summary = run_source(&dir, &source).await;
    let failed: Vec<_> = summary.failures.iter().map(|f| f.activity_id).collect();
    assert!(failed.contains(&id), "{summary:?}");
    assert!(
        summary
            .failures
            .iter()
            .any(|f| f.message.contains("not guessing")),
        "{summary:?}"
    );
    let archive = Archive::open(&dir).unwrap();
    // Failed, not "unavailable": a later run (online) still fetches it.
    assert_eq!(
        archive.item_state(id, Format::Original).unwrap(),
        Some(ItemState::Failed)
    );
    assert!(archive.files_of(id, Format::Original).unwrap().is_empty());
}

fn open_err(path: &Path) -> gcexport_backup::Error {
    ExportSource::open(path).expect_err("must be refused")
}

#[test]
fn hostile_and_broken_exports_are_refused_with_a_clear_message() {
    let t = tempfile::tempdir().unwrap();
    let export = write_sim_export(t.path(), 6, small_parts());

    // Cut short, as an interrupted download.
    let bytes = std::fs::read(&export).unwrap();
    let cut = t.path().join("cut.zip");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = open_err(&cut);
    assert_eq!(e.kind(), ErrorKind::Hostile);
    assert!(e.to_string().contains("download it again"), "{e}");

    // A name that climbs out of the folder.
    let slip = t.path().join("slip.zip");
    rewrite(&export, &slip, |w| {
        w.start_file("../../evil.json", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"{}").unwrap();
    });
    let e = open_err(&slip);
    assert_eq!(e.kind(), ErrorKind::Hostile);
    assert!(e.to_string().contains("outside"), "{e}");

    // A nested part that expands a thousandfold.
    let bomb = t.path().join("bomb.zip");
    rewrite(&export, &bomb, |w| {
        w.start_file(
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part9.zip",
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        w.write_all(&vec![0u8; 20 * 1024 * 1024]).unwrap();
    });
    let e = open_err(&bomb);
    assert_eq!(e.kind(), ErrorKind::Hostile);
    assert!(e.to_string().contains("bomb"), "{e}");

    // A summary cut in the middle of an item.
    let broken = t.path().join("broken.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&broken).unwrap());
    w.start_file(
        "DI_CONNECT/DI-Connect-Fitness/a@b.c_0_summarizedActivities.json",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    w.write_all(br#"[{"summarizedActivitiesExport":[{"activityId": 1, "name": "x"#)
        .unwrap();
    w.finish().unwrap();
    let e = open_err(&broken);
    assert_eq!(e.kind(), ErrorKind::Hostile);
    assert!(e.to_string().contains("summarizedActivities"), "{e}");

    // Some other ZIP altogether.
    let other = t.path().join("photos.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&other).unwrap());
    w.start_file("IMG_0001.jpg", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(b"jpeg").unwrap();
    w.finish().unwrap();
    let e = open_err(&other);
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("not a Garmin data export"), "{e}");

    // Not there at all.
    let e = open_err(&t.path().join("missing.zip"));
    assert_eq!(e.kind(), ErrorKind::Io);
}

/// The export with the first upload of its first part replaced by `change(bytes)`.
fn with_first_upload_changed(src: &Path, dst: &Path, change: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let part_name = z
        .file_names()
        .map(|n| n.unwrap().to_string())
        .find(|n| n.ends_with("_Part1.zip"))
        .unwrap();
    let mut part = Vec::new();
    z.by_name(&part_name)
        .unwrap()
        .read_to_end(&mut part)
        .unwrap();
    let mut inner = zip::ZipArchive::new(std::io::Cursor::new(part)).unwrap();
    let mut new_part = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut first = String::new();
    for i in 0..inner.len() {
        let mut f = inner.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if i == 0 {
            bytes = change(&bytes);
            first = name.clone();
        }
        new_part
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        new_part.write_all(&bytes).unwrap();
    }
    let new_part = new_part.finish().unwrap().into_inner();
    let mut w = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    for i in 0..z.len() {
        let f = z.by_index(i).unwrap();
        if f.name().unwrap() != part_name {
            w.raw_copy_file(f).unwrap();
        }
    }
    w.start_file(part_name, zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(&new_part).unwrap();
    w.finish().unwrap();
    first
}

/// Uploads carrying Connect IQ developer fields (the simulator's Forerunner 965 writes one)
/// are matched to their activities and converted; a damaged upload gives GPX/TCX of what is
/// intact, the summary says how many points were recovered, and the original is kept as is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_with_developer_fields_or_damage_are_matched_and_converted() {
    const APP: &[u8] = b"sim-power-field!";
    let t = tempfile::tempdir().unwrap();
    let export = write_sim_export(t.path(), 30, small_parts());
    let damaged = t.path().join("damaged.zip");
    let kept = std::cell::RefCell::new(Vec::new());
    let name = with_first_upload_changed(&export, &damaged, |fit| {
        let cut = gcexport_sim::fit::cut(fit, fit.len() * 3 / 5);
        kept.borrow_mut().clone_from(&cut);
        cut
    });
    let cut_bytes = kept.into_inner();
    assert!(!cut_bytes.is_empty() && name.ends_with(".fit"), "{name}");

    let dir = t.path().join("backup");
    let summary = import(&dir, &damaged).await;
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    let files = tree(&dir);
    let fits: Vec<&String> = files.keys().filter(|k| k.ends_with(".fit")).collect();
    let with_developer_fields: Vec<&&String> = fits
        .iter()
        .filter(|k| files[**k].windows(APP.len()).any(|w| w == APP))
        .collect();
    assert!(
        !with_developer_fields.is_empty(),
        "no upload carries developer fields"
    );
    for fit in &with_developer_fields {
        let stem = fit.strip_suffix(".fit").unwrap();
        let tcx = String::from_utf8(files[&format!("{stem}.tcx")].clone()).unwrap();
        assert!(tcx.matches("<Trackpoint>").count() > 0, "{stem}");
        assert_eq!(
            files.contains_key(&format!("{stem}.gpx")),
            tcx.contains("<Position>"),
            "{stem}: a GPX exactly when there are positions"
        );
    }
    // The damaged upload: kept byte for byte, converted as far as it goes, and said.
    let damaged_fit = fits
        .iter()
        .find(|k| files[**k] == cut_bytes)
        .expect("the damaged original is in the folder unchanged");
    let stem = damaged_fit.strip_suffix(".fit").unwrap();
    let tcx = String::from_utf8(files[&format!("{stem}.tcx")].clone()).unwrap();
    let points = tcx.matches("<Trackpoint>").count() as u64;
    assert_eq!(summary.salvaged.len(), 1, "{:?}", summary.salvaged);
    let s = &summary.salvaged[0];
    assert_eq!(s.points, points);
    assert!(points > 0);
    assert!(
        s.message.starts_with("recovered ") && s.message.contains("damaged original"),
        "{}",
        s.message
    );
    eprintln!(
        "{} uploads with developer fields converted; {}",
        with_developer_fields.len(),
        s.message
    );
}
