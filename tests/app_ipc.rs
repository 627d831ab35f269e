//! The desktop shell's commands through Tauri's real IPC layer, without a display, against
//! an in-process simulator. The context is the app's own (its capabilities included), so a
//! command the capability file does not grant fails here as it would in the app.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use garmin_connect_export::wire::{AppError, BackupEvent, Format};
use garmin_connect_export::{Options, SIGN_IN_WINDOW, TokenStoreChoice};
use gcexport_sim::{Sim, SimConfig};
use gcexport_testkit::{expected, tmp, user_files as files};
use serde_json::{Value, json};
use tauri::Manager;

mod common;
use common::{App, call_in};

/// A channel argument as the page's `Channel` serialises it. Its messages go to the mock
/// webview's script evaluation, which discards them: these tests observe results instead.
const CHANNEL: &str = "__CHANNEL__:7";
/// The engine's default file names (`backup::DEFAULT_TEMPLATE`).
const LAYOUT: &str = gcexport_backup::DEFAULT_TEMPLATE;

fn sim(activities: usize) -> Sim {
    gcexport_testkit::sim(SimConfig {
        activities,
        seed: 11,
        ..SimConfig::default()
    })
}

/// Each file the simulator has for `formats` is on disk, byte for byte, under the
/// activity's id; nothing else but the CSV and the details JSON is.
fn assert_matches_simulator(sim: &Sim, dir: &Path, formats: &[&str]) {
    let on_disk = files(dir);
    assert!(on_disk.keys().all(|p| !p.ends_with(".part")), "{on_disk:?}");
    let mut want = 0;
    for e in expected(sim) {
        let id = e["id"].as_i64().unwrap();
        for f in formats {
            let spec = &e["formats"][*f];
            if spec["status"] != 200 {
                continue;
            }
            want += 1;
            let ext = if *f == "original" { "zip" } else { f };
            let suffix = format!("_{id}.{ext}");
            let found: Vec<_> = on_disk
                .iter()
                .filter(|(p, _)| p.ends_with(&suffix))
                .collect();
            assert_eq!(found.len(), 1, "{id} {f}: {found:?}");
            assert_eq!(found[0].1, spec["sha256"].as_str().unwrap(), "{id} {f}");
        }
    }
    let downloads = on_disk
        .keys()
        .filter(|p| {
            formats
                .iter()
                .any(|f| p.ends_with(if *f == "original" { ".zip" } else { f }))
        })
        .count();
    assert_eq!(downloads, want, "exactly the files the simulator has");
    assert!(on_disk.contains_key("activities.csv"));
}

#[test]
fn app_info_reports_version_and_demo_mode() {
    let dir = tmp();
    let app = App::new(Options {
        config_dir: Some(dir.path().to_owned()),
        token_store: TokenStoreChoice::Memory,
        server_url: Some("http://127.0.0.1:9".into()),
        ..Options::default()
    });
    let info = app.ok("app_info", json!({}));
    assert_eq!(info["name"], "Garmin Connect Export");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["demo"], false);

    let demo = App::new(Options {
        demo: true,
        config_dir: Some(dir.path().to_owned()),
        token_store: TokenStoreChoice::Memory,
        ..Options::default()
    });
    assert_eq!(demo.ok("app_info", json!({}))["demo"], true);
}

#[test]
fn a_remembered_sign_in_survives_a_restart_and_sign_out_forgets_it() {
    let sim = sim(5);
    let dir = tmp();
    let app = App::on(&sim, dir.path());
    assert_eq!(
        app.ok("session_status", json!({})),
        json!({"state": "signed_out", "reason": null})
    );
    let out = app.ok(
        "sign_in_with_password",
        json!({"email": "demo@example.com", "password": "demo-password", "remember": true}),
    );
    assert_eq!(out["status"], "signed_in");
    let name = out["account"]["display_name"].as_str().unwrap().to_owned();
    assert!(!name.is_empty());
    assert_eq!(app.ok("session_status", json!({}))["state"], "signed_in");
    drop(app);

    let again = App::on(&sim, dir.path());
    let status = again.ok("session_status", json!({}));
    assert_eq!(status["state"], "signed_in", "{status}");
    assert_eq!(status["account"]["display_name"], name.as_str());
    assert_eq!(again.ok("sign_out", json!({})), Value::Null);
    assert!(!dir.path().join("tokens.json").exists());
    assert_eq!(again.ok("session_status", json!({}))["state"], "signed_out");
    drop(again);

    let third = App::on(&sim, dir.path());
    assert_eq!(
        third.ok("session_status", json!({})),
        json!({"state": "signed_out", "reason": null})
    );
}

#[test]
fn a_sign_in_not_remembered_is_gone_after_a_restart() {
    let sim = sim(3);
    let dir = tmp();
    let app = App::on(&sim, dir.path());
    let out = app.ok(
        "sign_in_with_password",
        json!({"email": "demo@example.com", "password": "demo-password", "remember": false}),
    );
    assert_eq!(out["status"], "signed_in");
    assert_eq!(app.ok("session_status", json!({}))["state"], "signed_in");
    drop(app);
    let again = App::on(&sim, dir.path());
    assert_eq!(again.ok("session_status", json!({}))["state"], "signed_out");
}

#[test]
fn mfa_asks_for_a_code_a_wrong_code_can_be_retyped_and_the_right_one_signs_in() {
    let sim = sim(3);
    let dir = tmp();
    let app = App::on(&sim, dir.path());
    assert_eq!(
        app.err_kind("submit_code", json!({"code": "123456"})),
        "no_pending_code"
    );
    let out = app.ok(
        "sign_in_with_password",
        json!({"email": "mfa@example.com", "password": "mfa-password", "remember": true}),
    );
    assert_eq!(out["status"], "needs_code", "{out}");
    assert_eq!(out["channel"], "email");
    assert!(
        out["sent_to"].as_str().is_some_and(|s| !s.is_empty()),
        "{out}"
    );
    assert_eq!(
        app.err_kind("submit_code", json!({"code": "000000"})),
        "wrong_code"
    );
    let account = app.ok("submit_code", json!({"code": "123456"}));
    assert!(account["display_name"].is_string(), "{account}");
    assert_eq!(app.ok("session_status", json!({}))["state"], "signed_in");
}

#[test]
fn a_wrong_password_is_its_own_kind_and_secrets_stay_out_of_the_message() {
    let sim = sim(3);
    let dir = tmp();
    let app = App::on(&sim, dir.path());
    let err = app
        .call(
            "sign_in_with_password",
            json!({"email": "demo@example.com", "password": "not-the-password", "remember": true}),
        )
        .unwrap_err();
    assert_eq!(err["kind"], "wrong_credentials", "{err}");
    assert!(!err.to_string().contains("not-the-password"), "{err}");
    assert_eq!(app.ok("session_status", json!({}))["state"], "signed_out");
}

