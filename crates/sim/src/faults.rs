//! Fault injection: the network and the CDN misbehaving on purpose, reproducibly.
//!
//! A spec is rules separated by `;`, each `kind[:key=value,...]`. Probabilistic decisions
//! hash (seed, rule index, request target, n-th request to that target) instead of drawing
//! from a shared generator, so the same requests get the same faults whatever order
//! concurrent clients happen to send them in.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A set of fault rules. `Faults::default()` is the same as `Faults::none()`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    rules: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq)]
struct Rule {
    kind: Kind,
    trigger: Trigger,
    /// Empty means the default scope (api + download).
    scopes: Vec<Scope>,
}

#[derive(Clone, Debug, PartialEq)]
enum Trigger {
    Always,
    Probability(f64),
    First(u64),
    Every(u64),
}

#[derive(Clone, Debug, PartialEq)]
enum Scope {
    Any,
    Sso,
    Auth,
    Api,
    List,
    Details,
    Download,
    Prefix(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RateBody {
    Html,
    Json,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Latency {
        ms: u64,
        jitter: u64,
    },
    Bandwidth {
        bps: u64,
    },
    TooMany {
        body: RateBody,
        retry_after: Option<u64>,
        burst: u64,
        /// 429, or 403: the CDN's block page with another status (as Cloudflare answers
        /// a client it bans), e.g. `429:status=403,on=auth` on the token endpoint.
        status: u16,
    },
    /// The CDN blocking the client: Cloudflare's "Access denied" page, or a JSON refusal.
    Forbidden {
        body: RateBody,
    },
    ServerError {
        status: u16,
    },
    Reset {
        at: f64,
    },
    Truncate {
        wrong_length: bool,
        at: f64,
    },
    Drip {
        chunk: usize,
        every_ms: u64,
    },
    Inactive,
    Stall {
        ms: u64,
    },
    /// A 200 whose body is not what was asked: a page or an error document instead of the
    /// file, as CDNs and maintenance modes answer.
    WrongBody {
        json: bool,
    },
    /// An original whose upload was damaged (a watch that crashed while saving): the ZIP is
    /// whole, but the FIT inside keeps only its first `at` fraction.
    Damage {
        at: f64,
    },
    /// Cloudflare's "verify you are human" page (a 403 marked `cf-mitigated: challenge`),
    /// which only a person in a browser passes.
    Challenge,
}

impl Kind {
    fn name(&self) -> &'static str {
        match self {
            Kind::Latency { .. } => "latency",
            Kind::Bandwidth { .. } => "bandwidth",
            Kind::TooMany { .. } => "429",
            Kind::Forbidden { .. } => "403",
            Kind::ServerError { .. } => "5xx",
            Kind::Reset { .. } => "reset",
            Kind::Truncate { .. } => "truncate",
            Kind::Drip { .. } => "drip",
            Kind::Inactive => "inactive",
            Kind::Stall { .. } => "stall",
            Kind::WrongBody { .. } => "wrongbody",
            Kind::Damage { .. } => "damage",
            Kind::Challenge => "challenge",
        }
    }

    /// Outcomes replace or break the response; at most one applies to a request. The
    /// others (delays, pacing) stack.
    fn is_outcome(&self) -> bool {
        matches!(
            self,
            Kind::TooMany { .. }
                | Kind::Forbidden { .. }
                | Kind::ServerError { .. }
                | Kind::Reset { .. }
                | Kind::Truncate { .. }
                | Kind::Inactive
                | Kind::WrongBody { .. }
                | Kind::Damage { .. }
                | Kind::Challenge
        )
    }
}

/// Why a fault spec was refused; the message names the offending part.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FaultSpecError {
    #[error(
        "fault rule `{rule}`: unknown kind `{kind}` (known: latency, bandwidth, 429, 403, 5xx, reset, truncate, drip, inactive, stall, wrongbody, damage, challenge)"
    )]
    UnknownKind { rule: String, kind: String },
    #[error("fault rule `{rule}`: unknown key `{key}` for `{kind}` (allowed: {allowed})")]
    UnknownKey {
        rule: String,
        kind: String,
        key: String,
        allowed: String,
    },
    #[error("fault rule `{rule}`: bad value `{value}` for `{key}`: {reason}")]
    BadValue {
        rule: String,
        key: String,
        value: String,
        reason: String,
    },
    #[error("fault rule `{rule}`: {reason}")]
    Malformed { rule: String, reason: String },
}

