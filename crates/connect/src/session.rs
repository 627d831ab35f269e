//! A signed-in session: one HTTP client and one [`Session::send`] that every API call goes
//! through.
//!
//! # Refresh and crash safety
//!
//! Garmin's refresh token rotates at every refresh and the old one is refused at once. The
//! order is therefore: (1) one refresh at a time (a tokio mutex, re-checking under it that
//! nobody refreshed meanwhile, so concurrent requests that see an expired token cause one
//! refresh); (2) the answer parsed; (3) the new tokens saved durably (the store writes
//! atomically) *before* any request uses them; (4) the new tokens put in memory.
//!
//! A crash before (3) completes leaves the previous tokens on disk. Their access token
//! still works until it expires (a refresh is due well before expiry), but their refresh
//! token may be dead: the user may then have to sign in again. No order avoids that
//! window, which spans one network round trip; what this order guarantees is that the store
//! never holds tokens older than any the process used, nor a half-written set. If the save
//! itself fails, the new tokens are still used in memory (the old refresh token is dead),
//! the failure is logged, and the save is retried before every later request.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use tokio::time::Instant;

use crate::error::{Error, Result, excerpt};
use crate::http::{
    MAX_RETRY_AFTER_WAIT, RetryPolicy, basic_auth, is_cdn_block, native_headers, read_body,
    retry_after,
};
use crate::profile::EndpointProfile;
use crate::store::TokenStore;
use crate::tokens::Tokens;

/// How a session talks to Garmin.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    pub connect_timeout: Duration,
    /// Longest silence while waiting for headers or between body reads.
    pub read_timeout: Duration,
    /// Idle keep-alive connections kept per host.
    pub max_idle_per_host: usize,
    pub retry: RetryPolicy,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(60),
            max_idle_per_host: 4,
            retry: RetryPolicy::default(),
        }
    }
}

/// One API request, sent through [`Session::send`].
#[derive(Clone, Debug)]
pub struct ApiRequest {
    pub method: Method,
    /// Path on the API host, starting with `/`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub accept: Option<&'static str>,
    /// Hand a final 500 back to the caller instead of failing (after
    /// [`RetryPolicy::tcx_500_attempts`] attempts): for TCX exports.
    pub accept_500: bool,
}

impl ApiRequest {
    pub fn get(path: impl Into<String>) -> Self {
        ApiRequest {
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            accept: Some("application/json"),
            accept_500: false,
        }
    }

    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_owned(), value.to_string()));
        self
    }

    pub fn accept(mut self, accept: &'static str) -> Self {
        self.accept = Some(accept);
        self
    }
}

#[derive(Default)]
struct Pause {
    until: Option<Instant>,
    strikes: u32,
    /// Garmin asked for a longer pause than [`MAX_RETRY_AFTER_WAIT`]: every call stops
    /// until then instead of waiting.
    stopped_until: Option<chrono::DateTime<chrono::Utc>>,
}

struct Inner {
    http: reqwest::Client,
    profile: EndpointProfile,
    config: SessionConfig,
    tokens: Mutex<Arc<Tokens>>,
    refresh_lock: tokio::sync::Mutex<()>,
    store: Arc<dyn TokenStore>,
    unsaved: AtomicBool,
    pause: Mutex<Pause>,
    refreshes: AtomicU64,
}

/// A signed-in session. Cheap to clone; clones share tokens, connections and the 429 pause.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("api_url", &self.inner.profile.api_url)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize, Default)]
struct OAuthError {
    error: Option<String>,
}

impl Session {
    /// Starts a session with fresh tokens (from a sign-in or an import), saving them first.
    pub async fn start(
        profile: EndpointProfile,
        tokens: Tokens,
        store: Arc<dyn TokenStore>,
        config: SessionConfig,
    ) -> Result<Session> {
        profile.check_transport()?;
        save_blocking(&store, &tokens).await?;
        Self::build(profile, tokens, store, config)
    }

    /// Resumes with the tokens a store holds; `TokensExpired` when it holds none usable.
    pub async fn resume(
        profile: EndpointProfile,
        store: Arc<dyn TokenStore>,
        config: SessionConfig,
    ) -> Result<Session> {
        let loader = store.clone();
        let tokens = tokio::task::spawn_blocking(move || loader.load())
            .await
            .map_err(|e| Error::Storage(format!("token store task: {e}")))??;
        let Some(tokens) = tokens else {
            return Err(Error::TokensExpired {
                reason: "no saved sign-in".into(),
            });
        };
        if tokens.refresh_token_expired() && tokens.expires_at <= crate::tokens::now_unix() {
            return Err(Error::TokensExpired {
                reason: "the saved tokens have expired".into(),
            });
        }
        Self::build(profile, tokens, store, config)
    }

