#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every sign-in outcome of docs/protocol.md ("Signing in"), over real HTTP.

mod http_support;

use http_support::*;

#[tokio::test]
async fn sign_in_pages_set_cookies_and_carry_the_form() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    for (path, api) in [
        (
            format!(
                "/mobile/sso/en_US/sign-in?clientId=GCM_ANDROID_DARK&service={}",
                url_encode(MOBILE_SERVICE)
            ),
            "/mobile/api",
        ),
        (
            format!(
                "/portal/sso/en-US/sign-in?clientId=GarminConnect&service={}",
                url_encode(PORTAL_SERVICE)
            ),
            "/portal/api",
        ),
    ] {
        let response = client()
            .get(format!("{}{path}", sim.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let cookies: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert!(
            cookies.iter().any(|c| c.starts_with("SESSION=")),
            "{cookies:?}"
        );
        let html = response.text().await.unwrap();
        for id in [
            "email",
            "password",
            "login-btn",
            "mfa-code",
            "mfa-btn",
            "error",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "missing #{id}");
        }
        assert!(html.contains(&format!("var API = \"{api}\"")));
        assert!(html.contains("window.location.href"));
    }
    let missing = client()
        .get(format!("{}/portal/sso/en-US/sign-in", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
}

#[tokio::test]
async fn a_plain_account_gets_a_ticket_bound_to_its_service() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    let (status, body) = login(&client(), &sim, "demo@example.com", "demo-password").await;
    assert_eq!(status, 200);
    assert_eq!(kind(&body), "SUCCESSFUL");
    assert_eq!(body["responseStatus"]["httpStatus"], "OK");
    assert_eq!(body["serviceURL"], MOBILE_SERVICE);
    assert_eq!(body["authType"], "CAS");
    assert!(body["customerMfaInfo"].is_null());
    for key in [
        "responseReason",
        "consentTypeList",
        "samlResponse",
        "captchaAlreadyPassed",
    ] {
        assert!(body.get(key).is_some(), "{key} missing");
    }
    let ticket = body["serviceTicketId"].as_str().unwrap();
    let parts: Vec<&str> = ticket.split('-').collect();
    assert_eq!(parts.len(), 4, "{ticket}");
    assert_eq!(parts[0], "ST");
    assert!(parts[1].len() == 6 && parts[1].chars().all(|c| c.is_ascii_digit()));
    assert!(parts[2].len() >= 10 && parts[2].chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(parts[3], "sso");
    let stats = sim.stats();
    assert_eq!(stats.logins, 1);
    assert_eq!(stats.tickets_issued, 1);
}

#[tokio::test]
async fn the_portal_login_works_the_same_way() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    let response = client()
        .post(login_url(&sim, "portal", PORTAL_SERVICE))
        .json(&serde_json::json!({"username": "demo@example.com", "password": "demo-password", "rememberMe": true, "captchaToken": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(kind(&body), "SUCCESSFUL");
    assert_eq!(body["serviceURL"], PORTAL_SERVICE);
    let ticket = body["serviceTicketId"].as_str().unwrap();
    // The ticket belongs to the portal service: exchanging it for the mobile one fails.
    let wrong = exchange(&sim, CLIENT_ID, ticket, MOBILE_SERVICE).await;
    assert_eq!(wrong.status(), 400);
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_401() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    for (email, password) in [
        ("demo@example.com", "nope"),
        ("nobody@example.com", "demo-password"),
        ("mfa@example.com", "demo-password"),
    ] {
        let (status, body) = login(&client(), &sim, email, password).await;
        assert_eq!(status, 401, "{email}");
        assert_eq!(kind(&body), "INVALID_USERNAME_PASSWORD");
        assert_eq!(
            body["responseStatus"]["message"],
            "generalLoginInvalidUsernameOrPassword"
        );
        assert_eq!(body["responseStatus"]["httpStatus"], "UNAUTHORIZED");
        assert!(body["serviceTicketId"].is_null());
    }
}

#[tokio::test]
async fn captcha_and_locked_accounts() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    let (_, body) = login(&client(), &sim, "captcha@example.com", "anything").await;
    assert_eq!(kind(&body), "CAPTCHA_REQUIRED");
    assert!(body["serviceTicketId"].is_null());
    let (_, body) = login(&client(), &sim, "locked@example.com", "anything").await;
    assert_eq!(kind(&body), "ACCOUNT_LOCKED");
    assert_eq!(
        body["responseStatus"]["message"],
        "generalLoginAccountLocked"
    );
    assert_eq!(sim.stats().tickets_issued, 0);
}

#[tokio::test]
async fn mfa_by_email_wrong_code_then_right_code() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    let c = client();
    let (status, body) = login(&c, &sim, "mfa@example.com", "mfa-password").await;
    assert_eq!(status, 200);
    assert_eq!(kind(&body), "MFA_REQUIRED");
    assert!(body["serviceTicketId"].is_null());
    let info = &body["customerMfaInfo"];
    assert_eq!(info["email"], "m*****@example.com");
    assert!(info["phoneNumber"].is_null());
    assert_eq!(info["mfaLastMethodUsed"], "email");

    let (_, wrong) = verify(&c, &sim, "email", "000000").await;
    assert_eq!(kind(&wrong), "MFA_CODE_INVALID");
    let (_, mismatch) = verify(&c, &sim, "phone", "123456").await;
    assert_ne!(kind(&mismatch), "SUCCESSFUL");
    assert!(mismatch["serviceTicketId"].is_null());

    let (status, ok) = verify(&c, &sim, "email", "123456").await;
    assert_eq!(status, 200);
    assert_eq!(kind(&ok), "SUCCESSFUL");
    assert_eq!(ok["serviceURL"], MOBILE_SERVICE);
    let ticket = ok["serviceTicketId"].as_str().unwrap();
    let tokens = exchange(&sim, CLIENT_ID, ticket, MOBILE_SERVICE).await;
    assert_eq!(tokens.status(), 200);

    // The pending MFA is spent: the same code cannot mint a second ticket.
    let (_, again) = verify(&c, &sim, "email", "123456").await;
    assert_ne!(kind(&again), "SUCCESSFUL");
    assert_eq!(sim.stats().mfa_verifications, 4);
}

#[tokio::test]
async fn mfa_by_phone_requires_the_phone_method() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    let c = client();
    let (_, body) = login(&c, &sim, "mfa-sms@example.com", "mfa-password").await;
    assert_eq!(kind(&body), "MFA_REQUIRED");
    let info = &body["customerMfaInfo"];
    assert_eq!(info["mfaLastMethodUsed"], "phone");
    let phone = info["phoneNumber"].as_str().unwrap();
    assert!(phone.contains('*') && phone.ends_with("4242"), "{phone}");
    assert_eq!(info["email"], "m*****@example.com");

    let (status, mismatch) = verify(&c, &sim, "email", "123456").await;
    assert_eq!(status, 400);
    assert_eq!(kind(&mismatch), "MFA_METHOD_INVALID");
    let (_, ok) = verify(&c, &sim, "phone", "123456").await;
    assert_eq!(kind(&ok), "SUCCESSFUL");
    assert!(ok["serviceTicketId"].as_str().unwrap().starts_with("ST-"));
}

#[tokio::test]
async fn the_code_only_counts_in_the_session_that_asked_for_it() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    let (_, body) = login(&client(), &sim, "mfa@example.com", "mfa-password").await;
    assert_eq!(kind(&body), "MFA_REQUIRED");
    // Another cookie jar: no pending MFA there.
    let (status, other) = verify(&client(), &sim, "email", "123456").await;
    assert_eq!(status, 400);
    assert_eq!(kind(&other), "MFA_SESSION_INVALID");
    assert_eq!(sim.stats().tickets_issued, 0);
}

