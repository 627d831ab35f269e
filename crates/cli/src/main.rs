//! `gcexport`: the command-line twin of the desktop app. It adapts: parse options, sign in,
//! open the archive, run the engine with terminal progress, map the outcome to an exit code.

mod args;
mod convert;
mod doctor;
mod health;
mod import;
mod logging;
mod progress;
mod report;
mod schedule;
mod signin;

use std::collections::HashSet;
use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::Parser;
use gcexport_backup::health::ConnectHealth;
use gcexport_backup::{
    Archive, BackupRequest, CancellationToken, ClassicNames, ConnectSource, DEFAULT_TEMPLATE,
    ErrorKind, Format, Job, ListMode, NoProgress, Progress, RunOptions, Selection, Summary,
};
use gcexport_connect::{EndpointProfile, Secret};

use crate::args::{Args, LayoutArg};
use crate::signin::SignInError;

const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_SIGNIN: u8 = 3;
/// Garmin (or its CDN) refuses requests from here for now: run again later.
const EXIT_BLOCKED: u8 = 4;
const EXIT_INTERRUPTED: u8 = 130;

/// A usage error found after parsing (bad date, template, exclude file...): exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

fn main() -> ExitCode {
    let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if argv.get(1).is_some_and(|a| a == "import") {
        return import::main(argv.split_off(2));
    }
    if argv.get(1).is_some_and(|a| a == "convert") {
        return convert::main(argv.split_off(2));
    }
    if argv.get(1).is_some_and(|a| a == "doctor") {
        return doctor::main(argv.split_off(2));
    }
    if argv.get(1).is_some_and(|a| a == "schedule") {
        return schedule::main(argv.split_off(2));
    }
    let args = match Args::try_parse_from(args::normalize(argv)) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    logging::init(args.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    match runtime.block_on(real_main(args)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            let code = if e.downcast_ref::<SignInError>().is_some() {
                EXIT_SIGNIN
            } else if e.downcast_ref::<UsageError>().is_some() {
                EXIT_USAGE
            } else {
                EXIT_FAILED
            };
            ExitCode::from(code)
        }
    }
}

async fn real_main(args: Args) -> anyhow::Result<u8> {
    let job = job(&args).map_err(|e| anyhow!(UsageError(e)))?;

    // Demo mode: the simulator lives as long as this function.
    let demo = if args.demo {
        let sim = gcexport_sim::start(gcexport_sim::SimConfig::demo())
            .context("could not start the demo simulator")?;
        eprintln!(
            "demo mode: a simulated Garmin Connect at {}",
            sim.base_url()
        );
        Some(sim)
    } else {
        None
    };
    let profile = endpoint_profile(&args, demo.as_ref().map(|s| s.base_url()))?;

    let archive = Archive::open(&args.directory).map_err(|e| match e.kind() {
        ErrorKind::Config | ErrorKind::State | ErrorKind::Io => {
            anyhow!(UsageError(format!("{}: {e}", args.directory.display())))
        }
        _ => anyhow!(e),
    })?;

    let store = signin::token_store(args.session.as_deref(), args.demo, &profile);
    let creds = if args.demo {
        signin::Credentials {
            username: Some("demo@example.com".into()),
            password: Some(Secret::new("demo-password")),
            ticket: None,
            mfa_code: None,
        }
    } else {
        signin::Credentials {
            username: args.username.clone(),
            password: args.password.clone(),
            ticket: args.ticket.clone(),
            mfa_code: args.mfa_code.clone(),
        }
    };
    let policy = signin::policy(profile, store, cooldown(&args), args.demo);
    let session = signin::session(&policy, creds).await?;
    let source = ConnectSource::new(session);

    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ninterrupted: finishing what is being written (Ctrl-C again to quit now)");
            on_signal.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        }
    });

    let progress: Box<dyn Progress> = if args.json {
        Box::new(progress::JsonLines::new())
    } else if std::io::stderr().is_terminal() {
        Box::new(progress::Bars::new())
    } else {
        Box::new(NoProgress)
    };
    let health_source = ConnectHealth::signed_in(source.session().clone());
    let outcome = gcexport_backup::back_up(
        &archive,
        &source,
        &health_source,
        &job,
        progress.as_ref(),
        &cancel,
    )
    .await
    .context("the backup could not run")?;
    let mut code = 0;
    if job.what.activities {
        if !args.json {
            report(
                &outcome.activities,
                &args.directory,
                args.dry_run,
                args.verbose > 0,
            );
        }
        code = exit_code(&outcome.activities);
    }
    if let Some(h) = &outcome.health {
        let health_code = health::finish(h, &job.what, args.json, cancel.is_cancelled());
        if code == 0 {
            code = health_code;
        }
    }
    drop(demo);
    Ok(code)
}

fn exit_code(s: &Summary) -> u8 {
    match &s.stopped {
        _ if s.cancelled => EXIT_INTERRUPTED,
        Some(f) if f.kind == ErrorKind::SignIn => EXIT_SIGNIN,
        Some(f) if f.kind == ErrorKind::RateLimited => EXIT_BLOCKED,
        Some(_) => EXIT_FAILED,
        None if !s.failures.is_empty() || s.activities_failed > 0 => EXIT_FAILED,
        None => 0,
    }
}

