//! `gcexport schedule`: the OS scheduler entries. The Linux one is installed for real (into a
//! temporary XDG_CONFIG_HOME) and checked by systemd's own `systemd-analyze verify`; the macOS
//! plist and the Windows task XML cannot be loaded here, so they are read back as what their
//! systems read: a property list (the `plist` crate, Apple's format) and well-formed XML with
//! the daily trigger.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn gcexport(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gcexport"))
        .arg("schedule")
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("GCEXPORT_LOG")
        .output()
        .expect("gcexport runs")
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn units(home: &Path) -> (PathBuf, PathBuf) {
    let dir = home.join("config/systemd/user");
    (
        dir.join("gcexport-backup.service"),
        dir.join("gcexport-backup.timer"),
    )
}

/// A folder name with what systemd, XML and Windows' quoting each treat specially.
const AWKWARD: &str = "Garmin & backups 100% \"mine\" $HOME";

#[test]
fn install_writes_a_systemd_timer_that_systemd_accepts() {
    let home = tempfile::tempdir().expect("tempdir");
    let folder = home.path().join(AWKWARD);
    let out = gcexport(
        home.path(),
        &[
            "install",
            "--no-enable",
            "-d",
            folder.to_str().expect("utf-8"),
            "--at",
            "07:30",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let (service, timer) = units(home.path());
    let service_text = std::fs::read_to_string(&service).expect("service written");
    let timer_text = std::fs::read_to_string(&timer).expect("timer written");
    assert!(
        timer_text.contains("OnCalendar=*-*-* 07:30:00\n"),
        "{timer_text}"
    );
    assert!(timer_text.contains("Persistent=true\n"), "{timer_text}");
    assert!(service_text.contains("Type=oneshot\n"), "{service_text}");
    // Quoted, with `%` and `$` escaped: systemd would otherwise expand them.
    assert!(
        service_text.contains("\"--directory\" \"")
            && service_text.contains("100%% \\\"mine\\\" $$HOME\""),
        "{service_text}"
    );
    assert!(
        !service_text.to_lowercase().contains("password"),
        "{service_text}"
    );

    // systemd's own judgement. `--user verify` loads the units as the user's service manager
    // would, checks every directive and that ExecStart's program exists; it wants a runtime
    // folder of its own, which a CI container's user lacks.
    let runtime = home.path().join("run");
    std::fs::create_dir(&runtime).expect("runtime dir");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    }
    match Command::new("systemd-analyze")
        .args(["--user", "verify"])
        .arg(&service)
        .arg(&timer)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .output()
    {
        Ok(verify) => {
            let stderr = String::from_utf8_lossy(&verify.stderr);
            // Warnings about the host's own units (this container's /etc) are not ours.
            let ours: Vec<&str> = stderr
                .lines()
                .filter(|l| l.contains("gcexport-backup"))
                .collect();
            assert!(
                verify.status.success() && ours.is_empty(),
                "systemd-analyze verify refused the units:\n{stderr}\n{service_text}\n{timer_text}"
            );
        }
        Err(e) => panic!(
            "SYSTEMD-ANALYZE IS MISSING ({e}): the unit cannot be verified here. \
             .ci/install-deps installs it (Debian package systemd)."
        ),
    }

    // The entry runs the same folder from anywhere: its path is absolute.
    let status = gcexport(home.path(), &["status"]);
    let status_text = text(&status);
    assert!(status.status.success(), "{status_text}");
    assert!(status_text.contains("installed:"), "{status_text}");
    assert!(
        status_text.contains("when: *-*-* 07:30:00"),
        "{status_text}"
    );
    assert!(
        status_text.contains(&format!("{}", home.path().display())),
        "{status_text}"
    );

    let removed = gcexport(home.path(), &["remove"]);
    assert!(removed.status.success(), "{}", text(&removed));
    assert!(!service.exists() && !timer.exists());
    let status = gcexport(home.path(), &["status"]);
    assert!(String::from_utf8_lossy(&status.stdout).contains("not installed"));
}

#[test]
fn a_relative_folder_becomes_absolute() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_gcexport"))
        .args(["schedule", "show", "--for", "linux", "-d", "backup"])
        .current_dir(home.path())
        .env("HOME", home.path())
        .output()
        .expect("runs");
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    let want = format!("\"{}\"", home.path().join("backup").display());
    assert!(shown.contains(&want), "{want} in {shown}");
}

#[test]
fn enabling_without_a_user_manager_says_how_to_finish() {
    // Without --no-enable, install asks systemctl --user. Where that works the timer is
    // enabled (and removed again below); where it cannot (no user session bus, as in CI
    // containers), the files stay and the message names the command to run.
    let home = tempfile::tempdir().expect("tempdir");
    let folder = home.path().join("backup");
    let out = gcexport(
        home.path(),
        &["install", "-d", folder.to_str().expect("utf-8")],
    );
    let shown = text(&out);
    let (service, timer) = units(home.path());
    assert!(service.exists() && timer.exists(), "{shown}");
    if out.status.success() {
        assert!(
            shown.contains("installed: gcexport backs up into"),
            "{shown}"
        );
    } else {
        assert_eq!(out.status.code(), Some(1), "{shown}");
        assert!(
            shown.contains("systemctl --user enable --now gcexport-backup.timer"),
            "{shown}"
        );
    }
    let removed = gcexport(home.path(), &["remove"]);
    assert!(removed.status.success(), "{}", text(&removed));
}

