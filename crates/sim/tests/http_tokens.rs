#![allow(clippy::unwrap_used, clippy::expect_used)]
//! DI OAuth2 (docs/protocol.md, "Tokens"): ticket exchange, rotation, expiry, and the Bearer check.

mod http_support;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_support::*;

fn claims(jwt: &str) -> serde_json::Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "not JWT-shaped: {jwt}");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

fn not_active(response: &reqwest::Response) -> bool {
    response.status() == 401
        && response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            == Some(r#"Bearer error="invalid_token", error_description="Token is not active""#)
}

#[tokio::test]
async fn a_ticket_buys_tokens_that_open_the_api() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    let tokens = tokens_for(&sim, CLIENT_ID).await;
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 86399);
    assert_eq!(tokens["refresh_token_expires_in"], 2591999);
    for key in ["scope", "jti", "customerId", "refresh_token"] {
        assert!(tokens[key].is_string(), "{key}");
    }
    let access = tokens["access_token"].as_str().unwrap();
    let c = claims(access);
    assert_eq!(c["client_id"], CLIENT_ID);
    assert_eq!(c["jti"], tokens["jti"]);
    let (iat, exp) = (c["iat"].as_u64().unwrap(), c["exp"].as_u64().unwrap());
    assert_eq!(exp - iat, 86399);

    let profile = api_get(&sim, access, "/userprofile-service/socialProfile").await;
    assert_eq!(profile.status(), 200);
    let profile: serde_json::Value = profile.json().await.unwrap();
    assert!(profile["displayName"].is_string());
    let stats = sim.stats();
    assert_eq!(stats.token_grants, 1);
    assert_eq!(stats.by_endpoint["POST /di-oauth2-service/oauth/token"], 1);
}

#[tokio::test]
async fn a_ticket_is_single_use() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    let ticket = ticket(&sim).await;
    assert_eq!(
        exchange(&sim, CLIENT_ID, &ticket, MOBILE_SERVICE)
            .await
            .status(),
        200
    );
    let again = exchange(&sim, CLIENT_ID, &ticket, MOBILE_SERVICE).await;
    assert_eq!(again.status(), 400);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    let unknown = exchange(&sim, CLIENT_ID, "ST-000000-nope-sso", MOBILE_SERVICE).await;
    assert_eq!(unknown.status(), 400);
}

#[tokio::test]
async fn a_ticket_expires() {
    let sim = gcexport_sim::start(gcexport_sim::SimConfig {
        ticket_ttl: Duration::from_millis(200),
        ..small(5)
    })
    .unwrap();
    let ticket = ticket(&sim).await;
    tokio::time::sleep(Duration::from_millis(350)).await;
    let late = exchange(&sim, CLIENT_ID, &ticket, MOBILE_SERVICE).await;
    assert_eq!(late.status(), 400);
    let body: serde_json::Value = late.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn a_ticket_is_bound_to_its_service() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    let ticket = ticket(&sim).await;
    let wrong = exchange(&sim, CLIENT_ID, &ticket, PORTAL_SERVICE).await;
    assert_eq!(wrong.status(), 400);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn an_unknown_client_id_is_refused_without_spending_the_ticket() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    let ticket = ticket(&sim).await;
    let refused = exchange(&sim, "SOMEONE_ELSE", &ticket, MOBILE_SERVICE).await;
    assert_eq!(refused.status(), 401);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    // The next id of the client's list still gets the same ticket through.
    let ok = exchange(
        &sim,
        "GARMIN_CONNECT_MOBILE_IOS_DI",
        &ticket,
        MOBILE_SERVICE,
    )
    .await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn refresh_rotates_and_the_old_refresh_token_dies() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    let first = tokens_for(&sim, CLIENT_ID).await;
    let rt1 = first["refresh_token"].as_str().unwrap();
    let response = refresh(&sim, CLIENT_ID, rt1).await;
    assert_eq!(response.status(), 200);
    let second: serde_json::Value = response.json().await.unwrap();
    let rt2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(rt1, rt2);
    assert_ne!(first["access_token"], second["access_token"]);

    let stale = refresh(&sim, CLIENT_ID, rt1).await;
    assert_eq!(stale.status(), 400);
    let body: serde_json::Value = stale.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("Invalid refresh token: ")
    );

    // A refresh with someone else's client id does not burn the token.
    let other = refresh(&sim, "GARMIN_CONNECT_MOBILE_IOS_DI", rt2).await;
    assert_eq!(other.status(), 400);
    let third = refresh(&sim, CLIENT_ID, rt2).await;
    assert_eq!(third.status(), 200);
    let third: serde_json::Value = third.json().await.unwrap();
    let profile = api_get(
        &sim,
        third["access_token"].as_str().unwrap(),
        "/userprofile-service/socialProfile",
    )
    .await;
    assert_eq!(profile.status(), 200);
    assert_eq!(sim.stats().token_refreshes, 2);
}

