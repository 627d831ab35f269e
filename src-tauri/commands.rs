//! Every command is a one-line delegation; logic lives in the crates.

use serde::Serialize;

use crate::Options;

#[derive(Serialize)]
pub struct AppInfo {
    name: &'static str,
    version: &'static str,
    demo: bool,
}

#[tauri::command]
pub fn app_info(options: tauri::State<'_, Options>) -> AppInfo {
    AppInfo {
        name: "Garmin Connect Export",
        version: env!("CARGO_PKG_VERSION"),
        demo: options.demo,
    }
}
