//! `gcexport` against the simulator: a full backup, re-runs, and the same backup under
//! injected 429s and 5xx. Every figure comes from the simulator's own counters or from
//! watching the process; nothing here times the engine from inside.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};
use gcexport_sim::{Faults, Sim, SimConfig};
use serde::Serialize;
use serde_json::Value;

use crate::knobs::Knobs;
use crate::measure::{self, Measured, Requests};

const SEED: u64 = 42;
/// Activities each "10 new" re-run finds.
const NEW_PER_RERUN: usize = 10;

#[derive(Debug, Serialize)]
pub struct Results {
    pub latency_ms: u64,
    pub concurrency: u64,
    pub formats: String,
    pub faults: String,
    pub sizes: Vec<SizeResult>,
    pub faulted: Vec<FaultResult>,
}

#[derive(Debug, Serialize)]
pub struct SizeResult {
    pub activities: usize,
    /// Legs of multisport activities included: each has its own details and files.
    pub activities_with_legs: usize,
    pub devices: usize,
    pub full: Vec<FullRun>,
    pub nothing_new: Vec<Rerun>,
    pub ten_new: Vec<Rerun>,
}

#[derive(Debug, Serialize)]
pub struct FullRun {
    pub wall_s: f64,
    pub peak_rss_mib: f64,
    pub requests: Requests,
    /// Requests after sign-in × latency / concurrency.
    pub ideal_s: f64,
    pub ratio: f64,
    /// (details + gear + downloads) / activities with legs.
    pub requests_per_activity: f64,
    /// Every request after sign-in (list pages, device look-ups and labels included) /
    /// activities with legs.
    pub all_requests_per_activity: f64,
}

#[derive(Debug, Serialize)]
pub struct Rerun {
    pub wall_s: f64,
    pub peak_rss_mib: f64,
    pub requests: Requests,
}

#[derive(Debug, Serialize)]
pub struct FaultResult {
    pub activities: usize,
    pub runs: Vec<FaultRun>,
    /// Median wall time of the clean full backups of the same account.
    pub clean_wall_s: f64,
}

#[derive(Debug, Serialize)]
pub struct FaultRun {
    pub wall_s: f64,
    pub requests: Requests,
    pub exit_code: Option<i32>,
    /// Files in the clean run's folder.
    pub files_expected: usize,
    /// Of those, present here with the same bytes.
    pub files_identical: usize,
    /// Files here that the clean run does not have.
    pub files_extra: usize,
}

