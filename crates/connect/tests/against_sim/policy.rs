//! connect's one sign-in policy against the simulator: the cookie-first JSON login, the
//! token check, the client-id chain with fresh tickets, the store fallback, the human
//! check, and a diagnostic report that holds none of the secrets the simulator issued.

use std::sync::Arc;

use gcexport_connect::{
    EndpointProfile, ErrorKind, MemoryStore, PolicyConfig, Secret, SignInPolicy, SignInStep,
    TokenStore, Tokens,
};
use gcexport_sim::{Faults, Sim, SimConfig};

use crate::common::*;

const FIRST: &str = "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2";
const SECOND: &str = "GARMIN_CONNECT_MOBILE_ANDROID_DI_2024Q4";
const THIRD: &str = "GARMIN_CONNECT_MOBILE_ANDROID_DI";

fn policy_in(sim: &Sim, store: Arc<dyn TokenStore>, dir: Option<&std::path::Path>) -> SignInPolicy {
    SignInPolicy::new(
        EndpointProfile::server(sim.base_url()),
        store,
        None,
        dir,
        PolicyConfig {
            session: fast(),
            ..PolicyConfig::new("gcexport-test", "0.0.0")
        },
    )
}

fn exchanges(sim: &Sim) -> u64 {
    sim.stats()
        .by_endpoint
        .get("POST /di-oauth2-service/oauth/token")
        .copied()
        .unwrap_or(0)
}

fn signed(step: SignInStep) -> gcexport_connect::SignedIn {
    match step {
        SignInStep::SignedIn(s) => s,
        other => panic!("not signed in: {other:?}"),
    }
}

/// The JSON login loads the sign-in page first, in the same cookie jar and with the same
/// User-Agent; the simulator answers 429 otherwise (shown in crates/sim/tests/http_signin.rs).
#[tokio::test]
async fn the_cookie_first_json_login_signs_in() {
    let sim = sim(small());
    let policy = policy_in(&sim, Arc::new(MemoryStore::default()), None);
    let s = signed(
        policy
            .password(DEMO, &Secret::new(DEMO_PASSWORD), true)
            .await
            .unwrap(),
    );
    assert!(s.kept);
    s.session.profile().await.unwrap();
    let stats = sim.stats();
    assert_eq!(stats.by_status.get("429"), None, "{:?}", stats.by_status);
    assert_eq!(stats.logins, 1);
    let report = policy.last_report().unwrap().text();
    let page = report.find("sign-in page").expect(&report);
    let login = report.find("login ").expect(&report);
    assert!(page < login, "{report}");
}

/// "Token is not active" for the first client id: the policy asks once for a new sign-in,
/// the next id works with that new ticket, and the next run starts with it.
#[tokio::test]
async fn a_not_active_token_asks_for_one_new_ticket_and_the_id_that_worked_is_remembered() {
    let sim = sim(SimConfig {
        inactive_client_ids: vec![FIRST.into()],
        client_ids: vec![SECOND.into(), THIRD.into()],
        ..small()
    });
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(&sim, Arc::new(MemoryStore::default()), Some(dir.path()));
    let service = policy.profile().login_service_url.clone();
    let ticket = raw_ticket(&sim, &service).await;
    let SignInStep::SignInAgain { message } = policy.ticket(&ticket, &service, true).await.unwrap()
    else {
        panic!("the front end must be asked for a new sign-in");
    };
    assert!(
        message.contains(FIRST) && message.contains(SECOND),
        "{message}"
    );
    assert_eq!(
        exchanges(&sim),
        1,
        "the used ticket is not tried with the next id"
    );
    let report = policy.last_report().unwrap().text();
    assert!(report.contains("\"Token is not active\""), "{report}");

    let s = signed(
        policy
            .ticket(&raw_ticket(&sim, &service).await, &service, true)
            .await
            .unwrap(),
    );
    assert_eq!(s.session.tokens().client_id, SECOND);
    assert_eq!(exchanges(&sim), 2);

    // A later run (a new process) starts with the id that worked: one exchange, no refusal.
    let later = policy_in(&sim, Arc::new(MemoryStore::default()), Some(dir.path()));
    assert_eq!(later.next_client_id().as_deref(), Some(SECOND));
    let s = signed(
        later
            .password(DEMO, &Secret::new(DEMO_PASSWORD), true)
            .await
            .unwrap(),
    );
    assert_eq!(s.session.tokens().client_id, SECOND);
    assert_eq!(exchanges(&sim), 3);
    assert_eq!(sim.stats().token_grants, 3);
}

