//! What a benchmark run measures, from the environment (`make bench` passes it through).

use std::path::PathBuf;

use anyhow::{Context, anyhow};

/// Accounts of this many activities or more get `runs_large` full backups (each takes
/// minutes at 50 ms per request).
const LARGE: usize = 5_000;

#[derive(Clone, Debug)]
pub struct Knobs {
    pub quick: bool,
    pub sizes: Vec<usize>,
    pub runs: usize,
    pub runs_large: usize,
    /// Re-runs of each kind after each full backup.
    pub reruns: usize,
    pub latency_ms: u64,
    pub concurrency: u64,
    /// `gcexport -f` of the full backups and re-runs.
    pub formats: String,
    pub fault_sizes: Vec<usize>,
    pub faults: String,
    pub gcexport: PathBuf,
    pub out_dir: PathBuf,
}

impl Knobs {
    pub fn from_env() -> anyhow::Result<Knobs> {
        let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
        let exe_dir = std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(PathBuf::from))
            .unwrap_or_default();
        let k = Knobs {
            quick,
            sizes: list("BENCH_SIZES", if quick { "200,1000" } else { "1000,10000" })?,
            runs: num("BENCH_RUNS", if quick { 1 } else { 3 })?,
            runs_large: num("BENCH_RUNS_LARGE", if quick { 1 } else { 2 })?,
            reruns: num("BENCH_RERUNS", if quick { 2 } else { 5 })?,
            latency_ms: num("BENCH_LATENCY_MS", 50)?,
            concurrency: num("BENCH_CONCURRENCY", 4)?,
            formats: std::env::var("BENCH_FORMATS").unwrap_or_else(|_| "gpx,original".into()),
            fault_sizes: list("BENCH_FAULT_SIZES", if quick { "200" } else { "1000" })?,
            faults: std::env::var("BENCH_FAULTS").unwrap_or_else(|_| {
                "429:p=0.01,body=json,retry-after=1;5xx:p=0.02,status=503".into()
            }),
            gcexport: std::env::var_os("GCEXPORT_BIN")
                .map(PathBuf::from)
                .unwrap_or_else(|| exe_dir.join("gcexport")),
            out_dir: std::env::var_os("BENCH_OUT")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("target/bench")),
        };
        if !k.gcexport.exists() {
            return Err(anyhow!(
                "{} is missing: build it first (cargo build --release -p gcexport-cli), or set GCEXPORT_BIN",
                k.gcexport.display()
            ));
        }
        Ok(k)
    }

    pub fn runs_for(&self, size: usize) -> usize {
        if size >= LARGE {
            self.runs_large.max(1)
        } else {
            self.runs.max(1)
        }
    }
}

fn num<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|_| anyhow!("{name} must be a number, not {v:?}")),
        _ => Ok(default),
    }
}

fn list(name: &str, default: &str) -> anyhow::Result<Vec<usize>> {
    let v = std::env::var(name).unwrap_or_else(|_| default.to_owned());
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.replace('_', "")
                .parse()
                .with_context(|| format!("{name}: {s:?} is not a number"))
        })
        .collect()
}