const COMMON_KEYS: [&str; 4] = ["p", "first", "every", "on"];

fn kind_keys(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "latency" => &["ms", "jitter"],
        "bandwidth" => &["bps"],
        "429" => &["body", "retry-after", "burst", "status"],
        "403" => &["body"],
        "5xx" => &["status"],
        "reset" => &["at"],
        "truncate" => &["length", "at"],
        "drip" => &["chunk", "every-ms"],
        "inactive" => &[],
        "stall" => &["ms"],
        "wrongbody" => &["as"],
        "damage" => &["at"],
        "challenge" => &[],
        _ => return None,
    })
}

impl Faults {
    /// No faults at all.
    pub fn none() -> Faults {
        Faults::default()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Parses `kind[:key=value,...][;...]`, e.g. `429:p=0.1,retry-after=2;latency:ms=50`.
    pub fn parse(spec: &str) -> Result<Faults, FaultSpecError> {
        let mut rules = Vec::new();
        for raw in spec.split(';') {
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            rules.push(parse_rule(raw)?);
        }
        Ok(Faults { rules })
    }

    /// Both rule sets, `self`'s first (order matters: the first outcome that fires wins).
    pub fn and(mut self, other: Faults) -> Faults {
        self.rules.extend(other.rules);
        self
    }
}

impl FromStr for Faults {
    type Err = FaultSpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Faults::parse(s)
    }
}

