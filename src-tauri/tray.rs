//! The tray icon (menu bar on macOS) of the daily backup, and what starting at login means:
//! the app starts hidden, a second launch brings the first forward, closing the window
//! leaves the backup running in the tray.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

use crate::schedule::AutoBackup;
use crate::shell::Shell;

pub const ID: &str = "daily-backup";
/// What the autostart entry passes: start hidden, in the tray.
pub const AUTOSTART_ARG: &str = "--autostart";

/// Present only in the running app (the IPC tests have no tray and no autostart).
pub struct Desktop;

/// Shows the tray icon while the daily backup is on, and removes it when it is off.
pub fn sync<R: Runtime>(app: &AppHandle<R>, enabled: bool) {
    if app.try_state::<Desktop>().is_none() {
        return;
    }
    let present = app.tray_by_id(ID).is_some();
    if enabled && !present {
        if let Err(e) = create(app) {
            tracing::warn!(error = %e, "no tray icon (this desktop may have no tray)");
        }
    } else if !enabled && present {
        let _ = app.remove_tray_by_id(ID);
    }
    set_autostart(app, enabled);
}

fn set_autostart<R: Runtime>(app: &AppHandle<R>, enabled: bool) {
    use tauri_plugin_autostart::ManagerExt;
    if app
        .try_state::<tauri_plugin_autostart::AutoLaunchManager>()
        .is_none()
    {
        return;
    }
    let launch = app.autolaunch();
    let result = if enabled {
        launch.enable()
    } else if launch.is_enabled().unwrap_or(false) {
        launch.disable()
    } else {
        Ok(())
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, enabled, "the start-at-login entry could not be changed");
    }
}

fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let item = |id: &str, text: &str| MenuItem::with_id(app, id, text, true, None::<&str>);
    let menu = Menu::with_items(
        app,
        &[
            &item("backup-now", "Back up now")?,
            &item("open-folder", "Open folder")?,
            &item("open-app", "Open the app")?,
            &item("pause", "Pause for a day")?,
            &PredefinedMenuItem::separator(app)?,
            &item("quit", "Quit")?,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id(ID)
        .tooltip("Garmin Connect Export: daily backup")
        .menu(&menu)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()));
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    // The e2e tests read this: Xvfb has no panel that could show the icon itself.
    tracing::info!("tray icon shown");
    Ok(())
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    tracing::info!(item = id, "tray menu");
    match id {
        "backup-now" => {
            if let Some(auto) = app.try_state::<AutoBackup>() {
                auto.back_up_now();
            }
        }
        "open-folder" => {
            if let Some(shell) = app.try_state::<Shell>()
                && let Some(folder) = shell.read_preferences().folder
                && let Err(e) = shell.open_folder(&folder)
            {
                tracing::warn!(error = %e, "the folder could not be opened");
            }
        }
        "open-app" => show_main(app),
        "pause" => {
            if let Some(auto) = app.try_state::<AutoBackup>()
                && let Err(e) = auto.pause_for_a_day(chrono::Utc::now())
            {
                tracing::warn!(error = %e, "the pause was not saved");
            }
            let _ = tauri::Emitter::emit(app, crate::schedule::CHANGED_EVENT, ());
        }
        "quit" => app.exit(0),
        _ => {}
    }
}

/// Brings the main window forward (a second launch, "Open the app").
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
