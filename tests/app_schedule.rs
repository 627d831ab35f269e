//! The daily automatic backup through the app's real IPC layer and its real run against an
//! in-process simulator: the switch, an automatic run with the saved sign-in only, what is
//! told (once), and a run from the page counting for the day. The timing rules themselves
//! are tested with a fake clock in crates/backup/tests/schedule.rs; the tray, the start-at-
//! login entry and the single instance need the real app (tests/e2e/app_schedule.test.mjs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use garmin_connect_export::schedule::{AutoBackup, run_and_record};
use gcexport_backup::schedule::{Need, Notice};
use gcexport_sim::{Sim, SimConfig};
use serde_json::{Value, json};
use tauri::Manager;

mod common;
use common::App;

/// What the schedule's tests do beyond the IPC tests' harness.
impl App {
    fn status(&self) -> Value {
        self.ok("schedule_status", json!({}))
    }

    fn use_folder(&self, folder: &Path) {
        let prefs = json!({"folder": folder, "formats": ["original"],
            "layout": "{YYYY}/{MM}/{YYYY}-{MM}-{DD}_{hh}-{mm}_{type}_{name}_{id}", "concurrency": 4});
        self.ok("save_preferences", json!({"preferences": prefs}));
    }

    /// One automatic run, as the schedule's loop starts it.
    fn automatic_run(&self) {
        tauri::async_runtime::block_on(run_and_record(self.app.handle()));
    }

    fn told(&self) -> Vec<Notice> {
        self.app.state::<AutoBackup>().notices_told()
    }
}

fn sim(activities: usize) -> Sim {
    gcexport_sim::start(SimConfig {
        activities,
        seed: 5,
        withheld: 2,
        ..SimConfig::default()
    })
    .expect("the simulator starts")
}

fn files_in(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            n += files_in(&entry.path());
        } else if entry
            .path()
            .extension()
            .is_some_and(|e| e == "zip" || e == "fit")
        {
            n += 1;
        }
    }
    n
}

#[test]
fn the_switch_is_off_by_default_and_is_remembered() {
    let sim = sim(1);
    let dir = tempfile::tempdir().unwrap();
    let app = App::on(&sim, dir.path());
    let status = app.status();
    assert_eq!(status["enabled"], false, "{status}");
    assert_eq!(status["last_backup"], Value::Null, "{status}");
    // Off: the schedule plans nothing.
    assert_eq!(status["next_check"], Value::Null, "{status}");

    let status = app.ok("set_auto_backup", json!({"enabled": true}));
    assert_eq!(status["enabled"], true, "{status}");
    // Never backed up: due at once.
    assert!(status["next_check"].as_i64().is_some(), "{status}");
    drop(app);
    let again = App::on(&sim, dir.path());
    assert_eq!(again.status()["enabled"], true);
    again.ok("set_auto_backup", json!({"enabled": false}));
    drop(again);
    assert_eq!(App::on(&sim, dir.path()).status()["enabled"], false);
}

#[test]
fn an_automatic_run_uses_the_saved_sign_in_and_tells_the_new_activities_once() {
    let sim = sim(12);
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup");
    std::fs::create_dir(&backup).unwrap();
    {
        let app = App::on(&sim, dir.path());
        app.sign_in();
        app.use_folder(&backup);
        app.ok("set_auto_backup", json!({"enabled": true}));
    }
    // A later start (at login): nothing in memory, the sign-in saved.
    sim.reset_stats();
    let app = App::on(&sim, dir.path());
    app.automatic_run();
    let stats = sim.stats();
    assert_eq!(stats.logins, 0, "a scheduled run never sends a password");
    let n = sim.visible_activities() as u64;
    assert!(
        files_in(&backup) as u64 >= n,
        "every original is in the folder"
    );
    let told = app.told();
    let [Notice::NewActivities { count }] = told[..] else {
        panic!("one notification for the run: {told:?}");
    };
    assert!(count >= n, "{count} < {n}");
    let status = app.status();
    let last = status["last_backup"].as_str().unwrap();
    assert!(last.starts_with("today "), "{status}");
    assert!(last.ends_with(&format!(", {count} new")), "{status}");
    assert_eq!(status["waiting_for"], Value::Null, "{status}");

    // Two new activities on Garmin: the next run tells of those two, in one notification.
    assert_eq!(sim.reveal(2), 2);
    app.automatic_run();
    let told = app.told();
    assert!(
        matches!(told[..], [_, Notice::NewActivities { count }] if count >= 2),
        "{told:?}"
    );
    // Nothing new: nothing told.
    app.automatic_run();
    assert_eq!(app.told().len(), 2);
}

#[test]
fn without_a_saved_sign_in_it_tells_once_and_waits_for_the_person() {
    let sim = sim(3);
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup");
    std::fs::create_dir(&backup).unwrap();
    let app = App::on(&sim, dir.path());
    app.use_folder(&backup);
    app.ok("set_auto_backup", json!({"enabled": true}));
    sim.reset_stats();
    app.automatic_run();
    app.automatic_run();
    assert_eq!(
        app.told(),
        vec![Notice::Needs { need: Need::SignIn }],
        "told once"
    );
    assert_eq!(sim.stats().logins, 0, "never a password");
    let status = app.status();
    assert_eq!(status["waiting_for"], "sign_in", "{status}");
    assert_eq!(status["next_check"], Value::Null, "{status}");
    assert_eq!(files_in(&backup), 0);
}

