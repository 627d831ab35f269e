//! The endpoint profile: every host, client id, service URL, user agent and native header
//! the client uses. Garmin rotates these; keeping them in one overridable structure lets a
//! user survive a rotation without a release, and lets tests and demo mode reach the
//! simulator. No host, client id or user agent is written anywhere else in this crate.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Environment variables read by [`EndpointProfile::apply_env`].
pub mod env {
    /// A TOML or JSON profile file, read by [`super::EndpointProfile::load`].
    pub const PROFILE_FILE: &str = "GCEXPORT_PROFILE";
    /// Points every host at one origin (as [`super::EndpointProfile::server`]).
    pub const SERVER_URL: &str = "GCEXPORT_SERVER_URL";
    pub const SSO_URL: &str = "GCEXPORT_SSO_URL";
    pub const DIAUTH_URL: &str = "GCEXPORT_DIAUTH_URL";
    pub const API_URL: &str = "GCEXPORT_API_URL";
    /// Comma-separated, tried in order.
    pub const CLIENT_IDS: &str = "GCEXPORT_CLIENT_IDS";
    pub const LOGIN_CLIENT_ID: &str = "GCEXPORT_LOGIN_CLIENT_ID";
    pub const LOGIN_SERVICE_URL: &str = "GCEXPORT_LOGIN_SERVICE_URL";
    pub const BROWSER_USER_AGENT: &str = "GCEXPORT_BROWSER_USER_AGENT";
    pub const NATIVE_USER_AGENT: &str = "GCEXPORT_NATIVE_USER_AGENT";
}

