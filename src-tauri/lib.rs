//! The desktop shell: a thin adapter between the page and the engine crates.

mod backup_run;
mod commands;
mod dialog;
mod import_run;
mod prefs;
pub mod schedule;
mod shell;
mod signin_fallback;
mod signin_window;
mod tray;
pub mod wire;

use std::path::PathBuf;
use std::process::ExitCode;

use tauri::Manager;

pub use shell::Shell;
pub use signin_fallback::ticket_from_paste;
pub use signin_window::{
    LABEL as SIGN_IN_WINDOW, desktop_user_agent, may_open as sign_in_window_may_open,
};

/// Where a remembered sign-in is kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TokenStoreChoice {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    #[default]
    Keyring,
    /// A 0600 JSON file: for tests and machines without a keyring.
    File(PathBuf),
    /// Nothing survives the process.
    Memory,
}

impl TokenStoreChoice {
    /// `keyring`, `memory` or `file:<path>` (the value of `GCEXPORT_TOKEN_STORE`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "keyring" => Some(Self::Keyring),
            "memory" => Some(Self::Memory),
            other => other
                .strip_prefix("file:")
                .filter(|p| !p.is_empty())
                .map(|p| Self::File(PathBuf::from(p))),
        }
    }
}

/// Environment variables the app reads (besides the endpoint profile's `GCEXPORT_*`).
pub mod env {
    /// `keyring` (the default), `memory`, or `file:<path>`.
    pub const TOKEN_STORE: &str = "GCEXPORT_TOKEN_STORE";
    /// Replaces the OS's app config folder (preferences, sign-in cool-down).
    pub const CONFIG_DIR: &str = "GCEXPORT_CONFIG_DIR";
    /// The demo simulator's port (end-to-end tests read its expected archive there).
    pub const DEMO_PORT: &str = "GCEXPORT_DEMO_PORT";
    /// Tests only: the export picker answers this path instead of opening a dialog (a
    /// native dialog blocks WebDriver). Never set it in normal use.
    pub const PICK_EXPORT: &str = "GCEXPORT_PICK_EXPORT";
    /// Seconds after Submit without a navigation before Garmin's window counts as stuck
    /// (60 unless set; tests shorten it).
    pub const SIGN_IN_STALL_SECONDS: &str = "GCEXPORT_SIGN_IN_STALL_SECONDS";
    /// Demo mode: how the simulator's sign-in page behaves (`redirect`, `new-window`,
    /// `json-only`, `stall`, `challenge`, ...; see `garmin-sim --help`).
    pub const DEMO_SIGN_IN_PAGE: &str = "GCEXPORT_DEMO_SIGN_IN_PAGE";
    /// Tests only: addresses the app would open in the system browser are appended to this
    /// file instead (a test cannot drive the system browser). Never set it in normal use.
    pub const RECORD_OPENED: &str = "GCEXPORT_RECORD_OPENED";
}

/// How the app was started.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Run against the built-in simulator's demo account instead of Garmin.
    pub demo: bool,
    /// Every Garmin host at this origin (tests: an in-process simulator). Without it, the
    /// endpoint profile is Garmin's, with the overrides `gcexport_connect::env` names.
    pub server_url: Option<String>,
    /// Preferences and the sign-in cool-down; the OS's app config folder when `None`.
    pub config_dir: Option<PathBuf>,
    pub token_store: TokenStoreChoice,
    /// The demo simulator's port; any free one when `None`.
    pub demo_port: Option<u16>,
    /// When Garmin's sign-in window counts as stuck; 60 s when `None`.
    pub sign_in_stall: Option<std::time::Duration>,
    /// Demo mode: the simulator's sign-in page variant.
    pub demo_sign_in_page: Option<gcexport_sim::SignInPage>,
    /// Tests: record addresses for the system browser here instead of opening them.
    pub record_opened: Option<PathBuf>,
}

