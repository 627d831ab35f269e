//! The lock-out and data-loss paths of issue 13: each test sets up the condition today's
//! tests never create (two sessions on one store, a CDN ban of the token endpoint, a
//! day-long `Retry-After`, a huge JSON answer, a server that is not Garmin's).

use std::io::{Read as _, Write as _};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gcexport_connect::{
    ApiRequest, EndpointProfile, ErrorKind, FileStore, MemoryStore, Secret, Session, SignIn,
    TokenStore, Tokens,
};
use gcexport_sim::{Faults, SimConfig};

use crate::common::*;

/// Two sessions (as the app and the CLI would hold) on one token file, each with its own
/// `FileStore` (so nothing is shared but the file and its lock file, as between two
/// processes: the lock is an OS file lock, which two open files contend for even inside
/// one process). The access token lives 2 s, so both refresh several times while
/// working. Before: the second refresh of a rotation sent a dead refresh token, got
/// `invalid_grant`, and that session was signed out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sessions_sharing_one_store_keep_working_through_refreshes() {
    let sim = sim(SimConfig {
        activities: 6,
        access_token_ttl: Duration::from_secs(2),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let profile = EndpointProfile::server(sim.base_url());
    let first = demo_session(&sim, Arc::new(FileStore::new(&path)), fast()).await;
    let second = Session::resume(profile, Arc::new(FileStore::new(&path)), fast())
        .await
        .unwrap();
    let work = |s: Session| async move {
        let until = Instant::now() + Duration::from_secs(9);
        let mut calls = 0u32;
        while Instant::now() < until {
            s.profile()
                .await
                .unwrap_or_else(|e| panic!("call {calls} failed: {e}"));
            calls += 1;
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        s
    };
    let (first, second) = tokio::join!(work(first), work(second));
    let refreshes = first.refresh_count() + second.refresh_count();
    assert!(
        refreshes >= 4,
        "only {refreshes} refreshes in 9 s of 2 s tokens"
    );
    let saved = FileStore::new(&path)
        .load()
        .unwrap()
        .expect("the store survives");
    assert!(
        [first.tokens(), second.tokens()]
            .iter()
            .any(|t| t.refresh_token == saved.refresh_token),
        "the store holds the tokens in use"
    );
    assert_eq!(
        raw_refresh_status(&sim, &saved).await,
        200,
        "and Garmin accepts them"
    );
}

/// The same path made deterministic: a session whose refresh token died because another
/// refreshed takes the newer tokens from the store instead of refreshing with its dead one;
/// and a sign-in found expired is forgotten only while the store still holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_adopts_tokens_another_refreshed() {
    let sim = sim(small());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let profile = EndpointProfile::server(sim.base_url());
    let a = demo_session(&sim, Arc::new(FileStore::new(&path)), fast()).await;
    let b = Session::resume(profile.clone(), Arc::new(FileStore::new(&path)), fast())
        .await
        .unwrap();
    a.refresh().await.unwrap();
    b.refresh().await.unwrap();
    assert_eq!(b.tokens(), a.tokens(), "b took a's tokens");
    b.profile().await.unwrap();
    a.profile().await.unwrap();

    // Someone signs in again (the CLI, another window): an expiry seen by `a` must not
    // delete that new sign-in.
    let newer = demo_tokens(&sim).await;
    FileStore::new(&path).save(&newer).unwrap();
    assert!(!a.forget_if_unchanged().await.unwrap());
    assert_eq!(FileStore::new(&path).load().unwrap(), Some(newer));
    let c = Session::resume(profile, Arc::new(FileStore::new(&path)), fast())
        .await
        .unwrap();
    assert!(c.forget_if_unchanged().await.unwrap());
    assert_eq!(FileStore::new(&path).load().unwrap(), None);
}

/// A CDN ban (Cloudflare's HTML page, or its JSON, with 403) on the token endpoint is a
/// pause, not an expired sign-in. Before: any 4xx there was `TokensExpired`, and the app
/// then deleted the saved sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cdn_ban_of_the_token_endpoint_keeps_the_sign_in() {
    let sim = sim(small());
    for body in ["html", "json"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        let session = demo_session(&sim, Arc::new(FileStore::new(&path)), fast()).await;
        let before = FileStore::new(&path).load().unwrap().unwrap();
        sim.set_faults(Faults::parse(&format!("429:status=403,body={body},on=auth")).unwrap());
        let err = session.refresh().await.unwrap_err();
        sim.set_faults(Faults::none());
        assert_eq!(err.kind(), ErrorKind::RateLimited, "{body}: {err}");
        assert!(err.until().is_some());
        let after = FileStore::new(&path).load().unwrap();
        assert_eq!(
            after.as_ref(),
            Some(&before),
            "{body}: the saved sign-in is intact"
        );
        // Once the CDN lets us through again, the same tokens still work.
        session.refresh().await.unwrap();
        session.profile().await.unwrap();
    }
}

/// A refresh token Garmin really refused (`invalid_grant`) is still "sign in again".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_grant_still_means_expired() {
    let sim = sim(small());
    let store = Arc::new(MemoryStore::default());
    let session = demo_session(&sim, store.clone(), fast()).await;
    let mut dead = session.tokens();
    dead.refresh_token = Secret::new("not-a-refresh-token");
    let other = Session::start(
        EndpointProfile::server(sim.base_url()),
        dead,
        Arc::new(MemoryStore::default()),
        fast(),
    )
    .await
    .unwrap();
    let err = other.refresh().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TokensExpired, "{err}");
}

