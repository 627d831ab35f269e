//! Running `gcexport` as a child process and measuring it from outside: wall time and the
//! whole process's peak resident memory, read from `/proc/<pid>/status` (`VmHWM`, the
//! kernel's own high-water mark) while it runs.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;

pub struct Measured {
    pub wall: Duration,
    /// Whole-process peak RSS in KiB (0 where `/proc` is not there).
    pub peak_rss_kib: u64,
    pub status: ExitStatus,
    pub stderr: String,
}

/// Runs `cmd` to its end with stdout discarded and stderr kept in `stderr_file` (a pipe
/// could fill up and stall the child under a storm of 429 warnings).
pub fn run(mut cmd: Command, stderr_file: &Path) -> anyhow::Result<Measured> {
    let err = File::create(stderr_file)
        .with_context(|| format!("cannot create {}", stderr_file.display()))?;
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(err);
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    let status_path = PathBuf::from(format!("/proc/{}/status", child.id()));
    let peak = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let peak = Arc::clone(&peak);
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            // VmHWM only grows, so the last read before the exit holds the peak up to a few
            // milliseconds before the end.
            while !done.load(Ordering::Relaxed) {
                match std::fs::read_to_string(&status_path) {
                    Ok(s) => {
                        if let Some(kib) = vm_hwm_kib(&s) {
                            peak.fetch_max(kib, Ordering::Relaxed);
                        }
                    }
                    Err(_) => break,
                }
                std::thread::sleep(Duration::from_millis(3));
            }
        })
    };
    let status = child.wait().context("waiting for the child")?;
    let wall = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let stderr = std::fs::read_to_string(stderr_file).unwrap_or_default();
    Ok(Measured {
        wall,
        peak_rss_kib: peak.load(Ordering::Relaxed),
        status,
        stderr,
    })
}

fn vm_hwm_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Requests seen by the simulator, sorted by what they are for.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Requests {
    pub total: u64,
    /// SSO pages, logins and token grants or refreshes.
    pub signin: u64,
    pub list: u64,
    pub details: u64,
    pub gear: u64,
    pub device: u64,
    pub downloads: u64,
    pub other: u64,
    pub peak_concurrent: u64,
    pub requests_during_retry_after: u64,
    pub faults_injected: BTreeMap<String, u64>,
    pub by_status: BTreeMap<String, u64>,
}

impl Requests {
    pub fn from_stats(s: &gcexport_sim::Stats) -> Requests {
        let mut r = Requests {
            total: s.requests,
            peak_concurrent: s.peak_concurrent_requests,
            requests_during_retry_after: s.requests_during_retry_after,
            faults_injected: s.faults_injected.clone(),
            by_status: s.by_status.clone(),
            ..Requests::default()
        };
        for (endpoint, &n) in &s.by_endpoint {
            let path = endpoint
                .split_once(' ')
                .map_or(endpoint.as_str(), |(_, p)| p);
            let slot = if path.starts_with("/mobile/")
                || path.starts_with("/portal/")
                || path.starts_with("/di-oauth2-service/")
            {
                &mut r.signin
            } else if path.starts_with("/activitylist-service/activities/{") {
                // A gear item's activities (`/activities/{uuid}/gear`): gear, not the list.
                &mut r.gear
            } else if path.starts_with("/activitylist-service/") {
                &mut r.list
            } else if path == "/activity-service/activity/{id}" {
                &mut r.details
            } else if path.starts_with("/gear-service/")
                || path == "/userprofile-service/socialProfile"
            {
                // The profile is asked only for its id, which the gear list is keyed by.
                &mut r.gear
            } else if path.starts_with("/device-service/") {
                &mut r.device
            } else if path.starts_with("/download-service/") {
                &mut r.downloads
            } else {
                &mut r.other
            };
            *slot += n;
        }
        r
    }

    /// Requests after sign-in: what the backup itself asked for.
    pub fn api(&self) -> u64 {
        self.total - self.signin
    }
}

/// Path (relative, `/`-separated) → SHA-256 of every file under `root`, the archive's own
/// state and lock files excepted: two folders with equal maps hold the same backup.
pub fn folder_hashes(root: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    use sha2::{Digest, Sha256};
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("{}", dir.display()))? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(root)?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            if rel.starts_with(".gcexport") {
                continue;
            }
            let bytes = std::fs::read(&path).with_context(|| format!("{}", path.display()))?;
            out.insert(rel, hex::encode(Sha256::digest(&bytes)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_high_water_mark() {
        let s = "Name:\tgcexport\nVmPeak:\t  200000 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(vm_hwm_kib(s), Some(12345));
        assert_eq!(vm_hwm_kib("Name:\tx\n"), None);
    }

    #[test]
    fn measures_a_real_child() {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 0.2; echo oops >&2; exit 3"]);
        let m = run(cmd, &dir.path().join("err")).unwrap();
        assert_eq!(m.status.code(), Some(3));
        assert!(m.wall >= Duration::from_millis(200));
        assert!(m.peak_rss_kib > 0, "the shell's RSS was sampled");
        assert_eq!(m.stderr.trim(), "oops");
    }

    #[test]
    fn sorts_requests_by_purpose() {
        let mut s = gcexport_sim::Stats {
            requests: 9,
            ..Default::default()
        };
        for (k, n) in [
            ("POST /mobile/api/login", 1),
            ("POST /di-oauth2-service/oauth/token", 1),
            ("GET /activitylist-service/activities/search/activities", 2),
            ("GET /activity-service/activity/{id}", 1),
            ("GET /gear-service/gear/filterGear", 1),
            ("GET /device-service/deviceservice/app-info/{id}", 1),
            ("GET /download-service/files/activity/{id}", 1),
            ("GET /download-service/export/{format}/activity/{id}", 1),
        ] {
            s.by_endpoint.insert(k.into(), n);
        }
        let r = Requests::from_stats(&s);
        assert_eq!(
            (r.signin, r.list, r.details, r.gear, r.device, r.downloads),
            (2, 2, 1, 1, 1, 2)
        );
        assert_eq!(r.api(), 7);
    }

    #[test]
    fn equal_folders_hash_equal_and_state_files_do_not_count() {
        let a = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(a.path().join("2024/01")).unwrap();
        std::fs::write(a.path().join("2024/01/x.gpx"), "gpx").unwrap();
        std::fs::write(a.path().join(".gcexport-state.sqlite"), "db").unwrap();
        let h = folder_hashes(a.path()).unwrap();
        assert_eq!(h.keys().collect::<Vec<_>>(), ["2024/01/x.gpx"]);
        std::fs::write(a.path().join("2024/01/x.gpx"), "gpX").unwrap();
        assert_ne!(folder_hashes(a.path()).unwrap(), h);
    }
}