/// Asked once, never in a loop: a second refusal in the same sign-in is an error; only the
/// user's next sign-in goes on to the next id.
#[tokio::test]
async fn a_second_refusal_ends_the_sign_in_instead_of_looping() {
    let sim = sim(SimConfig {
        inactive_client_ids: vec![FIRST.into(), SECOND.into()],
        client_ids: vec![THIRD.into()],
        ..small()
    });
    let policy = policy_in(&sim, Arc::new(MemoryStore::default()), None);
    let service = policy.profile().login_service_url.clone();
    let first = policy
        .ticket(&raw_ticket(&sim, &service).await, &service, true)
        .await
        .unwrap();
    assert!(matches!(first, SignInStep::SignInAgain { .. }), "{first:?}");
    let second = policy
        .ticket(&raw_ticket(&sim, &service).await, &service, true)
        .await
        .unwrap_err();
    assert_eq!(second.kind(), ErrorKind::TicketRejected);
    let text = second.to_string();
    assert!(text.contains(FIRST) && text.contains(SECOND), "{text}");
    assert!(text.contains("endpoint profile"), "{text}");
    assert_eq!(exchanges(&sim), 2, "one exchange per ticket, nothing more");
    let s = signed(
        policy
            .ticket(&raw_ticket(&sim, &service).await, &service, true)
            .await
            .unwrap(),
    );
    assert_eq!(s.session.tokens().client_id, THIRD);
}

/// A ticket something else already followed is refused for every client id: one exchange,
/// no other id tried with it, and the error asks for a new sign-in.
#[tokio::test]
async fn a_used_ticket_is_refused_once_without_trying_other_ids() {
    let sim = sim(small());
    let policy = policy_in(&sim, Arc::new(MemoryStore::default()), None);
    let service = policy.profile().login_service_url.clone();
    let ticket = raw_ticket(&sim, &service).await;
    signed(policy.ticket(&ticket, &service, true).await.unwrap());
    let err = policy.ticket(&ticket, &service, true).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TicketRejected, "{err}");
    assert_eq!(exchanges(&sim), 2);
    // The id that worked is not blamed for a spent ticket.
    assert_eq!(policy.next_client_id().as_deref(), Some(FIRST));
}

/// The keyring refusing the tokens leaves the user signed in for this run, told why.
#[tokio::test]
async fn a_store_that_refuses_falls_back_to_memory() {
    struct Refusing;
    impl TokenStore for Refusing {
        fn load(&self) -> gcexport_connect::Result<Option<Tokens>> {
            Ok(None)
        }
        fn save(&self, _: &Tokens) -> gcexport_connect::Result<()> {
            Err(gcexport_connect::Error::Storage(
                "the keyring is locked".into(),
            ))
        }
        fn clear(&self) -> gcexport_connect::Result<()> {
            Ok(())
        }
    }
    let sim = sim(small());
    let policy = policy_in(&sim, Arc::new(Refusing), None);
    assert!(policy.resume().await.unwrap().is_none());
    let s = signed(
        policy
            .password(DEMO, &Secret::new(DEMO_PASSWORD), true)
            .await
            .unwrap(),
    );
    assert!(!s.kept);
    assert!(s.warning.unwrap().contains("keyring is locked"));
    s.session.profile().await.unwrap();
}

/// MFA through the policy: a wrong code keeps the sign-in pending, the right one ends it;
/// the saved sign-in is then resumed without any request to the SSO.
#[tokio::test]
async fn the_code_step_and_a_resume_go_through_the_policy() {
    let sim = sim(small());
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::default());
    let policy = policy_in(&sim, store.clone(), None);
    let step = policy
        .password("mfa@example.com", &Secret::new(MFA_PASSWORD), true)
        .await
        .unwrap();
    assert!(matches!(step, SignInStep::NeedsCode { .. }), "{step:?}");
    let wrong = policy.code(&Secret::new("000000")).await.unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::WrongCode);
    assert!(policy.awaits_code().await);
    signed(policy.code(&Secret::new(MFA_CODE)).await.unwrap());
    let logins = sim.stats().logins;
    let again = policy_in(&sim, store, None);
    let session = again.resume().await.unwrap().expect("saved");
    again.check(&session).await.unwrap();
    assert_eq!(sim.stats().logins, logins);
    let report = again.last_report().unwrap().text();
    assert!(report.contains("saved tokens found"), "{report}");
    assert!(report.contains("token check"), "{report}");
}

