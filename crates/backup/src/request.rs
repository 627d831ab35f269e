//! What a person asks a backup for, whole: the folder, the formats, how files are named, how
//! many requests at once, which activities, how far back to list, and what besides
//! activities (health data, records, gear) over which days. The desktop page sends
//! it as it is; the CLI builds the same request from its options. Its defaults are the
//! defaults everywhere: the app's preferences start from them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::health::HealthOptions;
use crate::layout::{BROWSABLE, Layout};
use crate::model::Format;
use crate::run::{Job, ListMode, RunOptions, Selection, What};

/// The file-name template of [`Layout::Browsable`]: `YYYY/MM/YYYY-MM-DD_hh-mm_type_name_id`.
pub const DEFAULT_TEMPLATE: &str = BROWSABLE;

/// Requests in flight at once when nobody chose: polite to Garmin, and quick enough.
const DEFAULT_CONCURRENCY: u8 = 4;
const MAX_CONCURRENCY: u8 = 8;

/// One backup, as asked. Fields other front ends add later take `#[serde(default)]`, so an
/// older page's request still reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BackupRequest {
    /// Where the backup goes, as the person gave it; the front end decides whether it may
    /// write there (`folder::destination`).
    pub folder: String,
    pub formats: Vec<Format>,
    /// File names: a template of `{YYYY} {MM} {DD} {hh} {mm} {ss} {id} {type} {name}` that
    /// holds `{id}`.
    pub layout: String,
    /// `gcexport.py`'s file names instead of the template (the CLI's `--layout classic`).
    #[serde(default)]
    pub classic: Option<ClassicNames>,
    /// Requests to the source at once, 1 to 8.
    pub concurrency: u8,
    /// Which activities: every one listed, some filters, or exactly these ids.
    #[serde(default)]
    pub selection: Selection,
    #[serde(default)]
    pub mode: ListMode,
    /// Unzip originals.
    #[serde(default)]
    pub unzip: bool,
    /// Set file times to the activity's start.
    #[serde(default)]
    pub original_time: bool,
    /// Download GPX and TCX from Garmin instead of making them from a clean FIT original.
    #[serde(default)]
    pub garmin_tracks: bool,
    /// What to back up; everything when left out.
    #[serde(default)]
    pub what: What,
    /// The first day of health data; `None`: the oldest activity in the folder, else two
    /// years before the last day.
    #[serde(default)]
    pub health_since: Option<NaiveDate>,
    /// The last day of health data; `None`: today.
    #[serde(default)]
    pub health_until: Option<NaiveDate>,
}

/// `gcexport.py`'s names: `[YYYYMMDD-hhmmss-]activity_{id}[_name].ext`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClassicNames {
    pub file_prefix: bool,
    /// Append the activity name, cut to N characters when N > 0.
    pub desc: Option<u32>,
    /// A folder inside the backup, with `{YYYY}` and `{MM}`.
    pub subdir: Option<String>,
}

impl Default for BackupRequest {
    fn default() -> Self {
        BackupRequest {
            folder: String::new(),
            formats: vec![Format::Original, Format::Gpx],
            layout: DEFAULT_TEMPLATE.to_owned(),
            classic: None,
            concurrency: DEFAULT_CONCURRENCY,
            selection: Selection::default(),
            mode: ListMode::Incremental,
            unzip: false,
            original_time: false,
            garmin_tracks: false,
            what: What::default(),
            health_since: None,
            health_until: None,
        }
    }
}

impl BackupRequest {
    /// The formats without repeats, in a fixed order; the defaults when none is given is
    /// the front end's choice, so none is an error here.
    pub fn formats(&self) -> Result<Vec<Format>> {
        let mut formats = self.formats.clone();
        formats.sort();
        formats.dedup();
        if formats.is_empty() {
            return Err(Error::Config("choose at least one format".into()));
        }
        Ok(formats)
    }

    /// The file names asked for, checked now so a typo fails before any download.
    pub fn layout(&self) -> Result<Layout> {
        if let Some(c) = &self.classic {
            return Ok(Layout::Classic {
                file_prefix: c.file_prefix,
                desc: c.desc.map(|n| n as usize),
                subdir: c.subdir.clone(),
            });
        }
        let template = self.layout.trim();
        if template.is_empty() || template == DEFAULT_TEMPLATE {
            return Ok(Layout::Browsable);
        }
        Layout::template(template)
    }

    /// Concurrency within 1 to 8, whatever was asked.
    pub fn concurrency(&self) -> usize {
        usize::from(self.concurrency.clamp(1, MAX_CONCURRENCY))
    }

    /// The run this request asks for; the run-level knobs (dry run, page size, ZIP limits)
    /// keep their defaults for the caller to set.
    pub fn run_options(&self) -> Result<RunOptions> {
        Ok(RunOptions {
            formats: self.formats()?,
            unzip: self.unzip,
            layout: self.layout()?,
            mode: self.mode,
            selection: self.selection.clone(),
            concurrency: self.concurrency(),
            original_time: self.original_time,
            garmin_tracks: self.garmin_tracks,
            ..RunOptions::default()
        })
    }