fn parse_rule(raw: &str) -> Result<Rule, FaultSpecError> {
    let (kind_name, params) = match raw.split_once(':') {
        Some((k, p)) => (k.trim(), p.trim()),
        None => (raw, ""),
    };
    let Some(allowed) = kind_keys(kind_name) else {
        return Err(FaultSpecError::UnknownKind {
            rule: raw.to_owned(),
            kind: kind_name.to_owned(),
        });
    };
    let mut values: HashMap<&str, &str> = HashMap::new();
    for pair in params.split(',') {
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        let Some((key, value)) = pair.split_once('=') else {
            return Err(FaultSpecError::Malformed {
                rule: raw.to_owned(),
                reason: format!("`{pair}` is not key=value"),
            });
        };
        let (key, value) = (key.trim(), value.trim());
        if !allowed.contains(&key) && !COMMON_KEYS.contains(&key) {
            let mut all: Vec<&str> = allowed.to_vec();
            all.extend(COMMON_KEYS);
            return Err(FaultSpecError::UnknownKey {
                rule: raw.to_owned(),
                kind: kind_name.to_owned(),
                key: key.to_owned(),
                allowed: all.join(", "),
            });
        }
        if values.insert(key, value).is_some() {
            return Err(FaultSpecError::Malformed {
                rule: raw.to_owned(),
                reason: format!("`{key}` given twice"),
            });
        }
    }
    let p = Params { rule: raw, values };

    let trigger = match (p.get("p"), p.get("first"), p.get("every")) {
        (None, None, None) => Trigger::Always,
        (Some(_), None, None) => {
            let v = p.float("p", 1.0)?;
            if !(0.0..=1.0).contains(&v) {
                return Err(p.bad("p", "a probability is between 0 and 1"));
            }
            Trigger::Probability(v)
        }
        (None, Some(_), None) => Trigger::First(p.int("first", 0)?),
        (None, None, Some(_)) => {
            let v = p.int("every", 1)?;
            if v == 0 {
                return Err(p.bad("every", "must be at least 1"));
            }
            Trigger::Every(v)
        }
        _ => {
            return Err(FaultSpecError::Malformed {
                rule: raw.to_owned(),
                reason: "give at most one of p, first, every".to_owned(),
            });
        }
    };

    let mut scopes = Vec::new();
    if let Some(on) = p.get("on") {
        for part in on.split('|') {
            scopes.push(match part.trim() {
                "any" => Scope::Any,
                "sso" => Scope::Sso,
                "auth" => Scope::Auth,
                "api" => Scope::Api,
                "list" => Scope::List,
                "details" => Scope::Details,
                "download" => Scope::Download,
                prefix if prefix.starts_with('/') => Scope::Prefix(prefix.to_owned()),
                _ => {
                    return Err(p.bad(
                        "on",
                        "expected any, sso, auth, api, list, details, download or a path starting with /",
                    ));
                }
            });
        }
    }

    let at = |p: &Params| -> Result<f64, FaultSpecError> {
        let v = p.float("at", 0.5)?;
        if !(0.0..=1.0).contains(&v) {
            return Err(p.bad("at", "a fraction of the body is between 0 and 1"));
        }
        Ok(v)
    };

    let kind = match kind_name {
        "latency" => Kind::Latency {
            ms: p.required_int("ms")?,
            jitter: p.int("jitter", 0)?,
        },
        "bandwidth" => {
            let bps = p.required_int("bps")?;
            if bps == 0 {
                return Err(p.bad("bps", "must be at least 1"));
            }
            Kind::Bandwidth { bps }
        }
        "429" => {
            let body = match p.get("body").unwrap_or("html") {
                "html" => RateBody::Html,
                "json" => RateBody::Json,
                _ => return Err(p.bad("body", "expected html or json")),
            };
            let retry_after = match p.get("retry-after") {
                Some(_) => Some(p.int("retry-after", 0)?),
                None => None,
            };
            let burst = p.int("burst", 1)?;
            if burst == 0 {
                return Err(p.bad("burst", "must be at least 1"));
            }
            let status = p.int("status", 429)?;
            if status != 429 && status != 403 {
                return Err(p.bad("status", "expected 429 or 403"));
            }
            Kind::TooMany {
                body,
                retry_after,
                burst,
                status: status as u16,
            }
        }
        "403" => Kind::Forbidden {
            body: match p.get("body").unwrap_or("html") {
                "html" => RateBody::Html,
                "json" => RateBody::Json,
                _ => return Err(p.bad("body", "expected html or json")),
            },
        },
        "5xx" => {
            let status = p.int("status", 503)?;
            if !(500..=599).contains(&status) {
                return Err(p.bad("status", "expected a status from 500 to 599"));
            }
            Kind::ServerError {
                status: status as u16,
            }
        }
        "reset" => Kind::Reset { at: at(&p)? },
        "truncate" => Kind::Truncate {
            wrong_length: match p.get("length").unwrap_or("wrong") {
                "wrong" => true,
                "correct" => false,
                _ => return Err(p.bad("length", "expected correct or wrong")),
            },
            at: at(&p)?,
        },
        "drip" => {
            let chunk = p.int("chunk", 256)?;
            if chunk == 0 {
                return Err(p.bad("chunk", "must be at least 1"));
            }
            Kind::Drip {
                chunk: usize::try_from(chunk).unwrap_or(usize::MAX),
                every_ms: p.int("every-ms", 5)?,
            }
        }
        "inactive" => Kind::Inactive,
        "stall" => Kind::Stall {
            ms: p.int("ms", 600_000)?,
        },
        "damage" => Kind::Damage { at: at(&p)? },
        "challenge" => Kind::Challenge,
        "wrongbody" => Kind::WrongBody {
            json: match p.get("as").unwrap_or("html") {
                "html" => false,
                "json" => true,
                _ => return Err(p.bad("as", "expected html or json")),
            },
        },
        _ => {
            return Err(FaultSpecError::UnknownKind {
                rule: raw.to_owned(),
                kind: kind_name.to_owned(),
            });
        }
    };
    Ok(Rule {
        kind,
        trigger,
        scopes,
    })
}