/// "Copy a diagnostic report": the last sign-in's steps, for a failed and a successful
/// sign-in, with none of the secrets in it.
#[test]
fn the_diagnostic_report_of_the_last_sign_in_holds_no_secret() {
    let sim = sim(3);
    let dir = tmp();
    let app = App::on(&sim, dir.path());
    assert_eq!(app.ok("diagnostic_report", json!({})), Value::Null);
    app.call(
        "sign_in_with_password",
        json!({"email": "demo@example.com", "password": "not-the-password", "remember": true}),
    )
    .unwrap_err();
    let failed = app.ok("diagnostic_report", json!({}));
    let failed = failed.as_str().expect("a report after a sign-in");
    assert!(failed.contains("failed (wrong_credentials)"), "{failed}");
    assert!(
        failed.contains("Garmin Connect Export diagnostic report"),
        "{failed}"
    );
    app.sign_in();
    let ok = app.ok("diagnostic_report", json!({}));
    let ok = ok.as_str().unwrap();
    assert!(ok.contains("outcome: signed in"), "{ok}");
    assert!(ok.contains("token check"), "{ok}");
    for report in [failed, ok] {
        for secret in [
            "not-the-password",
            "demo-password",
            "demo@example.com",
            "ST-",
            "SESSION",
        ] {
            assert!(!report.contains(secret), "{secret} in:\n{report}");
        }
    }
}

#[test]
fn commands_that_need_a_session_say_not_signed_in() {
    let sim = sim(3);
    let dir = tmp();
    let app = App::on(&sim, dir.path());
    assert_eq!(
        app.err_kind(
            "list_activities",
            json!({"folder": null, "formats": ["original", "gpx"], "onPage": CHANNEL})
        ),
        "not_signed_in"
    );
    let request = json!({"folder": dir.path().join("b"), "formats": ["gpx"], "layout": LAYOUT, "concurrency": 4});
    assert_eq!(
        app.err_kind(
            "start_backup",
            json!({"request": request, "onEvent": CHANNEL})
        ),
        "not_signed_in"
    );
    // Cancelling when nothing runs is harmless.
    assert_eq!(app.ok("cancel_backup", json!({})), Value::Null);
}

#[test]
fn list_then_back_up_then_every_activity_is_in_backup_and_the_files_match_garmin() {
    let sim = sim(40);
    let dir = tmp();
    let backup = dir.path().join("My Garmin backup");
    let app = App::on(&sim, dir.path());
    app.sign_in();
    let prefs = json!({"folder": backup, "formats": ["gpx", "original"], "layout": "{YYYY}/{MM}/{YYYY}-{MM}-{DD}_{hh}-{mm}_{type}_{name}_{id}", "concurrency": 4});
    app.ok("save_preferences", json!({"preferences": prefs}));

    let done = app.ok(
        "list_activities",
        json!({"folder": backup, "formats": ["original", "gpx"], "onPage": CHANNEL}),
    );
    assert_eq!(done["activities_listed"], sim.visible_activities() as u64);
    assert!(!backup.exists(), "listing never creates the folder");
    // No backup yet: every day since the oldest activity listed is to fetch.
    let days = done["health_days"].as_u64().unwrap();
    assert!(days > 3, "{done}");

    let request = json!({"folder": backup, "formats": ["original", "gpx"], "layout": LAYOUT, "concurrency": 4, "garmin_tracks": true});
    app.ok(
        "start_backup",
        json!({"request": request, "onEvent": CHANNEL}),
    );
    assert_eq!(
        app.err_kind(
            "start_backup",
            json!({"request": request, "onEvent": CHANNEL})
        ),
        "backup_running"
    );
    app.wait_for_backup();
    assert_matches_simulator(&sim, &backup, &["original", "gpx"]);

    // Statuses now come from the folder: nothing is new.
    let shell = app.shell();
    let rows = std::sync::Mutex::new(Vec::new());
    tauri::async_runtime::block_on(shell.list_activities(
        Some(backup.display().to_string()),
        vec![Format::Original, Format::Gpx],
        |e| {
            let garmin_connect_export::wire::ListEvent::Page { activities, .. } = e;
            rows.lock().unwrap().extend(activities);
        },
    ))
    .unwrap();
    let rows = rows.into_inner().unwrap();
    assert_eq!(rows.len(), sim.visible_activities());
    use garmin_connect_export::wire::ActivityStatus as S;
    assert!(
        rows.iter()
            .all(|r| matches!(r.status, S::InBackup | S::Unavailable)),
        "{:?}",
        rows.iter().map(|r| r.status).collect::<Vec<_>>()
    );

    // Ticking TCX (never backed up) makes every activity new again: the statuses follow the
    // formats the page sends, not the saved preferences (which still say GPX and original).
    let ticked = app.ok(
        "list_activities",
        json!({"folder": backup, "formats": ["original", "gpx", "tcx"], "onPage": CHANNEL}),
    );
    assert_eq!(ticked["activities_listed"], sim.visible_activities() as u64);
    // The request left `what` out, so health data was backed up too: only the days Garmin may
    // still change are left (read from the folder, asked of nobody).
    assert_eq!(ticked["health_days"], 3, "{ticked}");
    let rows = std::sync::Mutex::new(Vec::new());
    tauri::async_runtime::block_on(shell.list_activities(
        Some(backup.display().to_string()),
        vec![Format::Original, Format::Gpx, Format::Tcx],
        |e| {
            let garmin_connect_export::wire::ListEvent::Page { activities, .. } = e;
            rows.lock().unwrap().extend(activities);
        },
    ))
    .unwrap();
    let rows = rows.into_inner().unwrap();
    assert!(
        rows.iter().all(|r| r.status == S::New),
        "{:?}",
        rows.iter().map(|r| r.status).collect::<Vec<_>>()
    );
}

