//! `gcexport-bench`: the numbers behind BENCHMARKS.md.
//!
//! `gcexport-bench cli` runs the command-line benchmarks against the in-process simulator
//! and writes `$BENCH_OUT/cli.json`; the page and app benchmarks (node, under
//! tests/e2e/bench) write `page.json` and `app.json` next to it; `gcexport-bench report`
//! turns whatever is there into BENCHMARKS.md. `make bench` runs all three. Knobs are
//! environment variables, listed in BENCHMARKS.md.

mod cli;
mod knobs;
mod measure;
mod report;

use std::process::ExitCode;

use anyhow::Context;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("cli") => run_cli(),
        Some("report") => {
            let target = args.get(1).map_or("BENCHMARKS.md", String::as_str);
            report_to(target)
        }
        _ => {
            eprintln!(
                "usage: gcexport-bench cli        measure gcexport (writes $BENCH_OUT/cli.json)\n       gcexport-bench report [FILE] write BENCHMARKS.md from $BENCH_OUT/*.json"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gcexport-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_cli() -> anyhow::Result<()> {
    let k = knobs::Knobs::from_env()?;
    std::fs::create_dir_all(&k.out_dir)
        .with_context(|| format!("cannot create {}", k.out_dir.display()))?;
    let results = cli::run(&k)?;
    let mut json = serde_json::to_value(&results)?;
    if let Some(o) = json.as_object_mut() {
        o.insert("quick".into(), k.quick.into());
        o.insert("runs".into(), k.runs.into());
        o.insert("runs_large".into(), k.runs_large.into());
        o.insert("reruns".into(), k.reruns.into());
    }
    let path = k.out_dir.join("cli.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&json)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

fn report_to(target: &str) -> anyhow::Result<()> {
    let out_dir = std::env::var_os("BENCH_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "target/bench".into());
    let md = report::render(&out_dir)?;
    std::fs::write(target, md).with_context(|| format!("cannot write {target}"))?;
    eprintln!("wrote {target}");
    Ok(())
}
