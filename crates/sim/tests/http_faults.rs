#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every fault kind, observed from the client's side of a real connection.

mod http_support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use gcexport_sim::Faults;
use http_support::*;

const PROFILE: &str = "/userprofile-service/socialProfile";

async fn signed_in(spec: &str) -> (gcexport_sim::Sim, String) {
    let sim = gcexport_sim::start(small(30)).unwrap();
    let token = access_token(&sim).await;
    sim.set_faults(Faults::parse(spec).unwrap());
    sim.reset_stats();
    (sim, token)
}

/// The first activity whose original download exists, and its size.
async fn a_file(sim: &gcexport_sim::Sim) -> (i64, u64) {
    let expected = expected(sim).await;
    let entry = expected["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["formats"]["original"]["status"] == 200)
        .unwrap()
        .clone();
    (
        entry["id"].as_i64().unwrap(),
        entry["formats"]["original"]["size"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn cloudflare_html_429_without_retry_after() {
    let (sim, token) = signed_in("429:first=1,on=api").await;
    let r = api_get(&sim, &token, PROFILE).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_none());
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = r.text().await.unwrap();
    assert!(body.contains(
        "<title>Access denied | sso.garmin.com used Cloudflare to restrict access</title>"
    ));
    assert_eq!(api_get(&sim, &token, PROFILE).await.status(), 200);
    assert_eq!(sim.stats().faults_injected["429"], 1);
}

#[tokio::test]
async fn cloudflare_403_block_page_or_json_on_downloads() {
    let (sim, token) = signed_in("403:on=download").await;
    let (id, _) = a_file(&sim).await;
    let path = format!("/download-service/files/activity/{id}");
    let r = download_get(&sim, &token, &path).await;
    assert_eq!(r.status(), 403);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = r.text().await.unwrap();
    assert!(body.contains("<title>Access denied |"), "{body}");
    assert!(
        body.contains("used Cloudflare to restrict access</title>"),
        "{body}"
    );
    // Only downloads are blocked by this rule.
    assert_eq!(api_get(&sim, &token, PROFILE).await.status(), 200);
    assert_eq!(sim.stats().faults_injected["403"], 1);

    sim.set_faults(Faults::parse("403:body=json,first=1").unwrap());
    let r = download_get(&sim, &token, &path).await;
    assert_eq!(r.status(), 403);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(v.is_object(), "{v}");
    assert_eq!(download_get(&sim, &token, &path).await.status(), 200);
}

#[tokio::test]
async fn json_429_with_retry_after_and_a_burst() {
    let (sim, token) = signed_in("429:first=1,body=json,retry-after=7,burst=3").await;
    for _ in 0..3 {
        let r = api_get(&sim, &token, PROFILE).await;
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "7");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["status-code"], "429");
    }
    assert_eq!(api_get(&sim, &token, PROFILE).await.status(), 200);
}

#[tokio::test]
async fn a_429_on_the_login_page() {
    let sim = gcexport_sim::start(small(5)).unwrap();
    sim.set_faults(Faults::parse("429:first=1,on=sso").unwrap());
    let (status, _) = {
        let r = client()
            .post(login_url(&sim, "mobile", MOBILE_SERVICE))
            .json(&serde_json::json!({"username": "demo@example.com", "password": "demo-password"}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    assert_eq!(status, 429);
    // The credential POST is still counted: a test can prove a client did not retry it.
    assert_eq!(sim.stats().logins, 1);
    assert_eq!(sim.stats().tickets_issued, 0);
}

#[tokio::test]
async fn requests_during_a_retry_after_are_counted() {
    let (sim, token) = signed_in("429:first=1,body=json,retry-after=3").await;
    assert_eq!(api_get(&sim, &token, PROFILE).await.status(), 429);
    // An impatient client: back in once the grace for requests already on their way is
    // over, well before the 3 s are.
    tokio::time::sleep(gcexport_sim::RETRY_AFTER_GRACE + Duration::from_millis(50)).await;
    assert_eq!(api_get(&sim, &token, PROFILE).await.status(), 200);
    assert_eq!(sim.stats().requests_during_retry_after, 1);
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(api_get(&sim, &token, PROFILE).await.status(), 200);
    assert_eq!(sim.stats().requests_during_retry_after, 1);
}

#[tokio::test]
async fn wrong_bodies_are_200s_that_are_not_the_file() {
    let (sim, token) = signed_in("wrongbody:first=1,on=download").await;
    let (id, size) = a_file(&sim).await;
    let path = format!("/download-service/files/activity/{id}");
    let html = download_get(&sim, &token, &path).await;
    assert_eq!(html.status(), 200);
    assert!(
        html.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(html.text().await.unwrap().contains("maintenance"));
    sim.set_faults(Faults::parse("wrongbody:first=1,as=json,on=download").unwrap());
    let json = download_get(&sim, &token, &path).await;
    assert_eq!(json.status(), 200);
    assert!(
        json.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: serde_json::Value = json.json().await.unwrap();
    assert!(body["message"].is_string());
    let file = download_get(&sim, &token, &path).await;
    assert_eq!(file.bytes().await.unwrap().len() as u64, size);
    assert_eq!(sim.stats().faults_injected["wrongbody"], 2);
}

#[tokio::test]
async fn server_errors() {
    let (sim, token) = signed_in("5xx:first=1;5xx:status=502,first=2").await;
    assert_eq!(api_get(&sim, &token, PROFILE).await.status(), 503);
    assert_eq!(api_get(&sim, &token, PROFILE).await.status(), 502);
    assert_eq!(api_get(&sim, &token, PROFILE).await.status(), 200);
    assert_eq!(sim.stats().faults_injected["5xx"], 2);
    assert_eq!(sim.stats().by_status["503"], 1);
}

#[tokio::test]
async fn a_reset_breaks_the_body_after_the_headers() {
    let (sim, token) = signed_in("reset:at=0.5,on=download").await;
    let (id, size) = a_file(&sim).await;
    let r = download_get(
        &sim,
        &token,
        &format!("/download-service/files/activity/{id}"),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.content_length(), Some(size));
    assert!(r.bytes().await.is_err());
    assert_eq!(sim.stats().faults_injected["reset"], 1);
}

#[tokio::test]
async fn truncation_with_a_correct_and_a_wrong_length() {
    let (sim, token) = signed_in("truncate:length=correct,at=0.5,on=download").await;
    let (id, size) = a_file(&sim).await;
    let path = format!("/download-service/files/activity/{id}");
    let r = download_get(&sim, &token, &path).await;
    assert_eq!(r.status(), 200);
    let declared = r.content_length().unwrap();
    let body = r.bytes().await.unwrap();
    assert_eq!(declared, body.len() as u64);
    assert_eq!(body.len() as u64, size / 2);

    sim.set_faults(Faults::parse("truncate:length=wrong,at=0.5,on=download").unwrap());
    let r = download_get(&sim, &token, &path).await;
    assert_eq!(r.content_length(), Some(size));
    assert!(
        r.bytes().await.is_err(),
        "a short body under a full Content-Length"
    );
}

#[tokio::test]
async fn drip_and_bandwidth_slow_the_body_but_keep_it_intact() {
    let (sim, token) = signed_in("").await;
    let (id, size) = a_file(&sim).await;
    let path = format!("/download-service/files/activity/{id}");
    let clean = download_get(&sim, &token, &path)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(clean.len() as u64, size);

    // About half a second at this rate, whatever the file's size.
    let bps = (size * 2).max(1);
    sim.set_faults(Faults::parse(&format!("bandwidth:bps={bps},on=download")).unwrap());
    let started = Instant::now();
    let slow = download_get(&sim, &token, &path)
        .await
        .bytes()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(slow, clean);

    let chunk = (size / 20).max(1);
    sim.set_faults(Faults::parse(&format!("drip:chunk={chunk},every-ms=20,on=download")).unwrap());
    let started = Instant::now();
    let dripped = download_get(&sim, &token, &path)
        .await
        .bytes()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(dripped, clean);
    let injected = sim.stats().faults_injected;
    assert_eq!((injected["bandwidth"], injected["drip"]), (1, 1));
}

#[tokio::test]
async fn latency_delays_every_matching_request() {
    let (sim, token) = signed_in("latency:ms=200,on=/userprofile-service/").await;
    let started = Instant::now();
    assert_eq!(api_get(&sim, &token, PROFILE).await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(200));
    let started = Instant::now();
    assert_eq!(
        api_get(&sim, &token, "/activitylist-service/activities/count")
            .await
            .status(),
        200
    );
    assert!(started.elapsed() < Duration::from_millis(200));
}

#[tokio::test]
async fn a_stall_runs_into_the_client_timeout() {
    let (sim, token) = signed_in("stall:ms=600000,on=api").await;
    let started = Instant::now();
    let result = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
        .get(format!("{}{PROFILE}", sim.base_url()))
        .bearer_auth(&token)
        .send()
        .await;
    assert!(result.unwrap_err().is_timeout());
    assert!(started.elapsed() < Duration::from_secs(5));
    // Dropping the simulator with a stalled request in it must not hang.
    let dropped = Instant::now();
    drop(sim);
    assert!(dropped.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn inactive_turns_a_good_token_away() {
    let (sim, token) = signed_in("inactive:first=1").await;
    let r = api_get(&sim, &token, PROFILE).await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        r#"Bearer error="invalid_token", error_description="Token is not active""#
    );
    assert_eq!(api_get(&sim, &token, PROFILE).await.status(), 200);
}

#[tokio::test]
async fn the_sim_endpoints_are_never_faulted_nor_counted() {
    let (sim, _token) = signed_in("5xx:on=any").await;
    let r = client()
        .get(format!("{}/__sim/stats", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let stats: serde_json::Value = r.json().await.unwrap();
    assert_eq!(stats["requests"], 0);
    let refused = client()
        .post(format!("{}/__sim/faults", sim.base_url()))
        .body("meteor:p=1")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("meteor"));
    let accepted = client()
        .post(format!("{}/__sim/faults", sim.base_url()))
        .body("latency:ms=1")
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 204);
}

/// Fires the same 60 requests at two simulators in opposite orders, concurrently.
async fn failing_targets(seed: u64, reversed: bool) -> BTreeSet<String> {
    let sim = gcexport_sim::start(gcexport_sim::SimConfig { seed, ..small(60) }).unwrap();
    let token = access_token(&sim).await;
    sim.set_faults(Faults::parse("5xx:p=0.3,on=details").unwrap());
    let mut ids: Vec<i64> = (0..60)
        .map(|k| sim.account().nth_newest(k).unwrap().id())
        .collect();
    if reversed {
        ids.reverse();
    }
    let mut tasks = Vec::new();
    for id in ids {
        let url = format!("{}/activity-service/activity/{id}", sim.base_url());
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let r = client().get(&url).bearer_auth(token).send().await.unwrap();
            (url, r.status().as_u16())
        }));
    }
    let mut failed = BTreeSet::new();
    for task in tasks {
        let (url, status) = task.await.unwrap();
        if status == 503 {
            failed.insert(url.split("/activity/").nth(1).unwrap().to_owned());
        }
    }
    failed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_decisions_are_reproducible_under_concurrency() {
    let a = failing_targets(7, false).await;
    let b = failing_targets(7, true).await;
    assert_eq!(a, b);
    assert!((5..40).contains(&a.len()), "{}", a.len());
    let c = failing_targets(8, false).await;
    assert_ne!(a, c, "another seed, other faults");
}

#[test]
fn bad_specs_name_their_bad_part() {
    for (spec, part) in [
        ("boom", "boom"),
        ("429:body=xml", "xml"),
        ("latency:ms=5,colour=red", "colour"),
        ("5xx:status=200", "200"),
        ("drip:every-ms=soon", "soon"),
        ("truncate:length=maybe", "maybe"),
    ] {
        let e = Faults::parse(spec).unwrap_err().to_string();
        assert!(e.contains(part), "{spec}: {e}");
    }
    assert!(Faults::parse("latency:ms=50,jitter=20;bandwidth:bps=200000;429:body=html,retry-after=5,burst=2;5xx:status=503;reset:at=0.5;truncate:length=correct,at=0.5;drip:chunk=256,every-ms=5;inactive;stall:ms=600000").is_ok());
    assert!(Faults::none().is_empty());
}