struct Params<'a> {
    rule: &'a str,
    values: HashMap<&'a str, &'a str>,
}

impl Params<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).copied()
    }

    fn bad(&self, key: &str, reason: &str) -> FaultSpecError {
        FaultSpecError::BadValue {
            rule: self.rule.to_owned(),
            key: key.to_owned(),
            value: self.get(key).unwrap_or_default().to_owned(),
            reason: reason.to_owned(),
        }
    }

    fn int(&self, key: &str, default: u64) -> Result<u64, FaultSpecError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| self.bad(key, "expected a whole number")),
        }
    }

    fn required_int(&self, key: &str) -> Result<u64, FaultSpecError> {
        if self.get(key).is_none() {
            return Err(FaultSpecError::Malformed {
                rule: self.rule.to_owned(),
                reason: format!("`{key}` is required"),
            });
        }
        self.int(key, 0)
    }

    fn float(&self, key: &str, default: f64) -> Result<f64, FaultSpecError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => match v.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(f),
                _ => Err(self.bad(key, "expected a number")),
            },
        }
    }
}

impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, rule) in self.rules.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            let mut params: Vec<String> = match &rule.kind {
                Kind::Latency { ms, jitter } => {
                    vec![format!("ms={ms}"), format!("jitter={jitter}")]
                }
                Kind::Bandwidth { bps } => vec![format!("bps={bps}")],
                Kind::TooMany {
                    body,
                    retry_after,
                    burst,
                    status,
                } => {
                    let mut v = vec![format!(
                        "body={}",
                        if *body == RateBody::Html {
                            "html"
                        } else {
                            "json"
                        }
                    )];
                    if let Some(s) = retry_after {
                        v.push(format!("retry-after={s}"));
                    }
                    v.push(format!("burst={burst}"));
                    if *status != 429 {
                        v.push(format!("status={status}"));
                    }
                    v
                }
                Kind::Forbidden { body } => vec![format!(
                    "body={}",
                    if *body == RateBody::Html {
                        "html"
                    } else {
                        "json"
                    }
                )],
                Kind::ServerError { status } => vec![format!("status={status}")],
                Kind::Reset { at } | Kind::Damage { at } => vec![format!("at={at}")],
                Kind::Truncate { wrong_length, at } => vec![
                    format!("length={}", if *wrong_length { "wrong" } else { "correct" }),
                    format!("at={at}"),
                ],
                Kind::Drip { chunk, every_ms } => {
                    vec![format!("chunk={chunk}"), format!("every-ms={every_ms}")]
                }
                Kind::Inactive | Kind::Challenge => Vec::new(),
                Kind::Stall { ms } => vec![format!("ms={ms}")],
                Kind::WrongBody { json } => {
                    vec![format!("as={}", if *json { "json" } else { "html" })]
                }
            };
            match rule.trigger {
                Trigger::Always => {}
                Trigger::Probability(p) => params.push(format!("p={p}")),
                Trigger::First(n) => params.push(format!("first={n}")),
                Trigger::Every(n) => params.push(format!("every={n}")),
            }
            if !rule.scopes.is_empty() {
                let on: Vec<String> = rule
                    .scopes
                    .iter()
                    .map(|s| match s {
                        Scope::Any => "any".to_owned(),
                        Scope::Sso => "sso".to_owned(),
                        Scope::Auth => "auth".to_owned(),
                        Scope::Api => "api".to_owned(),
                        Scope::List => "list".to_owned(),
                        Scope::Details => "details".to_owned(),
                        Scope::Download => "download".to_owned(),
                        Scope::Prefix(p) => p.clone(),
                    })
                    .collect();
                params.push(format!("on={}", on.join("|")));
            }
            f.write_str(rule.kind.name())?;
            if !params.is_empty() {
                write!(f, ":{}", params.join(","))?;
            }
        }
        Ok(())
    }
}

// ---- applying the rules -------------------------------------------------------------

