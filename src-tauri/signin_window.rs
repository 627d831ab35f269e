//! Garmin's own sign-in page in a second window. The app never sees the password: it
//! watches the window's navigations and, when the page goes to `<service>?ticket=ST-...`,
//! stops that navigation, closes the window and hands the ticket over.
//!
//! The window is deliberately absent from every capability file, so Tauri's ACL refuses
//! any command it might try to call (a test proves it).

use std::sync::{Arc, Mutex};

use gcexport_connect::{Secret, ticket_from_url};
use tauri::{AppHandle, Manager, Runtime, Url, WebviewUrl, WebviewWindowBuilder, WindowEvent};
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

/// Whether the window may go to `url`. Garmin's pages (and its captcha and identity
/// providers) are https; a plain `http` page could be read or replaced by anyone on the
/// network, password field included. Plain http is left to this machine only: the
/// simulator of demo mode and of the tests answers on loopback. No other scheme has any
/// business opening from there.
pub fn may_open(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        // The URL parser has already normalised the host (`127.1`, `0x7f.0.0.1` and
        // `LOCALHOST` arrive as `127.0.0.1` and `localhost`).
        "http" => url.host_str().is_some_and(|host| {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }),
        _ => false,
    }
}

/// Signs Garmin's page out too: it keeps its own sign-in in cookies (its "remember me"),
/// which would let the next "Sign in with Garmin" through without asking. The sign-in
/// window has no data directory of its own: it shares the webview profile of the app's
/// windows (the page keeps nothing there), so clearing the browsing data of any open
/// window clears Garmin's cookies, whether or not the sign-in window is open.
pub fn forget_garmin<R: Runtime>(app: &AppHandle<R>) {
    for (label, window) in app.webview_windows() {
        if let Err(e) = window.clear_all_browsing_data() {
            tracing::warn!(window = %label, error = %e, "Garmin's cookies could not be cleared");
        }
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
    let url: Url = page_url
        .parse()
        .map_err(|e| AppError::unexpected(format!("the sign-in address is not valid: {e}")))?;
    if !may_open(&url) {
        return Err(AppError::unexpected(format!(
            "the sign-in page must be https (plain http only on this computer): {page_url}"
        )));
    }
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
            let allowed = may_open(url);
            if !allowed {
                tracing::warn!(
                    scheme = url.scheme(),
                    "the sign-in window was kept from leaving https"
                );
            }
            allowed
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
