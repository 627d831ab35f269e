//! `gcexport schedule install|remove|status|show`: a daily backup by the operating system's
//! own scheduler, for people without the app: a systemd user timer on Linux, a launchd agent
//! on macOS, a Task Scheduler task on Windows. Each runs `gcexport` on the same folder once a
//! day, and late after a day the computer was off or asleep.
//!
//! The entry never holds a password: the scheduled run has no terminal, so it uses the saved
//! sign-in (keyring, or `--session DIR`) and stops with exit code 3 when that is gone.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use chrono::NaiveTime;
use clap::{Parser, Subcommand, ValueEnum};

use crate::args::Args;
use crate::{EXIT_FAILED, EXIT_USAGE, run_options};

pub const ABOUT: &str = "Back up every day by the operating system's scheduler (a systemd \
user timer, a launchd agent, a Task Scheduler task), into the same folder, with the saved \
sign-in: sign in once with gcexport first. A day the computer was off or asleep is caught up \
when it is back.";

/// The entry's name on every system.
pub const NAME: &str = "gcexport-backup";
/// launchd's label (reverse DNS, as launchd wants).
pub const LAUNCHD_LABEL: &str = "io.github.gcexport.backup";
/// Task Scheduler's task name.
pub const TASK_NAME: &str = "Garmin Connect Export daily backup";

#[derive(Parser, Debug)]
#[command(name = "gcexport schedule", version, about = ABOUT)]
struct ScheduleArgs {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Write (and enable) the daily entry for this system.
    Install {
        #[command(flatten)]
        job: JobArgs,
        /// Only write the files; do not ask the scheduler to load them.
        #[arg(long = "no-enable")]
        no_enable: bool,
    },
    /// Disable and delete the entry.
    Remove,
    /// Say whether an entry is installed, and what it runs.
    Status,
    /// Print the entry `install` would write, for this system or another.
    Show {
        #[command(flatten)]
        job: JobArgs,
        #[arg(long = "for", value_enum)]
        target: Option<Target>,
    },
}

#[derive(clap::Args, Debug)]
struct JobArgs {
    /// The folder to back up into (the same one every day, so that each run is incremental).
    #[arg(short = 'd', long, default_value = "garmin-connect-export")]
    directory: PathBuf,
    /// Formats, comma-separated: original, gpx, tcx, kml, json.
    #[arg(short = 'f', long = "format", default_value = "original,gpx")]
    formats: String,
    /// The saved sign-in in DIR/tokens.json instead of the OS keyring.
    #[arg(long, value_name = "DIR")]
    session: Option<PathBuf>,
    /// File naming: browsable or classic.
    #[arg(long)]
    layout: Option<String>,
    /// Your own file name template.
    #[arg(long, conflicts_with = "layout")]
    template: Option<String>,
    /// Make GPX and TCX from the original FIT instead of downloading them.
    #[arg(long = "tracks-from-original")]
    tracks_from_original: bool,
    /// Unzip originals.
    #[arg(short = 'u', long)]
    unzip: bool,
    /// Local time of day, HH:MM (a day missed is caught up when the computer is back).
    #[arg(long, default_value = "09:00", value_parser = time_of_day)]
    at: NaiveTime,
    /// Refused: a scheduled entry never holds a password.
    #[arg(long, hide = true)]
    password: Option<String>,
    /// Refused, as --password.
    #[arg(long, hide = true)]
    ticket: Option<String>,
}

