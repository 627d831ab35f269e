//! Requests a health backup costs, against the simulator over loopback: a first backup of 1
//! and 5 years of days, a re-run the same day, and a re-run a week later. Prints a Markdown
//! table for BENCHMARKS.md. `cargo run --release -p gcexport-backup --example health_requests`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use chrono::{Duration, NaiveDate};
use gcexport_backup::health::{ConnectHealth, HealthOptions, HealthSummary, run_health};
use gcexport_backup::{Archive, CancellationToken, NoProgress};

/// One whole health backup, nothing shown and nothing cancelled.
async fn once(archive: &Archive, source: &ConnectHealth, opts: &HealthOptions) -> HealthSummary {
    run_health(
        archive,
        source,
        opts,
        &NoProgress,
        &CancellationToken::new(),
    )
    .await
    .unwrap()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!(
        "| Days of history | Days with a device | First backup: requests | Per day | Wall time | Same day again: requests | A week later: requests |"
    );
    println!("|---|---|---|---|---|---|---|");
    for days in [365usize, 1826] {
        let sim = gcexport_sim::start(gcexport_sim::SimConfig {
            activities: 20,
            health_days: days,
            ..Default::default()
        })
        .unwrap();
        let source = ConnectHealth::new(gcexport_testkit::signed_in(&sim).await)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::open(dir.path()).unwrap();
        let last = NaiveDate::from_ymd_opt(2026, 10, 30).unwrap();
        let mut opts = HealthOptions::new(last);
        opts.since = Some(last - Duration::days(days as i64 - 1));
        let started = std::time::Instant::now();
        let first = once(&archive, &source, &opts).await;
        let wall = started.elapsed();
        let again = once(&archive, &source, &opts).await;
        opts.until = last + Duration::days(7);
        let week = once(&archive, &source, &opts).await;
        println!(
            "| {days} | {} | {} | {:.2} | {:.1} s | {} | {} |",
            first.days_fetched,
            first.requests,
            first.requests as f64 / days as f64,
            wall.as_secs_f64(),
            again.requests,
            week.requests,
        );
    }
}