const API_PREFIXES: [&str; 8] = [
    "/userprofile-service/",
    "/activitylist-service/",
    "/activity-service/",
    "/userstats-service/",
    "/web-translations/",
    "/device-service/",
    "/gear-service/",
    "/download-service/",
];

fn scope_matches(scope: &Scope, path: &str) -> bool {
    match scope {
        Scope::Any => true,
        Scope::Sso => path.starts_with("/mobile/") || path.starts_with("/portal/"),
        Scope::Auth => path.starts_with("/di-oauth2-service/"),
        Scope::Api => {
            !path.starts_with("/download-service/")
                && API_PREFIXES.iter().any(|p| path.starts_with(p))
        }
        Scope::List => path.starts_with("/activitylist-service/activities/search/"),
        Scope::Details => path.starts_with("/activity-service/activity/"),
        Scope::Download => path.starts_with("/download-service/"),
        Scope::Prefix(p) => path.starts_with(p.as_str()),
    }
}

/// What happens to one response instead of, or on top of, the normal answer.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Outcome {
    TooMany {
        json: bool,
        retry_after: Option<u64>,
        status: u16,
    },
    Forbidden {
        json: bool,
    },
    Status(u16),
    Inactive,
    WrongBody {
        json: bool,
    },
    Reset {
        at: f64,
    },
    Truncate {
        wrong_length: bool,
        at: f64,
    },
    Damage {
        at: f64,
    },
    Challenge,
}

/// How the body is paced: `chunk` bytes, then a pause of `every`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Pacing {
    pub chunk: usize,
    pub every: Duration,
}

#[derive(Debug, Default)]
pub(crate) struct Decision {
    pub delay: Duration,
    pub outcome: Option<Outcome>,
    pub pacing: Option<Pacing>,
    /// Kinds applied, for the stats.
    pub injected: Vec<&'static str>,
}

/// The rules plus the counters they need at run time.
pub(crate) struct FaultEngine {
    faults: Faults,
    seed: u64,
    matched: Vec<AtomicU64>,
    burst_left: Vec<AtomicU64>,
    /// n-th request to each target, keyed by a hash of the target to stay small.
    per_target: Mutex<HashMap<u64, u64>>,
}

