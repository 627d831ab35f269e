//! The system folder picker. rfd's GTK dialog hands its work to whichever thread runs the
//! default GLib main loop (the app's main thread) and blocks its caller until the person
//! answers, so it is called from a blocking worker: from the main thread it would wait on
//! itself.

use tauri::{Runtime, WebviewWindow};

use crate::wire::AppError;

pub async fn choose_folder<R: Runtime>(
    window: WebviewWindow<R>,
) -> Result<Option<String>, AppError> {
    let picked = tokio::task::spawn_blocking(move || {
        rfd::FileDialog::new()
            .set_title("Choose the backup folder")
            .set_parent(&window)
            .pick_folder()
    })
    .await
    .map_err(|e| AppError::unexpected(format!("the folder picker failed: {e}")))?;
    Ok(picked.map(|p| p.display().to_string()))
}
