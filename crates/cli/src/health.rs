//! `--what` and the health part of a backup: the choice as the engine's [`What`], the days
//! as the request's range, and the health summary in words and an exit code.

use chrono::NaiveDate;
use gcexport_backup::What;
use gcexport_backup::health::HealthSummary;

use crate::args::Args;

pub fn what(args: &Args) -> Result<What, String> {
    let none = What {
        activities: false,
        health: false,
        records: false,
        gear: false,
    };
    let mut w = none;
    for item in &args.what {
        match item.trim().to_ascii_lowercase().as_str() {
            "" => {}
            "all" => w = What::default(),
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
    if w == none {
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

/// `--health-since` and `--health-until`, checked; `None` leaves the engine's default.
pub fn range(args: &Args) -> Result<(Option<NaiveDate>, Option<NaiveDate>), String> {
    let since = date(&args.health_since, "health-since")?;
    let until = date(&args.health_until, "health-until")?;
    let last = until.unwrap_or_else(|| chrono::Local::now().date_naive());
    if since.is_some_and(|s| s > last) {
        return Err("--health-since is after --health-until".into());
    }
    Ok((since, until))
}

/// The health part's end: its summary in words (unless `--json`, whose progress stream
/// carries it), and its exit code.
pub fn finish(s: &HealthSummary, what: &What, json: bool, cancelled: bool) -> u8 {
    if !json {
        print(s, what);
    }
    match &s.stopped {
        Some(_) if cancelled => crate::EXIT_INTERRUPTED,
        Some(_) => crate::EXIT_FAILED,
        None if s.days_failed > 0 || !s.failures.is_empty() => crate::EXIT_FAILED,
        None => 0,
    }
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
