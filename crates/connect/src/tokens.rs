//! The DI OAuth2 tokens every sign-in path ends in, and their import from files.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// A signed-in user's tokens. `Debug` shows no secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: Secret,
    pub refresh_token: Secret,
    /// The DI client id the tokens were issued to; a refresh must use the same one.
    pub client_id: String,
    /// When the access token was issued and expires, Unix seconds.
    pub issued_at: i64,
    pub expires_at: i64,
    /// When the refresh token expires, Unix seconds, if Garmin said.
    #[serde(default)]
    pub refresh_expires_at: Option<i64>,
    #[serde(default)]
    pub customer_id: Option<String>,
    /// The access token's expiry in Unix milliseconds, when known that precisely: with
    /// whole seconds a short-lived token (tests) would be refreshed up to a second early.
    #[serde(default)]
    pub expires_at_ms: Option<i64>,
}

/// The fields of a DI OAuth2 token answer we use.
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<f64>,
    refresh_token_expires_in: Option<f64>,
    #[serde(rename = "customerId")]
    customer_id: Option<Value>,
}

/// The part of a JWT's claims this client reads. The signature is not checked: the token
/// came from Garmin over TLS, and only Garmin checks it.
#[derive(Default, Deserialize)]
pub(crate) struct Claims {
    pub exp: Option<f64>,
    pub iat: Option<f64>,
    pub client_id: Option<String>,
}

pub(crate) fn jwt_claims(token: &str) -> Option<Claims> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub(crate) fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Tokens {
    /// Builds tokens from a DI OAuth2 token answer.
    pub(crate) fn from_answer(body: &[u8], client_id: &str) -> Option<Tokens> {
        let answer: TokenAnswer = serde_json::from_slice(body).ok()?;
        let access = answer.access_token.filter(|s| !s.is_empty())?;
        let refresh = answer.refresh_token.filter(|s| !s.is_empty())?;
        let now_ms = chrono::Utc::now().timestamp_millis();
        let now = now_ms.div_euclid(1000);
        let claims = jwt_claims(&access).unwrap_or_default();
        let expires_at_ms = answer
            .expires_in
            .map(|s| now_ms.saturating_add(secs_to_ms(s)))
            .or(claims.exp.map(secs_to_ms))
            .unwrap_or(now_ms + 3_600_000);
        let expires_at = expires_at_ms.div_euclid(1000);
        Some(Tokens {
            client_id: claims.client_id.unwrap_or_else(|| client_id.to_owned()),
            access_token: Secret::new(access),
            refresh_token: Secret::new(refresh),
            issued_at: now,
            expires_at,
            refresh_expires_at: answer
                .refresh_token_expires_in
                .map(|s| now.saturating_add(clamp_secs(s))),
            customer_id: answer.customer_id.and_then(|v| match v {
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }),
            expires_at_ms: Some(expires_at_ms),
        })
    }

    /// The access token's whole life.
    pub fn lifetime(&self) -> Duration {
        Duration::from_secs(self.expires_at.saturating_sub(self.issued_at).max(0) as u64)
    }

    /// How long before expiry a refresh is due: 15 minutes, or a tenth of the token's life
    /// when that is shorter (short-lived tokens, as in tests).
    pub fn refresh_margin(&self) -> Duration {
        (self.lifetime() / 10).min(Duration::from_secs(15 * 60))
    }

    /// Whether the access token should be refreshed before its next use.
    pub fn needs_refresh(&self) -> bool {
        self.needs_refresh_at_ms(chrono::Utc::now().timestamp_millis())
    }

    // Milliseconds: with whole seconds, "now" lags by up to a second, which is all of the
    // margin of a short-lived token. `expires_at` is whole seconds rounded down from the
    // issue time, so it is never later than the real expiry.
    fn needs_refresh_at_ms(&self, now_ms: i64) -> bool {
        let margin = self.refresh_margin().as_millis() as i64;
        now_ms.saturating_add(margin)
            >= self
                .expires_at_ms
                .unwrap_or(self.expires_at.saturating_mul(1000))
    }

    pub fn refresh_token_expired(&self) -> bool {
        self.refresh_expires_at.is_some_and(|t| now_unix() >= t)
    }

    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Storage(e.to_string()))
    }

    /// Reads tokens saved by this client, or a raw DI OAuth2 token answer saved by another
    /// tool (expiry then taken from the JWT, client id from its claims or `default_client_id`).
    pub fn from_json(text: &str, default_client_id: &str) -> Result<Tokens> {
        if let Ok(tokens) = serde_json::from_str::<Tokens>(text) {
            return Ok(tokens);
        }
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::Storage(format!("not a token file: {e}")))?;
        tokens_from_value(&value, default_client_id)
            .ok_or_else(|| Error::Storage("no access_token/refresh_token in the token file".into()))
    }

    /// Imports a token file (see [`Tokens::from_json`]).
    pub fn import_file(path: &Path, default_client_id: &str) -> Result<Tokens> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Storage(format!("cannot read {}: {e}", path.display())))?;
        Self::from_json(&text, default_client_id)
    }
}