    fn build(
        profile: EndpointProfile,
        tokens: Tokens,
        store: Arc<dyn TokenStore>,
        config: SessionConfig,
    ) -> Result<Session> {
        profile.check_transport()?;
        let http = reqwest::Client::builder()
            .default_headers(native_headers(&profile)?)
            .gzip(true)
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .pool_max_idle_per_host(config.max_idle_per_host)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_keepalive(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Session {
            inner: Arc::new(Inner {
                http,
                profile,
                config,
                tokens: Mutex::new(Arc::new(tokens)),
                refresh_lock: tokio::sync::Mutex::new(()),
                store,
                unsaved: AtomicBool::new(false),
                pause: Mutex::new(Pause::default()),
                refreshes: AtomicU64::new(0),
            }),
        })
    }

    pub fn endpoint_profile(&self) -> &EndpointProfile {
        &self.inner.profile
    }

    pub fn config(&self) -> &SessionConfig {
        &self.inner.config
    }

    /// The tokens in use (after any refresh).
    pub fn tokens(&self) -> Tokens {
        (*self.current()).clone()
    }

    /// Refreshes done by this session.
    pub fn refresh_count(&self) -> u64 {
        self.inner.refreshes.load(Ordering::Relaxed)
    }

    /// Rotated tokens that could not be saved yet (the store failed).
    pub fn has_unsaved_tokens(&self) -> bool {
        self.inner.unsaved.load(Ordering::Relaxed)
    }

    /// Time left in the shared 429 pause, if one runs.
    pub fn paused_for(&self) -> Option<Duration> {
        let until = self.inner.pause.lock().ok()?.until?;
        until.checked_duration_since(Instant::now())
    }

