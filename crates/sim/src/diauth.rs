//! The DI OAuth2 host (docs/protocol.md, "Tokens"): service ticket -> tokens, rotating refresh, and the
//! Bearer check every data call goes through.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::SimConfig;
use crate::random::Rng;
use crate::reply::{Reject, json_response};
use crate::sso::SsoState;
use crate::stats::Counter;
use crate::stats::Recorder;

const SERVICE_TICKET_GRANT: &str =
    "https://connectapi.garmin.com/di-oauth2-service/oauth/grant/service_ticket";

const SCOPE: &str = "ATP_READ ATP_WRITE COMMUNITY_COURSE_READ COMMUNITY_COURSE_WRITE CONNECT_READ CONNECT_WRITE DIVE_API_READ DI_OAUTH_2_AUTHORIZATION_CODE_CREATE DT_CLIENT_ANALYTICS_WRITE GARMINPAY_READ GARMINPAY_WRITE GCOFFER_READ GCOFFER_WRITE GHS_SAMD GHS_UPLOAD GOLF_API_READ GOLF_API_WRITE INSIGHTS_READ INSIGHTS_WRITE OMT_CAMPAIGN_READ OMT_SUBSCRIPTION_READ PRODUCT_SEARCH_READ";

struct Grant {
    client_id: String,
    user: String,
    expires: Instant,
}

/// What the token endpoint reads: the grants it keeps, the tickets the SSO issued, and the
/// shared parts.
#[derive(Clone)]
pub(crate) struct AuthCtx {
    pub config: Arc<SimConfig>,
    pub sso: Arc<SsoState>,
    pub auth: Arc<AuthState>,
    pub stats: Arc<Recorder>,
    pub rng: Arc<Rng>,
}

pub(crate) struct AuthState {
    access: Mutex<HashMap<String, Grant>>,
    refresh: Mutex<HashMap<String, Grant>>,
    secret: Vec<u8>,
}

/// Who a data call is made for.
pub(crate) struct Principal {
    pub user: String,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AuthState {
    pub fn new(rng: &Rng) -> AuthState {
        AuthState {
            access: Mutex::new(HashMap::new()),
            refresh: Mutex::new(HashMap::new()),
            secret: rng.bytes(32),
        }
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        json!({"error": error, "error_description": description}),
    )
}

fn invalid_client() -> Response {
    oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "Bad client credentials",
    )
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// The client id from `Authorization: Basic base64(client_id:)`.
fn basic_client_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, _secret) = text.split_once(':')?;
    (!id.is_empty()).then(|| id.to_owned())
}

pub(crate) async fn token(
    State(st): State<AuthCtx>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(client_id) = basic_client_id(&headers) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Full authentication is required to access this resource",
        );
    };
    if form.get("client_id").is_some_and(|id| *id != client_id) {
        return invalid_client();
    }
    let known = st.config.client_ids.contains(&client_id)
        || st.config.inactive_client_ids.contains(&client_id);
    if !known {
        return invalid_client();
    }
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    match field("grant_type") {
        SERVICE_TICKET_GRANT => {
            let ticket_id = field("service_ticket");
            let service_url = field("service_url");
            if ticket_id.is_empty() || service_url.is_empty() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "service_ticket and service_url are required",
                );
            }
            let Some(ticket) = st.sso.take_ticket(ticket_id) else {
                return invalid_grant("Invalid service ticket");
            };
            if ticket.expires <= Instant::now() {
                return invalid_grant("Service ticket expired");
            }
            if ticket.service != service_url {
                return invalid_grant("service_url does not match the service of the ticket");
            }
            st.stats.bump(Counter::TokenGrant);
            issue(&st, &client_id, &ticket.user)
        }
        "refresh_token" => {
            let presented = field("refresh_token");
            let refused = || invalid_grant(&format!("Invalid refresh token: {presented}"));
            let mut refresh = lock(&st.auth.refresh);
            let Some(grant) = refresh.get(presented) else {
                return refused();
            };
            if grant.expires <= Instant::now() {
                refresh.remove(presented);
                return refused();
            }
            // A refresh with another client's credentials is refused without spending
            // the token, so the rightful client can still use it.
            if grant.client_id != client_id {
                return refused();
            }
            let Some(grant) = refresh.remove(presented) else {
                return refused();
            };
            drop(refresh);
            st.stats.bump(Counter::TokenRefresh);
            issue(&st, &client_id, &grant.user)
        }
        other => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Unsupported grant type: {other}"),
        ),
    }
}

fn uuid_from(bytes: &[u8]) -> String {
    let h = hex::encode(&bytes[..16.min(bytes.len())]);
    if h.len() < 32 {
        return h;
    }
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

fn issue(st: &AuthCtx, client_id: &str, user: &str) -> Response {
    let now = Instant::now();
    let iat = now_epoch_secs();
    let access_ttl = st.config.access_token_ttl;
    let refresh_ttl = st.config.refresh_token_ttl;
    let jti = uuid_from(&st.rng.bytes(16));
    let customer = {
        let mut h = Sha256::new();
        h.update(st.config.seed.to_le_bytes());
        h.update(user.as_bytes());
        uuid_from(&h.finalize())
    };
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": "di-oauth-signer-prod-2024-q4"});
    let claims = json!({
        "scope": SCOPE.split(' ').collect::<Vec<_>>(),
        "iss": "https://diauth.garmin.com",
        "revocation_eligibility": ["GLOBAL_SIGNOUT"],
        "client_type": "UNDEFINED",
        "exp": iat + ceil_secs(access_ttl),
        "iat": iat,
        "garmin_guid": customer,
        "jti": jti,
        "client_id": client_id,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = Sha256::new();
    mac.update(&st.auth.secret);
    mac.update(signing_input.as_bytes());
    let access_token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize()));
    let refresh_token = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(st.rng.bytes(24)),
        URL_SAFE_NO_PAD.encode(st.rng.bytes(48))
    );
    {
        let mut access = lock(&st.auth.access);
        access.retain(|_, g| g.expires > now);
        access.insert(
            access_token.clone(),
            Grant {
                client_id: client_id.to_owned(),
                user: user.to_owned(),
                expires: now + access_ttl,
            },
        );
    }
    {
        let mut refresh = lock(&st.auth.refresh);
        refresh.retain(|_, g| g.expires > now);
        refresh.insert(
            refresh_token.clone(),
            Grant {
                client_id: client_id.to_owned(),
                user: user.to_owned(),
                expires: now + refresh_ttl,
            },
        );
    }
    let body: Value = json!({
        "access_token": access_token,
        "token_type": "bearer",
        "refresh_token": refresh_token,
        "expires_in": access_ttl.as_secs(),
        "refresh_token_expires_in": refresh_ttl.as_secs(),
        "scope": SCOPE,
        "jti": jti,
        "customerId": customer,
    });
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        axum::Json(body),
    )
        .into_response()
}

/// The Bearer check of every data call. Unknown, expired and switched-off tokens all get
/// Garmin's "Token is not active" answer.
pub(crate) fn authorize(
    auth: &AuthState,
    config: &SimConfig,
    headers: &HeaderMap,
) -> Result<Principal, Reject> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned())
        .ok_or(Reject::Unauthenticated)?;
    let access = lock(&auth.access);
    let grant = access.get(&token).ok_or(Reject::TokenNotActive)?;
    if grant.expires <= Instant::now() || config.inactive_client_ids.contains(&grant.client_id) {
        return Err(Reject::TokenNotActive);
    }
    Ok(Principal {
        user: grant.user.clone(),
    })
}

fn now_epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
