//! An import of Garmin's account data export (docs/protocol.md, "The data export") into a folder: no sign-in, the
//! same engine run, progress and summary as a backup. Opening the export reads all of it
//! once (seconds to minutes for a large one), so it runs on a blocking worker and reports
//! how far it got as listing progress; a file that is not an export, or a damaged one, is
//! refused before anything is written.

use std::path::PathBuf;
use std::sync::Arc;

use gcexport_backup::{self as backup, ExportSource, ListMode, OpenOptions, OpenProgress};

use crate::backup_run::{ExportFindings, HealthImport, NoHealth};
use crate::shell::{self, Shell};
use crate::wire::{AppError, BackupEvent, ImportNotes, ImportRequest};

// The method lives here, not in `shell`, so that the shell does not import this module
// while this module uses the shell's run slot and options.
impl Shell {
    /// Starts an import of Garmin's account data export: no sign-in; the events and the slot
    /// are the backup's.
    pub async fn start_import(
        &self,
        request: ImportRequest,
        send: impl Fn(BackupEvent) + Send + Sync + 'static,
    ) -> Result<(), AppError> {
        start_import(self, request, send).await
    }
}

/// Starts an import and returns once the export is open and the run is under way; events
/// (and the one `finished`) go to `send`. A cancel while the export is being read ends the
/// start with `Cancelled`.
pub async fn start_import(
    shell: &Shell,
    request: ImportRequest,
    send: impl Fn(BackupEvent) + Send + Sync + 'static,
) -> Result<(), AppError> {
    let export_text = request.export.trim();
    let export = PathBuf::from(export_text);
    if export_text.is_empty() || !export.is_absolute() {
        return Err(AppError::NotAnExport {
            message: "choose the export's ZIP file (or its unpacked folder) by its full path"
                .into(),
            path: Some(export_text.to_owned()),
        });
    }
    let folder = shell.destination(&request.backup.folder)?;
    let options = backup::RunOptions {
        // Listing the export costs nothing: always look at all of it, so an import into a
        // folder that already holds the newest activities still finds the older ones.
        mode: ListMode::Full,
        ..request.backup.run_options()?
    };
    let claim = shell.claim_run()?;
    let send = Arc::new(send);

    let opening = {
        let send = Arc::clone(&send);
        let export = export.clone();
        tokio::task::spawn_blocking(move || {
            let tell = |p: &OpenProgress| send(reading(p));
            ExportSource::open_with(
                &export,
                OpenOptions {
                    on_progress: Some(&tell),
                    ..OpenOptions::default()
                },
            )
        })
    };
    // The reading itself cannot be interrupted: on Cancel the page is answered at once and
    // the worker's result, temp files included, is dropped when it ends.
    let opened = tokio::select! {
        joined = opening => joined
            .map_err(|e| AppError::unexpected(format!("reading the export failed: {e}")))?,
        () = claim.token().cancelled() => {
            return Err(AppError::Cancelled {
                message: "the import was cancelled while reading the export".into(),
            });
        }
    };
    let source = opened.map_err(|e| AppError::from_export(e, &export))?;
    tracing::info!(report = ?source.report(), "the export is open");

    let archive = shell.folder_archive(&folder)?;
    let what = request.backup.what;
    let mut found = findings(source.report());
    if what.health || what.records {
        found.health = Some(HealthImport {
            export: export.clone(),
            options: backup::export::HealthImportOptions {
                health: what.health,
                records: what.records,
            },
        });
    }
    // The export's activities through the engine; its health folders are read after them
    // (spawn_run): nothing is asked of Garmin here.
    let job = backup::Job {
        what: backup::What {
            activities: true,
            health: false,
            records: false,
            gear: true,
        },
        activities: options,
        health: backup::health::HealthOptions::new(chrono::Local::now().date_naive()),
    };
    shell::spawn_run(
        archive,
        source,
        NoHealth,
        Some(found),
        job,
        claim,
        move |e| send(e),
    );
    Ok(())
}

/// Reading the export, as the progress view's listing phase.
fn reading(p: &OpenProgress) -> BackupEvent {
    BackupEvent::Progress {
        activities_listed: p.activities_read as u64,
        activities_planned: 0,
        activities_done: 0,
        activities_failed: 0,
        bytes_written: 0,
        current: None,
        paused_until: None,
        health: None,
    }
}

fn findings(r: &backup::ImportReport) -> ExportFindings {
    ExportFindings {
        notes: ImportNotes {
            activities: r.activities as u64,
            uploads: r.uploads as u64,
            matched: r.matched as u64,
            unmatched_uploads: r.unmatched_uploads.clone(),
            unreadable_uploads: r.unreadable_uploads.clone(),
            ambiguous: Vec::new(),
            not_in_export: Vec::new(),
        },
        ambiguous: r
            .ambiguous
            .iter()
            .map(|a| (a.uploads.clone(), a.activities.clone()))
            .collect(),
        health: None,
    }
}
