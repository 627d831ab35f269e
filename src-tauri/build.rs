/// Every command the page may call. Each gets an `allow-<name>` permission, granted one by
/// one to the main window in `src-tauri/capabilities/main.json`.
const COMMANDS: &[&str] = &[
    "app_info",
    "session_status",
    "sign_in_with_garmin",
    "open_garmin_in_browser",
    "sign_in_with_pasted_address",
    "sign_in_with_password",
    "submit_code",
    "sign_out",
    "list_activities",
    "choose_folder",
    "start_backup",
    "choose_export",
    "start_import",
    "cancel_backup",
    "open_folder",
    "read_preferences",
    "save_preferences",
    "diagnostic_report",
    "schedule_status",
    "set_auto_backup",
];

fn main() {
    // Capabilities live under src-tauri/ because the package root is the workspace root.
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(err) = tauri_build::try_build(attributes) {
        println!("cargo:warning=tauri-build failed: {err:#}");
        std::process::exit(1);
    }
}
