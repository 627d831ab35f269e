#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The sign-in page's variants over real HTTP: each serves what a browser needs to behave as
//! Garmin's page did in embedded browsers (docs/sign-in-window.md).

mod http_support;

use gcexport_sim::{SignInPage, SimConfig};
use http_support::*;

fn sim_with(page: SignInPage) -> gcexport_sim::Sim {
    gcexport_sim::start(SimConfig {
        activities: 3,
        sign_in_page: page,
        ..SimConfig::default()
    })
    .unwrap()
}

async fn page_of(sim: &gcexport_sim::Sim) -> reqwest::Response {
    let url = format!(
        "{}/mobile/sso/en_US/sign-in?clientId=GCM_ANDROID_DARK&service={}",
        sim.base_url(),
        url_encode(MOBILE_SERVICE)
    );
    client().get(url).send().await.unwrap()
}

#[tokio::test]
async fn each_form_variant_names_itself_to_the_page_script() {
    for page in SignInPage::ALL {
        if page == SignInPage::Challenge {
            continue;
        }
        let sim = sim_with(page);
        let response = page_of(&sim).await;
        assert_eq!(response.status(), 200, "{page}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!("var VARIANT = \"{page}\";")),
            "{page}"
        );
        assert!(html.contains("id=\"password\""), "{page}");
    }
}

#[tokio::test]
async fn the_challenge_is_the_cdns_403_without_a_form() {
    let sim = sim_with(SignInPage::Challenge);
    let response = page_of(&sim).await;
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["cf-mitigated"], "challenge");
    let html = response.text().await.unwrap();
    assert!(html.contains("<title>Just a moment...</title>"));
    assert!(!html.contains("id=\"password\""));
}

#[tokio::test]
async fn the_http_redirect_stop_sends_the_browser_on_to_the_service_with_its_ticket() {
    let sim = sim_with(SignInPage::HttpRedirect);
    let ticket = ticket(&sim).await;
    let url = format!(
        "{}/sso/embed/continue?service={}&ticket={ticket}",
        sim.base_url(),
        url_encode(MOBILE_SERVICE)
    );
    let response = client().get(url).send().await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        format!("{MOBILE_SERVICE}?ticket={ticket}").as_str()
    );
    // Not an open redirect: only web addresses, only with a ticket.
    let bad = format!(
        "{}/sso/embed/continue?service=javascript%3Aalert(1)&ticket={ticket}",
        sim.base_url()
    );
    assert_eq!(client().get(bad).send().await.unwrap().status(), 400);
}
