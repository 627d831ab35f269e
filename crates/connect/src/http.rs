//! HTTP pieces shared by sign-in and the session: retry timing, headers, answers.

use std::hash::{BuildHasher as _, Hasher as _};
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::{Error, Result};
use crate::profile::EndpointProfile;

/// How hard the client tries before giving up.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts of one call for 5xx answers and network errors (including the first).
    pub max_attempts: u32,
    /// First backoff after a 5xx or network error; doubled each time, with jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// First pause after a 429 without `Retry-After`; doubled at each further 429.
    pub rate_limit_base: Duration,
    pub rate_limit_max: Duration,
    /// How many 429 pauses one call sits through before it returns `RateLimited`.
    pub max_rate_limit_waits: u32,
    /// Attempts at a TCX export answering 500, which Garmin also answers, for good, when
    /// the original was an uploaded GPX: after these the format is taken as absent.
    pub tcx_500_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            rate_limit_base: Duration::from_secs(30),
            rate_limit_max: Duration::from_secs(30 * 60),
            max_rate_limit_waits: 6,
            tcx_500_attempts: 3,
        }
    }
}

impl RetryPolicy {
    /// Backoff before attempt `attempt + 1` (`attempt` starts at 1): exponential, capped,
    /// with "equal jitter" (between half and all of it) so parallel requests spread out.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_delay);
        exp / 2 + exp.mul_f64(random_unit() / 2.0)
    }

    /// The pause after the `strike`-th 429 in a row (`strike` starts at 1).
    pub fn rate_limit_pause(&self, strike: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(r) => r,
            None => self
                .rate_limit_base
                .saturating_mul(2u32.saturating_pow(strike.saturating_sub(1)))
                .min(self.rate_limit_max),
        }
    }
}

/// A number in [0, 1) that differs between calls and processes; good enough for jitter.
pub(crate) fn random_unit() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// The longest pause a `Retry-After` is obeyed for. Beyond it the call stops with
/// `RateLimited` and the time to come back, instead of parking a run for hours.
pub const MAX_RETRY_AFTER_WAIT: Duration = Duration::from_secs(15 * 60);

/// `Retry-After` as seconds or an HTTP date. Any value, however odd ("1e20", a date in
/// the year 9999), gives a wait that fits in an `Instant` and a `chrono` date: it is
/// clamped to a year, which callers then treat as "stop and come back later".
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    const YEAR: f64 = 365.0 * 86_400.0;
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(YEAR)));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = (date.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()?;
    Some(wait.min(Duration::from_secs_f64(YEAR)))
}

/// The headers the Android app sends on DI OAuth2 and API calls.
pub(crate) fn native_headers(profile: &EndpointProfile) -> Result<HeaderMap> {
    let mut map = HeaderMap::new();
    for (name, value) in &profile.native_headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| Error::Config(format!("header name {name:?}: {e}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|e| Error::Config(format!("header value for {name}: {e}")))?;
        map.insert(name, value);
    }
    map.insert(
        reqwest::header::USER_AGENT,
        HeaderValue::from_str(&profile.native_user_agent)
            .map_err(|e| Error::Config(format!("native user agent: {e}")))?,
    );
    Ok(map)
}

/// `Authorization: Basic base64("<client_id>:")`, the DI token endpoint's empty-secret auth.
pub(crate) fn basic_auth(client_id: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:"))
    )
}

/// The largest answer read into memory by sign-in and token calls.
pub(crate) const SMALL_BODY_LIMIT: usize = 1024 * 1024;
/// The largest JSON answer of the API read into memory (a page of 100 activities is a few
/// hundred KiB); downloads are streamed to their writer and not capped.
pub(crate) const JSON_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// Reads a whole (small) answer body; a broken read is a network error.
pub(crate) async fn read_body(response: reqwest::Response) -> Result<bytes::Bytes> {
    read_body_capped(response, SMALL_BODY_LIMIT).await
}

