//! Garmin's own sign-in page in a second window. The app never sees the password: it
//! watches the window's navigations and, when the page goes to `<service>?ticket=ST-...`,
//! stops that navigation, closes the window and hands the ticket over.
//!
//! The window is deliberately absent from every capability file, so Tauri's ACL refuses
//! any command it might try to call (a test proves it).

use std::sync::{Arc, Mutex};

use gcexport_connect::{Secret, ticket_from_url};
use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder, WindowEvent};
use tokio::sync::oneshot;

use crate::wire::AppError;

pub const LABEL: &str = "garmin-sign-in";

type Slot = Arc<Mutex<Option<oneshot::Sender<Result<Secret, AppError>>>>>;

/// First outcome wins: a ticket, or the window closing without one.
fn deliver(slot: &Slot, outcome: Result<Secret, AppError>) {
    if let Some(tx) = slot.lock().ok().and_then(|mut s| s.take()) {
        let _ = tx.send(outcome);
    }
}

fn cancelled() -> AppError {
    AppError::SignInCancelled {
        message: "Garmin's sign-in window was closed before the sign-in finished".into(),
    }
}

/// Opens the window on `page_url` and waits for the ticket of `service_url`.
pub async fn catch_ticket<R: Runtime>(
    app: &AppHandle<R>,
    page_url: &str,
    service_url: String,
) -> Result<Secret, AppError> {
    if let Some(existing) = app.get_webview_window(LABEL) {
        let _ = existing.set_focus();
        return Err(AppError::unexpected(
            "Garmin's sign-in window is already open",
        ));
    }
    let url = page_url
        .parse()
        .map_err(|e| AppError::unexpected(format!("the sign-in address is not valid: {e}")))?;
    let (tx, rx) = oneshot::channel();
    let slot: Slot = Arc::new(Mutex::new(Some(tx)));

    let on_navigation = slot.clone();
    let handle = app.clone();
    let window = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::External(url))
        .title("Sign in to Garmin Connect")
        .inner_size(520.0, 760.0)
        .on_navigation(move |url| {
            if let Some(ticket) = ticket_from_url(url.as_str(), &service_url) {
                tracing::info!("Garmin's page handed over a service ticket");
                deliver(&on_navigation, Ok(ticket));
                // Not from inside the navigation callback: the webview is still in it.
                let handle = handle.clone();
                tauri::async_runtime::spawn(async move {
                    if let Some(w) = handle.get_webview_window(LABEL) {
                        let _ = w.destroy();
                    }
                });
                return false;
            }
            // Garmin's pages (and its captcha and identity providers) are web pages; no
            // other scheme has any business opening from there.
            matches!(url.scheme(), "https" | "http")
        })
        .build()
        .map_err(|e| {
            AppError::unexpected(format!("could not open Garmin's sign-in window: {e}"))
        })?;
    let on_close = slot;
    window.on_window_event(move |event| {
        if matches!(event, WindowEvent::Destroyed) {
            deliver(&on_close, Err(cancelled()));
        }
    });
    rx.await.unwrap_or_else(|_| Err(cancelled()))
}
