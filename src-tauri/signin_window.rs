//! Garmin's own sign-in page in a second window. The app never sees the password: it
//! watches the window's navigations and, when the page goes to `<service>?ticket=ST-...`,
//! stops that navigation, closes the window and hands the ticket over.
//!
//! Garmin's page does not always navigate there by itself inside an embedded browser
//! (docs/sign-in-window.md): it may open the ticket address in a new window, or keep the
//! ticket in a JSON answer, or stall. An initialization script turns each of these into a
//! navigation of this window (the one channel the window has towards the app), which the
//! navigation hook then judges like any other. The script adds no capability: the window
//! is deliberately absent from every capability file, so Tauri's ACL refuses any command
//! it might try to call (a test proves it).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gcexport_connect::{Secret, ticket_from_url};
use tauri::webview::{NewWindowResponse, PageLoadEvent};
use tauri::{AppHandle, Manager, Runtime, Url, WebviewUrl, WebviewWindowBuilder, WindowEvent};
use tokio::sync::{mpsc, oneshot};

use crate::wire::{AppError, StuckReason};

pub const LABEL: &str = "garmin-sign-in";

/// Where the initialization script sends the window to say it is stuck. `.invalid` never
/// resolves (RFC 2606), and the navigation hook stops it before any request: the page
/// stays as it is, and the app offers the way through the user's own browser.
const STUCK_SIGNAL: &str = "https://sign-in-window.invalid/stuck";

/// After Submit, how long a page may go without navigating (or the user typing) before the
/// app offers its fallback; also how long a CDN challenge may stay unsolved.
pub const DEFAULT_STALL_AFTER: Duration = Duration::from_secs(60);

/// What the window is told at start.
#[derive(Clone, Debug)]
pub struct WindowOptions {
    pub stall_after: Duration,
}

impl Default for WindowOptions {
    fn default() -> Self {
        Self {
            stall_after: DEFAULT_STALL_AFTER,
        }
    }
}

/// The user agent of a stock desktop browser of this platform's engine, with no app
/// marker: Garmin's CDN treats an unknown embedded browser with suspicion
/// (docs/sign-in-window.md). Each is the engine the webview really is, so the page's
/// feature checks and the user agent agree.
pub fn desktop_user_agent() -> &'static str {
    if cfg!(target_os = "windows") {
        // WebView2 is Edge's engine.
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36 Edg/142.0.0.0"
    } else if cfg!(target_os = "macos") {
        // WKWebView is Safari's engine; its own user agent lacks Safari's "Version/… Safari/…".
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.1 Safari/605.1.15"
    } else {
        // WebKitGTK: what GNOME Web (the stock WebKit browser on Linux) sends.
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15"
    }
}

/// What an address the window is about to load means.
#[derive(Debug)]
pub enum Seen {
    /// Garmin's page handed the ticket over.
    Ticket(Secret),
    /// The initialization script says the page is stuck.
    Stuck(StuckReason),
    /// Any other address: `true` if the window may go there.
    Page(bool),
}

/// Judges an address the window (or a new window it asked for) would load.
pub fn judge(url: &Url, service_url: &str) -> Seen {
    if let Some(ticket) = ticket_from_url(url.as_str(), service_url) {
        return Seen::Ticket(ticket);
    }
    if url.as_str().split(['?', '#']).next() == Some(STUCK_SIGNAL) {
        let reason = url
            .query_pairs()
            .find(|(k, _)| k == "reason")
            .map(|(_, v)| v.into_owned());
        return Seen::Stuck(match reason.as_deref() {
            Some("challenge") => StuckReason::Challenge,
            _ => StuckReason::NoNavigation,
        });
    }
    Seen::Page(may_open(url))
}

/// The script that runs in Garmin's page before the page's own scripts, in the page's
/// world (it holds nothing the page could not do itself).
pub fn initialization_script(service_url: &str, options: &WindowOptions) -> String {
    let settings = serde_json::json!({
        "service": service_url,
        "stuck": STUCK_SIGNAL,
        "stallMs": u64::try_from(options.stall_after.as_millis()).unwrap_or(u64::MAX),
    });
    SCRIPT.replace("__SETTINGS__", &settings.to_string())
}

const SCRIPT: &str = include_str!("signin_window.js");

type Slot = Arc<Mutex<Option<oneshot::Sender<Result<Secret, AppError>>>>>;

