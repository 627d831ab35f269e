//! Errors of the Garmin Connect client. Every error has a [`ErrorKind`] the UI branches on
//! and says whether retrying the same call later can help.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong, for a UI to branch on. Serialised as `snake_case`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    WrongCredentials,
    WrongCode,
    CaptchaRequired,
    AccountLocked,
    /// Garmin (or its CDN) refuses for now; `Error::until` says until when.
    RateLimited,
    /// The saved sign-in can no longer be used: sign in again.
    TokensExpired,
    /// The service ticket was refused (used, expired, or issued for another service).
    TicketRejected,
    /// `submit_code` without a pending `login` that asked for a code.
    NoPendingCode,
    /// Offline, connection refused or reset, DNS.
    Network,
    Timeout,
    /// The activity belongs to someone else, or another permanent refusal.
    Forbidden,
    /// Garmin answered something this client does not understand.
    Unexpected,
    /// A 200 whose body is not what was asked, or a truncated one.
    BadBody,
    /// The token store (keyring, file) failed.
    Storage,
    /// An endpoint profile could not be read.
    Config,
    /// Writing a download to the caller's writer failed.
    Io,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("wrong email or password")]
    WrongCredentials,
    #[error("wrong verification code")]
    WrongCode,
    #[error("Garmin asks for a captcha: sign in through Garmin's own page instead")]
    CaptchaRequired,
    #[error("the Garmin account is locked or disabled")]
    AccountLocked,
    #[error("Garmin refuses requests from here for now (HTTP {status}); try again after {until}")]
    RateLimited { status: u16, until: DateTime<Utc> },
    #[error("the saved sign-in has expired: sign in again ({reason})")]
    TokensExpired { reason: String },
    #[error("the service ticket was refused ({reason}): sign in again")]
    TicketRejected { reason: String },
    /// The CDN's "verify you are human" page instead of an answer: only a person in a
    /// browser can pass it.
    #[error(
        "Garmin's site asked for a human check (\"verify you are human\"), which this program \
         cannot answer: sign in through Garmin's page in the app's sign-in window, or in your \
         own browser and paste the final address (gcexport --ticket)"
    )]
    HumanCheck { status: u16 },
    /// Garmin did not accept one client id (refused it, or its token is "not active"). The
    /// ticket may be spent: the next client id needs a new sign-in.
    #[error(
        "Garmin did not accept the sign-in for client id {client_id} ({why}): sign in once \
         more and the next client id is tried"
    )]
    ClientIdRefused {
        client_id: String,
        why: &'static str,
    },
    #[error("no sign-in is waiting for a verification code")]
    NoPendingCode,
    #[error("network error: {message}")]
    Network { message: String },
    #[error("timed out: {message}")]
    Timeout { message: String },
    #[error("refused by Garmin (HTTP {status}): {excerpt}")]
    Forbidden { status: u16, excerpt: String },
    #[error("unexpected answer from Garmin (HTTP {status}): {excerpt}")]
    Unexpected { status: u16, excerpt: String },
    #[error("the {expected} download is not valid: {reason}")]
    BadBody {
        expected: &'static str,
        reason: String,
        /// The body looks cut short: fetching it again can help.
        truncated: bool,
    },
    #[error("token store: {0}")]
    Storage(String),
    #[error("endpoint profile: {0}")]
    Config(String),
    #[error("writing the download failed: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::WrongCredentials => ErrorKind::WrongCredentials,
            Error::WrongCode => ErrorKind::WrongCode,
            Error::CaptchaRequired => ErrorKind::CaptchaRequired,
            Error::AccountLocked => ErrorKind::AccountLocked,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::TokensExpired { .. } => ErrorKind::TokensExpired,
            Error::TicketRejected { .. } | Error::ClientIdRefused { .. } => {
                ErrorKind::TicketRejected
            }
            Error::HumanCheck { .. } => ErrorKind::CaptchaRequired,
            Error::NoPendingCode => ErrorKind::NoPendingCode,
            Error::Network { .. } => ErrorKind::Network,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Forbidden { .. } => ErrorKind::Forbidden,
            Error::Unexpected { .. } => ErrorKind::Unexpected,
            Error::BadBody { .. } => ErrorKind::BadBody,
            Error::Storage(_) => ErrorKind::Storage,
            Error::Config(_) => ErrorKind::Config,
            Error::Io(_) => ErrorKind::Io,
        }
    }

    /// Whether the same call, made again later, can succeed without the user doing anything.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Network { .. } | Error::Timeout { .. } => true,
            Error::BadBody { truncated, .. } => *truncated,
            Error::Unexpected { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// Until when Garmin asked us to stay away, for a rate-limit error.
    pub fn until(&self) -> Option<DateTime<Utc>> {
        match self {
            Error::RateLimited { until, .. } => Some(*until),
            _ => None,
        }
    }

    pub(crate) fn rate_limited(status: u16, wait: Duration) -> Error {
        let until = Utc::now()
            + chrono::Duration::from_std(wait).unwrap_or_else(|_| chrono::Duration::zero());
        Error::RateLimited { status, until }
    }

    pub(crate) fn from_reqwest(err: &reqwest::Error) -> Error {
        // Built from the causes rather than the error's Display, which carries the URL and
        // its query string into messages that reach logs and the UI.
        let message = describe_reqwest(err);
        if err.is_timeout() {
            Error::Timeout { message }
        } else {
            Error::Network { message }
        }
    }
}

