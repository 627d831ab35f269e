#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `gear.csv` after a backup against the simulator over real HTTP: byte for byte the gear
//! the simulator's activities name, with totals summed here from the simulator's own
//! activities (not from anything the engine wrote).

mod common;

use std::collections::BTreeMap;

use common::signed_in;
use gcexport_backup::{Archive, Format, GEAR_COLUMNS, GEAR_CSV, RunOptions};
use gcexport_sim::account::Activity;
use serde_json::Value;

#[derive(Default)]
struct Want {
    item: Value,
    activities: u64,
    meters: f64,
    days: Vec<String>,
}

fn expected(account: &gcexport_sim::account::Account) -> String {
    let mut every: Vec<Activity> = Vec::new();
    for k in 0..account.len() {
        let top = account.nth_newest(k).unwrap();
        for id in top.child_ids() {
            every.push(account.activity(id).unwrap());
        }
        every.push(top);
    }
    let mut by_uuid: BTreeMap<String, Want> = BTreeMap::new();
    for a in &every {
        let list = a.list_item();
        let details = a.details();
        let meters = list["distance"]
            .as_f64()
            .or_else(|| details["summaryDTO"]["distance"].as_f64())
            .unwrap_or(0.0);
        let start = list["startTimeLocal"]
            .as_str()
            .or_else(|| details["summaryDTO"]["startTimeLocal"].as_str())
            .unwrap()[..10]
            .to_owned();
        for g in a.gear().as_array().unwrap() {
            let w = by_uuid
                .entry(g["uuid"].as_str().unwrap().to_owned())
                .or_default();
            w.item = g.clone();
            w.activities += 1;
            w.meters += meters;
            w.days.push(start.clone());
        }
    }
    assert!(by_uuid.len() >= 2, "the account uses several gear items");
    let mut rows: Vec<Vec<String>> = by_uuid
        .into_iter()
        .map(|(uuid, w)| {
            let s = |k: &str| w.item[k].as_str().unwrap_or_default().to_owned();
            let day = |k: &str| s(k).get(..10).unwrap_or_default().to_owned();
            // Gear never named by its owner is called by its make and model, as Garmin's
            // gear page shows it.
            let name = match s("displayName") {
                n if n.is_empty() => s("customMakeModel"),
                n => n,
            };
            vec![
                name,
                s("gearTypeName"),
                s("customMakeModel"),
                s("gearStatusName"),
                day("dateBegin"),
                day("dateEnd"),
                w.activities.to_string(),
                format!("{:.2}", w.meters / 1000.0),
                w.days.iter().min().unwrap().clone(),
                w.days.iter().max().unwrap().clone(),
                w.item["maximumMeters"]
                    .as_f64()
                    .filter(|m| *m > 0.0)
                    .map(|m| format!("{:.1}", m / 1000.0))
                    .unwrap_or_default(),
                uuid,
            ]
        })
        .collect();
    rows.sort_by(|a, b| b[9].cmp(&a[9]).then_with(|| a[11].cmp(&b[11])));
    let mut out = String::from("\u{feff}");
    for row in std::iter::once(GEAR_COLUMNS.map(str::to_owned).to_vec()).chain(rows) {
        let cells: Vec<String> = row
            .into_iter()
            .map(|c| {
                if c.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c
                }
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gear_csv_lists_the_simulators_gear_with_its_totals_byte_for_byte() {
    let sim = gcexport_sim::start(gcexport_sim::SimConfig {
        activities: 40,
        seed: 11,
        ..Default::default()
    })
    .unwrap();
    let account = gcexport_sim::account::Account::new(11, 40);
    let source = signed_in(&sim).await;
    let t = tempfile::tempdir().unwrap();
    let archive = Archive::open(t.path()).unwrap();
    let opts = RunOptions {
        formats: vec![Format::Json],
        ..RunOptions::default()
    };
    let s = common::run_once(&archive, &source, &opts).await;
    assert!(s.failures.is_empty(), "{:?}", s.failures);
    let got = std::fs::read_to_string(t.path().join(GEAR_CSV)).unwrap();
    assert_eq!(got, expected(&account));

    // A re-run that finds nothing new leaves the same table.
    common::run_once(&archive, &source, &opts).await;
    assert_eq!(
        std::fs::read_to_string(t.path().join(GEAR_CSV)).unwrap(),
        got
    );
}