fn time_of_day(text: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M")
        .map_err(|_| format!("expected a time of day as HH:MM (24-hour), got {text:?}"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Target {
    Linux,
    Macos,
    Windows,
}

impl Target {
    fn running() -> Option<Self> {
        match std::env::consts::OS {
            "linux" => Some(Target::Linux),
            "macos" => Some(Target::Macos),
            "windows" => Some(Target::Windows),
            _ => None,
        }
    }
}

/// What the entry runs, resolved to absolute paths (a scheduler starts in another folder).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub exe: PathBuf,
    pub args: Vec<String>,
    pub at: NaiveTime,
    pub folder: PathBuf,
}

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(EXIT_USAGE)
}

fn failed(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(EXIT_FAILED)
}

/// `argv` without the program name and `schedule`.
pub fn main(argv: Vec<OsString>) -> ExitCode {
    let mut line = vec![OsString::from("gcexport schedule")];
    line.extend(argv);
    let args = match ScheduleArgs::try_parse_from(line) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    let Some(running) = Target::running() else {
        return failed(format!(
            "no scheduler known on {}: run gcexport from your own scheduler",
            std::env::consts::OS
        ));
    };
    let home = match Home::from_env() {
        Ok(h) => h,
        Err(e) => return failed(e),
    };
    match args.cmd {
        Cmd::Install { job, no_enable } => match job_from(&job) {
            Ok(job) => install(running, &home, &job, !no_enable),
            Err(e) => usage(e),
        },
        Cmd::Show { job, target } => match job_from(&job) {
            Ok(job) => {
                for (path, text) in entry_files(target.unwrap_or(running), &home, &job) {
                    println!("# {}\n{text}", path.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => usage(e),
        },
        Cmd::Remove => remove(running, &home),
        Cmd::Status => status(running, &home),
    }
}

fn job_from(a: &JobArgs) -> Result<Job, String> {
    if a.password.is_some() || a.ticket.is_some() {
        return Err(
            "a scheduled backup never holds a password or ticket: sign in once with \
                    `gcexport -d FOLDER` (it saves the sign-in), then install the schedule; \
                    the daily run uses the saved sign-in"
                .to_owned(),
        );
    }
    let absolute = |p: &Path| -> Result<PathBuf, String> {
        std::path::absolute(p).map_err(|e| format!("{}: {e}", p.display()))
    };
    let folder = absolute(&a.directory)?;
    let mut args = vec![
        "--directory".to_owned(),
        path_text(&folder)?,
        "--format".to_owned(),
        a.formats.clone(),
    ];
    if let Some(session) = &a.session {
        args.extend(["--session".to_owned(), path_text(&absolute(session)?)?]);
    }
    if let Some(layout) = &a.layout {
        args.extend(["--layout".to_owned(), layout.clone()]);
    }
    if let Some(template) = &a.template {
        args.extend(["--template".to_owned(), template.clone()]);
    }
    if a.tracks_from_original {
        args.push("--tracks-from-original".to_owned());
    }
    if a.unzip {
        args.push("--unzip".to_owned());
    }
    // The same checks as the run itself, so that a bad format or template fails now and not
    // silently every morning.
    let mut line = vec!["gcexport".to_owned()];
    line.extend(args.iter().cloned());
    let parsed = Args::try_parse_from(&line).map_err(|e| e.to_string())?;
    run_options(&parsed)?;
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot tell where gcexport is installed: {e}"))?;
    Ok(Job {
        exe,
        args,
        at: a.at,
        folder,
    })
}

fn path_text(p: &Path) -> Result<String, String> {
    p.to_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{}: the path is not valid Unicode", p.display()))
}

/// Where each system keeps a user's entries.
pub struct Home {
    /// systemd user units: `$XDG_CONFIG_HOME/systemd/user`.
    systemd: PathBuf,
    /// launchd agents: `~/Library/LaunchAgents`; logs in `~/Library/Logs`.
    launch_agents: PathBuf,
    logs: PathBuf,
    /// Task Scheduler takes the task from a file we write in the temp folder.
    temp: PathBuf,
}

impl Home {
    fn from_env() -> Result<Self, String> {
        let home = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .ok_or("HOME is not set: cannot tell where your scheduler entries live")?;
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|c| !c.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".config"));
        Ok(Home {
            systemd: config.join("systemd").join("user"),
            launch_agents: home.join("Library").join("LaunchAgents"),
            logs: home.join("Library").join("Logs"),
            temp: std::env::temp_dir(),
        })
    }

    fn files(&self, target: Target) -> Vec<PathBuf> {
        match target {
            Target::Linux => vec![
                self.systemd.join(format!("{NAME}.service")),
                self.systemd.join(format!("{NAME}.timer")),
            ],
            Target::Macos => vec![self.launch_agents.join(format!("{LAUNCHD_LABEL}.plist"))],
            Target::Windows => vec![self.temp.join(format!("{NAME}.xml"))],
        }
    }
}

/// The files an entry consists of, with their text.
pub fn entry_files(target: Target, home: &Home, job: &Job) -> Vec<(PathBuf, String)> {
    let texts = match target {
        Target::Linux => vec![systemd_service(job), systemd_timer(job)],
        Target::Macos => vec![launchd_plist(job, &home.logs)],
        Target::Windows => vec![task_xml(job)],
    };
    home.files(target).into_iter().zip(texts).collect()
}

fn install(target: Target, home: &Home, job: &Job, enable: bool) -> ExitCode {
    for (path, text) in entry_files(target, home, job) {
        let bytes = match target {
            // Task Scheduler reads task files as UTF-16 (the declaration says so).
            Target::Windows => utf16_with_bom(&text),
            _ => text.into_bytes(),
        };
        if let Err(e) = write_replacing(&path, &bytes) {
            return failed(format!("could not write {}: {e}", path.display()));
        }
        eprintln!("wrote {}", path.display());
    }
    if !enable {
        eprintln!("not enabled (--no-enable): {}", enable_hint(target, home));
        return ExitCode::SUCCESS;
    }
    let steps: Vec<Vec<String>> = match target {
        Target::Linux => vec![
            svec(&["systemctl", "--user", "daemon-reload"]),
            svec(&[
                "systemctl",
                "--user",
                "enable",
                "--now",
                &format!("{NAME}.timer"),
            ]),
        ],
        Target::Macos => {
            let plist = &home.files(target)[0];
            vec![
                // Unloading first makes a second install replace the first.
                svec(&["launchctl", "unload", &plist.to_string_lossy()]),
                svec(&["launchctl", "load", "-w", &plist.to_string_lossy()]),
            ]
        }
        Target::Windows => {
            let xml = &home.files(target)[0];
            vec![svec(&[
                "schtasks",
                "/Create",
                "/TN",
                TASK_NAME,
                "/XML",
                &xml.to_string_lossy(),
                "/F",
            ])]
        }
    };
    let last = steps.len() - 1;
    for (i, step) in steps.iter().enumerate() {
        let quiet_failure_ok = target == Target::Macos && i == 0;
        if let Err(e) = run(step) {
            if quiet_failure_ok {
                continue;
            }
            return failed(format!(
                "the entry is written but the scheduler did not take it ({e}). {}",
                enable_hint(target, home)
            ));
        }
        if i == last {
            eprintln!(
                "installed: gcexport backs up into {} every day at {} (and on the next start \
                 after a day the computer was off)",
                job.folder.display(),
                job.at.format("%H:%M")
            );
        }
    }
    ExitCode::SUCCESS
}

fn enable_hint(target: Target, home: &Home) -> String {
    match target {
        Target::Linux => format!(
            "to enable it: systemctl --user daemon-reload && systemctl --user enable --now {NAME}.timer"
        ),
        Target::Macos => format!(
            "to enable it: launchctl load -w {}",
            home.files(target)[0].display()
        ),
        Target::Windows => format!(
            "to enable it: schtasks /Create /TN \"{TASK_NAME}\" /XML \"{}\" /F",
            home.files(target)[0].display()
        ),
    }
}

fn remove(target: Target, home: &Home) -> ExitCode {
    // Best effort: the scheduler may not know the entry (never enabled, or no session bus).
    let _ = match target {
        Target::Linux => run(&svec(&[
            "systemctl",
            "--user",
            "disable",
            "--now",
            &format!("{NAME}.timer"),
        ])),
        Target::Macos => run(&svec(&[
            "launchctl",
            "unload",
            "-w",
            &home.files(target)[0].to_string_lossy(),
        ])),
        Target::Windows => run(&svec(&["schtasks", "/Delete", "/TN", TASK_NAME, "/F"])),
    };
    let mut removed = 0;
    for path in home.files(target) {
        match std::fs::remove_file(&path) {
            Ok(()) => {
                eprintln!("removed {}", path.display());
                removed += 1;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return failed(format!("could not remove {}: {e}", path.display())),
        }
    }
    if target == Target::Linux && removed > 0 {
        let _ = run(&svec(&["systemctl", "--user", "daemon-reload"]));
    }
    if removed == 0 && target != Target::Windows {
        println!("no daily backup was installed");
    }
    ExitCode::SUCCESS
}

fn status(target: Target, home: &Home) -> ExitCode {
    match target {
        Target::Windows => {
            return match run(&svec(&[
                "schtasks", "/Query", "/TN", TASK_NAME, "/V", "/FO", "LIST",
            ])) {
                Ok(out) => {
                    println!("installed: {out}");
                    ExitCode::SUCCESS
                }
                Err(_) => {
                    println!("not installed");
                    ExitCode::SUCCESS
                }
            };
        }
        Target::Linux | Target::Macos => {}
    }
    let files = home.files(target);
    let Some(main) = files.first() else {
        return ExitCode::SUCCESS;
    };
    let Ok(text) = std::fs::read_to_string(main) else {
        println!("not installed");
        return ExitCode::SUCCESS;
    };
    println!("installed: {}", main.display());
    if let Some(line) = text.lines().find(|l| l.starts_with("ExecStart=")) {
        println!("runs: {}", line.trim_start_matches("ExecStart="));
    }
    if target == Target::Linux {
        if let Ok(timer) = std::fs::read_to_string(&files[1])
            && let Some(line) = timer.lines().find(|l| l.starts_with("OnCalendar="))
        {
            println!("when: {}", line.trim_start_matches("OnCalendar="));
        }
        match run(&svec(&[
            "systemctl",
            "--user",
            "is-enabled",
            &format!("{NAME}.timer"),
        ])) {
            Ok(out) => println!("enabled: {}", out.trim()),
            Err(e) => println!("enabled: unknown ({e})"),
        }
    }
    ExitCode::SUCCESS
}

fn svec(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| (*s).to_owned()).collect()
}

/// Runs a scheduler tool; its output, or why it failed.
fn run(cmd: &[String]) -> Result<String, String> {
    let (program, rest) = cmd.split_first().ok_or("empty command")?;
    let out = Command::new(program)
        .args(rest)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(text)
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(format!("`{}` failed: {}", cmd.join(" "), err.trim()))
    }
}

fn write_replacing(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn utf16_with_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend(unit.to_le_bytes());
    }
    out
}

