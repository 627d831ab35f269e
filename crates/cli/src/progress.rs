//! Progress for the terminal: bars on an interactive terminal (the activities', then the
//! health data's in days), one JSON object per line with `--json`, nothing but the summary
//! otherwise.

use std::io::Write;
use std::sync::Mutex;

use gcexport_backup::health::{HealthSummary, HealthTotals};
use gcexport_backup::{Progress, Summary, Totals};
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Bars {
    bar: ProgressBar,
    /// Whether the bar shows the plan yet (a spinner until something is planned).
    planned: std::sync::atomic::AtomicBool,
    /// The health part's bar, made when its first days' totals come (after the activities').
    days: std::sync::OnceLock<ProgressBar>,
}

impl Bars {
    pub fn new() -> Bars {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(5));
        bar.set_style(style("{spinner} {msg}"));
        Bars {
            bar,
            planned: std::sync::atomic::AtomicBool::new(false),
            days: std::sync::OnceLock::new(),
        }
    }
}

/// "412 days to fetch" as a bar: days done (with data or without a device) and failed.
pub fn days_bar(bar: &ProgressBar, t: &HealthTotals) {
    bar.set_length(t.days_planned);
    bar.set_position(t.days_done + t.days_failed);
    let mut msg = "health data".to_owned();
    if t.days_failed > 0 {
        msg.push_str(&format!(", {} failed", t.days_failed));
    }
    if let Some(until) = t.paused_until {
        msg.push_str(&format!(
            "  (Garmin asked us to wait until {})",
            until.with_timezone(&chrono::Local).format("%H:%M:%S")
        ));
    }
    bar.set_message(msg);
}

pub const DAYS_TEMPLATE: &str = "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} days  {msg}";

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

impl Progress for Bars {
    fn update(&self, t: &Totals) {
        use std::sync::atomic::Ordering;
        if t.activities_planned == 0 {
            self.bar
                .set_message(format!("listing: {} activities", t.activities_listed));
            self.bar.tick();
            return;
        }
        if !self.planned.swap(true, Ordering::Relaxed) {
            self.bar.set_style(style(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} activities  {msg}",
            ));
        }
        self.bar.set_length(t.activities_planned);
        self.bar
            .set_position(t.activities_done + t.activities_failed);
        let mut msg = format!("{} written", HumanBytes(t.bytes_written));
        if t.activities_failed > 0 {
            msg.push_str(&format!(", {} failed", t.activities_failed));
        }
        if let Some(until) = t.paused_until {
            msg.push_str(&format!(
                "  (Garmin asked us to wait until {})",
                until.with_timezone(&chrono::Local).format("%H:%M:%S")
            ));
        } else if let Some(a) = &t.current_activity {
            let name: String = a.name.chars().take(40).collect();
            msg.push_str(&format!("  {} {name}", a.id));
        }
        self.bar.set_message(msg);
    }

    fn finish(&self, _summary: &Summary) {
        self.bar.finish_and_clear();
    }

    fn health(&self, t: &HealthTotals) {
        let bar = self.days.get_or_init(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(5));
            bar.set_style(style(DAYS_TEMPLATE));
            bar
        });
        days_bar(bar, t);
    }

    fn health_finish(&self, _summary: &HealthSummary) {
        if let Some(bar) = self.days.get() {
            bar.finish_and_clear();
        }
    }
}

/// `--json`: `{"event":"progress",...}` per update, `{"event":"summary",...}` at the end.
pub struct JsonLines {
    out: Mutex<std::io::Stdout>,
}

impl JsonLines {
    pub fn new() -> JsonLines {
        JsonLines {
            out: Mutex::new(std::io::stdout()),
        }
    }

    fn emit(&self, event: &str, value: serde_json::Value) {
        let mut v = value;
        if let Some(map) = v.as_object_mut() {
            map.insert("event".into(), event.into());
        }
        if let Ok(mut out) = self.out.lock() {
            let _ = writeln!(out, "{v}");
            let _ = out.flush();
        }
    }
}

impl Progress for JsonLines {
    fn update(&self, t: &Totals) {
        self.emit("progress", serde_json::to_value(t).unwrap_or_default());
    }

    fn finish(&self, s: &Summary) {
        self.emit("summary", serde_json::to_value(s).unwrap_or_default());
    }

    fn health(&self, t: &HealthTotals) {
        self.emit(
            "health_progress",
            serde_json::to_value(t).unwrap_or_default(),
        );
    }

    fn health_finish(&self, s: &HealthSummary) {
        let summary = serde_json::to_value(s).unwrap_or_default();
        self.emit("health_summary", serde_json::json!({ "summary": summary }));
    }
}
