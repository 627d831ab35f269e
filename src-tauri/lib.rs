//! The desktop shell: a thin adapter between the page and the engine crates.

mod commands;

use std::process::ExitCode;

/// Options read from the command line; the app takes very few.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Run against the built-in simulator's demo account instead of Garmin.
    pub demo: bool,
}

impl Options {
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Self {
        Self {
            demo: args.into_iter().any(|a| a == "--demo"),
        }
    }
}

/// Adds the app's commands and state to a builder: `tauri::Builder::default()` in the app,
/// `tauri::test::mock_builder()` in the tests, so both run the same wiring.
pub fn setup<R: tauri::Runtime>(builder: tauri::Builder<R>, options: Options) -> tauri::Builder<R> {
    builder
        .manage(options)
        .invoke_handler(tauri::generate_handler![commands::app_info])
}

pub fn run() -> ExitCode {
    let options = Options::from_args(std::env::args().skip(1));
    match setup(tauri::Builder::default(), options).run(tauri::generate_context!()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("garmin-connect-export could not start: {err}");
            ExitCode::FAILURE
        }
    }
}
