//! `garmin-sim`: the simulator as a program, for manual runs, benchmarks and other
//! processes' tests.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use gcexport_sim::{Faults, SignInPage, SimConfig};

/// A Garmin Connect simulator on 127.0.0.1: SSO, DI OAuth2 and the data API on one origin.
#[derive(Parser, Debug)]
#[command(name = "garmin-sim", version)]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Top-level activities in the account.
    #[arg(long, default_value_t = 300)]
    activities: usize,
    /// Everything about the account's data derives from this seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Delay added to every data call (shorthand for `--faults latency:ms=L`).
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Fault rules, e.g. `429:p=0.05,retry-after=2;latency:ms=50,jitter=20`.
    #[arg(long)]
    faults: Option<String>,
    /// How the sign-in page hands the ticket over: redirect, http-redirect, new-window,
    /// new-tab, json-only, stall or challenge.
    #[arg(long, default_value_t = SignInPage::Redirect)]
    sign_in_page: SignInPage,
    /// The K newest activities start hidden; `POST /__sim/reveal?count=N` shows them.
    #[arg(long, default_value_t = 0)]
    withheld: usize,
    /// Days of health data (sleep, stress, steps, weight...) ending 2026-10-30.
    #[arg(long, default_value_t = 120)]
    health_days: usize,
    #[arg(long, value_name = "SECONDS")]
    access_token_ttl: Option<f64>,
    #[arg(long, value_name = "SECONDS")]
    refresh_token_ttl: Option<f64>,
    #[arg(long, value_name = "SECONDS")]
    ticket_ttl: Option<f64>,
    /// DI OAuth2 client ids the token endpoint accepts (comma-separated).
    #[arg(long, value_delimiter = ',')]
    client_ids: Option<Vec<String>>,
    /// Client ids whose tokens are issued but answered "Token is not active".
    #[arg(long, value_delimiter = ',')]
    inactive_client_ids: Option<Vec<String>>,
    /// Do not log requests to stderr.
    #[arg(long)]
    quiet: bool,
    /// Write the account's data export (the ZIP Garmin mails on "Export Your Data") to
    /// FILE and exit, instead of serving.
    #[arg(long, value_name = "FILE.zip")]
    write_export: Option<std::path::PathBuf>,
    /// With --write-export: the account's email (names the files inside).
    #[arg(long, default_value = "demo@example.com")]
    export_email: String,
    /// With --write-export: uploaded files per nested UploadedFiles_0-_PartN.zip.
    #[arg(long, default_value_t = 1000)]
    export_files_per_part: usize,
    /// With --write-export: about this many KiB of skippable padding in each FIT, to make
    /// benchmark exports of gigabytes (0: the uploads are the server's originals).
    #[arg(long, default_value_t = 0, value_name = "KIB")]
    export_fit_padding_kib: usize,
    /// With --write-export: activities per *_summarizedActivities.json chunk.
    #[arg(long, default_value_t = 100)]
    export_activities_per_chunk: usize,
}

/// `--write-export`: written to `FILE.part`, then renamed, so a killed run leaves no
/// half-written export under the final name.
fn write_export(args: &Args, path: &std::path::Path) -> ExitCode {
    let account = gcexport_sim::account::Account::new(args.seed, args.activities);
    let opts = gcexport_sim::export::ExportOptions {
        email: args.export_email.clone(),
        activities_per_chunk: args.export_activities_per_chunk,
        files_per_part: args.export_files_per_part,
        withheld: args.withheld,
        fit_padding: args.export_fit_padding_kib * 1024,
        health_days: args.health_days,
    };
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    let part = std::path::PathBuf::from(part);
    let written = std::fs::File::create(&part)
        .map(std::io::BufWriter::new)
        .and_then(|f| gcexport_sim::export::write_export(&account, &opts, f))
        .and_then(|report| std::fs::rename(&part, path).map(|()| report));
    match written {
        Ok(report) => {
            println!(
                "wrote {}: {} activities in {} chunks, {} uploads in {} parts",
                path.display(),
                report.activities,
                report.chunks,
                report.uploads,
                report.parts
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            eprintln!("garmin-sim: cannot write {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

fn seconds(value: Option<f64>, default: Duration, flag: &str) -> Result<Duration, String> {
    match value {
        None => Ok(default),
        Some(s) => Duration::try_from_secs_f64(s)
            .map_err(|_| format!("--{flag}: {s} is not a valid number of seconds")),
    }
}

fn config(args: Args) -> Result<SimConfig, String> {
    let defaults = SimConfig::default();
    let mut faults = Faults::none();
    if args.latency_ms > 0 {
        faults =
            Faults::parse(&format!("latency:ms={}", args.latency_ms)).map_err(|e| e.to_string())?;
    }
    if let Some(spec) = &args.faults {
        faults = faults.and(Faults::parse(spec).map_err(|e| format!("--faults: {e}"))?);
    }
    Ok(SimConfig {
        activities: args.activities,
        seed: args.seed,
        port: args.port,
        withheld: args.withheld,
        access_token_ttl: seconds(
            args.access_token_ttl,
            defaults.access_token_ttl,
            "access-token-ttl",
        )?,
        refresh_token_ttl: seconds(
            args.refresh_token_ttl,
            defaults.refresh_token_ttl,
            "refresh-token-ttl",
        )?,
        ticket_ttl: seconds(args.ticket_ttl, defaults.ticket_ttl, "ticket-ttl")?,
        client_ids: args.client_ids.unwrap_or(defaults.client_ids),
        inactive_client_ids: args
            .inactive_client_ids
            .unwrap_or(defaults.inactive_client_ids),
        faults,
        sign_in_page: args.sign_in_page,
        log_requests: !args.quiet,
        health_days: args.health_days,
    })
}

async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(path) = args.write_export.clone() {
        return write_export(&args, &path);
    }
    let config = match config(args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("garmin-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let sim = match gcexport_sim::start(config) {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("garmin-sim: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    // Scripts wait for this exact first line to learn the port.
    if writeln!(out, "listening on {}", sim.base_url())
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(out);
    let waiter = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("garmin-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    waiter.block_on(stopped());
    drop(sim);
    ExitCode::SUCCESS
}