    fn current(&self) -> Arc<Tokens> {
        match self.inner.tokens.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Sends one API request: Bearer header, refresh before expiry and once on 401, backoff
    /// with jitter on 5xx and network errors, the shared pause on 429. Returns the answer
    /// for any other status (2xx, 204, 404 and other 4xx, which are not retried).
    pub async fn send(&self, request: &ApiRequest) -> Result<reqwest::Response> {
        let policy = &self.inner.config.retry;
        let url = format!("{}{}", self.inner.profile.api_url, request.path);
        let mut failures = 0u32;
        let mut server_errors_500 = 0u32;
        let mut rate_limit_waits = 0u32;
        let mut refreshed_on_401 = false;
        loop {
            self.check_stopped()?;
            self.wait_for_pause().await;
            self.retry_unsaved().await;
            let tokens = self.current();
            if tokens.needs_refresh() {
                match self.refresh_if_current(&tokens).await {
                    Ok(()) => {}
                    // A failed early refresh is no reason to fail a call the current token
                    // can still make.
                    Err(e)
                        if e.is_retryable()
                            && tokens.expires_at > crate::tokens::now_unix() + 5 =>
                    {
                        tracing::warn!(error = %e, "early token refresh failed; using the current token");
                    }
                    Err(e) => return Err(e),
                }
            }
            let tokens = self.current();
            let mut builder = self
                .inner
                .http
                .request(request.method.clone(), &url)
                .header(
                    AUTHORIZATION,
                    format!("Bearer {}", tokens.access_token.expose()),
                );
            if !request.query.is_empty() {
                builder = builder.query(&request.query);
            }
            if let Some(accept) = request.accept {
                builder = builder.header(ACCEPT, accept);
            }
            let response = match builder.send().await {
                Ok(r) => r,
                Err(e) => {
                    let err = Error::from_reqwest(&e);
                    failures += 1;
                    if failures >= policy.max_attempts {
                        tracing::warn!(path = %request.path, error = %err, "giving up after {failures} attempts");
                        return Err(err);
                    }
                    let delay = policy.backoff(failures);
                    tracing::info!(path = %request.path, error = %err, ?delay, "network error; retrying");
                    tokio::time::sleep(delay).await;
                    continue;
                }
            };
            let status = response.status();
            match status {
                StatusCode::UNAUTHORIZED if !refreshed_on_401 => {
                    refreshed_on_401 = true;
                    tracing::info!(path = %request.path, "401: refreshing the token once");
                    self.refresh_if_current(&tokens).await?;
                }
                StatusCode::UNAUTHORIZED => {
                    return Err(Error::TokensExpired {
                        reason: "the API refuses the refreshed token".into(),
                    });
                }
                StatusCode::TOO_MANY_REQUESTS => {
                    let wait = retry_after(response.headers());
                    // The CDN's HTML page: every further request meets the same wall, so the
                    // whole session stops at once instead of pausing and asking again.
                    let content_type = response
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    if content_type
                        .as_deref()
                        .is_some_and(|t| t.to_ascii_lowercase().contains("html"))
                    {
                        let body = read_body(response).await.unwrap_or_default();
                        let block =
                            crate::error::cdn_block(429, content_type.as_deref(), &body, wait)
                                .unwrap_or_else(|| {
                                    Error::rate_limited(429, crate::error::CDN_BLOCK_PAUSE)
                                });
                        if let Error::RateLimited { until, .. } = &block {
                            self.stop_until(*until);
                        }
                        tracing::warn!(path = %request.path, "the CDN blocks this client (HTML 429): stopping");
                        return Err(block);
                    }
                    rate_limit_waits += 1;
                    let until = self.note_rate_limit(wait)?;
                    if rate_limit_waits > policy.max_rate_limit_waits {
                        return Err(Error::RateLimited { status: 429, until });
                    }
                }
                s if s.is_server_error() => {
                    if s == StatusCode::INTERNAL_SERVER_ERROR && request.accept_500 {
                        server_errors_500 += 1;
                        if server_errors_500 >= policy.tcx_500_attempts {
                            return Ok(response);
                        }
                    }
                    failures += 1;
                    if failures >= policy.max_attempts {
                        let body = read_body(response).await.unwrap_or_default();
                        return Err(Error::Unexpected {
                            status: s.as_u16(),
                            excerpt: excerpt(&String::from_utf8_lossy(&body), &[]),
                        });
                    }
                    let delay = policy.backoff(failures);
                    tracing::info!(path = %request.path, status = s.as_u16(), ?delay, "server error; retrying");
                    drop(response);
                    tokio::time::sleep(delay).await;
                }
                _ => {
                    self.clear_strikes();
                    return Ok(response);
                }
            }
        }
    }

    /// Waits while the shared 429 pause runs; a pause extended meanwhile is waited too.
    pub(crate) async fn wait_for_pause(&self) {
        loop {
            let until = self.inner.pause.lock().ok().and_then(|p| p.until);
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }

    /// `RateLimited` while a pause longer than [`MAX_RETRY_AFTER_WAIT`] runs.
    fn check_stopped(&self) -> Result<()> {
        let stopped = self.inner.pause.lock().ok().and_then(|p| p.stopped_until);
        match stopped {
            Some(until) if until > chrono::Utc::now() => {
                Err(Error::RateLimited { status: 429, until })
            }
            _ => Ok(()),
        }
    }

    /// Every call of this session (and its clones) stops until `until` without a request.
    fn stop_until(&self, until: chrono::DateTime<chrono::Utc>) {
        let mut guard = match self.inner.pause.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        guard.stopped_until = Some(guard.stopped_until.map_or(until, |u| u.max(until)));
    }

    /// Starts (or extends) the shared pause after a 429 and says until when; a
    /// `Retry-After` beyond [`MAX_RETRY_AFTER_WAIT`] stops every call instead.
    fn note_rate_limit(
        &self,
        retry_after: Option<Duration>,
    ) -> Result<chrono::DateTime<chrono::Utc>> {
        let policy = &self.inner.config.retry;
        let mut guard = match self.inner.pause.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some(wait) = retry_after.filter(|w| *w > MAX_RETRY_AFTER_WAIT) {
            let until = chrono::Utc::now()
                + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
            guard.stopped_until = Some(guard.stopped_until.map_or(until, |u| u.max(until)));
            tracing::warn!(%until, "429 from Garmin asking for a long pause: stopping until then");
            return Err(Error::RateLimited { status: 429, until });
        }
        guard.strikes += 1;
        let base = policy.rate_limit_pause(guard.strikes, retry_after);
        // A little extra so that a whole-second Retry-After, counted from when the server
        // sent it, has surely passed; and jitter so waiting requests do not resume at once.
        let wait =
            base + Duration::from_millis(100) + base.mul_f64(crate::http::random_unit() * 0.1);
        let until = Instant::now() + wait;
        if guard.until.is_none_or(|t| t < until) {
            guard.until = Some(until);
        }
        let left = guard
            .until
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or(wait);
        tracing::warn!(
            ?left,
            strikes = guard.strikes,
            "429 from Garmin: every request of this session pauses"
        );
        Ok(chrono::Utc::now()
            + chrono::Duration::from_std(left).unwrap_or(chrono::Duration::zero()))
    }

    fn clear_strikes(&self) {
        if let Ok(mut g) = self.inner.pause.lock() {
            g.strikes = 0;
        }
    }

    async fn retry_unsaved(&self) {
        if !self.inner.unsaved.load(Ordering::Relaxed) {
            return;
        }
        let _guard = self.inner.refresh_lock.lock().await;
        if !self.inner.unsaved.load(Ordering::Relaxed) {
            return;
        }
        let tokens = self.current();
        if save_blocking(&self.inner.store, &tokens).await.is_ok() {
            self.inner.unsaved.store(false, Ordering::Relaxed);
            tracing::info!("rotated tokens saved after an earlier failure");
        }
    }

    /// Forces a refresh now (also what the API calls use when the token is due).
    pub async fn refresh(&self) -> Result<()> {
        let seen = self.current();
        self.refresh_if_current(&seen).await
    }

    /// Refreshes unless someone already replaced `seen` (single flight in this process),
    /// under the store's cross-process lock: another process sharing the store (the app
    /// and the CLI, two windows of the app) may have refreshed meanwhile, and since the
    /// refresh token rotates, refreshing again with the old one would be refused. So the
    /// store is read again under the lock, and newer tokens found there are used instead.
    async fn refresh_if_current(&self, seen: &Arc<Tokens>) -> Result<()> {
        let _guard = self.inner.refresh_lock.lock().await;
        let mut current = self.current();
        if !Arc::ptr_eq(&current, seen) {
            return Ok(());
        }
        let store = self.inner.store.clone();
        let (_lock, stored) = tokio::task::spawn_blocking(move || {
            let lock = crate::store::lock_store(store.as_ref());
            let stored = store.load();
            (lock, stored)
        })
        .await
        .map_err(|e| Error::Storage(format!("token store task: {e}")))?;
        match stored {
            Ok(Some(stored)) if is_newer(&stored, &current) => {
                tracing::info!("another process refreshed the sign-in: using its tokens");
                let stored = Arc::new(stored);
                self.set_current(stored.clone());
                self.inner.unsaved.store(false, Ordering::Relaxed);
                if !stored.needs_refresh() {
                    return Ok(());
                }
                current = stored;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "the token store could not be read before a refresh")
            }
        }
        if current.refresh_token_expired() {
            return Err(Error::TokensExpired {
                reason: "the refresh token has expired".into(),
            });
        }
        let fresh = self.request_refresh(&current).await?;
        self.inner.refreshes.fetch_add(1, Ordering::Relaxed);
        match save_blocking(&self.inner.store, &fresh).await {
            Ok(()) => self.inner.unsaved.store(false, Ordering::Relaxed),
            Err(e) => {
                tracing::error!(error = %e, "could not save the rotated tokens; will retry");
                self.inner.unsaved.store(true, Ordering::Relaxed);
            }
        }
        self.set_current(Arc::new(fresh));
        tracing::info!("access token refreshed");
        Ok(())
    }

    fn set_current(&self, tokens: Arc<Tokens>) {
        match self.inner.tokens.lock() {
            Ok(mut guard) => *guard = tokens,
            Err(poisoned) => *poisoned.into_inner() = tokens,
        }
    }

    /// Forgets the saved tokens after they were found expired, unless the store holds
    /// other tokens by now (another process signed in or refreshed since they were read):
    /// those are kept. Returns whether the store was cleared.
    pub async fn forget_if_unchanged(&self) -> Result<bool> {
        let _guard = self.inner.refresh_lock.lock().await;
        let store = self.inner.store.clone();
        let seen = self.current();
        tokio::task::spawn_blocking(move || {
            let _lock = crate::store::lock_store(store.as_ref());
            match store.load()? {
                Some(stored) if stored.refresh_token != seen.refresh_token => {
                    tracing::info!("the saved sign-in changed since it was read: kept");
                    Ok(false)
                }
                _ => store.clear().map(|()| true),
            }
        })
        .await
        .map_err(|e| Error::Storage(format!("token store task: {e}")))?
    }

    async fn request_refresh(&self, current: &Tokens) -> Result<Tokens> {
        let policy = &self.inner.config.retry;
        let url = format!(
            "{}/di-oauth2-service/oauth/token",
            self.inner.profile.diauth_url
        );
        let mut failures = 0u32;
        let mut rate_limit_waits = 0u32;
        loop {
            self.wait_for_pause().await;
            let sent = self
                .inner
                .http
                .post(&url)
                .header(AUTHORIZATION, basic_auth(&current.client_id))
                .header(ACCEPT, "application/json")
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("client_id", current.client_id.as_str()),
                    ("refresh_token", current.refresh_token.expose()),
                ])
                .send()
                .await;
            let failure = match sent {
                Err(e) => Error::from_reqwest(&e),
                Ok(response) => {
                    let status = response.status();
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        rate_limit_waits += 1;
                        let until = self.note_rate_limit(retry_after(response.headers()))?;
                        if rate_limit_waits > policy.max_rate_limit_waits {
                            return Err(Error::RateLimited { status: 429, until });
                        }
                        continue;
                    }
                    let wait = retry_after(response.headers());
                    let body = match read_body(response).await {
                        Ok(b) => b,
                        Err(e) => {
                            failures += 1;
                            if failures >= policy.max_attempts {
                                return Err(e);
                            }
                            tokio::time::sleep(policy.backoff(failures)).await;
                            continue;
                        }
                    };
                    if status.is_success() {
                        let Some(mut fresh) = Tokens::from_answer(&body, &current.client_id) else {
                            return Err(Error::Unexpected {
                                status: status.as_u16(),
                                excerpt: excerpt(
                                    &String::from_utf8_lossy(&body),
                                    &[current.refresh_token.expose()],
                                ),
                            });
                        };
                        if fresh.refresh_expires_at.is_none() {
                            fresh.refresh_expires_at = current.refresh_expires_at;
                        }
                        if fresh.customer_id.is_none() {
                            fresh.customer_id = current.customer_id.clone();
                        }
                        return Ok(fresh);
                    }
                    if status.is_client_error() {
                        return Err(refresh_refusal(status, &body, wait, current));
                    }
                    Error::Unexpected {
                        status: status.as_u16(),
                        excerpt: excerpt(
                            &String::from_utf8_lossy(&body),
                            &[current.refresh_token.expose()],
                        ),
                    }
                }
            };
            failures += 1;
            if failures >= policy.max_attempts {
                return Err(failure);
            }
            let delay = policy.backoff(failures);
            tracing::info!(error = %failure, ?delay, "token refresh failed; retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// Forgets the saved tokens (sign out).
    pub async fn sign_out(self) -> Result<()> {
        let store = self.inner.store.clone();
        tokio::task::spawn_blocking(move || store.clear())
            .await
            .map_err(|e| Error::Storage(format!("token store task: {e}")))?
    }
}

/// Whether `stored` (read from the store) is a later token set than `current`: another
/// process refreshed, or signed in again.
fn is_newer(stored: &Tokens, current: &Tokens) -> bool {
    let expiry = |t: &Tokens| t.expires_at_ms.unwrap_or(t.expires_at.saturating_mul(1000));
    stored.refresh_token != current.refresh_token
        && (stored.issued_at, expiry(stored)) >= (current.issued_at, expiry(current))
}

/// What a 4xx of the token endpoint means. Only OAuth2's `invalid_grant` says the refresh
/// token is dead (sign in again); a CDN's block page (HTML, or JSON that is no OAuth2
/// error) is a pause that keeps the tokens; anything else is an unexpected answer that
/// keeps them too.
fn refresh_refusal(
    status: StatusCode,
    body: &[u8],
    wait: Option<Duration>,
    current: &Tokens,
) -> Error {
    let oauth: OAuthError = serde_json::from_slice(body).unwrap_or_default();
    if oauth.error.as_deref() == Some("invalid_grant") {
        tracing::warn!("refresh refused (invalid_grant)");
        return Error::TokensExpired {
            reason: "refresh refused (invalid_grant)".into(),
        };
    }
    if is_cdn_block(status.as_u16(), body) {
        let wait = wait.unwrap_or(MAX_RETRY_AFTER_WAIT);
        tracing::warn!(
            status = status.as_u16(),
            ?wait,
            "the token refresh was blocked by Garmin's CDN: pausing, the sign-in is kept"
        );
        return Error::rate_limited(status.as_u16(), wait);
    }
    let code = oauth
        .error
        .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
    tracing::warn!(error = %code, "refresh refused");
    Error::Unexpected {
        status: status.as_u16(),
        excerpt: excerpt(
            &String::from_utf8_lossy(body),
            &[current.refresh_token.expose()],
        ),
    }
}

async fn save_blocking(store: &Arc<dyn TokenStore>, tokens: &Tokens) -> Result<()> {
    let store = store.clone();
    let tokens = tokens.clone();
    tokio::task::spawn_blocking(move || store.save(&tokens))
        .await
        .map_err(|e| Error::Storage(format!("token store task: {e}")))?
}
