//! FIT decoding speed and outcome on a set of files, ours against `fitparser` (the decoder
//! used before ours): `cargo run --release -p gcexport-backup --example fit_speed --
//! FILE.fit...`. Prints one line per file, then MB/s of each; with `BENCH_OUT` set, also
//! writes `$BENCH_OUT/fit.json` for `make bench`'s BENCHMARKS.md. Run by `make bench` on the
//! real-device corpus in crates/backup/tests/fixtures/real-fit.

use std::time::Instant;

use gcexport_backup::convert::decode_fit;

/// fitparser as our decoder used it: every message decoded, enums as numbers.
fn fitparser_decode(bytes: &[u8]) -> Result<usize, String> {
    use fitparser::de::{DecodeOption, FitObject, FitStreamProcessor};
    let mut proc = FitStreamProcessor::new();
    proc.add_option(DecodeOption::ReturnNumericEnumValues);
    let mut input = bytes;
    let mut records = 0;
    while !input.is_empty() {
        let (rest, obj) = proc.deserialize_next(input).map_err(|e| e.to_string())?;
        match obj {
            FitObject::Crc(_) => proc.reset(),
            FitObject::DataMessage(m) => {
                let r = proc.decode_message(m).map_err(|e| e.to_string())?;
                records += usize::from(r.kind() == fitparser::profile::MesgNum::Record);
            }
            _ => {}
        }
        input = rest;
    }
    Ok(records)
}

/// MB/s of `f` over all files, with enough rounds for a second of work.
fn speed(files: &[(String, Vec<u8>)], f: impl Fn(&[u8])) -> f64 {
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    let started = Instant::now();
    let mut rounds = 0u32;
    while rounds < 3 || started.elapsed().as_secs_f64() < 1.0 {
        for (_, bytes) in files {
            f(std::hint::black_box(bytes));
        }
        rounds += 1;
    }
    total as f64 * f64::from(rounds) / 1e6 / started.elapsed().as_secs_f64()
}

fn main() {
    let files: Vec<(String, Vec<u8>)> = std::env::args()
        .skip(1)
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
        .collect();
    let (mut ours_ok, mut theirs_ok) = (0, 0);
    for (path, bytes) in &files {
        let theirs = match std::panic::catch_unwind(|| fitparser_decode(bytes)) {
            Ok(Ok(n)) => {
                theirs_ok += 1;
                format!("{n} records")
            }
            Ok(Err(e)) => format!("fails: {e}"),
            Err(_) => "panics".to_string(),
        };
        match decode_fit(bytes) {
            Ok(rec) => {
                ours_ok += 1;
                let points = rec.points().count();
                let positions = rec.points().filter(|p| p.position.is_some()).count();
                let note = rec
                    .damage
                    .map(|d| format!(" (damaged: {d})"))
                    .unwrap_or_default();
                println!(
                    "ok    {path}: {points} points, {positions} positions{note}; fitparser: {theirs}"
                );
            }
            Err(e) => println!("fails {path}: {e}; fitparser: {theirs}"),
        }
    }
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    let ours = speed(&files, |b| {
        let _ = std::hint::black_box(decode_fit(b));
    });
    let theirs = speed(&files, |b| {
        let _ = std::hint::black_box(std::panic::catch_unwind(|| fitparser_decode(b)));
    });
    println!(
        "{} files, {:.2} MB: ours decodes {ours_ok} at {ours:.1} MB/s; fitparser {theirs_ok} at {theirs:.1} MB/s",
        files.len(),
        total as f64 / 1e6
    );
    if let Some(dir) = std::env::var_os("BENCH_OUT").filter(|d| !d.is_empty()) {
        let json = format!(
            "{{\"files\":{},\"bytes\":{total},\"ours_ok\":{ours_ok},\"ours_mb_s\":{ours:.2},\"fitparser_ok\":{theirs_ok},\"fitparser_mb_s\":{theirs:.2}}}\n",
            files.len()
        );
        let path = std::path::Path::new(&dir).join("fit.json");
        if let Err(e) = std::fs::write(&path, json) {
            eprintln!("cannot write {}: {e}", path.display());
        }
    }
}
