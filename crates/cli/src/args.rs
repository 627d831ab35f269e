//! The command line: `gcexport.py`'s options with the same meaning, saner defaults, and
//! the additions of this tool.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Parser, ValueEnum};
use gcexport_connect::Secret;

pub const AFTER_HELP: &str = "\
gcexport import EXPORT.zip -d DIR imports Garmin's account data export (\"Export Your
Data\") into the same folder layout, offline and without signing in (gcexport import --help).
gcexport convert FILE.fit... [-f gpx,tcx] [-d DIR] makes GPX/TCX from FIT files you have
(gcexport convert --help).
gcexport schedule install -d DIR backs up into DIR every day by the system's own scheduler,
with the saved sign-in (gcexport schedule --help).

Exit codes:
  0    everything asked for is in the folder
  1    some activities failed (listed; the next run retries them), or the run stopped
       (disk full, ...)
  2    usage error (bad option, date, template or folder)
  3    sign-in failed or is needed (no terminal to ask on)
  4    Garmin (or its CDN) blocks requests from here for now: the run stopped at once;
       nothing is lost, run again after the time it names
  130  interrupted (Ctrl-C); what was done is recorded and activities.csv is current

Tokens are kept in the OS keyring, or in DIR/tokens.json (mode 0600) with --session DIR.
Options of gcexport.py with two-letter short forms (-fp, -sd, -ed, -tf, -ex, -ot, -ss)
are accepted as they were.";

#[derive(Parser, Debug)]
#[command(
    name = "gcexport",
    version,
    about = "Back up your Garmin Connect activities into a folder you own.",
    after_help = AFTER_HELP
)]
pub struct Args {
    /// Garmin Connect email (prompted for on a terminal when a sign-in is needed).
    #[arg(long)]
    pub username: Option<String>,
    /// Garmin Connect password (prompted for, hidden, on a terminal).
    #[arg(long, value_parser = secret)]
    pub password: Option<Secret>,
    /// How many of the most recent activities, or `all`.
    #[arg(short = 'c', long, default_value = "all")]
    pub count: String,
    /// Formats, comma-separated: original, gpx, tcx, kml, json.
    #[arg(
        short = 'f',
        long = "format",
        default_value = "original,gpx",
        value_delimiter = ','
    )]
    pub formats: Vec<String>,
    /// The folder to back up into (created if needed; re-use it to stay incremental).
    #[arg(short = 'd', long, default_value = "garmin-connect-export")]
    pub directory: PathBuf,
    /// Unzip originals to the FIT (or uploaded GPX/TCX) inside.
    #[arg(short = 'u', long)]
    pub unzip: bool,
    /// Make GPX and TCX from the original whatever it is, also from a damaged FIT (what was
    /// intact) or an uploaded track. By default they are made from a FIT original that
    /// decodes cleanly and downloaded from Garmin otherwise.
    #[arg(long = "tracks-from-original", conflicts_with = "garmin_tracks")]
    pub tracks_from_original: bool,
    /// Download GPX and TCX from Garmin (its own export) instead of making them from the
    /// original FIT: one more request per activity and format.
    #[arg(long = "garmin-tracks")]
    pub garmin_tracks: bool,
    /// Sub-folder for activity files, with {YYYY} and {MM} (gcexport.py naming).
    #[arg(short = 's', long)]
    pub subdir: Option<String>,
    /// Prefix file names with the local start time (gcexport.py naming).
    #[arg(long = "fileprefix")]
    pub fileprefix: bool,
    /// Append the activity name to file names, cut to N characters if given (gcexport.py naming).
    #[arg(long, num_args = 0..=1, default_missing_value = "0")]
    pub desc: Option<usize>,
    /// File naming: `browsable` (YYYY/MM/date_type_name_id) or `classic` (activity_{id}).
    /// -fp, --desc and --subdir imply classic.
    #[arg(long, value_enum)]
    pub layout: Option<LayoutArg>,
    /// Your own file name template, e.g. `{YYYY}/{type}/{YYYY}-{MM}-{DD}_{name}_{id}`.
    #[arg(long, conflicts_with = "layout")]
    pub template: Option<String>,
    /// Only activities from this date on (YYYY-MM-DD, inclusive).
    #[arg(long = "start_date", alias = "start-date")]
    pub start_date: Option<String>,
    /// Only activities up to this date (YYYY-MM-DD, inclusive).
    #[arg(long = "end_date", alias = "end-date")]
    pub end_date: Option<String>,
    /// Only these activity types (type ids or keys, comma-separated), e.g. `3,9` or `running`.
    #[arg(long = "type_filter", alias = "type-filter", value_delimiter = ',')]
    pub type_filter: Vec<String>,
    /// JSON file `{"ids": ["6176888711", ...]}` of activities to leave out.
    #[arg(long)]
    pub exclude: Option<PathBuf>,
    /// Set file times to the activity start time.
    #[arg(long = "originaltime")]
    pub originaltime: bool,
    /// Keep the sign-in in DIR/tokens.json (0600) instead of the OS keyring.
    #[arg(long, value_name = "DIR")]
    pub session: Option<PathBuf>,
    /// More log output (-v, -vv). GCEXPORT_LOG (tracing's filter syntax, e.g.
    /// `debug,reqwest=trace`) replaces what these choose.
    #[arg(short = 'v', long = "verbosity", action = ArgAction::Count)]
    pub verbose: u8,
    /// Every Garmin host at one origin (the simulator, a proxy).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// An endpoint profile file (TOML or JSON) overriding hosts and client ids.
    #[arg(long, value_name = "FILE")]
    pub endpoints: Option<PathBuf>,
    /// Sign in with a service ticket caught from Garmin's sign-in page.
    #[arg(long, value_name = "ST-...", value_parser = secret)]
    pub ticket: Option<Secret>,
    /// The verification code, for a scripted first sign-in with MFA.
    #[arg(long = "mfa-code", value_name = "CODE", value_parser = secret)]
    pub mfa_code: Option<Secret>,
    /// Activities downloaded at once (1-8).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub concurrency: u8,
    /// List the whole account instead of stopping at the first page with nothing new.
    #[arg(long)]
    pub full: bool,
    /// One JSON progress event per line on stdout.
    #[arg(long)]
    pub json: bool,
    /// List and plan only: say what would be fetched, write nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Run against an in-process simulator with a demo account (no Garmin account needed).
    #[arg(long)]
    pub demo: bool,
    /// What to back up, comma-separated: activities, health (sleep, HRV, stress, Body
    /// Battery, heart rate, steps, weigh-ins by day), records, gear.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "activities,health,records,gear"
    )]
    pub what: Vec<String>,
    /// The first day of health data to back up (YYYY-MM-DD); default: the oldest activity's.
    #[arg(long = "health-since", value_name = "DATE")]
    pub health_since: Option<String>,
    /// The last day of health data to back up (YYYY-MM-DD); default: today.
    #[arg(long = "health-until", value_name = "DATE")]
    pub health_until: Option<String>,
}