#[test]
fn backup_events_are_running_totals_then_one_summary_and_a_second_run_finds_nothing_new() {
    let sim = sim(25);
    let dir = tmp();
    let backup = dir.path().join("backup");
    let app = App::on(&sim, dir.path());
    app.sign_in();
    let run = |formats: Vec<&str>| -> Vec<BackupEvent> {
        let (tx, rx) = std::sync::mpsc::channel();
        let request = serde_json::from_value(json!({
            "folder": backup, "formats": formats, "layout": LAYOUT, "concurrency": 4, "garmin_tracks": true
        }))
        .unwrap();
        app.shell()
            .start_backup(request, move |e| {
                let _ = tx.send(e);
            })
            .unwrap();
        let mut events = Vec::new();
        while let Ok(e) = rx.recv_timeout(Duration::from_secs(120)) {
            let last = matches!(e, BackupEvent::Finished { .. });
            events.push(e);
            if last {
                break;
            }
        }
        events
    };
    let first = run(vec!["original", "gpx", "json"]);
    let Some(BackupEvent::Finished { summary }) = first.last() else {
        panic!("no summary: {first:?}");
    };
    // Counted as the list shows them: the multisports among the 25 count once, legs inside.
    assert_eq!(
        summary.activities_new,
        sim.visible_activities() as u64,
        "{summary:?}"
    );
    assert_eq!(summary.activities_failed, 0, "{summary:?}");
    assert!(!summary.cancelled);
    assert!(summary.stopped.is_none());
    assert!(summary.files_written > 0 && summary.bytes_written > 0);
    // Garmin has no GPX for activities without a track: named, with a reason.
    assert!(
        summary.unavailable.iter().all(|u| !u.name.is_empty()),
        "{:?}",
        summary.unavailable
    );
    let mut last_done = 0;
    for e in &first[..first.len() - 1] {
        let BackupEvent::Progress {
            activities_done,
            activities_planned,
            ..
        } = e
        else {
            panic!("a second summary: {e:?}");
        };
        assert!(*activities_done >= last_done, "totals never go down");
        assert!(
            *activities_planned == 0 || *activities_planned == sim.visible_activities() as u64,
            "the plan never grows as legs turn up: {e:?}"
        );
        last_done = *activities_done;
    }
    assert_matches_simulator(&sim, &backup, &["original", "gpx"]);

    let second = run(vec!["original", "gpx", "json"]);
    let Some(BackupEvent::Finished { summary }) = second.last() else {
        panic!("no summary: {second:?}");
    };
    assert_eq!(summary.activities_new, 0, "{summary:?}");
    assert_eq!(summary.files_written, 0, "{summary:?}");
}

#[test]
fn a_cdn_block_stops_the_backup_and_the_page_learns_when_to_try_again() {
    let sim = sim(25);
    let dir = tmp();
    let backup = dir.path().join("backup");
    let app = App::on(&sim, dir.path());
    app.sign_in();
    sim.set_faults(gcexport_sim::Faults::parse("403:on=download").unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let request = serde_json::from_value(json!({
        "folder": backup, "formats": ["original"], "layout": LAYOUT, "concurrency": 4
    }))
    .unwrap();
    app.shell()
        .start_backup(request, move |e| {
            let _ = tx.send(e);
        })
        .unwrap();
    let summary = loop {
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(BackupEvent::Finished { summary }) => break summary,
            Ok(_) => {}
            Err(e) => panic!("no summary: {e}"),
        }
    };
    let stopped = serde_json::to_value(summary.stopped.as_ref().expect("stopped")).unwrap();
    assert_eq!(stopped["kind"], "rate_limited", "{stopped}");
    // The time Garmin's block lasts (an hour when the CDN does not say), not a guess.
    let until = stopped["until"].as_i64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!(until > now + 30 * 60 * 1000, "{stopped}");
    assert!(
        stopped["message"]
            .as_str()
            .unwrap()
            .contains("nothing is lost"),
        "{stopped}"
    );
}

#[test]
fn cancel_stops_the_backup_and_leaves_no_half_written_file() {
    let sim = sim(120);
    let dir = tmp();
    let backup = dir.path().join("backup");
    let app = App::on(&sim, dir.path());
    app.sign_in();
    let request = json!({"folder": backup, "formats": ["original", "gpx", "tcx"], "layout": LAYOUT, "concurrency": 4, "garmin_tracks": true});
    app.ok(
        "start_backup",
        json!({"request": request, "onEvent": CHANNEL}),
    );
    std::thread::sleep(Duration::from_millis(300));
    app.ok("cancel_backup", json!({}));
    app.wait_for_backup();
    let on_disk = files(&backup);
    assert!(on_disk.keys().all(|p| !p.ends_with(".part")), "{on_disk:?}");
    let downloads = on_disk.keys().filter(|p| p.ends_with(".zip")).count();
    assert!(
        downloads < 120,
        "the run stopped early ({downloads} originals)"
    );
    // The folder is free again: the next run starts and completes.
    app.ok(
        "start_backup",
        json!({"request": request, "onEvent": CHANNEL}),
    );
    app.wait_for_backup();
    assert_matches_simulator(&sim, &backup, &["original", "gpx", "tcx"]);
}

#[test]
fn a_folder_that_cannot_be_created_is_refused_before_the_run() {
    let sim = sim(3);
    let dir = tmp();
    let app = App::on(&sim, dir.path());
    app.sign_in();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    // Both are refused by the folder check (gcexport_backup::folder), before any run, with
    // a sentence for the page.
    let request =
        json!({"folder": file.join("sub"), "formats": ["gpx"], "layout": LAYOUT, "concurrency": 4});
    let err = app
        .call(
            "start_backup",
            json!({"request": request, "onEvent": CHANNEL}),
        )
        .unwrap_err();
    assert_eq!(err["kind"], "folder_refused", "{err}");
    assert_eq!(
        err["message"],
        format!(
            "“{}” cannot be created: “{}” is a file.",
            file.join("sub").display(),
            file.display()
        )
    );
    let relative =
        json!({"folder": "relative/path", "formats": ["gpx"], "layout": LAYOUT, "concurrency": 4});
    assert_eq!(
        app.err_kind(
            "start_backup",
            json!({"request": relative, "onEvent": CHANNEL})
        ),
        "folder_refused"
    );
    assert!(!app.shell().backup_running());
}

