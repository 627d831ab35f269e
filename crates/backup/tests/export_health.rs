#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The data export's health folders against an online health backup of the same account
//! (the simulator serves both): the import gives the same tables minus exactly the columns
//! it lists as missing, a re-import changes nothing, an import never spoils what an online
//! backup fetched, an online backup after an import ends where an online backup alone does,
//! and a damaged export loses nothing else.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use common::signed_in;
use gcexport_backup::export::{HealthImportOptions, HealthImportReport, import_health};
use gcexport_backup::health::{ConnectHealth, HealthOptions, run_health, tables};
use gcexport_backup::{Archive, CancellationToken, NoProgress};
use gcexport_sim::export::{ExportOptions, write_export};

const SEED: u64 = 7;
const ACTIVITIES: usize = 20;
/// Enough days for the tracker, the days without a device, the watch learning its HRV
/// baseline and then reporting it, manual weigh-ins and the scale.
const DAYS: usize = 120;

const TABLES: [(&str, &[&str]); 4] = [
    (tables::DAILY_CSV, &tables::DAILY_COLUMNS),
    (tables::SLEEP_CSV, &tables::SLEEP_COLUMNS),
    (tables::WEIGHT_CSV, &tables::WEIGHT_COLUMNS),
    (tables::RECORDS_CSV, &tables::RECORDS_COLUMNS),
];

fn sim() -> gcexport_sim::Sim {
    gcexport_sim::start(gcexport_sim::SimConfig {
        activities: ACTIVITIES,
        seed: SEED,
        health_days: DAYS,
        ..Default::default()
    })
    .unwrap()
}

fn export(dir: &Path) -> PathBuf {
    let account = gcexport_sim::account::Account::new(SEED, ACTIVITIES);
    let path = dir.join("export.zip");
    let opts = ExportOptions {
        health_days: DAYS,
        ..Default::default()
    };
    let f = std::fs::File::create(&path).unwrap();
    let report = write_export(&account, &opts, std::io::BufWriter::new(f)).unwrap();
    assert!(report.health.days > 0 && report.health.hrv_nights > 0);
    path
}

