//! What the simulator saw, so tests can assert on the client's behaviour from the outside
//! (how many logins, how parallel, whether a Retry-After pause was honoured).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// How long after a 429 a request still counts as already on its way when the 429 was sent.
/// Loopback round trips take microseconds; this leaves room for a loaded test machine (two
/// cores running several test binaries), and is still far below any Retry-After (1 s+).
pub const RETRY_AFTER_GRACE: Duration = Duration::from_millis(250);

/// A snapshot of the counters, as served by `GET /__sim/stats`. Requests to `/__sim/`
/// are never counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Requests received.
    pub requests: u64,
    /// Keyed by method and route template, e.g. `GET /activity-service/activity/{id}`;
    /// paths no route knows are counted as `GET (unmatched)`.
    pub by_endpoint: BTreeMap<String, u64>,
    /// Keyed by the status code as a string, e.g. `"200"`.
    pub by_status: BTreeMap<String, u64>,
    /// Most requests in progress at once (a request lasts until its body is sent).
    pub peak_concurrent_requests: u64,
    /// Most TCP connections open at once.
    pub peak_concurrent_connections: u64,
    /// TCP connections accepted.
    pub connections: u64,
    /// TCP connections open now.
    pub open_connections: u64,
    /// Credential POSTs (`/mobile/api/login`, `/portal/api/login`), whatever their outcome.
    pub logins: u64,
    /// MFA code POSTs, whatever their outcome.
    pub mfa_verifications: u64,
    pub tickets_issued: u64,
    /// Successful service-ticket grants.
    pub token_grants: u64,
    /// Successful refresh grants.
    pub token_refreshes: u64,
    /// Keyed by fault kind (`latency`, `429`, `5xx`, `reset`, ...).
    pub faults_injected: BTreeMap<String, u64>,
    /// Requests that arrived while a `Retry-After` this server had announced was running,
    /// from [`RETRY_AFTER_GRACE`] after the 429 on: a request the client had already sent
    /// before the 429 reached it is not the client's fault.
    pub requests_during_retry_after: u64,
    /// Response body bytes handed to the connection.
    pub bytes_sent: u64,
    /// Keyed like `by_endpoint`: the ordinal (1 for the first request counted) of the first
    /// and of the last request each endpoint received, so that tests can see what overlapped.
    #[serde(default)]
    pub first_request: BTreeMap<String, u64>,
    #[serde(default)]
    pub last_request: BTreeMap<String, u64>,
}

#[derive(Default)]
struct Inner {
    stats: Stats,
    in_flight: u64,
    /// The window in which a request counts as ignoring a Retry-After: (from, until).
    retry_window: Option<(Instant, Instant)>,
}

#[derive(Default)]
pub(crate) struct Recorder {
    inner: Mutex<Inner>,
}

impl Recorder {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The counters stay meaningful even if a holder panicked.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn snapshot(&self) -> Stats {
        self.lock().stats.clone()
    }

    /// Zeroes everything; what is open right now becomes the new peak baseline.
    pub fn reset(&self) {
        let mut inner = self.lock();
        let open = inner.stats.open_connections;
        let in_flight = inner.in_flight;
        inner.stats = Stats {
            open_connections: open,
            peak_concurrent_connections: open,
            peak_concurrent_requests: in_flight,
            ..Stats::default()
        };
        inner.retry_window = None;
    }

    pub fn connection_opened(self: &Arc<Self>) -> ConnectionGuard {
        let mut inner = self.lock();
        inner.stats.connections += 1;
        inner.stats.open_connections += 1;
        inner.stats.peak_concurrent_connections = inner
            .stats
            .peak_concurrent_connections
            .max(inner.stats.open_connections);
        ConnectionGuard(Arc::clone(self))
    }

    pub fn request_started(self: &Arc<Self>, endpoint: &str) -> RequestGuard {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.stats.requests += 1;
        *inner
            .stats
            .by_endpoint
            .entry(endpoint.to_owned())
            .or_insert(0) += 1;
        let ordinal = inner.stats.requests;
        inner
            .stats
            .first_request
            .entry(endpoint.to_owned())
            .or_insert(ordinal);
        inner
            .stats
            .last_request
            .insert(endpoint.to_owned(), ordinal);
        if inner
            .retry_window
            .is_some_and(|(from, until)| from <= now && now < until)
        {
            inner.stats.requests_during_retry_after += 1;
        }
        inner.in_flight += 1;
        inner.stats.peak_concurrent_requests =
            inner.stats.peak_concurrent_requests.max(inner.in_flight);
        RequestGuard(Arc::clone(self))
    }

    pub fn status(&self, status: u16) {
        *self
            .lock()
            .stats
            .by_status
            .entry(status.to_string())
            .or_insert(0) += 1;
    }

    pub fn faults(&self, kinds: &[&'static str]) {
        if kinds.is_empty() {
            return;
        }
        let mut inner = self.lock();
        for kind in kinds {
            *inner
                .stats
                .faults_injected
                .entry((*kind).to_owned())
                .or_insert(0) += 1;
        }
    }

    pub fn retry_after_announced(&self, pause: Duration) {
        let now = Instant::now();
        let window = (now + RETRY_AFTER_GRACE, now + pause);
        let mut inner = self.lock();
        inner.retry_window = Some(match inner.retry_window {
            Some((from, until)) if now < until => (from, until.max(window.1)),
            _ => window,
        });
    }

    pub fn bytes(&self, n: usize) {
        self.lock().stats.bytes_sent += n as u64;
    }

    pub fn bump(&self, which: Counter) {
        let mut inner = self.lock();
        let s = &mut inner.stats;
        match which {
            Counter::Login => s.logins += 1,
            Counter::MfaVerification => s.mfa_verifications += 1,
            Counter::TicketIssued => s.tickets_issued += 1,
            Counter::TokenGrant => s.token_grants += 1,
            Counter::TokenRefresh => s.token_refreshes += 1,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Counter {
    Login,
    MfaVerification,
    TicketIssued,
    TokenGrant,
    TokenRefresh,
}

pub(crate) struct RequestGuard(Arc<Recorder>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let mut inner = self.0.lock();
        inner.in_flight = inner.in_flight.saturating_sub(1);
    }
}

pub(crate) struct ConnectionGuard(Arc<Recorder>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut inner = self.0.lock();
        inner.stats.open_connections = inner.stats.open_connections.saturating_sub(1);
    }
}
