//! The system folder picker. GTK dialogs must run on the main thread, where they spin a
//! nested loop; the command waits for the answer without blocking the IPC thread.

use tauri::{Runtime, WebviewWindow};

use crate::wire::AppError;

pub async fn choose_folder<R: Runtime>(
    window: WebviewWindow<R>,
) -> Result<Option<String>, AppError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let parent = window.clone();
    window
        .run_on_main_thread(move || {
            let picked = rfd::FileDialog::new()
                .set_title("Choose the backup folder")
                .set_parent(&parent)
                .pick_folder();
            let _ = tx.send(picked);
        })
        .map_err(|e| AppError::unexpected(format!("could not open the folder picker: {e}")))?;
    let picked = rx
        .await
        .map_err(|_| AppError::unexpected("the folder picker went away"))?;
    Ok(picked.map(|p| p.display().to_string()))
}
