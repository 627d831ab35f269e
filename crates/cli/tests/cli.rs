#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `gcexport` against the simulator: real HTTP, real files, the real binary.

mod common;

use std::time::Duration;

use common::*;
use gcexport_backup::Format;
use gcexport_sim::SimConfig;

const FORMATS: [Format; 3] = [Format::Gpx, Format::Tcx, Format::Original];
const F: &str = "gpx,tcx,original";

fn small(activities: usize) -> SimConfig {
    SimConfig {
        activities,
        seed: 7,
        ..SimConfig::default()
    }
}

#[test]
fn a_full_run_holds_every_format_byte_for_byte_and_a_row_per_activity() {
    let sim = sim(small(45));
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    let out = run(gcexport(
        &sim,
        &dir,
        &session,
        true,
        &["-c", "all", "--garmin-tracks", "-f", F, "-u"],
    ));
    assert_eq!(out.status.code(), Some(0));
    assert_matches_simulator(&sim, &dir, &FORMATS, true);
    let stats = sim.stats();
    eprintln!(
        "full run: {} requests, peak {} concurrent, {} connections",
        stats.requests, stats.peak_concurrent_requests, stats.connections
    );
    assert!(
        stats.peak_concurrent_requests <= 4,
        "default concurrency is 4"
    );
    let expected = expected(&sim);
    assert!(
        expected.iter().any(|e| !e["parentId"].is_null()),
        "the account has multisport legs"
    );
}

#[test]
fn a_rerun_with_nothing_new_makes_at_most_two_requests_and_five_new_fetch_only_those() {
    let sim = sim(SimConfig {
        withheld: 5,
        ..small(40)
    });
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    let out = run(gcexport(
        &sim,
        &dir,
        &session,
        true,
        &["--garmin-tracks", "-f", F],
    ));
    assert_eq!(out.status.code(), Some(0));

    // As a gcexport.py script would: the password again. The saved sign-in is used.
    sim.reset_stats();
    let out = run(gcexport(
        &sim,
        &dir,
        &session,
        true,
        &["--garmin-tracks", "-f", F],
    ));
    assert_eq!(out.status.code(), Some(0));
    let stats = sim.stats();
    eprintln!(
        "re-run requests: {} {:?}",
        stats.requests, stats.by_endpoint
    );
    assert!(stats.requests <= 2, "{:?}", stats.by_endpoint);
    assert_eq!(stats.logins, 0);

    post(&sim, "/__sim/reveal?count=5");
    sim.reset_stats();
    let out = run(gcexport(
        &sim,
        &dir,
        &session,
        false,
        &["--garmin-tracks", "-f", F, "--json"],
    ));
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: serde_json::Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == "summary")
        .expect("a summary line");
    // Progress events carry running totals: they never go down.
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "progress")
        .collect();
    assert!(!events.is_empty());
    for key in ["activities_listed", "activities_done", "bytes_written"] {
        let values: Vec<u64> = events.iter().map(|e| e[key].as_u64().unwrap()).collect();
        assert!(values.windows(2).all(|w| w[0] <= w[1]), "{key}: {values:?}");
    }
    let stats = sim.stats();
    eprintln!("after reveal: {summary}\n{:?}", stats.by_endpoint);
    // Five new top-level activities (and any legs they have), nothing else.
    let new = summary["activities_new"].as_u64().unwrap();
    assert!(new >= 5, "{summary}");
    let details = stats
        .by_endpoint
        .get("GET /activity-service/activity/{id}")
        .copied()
        .unwrap_or(0);
    // At most once per new activity: most take theirs from the list and the original.
    assert!(details <= new, "{details} details for {new} new activities");
    let downloads: u64 = stats
        .by_endpoint
        .iter()
        .filter(|(k, _)| k.contains("/download-service/"))
        .map(|(_, v)| *v)
        .sum();
    assert!(
        downloads <= new * 3,
        "{downloads} downloads for {new} new activities"
    );
    assert_matches_simulator(&sim, &dir, &FORMATS, false);
}

