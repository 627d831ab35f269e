//! A Garmin Connect simulator: a real HTTP server on loopback that behaves like Garmin Connect
//! as `docs/protocol.md` describes it (sign-in, DI tokens, the data API, downloads), ugly parts
//! included: 429s, 204s, 500s, single-use tickets, rotating refresh tokens, hostile names.
//!
//! It shares no code and no types with the client on purpose: a misunderstanding of the
//! protocol in one must not be mirrored by the other.

pub mod account;
/// The downloads, rendered from the account (`account::files`).
pub use account::files;
pub mod export;
pub mod export_health;
pub mod fit;
pub mod health;

mod api;
mod control;
mod diauth;
mod faults;
mod random;
mod reply;
mod server;
mod signin_page;
mod sso;
mod state;
mod stats;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

pub use faults::{FaultSpecError, Faults};
pub use signin_page::{SignInPage, UnknownSignInPage};
pub use stats::{RETRY_AFTER_GRACE, Stats};

/// Everything a simulator can be started with. `Default` is Garmin's behaviour with a
/// few hundred activities, no faults, and Garmin's token lifetimes.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Top-level activities in the account (multisport legs come on top).
    pub activities: usize,
    /// Everything about the account's data derives from this seed, and nothing else.
    pub seed: u64,
    /// 0 picks a free port. The server binds 127.0.0.1 only.
    pub port: u16,
    /// The K newest activities start hidden; `POST /__sim/reveal?count=N` shows them.
    pub withheld: usize,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// How long a service ticket can be exchanged (it can be exchanged once).
    pub ticket_ttl: Duration,
    /// DI OAuth2 client ids the token endpoint accepts.
    pub client_ids: Vec<String>,
    /// Client ids whose tokens are issued but then answered "Token is not active".
    pub inactive_client_ids: Vec<String>,
    /// Faults to inject from the start; `Sim::set_faults` replaces them later.
    pub faults: Faults,
    /// How the sign-in page hands the ticket over (or fails to), as Garmin's page did in
    /// embedded browsers.
    pub sign_in_page: SignInPage,
    /// One line per request on stderr (secrets redacted). Off by default so test output
    /// stays quiet; the `garmin-sim` binary turns it on.
    pub log_requests: bool,
    /// Days of health data (sleep, stress, steps, weight...) ending on
    /// [`health::LAST_DAY`]: a wrist tracker first, then days without a device, then a watch.
    pub health_days: usize,
}

impl SimConfig {
    /// The demo account that `gcexport --demo` and the app's demo mode both show, so that
    /// the two front ends can be compared on the same activities.
    pub fn demo() -> Self {
        Self {
            activities: 300,
            seed: 42,
            health_days: 400,
            ..Self::default()
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            activities: 300,
            seed: 1,
            port: 0,
            withheld: 0,
            access_token_ttl: Duration::from_secs(86_399),
            refresh_token_ttl: Duration::from_secs(2_591_999),
            ticket_ttl: Duration::from_secs(60),
            client_ids: [
                "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2",
                "GARMIN_CONNECT_MOBILE_ANDROID_DI_2024Q4",
                "GARMIN_CONNECT_MOBILE_ANDROID_DI",
                "GARMIN_CONNECT_MOBILE_IOS_DI",
            ]
            .map(String::from)
            .to_vec(),
            inactive_client_ids: Vec::new(),
            faults: Faults::none(),
            sign_in_page: SignInPage::default(),
            log_requests: false,
            health_days: 120,
        }
    }
}

/// A running simulator. Dropping it stops the server and frees the port.
pub struct Sim {
    base_url: String,
    port: u16,
    state: Arc<state::AppState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Starts a simulator and returns once it is listening.
///
/// The server runs on its own runtime in its own thread, so this works from plain sync
/// code and from inside any async runtime (a current-thread test runtime included)
/// without the two runtimes ever waiting on each other.
pub fn start(config: SimConfig) -> std::io::Result<Sim> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", config.port))?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("garmin-sim")
        .enable_all()
        .build()?;
    let listener = {
        let _context = runtime.enter();
        tokio::net::TcpListener::from_std(listener)?
    };
    let state = Arc::new(state::AppState::new(config));
    let (shutdown, stop) = tokio::sync::oneshot::channel();
    let served = Arc::clone(&state);
    let thread = std::thread::Builder::new()
        .name("garmin-sim".to_owned())
        .spawn(move || {
            runtime.block_on(server::serve(listener, served, stop));
            // Tasks still running (a stalled request, say) are dropped with their
            // connections; a short grace keeps Drop from hanging on them.
            runtime.shutdown_timeout(Duration::from_millis(250));
        })?;
    Ok(Sim {
        base_url: format!("http://127.0.0.1:{port}"),
        port,
        state,
        shutdown: Some(shutdown),
        thread: Some(thread),
    })
}

impl Sim {
    /// `http://127.0.0.1:PORT`, without a trailing slash. Every Garmin host (SSO, DI auth,
    /// API) is served on this one origin.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The same counters as `GET /__sim/stats`.
    pub fn stats(&self) -> Stats {
        self.state.stats.snapshot()
    }

    pub fn reset_stats(&self) {
        self.state.stats.reset();
    }

    /// Makes up to `n` withheld activities visible, the oldest hidden one first, so they
    /// appear in time order as if just uploaded. Returns how many were revealed.
    pub fn reveal(&self, n: usize) -> usize {
        self.state.reveal(n)
    }

    /// Replaces the fault rules (and restarts their counters).
    pub fn set_faults(&self, faults: Faults) {
        self.state.set_faults(faults);
    }

    /// Renames an activity as if the user had done it on the web. False if the id is not
    /// one of the account's activities.
    pub fn rename(&self, id: i64, name: &str) -> bool {
        self.state.account.rename(id, name)
    }

    /// Top-level activities visible right now (what `activities/count` answers).
    pub fn visible_activities(&self) -> usize {
        self.state.visible_count()
    }

    /// How many withheld activities are still hidden.
    pub fn withheld_remaining(&self) -> usize {
        self.state.hidden.load(Ordering::SeqCst)
    }

    /// The account's health history, to compute expectations in tests.
    pub fn health(&self) -> &health::Health {
        &self.state.health
    }

    /// What `GET /__sim/expected/health` answers, without HTTP.
    pub fn expected_health(&self) -> serde_json::Value {
        health::routes::expected_all(&axum::extract::FromRef::from_ref(&self.state))
    }

    /// The simulated account, to compute expectations in tests.
    pub fn account(&self) -> &account::Account {
        &self.state.account
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