#[tokio::test]
async fn an_access_token_expires_mid_run_and_a_refresh_recovers() {
    let sim = gcexport_sim::start(gcexport_sim::SimConfig {
        access_token_ttl: Duration::from_millis(700),
        ..small(5)
    })
    .unwrap();
    let tokens = tokens_for(&sim, CLIENT_ID).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(tokens["expires_in"], 0);
    let c = claims(access);
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 1);
    let path = "/activitylist-service/activities/count";
    assert_eq!(api_get(&sim, access, path).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(900)).await;
    let expired = api_get(&sim, access, path).await;
    assert!(not_active(&expired), "{:?}", expired.headers());

    let renewed: serde_json::Value =
        refresh(&sim, CLIENT_ID, tokens["refresh_token"].as_str().unwrap())
            .await
            .json()
            .await
            .unwrap();
    let fresh = renewed["access_token"].as_str().unwrap();
    assert_eq!(api_get(&sim, fresh, path).await.status(), 200);
}

#[tokio::test]
async fn a_refresh_token_expires_too() {
    let sim = gcexport_sim::start(gcexport_sim::SimConfig {
        refresh_token_ttl: Duration::from_millis(200),
        ..small(5)
    })
    .unwrap();
    let tokens = tokens_for(&sim, CLIENT_ID).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let late = refresh(&sim, CLIENT_ID, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(late.status(), 400);
}

#[tokio::test]
async fn tokens_of_an_inactive_client_id_are_not_active() {
    let sim = gcexport_sim::start(gcexport_sim::SimConfig {
        inactive_client_ids: vec!["GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2".to_owned()],
        ..small(5)
    })
    .unwrap();
    let dead = tokens_for(&sim, "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2").await;
    let response = api_get(
        &sim,
        dead["access_token"].as_str().unwrap(),
        "/userprofile-service/socialProfile",
    )
    .await;
    assert!(not_active(&response));
    let alive = tokens_for(&sim, "GARMIN_CONNECT_MOBILE_ANDROID_DI_2024Q4").await;
    let response = api_get(
        &sim,
        alive["access_token"].as_str().unwrap(),
        "/userprofile-service/socialProfile",
    )
    .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn missing_or_forged_bearer_tokens_are_refused() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    let none = client()
        .get(format!(
            "{}/userprofile-service/socialProfile",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    let real = access_token(&sim).await;
    let forged = format!("{real}x");
    assert!(not_active(
        &api_get(&sim, &forged, "/userprofile-service/socialProfile").await
    ));
    let no_basic = client()
        .post(format!("{}/di-oauth2-service/oauth/token", sim.base_url()))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_basic.status(), 401);
    let unsupported = client()
        .post(format!("{}/di-oauth2-service/oauth/token", sim.base_url()))
        .header("Authorization", basic(CLIENT_ID))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(unsupported.status(), 400);
}
