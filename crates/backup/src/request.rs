//! What a person asks a backup for, whole: the folder, the formats, how files are named, how
//! many requests at once, which activities, and how far back to list. The desktop page sends
//! it as it is; the CLI builds the same request from its options. Its defaults are the
//! defaults everywhere: the app's preferences start from them.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::layout::{BROWSABLE, Layout};
use crate::model::Format;
use crate::run::{ListMode, RunOptions, Selection};

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
}
