//! The backup seen from the window: the [`Progress`] that forwards running totals to the
//! page's channel, the engine's summary in the page's words, and each listed activity's
//! status in the chosen folder. An import of the account data export reports through the
//! same summary, with what opening the export found.

use std::collections::HashSet;
use std::sync::Mutex;

use gcexport_backup::health::{HealthCall, HealthSource, HealthSummary, HealthTotals};
use gcexport_backup::{self as backup, ActivityId, Archive, Format, ItemState, SourceError};

use crate::wire::{
    ActivityStatus, AmbiguousMatch, AppError, BackupEvent, CurrentActivity, DaysProgress, Failed,
    FailedDay, HealthReport, ImportNotes, NamedActivity, NotInExport, Salvaged, Summary,
    Unavailable,
};

/// Days listed one by one in the summary, at most (the rest are counted).
const FAILED_DAYS_SHOWN: usize = 200;

/// What opening an account data export found, kept for the summary. Ambiguities name
/// activity ids only: their names are in the folder once the run has listed them.
#[derive(Clone, Debug, Default)]
pub struct ExportFindings {
    pub notes: ImportNotes,
    pub ambiguous: Vec<(Vec<String>, Vec<ActivityId>)>,
    /// The export's health folders, imported once its activities are in (records then name
    /// their activity); `None` when the request leaves health data and records out.
    pub health: Option<HealthImport>,
}

#[derive(Clone, Debug)]
pub struct HealthImport {
    pub export: std::path::PathBuf,
    pub options: gcexport_backup::export::HealthImportOptions,
}

/// Imports the export's health folders on a blocking worker (it reads and writes files):
/// the page's report of it, and what the export cannot fill.
pub async fn import_health(
    archive: &std::sync::Arc<gcexport_backup::Archive>,
    what: &HealthImport,
) -> (HealthReport, Vec<NotInExport>) {
    let archive = std::sync::Arc::clone(archive);
    let export = what.export.clone();
    let options = what.options;
    let done = tokio::task::spawn_blocking(move || {
        gcexport_backup::export::import_health(&archive, &export, options)
    })
    .await;
    match done {
        Ok(Ok(r)) => (imported_health_report(&r), not_in_export(&r)),
        Ok(Err(e)) => (
            HealthReport {
                stopped: Some(format!(
                    "the export's health data could not be imported: {e}"
                )),
                ..HealthReport::default()
            },
            Vec::new(),
        ),
        Err(e) => (
            HealthReport {
                stopped: Some(format!(
                    "the export's health data could not be imported: {e}"
                )),
                ..HealthReport::default()
            },
            Vec::new(),
        ),
    }
}

/// An import in the words of the health summary: days written now are "backed up now", days
/// already in the folder (from Garmin Connect, or from this export before) "already safe",
/// entries that could not be read "failed".
fn imported_health_report(r: &gcexport_backup::export::HealthImportReport) -> HealthReport {
    HealthReport {
        days_fetched: r.days_new,
        days_skipped: r.days_online + r.days.saturating_sub(r.days_new),
        days_failed: r.skipped.len() as u64,
        weigh_ins: r.weigh_ins,
        records: r.records,
        failures: r
            .skipped
            .iter()
            .take(FAILED_DAYS_SHOWN)
            .map(|why| FailedDay {
                day: String::new(),
                message: why.clone(),
            })
            .collect(),
        ..HealthReport::default()
    }
}

fn not_in_export(r: &gcexport_backup::export::HealthImportReport) -> Vec<NotInExport> {
    r.not_in_export
        .iter()
        .map(|m| NotInExport {
            file: m.file.to_owned(),
            column: m.column.map(str::to_owned),
            why: m.why.to_owned(),
        })
        .collect()
}

/// An error in the words of where the activities come from.
pub fn in_terms(export: Option<&ExportFindings>, e: AppError) -> AppError {
    if export.is_some() { e.in_export() } else { e }
}

