//! Shared by the `http_*` tests: a real client signing in over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gcexport_sim::Sim;
use serde_json::Value;

pub const MOBILE_SERVICE: &str = "https://mobile.integration.garmin.com/gcm/android";
pub const PORTAL_SERVICE: &str = "https://connect.garmin.com/app";
pub const CLIENT_ID: &str = "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2";
pub const TICKET_GRANT: &str =
    "https://connectapi.garmin.com/di-oauth2-service/oauth/grant/service_ticket";

/// A browser-like client: one cookie jar, no redirects followed.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn login_url(sim: &Sim, flavour: &str, service: &str) -> String {
    let service: String = url_encode(service);
    format!(
        "{}/{flavour}/api/login?clientId=GCM_ANDROID_DARK&locale=en-US&service={service}",
        sim.base_url()
    )
}

pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Loads the mobile sign-in page in `client`'s cookie jar, as a browser does before the
/// JSON login (the simulator's CDN answers that login 429 otherwise).
pub async fn open_page(client: &reqwest::Client, sim: &Sim) -> reqwest::Response {
    client
        .get(format!(
            "{}/mobile/sso/en_US/sign-in?clientId=GCM_ANDROID_DARK&service={}",
            sim.base_url(),
            url_encode(MOBILE_SERVICE)
        ))
        .send()
        .await
        .unwrap()
}

/// Loads the page, then POSTs credentials; returns (HTTP status, body).
pub async fn login(
    client: &reqwest::Client,
    sim: &Sim,
    email: &str,
    password: &str,
) -> (u16, Value) {
    assert_eq!(open_page(client, sim).await.status(), 200);
    let response = client
        .post(login_url(sim, "mobile", MOBILE_SERVICE))
        .header("Accept", "application/json, text/plain, */*")
        .json(&serde_json::json!({
            "username": email, "password": password, "rememberMe": true, "captchaToken": ""
        }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

pub async fn verify(client: &reqwest::Client, sim: &Sim, method: &str, code: &str) -> (u16, Value) {
    let url = login_url(sim, "mobile", MOBILE_SERVICE).replace("/api/login", "/api/mfa/verifyCode");
    let response = client
        .post(url)
        .json(&serde_json::json!({
            "mfaMethod": method, "mfaVerificationCode": code, "rememberMyBrowser": true,
            "reconsentList": [], "mfaSetup": false
        }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

pub fn kind(body: &Value) -> &str {
    body["responseStatus"]["type"].as_str().unwrap_or_default()
}

/// A fresh service ticket for the demo account, bound to the mobile service.
pub async fn ticket(sim: &Sim) -> String {
    let (status, body) = login(&client(), sim, "demo@example.com", "demo-password").await;
    assert_eq!(status, 200, "{body}");
    body["serviceTicketId"].as_str().unwrap().to_owned()
}

pub fn basic(client_id: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{client_id}:")))
}

pub async fn exchange(
    sim: &Sim,
    client_id: &str,
    ticket: &str,
    service: &str,
) -> reqwest::Response {
    client()
        .post(format!("{}/di-oauth2-service/oauth/token", sim.base_url()))
        .header("Authorization", basic(client_id))
        .header("Accept", "application/json")
        .form(&[
            ("client_id", client_id),
            ("service_ticket", ticket),
            ("grant_type", TICKET_GRANT),
            ("service_url", service),
        ])
        .send()
        .await
        .unwrap()
}

pub async fn refresh(sim: &Sim, client_id: &str, refresh_token: &str) -> reqwest::Response {
    client()
        .post(format!("{}/di-oauth2-service/oauth/token", sim.base_url()))
        .header("Authorization", basic(client_id))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .unwrap()
}

/// Signs the demo user in all the way and returns the token response.
pub async fn tokens_for(sim: &Sim, client_id: &str) -> Value {
    let ticket = ticket(sim).await;
    let response = exchange(sim, client_id, &ticket, MOBILE_SERVICE).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

pub async fn access_token(sim: &Sim) -> String {
    tokens_for(sim, CLIENT_ID).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// GET with the token and the native headers of docs/protocol.md ("Tokens").
pub async fn api_get(sim: &Sim, token: &str, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .header("Accept", "application/json")
        .header("X-Garmin-Client-Platform", "Android")
        .send()
        .await
        .unwrap()
}

pub async fn download_get(sim: &Sim, token: &str, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .header("Accept", "*/*")
        .send()
        .await
        .unwrap()
}

pub async fn sim_stats(sim: &Sim) -> Value {
    client()
        .get(format!("{}/__sim/stats", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn expected(sim: &Sim) -> Value {
    client()
        .get(format!("{}/__sim/expected", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

pub fn small(activities: usize) -> gcexport_sim::SimConfig {
    gcexport_sim::SimConfig {
        activities,
        seed: 42,
        ..Default::default()
    }
}
