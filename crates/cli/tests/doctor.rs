#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `gcexport doctor`: the saved sign-in (or one the user asks for on that command) and one
//! list call, then a diagnostic report with statuses and CDN markers and no secret.

mod common;

use std::process::Command;

use common::*;
use gcexport_sim::{Faults, SimConfig};

fn doctor(sim: &gcexport_sim::Sim, session: &std::path::Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gcexport"));
    cmd.arg("doctor")
        .arg("--server")
        .arg(sim.base_url())
        .arg("--session")
        .arg(session)
        .args(extra)
        .env_remove("GCEXPORT_PROFILE")
        .env("GCEXPORT_CONFIG_DIR", session);
    cmd
}

#[test]
fn doctor_never_signs_in_by_itself_and_reports_a_password_sign_in_without_secrets() {
    let sim = sim(SimConfig {
        activities: 5,
        ..SimConfig::default()
    });
    let t = tmp();
    let session = path(&t, "session");

    // Nothing saved and no credentials given: no request to the SSO at all.
    let out = run(doctor(&sim, &session, &[]));
    assert_eq!(out.status.code(), Some(3));
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("saved sign-in"), "{report}");
    assert!(report.contains("none saved"), "{report}");
    assert_eq!(sim.stats().logins, 0);

    // Asked on this command: page, login, exchange, token check, list call.
    let out = run(doctor(
        &sim,
        &session,
        &["--username", EMAIL, "--password", PASSWORD],
    ));
    assert_eq!(out.status.code(), Some(0));
    let report = String::from_utf8(out.stdout).unwrap();
    for step in [
        "sign-in page",
        "login",
        "exchange",
        "token check",
        "list call",
    ] {
        assert!(report.contains(step), "{step} missing:\n{report}");
    }
    assert!(report.contains("outcome: signed in"), "{report}");
    assert!(report.contains("server=cloudflare cf-ray="), "{report}");
    for secret in [EMAIL, PASSWORD, "ST-", "SESSION", "__cf_bm"] {
        assert!(!report.contains(secret), "{secret} in:\n{report}");
    }
    let tokens = std::fs::read_dir(&session)
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().starts_with("tokens"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .expect("the sign-in was kept");
    let tokens: serde_json::Value = serde_json::from_str(&tokens).unwrap();
    for key in ["access_token", "refresh_token"] {
        let value = tokens[key].as_str().unwrap();
        assert!(!report.contains(value), "{key} in:\n{report}");
    }

    // Then the saved sign-in, with no password: one token check and the list call.
    let logins = sim.stats().logins;
    let out = run(doctor(&sim, &session, &[]));
    assert_eq!(out.status.code(), Some(0));
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("saved tokens found"), "{report}");
    assert_eq!(sim.stats().logins, logins);
}

#[test]
fn doctor_shows_a_human_check_on_the_login() {
    let sim = sim(SimConfig {
        activities: 5,
        faults: Faults::parse("challenge:on=/mobile/api/login").unwrap(),
        ..SimConfig::default()
    });
    let t = tmp();
    let session = path(&t, "session");
    let out = run(doctor(
        &sim,
        &session,
        &["--username", EMAIL, "--password", PASSWORD],
    ));
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Garmin's site asked for a human check"),
        "{stderr}"
    );
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("HTTP 403"), "{report}");
    assert!(report.contains("human check"), "{report}");
    println!("{report}");
}