/// The names an endpoint profile file may have in a config folder, tried in this order.
pub const PROFILE_FILE_NAMES: [&str; 2] = ["endpoints.toml", "endpoints.json"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EndpointProfile {
    /// The SSO host (mobile JSON login).
    pub sso_url: String,
    /// The DI OAuth2 host (ticket exchange and refresh).
    pub diauth_url: String,
    /// The data API host.
    pub api_url: String,
    /// DI OAuth2 client ids, tried in order at a ticket exchange.
    pub client_ids: Vec<String>,
    /// `clientId` of the mobile JSON login.
    pub login_client_id: String,
    /// `service` of the mobile JSON login; the ticket it yields is bound to it.
    pub login_service_url: String,
    /// `clientId` and `service` of Garmin's web sign-in page (what a webview shows).
    pub portal_client_id: String,
    pub portal_service_url: String,
    pub locale: String,
    /// The User-Agent of sign-in requests: one per login, or the CDN flags the change.
    pub browser_user_agent: String,
    /// The User-Agent of DI OAuth2 and API calls.
    pub native_user_agent: String,
    /// Sent on DI OAuth2 and API calls, as the Android app does.
    pub native_headers: BTreeMap<String, String>,
    /// The OAuth2 grant type of a service-ticket exchange.
    pub ticket_grant_type: String,
}

impl Default for EndpointProfile {
    fn default() -> Self {
        let native_headers = [
            (
                "X-Garmin-User-Agent",
                "com.garmin.android.apps.connectmobile/5.23; ; Google/sdk_gphone64_arm64/google; Android/33; Dalvik/2.1.0",
            ),
            ("X-Garmin-Paired-App-Version", "10861"),
            ("X-Garmin-Client-Platform", "Android"),
            ("X-App-Ver", "10861"),
            ("X-Lang", "en"),
            ("X-GCExperience", "GC5"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        EndpointProfile {
            sso_url: "https://sso.garmin.com".into(),
            diauth_url: "https://diauth.garmin.com".into(),
            api_url: "https://connectapi.garmin.com".into(),
            client_ids: [
                "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2",
                "GARMIN_CONNECT_MOBILE_ANDROID_DI_2024Q4",
                "GARMIN_CONNECT_MOBILE_ANDROID_DI",
                "GARMIN_CONNECT_MOBILE_IOS_DI",
            ]
            .map(String::from)
            .to_vec(),
            login_client_id: "GCM_IOS_DARK".into(),
            login_service_url: "https://mobile.integration.garmin.com/gcm/ios".into(),
            portal_client_id: "GarminConnect".into(),
            portal_service_url: "https://connect.garmin.com/app".into(),
            locale: "en-US".into(),
            browser_user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148".into(),
            native_user_agent: "GCM-Android-5.23".into(),
            native_headers,
            ticket_grant_type:
                "https://connectapi.garmin.com/di-oauth2-service/oauth/grant/service_ticket".into(),
        }
    }
}

impl EndpointProfile {
    /// Garmin's values, then the file named by `GCEXPORT_PROFILE` (if set), then the other
    /// `GCEXPORT_*` variables.
    pub fn load() -> Result<Self> {
        let mut profile = match std::env::var_os(env::PROFILE_FILE) {
            Some(path) if !path.is_empty() => Self::from_file(Path::new(&path))?,
            _ => Self::default(),
        };
        profile.apply_env();
        Ok(profile)
    }

    /// As [`Self::load`], and when `GCEXPORT_PROFILE` is not set, the optional
    /// `endpoints.toml` (or `endpoints.json`) in `dir`: how a user applies a published fix
    /// (new client ids, hosts, user agents) without waiting for a release.
    pub fn load_in(dir: Option<&Path>) -> Result<Self> {
        let named = std::env::var_os(env::PROFILE_FILE).is_some_and(|p| !p.is_empty());
        let file = dir.filter(|_| !named).and_then(|d| {
            PROFILE_FILE_NAMES
                .iter()
                .map(|name| d.join(name))
                .find(|p| p.is_file())
        });
        match file {
            Some(path) => {
                let mut profile = Self::from_file(&path)?;
                tracing::info!(file = %path.display(), "endpoint profile read from the config folder");
                profile.apply_env();
                Ok(profile)
            }
            None => Self::load(),
        }
    }

    /// Every host pointed at one origin such as `http://127.0.0.1:8080` (the simulator).
    /// Service URLs stay Garmin's: they are identifiers, never fetched.
    pub fn server(base_url: &str) -> Self {
        Self::default().with_server(base_url)
    }

    pub fn with_server(mut self, base_url: &str) -> Self {
        let base = trim_base(base_url);
        self.sso_url = base.clone();
        self.diauth_url = base.clone();
        self.api_url = base;
        self
    }

    /// The mobile sign-in page a webview shows, whose ticket is for `login_service_url`.
    pub fn sign_in_page(&self) -> String {
        let page = format!("{}/mobile/sso/en_US/sign-in", self.sso_url);
        match reqwest::Url::parse_with_params(
            &page,
            [
                ("clientId", self.login_client_id.as_str()),
                ("service", self.login_service_url.as_str()),
            ],
        ) {
            Ok(url) => url.into(),
            // Not a URL (a typo in an override file): the webview then says so itself.
            Err(_) => page,
        }
    }

    /// Reads a TOML or JSON file (by extension; JSON if the text starts with `{`). Keys it
    /// leaves out keep Garmin's values.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        let is_json = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("json"))
            || text.trim_start().starts_with('{');
        if is_json {
            Self::from_json(&text)
        } else {
            Self::from_toml(&text)
        }
        .map_err(|e| Error::Config(format!("{}: {e}", path.display())))
    }

    pub fn from_json(text: &str) -> Result<Self> {
        let profile: Self =
            serde_json::from_str(text).map_err(|e| Error::Config(format!("invalid JSON: {e}")))?;
        profile.normalised()
    }

    pub fn from_toml(text: &str) -> Result<Self> {
        let profile: Self =
            toml::from_str(text).map_err(|e| Error::Config(format!("invalid TOML: {e}")))?;
        profile.normalised()
    }

    /// Applies the `GCEXPORT_*` environment variables (see [`env`]).
    pub fn apply_env(&mut self) {
        self.apply_vars(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()));
    }

    /// As [`Self::apply_env`], reading variables through `get` (for tests and embedders).
    pub fn apply_vars(&mut self, get: impl Fn(&str) -> Option<String>) {
        if let Some(v) = get(env::SERVER_URL) {
            *self = std::mem::take(self).with_server(&v);
        }
        if let Some(v) = get(env::SSO_URL) {
            self.sso_url = trim_base(&v);
        }
        if let Some(v) = get(env::DIAUTH_URL) {
            self.diauth_url = trim_base(&v);
        }
        if let Some(v) = get(env::API_URL) {
            self.api_url = trim_base(&v);
        }
        if let Some(v) = get(env::CLIENT_IDS) {
            let ids: Vec<String> = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            if !ids.is_empty() {
                self.client_ids = ids;
            }
        }
        if let Some(v) = get(env::LOGIN_CLIENT_ID) {
            self.login_client_id = v;
        }
        if let Some(v) = get(env::LOGIN_SERVICE_URL) {
            self.login_service_url = v;
        }
        if let Some(v) = get(env::BROWSER_USER_AGENT) {
            self.browser_user_agent = v;
        }
        if let Some(v) = get(env::NATIVE_USER_AGENT) {
            self.native_user_agent = v;
        }
    }

    fn normalised(mut self) -> Result<Self> {
        self.sso_url = trim_base(&self.sso_url);
        self.diauth_url = trim_base(&self.diauth_url);
        self.api_url = trim_base(&self.api_url);
        if self.client_ids.is_empty() {
            return Err(Error::Config("client_ids is empty".into()));
        }
        Ok(self)
    }

    /// Whether the tokens' servers (DI auth, API) are Garmin's own.
    fn is_garmins(&self) -> bool {
        let garmin = Self::default();
        self.diauth_url == garmin.diauth_url && self.api_url == garmin.api_url
    }

    /// The origins tokens from this profile are issued by and sent to.
    fn token_origin(&self) -> String {
        let diauth = origin_of(&self.diauth_url);
        let api = origin_of(&self.api_url);
        if diauth == api {
            diauth
        } else {
            format!("{diauth}+{api}")
        }
    }

    /// The name tokens are saved under, given the name for Garmin's own servers: `name`
    /// itself for Garmin (what earlier versions used), `name@<origin>` for any other
    /// server, so a `--server` or an endpoint variable never gets Garmin's tokens, and a
    /// refusal there never wipes them.
    pub fn token_key(&self, name: &str) -> String {
        if self.is_garmins() {
            name.to_owned()
        } else {
            format!("{name}@{}", self.token_origin())
        }
    }

    /// The token file's name in a session folder: `tokens.json` for Garmin's servers,
    /// `tokens-<origin>.json` (made file-name safe) for any other.
    pub fn token_file_name(&self) -> String {
        if self.is_garmins() {
            return "tokens.json".into();
        }
        let safe: String = self
            .token_origin()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("tokens-{safe}.json")
    }

    /// Refuses a profile that would send a password, a ticket or tokens in clear text:
    /// every host must be `https`, except loopback (the simulator, tests, demo mode).
    pub fn check_transport(&self) -> Result<()> {
        for (what, url) in [
            ("sso_url", &self.sso_url),
            ("diauth_url", &self.diauth_url),
            ("api_url", &self.api_url),
        ] {
            let parsed = reqwest::Url::parse(url)
                .map_err(|e| Error::Config(format!("{what} {url:?} is not a URL: {e}")))?;
            let loopback = match parsed.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            match parsed.scheme() {
                "https" => {}
                "http" if loopback => {}
                "http" => {
                    return Err(Error::Config(format!(
                        "{what} {url} is plain http: sign-ins and tokens go over https only \
                         (http is allowed for 127.0.0.1 and localhost)"
                    )));
                }
                other => {
                    return Err(Error::Config(format!(
                        "{what} {url}: unsupported scheme {other:?}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The `Origin` a browser on the SSO page would send.
    pub(crate) fn sso_origin(&self) -> &str {
        &self.sso_url
    }
}

/// `scheme://host[:port]` of a URL (the text itself when it does not parse).
fn origin_of(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => u.origin().ascii_serialization(),
        Err(_) => url.to_owned(),
    }
}

fn trim_base(url: &str) -> String {
    url.trim().trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_garmins() {
        let p = EndpointProfile::default();
        assert_eq!(p.api_url, "https://connectapi.garmin.com");
        assert_eq!(p.client_ids[0], "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2");
        assert_eq!(p.client_ids.len(), 4);
    }

    #[test]
    fn server_points_every_host_at_one_origin_but_keeps_service_urls() {
        let p = EndpointProfile::server("http://127.0.0.1:9999/");
        assert_eq!(p.sso_url, "http://127.0.0.1:9999");
        assert_eq!(p.diauth_url, "http://127.0.0.1:9999");
        assert_eq!(p.api_url, "http://127.0.0.1:9999");
        assert_eq!(
            p.login_service_url,
            "https://mobile.integration.garmin.com/gcm/ios"
        );
    }

    #[test]
    fn partial_toml_and_json_keep_the_rest() {
        let t = EndpointProfile::from_toml(
            "client_ids = [\"NEW_ID\", \"OLDER\"]\napi_url = \"http://x/\"\n[native_headers]\nX-Lang = \"de\"\n",
        )
        .unwrap();
        assert_eq!(t.client_ids, vec!["NEW_ID", "OLDER"]);
        assert_eq!(t.api_url, "http://x");
        assert_eq!(t.sso_url, "https://sso.garmin.com");
        assert_eq!(
            t.native_headers.get("X-Lang").map(String::as_str),
            Some("de")
        );
        let j = EndpointProfile::from_json(r#"{"native_user_agent":"GCM-Android-9.9"}"#).unwrap();
        assert_eq!(j.native_user_agent, "GCM-Android-9.9");
        assert_eq!(j.client_ids.len(), 4);
        assert!(EndpointProfile::from_json(r#"{"client_ids":[]}"#).is_err());
        assert!(EndpointProfile::from_toml("client_ids = 3").is_err());
    }

    #[test]
    fn file_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "login_client_id = \"GCM_ANDROID_DARK\"\n").unwrap();
        let p = EndpointProfile::from_file(&path).unwrap();
        assert_eq!(p.login_client_id, "GCM_ANDROID_DARK");
        let path = dir.path().join("p.json");
        std::fs::write(&path, r#"{"locale":"de-DE"}"#).unwrap();
        assert_eq!(EndpointProfile::from_file(&path).unwrap().locale, "de-DE");
        let missing = EndpointProfile::from_file(&dir.path().join("none.toml")).unwrap_err();
        assert_eq!(missing.kind(), crate::ErrorKind::Config);
    }

    #[test]
    fn a_file_in_the_config_folder_is_read() {
        let dir = tempfile::tempdir().unwrap();
        // No file: Garmin's values (the test process sets no GCEXPORT_* variable).
        assert_eq!(
            EndpointProfile::load_in(Some(dir.path()))
                .unwrap()
                .client_ids,
            EndpointProfile::default().client_ids
        );
        std::fs::write(
            dir.path().join("endpoints.toml"),
            "client_ids = [\"FIXED_2027Q1\"]\n",
        )
        .unwrap();
        let p = EndpointProfile::load_in(Some(dir.path())).unwrap();
        assert_eq!(p.client_ids, vec!["FIXED_2027Q1"]);
        assert_eq!(p.sso_url, "https://sso.garmin.com");
        std::fs::write(dir.path().join("endpoints.toml"), "client_ids = 3").unwrap();
        let e = EndpointProfile::load_in(Some(dir.path())).unwrap_err();
        assert!(e.to_string().contains("endpoints.toml"), "{e}");
    }

    #[test]
    fn environment_overrides() {
        let vars = |name: &str| match name {
            env::SERVER_URL => Some("http://127.0.0.1:1".to_owned()),
            env::API_URL => Some("http://127.0.0.1:2/".to_owned()),
            env::CLIENT_IDS => Some(" A , B ,".to_owned()),
            _ => None,
        };
        let mut p = EndpointProfile::default();
        p.apply_vars(vars);
        assert_eq!(p.sso_url, "http://127.0.0.1:1");
        assert_eq!(p.api_url, "http://127.0.0.1:2");
        assert_eq!(p.client_ids, vec!["A", "B"]);
    }
}
