#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Real devices' FIT files (tests/fixtures/real-fit, see its README), checked against Garmin's
//! official FIT SDK run at test time (tests/fit-oracle, installed by .ci/install-deps): every
//! activity gives the records and positions the SDK reads, and GPX/TCX that validate; files
//! that are not activities say so; damaged copies (cut, changed) give what the SDK still
//! reads before the damage, and say they are damaged.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use gcexport_backup::convert::{self, ConvertError, TrackMeta, decode_fit};
use serde_json::Value;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(manifest().join("tests/fixtures/real-fit"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "fit"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the corpus is there: {}", files.len());
    files
}

/// What Garmin's FIT SDK reads from each file, by path.
fn oracle(files: &[PathBuf]) -> HashMap<PathBuf, Value> {
    let dir = manifest().join("tests/fit-oracle");
    assert!(
        dir.join("node_modules/@garmin/fitsdk").is_dir(),
        "Garmin's FIT SDK is not installed in {}: run .ci/install-deps (it runs npm ci there)",
        dir.display()
    );
    let out = Command::new("node")
        .arg(dir.join("oracle.mjs"))
        .args(files)
        .output()
        .expect("node runs the FIT SDK oracle: install Node.js (.ci/install-deps says how)");
    assert!(
        out.status.success(),
        "the oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let by_path: HashMap<PathBuf, Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (PathBuf::from(v["path"].as_str().unwrap()), v)
        })
        .collect();
    assert_eq!(by_path.len(), files.len());
    by_path
}

fn n(v: &Value, key: &str) -> usize {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v}")) as usize
}

fn is_activity(v: &Value) -> bool {
    v["fileTypes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "activity")
}

fn counts(rec: &convert::Recording) -> (usize, usize) {
    (
        rec.points().count(),
        rec.points().filter(|p| p.position.is_some()).count(),
    )
}

fn xmllint(schema: &str, files: &[PathBuf]) {
    if files.is_empty() {
        return;
    }
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(manifest().join("tests/schemas").join(schema))
        .args(files)
        .output()
        .expect("xmllint is needed for the schema checks: install libxml2-utils (.ci/install-deps does)");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert_eq!(
        said.lines().filter(|l| l.ends_with(" validates")).count(),
        files.len(),
        "{said}"
    );
}

/// Writes GPX (when there is a position) and TCX of `rec` into `dir`, for xmllint.
fn write_both(rec: &convert::Recording, dir: &Path, name: &str) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let (mut gpx, mut tcx) = (Vec::new(), Vec::new());
    if rec.has_positions() {
        let mut out = Vec::new();
        convert::write_gpx(rec, &TrackMeta::default(), &mut out).unwrap();
        let p = dir.join(format!("{name}.gpx"));
        std::fs::write(&p, out).unwrap();
        gpx.push(p);
    }
    let mut out = Vec::new();
    convert::write_tcx(rec, &TrackMeta::default(), &mut out).unwrap();
    let p = dir.join(format!("{name}.tcx"));
    std::fs::write(&p, out).unwrap();
    tcx.push(p);
    (gpx, tcx)
}

#[test]
fn every_real_activity_gives_what_garmins_sdk_reads_and_valid_gpx_and_tcx() {
    let files = corpus();
    let sdk = oracle(&files);
    let dir = tempfile::tempdir().unwrap();
    let (mut gpx, mut tcx) = (Vec::new(), Vec::new());
    let (mut activities, mut others, mut with_developer_fields, mut multi) = (0, 0, 0, 0);
    for f in &files {
        let s = &sdk[f];
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(f).unwrap();
        assert_eq!(s["integrity"], true, "{name} is a whole file: {s}");
        assert!(s["errors"].as_array().unwrap().is_empty(), "{name}: {s}");
        match decode_fit(&bytes) {
            Ok(rec) => {
                assert!(is_activity(s), "{name} decoded, but the SDK says: {s}");
                assert_eq!(rec.damage, None, "{name}");
                // Records without a time (the SDK's DeveloperData example) cannot be placed
                // in GPX or TCX: the SDK's count of timed records is what we must give.
                assert_eq!(
                    counts(&rec),
                    (n(s, "timed"), n(s, "positions")),
                    "{name}: records and positions, ours vs Garmin's SDK ({s})"
                );
                if n(s, "sessions") > 0 {
                    assert_eq!(rec.sessions.len(), n(s, "sessions"), "{name}");
                }
                let laps: usize = rec.sessions.iter().map(|x| x.laps.len()).sum();
                if n(s, "laps") > 0 {
                    assert_eq!(laps, n(s, "laps"), "{name}");
                }
                activities += 1;
                with_developer_fields += usize::from(n(s, "developerFields") > 0);
                multi += usize::from(rec.sessions.len() > 1);
                let (g, t) = write_both(&rec, dir.path(), &name);
                gpx.extend(g);
                tcx.extend(t);
            }
            Err(ConvertError::NotActivity(m)) => {
                assert!(!is_activity(s), "{name} refused as not an activity: {m}");
                let kind = s["fileTypes"][0].as_str().unwrap().to_lowercase();
                let said = m.to_lowercase();
                assert!(
                    said.contains(&kind.replace("monitoringb", "monitoring"))
                        || (kind == "weight" && said.contains("weight")),
                    "{name}: {m} (the SDK says {kind})"
                );
                assert!(!said.contains("corrupt"), "{m}");
                others += 1;
            }
            // The SDK's DeveloperData example: an activity whose 3 records have neither a
            // time nor a position, and no lap or session. Its developer fields were read
            // through (the old decoder failed here on them); there is just no track to make.
            Err(ConvertError::BadData(m)) if n(s, "timed") == 0 && n(s, "sessions") == 0 => {
                assert!(m.contains("no activity"), "{name}: {m}");
                with_developer_fields += usize::from(n(s, "developerFields") > 0);
                others += 1;
            }
            Err(e) => panic!("{name}: {e} (the SDK read: {s})"),
        }
    }
    xmllint("gpx-check.xsd", &gpx);
    xmllint("tcx-check.xsd", &tcx);
    eprintln!(
        "{activities} activities ({with_developer_fields} with developer fields, {multi} with several sessions) and {others} other files, {} GPX and {} TCX valid",
        gpx.len(),
        tcx.len()
    );
    assert!(activities >= 14 && others >= 9);
    assert!(with_developer_fields >= 1 && multi >= 1);
}