impl FaultEngine {
    pub fn new(faults: Faults, seed: u64) -> FaultEngine {
        let n = faults.rules.len();
        FaultEngine {
            faults,
            seed,
            matched: (0..n).map(|_| AtomicU64::new(0)).collect(),
            burst_left: (0..n).map(|_| AtomicU64::new(0)).collect(),
            per_target: Mutex::new(HashMap::new()),
        }
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// `path` decides scope; `target` (path and query) identifies the request for hashing.
    pub fn decide(&self, path: &str, target: &str) -> Decision {
        let mut decision = Decision::default();
        if self.faults.rules.is_empty() {
            return decision;
        }
        let target_hash = fnv1a(target.as_bytes());
        let nth = match self.per_target.lock() {
            Ok(mut map) => {
                let n = map.entry(target_hash).or_insert(0);
                *n += 1;
                *n
            }
            Err(_) => 0,
        };
        let mut pacing_chunk: Option<usize> = None;
        let mut pacing_every = Duration::ZERO;
        let mut bps: Option<u64> = None;
        for (i, rule) in self.faults.rules.iter().enumerate() {
            let in_scope = if rule.scopes.is_empty() {
                scope_matches(&Scope::Api, path) || scope_matches(&Scope::Download, path)
            } else {
                rule.scopes.iter().any(|s| scope_matches(s, path))
            };
            if !in_scope {
                continue;
            }
            let m = self.matched[i].fetch_add(1, Ordering::Relaxed) + 1;
            let roll = mix(self.seed, i as u64, target_hash, nth);
            let natural = match rule.trigger {
                Trigger::Always => true,
                Trigger::Probability(p) => unit(roll) < p,
                Trigger::First(n) => m <= n,
                Trigger::Every(n) => m.is_multiple_of(n),
            };
            if rule.kind.is_outcome() && decision.outcome.is_some() {
                continue;
            }
            let mut in_burst = false;
            if let Kind::TooMany { .. } = rule.kind {
                in_burst = self.burst_left[i]
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                        left.checked_sub(1)
                    })
                    .is_ok();
            }
            if !natural && !in_burst {
                continue;
            }
            decision.injected.push(rule.kind.name());
            match &rule.kind {
                Kind::Latency { ms, jitter } => {
                    let spread = if *jitter == 0 {
                        0
                    } else {
                        // Uniform in [-jitter, +jitter], from the same reproducible roll.
                        (mix(roll, 1, 2, 3) % (2 * jitter + 1)) as i64 - *jitter as i64
                    };
                    let ms = (*ms as i64 + spread).max(0) as u64;
                    decision.delay += Duration::from_millis(ms);
                }
                Kind::Stall { ms } => decision.delay += Duration::from_millis(*ms),
                Kind::Bandwidth { bps: b } => {
                    bps = Some(bps.map_or(*b, |old: u64| old.min(*b)));
                }
                Kind::Drip { chunk, every_ms } => {
                    pacing_chunk = Some(pacing_chunk.map_or(*chunk, |c: usize| c.min(*chunk)));
                    pacing_every = pacing_every.max(Duration::from_millis(*every_ms));
                }
                Kind::TooMany {
                    body,
                    retry_after,
                    burst,
                    status,
                } => {
                    // A 429 that starts a burst (rather than continuing one) arms it.
                    if !in_burst && *burst > 1 {
                        self.burst_left[i].store(burst - 1, Ordering::Relaxed);
                    }
                    decision.outcome = Some(Outcome::TooMany {
                        json: *body == RateBody::Json,
                        retry_after: *retry_after,
                        status: *status,
                    });
                }
                Kind::Forbidden { body } => {
                    decision.outcome = Some(Outcome::Forbidden {
                        json: *body == RateBody::Json,
                    })
                }
                Kind::ServerError { status } => decision.outcome = Some(Outcome::Status(*status)),
                Kind::Inactive => decision.outcome = Some(Outcome::Inactive),
                Kind::WrongBody { json } => {
                    decision.outcome = Some(Outcome::WrongBody { json: *json })
                }
                Kind::Reset { at } => decision.outcome = Some(Outcome::Reset { at: *at }),
                Kind::Damage { at } => decision.outcome = Some(Outcome::Damage { at: *at }),
                Kind::Challenge => decision.outcome = Some(Outcome::Challenge),
                Kind::Truncate { wrong_length, at } => {
                    decision.outcome = Some(Outcome::Truncate {
                        wrong_length: *wrong_length,
                        at: *at,
                    })
                }
            }
        }
        if let Some(bps) = bps {
            // Small slices (about 20 a second) keep the rate smooth instead of bursty.
            let chunk = pacing_chunk.unwrap_or_else(|| (bps / 20).clamp(1, 64 * 1024) as usize);
            let for_rate = Duration::from_secs_f64(chunk as f64 / bps as f64);
            decision.pacing = Some(Pacing {
                chunk,
                every: pacing_every.max(for_rate),
            });
        } else if let Some(chunk) = pacing_chunk {
            decision.pacing = Some(Pacing {
                chunk,
                every: pacing_every,
            });
        }
        decision
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn mix(a: u64, b: u64, c: u64, d: u64) -> u64 {
    splitmix(splitmix(splitmix(splitmix(a) ^ b) ^ c) ^ d)
}

fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_and_round_trips() {
        let spec = "latency:ms=50,jitter=20;bandwidth:bps=200000;429:body=json,retry-after=3,burst=2,p=0.5;429:status=403,on=auth;5xx:status=500,first=2;reset:at=0.25,on=download;truncate:length=correct,at=0.5,every=3;drip:chunk=64,every-ms=2,on=/activity-service/|list;inactive:on=api;stall:ms=1000,on=auth;damage:at=0.6,on=/download-service/files/activity;challenge:on=sso|auth";
        let faults = Faults::parse(spec).unwrap();
        assert_eq!(faults.rules.len(), 12);
        let again = Faults::parse(&faults.to_string()).unwrap();
        assert_eq!(faults, again);
    }