fn health_options(sim: &gcexport_sim::Sim) -> HealthOptions {
    let want = sim.expected_health();
    let day = |k: &str| NaiveDate::parse_from_str(want[k].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let mut o = HealthOptions::new(day("lastDay"));
    o.since = Some(day("firstDay"));
    o
}

async fn online(sim: &gcexport_sim::Sim, archive: &Archive) {
    let source = ConnectHealth::new(signed_in(sim).await.session().clone())
        .await
        .unwrap();
    let s = run_health(
        archive,
        &source,
        &health_options(sim),
        &NoProgress,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(s.days_failed, 0, "{:?}", s.failures);
    assert_eq!(s.stopped, None);
}

fn import(archive: &Archive, export: &Path) -> HealthImportReport {
    import_health(
        archive,
        export,
        HealthImportOptions {
            health: true,
            records: true,
        },
    )
    .unwrap()
}

fn table(root: &Path, rel: &str) -> Vec<Vec<String>> {
    let bytes = std::fs::read(root.join(rel)).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "{rel} starts with a BOM"
    );
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// The columns of `rel` the import lists as beyond the export.
fn missing(rel: &str) -> Vec<&'static str> {
    tables::NOT_IN_EXPORT
        .iter()
        .filter(|m| m.file == rel)
        .filter_map(|m| m.column)
        .collect()
}

/// Every file under `root` but the state, with its bytes.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                if !rel.starts_with(".gcexport") {
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_gives_the_online_tables_minus_the_listed_columns_and_a_reimport_changes_nothing()
{
    let sim = sim();
    let t = tempfile::tempdir().unwrap();
    let zip = export(t.path());
    let (a, b) = (t.path().join("online"), t.path().join("imported"));
    let online_archive = Archive::open(&a).unwrap();
    online(&sim, &online_archive).await;
    let archive = Archive::open(&b).unwrap();
    let report = import(&archive, &zip);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(report.days_online, 0);
    assert_eq!(report.not_in_export, tables::NOT_IN_EXPORT.to_vec());

    for (rel, columns) in TABLES {
        let (mut want, mut got) = (table(&a, rel), table(&b, rel));
        assert_eq!(got[0], columns.to_vec(), "{rel}: header");
        assert!(
            want.len() > 2,
            "{rel}: the online backup has rows to compare"
        );
        for col in missing(rel) {
            let i = columns.iter().position(|c| *c == col).unwrap();
            assert!(
                got.iter().skip(1).all(|r| r[i].is_empty()),
                "{rel} {col}: listed as beyond the export, yet filled"
            );
            assert!(
                want.iter().skip(1).any(|r| !r[i].is_empty()),
                "{rel} {col}: listed as lost, yet the online backup has nothing there either"
            );
            for r in want.iter_mut().skip(1) {
                r[i].clear();
            }
        }
        // Weigh-ins are ordered by their time too, which the export lacks.
        want[1..].sort();
        got[1..].sort();
        assert_eq!(
            got, want,
            "{rel}: the import differs beyond the listed columns"
        );
    }
    let weigh_ins = table(&a, tables::WEIGHT_CSV).len() as u64 - 1;
    assert_eq!(report.weigh_ins, weigh_ins);
    assert_eq!(report.days, table(&a, tables::DAILY_CSV).len() as u64 - 1);

    // Again: not a byte changes.
    let before = files(&b);
    let again = import(&archive, &zip);
    assert_eq!(again.files_written, 0);
    assert_eq!(again.days, report.days);
    assert!(files(&b) == before, "a re-import changed the folder");

    // An online backup after the import fetches the days anyway (the API has more) and the
    // folder's tables end as an online backup alone leaves them.
    online(&sim, &archive).await;
    for (rel, _) in TABLES {
        assert_eq!(
            std::fs::read(b.join(rel)).unwrap(),
            std::fs::read(a.join(rel)).unwrap(),
            "{rel} after import then online backup"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_into_a_folder_backed_up_online_keeps_every_table_as_it_was() {
    let sim = sim();
    let t = tempfile::tempdir().unwrap();
    let zip = export(t.path());
    let root = t.path().join("folder");
    let archive = Archive::open(&root).unwrap();
    online(&sim, &archive).await;
    let before: Vec<Vec<u8>> = TABLES
        .iter()
        .map(|(rel, _)| std::fs::read(root.join(rel)).unwrap())
        .collect();
    let days = table(&root, tables::DAILY_CSV).len() as u64 - 1;
    let report = import(&archive, &zip);
    assert_eq!(
        report.days_online, days,
        "every day online is kept as it was"
    );
    assert_eq!(report.days, 0);
    for ((rel, _), want) in TABLES.iter().zip(before) {
        assert_eq!(std::fs::read(root.join(rel)).unwrap(), want, "{rel}");
    }
}

#[test]
fn a_damaged_export_is_reported_and_loses_nothing_else() {
    let t = tempfile::tempdir().unwrap();
    let export = t.path().join("unpacked");
    let agg = export.join("DI_CONNECT/DI-Connect-Aggregator");
    let wel = export.join("DI_CONNECT/DI-Connect-Wellness");
    std::fs::create_dir_all(&agg).unwrap();
    std::fs::create_dir_all(&wel).unwrap();
    std::fs::write(
        agg.join("UDSFile_2025-01-01_2025-04-10.json"),
        br#"[{"calendarDate":"2025-01-02","totalSteps":8123,"includesWellnessData":true},
            {"calendarDate":"../../../outside","totalSteps":1},
            {"totalSteps":2},
            {"calendarDate":"2025-01-03","totalSteps":6000,"floorsAscendedInMeters":9.144}]"#,
    )
    .unwrap();
    std::fs::write(
        wel.join("2025-01-01_2025-04-10_1_sleepData.json"),
        b"[{\"calendarDate\":\"2025-01-02\",\"deepSle",
    )
    .unwrap();
    std::fs::write(
        wel.join("1_userBioMetrics.json"),
        br#"[{"metaData":{"calendarDate":"2025-01-02T00:00:00.0"},"weight":{"weight":70500.0,"sourceType":"MANUAL","timestampGMT":"2025-01-02T19:00:00.0"}},
            {"metaData":{"calendarDate":"2025-01-02T00:00:00.0"},"height":180.0}]"#,
    )
    .unwrap();
    let root = t.path().join("folder");
    let archive = Archive::open(&root).unwrap();
    let report = import(&archive, &export);
    assert_eq!(report.days, 2);
    assert_eq!(report.weigh_ins, 1);
    assert_eq!(report.skipped.len(), 2, "{:?}", report.skipped);
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.contains("UDSFile_2025-01-01_2025-04-10.json") && s.contains("2 entries")),
        "{:?}",
        report.skipped
    );
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.contains("sleepData.json") && s.contains("not readable JSON")),
        "{:?}",
        report.skipped
    );
    let daily = table(&root, tables::DAILY_CSV);
    assert_eq!(daily.len(), 3);
    assert_eq!(&daily[1][..4], ["2025-01-03", "6000", "", "3"]);
    assert_eq!(&daily[2][..2], ["2025-01-02", "8123"]);
    assert_eq!(
        table(&root, tables::WEIGHT_CSV)[1],
        ["2025-01-02", "", "70.50", "", "", "", "", "", "MANUAL"]
    );
    assert!(!t.path().join("outside").exists() && !root.join("outside").exists());
    let written: Vec<String> = files(&root).into_keys().collect();
    assert!(
        written.iter().all(|f| f.starts_with("health")),
        "{written:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_exports_activities_imported_records_name_their_activity_and_day() {
    let sim = sim();
    let t = tempfile::tempdir().unwrap();
    let zip = export(t.path());
    let (a, b) = (t.path().join("online"), t.path().join("imported"));
    online(&sim, &Archive::open(&a).unwrap()).await;
    let archive = Archive::open(&b).unwrap();
    let source = gcexport_backup::ExportSource::open(&zip).unwrap();
    let opts = gcexport_backup::RunOptions {
        formats: vec![gcexport_backup::Format::Json],
        ..Default::default()
    };
    let s = common::run_once(&archive, &source, &opts).await;
    assert!(s.failures.is_empty(), "{:?}", s.failures);
    import(&archive, &zip);
    let want = table(&a, tables::RECORDS_CSV);
    let got = table(&b, tables::RECORDS_CSV);
    assert_eq!(got.len(), want.len());
    let mut with_activity = 0;
    for (g, w) in got.iter().zip(&want).skip(1) {
        if w[4].is_empty() {
            // A record of no activity (steps): its day is known in GMT only.
            assert_eq!(g[3], "", "{g:?}");
            assert_eq!(g[..3], w[..3]);
            assert_eq!(g[4..], w[4..]);
        } else {
            with_activity += 1;
            assert_eq!(g, w);
        }
    }
    assert!(
        with_activity >= 3,
        "records of activities compared: {with_activity}"
    );
}
