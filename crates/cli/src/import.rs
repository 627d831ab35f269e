//! `gcexport import EXPORT.zip -d DIR`: Garmin's account data export into the same folder
//! layout, `activities.csv` and health tables (`docs/health.md`) as an online backup,
//! offline, with no sign-in at all.
//!
//! The options are the backup's (folder, formats, layout, filters, progress); the sign-in
//! ones are refused, since nothing is ever asked of Garmin.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use gcexport_backup::export::{HealthImportOptions, HealthImportReport, import_health};
use gcexport_backup::{
    Archive, CancellationToken, ErrorKind, ExportSource, Format, ImportReport, NoProgress,
    OpenOptions, OpenProgress, Progress,
};

use crate::args::Args;
use crate::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, exit_code, progress, report, run_options};

pub const ABOUT: &str = "Import Garmin's account data export (the ZIP from \"Export Your \
Data\", or the folder it unpacks to) into a backup folder: the same layout and activities.csv \
as an online backup, GPX/TCX made from the original files, and its health data (daily \
summaries, sleep, HRV, weigh-ins, personal records) into the same health tables, saying what \
the export cannot fill. No sign-in, nothing is sent anywhere. Importing into a folder that holds an online backup (or backing up online after an \
import) adds only what is missing.";

#[derive(clap::Parser, Debug)]
#[command(name = "gcexport import", version, about = ABOUT, after_help = crate::args::AFTER_HELP)]
struct ImportArgs {
    /// The export: the ZIP Garmin emailed a link to, or the folder it unpacks to.
    #[arg(value_name = "EXPORT.zip")]
    export: PathBuf,
    #[command(flatten)]
    backup: Args,
}

/// Options that only make sense when talking to Garmin.
fn sign_in_option(a: &Args) -> Option<&'static str> {
    [
        (a.username.is_some(), "--username"),
        (a.password.is_some(), "--password"),
        (a.ticket.is_some(), "--ticket"),
        (a.mfa_code.is_some(), "--mfa-code"),
        (a.session.is_some(), "--session"),
        (a.server.is_some(), "--server"),
        (a.endpoints.is_some(), "--endpoints"),
        (a.demo, "--demo"),
    ]
    .into_iter()
    .find(|(set, _)| *set)
    .map(|(_, name)| name)
}

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(EXIT_USAGE)
}

/// `argv` without the program name and `import`.
pub fn main(argv: Vec<OsString>) -> ExitCode {
    let mut line = vec![OsString::from("gcexport import")];
    line.extend(crate::args::normalize(argv));
    // The backup's options, minus those that only make sense when talking to Garmin (still
    // parsed, so that using one says why it does not apply instead of "unknown option").
    let mut cmd = <ImportArgs as clap::CommandFactory>::command();
    for hidden in [
        "username",
        "password",
        "ticket",
        "mfa_code",
        "session",
        "server",
        "endpoints",
        "demo",
        "full",
        "tracks_from_original",
    ] {
        cmd = cmd.mut_arg(hidden, |a| a.hide(true));
    }
    let parsed = cmd
        .try_get_matches_from(line)
        .and_then(|m| <ImportArgs as clap::FromArgMatches>::from_arg_matches(&m));
    let args = match parsed {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    crate::logging::init(args.backup.verbose);
    if let Some(opt) = sign_in_option(&args.backup) {
        return usage(format!(
            "{opt}: gcexport import needs no sign-in (it reads the export only)"
        ));
    }
    let what = match crate::health::what(&args.backup) {
        Ok(w) => w,
        Err(e) => return usage(e),
    };
    let mut options = match run_options(&args.backup) {
        Ok(o) => o,
        Err(e) => return usage(e),
    };
    if options.formats.contains(&Format::Kml) {
        return usage(
            "kml: a Garmin data export holds no KML and it is not made locally; use original, \
             gpx, tcx, json (or back up online for KML)",
        );
    }
    // Nothing to list page by page: the whole export is read anyway.
    options.mode = gcexport_backup::ListMode::Full;
    let dir = args.backup.directory.clone();

    let archive = match Archive::open(&dir) {
        Ok(a) => a,
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::Config | ErrorKind::State | ErrorKind::Io
            ) =>
        {
            return usage(format!("{}: {e}", dir.display()));
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };

    let (mut code, cancelled) = if what.activities {
        activities(&args, &options, &archive, &dir)
    } else {
        (0, false)
    };
    if code == EXIT_USAGE {
        // Not an export, or not there: nothing more to read from it.
        return ExitCode::from(code);
    }
    let json = args.backup.json;
    let dry_run = args.backup.dry_run;
    if (what.health || what.records) && !dry_run && !cancelled {
        let opts = HealthImportOptions {
            health: what.health,
            records: what.records,
        };
        match import_health(&archive, &args.export, opts) {
            Ok(r) => {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"event": "health_import", "report": r})
                    );
                } else {
                    describe_health(&r);
                }
            }
            Err(e) => {
                eprintln!(
                    "error: {}: the export's health data could not be imported: {e}",
                    args.export.display()
                );
                code = match e.kind() {
                    ErrorKind::Config | ErrorKind::Io => EXIT_USAGE,
                    _ => EXIT_FAILED,
                };
            }
        }
    }
    ExitCode::from(code)
}

