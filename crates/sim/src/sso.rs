//! The SSO host: the sign-in pages a browser (or the app's webview) uses, and the JSON
//! login and MFA endpoints behind them (docs/protocol.md, "Signing in"). State lives in the `SESSION` cookie's
//! server-side session, as on Garmin: an MFA code is only accepted in the session whose
//! login asked for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use crate::SimConfig;
use crate::random::Rng;
use crate::reply::json_response;
use crate::stats::Counter;
use crate::stats::Recorder;

pub(crate) const MFA_CODE: &str = "123456";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MfaMethod {
    Email,
    Phone,
}

impl MfaMethod {
    fn key(self) -> &'static str {
        match self {
            MfaMethod::Email => "email",
            MfaMethod::Phone => "phone",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    Plain,
    Mfa(MfaMethod),
    Captcha,
    Locked,
}

struct User {
    email: &'static str,
    password: &'static str,
    phone: Option<&'static str>,
    behaviour: Behaviour,
}

const USERS: [User; 5] = [
    User {
        email: "demo@example.com",
        password: "demo-password",
        phone: None,
        behaviour: Behaviour::Plain,
    },
    User {
        email: "mfa@example.com",
        password: "mfa-password",
        phone: None,
        behaviour: Behaviour::Mfa(MfaMethod::Email),
    },
    User {
        email: "mfa-sms@example.com",
        password: "mfa-password",
        phone: Some("+1 555 010 4242"),
        behaviour: Behaviour::Mfa(MfaMethod::Phone),
    },
    User {
        email: "captcha@example.com",
        password: "captcha-password",
        phone: None,
        behaviour: Behaviour::Captcha,
    },
    User {
        email: "locked@example.com",
        password: "locked-password",
        phone: None,
        behaviour: Behaviour::Locked,
    },
];

fn find_user(email: &str) -> Option<&'static User> {
    let email = email.trim();
    USERS.iter().find(|u| u.email.eq_ignore_ascii_case(email))
}

struct PendingMfa {
    user: &'static User,
    method: MfaMethod,
    service: String,
}

#[derive(Default)]
struct Session {
    pending: Option<PendingMfa>,
    /// Set when the session was made by a sign-in page load, with that load's User-Agent:
    /// the CDN lets a mobile JSON login through only in such a session, with the same UA.
    page_user_agent: Option<String>,
}

pub(crate) struct Ticket {
    pub service: String,
    pub user: String,
    pub expires: Instant,
}

/// What the SSO host's handlers read: its own sessions and tickets, and the shared parts.
#[derive(Clone)]
pub(crate) struct SsoCtx {
    pub config: Arc<SimConfig>,
    pub sso: Arc<SsoState>,
    pub stats: Arc<Recorder>,
    pub rng: Arc<Rng>,
}

pub(crate) struct SsoState {
    sessions: Mutex<HashMap<String, Session>>,
    tickets: Mutex<HashMap<String, Ticket>>,
    ticket_seq: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sessions are only created by page loads and logins, but a client in a loop could make
/// many; past this many the oldest state simply goes (a real SSO expires them too).
const MAX_SESSIONS: usize = 50_000;

impl SsoState {
    pub fn new(rng: &Rng) -> SsoState {
        SsoState {
            sessions: Mutex::new(HashMap::new()),
            tickets: Mutex::new(HashMap::new()),
            ticket_seq: AtomicU64::new(rng.next_u64() % 900_000 + 10_000),
        }
    }

    /// Removes the ticket whatever happens next: a CAS ticket is spent by any attempt to
    /// validate it.
    pub fn take_ticket(&self, id: &str) -> Option<Ticket> {
        lock(&self.tickets).remove(id)
    }
}

fn issue_ticket(st: &SsoCtx, service: &str, user: &User) -> String {
    let seq = st.sso.ticket_seq.fetch_add(1, Ordering::Relaxed) % 1_000_000;
    let id = format!("ST-{seq:06}-{}-sso", st.rng.alnum(20));
    let mut tickets = lock(&st.sso.tickets);
    let now = Instant::now();
    tickets.retain(|_, t| t.expires > now);
    tickets.insert(
        id.clone(),
        Ticket {
            service: service.to_owned(),
            user: user.email.to_owned(),
            expires: now + st.config.ticket_ttl,
        },
    );
    drop(tickets);
    st.stats.bump(Counter::TicketIssued);
    id
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "SESSION")
        .map(|(_, value)| value.to_owned())
}