// ---- systemd --------------------------------------------------------------------------

/// One word of an `ExecStart=` line: quoted, with systemd's specifiers (`%`) and variable
/// expansion (`$`) turned off (systemd.service(5), "Command lines").
fn systemd_word(word: &str) -> String {
    let mut out = String::from("\"");
    for c in word.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '%' => out.push_str("%%"),
            '$' => out.push_str("$$"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn systemd_service(job: &Job) -> String {
    let mut exec = vec![systemd_word(&job.exe.to_string_lossy())];
    exec.extend(job.args.iter().map(|a| systemd_word(a)));
    format!(
        "[Unit]\n\
         Description=Garmin Connect Export: daily backup into {folder}\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         ExecStart={exec}\n\
         # Exit 4: Garmin refuses for now; 3: the saved sign-in is gone (sign in with gcexport).\n\
         # Neither is retried today: the timer runs again tomorrow.\n\
         SuccessExitStatus=4\n\
         Nice=10\n\
         IOSchedulingClass=idle\n",
        folder = job.folder.display().to_string().replace('%', "%%"),
        exec = exec.join(" "),
    )
}

pub fn systemd_timer(job: &Job) -> String {
    format!(
        "[Unit]\n\
         Description=Garmin Connect Export: daily backup\n\
         \n\
         [Timer]\n\
         OnCalendar=*-*-* {at}\n\
         # A day the computer was off or asleep runs at the next start.\n\
         Persistent=true\n\
         # Not everyone's backup at the same second.\n\
         RandomizedDelaySec=10min\n\
         Unit={NAME}.service\n\
         \n\
         [Install]\n\
         WantedBy=timers.target\n",
        at = job.at.format("%H:%M:00"),
    )
}

// ---- launchd ---------------------------------------------------------------------------

fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

pub fn launchd_plist(job: &Job, logs: &Path) -> String {
    use chrono::Timelike;
    let mut program = format!(
        "    <string>{}</string>\n",
        xml_text(&job.exe.to_string_lossy())
    );
    for a in &job.args {
        program.push_str(&format!("    <string>{}</string>\n", xml_text(a)));
    }
    let log = xml_text(&logs.join("gcexport-schedule.log").to_string_lossy());
    // StartCalendarInterval: launchd runs a slot missed while asleep at wake (not one missed
    // while powered off: the next day's slot then catches up, as every run is incremental).
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
<plist version=\"1.0\">\n\
<dict>\n\
  <key>Label</key>\n\
  <string>{LAUNCHD_LABEL}</string>\n\
  <key>ProgramArguments</key>\n\
  <array>\n\
{program}  </array>\n\
  <key>StartCalendarInterval</key>\n\
  <dict>\n\
    <key>Hour</key>\n\
    <integer>{hour}</integer>\n\
    <key>Minute</key>\n\
    <integer>{minute}</integer>\n\
  </dict>\n\
  <key>ProcessType</key>\n\
  <string>Background</string>\n\
  <key>LowPriorityIO</key>\n\
  <true/>\n\
  <key>StandardOutPath</key>\n\
  <string>{log}</string>\n\
  <key>StandardErrorPath</key>\n\
  <string>{log}</string>\n\
</dict>\n\
</plist>\n",
        hour = job.at.hour(),
        minute = job.at.minute(),
    )
}

// ---- Task Scheduler --------------------------------------------------------------------

/// One argument as Windows' command-line parser (CommandLineToArgvW) reads it back.
fn windows_arg(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains([' ', '\t', '"']) {
        return arg.to_owned();
    }
    let mut out = String::from("\"");
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.push_str(&"\\".repeat(backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            c => {
                out.push_str(&"\\".repeat(backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.push_str(&"\\".repeat(backslashes * 2));
    out.push('"');
    out
}

pub fn task_xml(job: &Job) -> String {
    let arguments: Vec<String> = job.args.iter().map(|a| windows_arg(a)).collect();
    // InteractiveToken: the task runs as the signed-in person, who owns the saved sign-in in
    // Credential Manager; StartWhenAvailable catches up a day the computer was off.
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n\
<Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\n\
  <RegistrationInfo>\n\
    <Description>{description}</Description>\n\
  </RegistrationInfo>\n\
  <Triggers>\n\
    <CalendarTrigger>\n\
      <StartBoundary>2026-01-01T{at}</StartBoundary>\n\
      <RandomDelay>PT10M</RandomDelay>\n\
      <Enabled>true</Enabled>\n\
      <ScheduleByDay>\n\
        <DaysInterval>1</DaysInterval>\n\
      </ScheduleByDay>\n\
    </CalendarTrigger>\n\
  </Triggers>\n\
  <Principals>\n\
    <Principal id=\"Author\">\n\
      <LogonType>InteractiveToken</LogonType>\n\
      <RunLevel>LeastPrivilege</RunLevel>\n\
    </Principal>\n\
  </Principals>\n\
  <Settings>\n\
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>\n\
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>\n\
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>\n\
    <StartWhenAvailable>true</StartWhenAvailable>\n\
    <RunOnlyIfNetworkAvailable>true</RunOnlyIfNetworkAvailable>\n\
    <ExecutionTimeLimit>PT4H</ExecutionTimeLimit>\n\
    <Enabled>true</Enabled>\n\
  </Settings>\n\
  <Actions Context=\"Author\">\n\
    <Exec>\n\
      <Command>{command}</Command>\n\
      <Arguments>{arguments}</Arguments>\n\
    </Exec>\n\
  </Actions>\n\
</Task>\n",
        description = xml_text(&format!(
            "Garmin Connect Export: daily backup into {}",
            job.folder.display()
        )),
        at = job.at.format("%H:%M:00"),
        command = xml_text(&job.exe.to_string_lossy()),
        arguments = xml_text(&arguments.join(" ")),
    )
}
