#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Health and body data (PROTOCOL §7): the story a seed tells (tracker, no device, watch;
//! manual weigh-ins, then a scale), its gaps, and `/__sim/expected/health` agreeing with the
//! answers byte for byte.

mod http_support;

use http_support::*;
use serde_json::Value;

fn config(days: usize) -> gcexport_sim::SimConfig {
    gcexport_sim::SimConfig {
        health_days: days,
        ..small(40)
    }
}

async fn get(sim: &gcexport_sim::Sim, token: &str, path: &str) -> (u16, Vec<u8>) {
    let r = api_get(sim, token, path).await;
    let status = r.status().as_u16();
    (status, r.bytes().await.unwrap().to_vec())
}

async fn expected_health(sim: &gcexport_sim::Sim) -> Value {
    reqwest::get(format!("{}/__sim/expected/health", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_days_answers_match_the_expected_hashes_and_tell_the_story() {
    let sim = gcexport_sim::start(config(90)).unwrap();
    let token = access_token(&sim).await;
    let name = sim.account().display_name();
    let expected = expected_health(&sim).await;
    let days = expected["days"].as_array().unwrap();
    assert_eq!(days.len(), 90);
    assert_eq!(expected["lastDay"], "2026-10-30");

    let (mut unworn, mut hrv_nights, mut naps, mut tracker_nights) = (0, 0, 0, 0);
    let watch_from = expected["watchFrom"].as_str().unwrap().to_owned();
    for day in days {
        let date = day["date"].as_str().unwrap();
        let calls = [
            (
                "summary",
                format!("/usersummary-service/usersummary/daily/{name}?calendarDate={date}"),
            ),
            (
                "sleep",
                format!(
                    "/wellness-service/wellness/dailySleepData/{name}?date={date}&nonSleepBufferMinutes=60"
                ),
            ),
            ("hrv", format!("/hrv-service/hrv/{date}")),
            (
                "stress",
                format!("/wellness-service/wellness/dailyStress/{date}"),
            ),
            (
                "heartRate",
                format!("/wellness-service/wellness/dailyHeartRate/{name}?date={date}"),
            ),
        ];
        for (key, path) in calls {
            let (status, bytes) = get(&sim, &token, &path).await;
            let want = &day["calls"][key];
            assert_eq!(
                u64::from(status),
                want["status"].as_u64().unwrap(),
                "{key} {date}"
            );
            if status == 200 {
                assert_eq!(sha256_hex(&bytes), want["sha256"], "{key} {date}");
                let v: Value = serde_json::from_slice(&bytes).unwrap();
                if key == "sleep" {
                    if v.get("dailyNapDTOS").is_some() {
                        naps += 1;
                    }
                    if date < watch_from.as_str() && v["dailySleepDTO"]["sleepTimeSeconds"].is_i64()
                    {
                        tracker_nights += 1;
                        assert_eq!(
                            v["dailySleepDTO"]["remSleepSeconds"], 0,
                            "a tracker has no REM"
                        );
                        assert!(v["avgOvernightHrv"].is_null());
                    }
                }
            }
            if key == "hrv" && status == 200 {
                hrv_nights += 1;
                assert!(
                    date >= watch_from.as_str(),
                    "no HRV before the watch: {date}"
                );
            }
        }
        if day["worn"] == false {
            unworn += 1;
            let (_, bytes) = get(
                &sim,
                &token,
                &format!("/usersummary-service/usersummary/daily/{name}?calendarDate={date}"),
            )
            .await;
            let v: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(v["includesWellnessData"], false);
            assert!(v["totalSteps"].is_null());
        }
    }
    // 25-30 % of the history is between devices, and a few days a month the device stays off.
    assert!(unworn >= 90 * 5 / 100, "{unworn} unworn days");
    assert!(hrv_nights > 20, "{hrv_nights}");
    assert!(tracker_nights > 5, "{tracker_nights}");
    assert!(naps > 0, "no nap in 90 days");
}

#[tokio::test]
async fn ranges_are_capped_and_weigh_ins_change_from_typed_to_scale() {
    let sim = gcexport_sim::start(config(365)).unwrap();
    let token = access_token(&sim).await;
    let (status, _) = get(
        &sim,
        &token,
        "/usersummary-service/stats/steps/daily/2026-01-01/2026-03-01",
    )
    .await;
    assert_eq!(status, 400, "a range past 28 days is refused");
    let (status, bytes) = get(
        &sim,
        &token,
        "/usersummary-service/stats/steps/daily/2026-10-03/2026-10-30",
    )
    .await;
    assert_eq!(status, 200);
    let steps: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(steps.as_array().unwrap().len(), 28);

    let expected = expected_health(&sim).await;
    let scale_from = expected["scaleFrom"].as_str().unwrap().to_owned();
    let (status, bytes) = get(
        &sim,
        &token,
        &format!(
            "/weight-service/weight/range/{}/2026-10-30?includeAll=true",
            expected["firstDay"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(status, 200);
    let weight: Value = serde_json::from_slice(&bytes).unwrap();
    let mut count = 0;
    for summary in weight["dailyWeightSummaries"].as_array().unwrap() {
        for w in summary["allWeightMetrics"].as_array().unwrap() {
            count += 1;
            let date = w["calendarDate"].as_str().unwrap();
            let grams = w["weight"].as_f64().unwrap();
            assert!(
                (50_000.0..100_000.0).contains(&grams),
                "weight in grams: {grams}"
            );
            if w["sourceType"] == "INDEX_SCALE" {
                assert!(date >= scale_from.as_str());
                let fat = w["bodyFat"].as_f64().unwrap();
                assert!((10.0..40.0).contains(&fat), "body fat in %: {fat}");
                assert!(w["muscleMass"].as_i64().is_some());
            } else {
                assert_eq!(w["sourceType"], "MANUAL");
                assert!(
                    w["bodyFat"].is_null(),
                    "a typed weigh-in has no body composition"
                );
            }
        }
    }
    assert_eq!(count, expected["weighIns"].as_u64().unwrap());

    let name = sim.account().display_name();
    let (status, bytes) = get(
        &sim,
        &token,
        &format!("/personalrecord-service/personalrecord/prs/{name}"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sha256_hex(&bytes), expected["records"]["sha256"]);
    let (status, _) = get(
        &sim,
        &token,
        "/personalrecord-service/personalrecord/prs/somebody-else",
    )
    .await;
    assert_eq!(status, 403);
}
