//! The backup seen from the window: a [`Source`] wrapper that notes what the summary must
//! name (activity names, formats Garmin does not have), the [`Progress`] that forwards
//! running totals to the page's channel, the engine's summary in the page's words, and
//! each listed activity's status in the chosen folder. An import of the account data
//! export runs through the same wrapper, with what opening the export found.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use gcexport_backup::{
    self as backup, ActivityId, Archive, Format, ItemState, Sink, Source, SourceError,
};
use serde_json::Value;

use crate::wire::{
    ActivityStatus, AmbiguousMatch, AppError, BackupEvent, CurrentActivity, Failed, ImportNotes,
    NamedActivity, Summary, Unavailable, UnavailableReason,
};

/// What opening an account data export found, kept for the summary. Ambiguities name
/// activity ids only: their names are known once the run has listed them.
#[derive(Clone, Debug, Default)]
pub struct ExportFindings {
    pub notes: ImportNotes,
    pub ambiguous: Vec<(Vec<String>, Vec<ActivityId>)>,
}

#[derive(Clone, Default)]
struct Known {
    name: Option<String>,
    manual: bool,
    has_track: Option<bool>,
}

/// What the wrapper saw during one run.
#[derive(Default)]
struct Seen {
    activities: HashMap<ActivityId, Known>,
    unavailable: Vec<(ActivityId, Format)>,
}

/// A source that remembers names and missing formats, and optionally offers only some
/// activities (a "back up selected" run).
pub struct Observed<S> {
    inner: S,
    seen: Mutex<Seen>,
    /// For a selected run: the chosen activities' list items, collected once.
    only: Option<tokio::sync::OnceCell<Vec<Value>>>,
    only_ids: HashSet<ActivityId>,
    /// Set for an import: the summary reports in the export's terms.
    export: Option<ExportFindings>,
}

impl<S: Source> Observed<S> {
    pub fn new(inner: S, only: Option<Vec<ActivityId>>) -> Self {
        Observed {
            inner,
            seen: Mutex::new(Seen::default()),
            only_ids: only.iter().flatten().copied().collect(),
            only: only.map(|_| tokio::sync::OnceCell::new()),
            export: None,
        }
    }

    /// The same wrapper around an opened account data export.
    pub fn for_export(inner: S, only: Option<Vec<ActivityId>>, found: ExportFindings) -> Self {
        Observed {
            export: Some(found),
            ..Observed::new(inner, only)
        }
    }

    fn note(&self, item: &Value) {
        let Some(id) = item.get("activityId").and_then(Value::as_i64) else {
            return;
        };
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        let known = seen.activities.entry(id).or_default();
        if let Some(name) = item.get("activityName").and_then(Value::as_str) {
            known.name = Some(name.to_owned());
        }
        if let Some(manual) = item.get("manualActivity").and_then(Value::as_bool) {
            known.manual = manual;
        }
        if let Some(track) = item.get("hasPolyline").and_then(Value::as_bool) {
            known.has_track = Some(track);
        }
    }

    /// The engine pages through the list and stops at a short page, so a selection is
    /// served from one filtered copy of the whole list, paged the same way.
    async fn selected(&self) -> Result<&Vec<Value>, SourceError> {
        let Some(cell) = &self.only else {
            return Err(SourceError::new(
                backup::SourceErrorKind::Local,
                "no selection",
            ));
        };
        cell.get_or_try_init(|| async {
            const PAGE: usize = 100;
            let mut out = Vec::new();
            let mut start = 0;
            loop {
                let page = self.inner.list(start, PAGE).await?;
                let n = page.len();
                out.extend(page.into_iter().filter(|item| {
                    item.get("activityId")
                        .and_then(Value::as_i64)
                        .is_some_and(|id| self.only_ids.contains(&id))
                }));
                if n < PAGE || out.len() >= self.only_ids.len() {
                    break;
                }
                start += n;
            }
            Ok(out)
        })
        .await
    }

    fn name_of(&self, id: ActivityId) -> String {
        self.seen
            .lock()
            .ok()
            .and_then(|s| s.activities.get(&id).and_then(|k| k.name.clone()))
            .unwrap_or_else(|| format!("Activity {id}"))
    }