/// Seconds (a duration or a Unix time) from an answer, as a count any date arithmetic can
/// take: Garmin's numbers are a day, a month or a date this century, but an odd one
/// (1e300, negative) must not overflow. 1e11 s (3,000 years) is "never" for a token.
fn clamp_secs(secs: f64) -> i64 {
    const LIMIT: f64 = 1e11;
    if secs.is_nan() {
        return 0;
    }
    secs.clamp(-LIMIT, LIMIT) as i64
}

fn secs_to_ms(secs: f64) -> i64 {
    clamp_secs(secs) * 1000
}

fn tokens_from_value(v: &Value, default_client_id: &str) -> Option<Tokens> {
    let access = v.get("access_token")?.as_str()?.to_owned();
    let refresh = v.get("refresh_token")?.as_str()?.to_owned();
    let claims = jwt_claims(&access).unwrap_or_default();
    let num = |key: &str| v.get(key).and_then(Value::as_f64).map(clamp_secs);
    let now = now_unix();
    let expires_at = num("expires_at")
        .or(claims.exp.map(clamp_secs))
        .or(num("expires_in").map(|s| now.saturating_add(s)))
        .unwrap_or(now);
    let issued_at = claims
        .iat
        .map(clamp_secs)
        .or(num("expires_in").map(|s| expires_at.saturating_sub(s)))
        .unwrap_or(now.min(expires_at));
    Some(Tokens {
        client_id: claims
            .client_id
            .or_else(|| v.get("client_id").and_then(Value::as_str).map(String::from))
            .unwrap_or_else(|| default_client_id.to_owned()),
        access_token: Secret::new(access),
        refresh_token: Secret::new(refresh),
        issued_at,
        expires_at,
        refresh_expires_at: num("refresh_token_expires_at"),
        customer_id: None,
        expires_at_ms: None,
    })
}

/// What a best-effort import of an older tool's token folder found.
#[derive(Debug)]
pub struct LegacyImport {
    pub tokens: Tokens,
    /// `oauth1_token.json` was present. This client cannot re-exchange it (that needs the
    /// consumer key pair those tools fetched), so once the OAuth2 tokens stop working the
    /// user signs in again.
    pub oauth1_present: bool,
}

/// Best-effort import of the two-file token folder older tools saved (`oauth1_token.json`,
/// `oauth2_token.json`). Only the OAuth2 pair is used.
pub fn import_legacy_folder(dir: &Path, default_client_id: &str) -> Result<LegacyImport> {
    let oauth2 = dir.join("oauth2_token.json");
    let text = std::fs::read_to_string(&oauth2)
        .map_err(|e| Error::Storage(format!("cannot read {}: {e}", oauth2.display())))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| Error::Storage(format!("{} is not JSON: {e}", oauth2.display())))?;
    let tokens = tokens_from_value(&value, default_client_id).ok_or_else(|| {
        Error::Storage(format!("{} has no access/refresh token", oauth2.display()))
    })?;
    let oauth1_present = dir.join("oauth1_token.json").is_file();
    tracing::info!(
        oauth1_present,
        expires_at = tokens.expires_at,
        "imported legacy OAuth2 tokens (best effort: refresh may be refused)"
    );
    Ok(LegacyImport {
        tokens,
        oauth1_present,
    })
}

