//! Sign-in: every path ends in the same [`Tokens`].
//!
//! 1. [`SignIn::exchange_ticket`]: a service ticket caught by the desktop webview.
//! 2. [`SignIn::login`] then, if Garmin asks, [`SignIn::submit_code`]: the mobile JSON login
//!    in one cookie session, then the same ticket exchange.
//! 3. Import: [`Tokens::import_file`] and [`crate::import_legacy_folder`].
//!
//! A sign-in is rare and precious: none is retried automatically, and a 429 (or a CDN 403)
//! starts a [`Cooldown`] that outlives the process.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, ORIGIN, USER_AGENT};
use serde::Deserialize;

use crate::cooldown::Cooldown;
use crate::diagnostics::{Diagnostics, Markers, Note, StepKind};
use crate::error::{Error, Result, excerpt};
use crate::http::{basic_auth, native_headers, read_body, retry_after};
use crate::profile::EndpointProfile;
use crate::secret::Secret;
use crate::tokens::Tokens;

/// What a password sign-in led to.
#[derive(Debug)]
pub enum LoginOutcome {
    SignedIn(Tokens),
    /// Garmin sent a code (by `method`: `email`, `phone`, ...) to `sent_to` (masked by
    /// Garmin); pass it to [`SignIn::submit_code`].
    NeedsCode {
        method: String,
        sent_to: Option<String>,
    },
}

struct PendingCode {
    method: String,
    email: String,
}

/// Timeouts of sign-in requests.
#[derive(Clone, Debug)]
pub struct SignInConfig {
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
}

impl Default for SignInConfig {
    fn default() -> Self {
        SignInConfig {
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(30),
        }
    }
}

/// A sign-in in progress. Holds one cookie jar (and one User-Agent) for the whole login,
/// as the CDN flags a session whose UA changes.
pub struct SignIn {
    profile: EndpointProfile,
    config: SignInConfig,
    http: reqwest::Client,
    cooldown: Option<Cooldown>,
    pending: Option<PendingCode>,
    /// Client ids refused, or whose tokens came back "not active": skipped by later
    /// exchanges.
    inactive: std::sync::Mutex<Vec<String>>,
    /// The client ids to try, best first (the profile's list unless told otherwise).
    client_order: Vec<String>,
    diagnostics: Option<Diagnostics>,
}

#[derive(Deserialize)]
struct LoginAnswer {
    #[serde(rename = "serviceTicketId")]
    ticket: Option<String>,
    #[serde(rename = "responseStatus")]
    status: Option<ResponseStatus>,
    #[serde(rename = "customerMfaInfo")]
    mfa: Option<MfaInfo>,
}

#[derive(Deserialize)]
struct ResponseStatus {
    #[serde(rename = "type")]
    kind: Option<String>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct MfaInfo {
    email: Option<String>,
    #[serde(rename = "phoneNumber")]
    phone: Option<String>,
    #[serde(rename = "mfaLastMethodUsed")]
    last_method: Option<String>,
}

#[derive(Deserialize, Default)]
struct OAuthError {
    error: Option<String>,
    error_description: Option<String>,
}

/// A sign-in step's whole answer, with what the diagnostics record of it.
struct Answered {
    status: StatusCode,
    headers: HeaderMap,
    bytes: bytes::Bytes,
    markers: Markers,
    started: Instant,
}

impl SignIn {
    pub fn new(profile: EndpointProfile) -> Result<Self> {
        Self::with_config(profile, SignInConfig::default())
    }

    pub fn with_config(profile: EndpointProfile, config: SignInConfig) -> Result<Self> {
        profile.check_transport()?;
        let http = build_client(&profile, &config)?;
        let profile_ids = profile.client_ids.clone();
        Ok(SignIn {
            profile,
            config,
            http,
            cooldown: None,
            pending: None,
            inactive: std::sync::Mutex::new(Vec::new()),
            client_order: profile_ids,
            diagnostics: None,
        })
    }

    /// Tries client ids in this order (ids not in the profile are ignored): the sign-in
    /// policy puts the one that worked last first.
    pub fn with_client_order(mut self, order: Vec<String>) -> Self {
        let known = &self.profile.client_ids;
        self.client_order = order.into_iter().filter(|id| known.contains(id)).collect();
        self
    }