pub fn run(k: &Knobs) -> anyhow::Result<Results> {
    let mut results = Results {
        latency_ms: k.latency_ms,
        concurrency: k.concurrency,
        formats: format!("{} -u", k.formats),
        faults: k.faults.clone(),
        sizes: Vec::new(),
        faulted: Vec::new(),
    };
    let mut clean_folders: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    for &n in &k.sizes {
        let runs = k.runs_for(n);
        eprintln!(
            "== {n} activities: {runs} full backup(s), {} re-runs each",
            k.reruns
        );
        let mut size = SizeResult {
            activities: n,
            activities_with_legs: 0,
            devices: 0,
            full: Vec::new(),
            nothing_new: Vec::new(),
            ten_new: Vec::new(),
        };
        for run in 0..runs {
            let sim = start_sim(k, n)?;
            if run == 0 {
                let (all, devices) = account_facts(&sim);
                size.activities_with_legs = all;
                size.devices = devices;
            }
            let work = tempfile::tempdir()?;
            let ctx = Ctx::new(k, &sim, work.path())?;
            let full = ctx.full_backup(size.activities_with_legs)?;
            eprintln!(
                "   full backup {}/{runs}: {:.1} s (ideal {:.1} s, x{:.2}), {} requests, {:.2} requests/activity ({:.2} with list pages and look-ups), peak {} concurrent, {:.1} MiB",
                run + 1,
                full.wall_s,
                full.ideal_s,
                full.ratio,
                full.requests.api(),
                full.requests_per_activity,
                full.all_requests_per_activity,
                full.requests.peak_concurrent,
                full.peak_rss_mib
            );
            size.full.push(full);
            if run == 0 && k.fault_sizes.contains(&n) {
                // The reference for "nothing lost" under faults, taken before the re-runs
                // add activities to it.
                clean_folders.insert(n, measure::folder_hashes(&ctx.folder)?);
            }
            for _ in 0..k.reruns {
                let r = ctx.rerun()?;
                eprintln!(
                    "   nothing new: {:.3} s, {} requests, {:.1} MiB",
                    r.wall_s,
                    r.requests.api(),
                    r.peak_rss_mib
                );
                size.nothing_new.push(r);
            }
            for _ in 0..k.reruns {
                let revealed = sim.reveal(NEW_PER_RERUN);
                ensure!(
                    revealed == NEW_PER_RERUN,
                    "the simulator had too few withheld activities"
                );
                let r = ctx.rerun()?;
                eprintln!(
                    "   {NEW_PER_RERUN} new: {:.3} s, {} requests",
                    r.wall_s,
                    r.requests.api()
                );
                size.ten_new.push(r);
            }
        }
        results.sizes.push(size);
    }

    for &n in &k.fault_sizes {
        let runs = k.runs_for(n);
        let Some(reference) = clean_folders.get(&n) else {
            bail!("fault size {n} must also be one of the sizes (BENCH_SIZES)");
        };
        let clean_wall_s = median(
            results
                .sizes
                .iter()
                .find(|s| s.activities == n)
                .map(|s| s.full.iter().map(|f| f.wall_s).collect())
                .unwrap_or_default(),
        );
        eprintln!(
            "== {n} activities under faults `{}`: {runs} run(s)",
            k.faults
        );
        let mut fr = FaultResult {
            activities: n,
            runs: Vec::new(),
            clean_wall_s,
        };
        for _ in 0..runs {
            let sim = start_sim(k, n)?;
            let work = tempfile::tempdir()?;
            let ctx = Ctx::new(k, &sim, work.path())?;
            let faults = Faults::parse(&format!("{};{}", latency_rule(k), k.faults))
                .map_err(|e| anyhow::anyhow!("BENCH_FAULTS: {e}"))?;
            sim.set_faults(faults);
            sim.reset_stats();
            let m = ctx.gcexport(&[])?;
            let requests = Requests::from_stats(&sim.stats());
            let got = measure::folder_hashes(&ctx.folder)?;
            let identical = reference
                .iter()
                .filter(|(p, h)| got.get(*p) == Some(*h))
                .count();
            let extra = got.keys().filter(|p| !reference.contains_key(*p)).count();
            let run = FaultRun {
                wall_s: m.wall.as_secs_f64(),
                requests,
                exit_code: m.status.code(),
                files_expected: reference.len(),
                files_identical: identical,
                files_extra: extra,
            };
            eprintln!(
                "   {:.1} s (clean {:.1} s), exit {:?}, {}/{} files identical, {} extra, faults {:?}, requests during Retry-After {}",
                run.wall_s,
                clean_wall_s,
                run.exit_code,
                run.files_identical,
                run.files_expected,
                run.files_extra,
                run.requests.faults_injected,
                run.requests.requests_during_retry_after
            );
            if run.exit_code != Some(0) {
                eprintln!("   gcexport said:\n{}", tail(&m.stderr, 20));
            }
            fr.runs.push(run);
        }
        results.faulted.push(fr);
    }
    Ok(results)
}

fn latency_rule(k: &Knobs) -> String {
    format!("latency:ms={}", k.latency_ms)
}

fn start_sim(k: &Knobs, n: usize) -> anyhow::Result<Sim> {
    let withheld = NEW_PER_RERUN * k.reruns;
    let faults = if k.latency_ms > 0 {
        Faults::parse(&latency_rule(k)).map_err(|e| anyhow::anyhow!("{e}"))?
    } else {
        Faults::none()
    };
    gcexport_sim::start(SimConfig {
        // The withheld ones come on top, so the first backup sees exactly `n`.
        activities: n + withheld,
        withheld,
        seed: SEED,
        faults,
        ..SimConfig::default()
    })
    .context("cannot start the simulator")
}

/// Activities a perfect backup holds (multisport legs included) and the distinct devices
/// they name, as docs/protocol.md describes `metadataDTO`.
fn account_facts(sim: &Sim) -> (usize, usize) {
    let account = sim.account();
    let mut all = 0;
    let mut devices = HashSet::new();
    for pos in sim.withheld_remaining()..account.len() {
        let Some(top) = account.nth_newest(pos) else {
            continue;
        };
        let legs = top.child_ids();
        let mut each = vec![top];
        each.extend(legs.into_iter().filter_map(|id| account.activity(id)));
        for a in each {
            all += 1;
            if let Some(d) = device_of(&a.details()) {
                devices.insert(d);
            }
        }
    }
    (all, devices.len())
}

fn device_of(details: &Value) -> Option<i64> {
    let meta = details.get("metadataDTO")?;
    let install = meta.get("deviceApplicationInstallationId")?.as_i64()?;
    match meta.pointer("/deviceMetaDataDTO/deviceId") {
        Some(Value::Null) => None,
        Some(v)
            if v.as_i64() == Some(0) || v.as_str().is_some_and(|s| s.is_empty() || s == "0") =>
        {
            None
        }
        _ => Some(install),
    }
}

