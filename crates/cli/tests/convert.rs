#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `gcexport convert FILE.fit... [-f gpx,tcx] [-d DIR]`: the real binary over the corpus of
//! real devices' FIT files (crates/backup/tests/fixtures/real-fit): one line per file,
//! nothing at all on stderr (no decoder prints anything), originals unchanged, damaged
//! files salvaged with a note.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../backup/tests/fixtures/real-fit");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "fit"))
        .collect();
    files.sort();
    assert!(files.len() >= 20);
    files
}

fn convert(home: &Path, args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gcexport"))
        .arg("convert")
        .args(args)
        .env("HOME", home)
        .env_remove("GCEXPORT_LOG")
        .output()
        .unwrap()
}

fn sha(p: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(p).unwrap()))
}

fn lines(out: &Output) -> Vec<String> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn converting_the_real_corpus_prints_nothing_on_stderr_and_changes_no_original() {
    let tmp = tempfile::tempdir().unwrap();
    let files = corpus();
    let before: Vec<String> = files.iter().map(|f| sha(f)).collect();
    let out_dir = tmp.path().join("out");
    let mut args: Vec<&std::ffi::OsStr> = vec!["-d".as_ref(), out_dir.as_os_str()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    let out = convert(tmp.path(), &args);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "decoding real files printed on stderr"
    );
    let said = lines(&out);
    assert_eq!(said.len(), files.len() + 1, "{said:#?}");
    let not_activities = said
        .iter()
        .filter(|l| l.contains("not an activity"))
        .count();
    let converted = said
        .iter()
        .filter(|l| !l.contains("not converted") && l.contains(".tcx"))
        .count();
    assert_eq!(not_activities, 8, "{said:#?}");
    // And the SDK's DeveloperData example: read through its developer fields, but its
    // records have no time, so there is no track to make.
    assert!(
        said.iter()
            .any(|l| l.contains("DeveloperData.fit: not converted") && l.contains("no activity")),
        "{said:#?}"
    );
    assert_eq!(converted, files.len() - 9, "{said:#?}");
    assert!(said.iter().all(|l| !l.contains("damaged")), "{said:#?}");
    assert_eq!(
        said.last().unwrap(),
        &format!(
            "{} of {} FIT files converted, {} files written, 9 not converted",
            files.len() - 9,
            files.len(),
            std::fs::read_dir(&out_dir).unwrap().count()
        )
    );
    // Some failed (not activities): exit 1, and still not a word on stderr.
    assert_eq!(out.status.code(), Some(1));
    let after: Vec<String> = files.iter().map(|f| sha(f)).collect();
    assert_eq!(before, after);
    let gpx = std::fs::read_dir(&out_dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().unwrap() == "gpx")
        .count();
    // hrv-activity.fit (indoor) has no position: no GPX for it.
    assert_eq!(gpx, files.len() - 9 - 1);
}

#[test]
fn a_damaged_fit_is_salvaged_and_says_how_many_points() {
    let tmp = tempfile::tempdir().unwrap();
    let real = corpus()
        .into_iter()
        .find(|p| p.ends_with("fit-2016-08-27-12-24-19.fit"))
        .unwrap();
    let whole = std::fs::read(&real).unwrap();
    let cut = tmp.path().join("crashed.fit");
    std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();
    let before = sha(&cut);
    let out = convert(tmp.path(), &[cut.as_os_str()]);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
    let said = lines(&out);
    assert!(
        said[0].contains("points from a damaged original (the FIT file is cut short"),
        "{said:#?}"
    );
    let n: usize = said[0]
        .split("recovered ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap();
    assert!(n > 5_000 && n < 10_909, "{n}");
    assert_eq!(sha(&cut), before, "the original is never changed");
    let gpx = std::fs::read_to_string(tmp.path().join("crashed.gpx")).unwrap();
    assert_eq!(gpx.matches("<trkpt ").count(), n);
    let tcx = std::fs::read_to_string(tmp.path().join("crashed.tcx")).unwrap();
    assert_eq!(tcx.matches("<Trackpoint>").count(), n);
    // Run again: the files exist and are left alone unless asked.
    let again = convert(
        tmp.path(),
        &[cut.as_os_str(), "-f".as_ref(), "gpx".as_ref()],
    );
    assert!(
        lines(&again)[0].contains("exists, left as is"),
        "{:?}",
        lines(&again)
    );
    assert!(!tmp.path().join("crashed.gpx.part").exists());
}

#[test]
fn bad_formats_and_missing_files_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let out = convert(
        tmp.path(),
        &["x.fit".as_ref(), "-f".as_ref(), "kml".as_ref()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kml"));
    let missing = tmp.path().join("missing.fit");
    let out = convert(tmp.path(), &[missing.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(lines(&out)[0].contains("not converted: cannot read it"));
    let not_fit = tmp.path().join("notes.fit");
    std::fs::write(&not_fit, b"these are not FIT bytes at all").unwrap();
    let out = convert(tmp.path(), &[not_fit.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        lines(&out)[0].contains("not a FIT file"),
        "{:?}",
        lines(&out)
    );
}