fn describe_health(r: &HealthImportReport) {
    eprintln!(
        "health from the export: {} days ({} nights, {} with HRV), {} weigh-ins, {} personal \
         records; {} files written",
        r.days, r.nights, r.hrv_nights, r.weigh_ins, r.records, r.files_written
    );
    if r.days_online > 0 {
        eprintln!(
            "  {} days were already backed up from Garmin Connect: kept as they were",
            r.days_online
        );
    }
    for s in &r.skipped {
        eprintln!("  skipped: {s}");
    }
    eprintln!("  the export cannot fill (an online backup can):");
    for m in &r.not_in_export {
        match m.column {
            Some(c) => eprintln!("    {} column {c:?}: {}", m.file, m.why),
            None => eprintln!("    {}: {}", m.file, m.why),
        }
    }
}

fn describe(r: &ImportReport) {
    eprintln!(
        "export: {} activities ({} multisport legs) in {} summary files; {} uploaded files, {} matched",
        r.activities, r.legs, r.chunks, r.uploads, r.matched
    );
    if !r.unmatched_uploads.is_empty() {
        eprintln!(
            "  {} uploaded files belong to no activity in the export (deleted since?): {}",
            r.unmatched_uploads.len(),
            short_list(&r.unmatched_uploads)
        );
    }
    for a in &r.ambiguous {
        let ids: Vec<String> = a.activities.iter().map(i64::to_string).collect();
        eprintln!(
            "  ambiguous, left alone: activities {} and files {} start within seconds of each other",
            ids.join(", "),
            a.uploads.join(", ")
        );
    }
    if !r.without_upload.is_empty() {
        let ids: Vec<String> = r.without_upload.iter().map(i64::to_string).collect();
        eprintln!(
            "  {} activities have no uploaded file in the export (an online backup can fetch them): {}",
            ids.len(),
            short_list(&ids)
        );
    }
    if !r.unreadable_uploads.is_empty() {
        eprintln!(
            "  {} uploaded files could not be read: {}",
            r.unreadable_uploads.len(),
            short_list(&r.unreadable_uploads)
        );
    }
}

fn short_list(items: &[String]) -> String {
    let mut s: Vec<&str> = items.iter().take(5).map(String::as_str).collect();
    let more = items.len().saturating_sub(5);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    s.dedup();
    format!("{}{tail}", s.join(", "))
}

/// The activities of the export: its summaries and uploads into the folder, as a backup.
/// The exit code, and whether the person interrupted it.
fn activities(
    args: &ImportArgs,
    options: &gcexport_backup::RunOptions,
    archive: &Archive,
    dir: &std::path::Path,
) -> (u8, bool) {
    // Reading the export is one pass over it (minutes for gigabytes): show that it moves.
    let spinner = (!args.backup.json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar.set_message("reading the export");
        bar
    });
    let on_progress = |p: &OpenProgress| {
        if let Some(bar) = &spinner {
            bar.set_message(format!(
                "reading the export: {} activities, {} uploads, part {}/{}",
                p.activities_read, p.uploads_indexed, p.parts_indexed, p.parts_total
            ));
        }
    };
    // The nested parts are decompressed next to the backup: the disk that will hold it.
    let opened = ExportSource::open_with(
        &args.export,
        OpenOptions {
            temp_dir: Some(dir.to_path_buf()),
            on_progress: Some(&on_progress),
        },
    );
    if let Some(bar) = &spinner {
        bar.finish_and_clear();
    }
    let source = match opened {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}: {e}", args.export.display());
            // Not an export, or not there: the user named the wrong thing.
            return (
                match e.kind() {
                    ErrorKind::Config | ErrorKind::Io => EXIT_USAGE,
                    _ => EXIT_FAILED,
                },
                false,
            );
        }
    };
    if !args.backup.json {
        describe(source.report());
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return (EXIT_FAILED, false);
        }
    };
    let json = args.backup.json;
    let dry_run = args.backup.dry_run;
    let verbose = args.backup.verbose > 0;
    runtime.block_on(async move {
        let cancel = CancellationToken::new();
        let on_signal = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!(
                    "\ninterrupted: finishing what is being written (Ctrl-C again to quit now)"
                );
                on_signal.cancel();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(i32::from(EXIT_INTERRUPTED));
                }
            }
        });
        let progress: Box<dyn Progress> = if json {
            Box::new(progress::JsonLines::new())
        } else if std::io::stderr().is_terminal() {
            Box::new(progress::Bars::new())
        } else {
            Box::new(NoProgress)
        };
        let code = match gcexport_backup::run(archive, &source, options, progress.as_ref(), &cancel)
            .await
        {
            Ok(summary) => {
                if !json {
                    report(&summary, dir, dry_run, verbose);
                }
                exit_code(&summary)
            }
            Err(e) => {
                eprintln!("error: the import could not run: {e}");
                EXIT_FAILED
            }
        };
        (code, cancel.is_cancelled())
    })
}
