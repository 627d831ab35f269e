#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `gcexport import EXPORT.zip -d DIR`: the real binary on exports the simulator writes,
//! with no simulator server running and no sign-in.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gcexport_sim::account::Account;

fn export(dir: &Path, activities: usize) -> (PathBuf, Account) {
    gcexport_testkit::write_sim_export(&dir.join("garmin-export.zip"), 5, activities, 6, 5)
}

fn import(home: &Path, args: &[&std::ffi::OsStr]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_gcexport"))
        .arg("import")
        .args(args)
        // Nothing of the user's may be touched (no keyring, no token file, no profile).
        .env("HOME", home)
        .env_remove("GCEXPORT_PROFILE")
        .output()
        .unwrap();
    eprintln!(
        "gcexport import exited {:?}\n--- stderr ---\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn s(x: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(x)
}

fn files_with(dir: &Path, ext: &str) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == ext) {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn an_export_is_imported_offline_and_a_second_import_has_nothing_to_do() {
    let t = tempfile::tempdir().unwrap();
    let (zip, account) = export(t.path(), 14);
    let dir = t.path().join("backup");
    let args = [
        zip.as_os_str(),
        s("-d"),
        dir.as_os_str(),
        s("-f"),
        s("original,gpx"),
        s("-u"),
    ];
    let out = import(t.path(), &args);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("export: 14 activities"), "{stderr}");
    assert!(
        stderr.contains("belong to no activity"),
        "the deleted activity's upload: {stderr}"
    );

    let rows = (0..14)
        .map(|k| 1 + account.nth_newest(k).unwrap().child_ids().len())
        .sum::<usize>();
    let csv = std::fs::read(dir.join("activities.csv")).unwrap();
    let records = csv::Reader::from_reader(&csv[..]).records().count();
    assert_eq!(records, rows, "one row per activity and leg");
    assert!(files_with(&dir, "fit") > 0);
    assert!(files_with(&dir, "gpx") > 0);
    // The nested parts were decompressed next to the backup and are gone.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".gcexport-import"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let mut json_args = args.to_vec();
    json_args.push(s("--json"));
    let out = import(t.path(), &json_args);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: serde_json::Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == "summary")
        .expect("a summary event");
    assert_eq!(summary["activities_new"], 0);
    assert_eq!(summary["files_written"], 0);
}

#[test]
fn what_is_not_an_export_or_needs_a_sign_in_is_refused_with_the_documented_codes() {
    let t = tempfile::tempdir().unwrap();
    let (zip, _) = export(t.path(), 4);
    let dir = t.path().join("backup");
    let d = dir.as_os_str();

    // Some other ZIP: a usage error (2), saying what to use instead.
    let photos = t.path().join("photos.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&photos).unwrap());
    w.start_file("IMG_0001.jpg", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(b"jpeg").unwrap();
    w.finish().unwrap();
    let out = import(t.path(), &[photos.as_os_str(), s("-d"), d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a Garmin data export"));

    // A download cut short: 1, and what to do about it.
    let bytes = std::fs::read(&zip).unwrap();
    let cut = t.path().join("cut.zip");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let out = import(t.path(), &[cut.as_os_str(), s("-d"), d]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("download it again"));

    // Nothing there.
    let missing = t.path().join("nowhere.zip");
    let out = import(t.path(), &[missing.as_os_str(), s("-d"), d]);
    assert_eq!(out.status.code(), Some(2));

    // Sign-in options do not apply; KML cannot be made.
    let out = import(
        t.path(),
        &[zip.as_os_str(), s("-d"), d, s("--password"), s("x")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs no sign-in"));
    let out = import(t.path(), &[zip.as_os_str(), s("-d"), d, s("-f"), s("kml")]);
    assert_eq!(out.status.code(), Some(2));

    // No export named at all.
    let out = import(t.path(), &[s("-d"), d]);
    assert_eq!(out.status.code(), Some(2));
    // Nothing of the refused runs was written.
    assert!(!dir.join("activities.csv").exists());
}

#[test]
fn the_exports_health_data_is_imported_and_what_it_cannot_fill_is_said() {
    let t = tempfile::tempdir().unwrap();
    let (zip, _) = export(t.path(), 4);
    let dir = t.path().join("backup");
    let args = [
        zip.as_os_str(),
        s("-d"),
        dir.as_os_str(),
        s("--what"),
        s("health,records"),
    ];
    let out = import(t.path(), &args);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("health from the export: "), "{stderr}");
    assert!(
        stderr.contains("the export cannot fill")
            && stderr.contains("health/sleep.csv column \"Sleep Start\""),
        "{stderr}"
    );
    assert!(
        !stderr.contains("export: 4 activities"),
        "--what health,records reads no activity: {stderr}"
    );
    assert!(!dir.join("activities.csv").exists());
    for table in [
        "health/daily.csv",
        "health/sleep.csv",
        "health/weight.csv",
        "records.csv",
    ] {
        let csv = std::fs::read(dir.join(table)).unwrap();
        assert!(
            csv::Reader::from_reader(&csv[3..]).records().count() > 0,
            "{table} has rows"
        );
    }

    // --json: the summary is one JSON line on stdout.
    let out = import(t.path(), &[args.as_slice(), &[s("--json")]].concat());
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.contains("\"health_import\""))
        .unwrap_or_else(|| panic!("no health_import line: {stdout}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(
        v["report"]["files_written"], 0,
        "a re-import writes nothing"
    );
    assert!(v["report"]["not_in_export"].as_array().unwrap().len() >= 7);
}