    /// What the run found missing, among the formats asked for. An original fetched only to
    /// make GPX/TCX from (the export has no tracks of its own) may be asked for twice and
    /// not be asked for at all: its absence is that of those tracks.
    fn unavailable(&self, formats: &[Format]) -> Vec<Unavailable> {
        let Ok(seen) = self.seen.lock() else {
            return Vec::new();
        };
        let mut missing: Vec<(ActivityId, Format)> = Vec::new();
        let mut listed = HashSet::new();
        for &(id, format) in &seen.unavailable {
            let meant: Vec<Format> = if formats.contains(&format) {
                vec![format]
            } else if format == Format::Original {
                formats
                    .iter()
                    .copied()
                    .filter(|f| matches!(f, Format::Gpx | Format::Tcx))
                    .collect()
            } else {
                Vec::new()
            };
            for f in meant {
                if listed.insert((id, f)) {
                    missing.push((id, f));
                }
            }
        }
        missing
            .into_iter()
            .map(|(id, format)| {
                let known = seen.activities.get(&id).cloned().unwrap_or_default();
                let reason = if known.manual {
                    UnavailableReason::Manual
                } else if self.export.is_some() {
                    UnavailableReason::NotInExport
                } else if matches!(format, Format::Gpx | Format::Kml)
                    && known.has_track == Some(false)
                {
                    UnavailableReason::NoTrack
                } else {
                    UnavailableReason::NotOffered
                };
                Unavailable {
                    id,
                    name: known.name.unwrap_or_else(|| format!("Activity {id}")),
                    format,
                    reason,
                }
            })
            .collect()
    }

    /// An error in the words of where the activities come from.
    pub fn in_terms(&self, e: AppError) -> AppError {
        if self.export.is_some() {
            e.in_export()
        } else {
            e
        }
    }

    /// The engine's summary in the page's words.
    pub fn summary(&self, s: &backup::Summary, formats: &[Format], elapsed_ms: u64) -> Summary {
        // An ambiguous match is listed with its candidates, not as a failure to retry:
        // trying again would find the same candidates.
        let ambiguous: HashSet<ActivityId> = self
            .export
            .iter()
            .flat_map(|x| x.ambiguous.iter().flat_map(|(_, ids)| ids.iter().copied()))
            .collect();
        let failed = s
            .failures
            .iter()
            .filter(|f| !ambiguous.contains(&f.activity_id))
            .map(|f| Failed {
                id: f.activity_id,
                name: self.name_of(f.activity_id),
                format: f.format,
                error: self.in_terms(AppError::from_backup_kind(f.kind, f.message.clone(), None)),
            })
            .collect();
        let import = self.export.as_ref().map(|x| ImportNotes {
            ambiguous: x
                .ambiguous
                .iter()
                .map(|(uploads, ids)| AmbiguousMatch {
                    uploads: uploads.clone(),
                    activities: ids
                        .iter()
                        .map(|&id| NamedActivity {
                            id,
                            name: self.name_of(id),
                        })
                        .collect(),
                })
                .collect(),
            ..x.notes.clone()
        });
        Summary {
            activities_new: s.activities_done,
            activities_skipped: s.activities_skipped,
            activities_failed: s.activities_failed.saturating_sub(
                s.failures
                    .iter()
                    .map(|f| f.activity_id)
                    .filter(|id| ambiguous.contains(id))
                    .collect::<HashSet<_>>()
                    .len() as u64,
            ),
            files_written: s.files_written,
            bytes_written: s.bytes_written,
            elapsed_ms,
            unavailable: self.unavailable(formats),
            failed,
            cancelled: s.cancelled,
            // A cancel is said by `cancelled`; `stopped` is for what the user did not ask.
            stopped: s
                .stopped
                .as_ref()
                .filter(|f| f.kind != backup::ErrorKind::Cancelled)
                .map(|f| {
                    let until = f.until.map(|t| t.timestamp_millis());
                    self.in_terms(AppError::from_backup_kind(f.kind, f.message.clone(), until))
                }),
            import,
        }
    }
}

impl<S: Source> Source for Observed<S> {
    async fn list(&self, start: usize, limit: usize) -> Result<Vec<Value>, SourceError> {
        let page = if self.only.is_some() {
            let all = self.selected().await?;
            all.iter().skip(start).take(limit).cloned().collect()
        } else {
            self.inner.list(start, limit).await?
        };
        for item in &page {
            self.note(item);
        }
        Ok(page)
    }