fn report(s: &Summary, dir: &std::path::Path, dry_run: bool, verbose: bool) {
    report::print(s, dir, dry_run, verbose);
}

fn endpoint_profile(args: &Args, demo_url: Option<&str>) -> anyhow::Result<EndpointProfile> {
    let mut profile = match &args.endpoints {
        Some(file) => EndpointProfile::from_file(file)
            .map_err(|e| anyhow!(UsageError(format!("{}: {e}", file.display()))))?,
        None => EndpointProfile::load().map_err(|e| anyhow!(UsageError(e.to_string())))?,
    };
    if let Some(url) = demo_url.or(args.server.as_deref()) {
        profile = profile.with_server(url);
    }
    Ok(profile)
}

/// The sign-in cool-down the desktop app shares (none for the demo's simulator).
fn cooldown(args: &Args) -> Option<gcexport_connect::Cooldown> {
    if args.demo {
        return None;
    }
    gcexport_connect::Cooldown::shared(None)
}

/// The whole request the desktop page would send for these options, made runnable; only
/// the run-level knobs (dry run, tracks from the original) are the CLI's own.
fn job(args: &Args) -> Result<Job, String> {
    let what = health::what(args)?;
    let (health_since, health_until) = health::range(args)?;
    let request = BackupRequest {
        what,
        health_since,
        health_until,
        ..request(args)?
    };
    let mut job = request
        .job(chrono::Local::now().date_naive())
        .map_err(|e| e.to_string())?;
    job.activities.dry_run = args.dry_run;
    job.activities.tracks_from_original = args.tracks_from_original;
    Ok(job)
}

/// The activities' options alone (an import, the schedule's check of its options).
fn run_options(args: &Args) -> Result<RunOptions, String> {
    Ok(RunOptions {
        dry_run: args.dry_run,
        tracks_from_original: args.tracks_from_original,
        ..request(args)?.run_options().map_err(|e| e.to_string())?
    })
}

fn request(args: &Args) -> Result<BackupRequest, String> {
    let mut formats = Vec::new();
    for f in &args.formats {
        if f.trim().is_empty() {
            continue;
        }
        let format = Format::parse(f).ok_or_else(|| {
            format!("unknown format {f:?} (known: original, gpx, tcx, kml, json)")
        })?;
        if !formats.contains(&format) {
            formats.push(format);
        }
    }
    if formats.is_empty() {
        return Err("no format given".into());
    }
    let count = match args.count.trim() {
        "all" => None,
        n => Some(
            n.parse::<usize>()
                .map_err(|_| format!("--count takes a number or `all`, not {n:?}"))?,
        ),
    };
    let date = |s: &Option<String>, what: &str| -> Result<Option<chrono::NaiveDate>, String> {
        s.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| format!("{what} must be YYYY-MM-DD, not {s:?}"))
            })
            .transpose()
    };
    let exclude = match &args.exclude {
        Some(path) => read_exclude(path)?,
        None => HashSet::new(),
    };
    let classic_hint = args.fileprefix || args.desc.is_some() || args.subdir.is_some();
    let classic = if args.template.is_some() {
        None
    } else if args.layout == Some(LayoutArg::Classic) || (args.layout.is_none() && classic_hint) {
        Some(ClassicNames {
            file_prefix: args.fileprefix,
            desc: args.desc.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            subdir: args.subdir.clone(),
        })
    } else {
        if classic_hint {
            return Err("-fp, --desc and --subdir name files the gcexport.py way: use them without --layout browsable".into());
        }
        None
    };
    Ok(BackupRequest {
        folder: args.directory.display().to_string(),
        formats,
        layout: args
            .template
            .clone()
            .unwrap_or_else(|| DEFAULT_TEMPLATE.to_owned()),
        classic,
        concurrency: args.concurrency,
        selection: Selection {
            count,
            start_date: date(&args.start_date, "--start_date")?,
            end_date: date(&args.end_date, "--end_date")?,
            types: args
                .type_filter
                .iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            exclude,
            only: None,
        },
        mode: if args.full {
            ListMode::Full
        } else {
            ListMode::Incremental
        },
        unzip: args.unzip,
        original_time: args.originaltime,
        garmin_tracks: args.garmin_tracks,
        ..BackupRequest::default()
    })
}

/// `{"ids": ["6176888711", 123]}` as `gcexport.py` reads it.
fn read_exclude(path: &std::path::Path) -> Result<HashSet<i64>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--exclude {}: {e}", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("--exclude {}: not JSON: {e}", path.display()))?;
    let ids = v
        .get("ids")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| format!("--exclude {}: expected {{\"ids\": [...]}}", path.display()))?;
    ids.iter()
        .map(|id| {
            match id {
                serde_json::Value::String(s) => s.trim().parse().ok(),
                other => other.as_i64(),
            }
            .ok_or_else(|| format!("--exclude {}: {id} is not an activity id", path.display()))
        })
        .collect()
}
