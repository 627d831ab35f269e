#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The account data export (docs/protocol.md, "The data export"): Garmin's layout, the export's names and units,
//! nested ZIPs of uploads named by upload id, and the same bytes the server serves as the
//! originals.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use gcexport_sim::account::{Account, Download, Format, Source};
use gcexport_sim::export::{ExportOptions, write_export};
use serde_json::Value;

fn read_all<R: Read>(mut r: R) -> Vec<u8> {
    let mut v = Vec::new();
    r.read_to_end(&mut v).unwrap();
    v
}

fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let f = z.by_index(i).unwrap();
            let name = f.name().unwrap().to_string();
            (name, read_all(f))
        })
        .collect()
}

fn export(
    account: &Account,
    opts: &ExportOptions,
) -> (Vec<u8>, gcexport_sim::export::ExportReport) {
    let t = tempfile::tempfile().unwrap();
    let report = write_export(account, opts, &t).unwrap();
    let mut t = t;
    use std::io::Seek;
    t.rewind().unwrap();
    (read_all(t), report)
}

#[test]
fn the_export_has_garmins_layout_units_and_the_same_files_as_the_server() {
    let account = Account::new(11, 45);
    let opts = ExportOptions {
        email: "runner@example.com".into(),
        activities_per_chunk: 10,
        files_per_part: 12,
        ..Default::default()
    };
    let (zip_bytes, report) = export(&account, &opts);
    let all = entries(&zip_bytes);
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();

    assert!(names.contains(&"DI_CONNECT/DI-Connect-User/user_profile.json"));
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("DI_CONNECT/DI-Connect-Wellness/"))
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("DI_CONNECT/DI-Connect-Metrics/"))
    );

    // Chunked summaries: 45 top-level activities at 10 per chunk.
    let chunks: Vec<&(String, Vec<u8>)> = all
        .iter()
        .filter(|(n, _)| n.ends_with("_summarizedActivities.json"))
        .collect();
    assert_eq!(chunks.len(), 5);
    assert_eq!(report.chunks, 5);
    let mut items = Vec::new();
    for (name, body) in &chunks {
        assert!(
            name.starts_with("DI_CONNECT/DI-Connect-Fitness/runner@example.com_"),
            "{name}"
        );
        let v: Value = serde_json::from_slice(body).unwrap();
        items.extend(
            v[0]["summarizedActivitiesExport"]
                .as_array()
                .unwrap()
                .iter()
                .cloned(),
        );
    }
    let mut expected_ids = HashSet::new();
    for k in 0..45 {
        let a = account.nth_newest(k).unwrap();
        expected_ids.insert(a.id());
        expected_ids.extend(a.child_ids());
    }
    let ids: HashSet<i64> = items
        .iter()
        .map(|i| i["activityId"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, expected_ids);
    assert_eq!(items.len(), expected_ids.len());
    assert_eq!(report.activities, items.len());

    // The export's names and units, against what the API serves for the same activity.
    let mut legs = 0;
    for item in &items {
        let id = item["activityId"].as_i64().unwrap();
        let a = account.activity(id).unwrap();
        let l = a.list_item();
        let s = a.details()["summaryDTO"].clone();
        assert_eq!(item["name"], l["activityName"]);
        assert_eq!(item["activityType"], l["activityType"]["typeKey"]);
        assert_eq!(item["beginTimestamp"], l["beginTimestamp"]);
        let gmt = item["startTimeGmt"].as_f64().unwrap();
        assert_eq!(gmt as i64, l["beginTimestamp"].as_i64().unwrap());
        let local = item["startTimeLocal"].as_f64().unwrap() as i64;
        let local = chrono::DateTime::from_timestamp_millis(local)
            .unwrap()
            .naive_utc();
        assert_eq!(
            local.format("%Y-%m-%d %H:%M:%S").to_string(),
            l["startTimeLocal"].as_str().unwrap()
        );
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        assert!(close(
            item["duration"].as_f64().unwrap(),
            s["duration"].as_f64().unwrap() * 1000.0
        ));
        assert!(close(
            item["distance"].as_f64().unwrap(),
            s["distance"].as_f64().unwrap() * 100.0
        ));
        assert!(close(
            item["avgSpeed"].as_f64().unwrap() * 10.0,
            s["averageSpeed"].as_f64().unwrap()
        ));
        if let Some(gain) = s["elevationGain"].as_f64() {
            assert!(close(item["elevationGain"].as_f64().unwrap(), gain * 100.0));
        }
        assert_eq!(item["avgHr"], s["averageHR"]);
        assert!(item.get("activityName").is_none(), "the export says name");
        if let Some(p) = a.parent_id() {
            assert_eq!(item["parentId"], p);
            legs += 1;
        }
        assert_eq!(item["parent"], a.is_multisport_parent());
    }
    assert!(legs > 0, "the account has multisports");

    // Uploads: nested parts of at most 12 files, named by upload id, the same bytes as the
    // server's originals; manual activities and legs uploaded nothing.
    let parts: Vec<&(String, Vec<u8>)> = all
        .iter()
        .filter(|(n, _)| {
            n.starts_with("DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part")
        })
        .collect();
    assert!(parts.len() >= 3, "{}", parts.len());
    assert_eq!(parts.len(), report.parts);
    let mut uploads: HashMap<String, Vec<u8>> = HashMap::new();
    for (name, body) in &parts {
        assert!(name.ends_with(".zip"));
        let inner = entries(body);
        assert!(inner.len() <= 12);
        for (n, b) in inner {
            uploads.insert(n, b);
        }
    }
    assert_eq!(uploads.len(), report.uploads);
    let mut matched = 0;
    for k in 0..45 {
        let a = account.nth_newest(k).unwrap();
        let name = gcexport_sim::export::upload_name(&account, &a, "runner@example.com");
        match a.download(Format::Original, false) {
            Download::File { bytes, .. } => {
                let name = name.unwrap();
                assert!(name.starts_with("runner@example.com_"));
                assert!(
                    !name.contains(&a.id().to_string()),
                    "named by upload id: {name}"
                );
                let online = entries(&bytes).remove(0);
                assert_eq!(
                    uploads[&name], online.1,
                    "{name} differs from the online original"
                );
                let ext = if a.source() == Source::GpxUpload {
                    ".gpx"
                } else {
                    ".fit"
                };
                assert!(name.ends_with(ext));
                matched += 1;
            }
            _ => {
                assert_eq!(a.source(), Source::Manual);
                assert!(name.is_none());
            }
        }
    }
    // Every upload but the deleted activity's belongs to an activity.
    assert_eq!(uploads.len(), matched + 1);
}