struct Ctx<'a> {
    k: &'a Knobs,
    sim: &'a Sim,
    session: PathBuf,
    folder: PathBuf,
    work: PathBuf,
}

impl<'a> Ctx<'a> {
    /// Signs in once (tokens kept in a file, as a scripted user would), so that what is
    /// measured afterwards is the backup, not the sign-in.
    fn new(k: &'a Knobs, sim: &'a Sim, work: &Path) -> anyhow::Result<Ctx<'a>> {
        let ctx = Ctx {
            k,
            sim,
            session: work.join("session"),
            folder: work.join("backup"),
            work: work.to_path_buf(),
        };
        let warm = work.join("sign-in");
        let m = ctx.command(
            &warm,
            &[
                "--username",
                "demo@example.com",
                "--password",
                "demo-password",
                "--dry-run",
                "-c",
                "1",
            ],
        )?;
        ensure!(
            m.status.success(),
            "signing in failed ({:?}):\n{}",
            m.status,
            tail(&m.stderr, 20)
        );
        Ok(ctx)
    }

    fn command(&self, folder: &Path, extra: &[&str]) -> anyhow::Result<Measured> {
        let mut cmd = Command::new(&self.k.gcexport);
        cmd.arg("--server")
            .arg(self.sim.base_url())
            .arg("--session")
            .arg(&self.session)
            .arg("-d")
            .arg(folder)
            .args(["-f", &self.k.formats, "-u"])
            // The activity backup alone, as in the figures it is compared with; health data
            // has its own request counts (crates/backup/tests/health.rs, BENCHMARKS.md).
            .args(["--what", "activities"])
            .args(["--concurrency", &self.k.concurrency.to_string()])
            .args(extra)
            // Nothing from the environment may point it elsewhere.
            .env_remove("GCEXPORT_PROFILE")
            .env_remove("GCEXPORT_SERVER_URL")
            .env_remove("GCEXPORT_LOG");
        measure::run(cmd, &self.work.join("stderr.txt"))
    }

    fn gcexport(&self, extra: &[&str]) -> anyhow::Result<Measured> {
        self.command(&self.folder, extra)
    }

    fn full_backup(&self, activities: usize) -> anyhow::Result<FullRun> {
        self.sim.reset_stats();
        let m = self.gcexport(&[])?;
        ensure!(
            m.status.success(),
            "the full backup failed ({:?}):\n{}",
            m.status,
            tail(&m.stderr, 20)
        );
        let requests = Requests::from_stats(&self.sim.stats());
        let ideal_s =
            requests.api() as f64 * self.k.latency_ms as f64 / 1000.0 / self.k.concurrency as f64;
        let wall_s = m.wall.as_secs_f64();
        Ok(FullRun {
            wall_s,
            peak_rss_mib: mib(m.peak_rss_kib),
            ideal_s,
            ratio: if ideal_s > 0.0 { wall_s / ideal_s } else { 0.0 },
            requests_per_activity: (requests.details + requests.gear + requests.downloads) as f64
                / activities.max(1) as f64,
            all_requests_per_activity: requests.api() as f64 / activities.max(1) as f64,
            requests,
        })
    }

    fn rerun(&self) -> anyhow::Result<Rerun> {
        self.sim.reset_stats();
        let m = self.gcexport(&[])?;
        ensure!(
            m.status.success(),
            "the re-run failed ({:?}):\n{}",
            m.status,
            tail(&m.stderr, 20)
        );
        Ok(Rerun {
            wall_s: m.wall.as_secs_f64(),
            peak_rss_mib: mib(m.peak_rss_kib),
            requests: Requests::from_stats(&self.sim.stats()),
        })
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn tail(s: &str, lines: usize) -> String {
    let all: Vec<&str> = s.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(vec![]).is_nan());
    }

    #[test]
    fn a_device_counts_only_when_garmin_names_one() {
        let named = serde_json::json!({"metadataDTO": {"deviceApplicationInstallationId": 7, "deviceMetaDataDTO": {"deviceId": 3}}});
        let unknown = serde_json::json!({"metadataDTO": {"deviceApplicationInstallationId": 7, "deviceMetaDataDTO": {"deviceId": 0}}});
        let manual = serde_json::json!({"metadataDTO": {}});
        assert_eq!(device_of(&named), Some(7));
        assert_eq!(device_of(&unknown), None);
        assert_eq!(device_of(&manual), None);
    }
}
