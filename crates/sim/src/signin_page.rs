//! The ways Garmin's sign-in page behaved inside embedded browsers in 2026, one variant each,
//! so that the app's sign-in window is tested against every one of them (see
//! `docs/sign-in-window.md`). The JSON endpoints behind the page are the same for all.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// How the simulated sign-in page hands the ticket over (or fails to).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SignInPage {
    /// The page navigates to `<service>?ticket=ST-...` (Garmin's usual behaviour).
    #[default]
    Redirect,
    /// The page goes through a sign-in address of its own that answers with an HTTP
    /// redirect to `<service>?ticket=ST-...`.
    HttpRedirect,
    /// The page opens `<service>?ticket=ST-...` in a new window (`window.open`).
    NewWindow,
    /// The page offers a "Continue" link with `target="_blank"` to the ticket address.
    NewTab,
    /// The ticket only comes in the login's JSON answer; the page never navigates.
    JsonOnly,
    /// After Submit nothing happens: no request, no navigation, a spinner forever.
    Stall,
    /// The CDN's "verify you are human" page that never clears, instead of the form.
    Challenge,
}

impl SignInPage {
    pub const ALL: [SignInPage; 7] = [
        SignInPage::Redirect,
        SignInPage::HttpRedirect,
        SignInPage::NewWindow,
        SignInPage::NewTab,
        SignInPage::JsonOnly,
        SignInPage::Stall,
        SignInPage::Challenge,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SignInPage::Redirect => "redirect",
            SignInPage::HttpRedirect => "http-redirect",
            SignInPage::NewWindow => "new-window",
            SignInPage::NewTab => "new-tab",
            SignInPage::JsonOnly => "json-only",
            SignInPage::Stall => "stall",
            SignInPage::Challenge => "challenge",
        }
    }
}

impl fmt::Display for SignInPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of [`SignInPage::ALL`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownSignInPage(pub String);

impl fmt::Display for UnknownSignInPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = SignInPage::ALL.iter().map(|p| p.name()).collect();
        write!(
            f,
            "unknown sign-in page {:?}: expected one of {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownSignInPage {}

impl FromStr for SignInPage {
    type Err = UnknownSignInPage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        SignInPage::ALL
            .into_iter()
            .find(|p| p.name() == wanted)
            .ok_or_else(|| UnknownSignInPage(s.to_owned()))
    }
}

const FORM: &str = include_str!("pages/sign_in.html");
const CHALLENGE: &str = include_str!("pages/challenge.html");

/// The page's HTML and whether it is the CDN's challenge (served with 403 and
/// `cf-mitigated: challenge`, as Cloudflare does).
pub(crate) fn render(variant: SignInPage, api_base: &str) -> (String, bool) {
    match variant {
        SignInPage::Challenge => (CHALLENGE.to_owned(), true),
        other => (
            FORM.replace("{{API_BASE}}", api_base)
                .replace("{{VARIANT}}", other.name()),
            false,
        ),
    }
}

/// `GET /sso/embed/continue?service=S&ticket=T`: the [`SignInPage::HttpRedirect`] page's
/// stop on the way out, a 302 to `S?ticket=T` (only for a well-formed ticket and an http(s)
/// service: the simulator is no open redirect).
pub(crate) fn continue_location(service: &str, ticket: &str) -> Option<String> {
    let scheme_ok = service.starts_with("https://") || service.starts_with("http://");
    let ticket_ok = ticket.starts_with("ST-")
        && ticket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !scheme_ok || !ticket_ok {
        return None;
    }
    let sep = if service.contains('?') { '&' } else { '?' };
    Some(format!("{service}{sep}ticket={ticket}"))
}

/// Makes `response` the CDN's challenge answer: 403 and the header by which Cloudflare
/// marks a challenge (a browser shows the page; a program sees the status).
pub(crate) fn as_challenge(response: &mut Response) {
    *response.status_mut() = StatusCode::FORBIDDEN;
    let headers = response.headers_mut();
    headers.insert("cf-mitigated", HeaderValue::from_static("challenge"));
    headers.insert(header::SERVER, HeaderValue::from_static("cloudflare"));
}

pub(crate) async fn continue_to_service(Query(q): Query<HashMap<String, String>>) -> Response {
    let service = q.get("service").map(String::as_str).unwrap_or_default();
    let ticket = q.get("ticket").map(String::as_str).unwrap_or_default();
    match continue_location(service, ticket) {
        Some(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        None => (StatusCode::BAD_REQUEST, "service and ticket are required").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips_through_its_name() {
        for p in SignInPage::ALL {
            assert_eq!(p.name().parse::<SignInPage>(), Ok(p));
        }
        assert_eq!("JSON_ONLY".parse::<SignInPage>(), Ok(SignInPage::JsonOnly));
        let err = "popup".parse::<SignInPage>().unwrap_err().to_string();
        assert!(err.contains("popup") && err.contains("new-window"), "{err}");
    }

    #[test]
    fn the_form_knows_its_variant_and_the_challenge_has_no_form() {
        let (html, challenge) = render(SignInPage::NewWindow, "/mobile/api");
        assert!(!challenge);
        assert!(html.contains(r#"var VARIANT = "new-window";"#));
        assert!(html.contains(r#"var API = "/mobile/api";"#));
        let (html, challenge) = render(SignInPage::Challenge, "/mobile/api");
        assert!(challenge);
        assert!(html.contains("Just a moment") && !html.contains("id=\"password\""));
    }

    #[test]
    fn continue_redirects_only_to_web_services_with_a_ticket() {
        assert_eq!(
            continue_location("https://x.example/app", "ST-1-ab-sso").as_deref(),
            Some("https://x.example/app?ticket=ST-1-ab-sso")
        );
        assert_eq!(
            continue_location("https://x.example/app?a=1", "ST-1").as_deref(),
            Some("https://x.example/app?a=1&ticket=ST-1")
        );
        assert_eq!(continue_location("javascript:alert(1)", "ST-1"), None);
        assert_eq!(continue_location("https://x.example/", "ST-1&x=<b>"), None);
        assert_eq!(continue_location("https://x.example/", "TGT-1"), None);
    }
}