/// Reads an answer body of at most `limit` bytes: a larger one is refused as soon as it
/// passes the limit (a hostile or broken server cannot make the client hold gigabytes).
pub(crate) async fn read_body_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<bytes::Bytes> {
    let too_big = || Error::BadBody {
        expected: "JSON",
        reason: format!("the answer is larger than {} KiB", limit / 1024),
        truncated: false,
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_big());
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| Error::from_reqwest(&e))?
    {
        if body.len() + chunk.len() > limit {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Whether a refusal (403 or 429) is a CDN's block page rather than Garmin's own answer:
/// an HTML page, or JSON that is not an OAuth2 error. Garmin's services answer JSON; the
/// CDN in front of them (Cloudflare) answers an HTML "Access denied" page or its own JSON.
pub fn is_cdn_block(status: u16, body: &[u8]) -> bool {
    if status != 403 && status != 429 {
        return false;
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let start = text.trim_start().to_ascii_lowercase();
    if start.starts_with('<') {
        return true;
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => v.get("error").and_then(|e| e.as_str()).is_none(),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..Default::default()
        };
        for attempt in 1..10 {
            let d = p.backoff(attempt);
            let full =
                Duration::from_millis(100 * 2u64.pow(attempt - 1)).min(Duration::from_millis(1000));
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
        let samples: std::collections::HashSet<_> = (0..20).map(|_| p.backoff(3)).collect();
        assert!(samples.len() > 1, "no jitter");
    }

    #[test]
    fn rate_limit_pause_honours_retry_after_else_doubles_from_base() {
        let p = RetryPolicy::default();
        assert_eq!(p.rate_limit_pause(1, None), Duration::from_secs(30));
        assert_eq!(p.rate_limit_pause(2, None), Duration::from_secs(60));
        assert_eq!(p.rate_limit_pause(20, None), Duration::from_secs(1800));
        assert_eq!(
            p.rate_limit_pause(5, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
    }

    #[test]
    fn parses_retry_after() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(120)).to_rfc2822();
        h.insert(
            reqwest::header::RETRY_AFTER,
            HeaderValue::from_str(&later).unwrap(),
        );
        let d = retry_after(&h).unwrap();
        assert!(d > Duration::from_secs(100) && d <= Duration::from_secs(120));
    }

    /// "1e20" seconds used to panic (`Duration::from_secs_f64` overflows); odd values now
    /// give a wait that every caller can add to an `Instant` and to a date.
    #[test]
    fn odd_retry_after_values_do_not_panic() {
        let year = Duration::from_secs(365 * 86_400);
        for (value, want) in [
            ("1e20", Some(year)),
            ("inf", Some(year)),
            ("18446744073709551616", Some(year)),
            ("-5", None),
            ("NaN", None),
            ("Fri, 31 Dec 9999 23:59:59 GMT", Some(year)),
            ("Mon, 01 Jan 1990 00:00:00 GMT", None),
            ("soon", None),
        ] {
            let mut h = HeaderMap::new();
            h.insert(
                reqwest::header::RETRY_AFTER,
                HeaderValue::from_str(value).unwrap(),
            );
            let got = retry_after(&h);
            assert_eq!(got, want, "{value}");
            if let Some(d) = got {
                let _ = tokio::time::Instant::now() + d;
                let _ = chrono::Utc::now() + chrono::Duration::from_std(d).unwrap();
            }
        }
    }

    #[test]
    fn cdn_block_pages_are_told_from_oauth_errors() {
        assert!(is_cdn_block(
            403,
            b"<!DOCTYPE html><title>Access denied</title>"
        ));
        assert!(is_cdn_block(429, b"  <html>"));
        assert!(is_cdn_block(403, br#"{"code":1020,"message":"blocked"}"#));
        assert!(!is_cdn_block(400, b"<html>"));
        assert!(!is_cdn_block(403, br#"{"error":"invalid_grant"}"#));
    }

    #[test]
    fn basic_auth_has_empty_secret() {
        assert_eq!(basic_auth("ABC"), "Basic QUJDOg==");
    }
}