/// Cloudflare's "verify you are human" page on the login or the token endpoint: a clear
/// message, and the report shows it with the CDN's markers.
#[tokio::test]
async fn a_cdn_challenge_is_a_human_check_with_a_clear_message() {
    for on in ["/mobile/api/login", "auth"] {
        let sim = sim(SimConfig {
            faults: Faults::parse(&format!("challenge:on={on}")).unwrap(),
            ..small()
        });
        let policy = policy_in(&sim, Arc::new(MemoryStore::default()), None);
        let err = if on == "auth" {
            let service = policy.profile().login_service_url.clone();
            policy
                .ticket(&raw_ticket(&sim, &service).await, &service, true)
                .await
                .unwrap_err()
        } else {
            policy
                .password(DEMO, &Secret::new(DEMO_PASSWORD), true)
                .await
                .unwrap_err()
        };
        assert_eq!(err.kind(), ErrorKind::CaptchaRequired, "{on}: {err}");
        assert!(
            err.to_string()
                .starts_with("Garmin's site asked for a human check"),
            "{err}"
        );
        let report = policy.last_report().unwrap().text();
        assert!(report.contains("HTTP 403"), "{report}");
        assert!(report.contains("human check"), "{report}");
        assert!(report.contains("server=cloudflare cf-ray="), "{report}");
    }
}

/// Everything the simulator issued: the sign-in's secrets must appear nowhere in a report.
fn assert_no_secrets(report: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!s.is_empty());
        assert!(!report.contains(s), "a secret leaked into:\n{report}");
    }
    // The sim's tickets (ST-...), SESSION cookies (32 hex) and __cf_bm cookies (43
    // letters/digits), whatever their value: no such run of characters in the text.
    assert!(!report.contains("ST-"), "{report}");
    for word in report.split(|c: char| !c.is_ascii_alphanumeric()) {
        assert!(
            word.len() < 30,
            "a long opaque value {word:?} in:\n{report}"
        );
    }
    for name in ["SESSION", "__cf_bm", "GARMIN-SSO", "Bearer", "@example.com"] {
        assert!(!report.contains(name), "{name} in:\n{report}");
    }
}

#[tokio::test]
async fn a_diagnostic_report_holds_none_of_the_secrets_the_simulator_issued() {
    let sim = sim(SimConfig {
        inactive_client_ids: vec![FIRST.into()],
        client_ids: vec![SECOND.into()],
        ..small()
    });
    let policy = policy_in(&sim, Arc::new(MemoryStore::default()), None);

    // Failed: a wrong password, then a code flow whose token is "not active".
    let wrong = "wrong-password-123";
    policy
        .password(DEMO, &Secret::new(wrong), true)
        .await
        .unwrap_err();
    let failed = policy.last_report().unwrap().text();
    assert!(failed.contains("failed (wrong_credentials)"), "{failed}");
    assert_no_secrets(&failed, &[wrong, DEMO, "demo@"]);

    let step = policy
        .password("mfa@example.com", &Secret::new(MFA_PASSWORD), true)
        .await
        .unwrap();
    assert!(matches!(step, SignInStep::NeedsCode { .. }));
    let again = policy.code(&Secret::new(MFA_CODE)).await.unwrap();
    assert!(matches!(again, SignInStep::SignInAgain { .. }), "{again:?}");
    let not_active = policy.last_report().unwrap().text();
    assert!(not_active.contains("verification code"), "{not_active}");
    assert_no_secrets(&not_active, &[MFA_PASSWORD, MFA_CODE, "mfa@example.com"]);

    // Successful, through a ticket: the ticket and both tokens stay out.
    let service = policy.profile().login_service_url.clone();
    let ticket = raw_ticket(&sim, &service).await;
    let s = signed(policy.ticket(&ticket, &service, true).await.unwrap());
    let tokens = s.session.tokens();
    let ok = policy.last_report().unwrap().text();
    assert!(ok.contains("outcome: signed in"), "{ok}");
    assert_no_secrets(
        &ok,
        &[
            ticket.expose(),
            tokens.access_token.expose(),
            tokens.refresh_token.expose(),
        ],
    );
    println!("--- failed ---\n{not_active}--- successful ---\n{ok}");
}