#[test]
fn the_same_account_gives_the_same_export_bytes() {
    let account = Account::new(4, 12);
    let opts = ExportOptions::default();
    let (a, _) = export(&account, &opts);
    let (b, _) = export(&account, &opts);
    assert_eq!(a, b);
}

#[test]
fn the_binary_writes_an_export_and_exits() {
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("export.zip");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_garmin-sim"))
        .args(["--activities", "8", "--seed", "2", "--write-export"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("wrote "), "{stdout}");
    let bytes = std::fs::read(&path).unwrap();
    let names: Vec<String> = entries(&bytes).into_iter().map(|(n, _)| n).collect();
    assert!(
        names
            .iter()
            .any(|n| n.ends_with("_0_summarizedActivities.json"))
    );
    assert!(
        names
            .iter()
            .any(|n| n.ends_with("UploadedFiles_0-_Part1.zip"))
    );
    assert!(!t.path().join("export.zip.part").exists());
}

#[test]
fn padded_fit_files_grow_and_stay_valid_fit() {
    let account = Account::new(9, 6);
    let plain = ExportOptions::default();
    let padded = ExportOptions {
        fit_padding: 200 * 1024,
        ..Default::default()
    };
    let uploads = |opts: &ExportOptions| -> HashMap<String, Vec<u8>> {
        let (bytes, _) = export(&account, opts);
        entries(&bytes)
            .into_iter()
            .filter(|(n, _)| n.ends_with(".zip"))
            .flat_map(|(_, b)| entries(&b))
            .filter(|(n, _)| n.ends_with(".fit"))
            .collect()
    };
    let (a, b) = (uploads(&plain), uploads(&padded));
    assert_eq!(
        a.keys().collect::<HashSet<_>>(),
        b.keys().collect::<HashSet<_>>()
    );
    for (name, fit) in &b {
        if a[name].len() < 1000 {
            continue; // the deleted activity's stub is not padded
        }
        assert!(fit.len() >= a[name].len() + 200 * 1024, "{name}");
        let plain_records = fitparser::from_bytes(&a[name]).unwrap();
        let padded_records = fitparser::from_bytes(fit).unwrap();
        // The same messages, plus the padding (which fitparser names mfg_range_min).
        let known = |r: &Vec<fitparser::FitDataRecord>| {
            r.iter()
                .filter(|m| m.kind() != fitparser::profile::MesgNum::MfgRangeMin)
                .count()
        };
        assert_eq!(known(&plain_records), known(&padded_records), "{name}");
    }
}