#[test]
fn preferences_round_trip_and_survive_a_restart() {
    let dir = tmp();
    let options = Options {
        config_dir: Some(dir.path().join("config")),
        token_store: TokenStoreChoice::Memory,
        server_url: Some("http://127.0.0.1:9".into()),
        ..Options::default()
    };
    let app = App::new(options.clone());
    let defaults = app.ok("read_preferences", json!({}));
    assert_eq!(defaults["folder"], Value::Null);
    // One set of defaults: the engine's request's, in the preferences and in what the page
    // receives to start with.
    let engine = gcexport_backup::BackupRequest::default();
    assert_eq!(defaults["formats"], json!(engine.formats));
    assert_eq!(defaults["layout"], engine.layout);
    assert_eq!(defaults["concurrency"], engine.concurrency);
    assert_eq!(defaults["garmin_tracks"], engine.garmin_tracks);
    assert_eq!(app.ok("app_info", json!({}))["defaults"], defaults);
    let prefs = json!({"folder": "/Users/ana/Garmin", "formats": ["gpx", "json", "original"], "layout": "{YYYY}/{id}", "concurrency": 2, "garmin_tracks": true});
    assert_eq!(
        app.ok("save_preferences", json!({"preferences": prefs})),
        Value::Null
    );
    let back = app.ok("read_preferences", json!({}));
    assert_eq!(back["folder"], "/Users/ana/Garmin");
    assert_eq!(back["layout"], "{YYYY}/{id}");
    assert_eq!(back["concurrency"], 2);
    assert_eq!(back["formats"], json!(["original", "gpx", "json"]));
    assert_eq!(back["garmin_tracks"], true);
    drop(app);
    let again = App::new(options);
    assert_eq!(again.ok("read_preferences", json!({})), back);
    // A file saved before the tracks choice existed still reads, with the default.
    std::fs::write(
        dir.path().join("config").join("preferences.json"),
        r#"{"folder": null, "formats": ["gpx"], "layout": "{id}", "concurrency": 3}"#,
    )
    .unwrap();
    let old = again.ok("read_preferences", json!({}));
    assert_eq!(old["formats"], json!(["gpx"]));
    assert_eq!(old["garmin_tracks"], false);
    // A format the page does not know is refused at the door, not stored.
    let bad = json!({"folder": null, "formats": ["mp3"], "layout": "x", "concurrency": 2});
    assert!(
        again
            .call("save_preferences", json!({"preferences": bad}))
            .is_err()
    );
}

#[test]
fn garmins_sign_in_window_can_call_nothing() {
    let dir = tmp();
    let app = App::new(Options {
        config_dir: Some(dir.path().to_owned()),
        token_store: TokenStoreChoice::Memory,
        server_url: Some("http://127.0.0.1:9".into()),
        ..Options::default()
    });
    let signin = tauri::WebviewWindowBuilder::new(&app.app, SIGN_IN_WINDOW, Default::default())
        .build()
        .unwrap();
    for cmd in [
        "app_info",
        "session_status",
        "read_preferences",
        "sign_out",
        "open_folder",
        "choose_export",
        "start_import",
        "open_garmin_in_browser",
        "sign_in_with_pasted_address",
    ] {
        let err = call_in(&signin, cmd, json!({"path": "/"})).unwrap_err();
        assert!(
            err.to_string().contains("not allowed"),
            "{cmd} from the sign-in window: {err}"
        );
    }
    // The same command from the main window is granted.
    assert!(app.call("app_info", json!({})).is_ok());
    // And a command that was never declared is refused everywhere.
    assert!(app.call("plugin:fs|read_file", json!({})).is_err());
}

#[test]
fn every_capability_permission_is_a_declared_command_and_the_sign_in_window_is_in_none() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let caps = root.join("src-tauri").join("capabilities");
    for entry in std::fs::read_dir(&caps).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let cap: Value = serde_json::from_str(&text).unwrap();
        assert!(
            !cap["windows"].to_string().contains(SIGN_IN_WINDOW),
            "{text}"
        );
        assert_eq!(cap["windows"], json!(["main"]));
        assert!(cap.get("remote").is_none(), "no remote URL gets IPC");
    }
}

