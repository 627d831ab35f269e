//! A diagnostic report of one sign-in (and, from `gcexport doctor`, one list call): what a
//! user attaches to an issue when Garmin changes again (docs/signin.md).
//!
//! Secret-free by construction: a step holds a fixed step name, a client id (public
//! configuration), an HTTP status, two CDN markers filtered to a short, safe alphabet, a
//! duration, and a note picked from fixed texts or an error *kind*. No field can hold a
//! body, a URL with its query, a header other than the two markers, or an error message.

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::header::HeaderMap;

use crate::error::ErrorKind;
use crate::profile::EndpointProfile;

/// What one step of a sign-in was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// Saved tokens looked for (no request).
    Resume,
    /// The sign-in page, loaded for its cookies before the JSON login.
    PageLoad,
    /// The credential POST of the mobile JSON login.
    Login,
    /// The verification-code POST.
    Mfa,
    /// A service ticket came (from a login, a code, the app's window or `--ticket`).
    Ticket,
    /// A ticket exchanged for tokens with one client id.
    Exchange,
    /// `socialProfile` with a new (or resumed) token.
    TokenCheck,
    /// One page of the activity list.
    ListCall,
    /// Where the sign-in was kept (keyring, file, memory).
    Store,
}

impl StepKind {
    fn label(self) -> &'static str {
        match self {
            StepKind::Resume => "saved sign-in",
            StepKind::PageLoad => "sign-in page",
            StepKind::Login => "login",
            StepKind::Mfa => "verification code",
            StepKind::Ticket => "ticket",
            StepKind::Exchange => "exchange",
            StepKind::TokenCheck => "token check",
            StepKind::ListCall => "list call",
            StepKind::Store => "keep sign-in",
        }
    }
}

/// How a step ended, in words chosen here (never text from an answer or an error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
    Ok,
    /// A fixed explanation.
    Said(&'static str),
    /// The error kind it failed with.
    Failed(ErrorKind),
}

/// One step: everything in it is safe to paste into a public issue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub kind: StepKind,
    pub client_id: Option<String>,
    pub status: Option<u16>,
    /// The `server` header (e.g. `cloudflare`), when it is a short plain word.
    pub server: Option<String>,
    /// Cloudflare's `cf-ray` id (hex, then the data centre).
    pub cf_ray: Option<String>,
    pub millis: u64,
    pub note: Note,
}

/// The report of the last sign-in.
#[derive(Clone, Debug)]
pub struct DiagnosticReport {
    pub app: String,
    pub version: String,
    pub os: &'static str,
    pub arch: &'static str,
    pub started: DateTime<Utc>,
    /// `Garmin's own` or the three origins of a custom profile (scheme, host, port).
    pub endpoints: String,
    pub steps: Vec<Step>,
    pub outcome: Option<Note>,
}

impl DiagnosticReport {
    pub fn new(app: &str, version: &str, profile: &EndpointProfile) -> Self {
        DiagnosticReport {
            app: safe_word(app, 60).unwrap_or_default(),
            version: safe_word(version, 40).unwrap_or_default(),
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
            started: Utc::now(),
            endpoints: endpoints(profile),
            steps: Vec::new(),
            outcome: None,
        }
    }

    /// The text a user copies.
    pub fn text(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for DiagnosticReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} diagnostic report", self.app)?;
        writeln!(
            f,
            "version {} on {} {}, {}",
            self.version,
            self.os,
            self.arch,
            self.started.to_rfc3339_opts(SecondsFormat::Secs, true)
        )?;
        writeln!(f, "endpoints: {}", self.endpoints)?;
        for (n, s) in self.steps.iter().enumerate() {
            let mut line = format!("{:>2}. {:<17}", n + 1, s.kind.label());
            if let Some(id) = &s.client_id {
                let _ = write!(line, " [{id}]");
            }
            match s.status {
                Some(code) => {
                    let _ = write!(line, " HTTP {code}");
                }
                None => line.push_str(" -"),
            }
            let _ = write!(line, " {} ms", s.millis);
            if let Some(server) = &s.server {
                let _ = write!(line, " server={server}");
            }
            if let Some(ray) = &s.cf_ray {
                let _ = write!(line, " cf-ray={ray}");
            }
            let _ = write!(line, ": {}", NoteText(s.note));
            writeln!(f, "{line}")?;
        }
        match self.outcome {
            None => writeln!(f, "outcome: unfinished"),
            Some(note) => writeln!(f, "outcome: {}", NoteText(note)),
        }
    }
}

struct NoteText(Note);

impl fmt::Display for NoteText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Note::Ok => f.write_str("ok"),
            Note::Said(text) => f.write_str(text),
            Note::Failed(kind) => {
                let name = serde_json::to_value(kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "error".into());
                write!(f, "failed ({name})")
            }
        }
    }
}

/// A shared recorder: the sign-in, the policy and the doctor write into the same report.
#[derive(Clone, Debug)]
pub struct Diagnostics {
    report: Arc<Mutex<DiagnosticReport>>,
}