    /// Records each request's status, CDN markers and time (never its content).
    pub fn with_diagnostics(mut self, diagnostics: Diagnostics) -> Self {
        self.diagnostics = Some(diagnostics);
        self
    }

    fn record(
        &self,
        kind: StepKind,
        client_id: Option<&str>,
        markers: Markers,
        started: Instant,
        note: Note,
    ) {
        if let Some(d) = &self.diagnostics {
            d.step(kind, client_id, markers, started, note);
        }
    }

    /// The client id the next exchange uses, if any is left.
    pub fn next_client_id(&self) -> Option<String> {
        let skipped = self.inactive_client_ids();
        self.client_order
            .iter()
            .find(|id| !skipped.contains(id))
            .cloned()
    }

    /// Persists the cool-down in `cooldown` and refuses to `login` while it runs.
    pub fn with_cooldown(mut self, cooldown: Cooldown) -> Self {
        self.cooldown = Some(cooldown);
        self
    }

    pub fn profile(&self) -> &EndpointProfile {
        &self.profile
    }

    /// Time left before a password sign-in may be attempted.
    pub fn cooldown_remaining(&self) -> Option<Duration> {
        self.cooldown.as_ref().and_then(Cooldown::remaining)
    }

    /// Garmin's web sign-in page, for a webview; it ends on
    /// `<portal_service_url>?ticket=ST-...` (see [`ticket_from_url`]).
    pub fn portal_sign_in_url(&self) -> String {
        let p = &self.profile;
        format!(
            "{}/portal/sso/{}/sign-in?clientId={}&service={}",
            p.sso_url,
            p.locale,
            enc(&p.portal_client_id),
            enc(&p.portal_service_url)
        )
    }

    fn refused(&self, status: StatusCode, headers: &HeaderMap) -> Error {
        let wait = retry_after(headers);
        match &self.cooldown {
            Some(c) => c.record(status.as_u16(), wait),
            None => Error::rate_limited(
                status.as_u16(),
                wait.unwrap_or(crate::cooldown::DEFAULT_COOLDOWN)
                    .max(crate::cooldown::DEFAULT_COOLDOWN),
            ),
        }
    }