    /// The whole run this request asks for, with `today` as the health data's last day
    /// unless the request names one. The activities' options are checked only when
    /// activities are asked for (a health-only request needs no format).
    pub fn job(&self, today: NaiveDate) -> Result<Job> {
        let what = self.what;
        if !what.activities && !what.health_part() && !what.gear {
            return Err(Error::Config(
                "choose at least one of activities, health, records, gear".into(),
            ));
        }
        let activities = if what.activities {
            self.run_options()?
        } else {
            RunOptions {
                concurrency: self.concurrency(),
                ..RunOptions::default()
            }
        };
        let until = self.health_until.unwrap_or(today);
        if self.health_since.is_some_and(|s| s > until) {
            return Err(Error::Config(format!(
                "the first day of health data ({}) is after its last ({until})",
                self.health_since.map(|d| d.to_string()).unwrap_or_default()
            )));
        }
        let mut health = HealthOptions::new(until);
        health.since = self.health_since;
        health.health = what.health;
        health.records = what.records;
        health.concurrency = self.concurrency();
        Ok(Job {
            what,
            activities,
            health,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_default_request_is_a_runnable_one() {
        let o = BackupRequest::default().run_options().unwrap();
        assert_eq!(o.formats, vec![Format::Original, Format::Gpx]);
        assert_eq!(o.layout, Layout::Browsable);
        assert_eq!(o.concurrency, 4);
        assert_eq!(o.mode, ListMode::Incremental);
        assert!(o.selection.only.is_none());
    }

    #[test]
    fn a_template_without_an_id_is_refused_before_anything_runs() {
        let r = BackupRequest {
            layout: "{YYYY}/{name}".into(),
            ..BackupRequest::default()
        };
        let e = r.run_options().unwrap_err();
        assert!(e.to_string().contains("{id}"), "{e}");
        let none = BackupRequest {
            formats: vec![],
            ..BackupRequest::default()
        };
        assert!(none.run_options().is_err());
    }

    #[test]
    fn concurrency_stays_within_what_garmin_tolerates() {
        let many = BackupRequest {
            concurrency: 50,
            ..BackupRequest::default()
        };
        let none = BackupRequest {
            concurrency: 0,
            ..BackupRequest::default()
        };
        assert_eq!((many.concurrency(), none.concurrency()), (8, 1));
    }

    #[test]
    fn a_minimal_request_reads_with_defaults_for_what_it_leaves_out() {
        let r: BackupRequest = serde_json::from_value(serde_json::json!({
            "folder": "/backup",
            "formats": ["gpx", "original", "gpx"],
            "layout": "{YYYY}/{id}",
            "concurrency": 2,
            "selection": {"only": [7, 9]}
        }))
        .unwrap();
        let o = r.run_options().unwrap();
        assert_eq!(o.formats, vec![Format::Original, Format::Gpx]);
        assert_eq!(o.layout, Layout::Template("{YYYY}/{id}".into()));
        assert_eq!(o.selection.only, Some([7, 9].into_iter().collect()));
        assert_eq!(o.selection.count, None);
        assert_eq!(o.mode, ListMode::Incremental);
    }

    #[test]
    fn a_request_without_what_asks_for_everything_until_today() {
        let r: BackupRequest = serde_json::from_value(serde_json::json!({
            "folder": "/backup", "formats": ["original"], "layout": "", "concurrency": 3
        }))
        .unwrap();
        assert_eq!(r.what, What::default());
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let job = r.job(today).unwrap();
        assert!(job.what.activities && job.health.health && job.health.records);
        assert_eq!((job.health.until, job.health.since), (today, None));
        assert_eq!(job.health.concurrency, 3);
    }

    #[test]
    fn health_alone_needs_no_format_but_a_range_in_order() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let health_only = BackupRequest {
            formats: vec![],
            what: What {
                activities: false,
                health: true,
                records: false,
                gear: false,
            },
            ..BackupRequest::default()
        };
        let job = health_only.job(today).unwrap();
        assert!(!job.what.activities && job.health.health && !job.health.records);
        let backwards = BackupRequest {
            health_since: NaiveDate::from_ymd_opt(2026, 12, 7),
            ..health_only.clone()
        };
        assert!(backwards.job(today).is_err());
        let nothing = BackupRequest {
            what: What {
                activities: false,
                health: false,
                records: false,
                gear: false,
            },
            ..health_only
        };
        let e = nothing.job(today).unwrap_err().to_string();
        assert!(e.contains("activities, health"), "{e}");
        // With activities, the formats are checked as before.
        let no_format = BackupRequest {
            formats: vec![],
            ..BackupRequest::default()
        };
        assert!(no_format.job(today).is_err());
    }
}
