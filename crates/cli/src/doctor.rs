//! `gcexport doctor`: one sign-in (the saved one, or a ticket; a password only when given
//! on this command) and one list call, then the diagnostic report a user attaches to an
//! issue. The report holds statuses, CDN markers and timings only (docs/signin.md).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use gcexport_connect::{ApiRequest, EndpointProfile, Markers, Note, Secret, StepKind};

use crate::signin::{self, Credentials};
use crate::{EXIT_FAILED, EXIT_SIGNIN, EXIT_USAGE};

pub const ABOUT: &str = "Check the sign-in and one call to Garmin, and print a diagnostic \
report to attach to an issue: each step's HTTP status, the CDN's markers and timings, this \
program's version and the OS. It holds no email, password, code, ticket, token or cookie. \
It uses the saved sign-in, or --ticket; it signs in with a password only when you give one \
here.";

#[derive(Parser, Debug)]
#[command(name = "gcexport doctor", version, about = ABOUT)]
struct DoctorArgs {
    /// Sign in with this email (with --password) instead of the saved sign-in.
    #[arg(long)]
    username: Option<String>,
    #[arg(long, value_parser = secret)]
    password: Option<Secret>,
    /// Sign in with a service ticket caught from Garmin's sign-in page.
    #[arg(long, value_name = "ST-...", value_parser = secret)]
    ticket: Option<Secret>,
    #[arg(long = "mfa-code", value_name = "CODE", value_parser = secret)]
    mfa_code: Option<Secret>,
    /// The sign-in kept in DIR/tokens.json instead of the OS keyring.
    #[arg(long, value_name = "DIR")]
    session: Option<PathBuf>,
    /// Every Garmin host at one origin (the simulator, a proxy).
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// An endpoint profile file (TOML or JSON).
    #[arg(long, value_name = "FILE")]
    endpoints: Option<PathBuf>,
    /// Against an in-process simulator with the demo account.
    #[arg(long)]
    demo: bool,
    #[arg(short = 'v', long = "verbosity", action = clap::ArgAction::Count)]
    verbose: u8,
}

fn secret(text: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(text))
}

/// `argv` without the program name and `doctor`.
pub fn main(argv: Vec<OsString>) -> ExitCode {
    let mut line = vec![OsString::from("gcexport doctor")];
    line.extend(argv);
    let args = match DoctorArgs::try_parse_from(line) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    crate::logging::init(args.verbose);
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
    ExitCode::from(runtime.block_on(run(args)))
}

async fn run(args: DoctorArgs) -> u8 {
    let sim = if args.demo {
        match gcexport_sim::start(gcexport_sim::SimConfig::demo()) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("error: could not start the demo simulator: {e}");
                return EXIT_FAILED;
            }
        }
    } else {
        None
    };
    let mut profile = match &args.endpoints {
        Some(file) => EndpointProfile::from_file(file),
        None => EndpointProfile::load(),
    };
    if let (Ok(p), Some(url)) = (
        &mut profile,
        sim.as_ref()
            .map(|s| s.base_url())
            .or(args.server.as_deref()),
    ) {
        *p = std::mem::take(p).with_server(url);
    }
    let profile = match profile {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let store = signin::token_store(args.session.as_deref(), args.demo, &profile);
    let cooldown = if args.demo {
        None
    } else {
        gcexport_connect::Cooldown::shared(None)
    };
    let policy = signin::policy(profile, store, cooldown, args.demo);
    let (username, password) = if args.demo {
        (
            Some("demo@example.com".to_owned()),
            Some(Secret::new("demo-password")),
        )
    } else {
        (args.username, args.password)
    };
    let with_password = password.is_some() && args.ticket.is_none();
    let creds = Credentials {
        username,
        password,
        ticket: args.ticket,
        mfa_code: args.mfa_code,
    };

    // The saved sign-in unless a ticket or a password was given on this command; never a
    // password sign-in the user did not ask for here.
    let signed = if creds.ticket.is_some() || with_password {
        signin::sign_in(&policy, creds).await
    } else {
        match policy.resume().await {
            Ok(Some(session)) => match policy.check(&session).await {
                Ok(_) => Ok(session),
                Err(e) => Err(signin::SignInError(e.to_string())),
            },
            Ok(None) => Err(signin::SignInError(
                "no saved sign-in: run gcexport doctor --ticket ST-... (or --username and \
                 --password) to check a new sign-in"
                    .into(),
            )),
            Err(e) => Err(signin::SignInError(e.to_string())),
        }
    };
    let code = match &signed {
        Ok(session) => list_call(&policy, session).await,
        Err(e) => {
            eprintln!("sign-in: {e}");
            EXIT_SIGNIN
        }
    };
    match policy.last_report() {
        Some(report) => print!("{report}"),
        None => println!("no step was recorded"),
    }
    drop(sim);
    code
}

/// One page of one activity, as a backup's first request.
async fn list_call(
    policy: &gcexport_connect::SignInPolicy,
    session: &gcexport_connect::Session,
) -> u8 {
    let Some(d) = policy.diagnostics() else {
        return EXIT_FAILED;
    };
    let started = Instant::now();
    let request = ApiRequest::get("/activitylist-service/activities/search/activities")
        .query("start", 0)
        .query("limit", 1);
    match session.send(&request).await {
        Ok(response) => {
            let status = response.status();
            let ok = status.is_success();
            d.step(
                StepKind::ListCall,
                None,
                Markers::of(status.as_u16(), response.headers()),
                started,
                if ok { Note::Ok } else { Note::Said("refused") },
            );
            if ok {
                0
            } else {
                eprintln!("the list call answered HTTP {}", status.as_u16());
                EXIT_FAILED
            }
        }
        Err(e) => {
            d.step(
                StepKind::ListCall,
                None,
                Markers::default(),
                started,
                Note::Failed(e.kind()),
            );
            eprintln!("the list call failed: {e}");
            EXIT_FAILED
        }
    }
}
