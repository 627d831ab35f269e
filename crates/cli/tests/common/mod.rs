//! Shared by the CLI's integration tests: a simulator, the real `gcexport` binary, and the
//! checks that compare a folder with what the simulator says a perfect client would hold.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gcexport_backup::{Archive, Format, ItemState};
use gcexport_sim::Sim;
use serde_json::Value;

// Each test binary uses some of these.
#[allow(unused_imports)]
pub use gcexport_testkit::{
    EMAIL, PASSWORD, expected, newest_with_legs, post, serves, sha256, sim, tmp, user_files,
};

/// `gcexport --server URL --session S -d DIR` plus `extra`; signs in with the password
/// only when asked to (`password`), so re-runs prove the saved session is used.
pub fn gcexport(sim: &Sim, dir: &Path, session: &Path, password: bool, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gcexport"));
    cmd.arg("--server")
        .arg(sim.base_url())
        .arg("--session")
        .arg(session)
        .arg("-d")
        .arg(dir);
    if password {
        cmd.args(["--username", EMAIL, "--password", PASSWORD]);
    }
    // These tests are about activities (their request counts, their files): health data has
    // its own tests, which say `--what` themselves.
    if !extra.contains(&"--what") {
        cmd.args(["--what", "activities"]);
    }
    cmd.args(extra);
    cmd.env_remove("GCEXPORT_PROFILE");
    // The sign-in cool-down lives in the shared config folder: never the real one.
    cmd.env("GCEXPORT_CONFIG_DIR", session);
    cmd
}

pub fn run(mut cmd: Command) -> Output {
    let out = cmd.output().expect("gcexport runs");
    eprintln!(
        "gcexport exited {:?}\n--- stderr ---\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn parts_left(dir: &Path) -> Vec<String> {
    user_files(dir)
        .into_keys()
        .filter(|k| k.ends_with(".part"))
        .collect()
}

/// The entries of the original ZIP the simulator serves for `id`: (extension, sha256).
pub fn original_entries(sim: &Sim, id: i64) -> Vec<(String, String)> {
    let a = sim.account().activity(id).expect("activity exists");
    let gcexport_sim::account::Download::File { bytes, .. } =
        a.download(gcexport_sim::account::Format::Original, false)
    else {
        panic!("no original for {id}");
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        let ext = name.rsplit('.').next().unwrap().to_ascii_lowercase();
        out.push((ext, sha256(&data)));
    }
    out
}

/// What the folder must hold, per the simulator: every format that exists, byte for
/// byte, each "does not exist" recorded as such, and a CSV row per activity.
pub fn assert_matches_simulator(sim: &Sim, dir: &Path, formats: &[Format], unzip: bool) {
    assert!(
        parts_left(dir).is_empty(),
        ".part left: {:?}",
        parts_left(dir)
    );
    let expected = expected(sim);
    let on_disk = user_files(dir);
    let archive = Archive::open(dir).expect("archive opens");
    let mut recorded = BTreeSet::new();
    for e in &expected {
        let id = e["id"].as_i64().unwrap();
        for &f in formats {
            let want = &e["formats"][f.key()];
            let files = archive.files_of(id, f).unwrap();
            if f == Format::Json {
                // Not a download: checked against the details by the test that asks for it.
                assert_eq!(files.len(), 1, "{id} json");
                recorded.insert(files[0].path.clone());
            } else if want["status"] == 200 {
                assert_eq!(
                    archive.item_state(id, f).unwrap(),
                    Some(ItemState::Done),
                    "{id} {f}"
                );
                let got: BTreeSet<String> = files.iter().map(|r| r.sha256.clone()).collect();
                let want_shas: BTreeSet<String> = if f == Format::Original && unzip {
                    original_entries(sim, id)
                        .into_iter()
                        .map(|(_, s)| s)
                        .collect()
                } else {
                    [want["sha256"].as_str().unwrap().to_string()].into()
                };
                assert_eq!(got, want_shas, "activity {id} format {f}");
                for r in &files {
                    assert_eq!(on_disk.get(&r.path), Some(&r.sha256), "{} on disk", r.path);
                    recorded.insert(r.path.clone());
                }
            } else {
                assert_eq!(
                    archive.item_state(id, f).unwrap(),
                    Some(ItemState::Unavailable),
                    "{id} {f}: the simulator answers {}",
                    want["status"]
                );
                assert!(files.is_empty());
            }
        }
    }
    let stray: Vec<&String> = on_disk
        .keys()
        .filter(|k| {
            !recorded.contains(*k) && k.as_str() != "activities.csv" && k.as_str() != "gear.csv"
        })
        .collect();
    assert!(stray.is_empty(), "files nobody asked for: {stray:?}");
    drop(archive);
    assert_csv(dir, &expected);
}

/// `activities.csv`: 50 columns, one row per activity (legs included), no duplicates.
pub fn assert_csv(dir: &Path, expected: &[Value]) {
    let mut rd = csv::Reader::from_path(dir.join("activities.csv")).unwrap();
    let headers = rd.headers().unwrap().clone();
    assert_eq!(headers.len(), 50);
    assert_eq!(&headers[0], "Start Time");
    assert_eq!(&headers[2], "Activity ID");
    let ids: Vec<i64> = rd
        .records()
        .map(|r| {
            let r = r.unwrap();
            assert_eq!(r.len(), 50);
            r[2].parse().unwrap()
        })
        .collect();
    let want: Vec<i64> = expected.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    let got_set: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(got_set.len(), ids.len(), "duplicate rows");
    assert_eq!(got_set, want.iter().copied().collect::<BTreeSet<i64>>());
    // Newest first, each multisport parent followed by its legs: the simulator's order.
    assert_eq!(ids, want);
}

pub fn path(t: &tempfile::TempDir, name: &str) -> PathBuf {
    t.path().join(name)
}

/// Whether `script` (util-linux) is here to give the CLI a pseudo-terminal; says so loudly
/// when it is not, since the test that asked then checks nothing.
pub fn can_make_a_terminal() -> bool {
    let here = Command::new("script").arg("--version").output().is_ok();
    if !here {
        eprintln!("SKIPPED: no `script` to make a terminal: this test checked nothing");
    }
    here
}
