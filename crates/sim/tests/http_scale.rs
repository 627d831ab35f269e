#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Counters under concurrency, a 10,000-activity account, and the `garmin-sim` binary.

mod http_support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use gcexport_sim::Faults;
use http_support::*;

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stats_see_parallel_requests_and_connections() {
    let sim = gcexport_sim::start(small(30)).unwrap();
    let token = access_token(&sim).await;
    sim.set_faults(Faults::parse("latency:ms=400,on=details").unwrap());
    sim.reset_stats();
    let ids: Vec<i64> = (0..8)
        .map(|k| sim.account().nth_newest(k).unwrap().id())
        .collect();
    let mut tasks = Vec::new();
    for id in ids {
        // One client each: eight separate connections.
        let url = format!("{}/activity-service/activity/{id}", sim.base_url());
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            client()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let stats = sim_stats(&sim).await;
    assert_eq!(stats["requests"], 8);
    assert_eq!(
        stats["by_endpoint"]["GET /activity-service/activity/{id}"],
        8
    );
    assert_eq!(stats["by_status"]["200"], 8);
    assert_eq!(stats["peak_concurrent_requests"], 8);
    assert!(stats["peak_concurrent_connections"].as_u64().unwrap() >= 8);
    assert!(stats["connections"].as_u64().unwrap() >= 8);
    assert_eq!(stats["faults_injected"]["latency"], 8);
    assert!(stats["bytes_sent"].as_u64().unwrap() > 0);
    for key in [
        "logins",
        "tickets_issued",
        "token_grants",
        "token_refreshes",
        "requests_during_retry_after",
        "open_connections",
        "mfa_verifications",
    ] {
        assert!(stats[key].is_u64(), "{key}");
    }

    // Keep-alive: one client, sequential requests, one connection.
    sim.reset_stats();
    let c = client();
    for _ in 0..5 {
        let r = c
            .get(format!(
                "{}/activitylist-service/activities/count",
                sim.base_url()
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
    }
    let stats = sim.stats();
    assert_eq!(stats.connections, 1);
    assert_eq!(stats.peak_concurrent_requests, 1);

    let reset = client()
        .post(format!("{}/__sim/stats/reset", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    assert_eq!(sim.stats().requests, 0);
    let unknown = client()
        .get(format!("{}/nowhere", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(sim.stats().by_endpoint["GET (unmatched)"], 1);
}

#[tokio::test]
async fn ten_thousand_activities_stay_cheap() {
    let before = rss_kib();
    let sim = gcexport_sim::start(gcexport_sim::SimConfig {
        activities: 10_000,
        seed: 3,
        ..Default::default()
    })
    .unwrap();
    let token = access_token(&sim).await;
    let count: serde_json::Value = api_get(&sim, &token, "/activitylist-service/activities/count")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(count["totalCount"], 10_000);

    let last_page = "/activitylist-service/activities/search/activities?start=9000&limit=1000";
    let page: serde_json::Value = api_get(&sim, &token, last_page).await.json().await.unwrap();
    assert_eq!(page.as_array().unwrap().len(), 1000);
    let oldest = sim.account().nth_newest(9_999).unwrap().id();
    assert_eq!(page[999]["activityId"], oldest);
    let past: serde_json::Value = api_get(
        &sim,
        &token,
        "/activitylist-service/activities/search/activities?start=10000&limit=100",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(past, serde_json::json!([]));

    let after_first = rss_kib();
    for _ in 0..3 {
        let page: serde_json::Value = api_get(&sim, &token, last_page).await.json().await.unwrap();
        assert_eq!(page.as_array().unwrap().len(), 1000);
        for format in ["files", "export/gpx", "export/tcx", "export/kml"] {
            let r = download_get(
                &sim,
                &token,
                &format!("/download-service/{format}/activity/{oldest}"),
            )
            .await;
            assert!(matches!(r.status().as_u16(), 200 | 204 | 404 | 500));
            r.bytes().await.unwrap();
        }
    }
    let after_repeats = rss_kib();
    eprintln!(
        "RSS with a 10,000-activity simulator in this process: before {before:?} KiB, after the last page {after_first:?} KiB, after 3 more pages and 12 downloads {after_repeats:?} KiB"
    );
    if let (Some(first), Some(last)) = (after_first, after_repeats) {
        assert!(last < 400 * 1024, "RSS {last} KiB");
        // Repeating the same work must not keep growing the heap.
        assert!(
            last.saturating_sub(first) < 48 * 1024,
            "grew from {first} to {last} KiB"
        );
    }
}

#[test]
fn the_binary_prints_its_address_and_logs_without_secrets() {
    let exe = env!("CARGO_BIN_EXE_garmin-sim");
    let bad = Command::new(exe)
        .args(["--faults", "meteor:p=1"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("meteor"));

    let mut child = Command::new(exe)
        .args([
            "--port",
            "0",
            "--activities",
            "12",
            "--seed",
            "9",
            "--latency-ms",
            "1",
        ])
        .args(["--ticket-ttl", "30", "--client-ids", "A_CLIENT,B_CLIENT"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{first}");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let secrets = runtime.block_on(async {
        let c = client();
        c.get(format!(
            "{base}/mobile/sso/en_US/sign-in?clientId=X&service={}",
            url_encode(MOBILE_SERVICE)
        ))
        .send()
        .await
        .unwrap();
        let login: serde_json::Value = c
            .post(format!(
                "{base}/mobile/api/login?clientId=X&service={}",
                url_encode(MOBILE_SERVICE)
            ))
            .json(&serde_json::json!({"username": "demo@example.com", "password": "demo-password"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ticket = login["serviceTicketId"].as_str().unwrap().to_owned();
        let tokens: serde_json::Value = c
            .post(format!("{base}/di-oauth2-service/oauth/token"))
            .header("Authorization", basic("B_CLIENT"))
            .form(&[
                ("service_ticket", ticket.as_str()),
                ("grant_type", TICKET_GRANT),
                ("service_url", MOBILE_SERVICE),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let access = tokens["access_token"].as_str().unwrap().to_owned();
        let r = c
            .get(format!("{base}/activitylist-service/activities/count"))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // A browser landing back on a service URL with its ticket: logged redacted.
        let _ = c
            .get(format!("{base}/app?ticket={ticket}"))
            .send()
            .await
            .unwrap();
        vec![
            ticket,
            access,
            tokens["refresh_token"].as_str().unwrap().to_owned(),
            "demo-password".to_owned(),
        ]
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.contains("POST /mobile/api/login"), "{log}");
    assert!(
        log.contains("GET /activitylist-service/activities/count"),
        "{log}"
    );
    assert!(log.contains("ticket=***"), "{log}");
    for secret in secrets {
        assert!(!log.contains(&secret), "secret leaked into the log:\n{log}");
    }
    std::thread::sleep(Duration::from_millis(10));
}