/// The caller's session id, creating a session (and a cookie to set) when it has none or
/// one this server does not know.
fn ensure_session(st: &SsoCtx, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    let mut sessions = lock(&st.sso.sessions);
    if let Some(id) = session_id(headers)
        && sessions.contains_key(&id)
    {
        return (id, None);
    }
    if sessions.len() >= MAX_SESSIONS {
        sessions.clear();
    }
    let id = st.rng.hex(32);
    sessions.insert(id.clone(), Session::default());
    let cookie =
        HeaderValue::from_str(&format!("SESSION={id}; Path=/; HttpOnly; SameSite=Lax")).ok();
    (id, cookie)
}

fn http_status_name(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("UNKNOWN")
        .to_ascii_uppercase()
        .replace([' ', '-'], "_")
}

fn login_body(
    kind: &str,
    message: &str,
    status: StatusCode,
    service: Option<&str>,
    ticket: Option<&str>,
    mfa: Option<Value>,
) -> Value {
    json!({
        "serviceURL": service,
        "serviceTicketId": ticket,
        "responseStatus": {"type": kind, "message": message, "httpStatus": http_status_name(status)},
        "responseReason": null,
        "customerMfaInfo": mfa,
        "consentTypeList": null,
        "captchaAlreadyPassed": false,
        "samlResponse": null,
        "authType": "CAS"
    })
}

fn answer(status: StatusCode, body: Value, cookie: Option<HeaderValue>) -> Response {
    let mut response = json_response(status, body);
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}*****@{domain}")
        }
        None => "*****".to_owned(),
    }
}

fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("+* ***-***-{tail}")
}

fn mfa_info(user: &User, method: MfaMethod) -> Value {
    json!({
        "email": mask_email(user.email),
        "phoneNumber": user.phone.map(mask_phone),
        "mfaLastMethodUsed": method.key(),
        "mfaSetupRequired": false,
        "mfaEnabled": true
    })
}

fn bad_request(message: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        json!({"error": "bad_request", "message": message}),
    )
}

pub(crate) async fn login(
    State(st): State<SsoCtx>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(service) = query.get("service").filter(|s| !s.is_empty()).cloned() else {
        return bad_request("the service query parameter is required");
    };
    let Ok(creds) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("the body must be JSON");
    };
    let username = creds["username"].as_str().unwrap_or_default();
    let password = creds["password"].as_str().unwrap_or_default();
    let (session, cookie) = ensure_session(&st, &headers);

    let user = find_user(username);
    let outcome = match user.map(|u| u.behaviour) {
        Some(Behaviour::Captcha) => {
            let status = StatusCode::OK;
            (
                status,
                login_body("CAPTCHA_REQUIRED", "", status, None, None, None),
            )
        }
        Some(Behaviour::Locked) => {
            let status = StatusCode::FORBIDDEN;
            let body = login_body(
                "ACCOUNT_LOCKED",
                "generalLoginAccountLocked",
                status,
                None,
                None,
                None,
            );
            (status, body)
        }
        _ => match user.filter(|u| u.password == password) {
            None => {
                let status = StatusCode::UNAUTHORIZED;
                let body = login_body(
                    "INVALID_USERNAME_PASSWORD",
                    "generalLoginInvalidUsernameOrPassword",
                    status,
                    None,
                    None,
                    None,
                );
                (status, body)
            }
            Some(user) => match user.behaviour {
                Behaviour::Mfa(method) => {
                    if let Some(s) = lock(&st.sso.sessions).get_mut(&session) {
                        s.pending = Some(PendingMfa {
                            user,
                            method,
                            service: service.clone(),
                        });
                    }
                    let status = StatusCode::OK;
                    let body = login_body(
                        "MFA_REQUIRED",
                        "",
                        status,
                        Some(&service),
                        None,
                        Some(mfa_info(user, method)),
                    );
                    (status, body)
                }
                _ => {
                    let ticket = issue_ticket(&st, &service, user);
                    let status = StatusCode::OK;
                    let body = login_body(
                        "SUCCESSFUL",
                        "",
                        status,
                        Some(&service),
                        Some(&ticket),
                        None,
                    );
                    (status, body)
                }
            },
        },
    };
    answer(outcome.0, outcome.1, cookie)
}

fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn has_cookie(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(n, _)| n == name)
}

/// Whether the caller loaded the sign-in page first in this cookie session, with the same
/// User-Agent: Garmin's CDN answers the mobile JSON login 429 otherwise (a maintained
/// client met it for months until it loaded the page first).
fn came_through_the_page(st: &SsoCtx, headers: &HeaderMap) -> bool {
    let Some(id) = session_id(headers) else {
        return false;
    };
    let ua = user_agent(headers);
    has_cookie(headers, "__cf_bm")
        && lock(&st.sso.sessions)
            .get(&id)
            .and_then(|s| s.page_user_agent.as_deref())
            .is_some_and(|page_ua| page_ua == ua)
}