#[test]
fn closing_garmins_window_cancels_the_sign_in_cleanly() {
    let sim = sim(3);
    let dir = tmp();
    let app = App::on(&sim, dir.path());
    let main = app.main.clone();
    let waiting = std::thread::spawn(move || {
        call_in(&main, "sign_in_with_garmin", json!({"onEvent": CHANNEL}))
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let window = loop {
        if let Some(w) = app.app.get_webview_window(SIGN_IN_WINDOW) {
            break w;
        }
        if Instant::now() >= deadline || waiting.is_finished() {
            panic!(
                "the sign-in window never opened; the command answered {:?}",
                waiting.join().ok()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        window.url().unwrap().as_str().starts_with(sim.base_url()),
        "{}",
        window.url().unwrap()
    );
    window.destroy().unwrap();
    let err = waiting.join().unwrap().unwrap_err();
    assert_eq!(err["kind"], "sign_in_cancelled", "{err}");
    assert_eq!(app.ok("session_status", json!({}))["state"], "signed_out");
}

/// Needs a Secret Service: run under `.ci/with-keyring` (a private bus and keyring in a
/// throw-away HOME), which sets `GCEXPORT_KEYRING_TESTS=1`.
#[test]
fn keyring_remembers_the_sign_in_until_sign_out() {
    if std::env::var_os("GCEXPORT_KEYRING_TESTS").is_none() {
        eprintln!("SKIPPED: run under .ci/with-keyring to use a real Secret Service");
        return;
    }
    let sim = sim(3);
    let dir = tmp();
    let start = || {
        App::new(Options {
            server_url: Some(sim.base_url().to_owned()),
            config_dir: Some(dir.path().join("config")),
            token_store: TokenStoreChoice::Keyring,
            ..Options::default()
        })
    };
    let app = start();
    app.sign_in();
    drop(app);
    let again = start();
    assert_eq!(again.ok("session_status", json!({}))["state"], "signed_in");
    again.ok("sign_out", json!({}));
    drop(again);
    assert_eq!(
        start().ok("session_status", json!({})),
        json!({"state": "signed_out", "reason": null})
    );
}

#[test]
fn a_sign_in_that_expires_while_listing_signs_the_shell_out() {
    let sim = gcexport_sim::start(SimConfig {
        activities: 3,
        seed: 5,
        access_token_ttl: Duration::from_secs(1),
        refresh_token_ttl: Duration::from_secs(1),
        ..SimConfig::default()
    })
    .unwrap();
    let dir = tmp();
    let app = App::on(&sim, dir.path());
    app.sign_in();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        app.err_kind(
            "list_activities",
            json!({"folder": null, "formats": ["original", "gpx"], "onPage": CHANNEL})
        ),
        "tokens_expired"
    );
    assert_eq!(app.ok("session_status", json!({}))["state"], "signed_out");
    assert!(!dir.path().join("tokens.json").exists());
}

#[test]
fn back_up_selected_fetches_only_the_chosen_activities() {
    let sim = sim(30);
    let dir = tmp();
    let backup = dir.path().join("backup");
    let app = App::on(&sim, dir.path());
    app.sign_in();
    let all = expected(&sim);
    let chosen: Vec<i64> = all
        .iter()
        .filter(|e| e["parentId"].is_null() && e["formats"]["gpx"]["status"] == 200)
        .skip(3)
        .take(2)
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(chosen.len(), 2);
    let request = json!({"folder": backup, "formats": ["gpx"], "layout": LAYOUT, "concurrency": 4, "selection": {"only": chosen}});
    app.ok(
        "start_backup",
        json!({"request": request, "onEvent": CHANNEL}),
    );
    app.wait_for_backup();
    let gpx: Vec<String> = files(&backup)
        .into_keys()
        .filter(|p| p.ends_with(".gpx"))
        .collect();
    assert_eq!(gpx.len(), 2, "{gpx:?}");
    for id in chosen {
        assert!(
            gpx.iter().any(|p| p.ends_with(&format!("_{id}.gpx"))),
            "{id}: {gpx:?}"
        );
    }
}

/// An app with no Garmin to talk to: an import must not need one.
fn offline_app(dir: &Path) -> App {
    App::new(Options {
        config_dir: Some(dir.join("config")),
        token_store: TokenStoreChoice::Memory,
        server_url: Some("http://127.0.0.1:9".into()),
        ..Options::default()
    })
}

/// The simulator's account data export (docs/protocol.md, "The data export") of `activities` activities, in small
/// chunks and parts so that several of each are read.
fn sim_export(dir: &Path, activities: usize) -> PathBuf {
    gcexport_testkit::write_sim_export(&dir.join("garmin export.zip"), 11, activities, 9, 7).0
}

fn import_events(app: &App, request: Value) -> Result<Vec<BackupEvent>, AppError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let request = serde_json::from_value(request).unwrap();
    tauri::async_runtime::block_on(app.shell().start_import(request, move |e| {
        let _ = tx.send(e);
    }))?;
    let mut events = Vec::new();
    while let Ok(e) = rx.recv_timeout(Duration::from_secs(120)) {
        let last = matches!(e, BackupEvent::Finished { .. });
        events.push(e);
        if last {
            return Ok(events);
        }
    }
    panic!("the import never finished: {events:?}");
}

fn summary_of(events: &[BackupEvent]) -> &garmin_connect_export::wire::Summary {
    match events.last() {
        Some(BackupEvent::Finished { summary }) => summary,
        other => panic!("no summary: {other:?}"),
    }
}

#[test]
fn an_export_imports_without_sign_in_files_and_csv_land_and_progress_arrives() {
    let dir = tmp();
    let export = sim_export(dir.path(), 30);
    let folder = dir.path().join("backup");
    let app = offline_app(dir.path());
    assert_eq!(
        app.ok("session_status", json!({}))["state"],
        "signed_out",
        "nobody is signed in"
    );
    let request = json!({
        "export": export, "folder": folder,
        "formats": ["original", "gpx", "json"], "layout": LAYOUT, "concurrency": 4
    });
    let events = import_events(&app, request.clone()).unwrap();
    let summary = summary_of(&events);
    let notes = summary
        .import
        .as_ref()
        .expect("an import says what the export held");
    assert!(notes.activities > 0 && notes.uploads > 0, "{notes:?}");
    assert_eq!(summary.activities_new, notes.activities, "{summary:?}");
    assert_eq!(summary.activities_failed, 0, "{summary:?}");
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    assert!(
        summary.stopped.is_none() && !summary.cancelled,
        "{summary:?}"
    );
    // The simulator's export holds one upload of an activity deleted since: listed, by name.
    assert_eq!(notes.unmatched_uploads.len(), 1, "{notes:?}");
    assert!(notes.unmatched_uploads[0].ends_with(".fit"), "{notes:?}");
    assert_eq!(notes.matched + 1, notes.uploads, "{notes:?}");
    // Manual activities have no file: named, and said to be manual.
    assert!(
        summary
            .unavailable
            .iter()
            .all(|u| !u.name.is_empty() && u.name != format!("Activity {}", u.id)),
        "{:?}",
        summary.unavailable
    );

    // Progress: reading the export first (found so far, nothing planned), then the run's
    // running totals, which never go down.
    let progress: Vec<_> = events[..events.len() - 1]
        .iter()
        .map(|e| match e {
            BackupEvent::Progress {
                activities_listed,
                activities_planned,
                activities_done,
                ..
            } => (*activities_listed, *activities_planned, *activities_done),
            other => panic!("a second summary: {other:?}"),
        })
        .collect();
    assert!(
        progress
            .iter()
            .any(|&(listed, planned, _)| listed > 0 && planned == 0),
        "the export's reading shows: {progress:?}"
    );
    assert!(
        progress
            .iter()
            .any(|&(_, planned, _)| planned == notes.activities),
        "{progress:?}"
    );
    let dones: Vec<u64> = progress.iter().map(|p| p.2).collect();
    assert!(dones.windows(2).all(|w| w[0] <= w[1]), "{dones:?}");

    // On disk: details for every activity (multisport legs too), an original for each but
    // those the summary names as without one, GPX made from them, the CSV, nothing
    // half-written.
    let on_disk = files(&folder);
    assert!(on_disk.keys().all(|p| !p.ends_with(".part")), "{on_disk:?}");
    // Activity files only: the export's health data (its own JSON) lands under health/.
    let count = |ext: &str| {
        on_disk
            .keys()
            .filter(|p| p.ends_with(ext) && !p.starts_with("health/"))
            .count()
    };
    let details = count(".json");
    assert!(
        details as u64 >= notes.activities,
        "{details} details for {notes:?}"
    );
    let without_original = summary
        .unavailable
        .iter()
        .filter(|u| u.format == garmin_connect_export::wire::Format::Original)
        .count();
    assert!(without_original > 0, "the export has manual activities");
    assert_eq!(count(".zip"), details - without_original, "{on_disk:?}");
    assert!(count(".gpx") > 0, "{on_disk:?}");
    let csv = std::fs::read_to_string(folder.join("activities.csv")).unwrap();
    for id in summary.unavailable.iter().map(|u| u.id) {
        assert!(csv.contains(&id.to_string()), "{id} has its CSV row");
    }

    // Through the real command, as the page calls it: granted to the main window, and the
    // second import finds nothing new.
    app.ok(
        "start_import",
        json!({"request": request, "onEvent": CHANNEL}),
    );
    app.wait_for_backup();
    assert_eq!(files(&folder), on_disk, "nothing written twice");
    let again = import_events(
        &app,
        json!({"export": export, "folder": folder, "formats": ["original"], "layout": LAYOUT, "concurrency": 4}),
    )
    .unwrap();
    let s = summary_of(&again);
    assert_eq!((s.activities_new, s.files_written), (0, 0), "{s:?}");
}

/// The app imports the export's health folders after its activities, as `gcexport import`
/// does: the tables land, the summary counts the days and says what the export cannot fill,
/// and a second import writes nothing.
#[test]
fn an_exports_health_data_is_imported_too_and_what_it_cannot_fill_is_said() {
    let dir = tmp();
    let export = sim_export(dir.path(), 12);
    let folder = dir.path().join("backup");
    let app = offline_app(dir.path());
    let request = json!({
        "export": export, "folder": folder,
        "formats": ["original"], "layout": LAYOUT, "concurrency": 4
    });
    let events = import_events(&app, request.clone()).unwrap();
    let summary = summary_of(&events);
    assert!(summary.stopped.is_none(), "{summary:?}");
    let health = summary
        .health
        .as_ref()
        .expect("the health part is reported");
    assert!(health.stopped.is_none(), "{health:?}");
    assert!(health.days_fetched > 30, "{health:?}");
    assert_eq!(health.days_failed, 0, "{health:?}");
    assert!(health.weigh_ins > 0 && health.records > 0, "{health:?}");
    for table in [
        "health/daily.csv",
        "health/sleep.csv",
        "health/weight.csv",
        "records.csv",
    ] {
        let text = std::fs::read_to_string(folder.join(table)).unwrap_or_default();
        assert!(text.lines().count() > 1, "{table} has rows");
    }
    let missing = &summary.import.as_ref().unwrap().not_in_export;
    assert!(
        missing
            .iter()
            .any(|m| m.file == "health/daily.csv" && m.column.as_deref() == Some("HRV Status")),
        "{missing:?}"
    );
    assert!(missing.iter().all(|m| !m.why.is_empty()), "{missing:?}");

    let before = files(&folder);
    let events = import_events(&app, request).unwrap();
    let again = summary_of(&events);
    let health_again = again.health.as_ref().unwrap();
    assert_eq!(health_again.days_fetched, 0, "{health_again:?}");
    assert_eq!(
        health_again.days_skipped, health.days_fetched,
        "{health_again:?}"
    );
    assert_eq!(files(&folder), before, "nothing written twice");

    // Activities alone: the export's health folders are left where they are.
    let other = dir.path().join("activities only");
    let only = json!({
        "export": export, "folder": other, "formats": ["original"], "layout": LAYOUT,
        "concurrency": 4, "what": {"activities": true, "health": false, "records": false, "gear": true}
    });
    let events = import_events(&app, only).unwrap();
    let s = summary_of(&events);
    assert!(s.health.is_none(), "{s:?}");
    assert!(!other.join("health").exists());
}

#[test]
fn what_is_not_an_export_is_refused_with_its_kind_and_nothing_is_written() {
    let dir = tmp();
    let folder = dir.path().join("backup");
    let app = offline_app(dir.path());
    let try_import = |export: &Path| -> String {
        let err = app
            .call(
                "start_import",
                json!({"request": {
                    "export": export, "folder": folder,
                    "formats": ["original"], "layout": LAYOUT, "concurrency": 4
                }, "onEvent": CHANNEL}),
            )
            .expect_err("refused");
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{err}"
        );
        err["kind"].as_str().unwrap().to_owned()
    };
    // A ZIP, but not Garmin's (an empty archive is 22 bytes: its end record).
    let empty_zip = dir.path().join("holiday photos.zip");
    let mut eocd = b"PK\x05\x06".to_vec();
    eocd.resize(22, 0);
    std::fs::write(&empty_zip, eocd).unwrap();
    assert_eq!(try_import(&empty_zip), "not_an_export");
    // A folder that holds no export.
    let other = dir.path().join("Downloads");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "hello").unwrap();
    assert_eq!(try_import(&other), "not_an_export");
    // Not a ZIP at all, and a download cut short (the ZIP's directory is at its end).
    let text = dir.path().join("export.zip");
    std::fs::write(&text, "this is not a zip").unwrap();
    assert_eq!(try_import(&text), "export_damaged");
    let real = std::fs::read(sim_export(dir.path(), 5)).unwrap();
    let cut = dir.path().join("cut short.zip");
    std::fs::write(&cut, &real[..real.len() / 2]).unwrap();
    assert_eq!(try_import(&cut), "export_damaged");
    assert_eq!(try_import(&dir.path().join("gone.zip")), "export_damaged");
    assert_eq!(try_import(Path::new("relative.zip")), "not_an_export");

    assert!(!folder.exists(), "a refused import creates no folder");
    assert!(!app.shell().backup_running(), "the slot is free again");
    // A start with no sign-in stays refused for a backup.
    assert_eq!(
        app.err_kind(
            "start_backup",
            json!({"request": {"folder": folder, "formats": ["gpx"], "layout": LAYOUT, "concurrency": 4}, "onEvent": CHANNEL})
        ),
        "not_signed_in"
    );
}