/// A small xorshift: the kill moments vary between runs, and the seed is printed so a
/// failure can be replayed.
struct Rng(u64);
impl Rng {
    fn from_env() -> Rng {
        let seed = std::env::var("GCEXPORT_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("GCEXPORT_TEST_SEED={seed}");
        Rng(seed)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

#[test]
fn sigkill_at_twenty_random_moments_then_a_rerun_equals_a_clean_run() {
    let sim = sim(small(30));
    let t = tmp();
    let session = path(&t, "session");
    let args = ["--garmin-tracks", "-f", F, "-u"];

    let clean = path(&t, "clean");
    let started = std::time::Instant::now();
    assert_eq!(
        run(gcexport(&sim, &clean, &session, true, &args))
            .status
            .code(),
        Some(0)
    );
    let clean_run = started.elapsed();
    let want = user_files(&clean);
    eprintln!("clean run: {clean_run:?}, {} files", want.len());

    let mut rng = Rng::from_env();
    for i in 0..20 {
        let dir = path(&t, &format!("killed-{i}"));
        let at = Duration::from_millis(rng.below(clean_run.as_millis() as u64));
        let mut cmd = gcexport(&sim, &dir, &session, false, &args);
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(at);
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        let out = run(gcexport(&sim, &dir, &session, false, &args));
        assert_eq!(
            out.status.code(),
            Some(0),
            "re-run after the kill at {at:?}"
        );
        assert!(parts_left(&dir).is_empty());
        let got = user_files(&dir);
        assert_eq!(got, want, "after SIGKILL at {at:?} ({status})");
        std::fs::remove_dir_all(&dir).unwrap();
    }
    assert_matches_simulator(&sim, &clean, &FORMATS, true);
}

#[test]
fn faults_and_a_short_token_end_complete_or_with_an_exact_failure_report() {
    faults_then_recovery(
        "429:p=0.04,body=json,retry-after=1;5xx:p=0.08;reset:p=0.04;truncate:p=0.04",
    );
}

#[test]
fn downloads_failing_beyond_retries_are_reported_exactly_and_retried_next_run() {
    faults_then_recovery("5xx:p=0.5,on=download;reset:p=0.1,on=download");
}

fn faults_then_recovery(spec: &str) {
    let faults = gcexport_sim::Faults::parse(spec).unwrap();
    let sim = sim(SimConfig {
        faults,
        access_token_ttl: Duration::from_secs(3),
        ..small(30)
    });
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    let out = run(gcexport(
        &sim,
        &dir,
        &session,
        true,
        &["--garmin-tracks", "-f", F],
    ));
    let stats = sim.stats();
    eprintln!(
        "faults injected: {:?}, refreshes: {}",
        stats.faults_injected, stats.token_refreshes
    );
    assert!(stats.token_refreshes > 0, "the token expired mid-run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => assert_matches_simulator(&sim, &dir, &FORMATS, false),
        Some(1) => {
            // The report names exactly what the archive records as failed.
            let mut reported: Vec<String> = stderr
                .lines()
                // "failed: NAME (activity ID) FORMAT: why"
                .filter_map(|l| l.trim().strip_prefix("failed: "))
                .filter_map(|l| l.split_once("(activity ").map(|(_, rest)| rest))
                .map(|l| l.split(':').next().unwrap().replacen(')', "", 1))
                .collect();
            reported.sort();
            let archive = gcexport_backup::Archive::open(&dir).unwrap();
            let mut recorded: Vec<String> = archive
                .failures()
                .unwrap()
                .into_iter()
                .map(|(id, f, _)| format!("{id} {f}"))
                .collect();
            recorded.sort();
            drop(archive);
            assert!(!reported.is_empty());
            assert_eq!(reported, recorded);
        }
        other => panic!("unexpected exit {other:?}"),
    }
    // Once Garmin behaves, the next run completes the folder.
    sim.set_faults(gcexport_sim::Faults::none());
    assert_eq!(
        run(gcexport(
            &sim,
            &dir,
            &session,
            false,
            &["--garmin-tracks", "-f", F]
        ))
        .status
        .code(),
        Some(0)
    );
    assert_matches_simulator(&sim, &dir, &FORMATS, false);
}

#[test]
fn hostile_names_never_leave_the_folder_and_stay_portable() {
    use unicode_check::*;
    let sim = sim(small(30));
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    for layout in [
        &["--layout", "browsable"][..],
        &["--desc", "-s", "{YYYY}/{MM}"][..],
    ] {
        let mut args = vec!["--garmin-tracks", "-f", F, "-u"];
        args.extend_from_slice(layout);
        let d = dir.join(layout[0].trim_start_matches('-'));
        assert_eq!(
            run(gcexport(&sim, &d, &session, true, &args)).status.code(),
            Some(0)
        );
        for rel in user_files(&d).keys() {
            for part in rel.split('/') {
                assert_portable(part);
            }
        }
        assert_matches_simulator(&sim, &d, &FORMATS, true);
    }
    let mut top: Vec<String> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(
        top,
        vec!["backup", "session"],
        "nothing written beside the folder"
    );
    let mut inside: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    inside.sort();
    assert_eq!(inside, vec!["desc", "layout"]);
}

mod unicode_check {
    pub fn assert_portable(part: &str) {
        assert!(!part.is_empty() && part.len() <= 255, "{part:?}");
        assert!(
            !part
                .chars()
                .any(|c| c.is_control() || "<>:\"/\\|?*".contains(c)),
            "{part:?}"
        );
        assert!(
            !part.ends_with(['.', ' ']) && !part.starts_with(' '),
            "{part:?}"
        );
        assert!(part != "." && part != "..");
        let stem = part.split('.').next().unwrap().to_ascii_uppercase();
        assert!(
            !["CON", "PRN", "AUX", "NUL", "COM1", "LPT1"].contains(&stem.as_str()),
            "{part:?}"
        );
        assert!(!part.contains('\u{301}'), "not NFC: {part:?}");
    }
}

#[test]
fn ctrl_c_leaves_a_consistent_archive_and_a_correct_csv() {
    let sim = sim(small(40));
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    // Sign in first, so the interrupt falls in the downloads.
    assert_eq!(
        run(gcexport(
            &sim,
            &path(&t, "probe"),
            &session,
            true,
            &["-c", "1", "--garmin-tracks", "-f", "gpx"]
        ))
        .status
        .code(),
        Some(0)
    );
    let mut cmd = gcexport(
        &sim,
        &dir,
        &session,
        false,
        &["--garmin-tracks", "-f", F, "--concurrency", "2"],
    );
    cmd.stdout(std::process::Stdio::null());
    let child = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "interrupted exit code");
    assert!(parts_left(&dir).is_empty());

    // Every recorded file is whole and right; the CSV has a row for each processed
    // activity, and only for those.
    let on_disk = user_files(&dir);
    let archive = gcexport_backup::Archive::open(&dir).unwrap();
    let expected = expected(&sim);
    let mut processed = 0;
    for e in &expected {
        let id = e["id"].as_i64().unwrap();
        let mut any = false;
        for f in FORMATS {
            for r in archive.files_of(id, f).unwrap() {
                assert_eq!(
                    Some(r.sha256.as_str()),
                    e["formats"][f.key()]["sha256"].as_str()
                );
                assert_eq!(on_disk.get(&r.path), Some(&r.sha256));
                any = true;
            }
        }
        processed += usize::from(any);
    }
    drop(archive);
    let rows = csv::Reader::from_path(dir.join("activities.csv"))
        .unwrap()
        .records()
        .count();
    eprintln!("interrupted with {processed} activities holding files, {rows} CSV rows");
    assert!(rows >= processed && rows < expected.len(), "{rows} rows");

    assert_eq!(
        run(gcexport(
            &sim,
            &dir,
            &session,
            false,
            &["--garmin-tracks", "-f", F]
        ))
        .status
        .code(),
        Some(0)
    );
    assert_matches_simulator(&sim, &dir, &FORMATS, false);
}

/// A real small file system: a tmpfs when this test may mount one (root in a container),
/// else a file-size limit (`ulimit -f`, with SIGXFSZ ignored so writes fail with EFBIG as
/// on a full disk). Either way the tool meets a write that cannot complete.
struct SmallDisk {
    dir: std::path::PathBuf,
    mounted: bool,
}

impl SmallDisk {
    fn new(at: std::path::PathBuf, megabytes: u32) -> SmallDisk {
        std::fs::create_dir_all(&at).unwrap();
        let may_mount = std::env::var_os("GCEXPORT_TEST_NO_MOUNT").is_none();
        let mounted = may_mount
            && std::process::Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
                .arg(&at)
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
        eprintln!(
            "small disk: {}",
            if mounted {
                "a tmpfs"
            } else {
                "a file-size limit (cannot mount here)"
            }
        );
        SmallDisk { dir: at, mounted }
    }

    fn limit(&self, cmd: std::process::Command) -> std::process::Command {
        if self.mounted {
            return cmd;
        }
        let mut sh = std::process::Command::new("sh");
        sh.arg("-c")
            .arg("trap '' XFSZ; ulimit -f 600; exec \"$0\" \"$@\"")
            .arg(cmd.get_program())
            .args(cmd.get_args());
        sh
    }

    fn grow(&self) {
        if self.mounted {
            let ok = std::process::Command::new("mount")
                .args(["-o", "remount,size=400m"])
                .arg(&self.dir)
                .status()
                .unwrap();
            assert!(ok.success());
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        if self.mounted {
            let _ = std::process::Command::new("umount").arg(&self.dir).status();
        }
    }
}

#[test]
fn a_full_disk_stops_the_run_clearly_and_the_next_run_completes() {
    let sim = sim(small(30));
    let t = tmp();
    let session = path(&t, "session");
    let disk = SmallDisk::new(path(&t, "small"), 6);
    let dir = disk.dir.join("backup");
    let out = run(disk.limit(gcexport(
        &sim,
        &dir,
        &session,
        true,
        &["--garmin-tracks", "-f", F],
    )));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Under a file-size limit SQLite may be the first to fail, and it reports EFBIG only
    // as a generic I/O error; a real full file system gives the disk-full message.
    assert!(
        stderr.contains("disk is full") || (!disk.mounted && stderr.contains("disk I/O error")),
        "a clear message"
    );
    assert!(parts_left(&dir).is_empty());

    // What was recorded is whole and right.
    let on_disk = user_files(&dir);
    let archive = gcexport_backup::Archive::open(&dir).unwrap();
    let mut files = 0;
    for e in expected(&sim) {
        let id = e["id"].as_i64().unwrap();
        for f in FORMATS {
            for r in archive.files_of(id, f).unwrap() {
                assert_eq!(
                    Some(r.sha256.as_str()),
                    e["formats"][f.key()]["sha256"].as_str()
                );
                assert_eq!(on_disk.get(&r.path), Some(&r.sha256));
                files += 1;
            }
        }
    }
    drop(archive);
    eprintln!("stopped with {files} files recorded");

    disk.grow();
    let rerun = gcexport(&sim, &dir, &session, false, &["--garmin-tracks", "-f", F]);
    assert_eq!(run(rerun).status.code(), Some(0));
    assert_matches_simulator(&sim, &dir, &FORMATS, false);
}

#[test]
fn a_renamed_activity_keeps_its_file_and_the_csv_shows_the_new_name() {
    let sim = sim(small(12));
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    assert_eq!(
        run(gcexport(
            &sim,
            &dir,
            &session,
            true,
            &["--garmin-tracks", "-f", "gpx,tcx", "-ot"]
        ))
        .status
        .code(),
        Some(0)
    );
    let before = user_files(&dir);
    let newest = expected(&sim)[0]["id"].as_i64().unwrap();
    post(
        &sim,
        &format!("/__sim/rename?id={newest}&name=Renamed%20on%20Garmin"),
    );
    sim.reset_stats();
    assert_eq!(
        run(gcexport(
            &sim,
            &dir,
            &session,
            false,
            &["--garmin-tracks", "-f", "gpx,tcx", "-ot"]
        ))
        .status
        .code(),
        Some(0)
    );
    assert_eq!(sim.stats().requests, 1, "only the list is asked for");
    let after = user_files(&dir);
    let files = |m: &std::collections::BTreeMap<String, String>| {
        m.keys()
            .filter(|k| *k != "activities.csv")
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        files(&before),
        files(&after),
        "no second copy under the new name"
    );
    let csv = std::fs::read_to_string(dir.join("activities.csv")).unwrap();
    assert!(csv.contains("Renamed on Garmin"));

    // -ot: file times are the activity's start.
    let archive = gcexport_backup::Archive::open(&dir).unwrap();
    let rec = &archive.files_of(newest, Format::Tcx).unwrap()[0];
    let mtime = std::fs::metadata(dir.join(&rec.path))
        .unwrap()
        .modified()
        .unwrap();
    let start = sim.account().activity(newest).unwrap().start();
    let secs = mtime
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        secs == start || secs == start / 1000,
        "mtime {secs} vs start {start}"
    );
}

#[test]
fn exit_codes_say_what_happened() {
    let sim = sim(small(3));
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    // 2: usage.
    let out = run(gcexport(&sim, &dir, &session, false, &["-sd", "yesterday"]));
    assert_eq!(out.status.code(), Some(2));
    let out = run(gcexport(&sim, &dir, &session, false, &["-f", "pdf"]));
    assert_eq!(out.status.code(), Some(2));
    // 3: no saved sign-in and no terminal to ask on (stdin is not a terminal here).
    let mut cmd = gcexport(&sim, &dir, &session, false, &[]);
    cmd.stdin(std::process::Stdio::null());
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no terminal"));
    // 3: a wrong password, which no log line repeats, however verbose.
    let mut cmd = gcexport(
        &sim,
        &dir,
        &session,
        false,
        &["-vv", "--username", EMAIL, "--password", "nope-s3cret"],
    );
    cmd.stdin(std::process::Stdio::null());
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wrong email or password"), "{stderr}");
    assert!(!stderr.contains("nope-s3cret"), "no password in output");
    // --dry-run: signs in, lists, writes no activity file and fetches nothing else.
    sim.reset_stats();
    let out = run(gcexport(&sim, &dir, &session, true, &["--dry-run"]));
    assert_eq!(out.status.code(), Some(0));
    let stats = sim.stats();
    assert!(
        !stats
            .by_endpoint
            .keys()
            .any(|k| k.contains("download") || k.contains("/activity/{id}")),
        "{:?}",
        stats.by_endpoint
    );
    assert!(user_files(&dir).is_empty());
}

#[test]
fn a_cdn_block_stops_the_run_at_once_with_exit_code_4() {
    let sim = sim(small(30));
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    sim.set_faults(gcexport_sim::Faults::parse("403:on=download").unwrap());
    sim.reset_stats();
    let out = run(gcexport(&sim, &dir, &session, true, &["-f", "original"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("nothing is lost"), "{stderr}");
    assert!(stderr.contains("try again after"), "{stderr}");
    let downloads: u64 = sim
        .stats()
        .by_endpoint
        .iter()
        .filter(|(k, _)| k.contains("/download-service/"))
        .map(|(_, n)| *n)
        .sum();
    assert!((1..=4).contains(&downloads), "{downloads}");
}

#[test]
fn count_dates_types_and_exclusions_narrow_the_run_like_gcexport_py() {
    let sim = sim(small(30));
    let t = tmp();
    let session = path(&t, "session");
    let expected = expected(&sim);
    let csv_ids = |dir: &std::path::Path| -> Vec<i64> {
        csv::Reader::from_path(dir.join("activities.csv"))
            .unwrap()
            .records()
            .map(|r| r.unwrap()[2].parse().unwrap())
            .collect()
    };
    // -c 5: the five newest (with the legs of any multisport among them).
    let dir = path(&t, "count");
    assert_eq!(
        run(gcexport(
            &sim,
            &dir,
            &session,
            true,
            &["-c", "5", "--garmin-tracks", "-f", "gpx"]
        ))
        .status
        .code(),
        Some(0)
    );
    let tops: Vec<i64> = expected
        .iter()
        .filter(|e| e["parentId"].is_null())
        .take(5)
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    let want: Vec<i64> = expected
        .iter()
        .filter(|e| {
            tops.contains(&e["id"].as_i64().unwrap())
                || e["parentId"].as_i64().is_some_and(|p| tops.contains(&p))
        })
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(csv_ids(&dir), want);

    // -tf and -ex: only running, without the newest running activity (legs follow their
    // parent, which the list shows: a running leg of a triathlon is not "running").
    let running: Vec<i64> = expected
        .iter()
        .filter(|e| e["typeKey"] == "running" && e["parentId"].is_null())
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(running.len() >= 2);
    let exclude = t.path().join("exclude.json");
    std::fs::write(&exclude, format!("{{\"ids\": [\"{}\"]}}", running[0])).unwrap();
    let dir = path(&t, "types");
    let ex = exclude.to_str().unwrap();
    let out = run(gcexport(
        &sim,
        &dir,
        &session,
        false,
        &["-tf", "running", "-ex", ex, "--garmin-tracks", "-f", "gpx"],
    ));
    assert_eq!(out.status.code(), Some(0));
    let archive = gcexport_backup::Archive::open(&dir).unwrap();
    let with_files: Vec<i64> = expected
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .filter(|id| archive.item_state(*id, Format::Gpx).unwrap().is_some())
        .collect();
    assert_eq!(with_files, running[1..].to_vec());
}

#[test]
fn kml_and_the_details_json_are_backed_up_too() {
    let sim = sim(small(12));
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    let out = run(gcexport(
        &sim,
        &dir,
        &session,
        true,
        &["-f", "kml,json", "--concurrency", "1"],
    ));
    assert_eq!(out.status.code(), Some(0));
    assert_matches_simulator(&sim, &dir, &[Format::Kml, Format::Json], false);
    let archive = gcexport_backup::Archive::open(&dir).unwrap();
    for e in expected(&sim) {
        let id = e["id"].as_i64().unwrap();
        let files = archive.files_of(id, Format::Json).unwrap();
        let text = std::fs::read(dir.join(&files[0].path)).unwrap();
        let got: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(got, sim.account().activity(id).unwrap().details(), "{id}");
    }
    assert_eq!(sim.stats().peak_concurrent_requests, 1);
}

#[test]
fn demo_mode_needs_no_account() {
    let t = tmp();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gcexport"));
    cmd.args(["--demo", "--dry-run", "-d"])
        .arg(path(&t, "demo"));
    cmd.stdin(std::process::Stdio::null());
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("dry run: 300 activities listed (300 new), 300 would be fetched")
    );
}

/// On a terminal (a pseudo-terminal from `script`), what is missing is asked for, and the
/// saved sign-in is a 0600 file under --session.
#[test]
fn on_a_terminal_the_email_and_password_are_prompted_for() {
    if !common::can_make_a_terminal() {
        return;
    }
    let sim = sim(small(2));
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    let line = format!(
        "{} --server {} --session {} -d {} -c 1 -f gpx",
        env!("CARGO_BIN_EXE_gcexport"),
        sim.base_url(),
        session.display(),
        dir.display()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().unwrap();
        writeln!(stdin, "{EMAIL}\n{PASSWORD}").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Garmin Connect email:") && text.contains("Password for"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A simulator is not Garmin: its tokens are kept apart, under its own origin.
        let tokens = std::fs::read_dir(&session)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.starts_with("tokens") && name.ends_with(".json")
            })
            .expect("the tokens were saved in the session folder");
        let mode = std::fs::metadata(tokens).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(sim.stats().logins, 1);
}

#[test]
fn tracks_from_original_cost_one_request_per_activity_and_validate() {
    let sim = sim(small(14));
    let t = tmp();
    let (dir, session) = (path(&t, "backup"), path(&t, "session"));
    let out = run(gcexport(
        &sim,
        &dir,
        &session,
        true,
        &["-f", "gpx,tcx,original", "--tracks-from-original"],
    ));
    assert_eq!(out.status.code(), Some(0));
    let stats = sim.stats();
    let hits = |e: &str| stats.by_endpoint.get(e).copied().unwrap_or(0);
    // One original per activity with a file of its own: a multisport leg's is its parent's
    // (copied from the folder), and an activity entered by hand has none (not asked).
    let own_file = expected(&sim)
        .iter()
        .filter(|e| {
            let a = sim.account().activity(e["id"].as_i64().unwrap()).unwrap();
            a.parent_id().is_none() && a.source() != gcexport_sim::account::Source::Manual
        })
        .count() as u64;
    assert_eq!(
        hits("GET /download-service/files/activity/{id}"),
        own_file,
        "{:?}",
        stats.by_endpoint
    );
    assert_eq!(
        hits("GET /download-service/export/{format}/activity/{id}"),
        0
    );

    // GPX exactly where Garmin has one; TCX for every device file; all schema-valid.
    let archive = gcexport_backup::Archive::open(&dir).unwrap();
    let (mut gpx, mut tcx) = (Vec::new(), Vec::new());
    for e in expected(&sim) {
        let id = e["id"].as_i64().unwrap();
        let a = sim.account().activity(id).unwrap();
        for (format, theirs, ours) in [
            (Format::Gpx, gcexport_sim::account::Format::Gpx, &mut gpx),
            (Format::Tcx, gcexport_sim::account::Format::Tcx, &mut tcx),
        ] {
            let garmin_has = matches!(
                a.download(theirs, false),
                gcexport_sim::account::Download::File { .. }
            );
            let files = archive.files_of(id, format).unwrap();
            let device = a.source() == gcexport_sim::account::Source::Device;
            if format == Format::Tcx && !device {
                assert!(files.is_empty(), "{id}: no TCX without a FIT");
                continue;
            }
            assert_eq!(
                !files.is_empty(),
                garmin_has,
                "{id} {format} {:?}",
                a.kind()
            );
            ours.extend(files.iter().map(|f| dir.join(&f.path)));
        }
    }
    let schemas = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../backup/tests/schemas");
    for (schema, files) in [("gpx-check.xsd", &gpx), ("tcx-check.xsd", &tcx)] {
        assert!(!files.is_empty());
        let out = std::process::Command::new("xmllint")
            .args(["--noout", "--nonet", "--schema"])
            .arg(schemas.join(schema))
            .args(files.iter())
            .output()
            .expect("xmllint is needed: install libxml2-utils (.ci/install-deps does)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Issue 13 item 11: tokens are kept per server. A sign-in saved for one server is never
/// sent to another one (`--server`), and that other server's refusal cannot wipe it.
/// Before: the one `tokens.json` went to whichever server was named.
#[test]
fn tokens_saved_for_one_server_are_never_sent_to_another() {
    let garmin = sim(small(2));
    let other = sim(small(2));
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("session");
    let out = run(gcexport(
        &garmin,
        &dir.path().join("a"),
        &session,
        true,
        &["--garmin-tracks", "-f", "gpx"],
    ));
    assert_eq!(out.status.code(), Some(0));
    let saved: Vec<_> = std::fs::read_dir(&session)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("tokens") && n.ends_with(".json"))
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");

    other.reset_stats();
    let mut cmd = gcexport(
        &other,
        &dir.path().join("b"),
        &session,
        false,
        &["--garmin-tracks", "-f", "gpx"],
    );
    cmd.stdin(std::process::Stdio::null());
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(3), "not signed in there");
    assert_eq!(
        other.stats().requests,
        0,
        "the other server received nothing, least of all the tokens"
    );
    // The first server's sign-in is intact and still used without a password.
    garmin.reset_stats();
    let out = run(gcexport(
        &garmin,
        &dir.path().join("a"),
        &session,
        false,
        &["--garmin-tracks", "-f", "gpx"],
    ));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        garmin
            .stats()
            .by_endpoint
            .keys()
            .filter(|k| k.contains("/mobile/"))
            .count(),
        0
    );
}
