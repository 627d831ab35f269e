use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gcexport_connect::{
    EndpointProfile, LoginOutcome, RetryPolicy, Secret, Session, SessionConfig, SignIn,
    SignInConfig, TokenStore, Tokens,
};
use gcexport_sim::{Sim, SimConfig};

pub const DEMO: &str = "demo@example.com";
pub const DEMO_PASSWORD: &str = "demo-password";
pub const MFA_PASSWORD: &str = "mfa-password";
pub const MFA_CODE: &str = "123456";

pub fn sim(config: SimConfig) -> Sim {
    gcexport_sim::start(config).expect("simulator starts")
}

pub fn small() -> SimConfig {
    SimConfig {
        activities: 12,
        ..Default::default()
    }
}

/// Retries and pauses scaled down so fault tests run in seconds.
pub fn fast() -> SessionConfig {
    SessionConfig {
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(5),
        max_idle_per_host: 4,
        retry: RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(200),
            rate_limit_base: Duration::from_millis(300),
            rate_limit_max: Duration::from_secs(3),
            max_rate_limit_waits: 20,
            tcx_500_attempts: 3,
        },
    }
}

pub fn signin(sim: &Sim) -> SignIn {
    SignIn::with_config(
        EndpointProfile::server(sim.base_url()),
        SignInConfig {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(5),
        },
    )
    .unwrap()
}

pub async fn demo_tokens(sim: &Sim) -> Tokens {
    match signin(sim)
        .login(DEMO, &Secret::new(DEMO_PASSWORD))
        .await
        .unwrap()
    {
        LoginOutcome::SignedIn(t) => t,
        other => panic!("demo account asked for {other:?}"),
    }
}

pub async fn demo_session(sim: &Sim, store: Arc<dyn TokenStore>, config: SessionConfig) -> Session {
    let tokens = demo_tokens(sim).await;
    Session::start(
        EndpointProfile::server(sim.base_url()),
        tokens,
        store,
        config,
    )
    .await
    .unwrap()
}

/// A service ticket as Garmin's page would hand it to the webview: the page load and the
/// credential POST, made by hand in one cookie jar.
pub async fn raw_ticket(sim: &Sim, service: &str) -> Secret {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    browser
        .get(format!("{}/mobile/sso/en_US/sign-in", sim.base_url()))
        .query(&[("clientId", "GCM_IOS_DARK"), ("service", service)])
        .send()
        .await
        .unwrap();
    let answer: serde_json::Value = browser
        .post(format!("{}/mobile/api/login", sim.base_url()))
        .query(&[("clientId", "GCM_IOS_DARK"), ("locale", "en-US"), ("service", service)])
        .json(&serde_json::json!({"username": DEMO, "password": DEMO_PASSWORD, "rememberMe": true, "captchaToken": ""}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Secret::new(
        answer["serviceTicketId"]
            .as_str()
            .expect("a ticket")
            .to_owned(),
    )
}

/// `GET /__sim/expected`: id -> format -> (status, sha256).
pub async fn expected(sim: &Sim) -> HashMap<i64, HashMap<String, (u16, Option<String>)>> {
    let v: serde_json::Value = reqwest::get(format!("{}/__sim/expected", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut out = HashMap::new();
    for a in v["activities"].as_array().unwrap() {
        let mut formats = HashMap::new();
        for (k, f) in a["formats"].as_object().unwrap() {
            formats.insert(
                k.clone(),
                (
                    f["status"].as_u64().unwrap() as u16,
                    f["sha256"].as_str().map(String::from),
                ),
            );
        }
        out.insert(a["id"].as_i64().unwrap(), formats);
    }
    out
}

pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A token store that keeps every set it is given, to prove each rotation was saved.
#[derive(Default)]
pub struct RecordingStore {
    pub saved: Mutex<Vec<Tokens>>,
}

impl TokenStore for RecordingStore {
    fn load(&self) -> gcexport_connect::Result<Option<Tokens>> {
        Ok(self.saved.lock().unwrap().last().cloned())
    }
    fn save(&self, tokens: &Tokens) -> gcexport_connect::Result<()> {
        self.saved.lock().unwrap().push(tokens.clone());
        Ok(())
    }
    fn clear(&self) -> gcexport_connect::Result<()> {
        self.saved.lock().unwrap().clear();
        Ok(())
    }
}

/// A raw refresh with a given refresh token: 200 if Garmin still accepts it.
pub async fn raw_refresh_status(sim: &Sim, tokens: &Tokens) -> u16 {
    use base64::Engine as _;
    reqwest::Client::new()
        .post(format!("{}/di-oauth2-service/oauth/token", sim.base_url()))
        .header(
            "Authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{}:", tokens.client_id))
            ),
        )
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", tokens.client_id.as_str()),
            ("refresh_token", tokens.refresh_token.expose()),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