/// The engine's summary in the page's words. `archive` names the activities an import
/// found ambiguous.
pub fn summary(
    s: &backup::Summary,
    export: Option<&ExportFindings>,
    archive: &Archive,
    elapsed_ms: u64,
) -> Summary {
    // An ambiguous match is listed with its candidates, not as a failure to retry: trying
    // again would find the same candidates.
    let ambiguous: HashSet<ActivityId> = export
        .iter()
        .flat_map(|x| x.ambiguous.iter().flat_map(|(_, ids)| ids.iter().copied()))
        .collect();
    let failed = s
        .failures
        .iter()
        .filter(|f| !ambiguous.contains(&f.activity_id))
        .map(|f| Failed {
            id: f.activity_id,
            name: f.name.clone(),
            format: f.format,
            error: in_terms(
                export,
                AppError::from_backup_kind(f.kind, f.message.clone(), None),
            ),
        })
        .collect();
    let import = export.map(|x| ImportNotes {
        ambiguous: x
            .ambiguous
            .iter()
            .map(|(uploads, ids)| AmbiguousMatch {
                uploads: uploads.clone(),
                activities: ids
                    .iter()
                    .map(|&id| NamedActivity {
                        id,
                        // The engine names what it failed; the folder names the rest.
                        name: s
                            .failures
                            .iter()
                            .find(|f| f.activity_id == id)
                            .map_or_else(|| backup::activity_name(archive, id), |f| f.name.clone()),
                    })
                    .collect(),
            })
            .collect(),
        ..x.notes.clone()
    });
    let ambiguous_failed = s
        .failures
        .iter()
        .map(|f| f.activity_id)
        .filter(|id| ambiguous.contains(id))
        .collect::<HashSet<_>>()
        .len() as u64;
    Summary {
        activities_new: s.activities_done,
        activities_skipped: s.activities_skipped,
        activities_failed: s.activities_failed.saturating_sub(ambiguous_failed),
        files_written: s.files_written,
        bytes_written: s.bytes_written,
        elapsed_ms,
        unavailable: s
            .unavailable
            .iter()
            .map(|u| Unavailable {
                id: u.activity_id,
                name: u.name.clone(),
                format: u.format,
                reason: u.reason,
            })
            .collect(),
        failed,
        salvaged: s
            .salvaged
            .iter()
            .map(|x| Salvaged {
                id: x.activity_id,
                name: backup::activity_name(archive, x.activity_id),
                points: x.points,
                message: x.message.clone(),
            })
            .collect(),
        health: None,
        cancelled: s.cancelled,
        // A cancel is said by `cancelled`; `stopped` is for what the user did not ask.
        stopped: s
            .stopped
            .as_ref()
            .filter(|f| f.kind != backup::ErrorKind::Cancelled)
            .map(|f| {
                let until = f.until.map(|t| t.timestamp_millis());
                in_terms(
                    export,
                    AppError::from_backup_kind(f.kind, f.message.clone(), until),
                )
            }),
        import,
    }
}

/// The health part's end in the page's words.
pub fn health_report(h: &HealthSummary) -> HealthReport {
    HealthReport {
        first_day: h.first_day.map(|d| d.to_string()),
        last_day: h.last_day.map(|d| d.to_string()),
        days_fetched: h.days_fetched,
        days_skipped: h.days_skipped,
        days_empty: h.days_empty,
        days_failed: h.days_failed,
        weigh_ins: h.weigh_ins,
        records: h.records,
        failures: h
            .failures
            .iter()
            .take(FAILED_DAYS_SHOWN)
            .map(|(day, message)| FailedDay {
                day: day.to_string(),
                message: message.clone(),
            })
            .collect(),
        stopped: h.stopped.clone(),
    }
}

/// An import has no health data to give: its runs ask for activities only.
pub struct NoHealth;

impl HealthSource for NoHealth {
    async fn fetch(&self, _call: &HealthCall) -> Result<Option<Vec<u8>>, SourceError> {
        Ok(None)
    }
}

/// Running totals to the page, as the engine sends them (it already throttles to a few a
/// second and always sends the last one): the activities', then the days' beside the
/// activities' last. The `finished` event is sent by the caller, who knows the names and
/// the elapsed time.
pub struct ChannelProgress<F: Fn(BackupEvent) + Send + Sync> {
    send: F,
    activities: Mutex<backup::Totals>,
}

impl<F: Fn(BackupEvent) + Send + Sync> ChannelProgress<F> {
    pub fn new(send: F) -> Self {
        ChannelProgress {
            send,
            activities: Mutex::new(backup::Totals::default()),
        }
    }

    fn emit(&self, t: &backup::Totals, health: Option<DaysProgress>) {
        (self.send)(BackupEvent::Progress {
            activities_listed: t.activities_listed,
            activities_planned: t.activities_planned,
            activities_done: t.activities_done,
            activities_failed: t.activities_failed,
            bytes_written: t.bytes_written,
            current: t.current_activity.as_ref().map(|c| CurrentActivity {
                id: c.id,
                name: c.name.clone(),
            }),
            paused_until: t.paused_until.map(|u| u.timestamp_millis()),
            health,
        });
    }
}

impl<F: Fn(BackupEvent) + Send + Sync> backup::Progress for ChannelProgress<F> {
    fn update(&self, t: &backup::Totals) {
        if let Ok(mut last) = self.activities.lock() {
            *last = t.clone();
        }
        self.emit(t, None);
    }

    fn health(&self, t: &HealthTotals) {
        let mut last = self
            .activities
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default();
        last.current_activity = None;
        last.paused_until = t.paused_until;
        self.emit(
            &last,
            Some(DaysProgress {
                days_planned: t.days_planned,
                days_done: t.days_done,
                days_failed: t.days_failed,
            }),
        );
    }
}

