#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The simulated account's data: ids, order, coverage, quirks, determinism, cost.

use std::collections::HashSet;
use std::time::Instant;

use gcexport_sim::account::{Account, Format, Kind, Source};
use serde_json::Value;

fn all_ids(acc: &Account) -> Vec<i64> {
    let mut ids = Vec::new();
    for k in 0..acc.len() {
        let a = acc.nth_newest(k).unwrap();
        ids.push(a.id());
        ids.extend(a.child_ids());
    }
    ids
}

#[test]
fn ids_and_positions_round_trip_including_legs() {
    let acc = Account::new(3, 60);
    assert_eq!(acc.len(), 60);
    assert!(acc.nth_newest(60).is_none());
    let mut legs = 0;
    for k in 0..acc.len() {
        let a = acc.nth_newest(k).unwrap();
        assert!(a.id() > 1 << 32);
        assert_eq!(acc.position_of(a.id()), Some(k));
        assert_eq!(acc.activity(a.id()).unwrap().id(), a.id());
        assert_eq!(a.parent_id(), None);
        for c in a.child_ids() {
            legs += 1;
            let leg = acc.activity(c).unwrap();
            assert_eq!(leg.id(), c);
            assert_eq!(leg.parent_id(), Some(a.id()));
            assert_eq!(acc.position_of(c), Some(k));
            assert!(leg.child_ids().is_empty());
            assert_eq!(leg.details()["parentId"], a.id());
        }
        if k > 0 {
            let newer = acc.nth_newest(k - 1).unwrap();
            assert!(newer.id() > a.id(), "ids grow with time");
            assert!(newer.start() > a.start(), "strictly newest first");
        }
    }
    assert!(legs >= 8);
    let ids: HashSet<i64> = all_ids(&acc).into_iter().collect();
    let oldest = acc.nth_newest(59).unwrap().id();
    for probe in [oldest - 10, oldest - 1, oldest + 9, 1, -5, i64::MAX, 0] {
        if !ids.contains(&probe) {
            assert!(acc.activity(probe).is_none(), "{probe} is not ours");
            assert!(acc.position_of(probe).is_none());
            assert!(!acc.rename(probe, "x"));
        }
    }
    assert!(Account::new(3, 0).is_empty());
}

#[test]
fn times_are_formatted_like_garmin_and_agree() {
    let acc = Account::new(11, 40);
    for k in 0..acc.len() {
        let a = acc.nth_newest(k).unwrap();
        let item = a.list_item();
        let d = a.details();
        let s = &d["summaryDTO"];
        let gmt = item["startTimeGMT"].as_str().unwrap();
        let local = item["startTimeLocal"].as_str().unwrap();
        assert_eq!(gmt.len(), 19);
        assert_eq!(&gmt[10..11], " ");
        assert_eq!(
            s["startTimeGMT"],
            format!("{}T{}.0", &gmt[..10], &gmt[11..])
        );
        assert_eq!(
            s["startTimeLocal"],
            format!("{}T{}.0", &local[..10], &local[11..])
        );
        let g = chrono::NaiveDateTime::parse_from_str(gmt, "%Y-%m-%d %H:%M:%S").unwrap();
        let l = chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(item["beginTimestamp"], g.and_utc().timestamp() * 1000);
        assert_eq!(a.start_local_date(), l.date());
        let offset = (l - g).num_minutes();
        let tz = d["timeZoneUnitDTO"]["timeZone"].as_str().unwrap();
        match tz {
            "Asia/Kolkata" => assert_eq!(offset, 330),
            "America/St_Johns" => assert!(offset == -210 || offset == -150),
            "UTC" => assert_eq!(offset, 0),
            "Europe/Paris" => assert!(offset == 60 || offset == 120),
            "America/Denver" => assert!(offset == -420 || offset == -360),
            "Australia/Sydney" => assert!(offset == 600 || offset == 660),
            other => panic!("unexpected zone {other}"),
        }
        assert!(g.and_utc().timestamp() < 1_793_404_800);
    }
    let oldest = acc.nth_newest(39).unwrap().start();
    assert!(
        oldest < 1_546_300_800,
        "eight years of history reach back before 2019"
    );
}