#[test]
fn cancel_stops_an_import_keeps_what_is_complete_and_the_next_one_finishes() {
    let dir = tmp();
    let export = sim_export(dir.path(), 200);
    let folder = dir.path().join("backup");
    let app = offline_app(dir.path());
    let request = json!({
        "export": export, "folder": folder,
        "formats": ["original", "gpx", "tcx"], "layout": LAYOUT, "concurrency": 4
    });
    let (tx, rx) = std::sync::mpsc::channel();
    tauri::async_runtime::block_on(app.shell().start_import(
        serde_json::from_value(request.clone()).unwrap(),
        move |e| {
            let _ = tx.send(e);
        },
    ))
    .unwrap();
    // The export is open and the run under way: Cancel, as the page's button does.
    app.ok("cancel_backup", json!({}));
    let summary = loop {
        match rx.recv_timeout(Duration::from_secs(120)).unwrap() {
            BackupEvent::Finished { summary } => break summary,
            BackupEvent::Progress { .. } => {}
        }
    };
    assert!(summary.cancelled, "{summary:?}");
    assert!(summary.stopped.is_none(), "a cancel is not a failure");
    let notes = summary.import.clone().unwrap();
    assert!(summary.activities_new < notes.activities, "{summary:?}");
    assert!(files(&folder).keys().all(|p| !p.ends_with(".part")));
    app.wait_for_backup();

    let events = import_events(&app, request).unwrap();
    let s = summary_of(&events);
    assert!(!s.cancelled && s.failed.is_empty(), "{s:?}");
    assert_eq!(
        s.activities_new + s.activities_skipped,
        notes.activities,
        "together the two runs imported everything: {s:?}"
    );
}

/// What the page receives when `cmd` refuses `folder`.
fn refusal(app: &App, cmd: &str, folder: &str) -> Value {
    let args = match cmd {
        "start_backup" => json!({
            "request": {"folder": folder, "formats": ["gpx"], "layout": LAYOUT, "concurrency": 4},
            "onEvent": CHANNEL
        }),
        "start_import" => json!({
            "request": {"export": "/nowhere/garmin-export.zip", "folder": folder, "formats": ["original"], "layout": LAYOUT, "concurrency": 4},
            "onEvent": CHANNEL
        }),
        _ => json!({"path": folder}),
    };
    match app.call(cmd, args) {
        Ok(v) => panic!("{cmd} accepted {folder:?}: {v}"),
        Err(e) => e,
    }
}