/// The mobile JSON login, behind the CDN's cookie check.
pub(crate) async fn mobile_login(
    st: State<SsoCtx>,
    query: Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !came_through_the_page(&st, &headers) {
        return crate::reply::too_many(false, None);
    }
    login(st, query, headers, body).await
}

pub(crate) async fn verify_code(
    State(st): State<SsoCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("the body must be JSON");
    };
    let method = request["mfaMethod"].as_str().unwrap_or_default();
    let code = request["mfaVerificationCode"].as_str().unwrap_or_default();
    let bad = StatusCode::BAD_REQUEST;

    let session = session_id(&headers);
    let mut sessions = lock(&st.sso.sessions);
    let pending = session
        .as_ref()
        .and_then(|id| sessions.get_mut(id))
        .and_then(|s| {
            s.pending
                .as_ref()
                .map(|p| (p.user, p.method, p.service.clone()))
        });
    let Some((user, expected, service)) = pending else {
        drop(sessions);
        return answer(
            bad,
            login_body(
                "MFA_SESSION_INVALID",
                "mfaSessionExpired",
                bad,
                None,
                None,
                None,
            ),
            None,
        );
    };
    if method != expected.key() {
        drop(sessions);
        return answer(
            bad,
            login_body(
                "MFA_METHOD_INVALID",
                "mfaMethodMismatch",
                bad,
                None,
                None,
                Some(mfa_info(user, expected)),
            ),
            None,
        );
    }
    if code.trim() != MFA_CODE {
        drop(sessions);
        return answer(
            bad,
            login_body(
                "MFA_CODE_INVALID",
                "mfaCodeInvalid",
                bad,
                None,
                None,
                Some(mfa_info(user, expected)),
            ),
            None,
        );
    }
    if let Some(s) = session.as_ref().and_then(|id| sessions.get_mut(id)) {
        s.pending = None;
    }
    drop(sessions);
    let ticket = issue_ticket(&st, &service, user);
    let ok = StatusCode::OK;
    answer(
        ok,
        login_body("SUCCESSFUL", "", ok, Some(&service), Some(&ticket), None),
        None,
    )
}

// ---- the pages ----------------------------------------------------------------------

pub(crate) async fn mobile_page(
    st: State<SsoCtx>,
    query: Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    page(st, query, headers, "/mobile/api")
}

pub(crate) async fn portal_page(
    st: State<SsoCtx>,
    query: Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    page(st, query, headers, "/portal/api")
}

fn page(
    State(st): State<SsoCtx>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    api_base: &str,
) -> Response {
    if query.get("service").is_none_or(|s| s.is_empty()) {
        return (
            StatusCode::BAD_REQUEST,
            Html(
                "<!DOCTYPE html><title>Bad request</title><p>The service parameter is missing.</p>",
            ),
        )
            .into_response();
    }
    let (session, cookie) = ensure_session(&st, &headers);
    if let Some(s) = lock(&st.sso.sessions).get_mut(&session) {
        s.page_user_agent = Some(user_agent(&headers));
    }
    let (html, challenge) = crate::signin_page::render(st.config.sign_in_page, api_base);
    let mut response = (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        Html(html),
    )
        .into_response();
    if challenge {
        crate::signin_page::as_challenge(&mut response);
    }
    let cookies = response.headers_mut();
    if let Some(cookie) = cookie {
        cookies.append(header::SET_COOKIE, cookie);
    }
    // The CDN's bot-management cookie; clients must carry it along like any other.
    if let Ok(cf) = HeaderValue::from_str(&format!(
        "__cf_bm={}; Path=/; HttpOnly; SameSite=Lax",
        st.rng.alnum(43)
    )) {
        cookies.append(header::SET_COOKIE, cf);
    }
    cookies.append(
        header::SET_COOKIE,
        HeaderValue::from_static("GARMIN-SSO=1; Path=/"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_like_garmin() {
        assert_eq!(mask_email("mfa@example.com"), "m*****@example.com");
        assert_eq!(mask_phone("+1 555 010 4242"), "+* ***-***-4242");
        assert_eq!(http_status_name(StatusCode::UNAUTHORIZED), "UNAUTHORIZED");
        assert_eq!(
            http_status_name(StatusCode::TOO_MANY_REQUESTS),
            "TOO_MANY_REQUESTS"
        );
    }
}
