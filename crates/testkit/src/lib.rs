//! What the engine's tests and examples (`crates/backup`), the CLI's tests (`crates/cli/tests`)
//! and the desktop app's IPC tests (`tests/app_ipc.rs`) all need: a simulator, a session
//! signed in to it, what it says a perfect client would hold, the files a folder holds, and
//! a data export written by the simulator. One copy, so that a
//! change to the simulator's control API or to the folder's own files is made once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gcexport_sim::account::{Account, Activity, Download, Format};
use gcexport_sim::export::{ExportOptions, write_export};
use gcexport_sim::{Sim, SimConfig};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The simulator's demo account.
pub const EMAIL: &str = "demo@example.com";
pub const PASSWORD: &str = "demo-password";

pub fn sim(config: SimConfig) -> Sim {
    gcexport_sim::start(config).expect("the simulator starts")
}

/// The simulator's demo account signed in with email and password (it has no MFA), its
/// tokens kept in memory only.
pub async fn signed_in(sim: &Sim) -> gcexport_connect::Session {
    use gcexport_connect::{EndpointProfile, LoginOutcome, MemoryStore, Secret, Session, SignIn};
    let profile = EndpointProfile::server(sim.base_url());
    let mut signin = SignIn::new(profile.clone()).unwrap();
    let LoginOutcome::SignedIn(tokens) = signin.login(EMAIL, &Secret::new(PASSWORD)).await.unwrap()
    else {
        panic!("the demo account has no MFA");
    };
    Session::start(
        profile,
        tokens,
        std::sync::Arc::new(MemoryStore::new(None)),
        Default::default(),
    )
    .await
    .unwrap()
}

pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// The simulator's expected listing (`/__sim/expected`): each activity with, per format,
/// the status it answers and the SHA-256 of what it serves, newest first.
pub fn expected(sim: &Sim) -> Vec<Value> {
    let url = format!("{}/__sim/expected", sim.base_url());
    let v: Value = block_on(async { reqwest::get(url).await?.json::<Value>().await })
        .expect("expected listing");
    v["activities"].as_array().cloned().unwrap()
}

/// A call to the simulator's control API (`/__sim/...`), which must succeed.
pub fn post(sim: &Sim, path: &str) {
    let url = format!("{}{}", sim.base_url(), path);
    let status = block_on(async { reqwest::Client::new().post(url).send().await })
        .expect("control call")
        .status();
    assert!(status.is_success(), "{path}: {status}");
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Every file a user sees in `dir` (relative path with `/` -> SHA-256); the state file, the
/// lock and the other `.gcexport*` names at any level are the tool's own.
pub fn user_files(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                if rel.starts_with(".gcexport") {
                    continue;
                }
                out.insert(rel, sha256(&std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The simulator's account data export of `activities` activities (account `seed`), written
/// to `path` in small chunks and parts so that several of each are read.
pub fn write_sim_export(
    path: &Path,
    seed: u64,
    activities: usize,
    activities_per_chunk: usize,
    files_per_part: usize,
) -> (PathBuf, Account) {
    let account = Account::new(seed, activities);
    let file = std::fs::File::create(path).unwrap();
    let opts = ExportOptions {
        activities_per_chunk,
        files_per_part,
        ..Default::default()
    };
    write_export(&account, &opts, std::io::BufWriter::new(file)).unwrap();
    (path.to_path_buf(), account)
}

/// The newest `n` activities of the list, each followed by its multisport legs: what a backup
/// of the first `n` list items holds.
pub fn newest_with_legs(account: &Account, n: usize) -> Vec<Activity> {
    let mut all = Vec::new();
    for k in 0..n.min(account.len()) {
        let top = account.nth_newest(k).unwrap();
        let legs: Vec<Activity> = top
            .child_ids()
            .into_iter()
            .filter_map(|id| account.activity(id))
            .collect();
        all.push(top);
        all.extend(legs);
    }
    all
}

/// Whether the simulator serves `format` of `a` as a file (not a 204, 404 or 500).
pub fn serves(a: &Activity, format: Format) -> bool {
    matches!(a.download(format, false), Download::File { .. })
}