#[test]
fn typed_folders_the_app_must_not_write_into_are_refused_with_the_message_the_page_shows() {
    let sim = sim(3);
    let dir = tmp();
    let app = App::on(&sim, dir.path());
    app.sign_in();
    let home = std::env::home_dir()
        .expect("a home folder")
        .display()
        .to_string();
    let example = format!("{}/Garmin", home.trim_end_matches('/'));
    let share = format!("/{}", dir.path().join("share").display());
    std::fs::create_dir(dir.path().join("share")).unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, b"x").unwrap();
    let file = file.display().to_string();
    let cases = [
        (
            "relative/path".to_owned(),
            format!(
                "“relative/path” is not a full path: choose the folder with Choose…, or type its full path (for example {example})."
            ),
        ),
        (
            // `//tmp/...` is this machine's own folder to Linux, another computer's share to
            // Windows and to a person typing it: a typed one is refused.
            share.clone(),
            format!(
                "“{share}” is a folder on another computer. To back up to a network folder, choose it with Choose…"
            ),
        ),
        (
            "\\\\nas\\backups".to_owned(),
            format!(
                "“\\\\nas\\backups” is not a full path: choose the folder with Choose…, or type its full path (for example {example})."
            ),
        ),
        (
            "/".to_owned(),
            format!("“/” is a system folder: choose a folder of your own (for example {example})."),
        ),
        (
            "/etc/garmin".to_owned(),
            format!(
                "“/etc/garmin” is a system folder: choose a folder of your own (for example {example})."
            ),
        ),
        (
            "/usr/../etc".to_owned(),
            format!(
                "“/etc” is a system folder: choose a folder of your own (for example {example})."
            ),
        ),
        (
            home.clone(),
            format!(
                "“{}” is your home folder itself: a backup would mix with everything in it. Choose a folder inside it (for example {example}).",
                home.trim_end_matches('/')
            ),
        ),
        (
            file.clone(),
            format!("“{file}” is a file, not a folder: choose a folder."),
        ),
    ];
    for cmd in ["start_backup", "start_import", "open_folder"] {
        for (folder, message) in &cases {
            let err = refusal(&app, cmd, folder);
            assert_eq!(err["kind"], "folder_refused", "{cmd} {folder}: {err}");
            assert_eq!(err["message"], message.as_str(), "{cmd} {folder}");
            assert_eq!(err["path"], folder.as_str(), "{cmd} {folder}");
        }
    }
    assert!(!app.shell().backup_running());
    assert!(!dir.path().join("share").join(backup_state_file()).exists());
}

fn backup_state_file() -> &'static str {
    gcexport_backup::STATE_FILE
}

#[test]
fn a_folder_the_picker_returned_may_be_a_network_path_that_a_typed_one_may_not() {
    let sim = sim(3);
    let dir = tmp();
    let app = App::on(&sim, dir.path());
    app.sign_in();
    std::fs::create_dir(dir.path().join("share")).unwrap();
    // Linux reads `//tmp/x` as `/tmp/x`: a "network path" this machine can really write to.
    let share = format!("/{}", dir.path().join("share").display());
    let request = json!({"folder": share, "formats": ["gpx"], "layout": LAYOUT, "concurrency": 4});
    let err = app
        .call(
            "start_backup",
            json!({"request": request, "onEvent": CHANNEL}),
        )
        .unwrap_err();
    assert_eq!(err["kind"], "folder_refused", "{err}");
    // The person picks that folder in the system's dialog: now it is theirs to use.
    assert_eq!(
        app.shell().picked_folder(Some(share.clone())),
        Some(share.clone())
    );
    app.ok(
        "start_backup",
        json!({"request": request, "onEvent": CHANNEL}),
    );
    app.wait_for_backup();
    assert!(dir.path().join("share").join(backup_state_file()).is_file());
}

#[test]
fn garmins_sign_in_window_goes_to_https_and_to_plain_http_on_this_computer_only() {
    use garmin_connect_export::sign_in_window_may_open as may_open;
    let open = |u: &str| may_open(&u.parse().unwrap());
    for allowed in [
        "https://sso.garmin.com/mobile/sso/en_US/sign-in?clientId=x",
        "https://www.google.com/recaptcha/api2/anchor",
        "http://127.0.0.1:40593/mobile/sso/en_US/sign-in",
        "http://127.1:8080/",
        "http://localhost:3000/",
        "http://LOCALHOST/",
        "http://[::1]:8080/",
    ] {
        assert!(open(allowed), "{allowed}");
    }
    for refused in [
        "http://sso.garmin.com/mobile/sso/en_US/sign-in",
        "http://192.0.2.2:8080/sign-in",
        "http://10.0.0.1/",
        "http://localhost.evil.example/",
        "http://127.0.0.1.nip.io/",
        "http://[::ffff:8.8.8.8]/",
        "ftp://127.0.0.1/",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "data:text/html,<p>x</p>",
        "about:blank",
        "garmin://sign-in",
    ] {
        assert!(!open(refused), "{refused}");
    }
}

/// The real `gcexport` binary next to this test's own (cargo builds it for the CLI's
/// tests; built here if this test runs alone).
fn gcexport_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let bin = dir.join(format!("gcexport{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "-p", "gcexport-cli", "--bin", "gcexport"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the gcexport binary could not be built");
    }
    bin
}

/// A password sign-in through the CLI, in `config` as the shared folder and without HOME.
fn cli_sign_in(sim: &Sim, dir: &Path, config: &Path) -> std::process::Output {
    std::process::Command::new(gcexport_binary())
        .arg("--server")
        .arg(sim.base_url())
        .arg("--session")
        .arg(dir.join("cli-session"))
        .arg("-d")
        .arg(dir.join("cli-backup"))
        .args([
            "--username",
            "demo@example.com",
            "--password",
            "demo-password",
        ])
        .env("GCEXPORT_CONFIG_DIR", config)
        .env_remove("HOME")
        .env_remove("GCEXPORT_PROFILE")
        .output()
        .expect("gcexport runs")
}