    #[test]
    fn errors_name_the_bad_part() {
        let e = Faults::parse("latency:ms=5;boom:x=1").unwrap_err();
        assert!(e.to_string().contains("`boom`"), "{e}");
        let e = Faults::parse("429:body=xml").unwrap_err();
        assert!(e.to_string().contains("`xml`"), "{e}");
        let e = Faults::parse("5xx:colour=red").unwrap_err();
        assert!(e.to_string().contains("`colour`"), "{e}");
        assert!(Faults::parse("latency").is_err());
        assert!(Faults::parse("5xx:p=0.1,first=2").is_err());
        assert!(Faults::parse("5xx:on=nowhere").is_err());
        assert!(Faults::parse("").unwrap().is_empty());
    }

    #[test]
    fn probabilistic_decisions_depend_on_the_target_not_the_order() {
        let faults = Faults::parse("5xx:p=0.5").unwrap();
        let targets: Vec<String> = (0..200)
            .map(|i| format!("/activity-service/activity/{i}"))
            .collect();
        let a = FaultEngine::new(faults.clone(), 7);
        let b = FaultEngine::new(faults, 7);
        let forward: Vec<bool> = targets
            .iter()
            .map(|t| a.decide(t, t).outcome.is_some())
            .collect();
        let mut backward: Vec<bool> = targets
            .iter()
            .rev()
            .map(|t| b.decide(t, t).outcome.is_some())
            .collect();
        backward.reverse();
        assert_eq!(forward, backward);
        let hits = forward.iter().filter(|x| **x).count();
        assert!((60..140).contains(&hits), "{hits}");
    }

    #[test]
    fn a_403_block_takes_the_usual_keys() {
        let faults = Faults::parse("403:body=json,p=0.5,on=download;403:first=2").unwrap();
        assert_eq!(faults.rules.len(), 2);
        assert_eq!(Faults::parse(&faults.to_string()).unwrap(), faults);
        assert!(faults.to_string().starts_with("403:body=json"), "{faults}");
        let e = Faults::parse("403:body=xml").unwrap_err();
        assert!(e.to_string().contains("`xml`"), "{e}");
        let e = Faults::parse("403:retry-after=5").unwrap_err();
        assert!(e.to_string().contains("`retry-after`"), "{e}");
        let engine = FaultEngine::new(Faults::parse("403:on=download").unwrap(), 1);
        let d = engine.decide("/download-service/files/activity/1", "a");
        assert_eq!(d.injected, ["403"]);
        assert!(d.outcome.is_some());
        assert!(
            engine
                .decide("/activity-service/activity/1", "b")
                .outcome
                .is_none()
        );
    }

    #[test]
    fn burst_extends_a_429() {
        let engine = FaultEngine::new(Faults::parse("429:first=1,burst=3").unwrap(), 1);
        let got: Vec<bool> = (0..5)
            .map(|_| {
                engine
                    .decide("/activity-service/activity/1", "x")
                    .outcome
                    .is_some()
            })
            .collect();
        assert_eq!(got, [true, true, true, false, false]);
    }

    #[test]
    fn default_scope_is_api_and_downloads() {
        let engine = FaultEngine::new(Faults::parse("5xx").unwrap(), 1);
        assert!(
            engine
                .decide("/download-service/files/activity/1", "a")
                .outcome
                .is_some()
        );
        assert!(
            engine
                .decide("/activity-service/activity/1", "b")
                .outcome
                .is_some()
        );
        assert!(engine.decide("/mobile/api/login", "c").outcome.is_none());
        assert!(
            engine
                .decide("/di-oauth2-service/oauth/token", "d")
                .outcome
                .is_none()
        );
    }
}