#[cfg(test)]
pub(crate) fn fake_jwt(exp: i64, client_id: &str) -> String {
    let enc = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.sig",
        enc(r#"{"alg":"RS256"}"#),
        enc(&format!(
            r#"{{"exp":{exp},"iat":{},"client_id":"{client_id}"}}"#,
            exp - 100
        ))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_di_answer_and_reads_jwt_claims() {
        let exp = now_unix() + 86_399;
        let body = serde_json::json!({
            "access_token": fake_jwt(exp, "GARMIN_CONNECT_MOBILE_ANDROID_DI"),
            "token_type": "bearer", "refresh_token": "rt-1", "expires_in": 86399,
            "refresh_token_expires_in": 2591999, "scope": "x", "jti": "j", "customerId": "c-1"
        });
        let t = Tokens::from_answer(body.to_string().as_bytes(), "OTHER").unwrap();
        assert_eq!(t.client_id, "GARMIN_CONNECT_MOBILE_ANDROID_DI");
        assert_eq!(t.refresh_token.expose(), "rt-1");
        assert_eq!(t.customer_id.as_deref(), Some("c-1"));
        assert!(!t.needs_refresh());
        assert_eq!(t.refresh_margin(), Duration::from_secs(900));
        assert!(!format!("{t:?}").contains("rt-1"));
    }

    /// An `expires_in` of 1e300 (or a huge `exp` claim) used to overflow the expiry
    /// arithmetic (a panic in debug builds, a wrapped date in release).
    #[test]
    fn odd_expiry_numbers_do_not_overflow() {
        for odd in ["1e300", "-1e300", "9223372036854775807"] {
            let body = format!(
                r#"{{"access_token":"{}","refresh_token":"r","expires_in":{odd},"refresh_token_expires_in":{odd}}}"#,
                fake_jwt(now_unix() + 100, "X")
            );
            let t = Tokens::from_answer(body.as_bytes(), "X").expect(odd);
            let _ = (t.needs_refresh(), t.lifetime(), t.refresh_token_expired());
            let foreign = format!(
                r#"{{"access_token":"opaque","refresh_token":"r","expires_in":{odd},"expires_at":{odd}}}"#
            );
            let f = Tokens::from_json(&foreign, "D").expect(odd);
            let _ = (f.needs_refresh(), f.lifetime());
        }
    }

    #[test]
    fn refresh_margin_is_a_tenth_of_a_short_life() {
        let t = Tokens {
            access_token: Secret::new("a"),
            refresh_token: Secret::new("r"),
            client_id: "c".into(),
            issued_at: 1000,
            expires_at: 1010,
            refresh_expires_at: None,
            customer_id: None,
            expires_at_ms: None,
        };
        assert_eq!(t.refresh_margin(), Duration::from_secs(1));
        assert!(!t.needs_refresh_at_ms(1_008_900));
        assert!(t.needs_refresh_at_ms(1_009_000));
    }

    #[test]
    fn round_trips_and_imports_foreign_files() {
        let exp = now_unix() + 500;
        let t = Tokens {
            access_token: Secret::new(fake_jwt(exp, "X")),
            refresh_token: Secret::new("r"),
            client_id: "X".into(),
            issued_at: exp - 1000,
            expires_at: exp,
            refresh_expires_at: Some(exp + 10),
            customer_id: None,
            expires_at_ms: None,
        };
        assert_eq!(Tokens::from_json(&t.to_json().unwrap(), "D").unwrap(), t);
        let foreign = serde_json::json!({"access_token": fake_jwt(exp, "Y"), "refresh_token": "r2", "expires_in": 1000});
        let f = Tokens::from_json(&foreign.to_string(), "D").unwrap();
        assert_eq!(f.client_id, "Y");
        assert_eq!(f.expires_at, exp);
        assert!(Tokens::from_json("{}", "D").is_err());
    }

    #[test]
    fn legacy_folder_import_is_best_effort() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("oauth1_token.json"),
            r#"{"oauth_token":"o","oauth_token_secret":"s","mfa_token":null}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("oauth2_token.json"),
            r#"{"scope":"x","jti":"j","access_token":"opaque","token_type":"Bearer","refresh_token":"rr","expires_in":3600,"expires_at":4102444800,"refresh_token_expires_in":7200,"refresh_token_expires_at":4102448400}"#,
        )
        .unwrap();
        let imported = import_legacy_folder(dir.path(), "DEFAULT").unwrap();
        assert!(imported.oauth1_present);
        assert_eq!(imported.tokens.client_id, "DEFAULT");
        assert_eq!(imported.tokens.expires_at, 4_102_444_800);
        assert_eq!(imported.tokens.issued_at, 4_102_444_800 - 3600);
        assert!(import_legacy_folder(&dir.path().join("nope"), "D").is_err());
    }
}