/// First outcome wins: a ticket, or the window closing without one. True if this one won.
fn deliver(slot: &Slot, outcome: Result<Secret, AppError>) -> bool {
    match slot.lock().ok().and_then(|mut s| s.take()) {
        Some(tx) => tx.send(outcome).is_ok(),
        None => false,
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

/// Closes the sign-in window if it is open (the person chose another way in).
pub fn close<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window(LABEL) {
        let _ = w.destroy();
    }
}

/// What the window's hooks share: where the ticket goes, what to call when stuck.
struct Catcher<R: Runtime> {
    slot: Slot,
    app: AppHandle<R>,
    service_url: String,
    /// To `catch_ticket`'s task: whatever hears of it (an IPC channel) must not be dropped
    /// with the window on the main thread, where the webview table is borrowed.
    stuck: mpsc::UnboundedSender<StuckReason>,
}

impl<R: Runtime> Catcher<R> {
    /// Acts on an address the window would load (`hook` says who saw it); true if the
    /// window may load it.
    fn sees(&self, url: &Url, hook: &'static str) -> bool {
        match judge(url, &self.service_url) {
            Seen::Ticket(ticket) => {
                // The initialization script names its own way in the fragment.
                let via = url
                    .fragment()
                    .and_then(|f| f.strip_prefix("via="))
                    .unwrap_or(hook);
                if deliver(&self.slot, Ok(ticket)) {
                    tracing::info!(via, "Garmin's page handed over a service ticket");
                }
                // Not from inside the webview's callback: the webview is still in it.
                let app = self.app.clone();
                tauri::async_runtime::spawn(async move { close(&app) });
                false
            }
            Seen::Stuck(reason) => {
                tracing::info!(?reason, "Garmin's page looks stuck: offering the browser");
                let _ = self.stuck.send(reason);
                false
            }
            Seen::Page(allowed) => {
                if !allowed {
                    tracing::warn!(
                        scheme = url.scheme(),
                        "the sign-in window was kept from leaving https"
                    );
                }
                allowed
            }
        }
    }

    /// A new window the page asked for: never one; this window goes there instead.
    fn new_window(&self, url: Url) {
        if self.sees(&url, "new-window") {
            let app = self.app.clone();
            tauri::async_runtime::spawn(async move {
                if let Some(w) = app.get_webview_window(LABEL) {
                    let _ = w.navigate(url);
                }
            });
        }
    }
}

/// Opens the window on `page_url` and waits for the ticket of `service_url`. `on_stuck`
/// hears when the page seems stuck; the window stays open (the person may still finish
/// there) until a ticket comes or it is closed.
pub async fn catch_ticket<R: Runtime>(
    app: &AppHandle<R>,
    page_url: &str,
    service_url: String,
    options: &WindowOptions,
    on_stuck: impl Fn(StuckReason),
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
    let (tx, mut rx) = oneshot::channel();
    let slot: Slot = Arc::new(Mutex::new(Some(tx)));
    let script = initialization_script(&service_url, options);
    let (stuck, mut stuck_rx) = mpsc::unbounded_channel();
    let catcher = Arc::new(Catcher {
        slot: slot.clone(),
        app: app.clone(),
        service_url,
        stuck,
    });
    let on_navigation = catcher.clone();
    let on_new_window = catcher.clone();
    let on_load = catcher;
    let window = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::External(url))
        .title("Sign in to Garmin Connect")
        .inner_size(520.0, 760.0)
        .user_agent(desktop_user_agent())
        .initialization_script(script)
        .on_navigation(move |url| on_navigation.sees(url, "navigation"))
        .on_new_window(move |url, _features| {
            on_new_window.new_window(url);
            NewWindowResponse::Deny
        })
        // A redirect the navigation hook was not asked about still shows up here.
        .on_page_load(move |_window, payload| {
            if payload.event() == PageLoadEvent::Started {
                on_load.sees(payload.url(), "page-load");
            }
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
    loop {
        tokio::select! {
            outcome = &mut rx => return outcome.unwrap_or_else(|_| Err(cancelled())),
            Some(reason) = stuck_rx.recv() => on_stuck(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICE: &str = "https://mobile.integration.garmin.com/gcm/ios";

    fn url(s: &str) -> Url {
        s.parse().unwrap()
    }

    #[test]
    fn the_ticket_address_of_the_service_is_caught_and_nothing_else() {
        let seen = judge(&url(&format!("{SERVICE}?ticket=ST-1-abc-sso")), SERVICE);
        assert!(matches!(seen, Seen::Ticket(t) if t.expose() == "ST-1-abc-sso"));
        // Another service's ticket is not ours to exchange; the window may go there.
        let other = judge(
            &url("https://connect.garmin.com/app?ticket=ST-1-abc-sso"),
            SERVICE,
        );
        assert!(matches!(other, Seen::Page(true)));
    }

    #[test]
    fn the_stuck_signal_is_never_loaded_and_names_its_reason() {
        let challenge = judge(&url(&format!("{STUCK_SIGNAL}?reason=challenge")), SERVICE);
        assert!(matches!(challenge, Seen::Stuck(StuckReason::Challenge)));
        let stall = judge(
            &url(&format!("{STUCK_SIGNAL}?reason=no_navigation")),
            SERVICE,
        );
        assert!(matches!(stall, Seen::Stuck(StuckReason::NoNavigation)));
        // A look-alike elsewhere is an ordinary page.
        let other = judge(&url("https://sign-in-window.invalid/stuckx"), SERVICE);
        assert!(matches!(other, Seen::Page(true)));
    }

    #[test]
    fn plain_http_only_on_this_computer() {
        assert!(matches!(
            judge(&url("http://example.com/sign-in"), SERVICE),
            Seen::Page(false)
        ));
        assert!(matches!(
            judge(&url("http://127.0.0.1:9/sign-in"), SERVICE),
            Seen::Page(true)
        ));
        assert!(matches!(
            judge(&url("file:///etc/passwd"), SERVICE),
            Seen::Page(false)
        ));
    }

    #[test]
    fn the_user_agent_is_a_stock_browsers() {
        let ua = desktop_user_agent();
        assert!(ua.starts_with("Mozilla/5.0 ("), "{ua}");
        for marker in [
            "Tauri", "tauri", "wry", "Electron", "garmin", "gcexport", "Export",
        ] {
            assert!(!ua.contains(marker), "{marker} in {ua}");
        }
    }

    #[test]
    fn the_script_carries_the_service_and_the_stall_time() {
        let js = initialization_script(
            SERVICE,
            &WindowOptions {
                stall_after: Duration::from_millis(2500),
            },
        );
        assert!(!js.contains("__SETTINGS__"));
        assert!(js.contains(r#""stallMs":2500"#), "{js}");
        assert!(js.contains(&format!(r#""service":"{SERVICE}""#)));
        assert!(js.contains(STUCK_SIGNAL));
    }
}
