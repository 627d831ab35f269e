use std::sync::Arc;
use std::time::Duration;

use gcexport_connect::{
    Cooldown, EndpointProfile, ErrorKind, LoginOutcome, MemoryStore, Secret, Session, SignIn,
    SignInConfig, Tokens,
};
use gcexport_sim::{Faults, SimConfig};

use crate::common::*;

#[tokio::test]
async fn password_sign_in_without_mfa_gives_working_tokens() {
    let sim = sim(small());
    let session = demo_session(&sim, Arc::new(MemoryStore::default()), fast()).await;
    let profile = session.profile().await.unwrap();
    assert!(profile.display_name.is_some());
    assert_eq!(sim.stats().logins, 1);
    assert_eq!(sim.stats().token_grants, 1);
}

async fn mfa_flow(email: &str, method: &str) {
    let sim = sim(small());
    let mut s = signin(&sim);
    let LoginOutcome::NeedsCode { method: m, sent_to } =
        s.login(email, &Secret::new(MFA_PASSWORD)).await.unwrap()
    else {
        panic!("no MFA asked");
    };
    assert_eq!(m, method);
    let sent_to = sent_to.expect("where the code went");
    assert!(sent_to.contains('*'), "{sent_to}");
    let wrong = s.submit_code(&Secret::new("000000")).await.unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::WrongCode);
    // A wrong code keeps the sign-in pending, in the same cookie session.
    let tokens = s.submit_code(&Secret::new(MFA_CODE)).await.unwrap();
    let session = Session::start(
        EndpointProfile::server(sim.base_url()),
        tokens,
        Arc::new(MemoryStore::default()),
        fast(),
    )
    .await
    .unwrap();
    session.profile().await.unwrap();
    assert_eq!(sim.stats().logins, 1, "the code step is no second login");
}

#[tokio::test]
async fn email_mfa_completes_with_the_code() {
    mfa_flow("mfa@example.com", "email").await;
}

#[tokio::test]
async fn phone_mfa_completes_with_the_code() {
    mfa_flow("mfa-sms@example.com", "phone").await;
}

#[tokio::test]
async fn refused_sign_ins_have_their_own_kinds() {
    let sim = sim(small());
    let cases = [
        (DEMO, "not-the-password", ErrorKind::WrongCredentials),
        ("nobody@example.com", "x", ErrorKind::WrongCredentials),
        (
            "captcha@example.com",
            "whatever",
            ErrorKind::CaptchaRequired,
        ),
        ("locked@example.com", "whatever", ErrorKind::AccountLocked),
    ];
    for (email, password, kind) in cases {
        let err = signin(&sim)
            .login(email, &Secret::new(password))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{email}: {err}");
        assert!(!err.is_retryable());
        assert!(!err.to_string().contains(password) || password == "x");
    }
    let err = signin(&sim)
        .submit_code(&Secret::new(MFA_CODE))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoPendingCode);
}

