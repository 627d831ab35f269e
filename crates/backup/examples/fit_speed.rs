//! FIT decoding speed and outcome on a set of files: `cargo run --release -p gcexport-backup
//! --example fit_speed -- FILE.fit...` (BENCHMARKS.md has the numbers on the real-device
//! corpus in crates/backup/tests/fixtures/real-fit). Prints one line per file, then MB/s.

use std::time::Instant;

use gcexport_backup::convert::decode_fit;

fn main() {
    let files: Vec<(String, Vec<u8>)> = std::env::args()
        .skip(1)
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
        .collect();
    let mut converted = 0;
    for (path, bytes) in &files {
        match decode_fit(bytes) {
            Ok(rec) => {
                converted += 1;
                let points = rec.points().count();
                let positions = rec.points().filter(|p| p.position.is_some()).count();
                println!("ok    {path}: {points} points, {positions} positions");
            }
            Err(e) => println!("fails {path}: {e}"),
        }
    }
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    // Enough rounds for a second of work, so that the figure is not noise.
    let started = Instant::now();
    let mut rounds = 0u32;
    while rounds < 3 || started.elapsed().as_secs_f64() < 1.0 {
        for (_, bytes) in &files {
            let _ = std::hint::black_box(decode_fit(std::hint::black_box(bytes)));
        }
        rounds += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    let mb = total as f64 * f64::from(rounds) / 1e6;
    println!(
        "{converted} of {} files decoded; {:.2} MB in {rounds} rounds: {:.1} MB/s",
        files.len(),
        total as f64 / 1e6,
        mb / secs
    );
}