/// Secrets are parsed straight into a [`Secret`], whose `Debug` prints `***`: a debug print
/// of the arguments (or a panic message holding them) shows none of them.
fn secret(text: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(text))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LayoutArg {
    Browsable,
    Classic,
}

/// `gcexport.py` had two-letter short options, which clap does not know: they become
/// their long forms before parsing (`-sd 2024-01-01`, `-sd=2024-01-01`, `-sd2024-01-01`).
pub fn normalize(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    const MAP: [(&str, &str); 7] = [
        ("-fp", "--fileprefix"),
        ("-sd", "--start_date"),
        ("-ed", "--end_date"),
        ("-tf", "--type_filter"),
        ("-ex", "--exclude"),
        ("-ot", "--originaltime"),
        ("-ss", "--session"),
    ];
    let mut out = Vec::new();
    let mut rest_is_positional = false;
    for arg in args {
        let Some(s) = arg.to_str().filter(|_| !rest_is_positional) else {
            out.push(arg);
            continue;
        };
        if s == "--" {
            rest_is_positional = true;
            out.push(arg);
            continue;
        }
        let mut mapped = false;
        for (short, long) in MAP {
            if s == short {
                out.push(long.into());
                mapped = true;
            } else if let Some(v) = s.strip_prefix(short)
                && !v.is_empty()
                && !matches!(short, "-fp" | "-ot")
            {
                out.push(long.into());
                out.push(v.strip_prefix('=').unwrap_or(v).into());
                mapped = true;
            }
            if mapped {
                break;
            }
        }
        if !mapped {
            out.push(arg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &[&str]) -> Args {
        let argv = normalize(line.iter().map(OsString::from));
        Args::try_parse_from(argv).unwrap()
    }

    #[test]
    fn gcexport_py_short_options_are_accepted() {
        let a = parse(&[
            "gcexport",
            "-fp",
            "-sd",
            "2024-01-01",
            "-ed=2024-02-01",
            "-tf",
            "3,9",
            "-ot",
            "-ss",
            "sessions/s",
            "-c",
            "10",
            "-f",
            "gpx,tcx",
            "--desc",
            "-u",
        ]);
        assert!(a.fileprefix && a.originaltime && a.unzip);
        assert_eq!(a.start_date.as_deref(), Some("2024-01-01"));
        assert_eq!(a.end_date.as_deref(), Some("2024-02-01"));
        assert_eq!(a.type_filter, vec!["3", "9"]);
        assert_eq!(a.session, Some(PathBuf::from("sessions/s")));
        assert_eq!(a.formats, vec!["gpx", "tcx"]);
        assert_eq!(a.desc, Some(0));
        assert_eq!(a.count, "10");
    }

    #[test]
    fn debug_of_the_arguments_shows_no_password_ticket_or_code() {
        let a = parse(&[
            "gcexport",
            "--username",
            "runner@example.com",
            "--password",
            "hunter2-password",
            "--ticket",
            "ST-0123456-secretticket-cas",
            "--mfa-code",
            "493817",
        ]);
        let shown = format!("{a:?} {a:#?}");
        for secret in ["hunter2-password", "ST-0123456", "secretticket", "493817"] {
            assert!(!shown.contains(secret), "Debug shows {secret}: {shown}");
        }
        // Still parsed, and still there for the sign-in.
        assert!(shown.contains("runner@example.com"));
        assert!(a.password.is_some() && a.ticket.is_some() && a.mfa_code.is_some());
    }

    #[test]
    fn defaults_are_saner_than_the_classic_script() {
        let a = parse(&["gcexport"]);
        assert_eq!(a.count, "all");
        assert_eq!(a.concurrency, 4);
        assert_eq!(a.formats, vec!["original", "gpx"]);
        assert!(Args::try_parse_from(["gcexport", "--concurrency", "9"]).is_err());
    }
}