#[tokio::test]
async fn the_page_session_cookie_carries_into_the_login() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    let c = client();
    let page = c
        .get(format!(
            "{}/mobile/sso/en_US/sign-in?clientId=GCM_ANDROID_DARK&service={}",
            sim.base_url(),
            url_encode(MOBILE_SERVICE)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let response = c
        .post(login_url(&sim, "mobile", MOBILE_SERVICE))
        .json(&serde_json::json!({"username": "mfa@example.com", "password": "mfa-password", "rememberMe": true, "captchaToken": ""}))
        .send()
        .await
        .unwrap();
    // The page already set SESSION: the login reuses it instead of setting a new one.
    assert!(response.headers().get("set-cookie").is_none());
    let (_, ok) = verify(&c, &sim, "email", "123456").await;
    assert_eq!(kind(&ok), "SUCCESSFUL");
}

/// Garmin's CDN lets the mobile JSON login through only after the sign-in page was loaded
/// in the same cookie session, with the same User-Agent (docs/signin.md).
#[tokio::test]
async fn the_mobile_json_login_answers_429_without_the_page_cookies() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    let body = serde_json::json!({"username": "demo@example.com", "password": "demo-password", "rememberMe": true, "captchaToken": ""});
    let post = |c: reqwest::Client, ua: &'static str| {
        let body = body.clone();
        let url = login_url(&sim, "mobile", MOBILE_SERVICE);
        async move {
            c.post(url)
                .header("User-Agent", ua)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    // Straight to the login, no page: the CDN's 429, and no ticket.
    let cold = post(client(), "UA-1").await;
    assert_eq!(cold.status(), 429);
    assert_eq!(cold.headers()["server"], "cloudflare");
    assert!(cold.headers().contains_key("cf-ray"));

    // The page in the same jar, then the login with the same UA: a ticket.
    let c = client();
    let page = c
        .get(format!(
            "{}/mobile/sso/en_US/sign-in?clientId=GCM_ANDROID_DARK&service={}",
            sim.base_url(),
            url_encode(MOBILE_SERVICE)
        ))
        .header("User-Agent", "UA-1")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    // Another UA in the same session is flagged too.
    assert_eq!(post(c.clone(), "UA-2").await.status(), 429);
    let ok = post(c, "UA-1").await;
    assert_eq!(ok.status(), 200);
    let answer: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(kind(&answer), "SUCCESSFUL");
    assert_eq!(sim.stats().tickets_issued, 1);

    // The portal login (what Garmin's own web page posts) is not behind this check.
    let portal = client()
        .post(login_url(&sim, "portal", PORTAL_SERVICE))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(portal.status(), 200);
}

/// The CDN's "verify you are human" page, as the `challenge` fault serves it.
#[tokio::test]
async fn the_challenge_fault_serves_cloudflares_human_check() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    sim.set_faults(gcexport_sim::Faults::parse("challenge:on=auth").unwrap());
    let r = exchange(&sim, CLIENT_ID, "ST-0-x-sso", MOBILE_SERVICE).await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["cf-mitigated"], "challenge");
    assert_eq!(r.headers()["server"], "cloudflare");
    let text = r.text().await.unwrap();
    assert!(text.contains("Verify you are human"), "{text}");
}