#[test]
fn a_password_is_never_put_in_an_entry() {
    let home = tempfile::tempdir().expect("tempdir");
    for flag in ["--password", "--ticket"] {
        let out = gcexport(home.path(), &["install", "-d", "x", flag, "hunter2-secret"]);
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(2), "{shown}");
        assert!(shown.contains("never holds a password"), "{shown}");
        assert!(!shown.contains("hunter2-secret"), "{shown}");
    }
    assert!(!home.path().join("config").exists(), "nothing written");
}

#[test]
fn bad_options_fail_at_install_not_every_morning() {
    let home = tempfile::tempdir().expect("tempdir");
    for args in [
        &["install", "-d", "x", "--format", "original,mp3"][..],
        &["install", "-d", "x", "--at", "25:00"][..],
        &["install", "-d", "x", "--template", "{nonsense}"][..],
    ] {
        let out = gcexport(home.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
    }
    assert!(!home.path().join("config").exists(), "nothing written");
}

fn shown_for(target: &str, home: &Path, folder: &str) -> String {
    let out = gcexport(
        home,
        &[
            "show",
            "--for",
            target,
            "-d",
            folder,
            "--at",
            "06:45",
            "-f",
            "original,tcx",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    // `show` prints "# PATH" then the file.
    stdout
        .split_once('\n')
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

#[test]
fn the_launchd_agent_is_a_property_list_with_a_daily_interval() {
    let home = tempfile::tempdir().expect("tempdir");
    let folder = home.path().join(AWKWARD);
    let body = shown_for("macos", home.path(), folder.to_str().expect("utf-8"));
    let value = plist::Value::from_reader_xml(body.as_bytes())
        .unwrap_or_else(|e| panic!("not a plist: {e}\n{body}"));
    let dict = value.as_dictionary().expect("a dictionary");
    assert_eq!(
        dict.get("Label").and_then(|v| v.as_string()),
        Some("io.github.gcexport.backup")
    );
    let program: Vec<&str> = dict
        .get("ProgramArguments")
        .and_then(|v| v.as_array())
        .expect("ProgramArguments")
        .iter()
        .map(|v| v.as_string().expect("strings"))
        .collect();
    assert_eq!(program[0], env!("CARGO_BIN_EXE_gcexport"));
    assert_eq!(
        &program[1..],
        [
            "--directory",
            folder.to_str().expect("utf-8"),
            "--format",
            "original,tcx"
        ]
    );
    let interval = dict
        .get("StartCalendarInterval")
        .and_then(|v| v.as_dictionary())
        .expect("StartCalendarInterval");
    assert_eq!(
        interval.get("Hour").and_then(|v| v.as_signed_integer()),
        Some(6)
    );
    assert_eq!(
        interval.get("Minute").and_then(|v| v.as_signed_integer()),
        Some(45)
    );
    // Only hour and minute: a day key would make it weekly or monthly.
    assert_eq!(interval.len(), 2);
    assert!(!body.to_lowercase().contains("password"));
}

#[test]
fn the_windows_task_is_well_formed_xml_with_a_daily_trigger() {
    let home = tempfile::tempdir().expect("tempdir");
    let folder = home.path().join(AWKWARD);
    let body = shown_for("windows", home.path(), folder.to_str().expect("utf-8"));
    // Read it through, as Task Scheduler would: every element, collecting the text of the
    // ones the schedule depends on.
    let mut reader = quick_xml::Reader::from_str(&body);
    let mut path: Vec<String> = Vec::new();
    let mut found: Vec<(String, String)> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) => {
                path.push(e.name().0.to_owned());
                text.clear();
            }
            Ok(quick_xml::events::Event::End(e)) => {
                if !text.trim().is_empty() {
                    found.push((path.join("/"), std::mem::take(&mut text)));
                }
                text.clear();
                let open = path.pop();
                assert_eq!(
                    open.as_deref(),
                    Some(e.name().0),
                    "mismatched tags in\n{body}"
                );
            }
            Ok(quick_xml::events::Event::Text(t)) => text.push_str(&t.xml10_content()),
            // quick-xml hands entity references over apart from the text around them.
            Ok(quick_xml::events::Event::GeneralRef(r)) => {
                text.push(match &*r {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    other => panic!("undefined entity &{other}; in\n{body}"),
                });
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "not well-formed at {}: {e}\n{body}",
                reader.buffer_position()
            ),
        }
    }
    assert!(path.is_empty(), "unclosed elements {path:?}");
    let get = |p: &str| {
        found
            .iter()
            .find(|(k, _)| k == p)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {p} in\n{body}"))
    };
    let trigger = "Task/Triggers/CalendarTrigger";
    assert!(get(&format!("{trigger}/StartBoundary")).ends_with("T06:45:00"));
    assert_eq!(get(&format!("{trigger}/ScheduleByDay/DaysInterval")), "1");
    assert_eq!(get("Task/Settings/StartWhenAvailable"), "true");
    assert_eq!(
        get("Task/Principals/Principal/LogonType"),
        "InteractiveToken"
    );
    assert_eq!(
        get("Task/Actions/Exec/Command"),
        env!("CARGO_BIN_EXE_gcexport")
    );
    // Windows splits the arguments back as CommandLineToArgvW does: the folder with its
    // quotes escaped is one argument.
    let args = get("Task/Actions/Exec/Arguments");
    let want_folder = folder.to_str().expect("utf-8").replace('"', "\\\"");
    assert_eq!(
        args,
        format!("--directory \"{want_folder}\" --format original,tcx"),
        "{body}"
    );
}