/// Where one activity stands in the folder, for the chosen formats. `Json` never counts
/// towards "unavailable": the details exist for every activity.
pub fn status(archive: Option<&Archive>, id: ActivityId, formats: &[Format]) -> ActivityStatus {
    let Some(archive) = archive else {
        return ActivityStatus::New;
    };
    let mut states = Vec::with_capacity(formats.len());
    for &format in formats {
        match archive.item_state(id, format) {
            Ok(state) => states.push((format, state)),
            Err(e) => {
                tracing::warn!(error = %e, "reading the folder's state failed");
                return ActivityStatus::New;
            }
        }
    }
    if states.iter().any(|(_, s)| *s == Some(ItemState::Failed)) {
        ActivityStatus::Failed
    } else if states.iter().any(|(_, s)| s.is_none()) {
        ActivityStatus::New
    } else {
        let files: Vec<_> = states.iter().filter(|(f, _)| *f != Format::Json).collect();
        if !files.is_empty()
            && files
                .iter()
                .all(|(_, s)| *s == Some(ItemState::Unavailable))
        {
            ActivityStatus::Unavailable
        } else {
            ActivityStatus::InBackup
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::wire::UnavailableReason;

    fn failure(id: ActivityId, name: &str) -> backup::Failure {
        backup::Failure {
            activity_id: id,
            name: name.into(),
            format: Some(Format::Original),
            kind: backup::ErrorKind::Server,
            message: "uploads a.fit and b.fit both start there".into(),
        }
    }

    #[test]
    fn an_import_summary_lists_ambiguities_apart_and_in_the_exports_words() {
        let t = tempfile::tempdir().unwrap();
        let archive = Archive::open(t.path()).unwrap();
        let found = ExportFindings {
            notes: ImportNotes {
                activities: 4,
                unmatched_uploads: vec!["x.fit".into()],
                ..ImportNotes::default()
            },
            ambiguous: vec![(vec!["a.fit".into(), "b.fit".into()], vec![3])],
            health: None,
        };
        let engine = backup::Summary {
            activities_failed: 2,
            failures: vec![failure(3, "Double start"), failure(4, "Broken file")],
            unavailable: vec![backup::Unavailable {
                activity_id: 1,
                name: "Yoga".into(),
                format: Format::Gpx,
                reason: UnavailableReason::Manual,
            }],
            ..backup::Summary::default()
        };

        let s = summary(&engine, Some(&found), &archive, 10);
        // The engine's words pass through unchanged: the reason is decided there.
        assert_eq!(s.unavailable.len(), 1);
        assert_eq!(
            (s.unavailable[0].id, s.unavailable[0].reason),
            (1, UnavailableReason::Manual)
        );
        // The ambiguous activity is listed with its candidates, not offered for a retry.
        assert_eq!(s.activities_failed, 1);
        assert_eq!(s.failed.len(), 1);
        assert_eq!(s.failed[0].name, "Broken file");
        assert!(
            matches!(s.failed[0].error, AppError::ExportDamaged { .. }),
            "no server is involved: {:?}",
            s.failed[0].error
        );
        let notes = s.import.unwrap();
        assert_eq!(notes.unmatched_uploads, vec!["x.fit".to_owned()]);
        assert_eq!(notes.ambiguous[0].uploads, vec!["a.fit", "b.fit"]);
        assert_eq!(
            notes.ambiguous[0].activities,
            vec![NamedActivity {
                id: 3,
                name: "Double start".into()
            }]
        );
    }

    #[test]
    fn a_backup_summary_keeps_garmins_words() {
        let t = tempfile::tempdir().unwrap();
        let archive = Archive::open(t.path()).unwrap();
        let engine = backup::Summary {
            activities_failed: 1,
            failures: vec![failure(4, "Ride")],
            ..backup::Summary::default()
        };
        let s = summary(&engine, None, &archive, 10);
        assert!(s.import.is_none());
        assert_eq!(s.failed[0].name, "Ride");
        assert!(matches!(s.failed[0].error, AppError::Server { .. }));
    }

    #[test]
    fn a_damaged_originals_recovered_tracks_reach_the_page_with_the_activitys_name() {
        let t = tempfile::tempdir().unwrap();
        let archive = Archive::open(t.path()).unwrap();
        let engine = backup::Summary {
            salvaged: vec![backup::Salvaged {
                activity_id: 9,
                points: 5,
                message: "recovered 5 points from a damaged original (cut short)".into(),
            }],
            ..backup::Summary::default()
        };
        let s = summary(&engine, None, &archive, 10);
        assert_eq!(s.salvaged.len(), 1);
        let x = &s.salvaged[0];
        assert_eq!((x.id, x.points), (9, 5));
        // Not in this folder: named by its id rather than left blank.
        assert_eq!(x.name, "Activity 9");
        assert!(x.message.starts_with("recovered 5 points"), "{}", x.message);
    }
}