/// How long to stay away after the CDN blocked us without saying for how long: Cloudflare's
/// blocks of an address last minutes to an hour.
pub(crate) const CDN_BLOCK_PAUSE: Duration = Duration::from_secs(60 * 60);

/// Garmin's CDN blocking this client: a 403 or 429 answered with a web page (Cloudflare's
/// "Access denied") instead of an API answer. Every further request meets the same wall, so
/// it is a rate limit for the whole client (with the time to come back), never a refusal
/// of one activity.
pub(crate) fn cdn_block(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    retry_after: Option<Duration>,
) -> Option<Error> {
    if status != 403 && status != 429 {
        return None;
    }
    let html = content_type
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"))
        || body.trim_ascii_start().starts_with(b"<");
    html.then(|| {
        Error::rate_limited(
            status,
            retry_after.unwrap_or(CDN_BLOCK_PAUSE).min(CDN_BLOCK_PAUSE),
        )
    })
}

fn describe_reqwest(err: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = if err.is_timeout() {
        "the server did not answer in time".to_owned()
    } else if err.is_connect() {
        "could not connect".to_owned()
    } else if err.is_body() || err.is_decode() {
        "the connection broke while reading the answer".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = err.source();
    let mut depth = 0;
    while let Some(s) = source {
        if depth >= 3 {
            break;
        }
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
        depth += 1;
    }
    text
}

/// A short, single-line excerpt of an answer body with anything that looks like a secret
/// removed: it goes into errors that reach logs and the UI.
pub(crate) fn excerpt(body: &str, known_secrets: &[&str]) -> String {
    const MAX: usize = 160;
    let mut text: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    for secret in known_secrets {
        if secret.len() >= 3 {
            text = text.replace(secret, "***");
        }
    }
    let words: Vec<String> = text.split_whitespace().map(redact_word).collect();
    let mut out = String::new();
    for word in words {
        if out.chars().count() + word.chars().count() + 1 > MAX {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word);
    }
    out
}

/// Replaces service tickets (`ST-...`), JWTs (`eyJ...`) and long opaque runs inside a word.
fn redact_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let looks_secret = run.starts_with("ST-")
            || run.starts_with("eyJ")
            || (run.len() >= 24 && run.chars().any(|c| c.is_ascii_digit()));
        if looks_secret {
            out.push_str("***");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in word.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '/' | '=') {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_hides_tickets_tokens_and_known_secrets() {
        let body = r#"{"serviceTicketId":"ST-097904-maMLPBSRdODkj7WJmO8o-sso","access_token":"eyJhbGciOi.abc.def","refresh_token":"1a2b3c4d5e6f7a8b9c0d1e2f3a4b","pw":"hunter2!"}"#;
        let e = excerpt(body, &["hunter2!"]);
        assert!(!e.contains("ST-097904"), "{e}");
        assert!(!e.contains("eyJhbGciOi"), "{e}");
        assert!(!e.contains("1a2b3c4d5e6f"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        assert!(e.contains("serviceTicketId"), "{e}");
    }

    #[test]
    fn excerpt_is_short_and_single_line() {
        let body =
            "<html>\n<title>Access denied | sso.garmin.com used Cloudflare</title>\n".repeat(20);
        let e = excerpt(&body, &[]);
        assert!(e.chars().count() <= 161);
        assert!(!e.contains('\n'));
        assert!(e.contains("Access denied"));
    }

    #[test]
    fn a_cdn_page_on_403_or_429_is_a_block_with_a_time_to_come_back() {
        let page = b"<!DOCTYPE html>\n<title>Access denied | connect.garmin.com used Cloudflare to restrict access</title>";
        let e = cdn_block(403, Some("text/html; charset=UTF-8"), page, None).unwrap();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        let wait = e.until().unwrap() - Utc::now();
        assert!(wait > chrono::Duration::minutes(59), "{wait}");
        assert!(e.to_string().contains("HTTP 403"), "{e}");
        assert!(cdn_block(429, None, b"  <html>", Some(Duration::from_secs(30))).is_some());
        // An API's own refusal is about one call, not the whole client.
        assert!(cdn_block(403, Some("application/json"), br#"{"error":"x"}"#, None).is_none());
        assert!(cdn_block(404, Some("text/html"), page, None).is_none());
    }

    #[test]
    fn kinds_and_retryability() {
        assert!(Error::rate_limited(429, Duration::from_secs(5)).is_retryable());
        assert!(!Error::WrongCredentials.is_retryable());
        assert!(
            Error::BadBody {
                expected: "gpx",
                reason: "cut".into(),
                truncated: true
            }
            .is_retryable()
        );
        assert_eq!(
            serde_json::to_string(&ErrorKind::TokensExpired).unwrap(),
            "\"tokens_expired\""
        );
    }
}
