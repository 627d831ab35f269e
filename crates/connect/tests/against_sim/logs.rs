use std::io::Write;
use std::sync::{Arc, Mutex};

use gcexport_connect::{EndpointProfile, LoginOutcome, MemoryStore, Secret, Session};

use crate::common::*;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every line logged while signing in with a password and an MFA code, refreshing and
/// calling the API, at TRACE level and for every crate: none holds a secret.
#[tokio::test]
async fn sign_in_logs_no_password_code_ticket_or_token() {
    let sim = sim(small());
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // This test's runtime is single-threaded: every task logs through this thread.
    let _guard = tracing::subscriber::set_default(subscriber);

    let password = "mfa-password";
    let mut s = signin(&sim);
    let wrong = s
        .login("mfa@example.com", &Secret::new("a-wrong-password-9"))
        .await;
    assert!(wrong.is_err());
    let LoginOutcome::NeedsCode { .. } = s
        .login("mfa@example.com", &Secret::new(password))
        .await
        .unwrap()
    else {
        panic!("no MFA");
    };
    let _ = s.submit_code(&Secret::new("654321")).await;
    let tokens = s.submit_code(&Secret::new(MFA_CODE)).await.unwrap();
    tracing::info!(?tokens, "tokens as a caller might log them by mistake");
    let session = Session::start(
        EndpointProfile::server(sim.base_url()),
        tokens.clone(),
        Arc::new(MemoryStore::default()),
        fast(),
    )
    .await
    .unwrap();
    session.refresh().await.unwrap();
    session.profile().await.unwrap();
    let refreshed = session.tokens();

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(text.lines().count() > 5, "nothing captured:\n{text}");
    let secrets = [
        password,
        "a-wrong-password-9",
        MFA_CODE,
        "654321",
        tokens.access_token.expose(),
        tokens.refresh_token.expose(),
        refreshed.access_token.expose(),
        refreshed.refresh_token.expose(),
    ];
    for line in text.lines() {
        for secret in secrets {
            assert!(!line.contains(secret), "a secret in the log: {line}");
        }
        assert!(!line.contains("ST-"), "a service ticket in the log: {line}");
    }
}