/// What a response showed of itself: its status and the CDN's markers, nothing else.
#[derive(Clone, Debug, Default)]
pub struct Markers {
    pub status: Option<u16>,
    pub server: Option<String>,
    pub cf_ray: Option<String>,
}

impl Markers {
    pub fn of(status: u16, headers: &HeaderMap) -> Markers {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        Markers {
            status: Some(status),
            server: header("server").and_then(|v| safe_word(v, 40)),
            cf_ray: header("cf-ray").and_then(safe_ray),
        }
    }
}

impl Diagnostics {
    pub fn new(app: &str, version: &str, profile: &EndpointProfile) -> Self {
        Diagnostics {
            report: Arc::new(Mutex::new(DiagnosticReport::new(app, version, profile))),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut DiagnosticReport) -> T) -> T {
        match self.report.lock() {
            Ok(mut r) => f(&mut r),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Records one step.
    pub fn step(
        &self,
        kind: StepKind,
        client_id: Option<&str>,
        markers: Markers,
        started: Instant,
        note: Note,
    ) {
        let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.with(|r| {
            r.steps.push(Step {
                kind,
                client_id: client_id.and_then(|id| safe_word(id, 80)),
                status: markers.status,
                server: markers.server,
                cf_ray: markers.cf_ray,
                millis,
                note,
            });
        });
    }

    /// Records a step without a request.
    pub fn note(&self, kind: StepKind, note: Note) {
        self.step(kind, None, Markers::default(), Instant::now(), note);
    }

    pub fn finish(&self, outcome: Note) {
        self.with(|r| r.outcome = Some(outcome));
    }

    pub fn report(&self) -> DiagnosticReport {
        self.with(|r| r.clone())
    }

    /// The time since the report began.
    pub fn elapsed(&self) -> Duration {
        self.with(|r| (Utc::now() - r.started).to_std().unwrap_or_default())
    }
}

/// A header value kept only if it is a short run of letters, digits and `.-_/ ()`:
/// `cloudflare`, `nginx/1.25`, a version number.
fn safe_word(text: &str, max: usize) -> Option<String> {
    let text = text.trim();
    let ok = !text.is_empty()
        && text.len() <= max
        && text.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | ' ' | '(' | ')')
        });
    ok.then(|| text.to_owned())
}

/// `8f2b1c3d4e5a6b7c-AMS`: hex, then optionally a dash and a data-centre code.
fn safe_ray(text: &str) -> Option<String> {
    let text = text.trim();
    let (id, place) = match text.split_once('-') {
        Some((id, place)) => (id, Some(place)),
        None => (text, None),
    };
    let id_ok = (8..=32).contains(&id.len()) && id.chars().all(|c| c.is_ascii_hexdigit());
    let place_ok = place
        .is_none_or(|p| (2..=5).contains(&p.len()) && p.chars().all(|c| c.is_ascii_uppercase()));
    (id_ok && place_ok).then(|| text.to_owned())
}

fn endpoints(profile: &EndpointProfile) -> String {
    if *profile == EndpointProfile::default() {
        return "Garmin's own".into();
    }
    let origin = |url: &str| match reqwest::Url::parse(url) {
        Ok(u) => u.origin().ascii_serialization(),
        Err(_) => "(not a URL)".into(),
    };
    format!(
        "custom profile: sso {} diauth {} api {}; {} client ids",
        origin(&profile.sso_url),
        origin(&profile.diauth_url),
        origin(&profile.api_url),
        profile.client_ids.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_keep_only_safe_values() {
        let mut h = HeaderMap::new();
        h.insert("server", "cloudflare".parse().unwrap());
        h.insert("cf-ray", "8f2b1c3d4e5a6b7c-AMS".parse().unwrap());
        let m = Markers::of(403, &h);
        assert_eq!(m.server.as_deref(), Some("cloudflare"));
        assert_eq!(m.cf_ray.as_deref(), Some("8f2b1c3d4e5a6b7c-AMS"));
        h.insert("server", "x; SESSION=abc=def".parse().unwrap());
        h.insert("cf-ray", "ST-123-abc-sso".parse().unwrap());
        let m = Markers::of(200, &h);
        assert_eq!(m.server, None);
        assert_eq!(m.cf_ray, None);
    }

    #[test]
    fn the_text_names_each_step() {
        let d = Diagnostics::new("gcexport", "1.0", &EndpointProfile::default());
        d.step(
            StepKind::Exchange,
            Some("ID_A"),
            Markers {
                status: Some(401),
                ..Markers::default()
            },
            Instant::now(),
            Note::Failed(ErrorKind::TicketRejected),
        );
        d.finish(Note::Said("signed in"));
        let text = d.report().text();
        assert!(text.contains("exchange"), "{text}");
        assert!(text.contains("[ID_A] HTTP 401"), "{text}");
        assert!(text.contains("failed (ticket_rejected)"), "{text}");
        assert!(text.contains("endpoints: Garmin's own"), "{text}");
        assert!(text.contains("outcome: signed in"), "{text}");
    }
}