impl Options {
    pub fn from_env_and_args(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let args: Vec<String> = args.into_iter().collect();
        let demo = args.iter().any(|a| a == "--demo");
        let token_store = match std::env::var(env::TOKEN_STORE) {
            Ok(v) if !v.is_empty() => TokenStoreChoice::parse(&v).ok_or_else(|| {
                format!(
                    "{}: expected keyring, memory or file:<path>",
                    env::TOKEN_STORE
                )
            })?,
            // Demo tokens belong to a simulator that dies with the app: remembering them
            // would only greet the next start with "your sign-in expired".
            _ if demo => TokenStoreChoice::Memory,
            _ => TokenStoreChoice::Keyring,
        };
        Ok(Self {
            demo,
            server_url: None,
            config_dir: std::env::var_os(env::CONFIG_DIR)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            token_store,
            demo_port: match std::env::var(env::DEMO_PORT) {
                Ok(v) if !v.is_empty() => Some(
                    v.parse()
                        .map_err(|_| format!("{}: expected a port number", env::DEMO_PORT))?,
                ),
                _ => None,
            },
            sign_in_stall: match std::env::var(env::SIGN_IN_STALL_SECONDS) {
                Ok(v) if !v.is_empty() => Some(
                    v.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|s| *s > 0.0)
                        .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok())
                        .ok_or_else(|| {
                            format!(
                                "{}: expected a number of seconds",
                                env::SIGN_IN_STALL_SECONDS
                            )
                        })?,
                ),
                _ => None,
            },
            demo_sign_in_page: match std::env::var(env::DEMO_SIGN_IN_PAGE) {
                Ok(v) if !v.is_empty() => Some(
                    v.parse()
                        .map_err(|e| format!("{}: {e}", env::DEMO_SIGN_IN_PAGE))?,
                ),
                _ => None,
            },
            record_opened: std::env::var_os(env::RECORD_OPENED)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        })
    }
}

/// Adds the app's commands and state to a builder: `tauri::Builder::default()` in the app,
/// `tauri::test::mock_builder()` in the tests, so both run the same wiring. With a config
/// folder given, the state is ready when `build()` returns (the tests need that, as a mock
/// app never runs its setup hook); otherwise it is made once the OS's folder is known.
pub fn setup<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    options: Options,
) -> Result<tauri::Builder<R>, String> {
    let builder = match &options.config_dir {
        Some(dir) => builder
            .manage(shell::Shell::start(&options, dir.clone())?)
            .manage(schedule::AutoBackup::new(dir)),
        None => builder.setup(move |app| {
            let dir = app.path().app_config_dir()?;
            app.manage(shell::Shell::start(&options, dir.clone())?);
            app.manage(schedule::AutoBackup::new(&dir));
            Ok(())
        }),
    };
    Ok(builder.invoke_handler(tauri::generate_handler![
        commands::app_info,
        commands::session_status,
        commands::sign_in_with_garmin,
        commands::open_garmin_in_browser,
        commands::sign_in_with_pasted_address,
        commands::sign_in_with_password,
        commands::submit_code,
        commands::sign_out,
        commands::list_activities,
        commands::choose_folder,
        commands::start_backup,
        commands::choose_export,
        commands::start_import,
        commands::cancel_backup,
        commands::open_folder,
        commands::read_preferences,
        commands::save_preferences,
        commands::diagnostic_report,
        commands::schedule_status,
        commands::set_auto_backup,
    ]))
}

pub fn run() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let options = match Options::from_env_and_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("garmin-connect-export: {e}");
            return ExitCode::FAILURE;
        }
    };
    let autostarted = std::env::args().any(|a| a == tray::AUTOSTART_ARG);
    let result = setup(desktop_builder(), options).and_then(|b| {
        let app = b
            .build(tauri::generate_context!())
            .map_err(|e| e.to_string())?;
        app.run(move |app, event| {
            if let tauri::RunEvent::Ready = event {
                on_ready(app, autostarted);
            }
        });
        Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("garmin-connect-export could not start: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The running app's own parts, which the IPC tests do without: one instance, start at login,
/// notifications, the tray.
fn desktop_builder() -> tauri::Builder<tauri::Wry> {
    tauri::Builder::default()
        // First, so that a second launch only wakes the first and goes.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tracing::info!("a second launch: the window comes forward");
            tray::show_main(app);
        }))
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![tray::AUTOSTART_ARG]),
        ))
        .plugin(tauri_plugin_notification::init())
        .manage(tray::Desktop)
        .on_window_event(|window, event| {
            // With the daily backup on, closing the window leaves it running in the tray.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event
                && window.label() == "main"
                && window
                    .app_handle()
                    .try_state::<schedule::AutoBackup>()
                    .is_some_and(|a| a.enabled())
            {
                api.prevent_close();
                let _ = window.hide();
            }
        })
}

/// Started at login with the daily backup on: only the tray; otherwise the window.
fn on_ready<R: tauri::Runtime>(app: &tauri::AppHandle<R>, autostarted: bool) {
    let enabled = app
        .try_state::<schedule::AutoBackup>()
        .is_some_and(|a| a.enabled());
    tray::sync(app, enabled);
    if !(autostarted && enabled) {
        tray::show_main(app);
    }
    schedule::start(app.clone());
}