/// Issue 13 item 6: one sign-in cool-down for both front ends. A 429 at sign-in in the CLI
/// makes the app refuse a password sign-in (without asking Garmin) for the cool-down's
/// length, and the other way round. Before: each kept its own file (the CLI in its
/// session folder, or none without HOME), so the other front end signed in again at once.
#[test]
fn a_429_at_sign_in_in_one_front_end_pauses_the_other() {
    let sim = sim(3);
    let cooldown_left = |err: &Value| {
        let until = err["until"].as_i64().expect("a rate limit says until when");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        Duration::from_millis((until - now).max(0) as u64)
    };

    // The CLI meets the 429; the app then refuses.
    let dir = tmp();
    let config = dir.path().join("config");
    sim.set_faults(gcexport_sim::Faults::parse("429:on=sso").unwrap());
    let out = cli_sign_in(&sim, dir.path(), &config);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    sim.set_faults(gcexport_sim::Faults::none());
    sim.reset_stats();
    let app = App::on(&sim, dir.path());
    let err = app
        .call(
            "sign_in_with_password",
            json!({"email": "demo@example.com", "password": "demo-password", "remember": true}),
        )
        .expect_err("the app waits out the CLI's cool-down");
    assert_eq!(err["kind"], "rate_limited", "{err}");
    let left = cooldown_left(&err);
    assert!(left > Duration::from_secs(29 * 60), "{left:?}");
    assert_eq!(sim.stats().requests, 0, "no sign-in request reached Garmin");
    drop(app);

    // The app meets the 429; the CLI then refuses.
    let dir = tmp();
    let config = dir.path().join("config");
    let app = App::on(&sim, dir.path());
    sim.set_faults(gcexport_sim::Faults::parse("429:on=sso").unwrap());
    assert_eq!(
        app.err_kind(
            "sign_in_with_password",
            json!({"email": "demo@example.com", "password": "demo-password", "remember": true}),
        ),
        "rate_limited"
    );
    sim.set_faults(gcexport_sim::Faults::none());
    sim.reset_stats();
    let out = cli_sign_in(&sim, dir.path(), &config);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("try again after"), "{stderr}");
    assert_eq!(sim.stats().requests, 0, "no sign-in request reached Garmin");
}

/// Signs in on the simulator's page as the person's own browser would (the page first, for
/// its cookies, then the JSON login) and answers the address the page ends on.
fn browser_sign_in(page: &str) -> String {
    let page_url = reqwest::Url::parse(page).unwrap();
    let service = page_url
        .query_pairs()
        .find(|(k, _)| k == "service")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let origin = page_url.origin().ascii_serialization();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answer: Value = rt.block_on(async {
        let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
        browser.get(page).send().await.unwrap().error_for_status().unwrap();
        browser
            .post(format!("{origin}/mobile/api/login"))
            .query(&[("clientId", "GCM_IOS_DARK"), ("service", service.as_str())])
            .json(&json!({"username": "demo@example.com", "password": "demo-password", "rememberMe": true, "captchaToken": ""}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let ticket = answer["serviceTicketId"].as_str().unwrap();
    format!("{service}?ticket={ticket}")
}

#[test]
fn the_browser_fallback_opens_garmins_page_and_signs_in_with_the_pasted_address() {
    let sim = sim(3);
    let dir = tmp();
    let record = dir.path().join("opened.txt");
    let app = App::new(Options {
        server_url: Some(sim.base_url().to_owned()),
        config_dir: Some(dir.path().join("config")),
        token_store: TokenStoreChoice::Memory,
        record_opened: Some(record.clone()),
        ..Options::default()
    });
    let page = app.ok("open_garmin_in_browser", json!({}));
    let page = page.as_str().unwrap().to_owned();
    assert_eq!(
        std::fs::read_to_string(&record).unwrap(),
        format!("{page}\n")
    );
    assert!(
        page.starts_with(&format!("{}/mobile/sso/en_US/sign-in?", sim.base_url())),
        "{page}"
    );

    // Bad pastes are refused with a kind of their own, and nothing reaches Garmin.
    sim.reset_stats();
    for bad in ["", "hello", &page, "ST-12"] {
        assert_eq!(
            app.err_kind("sign_in_with_pasted_address", json!({"text": bad})),
            "not_a_ticket",
            "{bad}"
        );
    }
    assert_eq!(sim.stats().requests, 0, "a bad paste reached the simulator");

    let address = browser_sign_in(&page);
    let account = app.ok(
        "sign_in_with_pasted_address",
        json!({"text": format!("  {address}\n")}),
    );
    assert!(account["display_name"].is_string(), "{account}");
    assert_eq!(app.ok("session_status", json!({}))["state"], "signed_in");

    // The ticket was spent by that exchange: pasting it again is Garmin's refusal.
    assert_eq!(
        app.err_kind("sign_in_with_pasted_address", json!({"text": address})),
        "ticket_rejected"
    );
}

/// The app's summary lists what is missing exactly as `gcexport -v` does
/// (crates/cli/tests/report.rs): the same account, the same formats, one entry per activity
/// and format that Garmin lacks, named as in Garmin Connect, each with the engine's reason.
#[test]
fn the_summary_lists_every_missing_format_per_activity_as_the_cli_does() {
    use gcexport_sim::account;
    let sim = gcexport_sim::start(SimConfig {
        activities: 40,
        seed: 42,
        ..SimConfig::default()
    })
    .expect("the simulator starts");
    let dir = tmp();
    let backup = dir.path().join("backup");
    let app = App::on(&sim, dir.path());
    app.sign_in();
    let (tx, rx) = std::sync::mpsc::channel();
    let request = serde_json::from_value(json!({
        "folder": backup, "formats": ["gpx", "tcx"], "layout": LAYOUT, "concurrency": 4
    }))
    .unwrap();
    app.shell()
        .start_backup(request, move |e| {
            let _ = tx.send(e);
        })
        .unwrap();
    let summary = loop {
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(BackupEvent::Finished { summary }) => break summary,
            Ok(_) => {}
            Err(e) => panic!("no summary: {e}"),
        }
    };

    let mut want = std::collections::BTreeSet::new();
    for a in gcexport_testkit::newest_with_legs(sim.account(), 40) {
        for (format, f) in [
            (Format::Gpx, account::Format::Gpx),
            (Format::Tcx, account::Format::Tcx),
        ] {
            if !gcexport_testkit::serves(&a, f) {
                want.insert((a.id(), a.name().to_owned(), format));
            }
        }
    }
    let got: std::collections::BTreeSet<_> = summary
        .unavailable
        .iter()
        .map(|u| (u.id, u.name.clone(), u.format))
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    assert_eq!(got.len(), summary.unavailable.len(), "each said once");
    use garmin_connect_export::wire::UnavailableReason as R;
    let reasons: std::collections::BTreeSet<_> =
        summary.unavailable.iter().map(|u| u.reason).collect();
    // The reasons the CLI's grouped line names for this account.
    for r in [R::NoTrack, R::Manual, R::UploadedTrack] {
        assert!(reasons.contains(&r), "{r:?} in {reasons:?}");
    }
}