#[test]
fn a_missing_folder_is_told_once_and_not_created() {
    let sim = sim(3);
    let dir = tempfile::tempdir().unwrap();
    // The drive the folder was on is not plugged in.
    let backup = dir.path().join("unplugged").join("backup");
    let app = App::on(&sim, dir.path());
    app.sign_in();
    app.use_folder(&backup);
    app.ok("set_auto_backup", json!({"enabled": true}));
    app.automatic_run();
    app.automatic_run();
    assert_eq!(app.told(), vec![Notice::Needs { need: Need::Folder }]);
    assert!(!dir.path().join("unplugged").exists(), "nothing written");
    assert_eq!(app.status()["waiting_for"], "folder");
}

#[test]
fn garmin_refusing_is_told_once_and_waits_for_the_next_day() {
    let sim = sim(5);
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup");
    std::fs::create_dir(&backup).unwrap();
    let app = App::on(&sim, dir.path());
    app.sign_in();
    app.use_folder(&backup);
    app.ok("set_auto_backup", json!({"enabled": true}));
    sim.set_faults(gcexport_sim::Faults::parse("403:on=download").unwrap());
    app.automatic_run();
    assert_eq!(app.told(), vec![Notice::GarminRefusing]);
    let status = app.status();
    assert_eq!(status["waiting_for"], "garmin", "{status}");
    let next = status["next_check"].as_i64().unwrap();
    let in_an_hour = chrono::Utc::now().timestamp_millis() + 3_600_000;
    assert!(next > in_an_hour, "not again today: {status}");
}

#[test]
fn a_backup_from_the_page_counts_as_the_days_backup() {
    let sim = sim(4);
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup");
    let app = App::on(&sim, dir.path());
    app.sign_in();
    app.use_folder(&backup);
    app.ok("set_auto_backup", json!({"enabled": true}));
    assert!(app.status()["next_check"].as_i64().unwrap() <= chrono::Utc::now().timestamp_millis());
    // The page's whole request: the engine's defaults, this folder, originals only.
    let request = garmin_connect_export::wire::BackupRequest {
        folder: backup.display().to_string(),
        formats: vec![garmin_connect_export::wire::Format::Original],
        ..Default::default()
    };
    app.ok(
        "start_backup",
        json!({"request": request, "onEvent": "__CHANNEL__:7"}),
    );
    app.wait_for_backup();
    // The page's own summary is enough: no notification for a run the person watched.
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        let s = app.status();
        if s["last_backup"] != Value::Null || Instant::now() > deadline {
            break s;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        status["last_backup"]
            .as_str()
            .unwrap()
            .starts_with("today "),
        "{status}"
    );
    assert!(app.told().is_empty());
    // Not due again today.
    let next = status["next_check"].as_i64().unwrap();
    assert!(next > chrono::Utc::now().timestamp_millis(), "{status}");
}

/// The automatic run sends the page's request from the saved preferences, what the card has
/// ticked included: health data alone asks for no activity, activities alone for no day.
#[test]
fn an_automatic_run_backs_up_what_the_card_has_ticked() {
    let sim = sim(6);
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup");
    std::fs::create_dir(&backup).unwrap();
    let app = App::on(&sim, dir.path());
    app.sign_in();
    let ticked = |activities: bool, health: bool| {
        let prefs = json!({"folder": backup, "formats": ["original"],
            "layout": "{YYYY}/{MM}/{YYYY}-{MM}-{DD}_{hh}-{mm}_{type}_{name}_{id}", "concurrency": 4,
            "what": {"activities": activities, "health": health, "records": health, "gear": activities}});
        app.ok("save_preferences", json!({"preferences": prefs}));
    };
    let asked = |part: &str| {
        sim.stats()
            .by_endpoint
            .iter()
            .filter(|(k, _)| k.contains(part))
            .map(|(_, n)| *n)
            .sum::<u64>()
    };

    ticked(false, true);
    let saved = app.ok("read_preferences", json!({}));
    assert_eq!(saved["what"]["activities"], false, "{saved}");
    sim.reset_stats();
    app.automatic_run();
    assert_eq!(asked("activitylist"), 0, "{:?}", sim.stats().by_endpoint);
    assert!(asked("usersummary") > 0, "{:?}", sim.stats().by_endpoint);
    assert_eq!(files_in(&backup), 0, "no activity was asked for");
    assert!(backup.join("health").join("daily.csv").is_file());

    ticked(true, false);
    sim.reset_stats();
    app.automatic_run();
    assert_eq!(
        asked("usersummary") + asked("wellness"),
        0,
        "{:?}",
        sim.stats().by_endpoint
    );
    assert!(files_in(&backup) as u64 >= sim.visible_activities() as u64);
}
