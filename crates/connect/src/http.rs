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

/// `Retry-After` as seconds or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    (date.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
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

/// Reads a whole (small) answer body; a broken read is a network error.
pub(crate) async fn read_body(response: reqwest::Response) -> Result<bytes::Bytes> {
    response.bytes().await.map_err(|e| Error::from_reqwest(&e))
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

    #[test]
    fn basic_auth_has_empty_secret() {
        assert_eq!(basic_auth("ABC"), "Basic QUJDOg==");
    }
}