#[test]
fn a_chained_file_gives_its_activity_as_the_sdk_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = manifest().join("tests/fixtures/real-fit");
    let read = |n: &str| std::fs::read(fixtures.join(n)).unwrap();
    let mut chained = read("garmin-fenix-5-bike.fit");
    chained.extend(read("Settings.fit"));
    let first = dir.path().join("activity-then-settings.fit");
    std::fs::write(&first, &chained).unwrap();
    let mut chained = read("Settings.fit");
    chained.extend(read("garmin-fenix-5-bike.fit"));
    let second = dir.path().join("settings-then-activity.fit");
    std::fs::write(&second, &chained).unwrap();
    let files = [first, second];
    let sdk = oracle(&files);
    for f in &files {
        let s = &sdk[f];
        assert_eq!(s["fileTypes"].as_array().unwrap().len(), 2, "{s}");
        let rec = decode_fit(&std::fs::read(f).unwrap()).unwrap();
        assert_eq!(rec.damage, None);
        assert_eq!(counts(&rec), (n(s, "timed"), n(s, "positions")), "{s}");
        assert!(n(s, "timed") > 0);
    }
}

/// Cuts and changed bytes in copies of real files: what we recover is what the SDK reads.
#[test]
fn damaged_real_files_give_what_the_sdk_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = manifest().join("tests/fixtures/real-fit");
    let mut files = Vec::new();
    let mut kinds = HashMap::new();
    for name in [
        "fit-2016-08-27-12-24-19.fit",
        "fit-2017-07-22-090517-ELEMNT_BOLT_FE0B-11-0.fit",
        "sample_mulitple_header.fit",
        "hrv-activity.fit",
    ] {
        let whole = std::fs::read(fixtures.join(name)).unwrap();
        let len = whole.len();
        for (i, at) in [len / 10, len / 3, len / 2, len * 9 / 10, len - 3, len - 1]
            .into_iter()
            .enumerate()
        {
            let p = dir.path().join(format!("cut{i}-{name}"));
            std::fs::write(&p, &whole[..at]).unwrap();
            kinds.insert(p.clone(), "cut");
            files.push(p);
        }
        // A changed byte inside a record's value: the checksum no longer matches.
        let mut changed = whole.clone();
        changed[len / 2] ^= 0x01;
        let p = dir.path().join(format!("crc-{name}"));
        std::fs::write(&p, &changed).unwrap();
        kinds.insert(p.clone(), "checksum");
        files.push(p);
    }
    let sdk = oracle(&files);
    let mut recovered = 0;
    for f in &files {
        let s = &sdk[f];
        let bytes = std::fs::read(f).unwrap();
        match decode_fit(&bytes) {
            Ok(rec) => {
                let why = rec.damage.clone().unwrap_or_default();
                assert!(
                    why.contains(if kinds[f] == "cut" {
                        "cut short"
                    } else {
                        "checksum"
                    }),
                    "{}: {why}",
                    f.display()
                );
                assert_eq!(
                    counts(&rec),
                    (n(s, "timed"), n(s, "positions")),
                    "{}: ours vs the SDK's ({s})",
                    f.display()
                );
                recovered += rec.points().count();
                let name = f.file_name().unwrap().to_string_lossy().into_owned();
                let (g, t) = write_both(&rec, dir.path(), &name);
                xmllint("gpx-check.xsd", &g);
                xmllint("tcx-check.xsd", &t);
            }
            Err(e) => {
                assert_eq!(n(s, "timed"), 0, "{}: {e}, the SDK read {s}", f.display());
                assert!(e.to_string().contains("damaged"), "{e}");
            }
        }
    }
    eprintln!(
        "{recovered} points recovered from {} damaged copies",
        files.len()
    );
    assert!(recovered > 10_000);
}