    fn login_query(&self) -> [(&'static str, &str); 3] {
        [
            ("clientId", self.profile.login_client_id.as_str()),
            ("locale", self.profile.locale.as_str()),
            ("service", self.profile.login_service_url.as_str()),
        ]
    }

    /// Password sign-in, first step. Never retried: a failed login is reported, not repeated.
    pub async fn login(&mut self, email: &str, password: &Secret) -> Result<LoginOutcome> {
        if let Some(c) = &self.cooldown {
            c.check()?;
        }
        // A fresh cookie jar per login: a half-finished earlier attempt must not leak into it.
        self.http = build_client(&self.profile, &self.config)?;
        self.pending = None;
        tracing::info!("password sign-in started");
        self.bootstrap_cookies().await?;

        let url = format!("{}/mobile/api/login", self.profile.sso_url);
        let body = serde_json::json!({
            "username": email,
            "password": password.expose(),
            "rememberMe": true,
            "captchaToken": "",
        });
        let answer = self
            .post_json(StepKind::Login, &url, &body, &[password.expose()])
            .await?;
        match answer {
            Step::Ticket(ticket) => {
                let service = self.profile.login_service_url.clone();
                let tokens = self.exchange_ticket(&ticket, &service).await?;
                Ok(LoginOutcome::SignedIn(tokens))
            }
            Step::Mfa { method, sent_to } => {
                tracing::info!(%method, "Garmin asks for a verification code");
                self.pending = Some(PendingCode {
                    method: method.clone(),
                    email: email.to_owned(),
                });
                Ok(LoginOutcome::NeedsCode { method, sent_to })
            }
        }
    }

    /// Password sign-in, second step, in the same cookie session. A wrong code keeps the
    /// sign-in pending so the user can try again.
    pub async fn submit_code(&mut self, code: &Secret) -> Result<Tokens> {
        let Some(pending) = &self.pending else {
            return Err(Error::NoPendingCode);
        };
        if let Some(c) = &self.cooldown {
            c.check()?;
        }
        let code_text = code.expose().trim().to_owned();
        let url = format!("{}/mobile/api/mfa/verifyCode", self.profile.sso_url);
        let body = serde_json::json!({
            "mfaMethod": pending.method,
            "mfaVerificationCode": code_text,
            "rememberMyBrowser": true,
            "reconsentList": [],
            "mfaSetup": false,
        });
        let email = pending.email.clone();
        match self
            .post_json(
                StepKind::Mfa,
                &url,
                &body,
                &[code_text.as_str(), email.as_str()],
            )
            .await?
        {
            Step::Ticket(ticket) => {
                self.pending = None;
                let service = self.profile.login_service_url.clone();
                self.exchange_ticket(&ticket, &service).await
            }
            Step::Mfa { .. } => Err(Error::WrongCode),
        }
    }

    /// Client ids found "not active" by this sign-in, to drop from a saved profile.
    pub fn inactive_client_ids(&self) -> Vec<String> {
        self.inactive.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Whether a code is awaited, and by which method.
    pub fn pending_code_method(&self) -> Option<&str> {
        self.pending.as_ref().map(|p| p.method.as_str())
    }

    /// What a browser does first: loads the sign-in page, which sets the session and CDN
    /// cookies, with the same User-Agent and cookie jar as the POST that follows. Garmin's
    /// CDN answers the JSON login 429 without those cookies (docs/signin.md), so a page
    /// that does not load stops the login before any credential is sent.
    async fn bootstrap_cookies(&self) -> Result<()> {
        let started = Instant::now();
        let url = format!("{}/mobile/sso/en_US/sign-in", self.profile.sso_url);
        let answer = self
            .http
            .get(&url)
            .query(&[
                ("clientId", self.profile.login_client_id.as_str()),
                ("service", self.profile.login_service_url.as_str()),
            ])
            .header(
                ACCEPT,
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            )
            .send()
            .await;
        let response = match answer {
            Ok(r) => r,
            Err(e) => {
                let e = Error::from_reqwest(&e);
                self.record(
                    StepKind::PageLoad,
                    None,
                    Markers::default(),
                    started,
                    Note::Failed(e.kind()),
                );
                return Err(e);
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let markers = Markers::of(status.as_u16(), &headers);
        let bytes = read_body(response).await.unwrap_or_default();
        if is_challenge(status, &headers, &bytes) {
            self.record(
                StepKind::PageLoad,
                None,
                markers,
                started,
                Note::Said("human check (CDN challenge page)"),
            );
            return Err(self.challenged(status, &headers));
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::FORBIDDEN {
            let e = self.refused(status, &headers);
            self.record(
                StepKind::PageLoad,
                None,
                markers,
                started,
                Note::Failed(e.kind()),
            );
            return Err(e);
        }
        if !status.is_success() {
            self.record(
                StepKind::PageLoad,
                None,
                markers,
                started,
                Note::Failed(crate::ErrorKind::Unexpected),
            );
            return Err(Error::Unexpected {
                status: status.as_u16(),
                excerpt: "the sign-in page did not load".into(),
            });
        }
        tracing::debug!(status = status.as_u16(), "sign-in page loaded");
        self.record(StepKind::PageLoad, None, markers, started, Note::Ok);
        Ok(())
    }

    /// A human check met: like a refusal (the cool-down starts, as another password login
    /// would meet the same page), but said as what it is.
    fn challenged(&self, status: StatusCode, headers: &HeaderMap) -> Error {
        let _ = self.refused(status, headers);
        Error::HumanCheck {
            status: status.as_u16(),
        }
    }

    async fn post_json(
        &self,
        step: StepKind,
        url: &str,
        body: &serde_json::Value,
        secrets: &[&str],
    ) -> Result<Step> {
        let request = self
            .http
            .post(url)
            .query(&self.login_query())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json, text/plain, */*")
            .header(ORIGIN, self.profile.sso_origin())
            .json(body);
        let a = self.answered(step, None, request).await?;
        let result = self.login_answer(a.status, &a.headers, &a.bytes, secrets);
        let note = match &result {
            Ok(Step::Ticket(_)) => Note::Said("a ticket came"),
            Ok(Step::Mfa { .. }) => Note::Said("a verification code is asked for"),
            Err(Error::HumanCheck { .. }) => Note::Said("human check (CDN challenge page)"),
            Err(e) => Note::Failed(e.kind()),
        };
        self.record(step, None, a.markers, a.started, note);
        result
    }

    /// Sends one step's request and reads the whole answer. A failure on the way (no
    /// connection, a body cut off) is recorded as the step's outcome here; the caller
    /// records what the answer said.
    async fn answered(
        &self,
        step: StepKind,
        client_id: Option<&str>,
        request: reqwest::RequestBuilder,
    ) -> Result<Answered> {
        let started = Instant::now();
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                let e = Error::from_reqwest(&e);
                let note = Note::Failed(e.kind());
                self.record(step, client_id, Markers::default(), started, note);
                return Err(e);
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let markers = Markers::of(status.as_u16(), &headers);
        match read_body(response).await {
            Ok(bytes) => Ok(Answered {
                status,
                headers,
                bytes,
                markers,
                started,
            }),
            Err(e) => {
                self.record(step, client_id, markers, started, Note::Failed(e.kind()));
                Err(e)
            }
        }
    }

    fn login_answer(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        bytes: &[u8],
        secrets: &[&str],
    ) -> Result<Step> {
        if is_challenge(status, headers, bytes) {
            return Err(self.challenged(status, headers));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(self.refused(status, headers));
        }
        let text = String::from_utf8_lossy(bytes);
        let unexpected = || Error::Unexpected {
            status: status.as_u16(),
            excerpt: excerpt(&text, secrets),
        };
        let parsed = serde_json::from_slice::<LoginAnswer>(bytes)
            .ok()
            .filter(|a| a.status.as_ref().is_some_and(|s| s.kind.is_some()));
        let Some(answer) = parsed else {
            // A 403 without a login answer comes from the CDN (an HTML "Access denied"
            // page): a block, treated like a 429. A 403 with one (a locked account) is
            // branched on below like any other answer.
            if status == StatusCode::FORBIDDEN {
                return Err(self.refused(status, headers));
            }
            return Err(unexpected());
        };
        let kind = answer
            .status
            .as_ref()
            .and_then(|s| s.kind.clone())
            .unwrap_or_default()
            .to_ascii_uppercase();
        let message = answer
            .status
            .as_ref()
            .and_then(|s| s.message.clone())
            .unwrap_or_default();
        tracing::info!(status = status.as_u16(), answer = %kind, "sign-in answer");
        match kind.as_str() {
            "SUCCESSFUL" => match answer.ticket.filter(|t| !t.is_empty()) {
                Some(t) => Ok(Step::Ticket(Secret::new(t))),
                None => Err(unexpected()),
            },
            "MFA_REQUIRED" => {
                let mfa = answer.mfa;
                let method = mfa
                    .as_ref()
                    .and_then(|m| m.last_method.clone())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "email".to_owned());
                let sent_to = mfa.and_then(|m| {
                    if method.eq_ignore_ascii_case("email") {
                        m.email.or(m.phone)
                    } else {
                        m.phone.or(m.email)
                    }
                });
                Ok(Step::Mfa { method, sent_to })
            }
            "INVALID_USERNAME_PASSWORD" => Err(Error::WrongCredentials),
            "CAPTCHA_REQUIRED" => Err(Error::CaptchaRequired),
            k if k.contains("LOCKED") || k.contains("DISABLED") => Err(Error::AccountLocked),
            k if k.starts_with("MFA") && (k.contains("INVALID") || k.contains("CODE")) => {
                Err(Error::WrongCode)
            }
            _ if message.contains("AccountLocked") || message.contains("AccountDisabled") => {
                Err(Error::AccountLocked)
            }
            _ if message.contains("InvalidUsernameOrPassword") => Err(Error::WrongCredentials),
            _ => Err(unexpected()),
        }
    }

    /// Exchanges a service ticket for DI OAuth2 tokens with ONE client id: the first of the
    /// order not yet refused. A token is kept only once `socialProfile` accepts it. A
    /// refused exchange may have spent the ticket (sources disagree), so a refused client
    /// id, or one whose token is "not active", ends in [`Error::ClientIdRefused`]: the next
    /// id is tried with a new ticket, never with this one (docs/signin.md).
    pub async fn exchange_ticket(&self, ticket: &Secret, service_url: &str) -> Result<Tokens> {
        let Some(client_id) = self.next_client_id() else {
            return Err(Error::Config(
                "every client id of the endpoint profile was refused: an updated endpoint \
                 profile is needed (see the README: fixes without a release)"
                    .into(),
            ));
        };
        let url = format!("{}/di-oauth2-service/oauth/token", self.profile.diauth_url);
        let headers = native_headers(&self.profile)?;
        let request = self
            .http
            .post(&url)
            .headers(headers)
            .header(AUTHORIZATION, basic_auth(&client_id))
            .header(ACCEPT, "application/json")
            .form(&[
                ("client_id", client_id.as_str()),
                ("service_ticket", ticket.expose()),
                ("grant_type", self.profile.ticket_grant_type.as_str()),
                ("service_url", service_url),
            ]);
        let a = self
            .answered(StepKind::Exchange, Some(&client_id), request)
            .await?;
        let (markers, started) = (a.markers, a.started);
        let outcome = self.exchange_answer(a.status, &a.headers, &a.bytes, ticket, &client_id);
        let note = match &outcome {
            Ok(_) => Note::Said("tokens issued"),
            Err(Error::HumanCheck { .. }) => Note::Said("human check (CDN challenge page)"),
            Err(Error::ClientIdRefused { why, .. }) => Note::Said(why),
            Err(e) => Note::Failed(e.kind()),
        };
        self.record(StepKind::Exchange, Some(&client_id), markers, started, note);
        let tokens = outcome?;
        match self.verify(&tokens).await {
            Ok(()) => {
                tracing::info!(%client_id, "signed in");
                Ok(tokens)
            }
            Err(Verify::NotActive) => {
                tracing::warn!(%client_id, "token is not active: the next sign-in tries the next client id");
                self.skip(&client_id);
                Err(Error::ClientIdRefused {
                    client_id,
                    why: "its token is \"not active\"",
                })
            }
            Err(Verify::Failed(e)) => Err(e),
        }
    }

    fn skip(&self, client_id: &str) {
        if let Ok(mut list) = self.inactive.lock()
            && !list.iter().any(|id| id == client_id)
        {
            list.push(client_id.to_owned());
        }
    }

    fn exchange_answer(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        bytes: &[u8],
        ticket: &Secret,
        client_id: &str,
    ) -> Result<Tokens> {
        if is_challenge(status, headers, bytes) {
            return Err(self.challenged(status, headers));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(self.refused(status, headers));
        }
        let text = || excerpt(&String::from_utf8_lossy(bytes), &[ticket.expose()]);
        if status.is_success() {
            return Tokens::from_answer(bytes, client_id).ok_or_else(|| Error::Unexpected {
                status: status.as_u16(),
                excerpt: text(),
            });
        }
        let oauth: OAuthError = serde_json::from_slice(bytes).unwrap_or_default();
        let code = oauth.error.unwrap_or_default();
        if code == "invalid_grant" {
            // The ticket itself is refused (used, expired, or for another service): no
            // client id can make it good.
            let reason = excerpt(
                oauth
                    .error_description
                    .as_deref()
                    .unwrap_or("invalid_grant"),
                &[ticket.expose()],
            );
            return Err(Error::TicketRejected { reason });
        }
        if status == StatusCode::FORBIDDEN && headers.contains_key("cf-ray") && code.is_empty() {
            return Err(self.refused(status, headers));
        }
        if status.is_server_error() {
            return Err(Error::Unexpected {
                status: status.as_u16(),
                excerpt: text(),
            });
        }
        if status.is_client_error() {
            tracing::warn!(%client_id, status = status.as_u16(), error = %code, "client id refused");
            self.skip(client_id);
            return Err(Error::ClientIdRefused {
                client_id: client_id.to_owned(),
                why: "the token endpoint refused it",
            });
        }
        Err(Error::Unexpected {
            status: status.as_u16(),
            excerpt: text(),
        })
    }

    async fn verify(&self, tokens: &Tokens) -> std::result::Result<(), Verify> {
        let started = Instant::now();
        let client_id = tokens.client_id.as_str();
        let url = format!("{}/userprofile-service/socialProfile", self.profile.api_url);
        let headers = native_headers(&self.profile).map_err(Verify::Failed)?;
        let sent = self
            .http
            .get(&url)
            .headers(headers)
            .header(
                AUTHORIZATION,
                format!("Bearer {}", tokens.access_token.expose()),
            )
            .header(ACCEPT, "application/json")
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                let e = Error::from_reqwest(&e);
                self.record(
                    StepKind::TokenCheck,
                    Some(client_id),
                    Markers::default(),
                    started,
                    Note::Failed(e.kind()),
                );
                return Err(Verify::Failed(e));
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let markers = Markers::of(status.as_u16(), &headers);
        let result = if status.is_success() {
            Ok(())
        } else if status == StatusCode::UNAUTHORIZED && says_not_active(&headers) {
            Err(Verify::NotActive)
        } else if status == StatusCode::TOO_MANY_REQUESTS {
            Err(Verify::Failed(self.refused(status, &headers)))
        } else {
            let bytes = read_body(response).await.unwrap_or_default();
            if is_challenge(status, &headers, &bytes) {
                Err(Verify::Failed(self.challenged(status, &headers)))
            } else {
                Err(Verify::Failed(Error::Unexpected {
                    status: status.as_u16(),
                    excerpt: excerpt(
                        &String::from_utf8_lossy(&bytes),
                        &[tokens.access_token.expose()],
                    ),
                }))
            }
        };
        let note = match &result {
            Ok(()) => Note::Ok,
            Err(Verify::NotActive) => Note::Said("\"Token is not active\""),
            Err(Verify::Failed(Error::HumanCheck { .. })) => {
                Note::Said("human check (CDN challenge page)")
            }
            Err(Verify::Failed(e)) => Note::Failed(e.kind()),
        };
        self.record(
            StepKind::TokenCheck,
            Some(client_id),
            markers,
            started,
            note,
        );
        result
    }
}

/// `www-authenticate: Bearer error="invalid_token", error_description="Token is not active"`.
fn says_not_active(headers: &HeaderMap) -> bool {
    let challenge = headers
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    challenge.contains("not active") || challenge.contains("invalid_token")
}

/// Cloudflare's "verify you are human" page: a 403 (or 503) marked `cf-mitigated:
/// challenge`, or an HTML page carrying the challenge platform's script.
pub(crate) fn is_challenge(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> bool {
    if status != StatusCode::FORBIDDEN && status != StatusCode::SERVICE_UNAVAILABLE {
        return false;
    }
    let marked = headers
        .get("cf-mitigated")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("challenge"));
    if marked {
        return true;
    }
    let head = &body[..body.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    text.contains("challenge-platform")
        || text.contains("verify you are human")
        || text.contains("performing security verification")
}

enum Step {
    Ticket(Secret),
    Mfa {
        method: String,
        sent_to: Option<String>,
    },
}

enum Verify {
    NotActive,
    Failed(Error),
}

fn build_client(profile: &EndpointProfile, config: &SignInConfig) -> Result<reqwest::Client> {
    let mut headers = HeaderMap::new();
    headers.insert(
        USER_AGENT,
        reqwest::header::HeaderValue::from_str(&profile.browser_user_agent)
            .map_err(|e| Error::Config(format!("browser user agent: {e}")))?,
    );
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .gzip(true)
        .connect_timeout(config.connect_timeout)
        .read_timeout(config.read_timeout)
        .timeout(config.read_timeout * 4)
        .build()
        .map_err(|e| Error::Config(format!("HTTP client: {e}")))
}

fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The service ticket in a URL the sign-in page navigated to (`<service>?ticket=ST-...`),
/// if the URL is the expected service.
pub fn ticket_from_url(url: &str, service_url: &str) -> Option<Secret> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let service = reqwest::Url::parse(service_url).ok()?;
    if parsed.origin() != service.origin()
        || parsed.path().trim_end_matches('/') != service.path().trim_end_matches('/')
    {
        return None;
    }
    parsed
        .query_pairs()
        .find(|(k, v)| k == "ticket" && v.starts_with("ST-"))
        .map(|(_, v)| Secret::new(v.into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catches_the_ticket_of_the_expected_service_only() {
        let svc = "https://connect.garmin.com/app";
        let t = ticket_from_url("https://connect.garmin.com/app?ticket=ST-1-abc-sso", svc).unwrap();
        assert_eq!(t.expose(), "ST-1-abc-sso");
        assert!(ticket_from_url("https://evil.example/app?ticket=ST-1", svc).is_none());
        assert!(ticket_from_url("https://connect.garmin.com/app?x=1", svc).is_none());
    }

    #[test]
    fn portal_url_is_encoded() {
        let s = SignIn::new(EndpointProfile::server("http://127.0.0.1:1")).unwrap();
        assert_eq!(
            s.portal_sign_in_url(),
            "http://127.0.0.1:1/portal/sso/en-US/sign-in?clientId=GarminConnect&service=https%3A%2F%2Fconnect.garmin.com%2Fapp"
        );
    }
}