    async fn details(&self, id: ActivityId) -> Result<Value, SourceError> {
        let details = self.inner.details(id).await?;
        // Multisport legs are never listed: their names come from their details.
        if let Ok(mut seen) = self.seen.lock() {
            let known = seen.activities.entry(id).or_default();
            if known.name.is_none() {
                known.name = details
                    .get("activityName")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
        }
        Ok(details)
    }

    async fn gear(&self, id: ActivityId) -> Result<Value, SourceError> {
        self.inner.gear(id).await
    }

    async fn device(&self, install_id: i64) -> Result<Option<Value>, SourceError> {
        self.inner.device(install_id).await
    }

    async fn fetch<W: Sink>(
        &self,
        id: ActivityId,
        format: Format,
        out: &mut W,
    ) -> Result<Option<u64>, SourceError> {
        let fetched = self.inner.fetch(id, format, out).await?;
        if fetched.is_none()
            && let Ok(mut seen) = self.seen.lock()
        {
            seen.unavailable.push((id, format));
        }
        Ok(fetched)
    }

    fn offers(&self, format: Format) -> bool {
        self.inner.offers(format)
    }

    fn parallelism(&self) -> Option<usize> {
        self.inner.parallelism()
    }

    fn paused_until(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.inner.paused_until()
    }
}

/// Running totals to the page, as the engine sends them (it already throttles to a few a
/// second and always sends the last one). The `finished` event is sent by the caller, who
/// knows the names and the elapsed time.
pub struct ChannelProgress<F: Fn(BackupEvent) + Send + Sync> {
    pub send: F,
}

impl<F: Fn(BackupEvent) + Send + Sync> backup::Progress for ChannelProgress<F> {
    fn update(&self, t: &backup::Totals) {
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
        });
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
    use serde_json::json;

    /// An inner source with a fixed list and no files at all.
    struct NoFiles(Vec<Value>);

    impl Source for NoFiles {
        async fn list(&self, start: usize, limit: usize) -> Result<Vec<Value>, SourceError> {
            Ok(self.0.iter().skip(start).take(limit).cloned().collect())
        }
        async fn details(&self, _: ActivityId) -> Result<Value, SourceError> {
            Ok(json!({}))
        }
        async fn gear(&self, _: ActivityId) -> Result<Value, SourceError> {
            Ok(json!([]))
        }
        async fn device(&self, _: i64) -> Result<Option<Value>, SourceError> {
            Ok(None)
        }
        async fn fetch<W: Sink>(
            &self,
            _: ActivityId,
            _: Format,
            _: &mut W,
        ) -> Result<Option<u64>, SourceError> {
            Ok(None)
        }
    }

    fn failure(id: ActivityId) -> backup::Failure {
        backup::Failure {
            activity_id: id,
            format: Some(Format::Original),
            kind: backup::ErrorKind::Server,
            message: "uploads a.fit and b.fit both start there".into(),
        }
    }

    #[test]
    fn an_import_summary_lists_ambiguities_apart_and_says_what_the_export_lacks() {
        let items = vec![
            json!({"activityId": 1, "activityName": "Yoga", "manualActivity": true}),
            json!({"activityId": 2, "activityName": "Old ride", "manualActivity": false}),
            json!({"activityId": 3, "activityName": "Double start"}),
            json!({"activityId": 4, "activityName": "Broken file"}),
        ];
        let found = ExportFindings {
            notes: ImportNotes {
                activities: 4,
                uploads: 4,
                matched: 1,
                unmatched_uploads: vec!["x.fit".into()],
                ..ImportNotes::default()
            },
            ambiguous: vec![(vec!["a.fit".into(), "b.fit".into()], vec![3])],
        };
        let source = Observed::for_export(NoFiles(items), None, found);
        tauri::async_runtime::block_on(async {
            source.list(0, 10).await.unwrap();
            let mut sink = Vec::new();
            // The original asked for itself, and again to make GPX from it.
            for id in [1, 2] {
                source.fetch(id, Format::Original, &mut sink).await.unwrap();
                source.fetch(id, Format::Original, &mut sink).await.unwrap();
            }
        });
        let engine = backup::Summary {
            activities_failed: 2,
            failures: vec![failure(3), failure(4)],
            ..backup::Summary::default()
        };

        let s = source.summary(&engine, &[Format::Gpx, Format::Json], 10);
        // Only GPX was asked for: the missing originals are missing GPX, each said once.
        let missing: Vec<_> = s
            .unavailable
            .iter()
            .map(|u| (u.id, u.format, u.reason))
            .collect();
        assert_eq!(
            missing,
            vec![
                (1, Format::Gpx, UnavailableReason::Manual),
                (2, Format::Gpx, UnavailableReason::NotInExport),
            ]
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
        assert_eq!(notes.ambiguous.len(), 1);
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
        let source = Observed::new(
            NoFiles(vec![json!({"activityId": 2, "activityName": "Ride"})]),
            None,
        );
        tauri::async_runtime::block_on(async {
            source.list(0, 10).await.unwrap();
            source.fetch(2, Format::Gpx, &mut Vec::new()).await.unwrap();
        });
        let engine = backup::Summary {
            activities_failed: 1,
            failures: vec![failure(4)],
            ..backup::Summary::default()
        };
        let s = source.summary(&engine, &[Format::Gpx], 10);
        assert!(s.import.is_none());
        assert_eq!(s.unavailable[0].reason, UnavailableReason::NotOffered);
        assert!(matches!(s.failed[0].error, AppError::Server { .. }));
    }
}
