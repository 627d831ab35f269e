//! `--what`: health data, personal records (and gear) beside the activities.

use anyhow::Context as _;
use chrono::NaiveDate;
use gcexport_backup::health::{ConnectHealth, HealthOptions, HealthSummary, run_health};
use gcexport_backup::{Archive, CancellationToken, NoProgress};

use crate::args::Args;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct What {
    pub activities: bool,
    pub health: bool,
    pub records: bool,
    pub gear: bool,
}

pub fn what(args: &Args) -> Result<What, String> {
    let mut w = What::default();
    for item in &args.what {
        match item.trim().to_ascii_lowercase().as_str() {
            "" => {}
            "all" => {
                w = What {
                    activities: true,
                    health: true,
                    records: true,
                    gear: true,
                }
            }
            "activities" => w.activities = true,
            "health" => w.health = true,
            "records" => w.records = true,
            "gear" => w.gear = true,
            other => {
                return Err(format!(
                    "--what: unknown {other:?} (known: activities, health, records, gear)"
                ));
            }
        }
    }
    if w == What::default() {
        return Err("--what: choose at least one of activities, health, records, gear".into());
    }
    Ok(w)
}

fn date(text: &Option<String>, flag: &str) -> Result<Option<NaiveDate>, String> {
    text.as_deref()
        .map(|t| {
            NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
                .map_err(|_| format!("--{flag}: {t:?} is not a date like 2024-03-31"))
        })
        .transpose()
}

pub fn options(args: &Args, what: &What) -> Result<HealthOptions, String> {
    let until = date(&args.health_until, "health-until")?
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let mut o = HealthOptions::new(until);
    o.since = date(&args.health_since, "health-since")?;
    if o.since.is_some_and(|s| s > until) {
        return Err("--health-since is after --health-until".into());
    }
    o.health = what.health;
    o.records = what.records;
    o.concurrency = usize::from(args.concurrency);
    Ok(o)
}

pub async fn run(
    args: &Args,
    what: &What,
    archive: &Archive,
    session: &gcexport_connect::Session,
    cancel: &CancellationToken,
) -> anyhow::Result<u8> {
    let opts = options(args, what).map_err(|e| anyhow::anyhow!(crate::UsageError(e)))?;
    let source = match ConnectHealth::new(session.clone()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("health data: could not ask who is signed in: {e}");
            return Ok(crate::EXIT_FAILED);
        }
    };
    let summary = run_health(archive, &source, &opts, &NoProgress, cancel)
        .await
        .context("the health backup could not run")?;
    if args.json {
        let line = serde_json::json!({"event": "health_summary", "summary": summary});
        println!("{line}");
    } else {
        print(&summary, what);
    }
    Ok(match &summary.stopped {
        Some(_) if cancel.is_cancelled() => crate::EXIT_INTERRUPTED,
        Some(_) => crate::EXIT_FAILED,
        None if summary.days_failed > 0 || !summary.failures.is_empty() => crate::EXIT_FAILED,
        None => 0,
    })
}

fn print(s: &HealthSummary, what: &What) {
    if what.health {
        let range = match (s.first_day, s.last_day) {
            (Some(a), Some(b)) => format!(" ({a} to {b})"),
            _ => String::new(),
        };
        println!(
            "Health data{range}: {} days fetched, {} without a device, {} already complete, {} failed; {} weigh-ins; {} requests.",
            s.days_fetched, s.days_empty, s.days_skipped, s.days_failed, s.weigh_ins, s.requests
        );
    }
    if what.records {
        println!("Personal records: {}.", s.records);
    }
    if what.gear && !what.activities {
        println!("Gear: the gear list comes with the activities (activities.csv's Gear column).");
    }
    for (day, why) in s.failures.iter().take(10) {
        println!("  {day}: {why}");
    }
    if s.failures.len() > 10 {
        println!(
            "  ... and {} more (run again to retry them)",
            s.failures.len() - 10
        );
    }
    if let Some(why) = &s.stopped {
        println!("Health data stopped early: {why}. Run again to continue where it stopped.");
    }
}