#[tokio::test]
async fn a_429_at_sign_in_starts_a_cooldown_that_outlives_the_process() {
    let sim = sim(SimConfig {
        faults: Faults::parse("429:on=/mobile/api/login,retry-after=1").unwrap(),
        ..small()
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signin-cooldown.json");
    let mut s = signin(&sim).with_cooldown(Cooldown::new(&path));
    let err = s
        .login(DEMO, &Secret::new(DEMO_PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert!(err.until().is_some());
    let logins = sim.stats().logins;
    // A new SignIn (as after a restart) reads the file and does not even try.
    let mut again = signin(&sim).with_cooldown(Cooldown::new(&path));
    let left = again.cooldown_remaining().unwrap();
    assert!(
        left > Duration::from_secs(29 * 60),
        "30 minutes beat a 1 s Retry-After: {left:?}"
    );
    let err = again
        .login(DEMO, &Secret::new(DEMO_PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(
        sim.stats().logins,
        logins,
        "no request during the cool-down"
    );
}

#[tokio::test]
async fn a_webview_ticket_is_exchanged_once_only() {
    let sim = sim(small());
    let s = signin(&sim);
    let service = s.profile().login_service_url.clone();
    let ticket = raw_ticket(&sim, &service).await;
    s.exchange_ticket(&ticket, &service).await.unwrap();
    let err = s.exchange_ticket(&ticket, &service).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TicketRejected, "{err}");
    assert_eq!(sim.stats().token_grants, 1);
}

#[tokio::test]
async fn a_ticket_for_another_service_is_rejected() {
    let sim = sim(small());
    let s = signin(&sim);
    let ticket = raw_ticket(&sim, &s.profile().login_service_url.clone()).await;
    let err = s
        .exchange_ticket(&ticket, &s.profile().portal_service_url.clone())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TicketRejected, "{err}");
    assert_eq!(sim.stats().token_grants, 0);
}

/// A refused exchange may spend the ticket on Garmin, so the same ticket is never sent again
/// with the next client id: the next id waits for a new ticket.
#[tokio::test]
async fn an_unknown_client_id_passes_to_the_next_with_a_new_ticket() {
    let sim = sim(small());
    let mut profile = EndpointProfile::server(sim.base_url());
    let good = profile.client_ids[1].clone();
    profile.client_ids = vec!["NO_SUCH_CLIENT_ID".into(), good.clone()];
    let s = SignIn::with_config(profile.clone(), SignInConfig::default()).unwrap();
    let ticket = raw_ticket(&sim, &profile.login_service_url).await;
    let err = s
        .exchange_ticket(&ticket, &profile.login_service_url)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TicketRejected, "{err}");
    assert!(err.to_string().contains("NO_SUCH_CLIENT_ID"), "{err}");
    let exchanges = |sim: &gcexport_sim::Sim| {
        sim.stats()
            .by_endpoint
            .get("POST /di-oauth2-service/oauth/token")
            .copied()
            .unwrap_or(0)
    };
    assert_eq!(exchanges(&sim), 1, "one exchange per ticket");
    assert_eq!(s.next_client_id().as_deref(), Some(good.as_str()));
    let tokens = s
        .exchange_ticket(
            &raw_ticket(&sim, &profile.login_service_url).await,
            &profile.login_service_url,
        )
        .await
        .unwrap();
    assert_eq!(tokens.client_id, good);
    assert_eq!(sim.stats().token_grants, 1);
    assert_eq!(exchanges(&sim), 2);
}

#[tokio::test]
async fn a_not_active_client_id_is_dropped_and_the_next_sign_in_uses_the_next() {
    let sim = sim(SimConfig {
        inactive_client_ids: vec!["GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2".into()],
        client_ids: vec!["GARMIN_CONNECT_MOBILE_ANDROID_DI_2024Q4".into()],
        ..small()
    });
    let profile = EndpointProfile::server(sim.base_url());
    let s = SignIn::with_config(profile.clone(), SignInConfig::default()).unwrap();
    let service = profile.login_service_url.clone();
    let first = s
        .exchange_ticket(&raw_ticket(&sim, &service).await, &service)
        .await;
    match first {
        // The not-active token consumed the ticket: the user signs in again.
        Err(e) => assert_eq!(e.kind(), ErrorKind::TicketRejected, "{e}"),
        // Or the simulator let the ticket be tried again with the next id.
        Ok(t) => assert_eq!(t.client_id, "GARMIN_CONNECT_MOBILE_ANDROID_DI_2024Q4"),
    }
    assert_eq!(
        s.inactive_client_ids(),
        vec!["GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2"]
    );
    let tokens = s
        .exchange_ticket(&raw_ticket(&sim, &service).await, &service)
        .await
        .unwrap();
    assert_eq!(tokens.client_id, "GARMIN_CONNECT_MOBILE_ANDROID_DI_2024Q4");
}

#[tokio::test]
async fn imported_token_files_sign_in() {
    let sim = sim(small());
    let tokens = demo_tokens(&sim).await;
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("tokens.json");
    std::fs::write(&ours, tokens.to_json().unwrap()).unwrap();
    let imported = Tokens::import_file(&ours, "UNUSED").unwrap();
    assert_eq!(imported, tokens);

    // An older tool's folder: only its OAuth2 pair is used.
    let legacy = dir.path().join("garth");
    std::fs::create_dir(&legacy).unwrap();
    std::fs::write(
        legacy.join("oauth1_token.json"),
        r#"{"oauth_token":"a","oauth_token_secret":"b"}"#,
    )
    .unwrap();
    std::fs::write(
        legacy.join("oauth2_token.json"),
        serde_json::json!({
            "access_token": tokens.access_token.expose(), "refresh_token": tokens.refresh_token.expose(),
            "token_type": "Bearer", "expires_in": 3600, "expires_at": tokens.expires_at
        })
        .to_string(),
    )
    .unwrap();
    let old = gcexport_connect::import_legacy_folder(&legacy, &tokens.client_id).unwrap();
    assert!(old.oauth1_present);
    let session = Session::start(
        EndpointProfile::server(sim.base_url()),
        old.tokens,
        Arc::new(MemoryStore::default()),
        fast(),
    )
    .await
    .unwrap();
    session.profile().await.unwrap();
}

#[tokio::test]
async fn a_stalled_sso_does_not_hang_sign_in() {
    let sim = sim(SimConfig {
        faults: Faults::parse("stall:ms=60000,on=sso").unwrap(),
        ..small()
    });
    let mut s = SignIn::with_config(
        EndpointProfile::server(sim.base_url()),
        SignInConfig {
            connect_timeout: Duration::from_secs(2),
            read_timeout: Duration::from_millis(500),
        },
    )
    .unwrap();
    let started = std::time::Instant::now();
    let err = s
        .login(DEMO, &Secret::new(DEMO_PASSWORD))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Timeout | ErrorKind::Network),
        "{err}"
    );
    assert!(err.is_retryable());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