type Check = (&'static str, Box<dyn Fn(&str) -> bool>);

fn has_every_hostile_name(names: &[String]) -> Result<(), String> {
    let checks: Vec<Check> = vec![
        ("zwj emoji", Box::new(|n| n.contains('\u{200d}'))),
        ("slash", Box::new(|n| n.contains('/'))),
        ("backslash", Box::new(|n| n.contains('\\'))),
        ("colon", Box::new(|n| n.contains(':'))),
        (
            "*?<>|",
            Box::new(|n| "*?<>|".chars().all(|c| n.contains(c))),
        ),
        ("quotes", Box::new(|n| n.contains('"') && n.contains('\''))),
        ("newline", Box::new(|n| n.contains('\n'))),
        ("tab", Box::new(|n| n.contains('\t'))),
        ("CON", Box::new(|n| n == "CON")),
        ("aux", Box::new(|n| n == "aux")),
        ("LPT1", Box::new(|n| n == "LPT1")),
        ("trailing dot", Box::new(|n| n.ends_with('.') && n != "..")),
        ("trailing space", Box::new(|n| n.ends_with(' '))),
        ("300 chars", Box::new(|n| n.chars().count() == 300)),
        (
            "arabic",
            Box::new(|n| n.chars().any(|c| ('\u{600}'..='\u{6ff}').contains(&c))),
        ),
        (
            "hebrew",
            Box::new(|n| n.chars().any(|c| ('\u{590}'..='\u{5ff}').contains(&c))),
        ),
        ("nfd", Box::new(|n| n.contains('\u{301}'))),
        ("nfc twin", Box::new(|n| n.contains('é'))),
        ("dotdot", Box::new(|n| n == "..")),
        ("html", Box::new(|n| n.contains("<script>"))),
    ];
    for (what, f) in &checks {
        if !names.iter().any(|n| f(n)) {
            return Err(what.to_string());
        }
    }
    Ok(())
}

#[test]
fn the_newest_activities_hold_every_kind_and_every_hostile_name() {
    for (seed, n) in [(1u64, 20usize), (2, 30), (5, 10_000)] {
        let acc = Account::new(seed, n);
        let newest: Vec<_> = (0..20).map(|k| acc.nth_newest(k).unwrap()).collect();
        let kinds: HashSet<Kind> = newest.iter().map(|a| a.kind()).collect();
        for k in Kind::TOP_LEVEL {
            assert!(
                kinds.contains(&k),
                "{k:?} missing from the newest 20 of {n}"
            );
        }
        let sources: HashSet<Source> = newest.iter().map(|a| a.source()).collect();
        assert_eq!(sources.len(), 3);
        let names: Vec<String> = newest.iter().map(|a| a.name()).collect();
        has_every_hostile_name(&names).unwrap();
        let zones: HashSet<String> = newest
            .iter()
            .map(|a| {
                a.details()["timeZoneUnitDTO"]["timeZone"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(zones.len(), 6, "{zones:?}");
        let installs: HashSet<i64> = newest
            .iter()
            .filter_map(|a| a.details()["metadataDTO"]["deviceApplicationInstallationId"].as_i64())
            .collect();
        assert!(installs.len() >= 4);
        assert!(
            installs.iter().any(|i| acc.device_info(*i).is_none()),
            "an old device answers 204"
        );
        assert!(
            installs
                .iter()
                .filter(|i| acc.device_info(**i).is_some())
                .count()
                >= 3
        );
        let descs: Vec<Value> = newest.iter().map(|a| a.list_item()).collect();
        assert!(descs.iter().any(|d| d.get("description").is_none()));
        assert!(
            descs
                .iter()
                .any(|d| d["description"].is_null() && d.get("description").is_some())
        );
        assert!(descs.iter().any(|d| d["description"] == ""));
        assert!(
            descs
                .iter()
                .any(|d| d["description"].as_str().is_some_and(|s| s.len() > 3000))
        );
        assert!(
            descs
                .iter()
                .any(|d| d["description"].as_str().is_some_and(|s| s.contains('\n')))
        );
        let transitions = newest
            .iter()
            .flat_map(|a| a.child_ids())
            .filter(|c| acc.activity(*c).unwrap().kind() == Kind::Transition)
            .count();
        assert!(transitions >= 2);
        let gpx_upload = newest
            .iter()
            .find(|a| a.source() == Source::GpxUpload)
            .unwrap();
        assert_eq!(
            gpx_upload.details()["metadataDTO"]["fileFormat"]["formatKey"],
            "gpx"
        );
    }
}

#[test]
fn older_activities_use_the_older_units_in_the_list_only() {
    let acc = Account::new(4, 25);
    let mut old = 0;
    for k in 0..acc.len() {
        let a = acc.nth_newest(k).unwrap();
        let item = a.list_item();
        let s = a.details()["summaryDTO"].clone();
        let before_2019 = a.start() < 1_546_300_800;
        let factor = if before_2019 { 1000.0 } else { 1.0 };
        assert_eq!(
            item["elapsedDuration"].as_f64().unwrap(),
            s["elapsedDuration"].as_f64().unwrap() * factor
        );
        assert!(s["elapsedDuration"].as_f64().unwrap() >= s["duration"].as_f64().unwrap());
        if let Some(lo) = item["minElevation"].as_f64() {
            let f = if before_2019 { 100.0 } else { 1.0 };
            let expected = s["minElevation"].as_f64().unwrap() * f;
            assert!((lo - expected).abs() < 0.01, "{lo} vs {expected}");
            assert!(
                (item["maxElevation"].as_f64().unwrap() - s["maxElevation"].as_f64().unwrap() * f)
                    .abs()
                    < 0.01
            );
            if before_2019 {
                old += 1;
            }
        }
    }
    assert!(old >= 1);
}

#[test]
fn renames_are_remembered_for_top_level_and_legs() {
    let acc = Account::new(9, 30);
    let a = acc.nth_newest(5).unwrap();
    assert!(acc.rename(a.id(), "Renamed / again"));
    assert_eq!(acc.nth_newest(5).unwrap().name(), "Renamed / again");
    assert_eq!(
        acc.activity(a.id()).unwrap().list_item()["activityName"],
        "Renamed / again"
    );
    let parent = acc.nth_newest(2).unwrap();
    let leg = parent.child_ids()[0];
    assert!(acc.rename(leg, "Swim leg"));
    assert_eq!(
        acc.activity(leg).unwrap().details()["activityName"],
        "Swim leg"
    );
    assert_ne!(acc.nth_newest(2).unwrap().name(), "Swim leg");
}

fn everything(acc: &Account, k: usize) -> Vec<Vec<u8>> {
    let a = acc.nth_newest(k).unwrap();
    let mut out = Vec::new();
    let mut acts = vec![a.clone()];
    acts.extend(a.child_ids().into_iter().map(|c| acc.activity(c).unwrap()));
    for a in acts {
        for v in [
            a.list_item(),
            a.details(),
            a.splits(),
            a.hr_time_in_zones(),
            a.samples(),
            a.gear(),
        ] {
            out.push(serde_json::to_vec(&v).unwrap());
        }
        for f in [Format::Original, Format::Gpx, Format::Tcx, Format::Kml] {
            for full in [false, true] {
                if let gcexport_sim::account::Download::File { bytes, .. } = a.download(f, full) {
                    out.push(bytes);
                }
            }
        }
    }
    out
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let a = Account::new(42, 40);
    let b = Account::new(42, 40);
    let c = Account::new(43, 40);
    let mut differs = 0;
    for k in 0..40 {
        let x = everything(&a, k);
        assert_eq!(x, everything(&b, k), "position {k}");
        if x != everything(&c, k) {
            differs += 1;
        }
    }
    assert!(differs >= 39);
    assert_eq!(a.display_name(), b.display_name());
    assert_ne!(a.display_name(), c.display_name());
    assert_eq!(a.social_profile("x@y.z"), b.social_profile("x@y.z"));
    assert_eq!(a.user_settings(), b.user_settings());
}

#[test]
fn account_level_answers() {
    let acc = Account::new(1, 50);
    let p = acc.social_profile("me@example.com");
    assert_eq!(p["userName"], "me@example.com");
    assert_eq!(p["displayName"], acc.display_name());
    assert_eq!(acc.display_name().len(), 36);
    assert!(p["id"].is_i64() && p["profileId"].is_i64());
    let ms = acc.user_settings()["userData"]["measurementSystem"].clone();
    assert!(ms == "metric" || ms == "statute_us");
    let types = acc.activity_types_properties();
    let events = acc.event_types_properties();
    for k in 0..acc.len() {
        let a = acc.nth_newest(k).unwrap();
        let mut acts = vec![a.clone()];
        acts.extend(a.child_ids().into_iter().map(|c| acc.activity(c).unwrap()));
        for a in acts {
            assert!(
                types.contains(&format!("activity_type_{}=", a.type_key())),
                "{}",
                a.type_key()
            );
            assert!(types.contains(&format!("activity_type_{}=", a.parent_type_key())));
            let ev = a.list_item()["eventType"]["typeKey"]
                .as_str()
                .unwrap()
                .to_string();
            assert!(events.contains(&format!("\n{ev}=")) || events.starts_with(&format!("{ev}=")));
        }
    }
    assert!(types.contains("activity_type_running=Running\n"));
    assert!(events.contains("race=Race\n"));
}

#[test]
fn list_items_have_garmin_shapes() {
    let acc = Account::new(6, 30);
    for k in 0..30 {
        let a = acc.nth_newest(k).unwrap();
        let i = a.list_item();
        assert_eq!(i["activityId"], a.id());
        assert_eq!(i["activityName"], a.name());
        assert_eq!(i["activityType"]["typeKey"], a.type_key());
        assert!(i["distance"].is_f64() && i["duration"].is_f64());
        assert_eq!(i["manualActivity"], a.source() == Source::Manual);
        assert_eq!(i["hasPolyline"], a.has_gps());
        assert_eq!(i.get("startLatitude").is_some(), a.has_gps());
        let d = a.details();
        assert_eq!(d["summaryDTO"]["distance"], i["distance"]);
        assert_eq!(d["summaryDTO"]["duration"], i["duration"]);
        assert_eq!(
            d["summaryDTO"]["averageHR"],
            i.get("averageHR").cloned().unwrap_or(Value::Null)
        );
        assert!(d["summaryDTO"].as_object().is_some_and(|m| !m.is_empty()));
        if a.is_multisport_parent() {
            assert_eq!(
                d["metadataDTO"]["childIds"],
                serde_json::json!(a.child_ids())
            );
            let sum: f64 = a
                .child_ids()
                .iter()
                .map(|c| {
                    acc.activity(*c).unwrap().list_item()["distance"]
                        .as_f64()
                        .unwrap()
                })
                .sum();
            assert!((sum - i["distance"].as_f64().unwrap()).abs() < 0.05);
        }
        let laps = a.splits()["lapDTOs"].as_array().unwrap().len();
        if a.source() != Source::Manual {
            assert_eq!(laps as u64, i["lapCount"].as_u64().unwrap());
            let lap_dist: f64 = a.splits()["lapDTOs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["distance"].as_f64().unwrap())
                .sum();
            assert!((lap_dist - i["distance"].as_f64().unwrap()).abs() < 0.5);
        }
        let zones = a.hr_time_in_zones();
        assert!(zones.is_array());
        assert_eq!(
            zones.as_array().unwrap().is_empty(),
            i.get("averageHR").is_none()
        );
        assert!(a.gear().is_array());
        let samples = a.samples();
        let rows = samples["activityDetailMetrics"].as_array().unwrap();
        let width = samples["metricDescriptors"].as_array().unwrap().len();
        assert!(
            rows.iter()
                .all(|r| r["metrics"].as_array().unwrap().len() == width)
        );
        if a.source() != Source::Manual {
            assert_eq!(
                rows[0]["metrics"][0].as_f64().unwrap() as i64,
                a.start() * 1000
            );
        }
    }
}

#[test]
fn cost_is_flat_in_the_position() {
    let acc = Account::new(8, 10_000);
    let time = |k: usize| {
        let t = Instant::now();
        for _ in 0..50 {
            let a = acc.nth_newest(k).unwrap();
            std::hint::black_box(a.list_item());
        }
        t.elapsed()
    };
    // Same kind at both ends, so only the position differs.
    let last = acc.nth_newest(9_999).unwrap();
    let first_same = (30..200)
        .find(|k| acc.nth_newest(*k).unwrap().kind() == last.kind())
        .unwrap();
    let (a, b) = (time(first_same), time(9_999));
    assert!(
        b < a * 5 + std::time::Duration::from_millis(20),
        "{a:?} vs {b:?}"
    );
    let huge = Account::new(8, 5_000_000);
    let t = Instant::now();
    let a = huge.nth_newest(4_999_999).unwrap();
    assert_eq!(huge.position_of(a.id()), Some(4_999_999));
    std::hint::black_box(a.details());
    assert!(t.elapsed() < std::time::Duration::from_millis(200));
}