/// A `Retry-After` of a day is not obeyed by sleeping: the call stops at once with the
/// time to come back, and no other request is sent meanwhile. Before: the call slept 24 h.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_long_retry_after_stops_with_the_time_to_come_back() {
    let sim = sim(small());
    let session = demo_session(&sim, Arc::new(MemoryStore::default()), fast()).await;
    sim.set_faults(Faults::parse("429:body=json,retry-after=86400,on=api").unwrap());
    let started = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(20), session.profile())
        .await
        .expect("the call returns instead of waiting a day")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    let until = err.until().unwrap();
    let ahead = until - chrono::Utc::now();
    assert!(
        ahead > chrono::Duration::hours(23) && ahead <= chrono::Duration::hours(24),
        "{ahead}"
    );
    sim.reset_stats();
    let again = session.profile().await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::RateLimited);
    assert_eq!(sim.stats().requests, 0, "nothing sent while stopped");
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// A wait within the cap is still obeyed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_retry_after_is_waited() {
    let sim = sim(small());
    let session = demo_session(&sim, Arc::new(MemoryStore::default()), fast()).await;
    sim.set_faults(Faults::parse("429:first=1,body=json,retry-after=1,on=api").unwrap());
    let started = Instant::now();
    session.profile().await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
}

/// A loopback server answering one request with `body` (and `Content-Length` only when
/// `declare`), for answers the simulator has no reason to produce.
fn one_shot_server(body: Vec<u8>, declare: bool) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let head = if declare {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
            } else {
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
                    .to_owned()
            };
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    url
}

fn long_lived_tokens() -> Tokens {
    let now = chrono::Utc::now().timestamp();
    Tokens {
        access_token: Secret::new("access"),
        refresh_token: Secret::new("refresh"),
        client_id: "C".into(),
        issued_at: now,
        expires_at: now + 86_400,
        refresh_expires_at: None,
        customer_id: None,
        expires_at_ms: None,
    }
}

/// A JSON answer of 48 MiB is refused, with or without a declared length, instead of
/// being held in memory whole. Before: it was read and parsed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_json_answer_is_refused() {
    let mut body = b"{\"pad\":\"".to_vec();
    body.resize(48 * 1024 * 1024, b'a');
    body.extend_from_slice(b"\"}");
    for declare in [true, false] {
        let url = one_shot_server(body.clone(), declare);
        let session = Session::start(
            EndpointProfile::server(&url),
            long_lived_tokens(),
            Arc::new(MemoryStore::default()),
            fast(),
        )
        .await
        .unwrap();
        let err = session
            .get_json(&ApiRequest::get("/userprofile-service/socialProfile"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadBody, "declared {declare}: {err}");
        assert!(!err.is_retryable());
    }
}

/// Tokens, passwords and tickets go over https only, loopback excepted. Before: any
/// `--server http://...` got them in clear text.
#[test]
fn plain_http_is_refused_except_on_loopback() {
    for url in [
        "http://example.com",
        "http://10.0.0.2:8080",
        "ftp://example.com",
    ] {
        let err = SignIn::new(EndpointProfile::server(url)).err().expect(url);
        assert_eq!(err.kind(), ErrorKind::Config, "{url}");
    }
    for url in [
        "https://example.com",
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:2",
    ] {
        assert!(SignIn::new(EndpointProfile::server(url)).is_ok(), "{url}");
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = Arc::new(MemoryStore::default());
    let started = rt.block_on(Session::start(
        EndpointProfile::server("http://example.com"),
        long_lived_tokens(),
        store.clone(),
        fast(),
    ));
    assert_eq!(started.unwrap_err().kind(), ErrorKind::Config);
    assert_eq!(store.load().unwrap(), None, "nothing saved for that server");
}

/// Tokens are kept per origin: Garmin's keep today's names (existing users stay signed
/// in); any other server gets its own, so `--server` never receives Garmin's tokens.
#[test]
fn tokens_are_kept_per_origin() {
    let garmin = EndpointProfile::default();
    assert_eq!(garmin.token_key("garmin-connect"), "garmin-connect");
    assert_eq!(garmin.token_file_name(), "tokens.json");
    let other = EndpointProfile::server("https://garmin.example:8443/");
    assert_eq!(
        other.token_key("garmin-connect"),
        "garmin-connect@https://garmin.example:8443"
    );
    let sim = EndpointProfile::server("http://127.0.0.1:9000");
    assert_ne!(sim.token_file_name(), other.token_file_name());
    assert_ne!(sim.token_file_name(), "tokens.json");
    let api_only = EndpointProfile {
        api_url: "https://elsewhere.example".into(),
        ..Default::default()
    };
    assert_ne!(api_only.token_key("u"), "u");
}

/// Cloudflare's HTML 429 is the CDN's wall, not Garmin asking for a pause: the call stops at
/// once with a time to come back, and no further request of the session is sent (before: the
/// session paused and asked again up to six times, each a new strike at the CDN).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_429_from_the_cdn_stops_the_session_at_once() {
    let sim = sim(small());
    let session = demo_session(&sim, Arc::new(MemoryStore::default()), fast()).await;
    sim.set_faults(Faults::parse("429:body=html,on=api").unwrap());
    sim.reset_stats();
    let err = tokio::time::timeout(Duration::from_secs(20), session.profile())
        .await
        .expect("the call returns at once")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(
        sim.stats().requests,
        1,
        "one request, no retry into the wall"
    );
    let ahead = err.until().unwrap() - chrono::Utc::now();
    assert!(ahead > chrono::Duration::minutes(50), "{ahead}");
    let again = session.clone().profile().await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::RateLimited);
    assert_eq!(sim.stats().requests, 1, "nothing more sent while blocked");
}
