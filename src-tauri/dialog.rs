//! The system pickers. rfd's GTK dialog hands its work to whichever thread runs the
//! default GLib main loop (the app's main thread) and blocks its caller until the person
//! answers, so it is called from a blocking worker: from the main thread it would wait on
//! itself.

use tauri::{Runtime, WebviewWindow};

use crate::wire::AppError;

pub async fn choose_folder<R: Runtime>(
    window: WebviewWindow<R>,
) -> Result<Option<String>, AppError> {
    pick(move || {
        rfd::FileDialog::new()
            .set_title("Choose the backup folder")
            .set_parent(&window)
            .pick_folder()
    })
    .await
}

/// The account data export: its ZIP, or (`unpacked`) the folder it was unpacked to.
///
/// With [`crate::env::PICK_EXPORT`] set, that path is the answer and no dialog opens: a
/// native dialog blocks a WebDriver session, and the end-to-end test of the import goes
/// through this command like a person would.
pub async fn choose_export<R: Runtime>(
    window: WebviewWindow<R>,
    unpacked: bool,
) -> Result<Option<String>, AppError> {
    if let Some(path) = std::env::var_os(crate::env::PICK_EXPORT).filter(|p| !p.is_empty()) {
        tracing::warn!(
            "{} is set: answering the export picker without a dialog",
            crate::env::PICK_EXPORT
        );
        return Ok(Some(path.to_string_lossy().into_owned()));
    }
    pick(move || {
        let dialog = rfd::FileDialog::new().set_parent(&window);
        if unpacked {
            dialog
                .set_title("Choose the unpacked Garmin data export")
                .pick_folder()
        } else {
            dialog
                .set_title("Choose your Garmin data export")
                .add_filter("Garmin data export (ZIP)", &["zip", "ZIP"])
                .pick_file()
        }
    })
    .await
}

async fn pick(
    dialog: impl FnOnce() -> Option<std::path::PathBuf> + Send + 'static,
) -> Result<Option<String>, AppError> {
    let picked = tokio::task::spawn_blocking(dialog)
        .await
        .map_err(|e| AppError::unexpected(format!("the picker failed: {e}")))?;
    Ok(picked.map(|p| p.display().to_string()))
}
