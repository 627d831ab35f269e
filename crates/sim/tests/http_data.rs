#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The data API and downloads (docs/protocol.md, "Calls the backup makes"), plus the `/__sim/` controls that change what
//! it serves (reveal, rename) and the expected archive.

mod http_support;

use std::collections::HashSet;

use http_support::*;
use serde_json::Value;

async fn json(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200, "{}", response.url());
    response.json().await.unwrap()
}

fn ids(page: &Value) -> Vec<i64> {
    page.as_array()
        .unwrap()
        .iter()
        .map(|a| a["activityId"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn paging_walks_every_visible_activity_newest_first() {
    let sim = gcexport_sim::start(small(130)).unwrap();
    let token = access_token(&sim).await;
    let count = json(api_get(&sim, &token, "/activitylist-service/activities/count").await).await;
    assert_eq!(count["totalCount"], 130);

    let mut seen = Vec::new();
    let mut start = 0;
    loop {
        let page = json(
            api_get(
                &sim,
                &token,
                &format!(
                    "/activitylist-service/activities/search/activities?start={start}&limit=50"
                ),
            )
            .await,
        )
        .await;
        let page = ids(&page);
        if page.is_empty() {
            break;
        }
        start += page.len();
        seen.extend(page);
    }
    let wanted: Vec<i64> = (0..130)
        .map(|k| sim.account().nth_newest(k).unwrap().id())
        .collect();
    assert_eq!(seen, wanted);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 130);

    // Default page size, and an empty array past the end.
    let first = json(
        api_get(
            &sim,
            &token,
            "/activitylist-service/activities/search/activities",
        )
        .await,
    )
    .await;
    assert_eq!(ids(&first), wanted[..20]);
    let past = json(
        api_get(
            &sim,
            &token,
            "/activitylist-service/activities/search/activities?start=500&limit=10",
        )
        .await,
    )
    .await;
    assert_eq!(past, serde_json::json!([]));
    let bad = api_get(
        &sim,
        &token,
        "/activitylist-service/activities/search/activities?start=x",
    )
    .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn the_limit_is_capped_at_1000() {
    let sim = gcexport_sim::start(small(1200)).unwrap();
    let token = access_token(&sim).await;
    let page = json(
        api_get(
            &sim,
            &token,
            "/activitylist-service/activities/search/activities?start=0&limit=5000",
        )
        .await,
    )
    .await;
    assert_eq!(page.as_array().unwrap().len(), 1000);
    let rest = json(
        api_get(
            &sim,
            &token,
            "/activitylist-service/activities/search/activities?start=1000&limit=5000",
        )
        .await,
    )
    .await;
    assert_eq!(rest.as_array().unwrap().len(), 200);
    let stats = json(
        api_get(
            &sim,
            &token,
            &format!(
                "/userstats-service/statistics/{}",
                sim.account().display_name()
            ),
        )
        .await,
    )
    .await;
    assert_eq!(stats["userMetrics"][0]["totalActivities"], 1200);
}

#[tokio::test]
async fn filters_and_sort_order() {
    let sim = gcexport_sim::start(small(200)).unwrap();
    let token = access_token(&sim).await;
    let all: Vec<_> = (0..200)
        .map(|k| sim.account().nth_newest(k).unwrap())
        .collect();
    let list = |q: String| {
        let sim = &sim;
        let token = token.clone();
        async move {
            ids(&json(
                api_get(
                    sim,
                    &token,
                    &format!("/activitylist-service/activities/search/activities?limit=1000&{q}"),
                )
                .await,
            )
            .await)
        }
    };

    // By type: the type itself or its parent type.
    let some_type = all[0].parent_type_key().to_owned();
    let by_type = list(format!("activityType={some_type}")).await;
    let want: Vec<i64> = all
        .iter()
        .filter(|a| a.type_key() == some_type || a.parent_type_key() == some_type)
        .map(|a| a.id())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(by_type, want);

    // By local start date, both ends inclusive.
    let from = all[120].start_local_date();
    let to = all[40].start_local_date();
    let by_date = list(format!("startDate={from}&endDate={to}")).await;
    let want: Vec<i64> = all
        .iter()
        .filter(|a| a.start_local_date() >= from && a.start_local_date() <= to)
        .map(|a| a.id())
        .collect();
    assert!(want.len() >= 81);
    assert_eq!(by_date, want);

    // Oldest first, paged.
    let asc = list("sortOrder=asc&start=0".to_owned()).await;
    let mut desc: Vec<i64> = all.iter().map(|a| a.id()).collect();
    desc.reverse();
    assert_eq!(asc, desc);
    let asc_page = ids(&json(
        api_get(
            &sim,
            &token,
            "/activitylist-service/activities/search/activities?sortOrder=asc&start=10&limit=5",
        )
        .await,
    )
    .await);
    assert_eq!(asc_page, desc[10..15]);
    let asc_typed = list(format!(
        "sortOrder=asc&activityType={some_type}&start=1&limit=3"
    ))
    .await;
    let mut typed: Vec<i64> = by_type.clone();
    typed.reverse();
    assert_eq!(asc_typed, typed[1..4.min(typed.len())]);

    assert_eq!(
        api_get(
            &sim,
            &token,
            "/activitylist-service/activities/search/activities?startDate=2024-13-01"
        )
        .await
        .status(),
        400
    );
}

#[tokio::test]
async fn details_and_their_parts() {
    let sim = gcexport_sim::start(small(20)).unwrap();
    let token = access_token(&sim).await;
    let id = sim.account().nth_newest(3).unwrap().id();
    let details =
        json(api_get(&sim, &token, &format!("/activity-service/activity/{id}")).await).await;
    assert_eq!(details["activityId"], id);
    for part in ["splits", "hrTimeInZones", "details"] {
        let r = api_get(
            &sim,
            &token,
            &format!("/activity-service/activity/{id}/{part}"),
        )
        .await;
        assert_eq!(r.status(), 200, "{part}");
        let _: Value = r.json().await.unwrap();
    }
    let gear = json(
        api_get(
            &sim,
            &token,
            &format!("/gear-service/gear/filterGear?activityId={id}"),
        )
        .await,
    )
    .await;
    assert!(gear.is_array());
    let not_ours = api_get(&sim, &token, "/activity-service/activity/123").await;
    assert_eq!(not_ours.status(), 403);

    let types = api_get(
        &sim,
        &token,
        "/web-translations/activity_types/activity_types.properties",
    )
    .await;
    assert_eq!(types.status(), 200);
    assert!(
        types
            .text()
            .await
            .unwrap()
            .contains("activity_type_running=")
    );
    let events = api_get(
        &sim,
        &token,
        "/web-translations/event_types/event_types.properties",
    )
    .await;
    assert!(events.text().await.unwrap().contains('='));

    let settings = json(
        api_get(
            &sim,
            &token,
            "/userprofile-service/userprofile/user-settings",
        )
        .await,
    )
    .await;
    assert!(settings["userData"].is_object());

    // The device of an activity answers JSON or 204, never 404.
    let install = details["metadataDTO"]["deviceApplicationInstallationId"]
        .as_i64()
        .unwrap_or(1);
    let info = api_get(
        &sim,
        &token,
        &format!("/device-service/deviceservice/app-info/{install}"),
    )
    .await;
    assert!(
        matches!(info.status().as_u16(), 200 | 204),
        "{}",
        info.status()
    );
}

fn status_of(entry: &Value, format: &str) -> u64 {
    entry["formats"][format]["status"].as_u64().unwrap()
}

fn path_of(format: &str, id: i64) -> String {
    match format {
        "original" => format!("/download-service/files/activity/{id}"),
        other => format!("/download-service/export/{other}/activity/{id}"),
    }
}

#[tokio::test]
async fn downloads_match_the_expected_archive_byte_for_byte() {
    let sim = gcexport_sim::start(small(40)).unwrap();
    let token = access_token(&sim).await;
    let expected = expected(&sim).await;
    let entries = expected["activities"].as_array().unwrap();
    assert_eq!(expected["count"].as_u64().unwrap() as usize, entries.len());
    assert!(entries.len() >= 40);
    let mut statuses = HashSet::new();
    for entry in entries {
        let id = entry["id"].as_i64().unwrap();
        for format in ["original", "gpx", "tcx", "kml"] {
            let response = download_get(&sim, &token, &path_of(format, id)).await;
            let status = response.status().as_u16();
            assert_eq!(
                u64::from(status),
                status_of(entry, format),
                "{format} of {id}"
            );
            statuses.insert((format, status));
            if status == 200 {
                let declared = response.content_length();
                let bytes = response.bytes().await.unwrap();
                assert_eq!(declared, Some(bytes.len() as u64));
                assert_eq!(sha256_hex(&bytes), entry["formats"][format]["sha256"]);
                assert_eq!(
                    bytes.len() as u64,
                    entry["formats"][format]["size"].as_u64().unwrap()
                );
            }
        }
    }
    assert!(statuses.contains(&("original", 200)));
    assert!(statuses.contains(&("gpx", 200)));
}

#[tokio::test]
async fn download_semantics() {
    let sim = gcexport_sim::start(small(300)).unwrap();
    let token = access_token(&sim).await;
    let expected = expected(&sim).await;
    let entries = expected["activities"].as_array().unwrap();
    let find = |format: &str, status: u64| {
        entries
            .iter()
            .find(|e| status_of(e, format) == status)
            .unwrap_or_else(|| panic!("no activity whose {format} is {status}"))["id"]
            .as_i64()
            .unwrap()
    };
    let plain = find("original", 200);

    // 406 for a JSON-only Accept comes first: before ownership, before the token.
    for id in [plain, 123] {
        let r = client()
            .get(format!("{}{}", sim.base_url(), path_of("original", id)))
            .bearer_auth(&token)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 406);
    }
    let anonymous = client()
        .get(format!("{}{}", sim.base_url(), path_of("gpx", plain)))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 406);

    // No Accept header at all, as older clients send: served.
    let bare = client()
        .get(format!("{}{}", sim.base_url(), path_of("original", plain)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 200);
    let content_type = bare.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/x-zip-compressed");
    assert!(
        bare.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );

    // Each "no such format" outcome.
    let gpx_none = find("gpx", 204);
    assert_eq!(
        download_get(&sim, &token, &path_of("gpx", gpx_none))
            .await
            .status(),
        204
    );
    let manual = find("original", 404);
    assert_eq!(
        download_get(&sim, &token, &path_of("original", manual))
            .await
            .status(),
        404
    );
    let gpx_upload = find("tcx", 500);
    assert_eq!(
        download_get(&sim, &token, &path_of("tcx", gpx_upload))
            .await
            .status(),
        500
    );

    // Not the user's.
    let other = download_get(&sim, &token, &path_of("original", 123)).await;
    assert_eq!(other.status(), 403);
    let body: Value = other.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Only owner of activity allowed")
    );

    // ?full=true is passed through to the account.
    let full = download_get(
        &sim,
        &token,
        &format!("{}?full=true", path_of("gpx", find("gpx", 200))),
    )
    .await;
    assert_eq!(full.status(), 200);
    let unknown_format = download_get(
        &sim,
        &token,
        &format!("/download-service/export/fit/activity/{plain}"),
    )
    .await;
    assert_eq!(unknown_format.status(), 404);
}

#[tokio::test]
async fn multisport_legs_are_reached_through_the_parent() {
    let sim = gcexport_sim::start(small(300)).unwrap();
    let token = access_token(&sim).await;
    let expected = expected(&sim).await;
    let entries = expected["activities"].as_array().unwrap();
    let leg = entries
        .iter()
        .find(|e| !e["parentId"].is_null())
        .expect("the account has a multisport activity");
    let leg_id = leg["id"].as_i64().unwrap();
    let parent_id = leg["parentId"].as_i64().unwrap();

    let listed: HashSet<i64> = ids(&json(
        api_get(
            &sim,
            &token,
            "/activitylist-service/activities/search/activities?limit=1000",
        )
        .await,
    )
    .await)
    .into_iter()
    .collect();
    assert!(listed.contains(&parent_id));
    assert!(!listed.contains(&leg_id), "legs are not in the list");

    let parent = json(
        api_get(
            &sim,
            &token,
            &format!("/activity-service/activity/{parent_id}"),
        )
        .await,
    )
    .await;
    let children: Vec<i64> = parent["metadataDTO"]["childIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert!(children.contains(&leg_id));
    let details = json(
        api_get(
            &sim,
            &token,
            &format!("/activity-service/activity/{leg_id}"),
        )
        .await,
    )
    .await;
    assert_eq!(details["activityId"], leg_id);
    for format in ["original", "gpx", "tcx", "kml"] {
        let r = download_get(&sim, &token, &path_of(format, leg_id)).await;
        assert_eq!(
            u64::from(r.status().as_u16()),
            status_of(leg, format),
            "{format}"
        );
    }
}

#[tokio::test]
async fn withheld_activities_appear_oldest_first_when_revealed() {
    let sim = gcexport_sim::start(gcexport_sim::SimConfig {
        withheld: 5,
        ..small(30)
    })
    .unwrap();
    let token = access_token(&sim).await;
    let nth = |k: usize| sim.account().nth_newest(k).unwrap().id();
    let count = |sim: &gcexport_sim::Sim, token: String| {
        let url = format!("{}/activitylist-service/activities/count", sim.base_url());
        async move {
            let r = client().get(url).bearer_auth(token).send().await.unwrap();
            r.json::<Value>().await.unwrap()["totalCount"]
                .as_u64()
                .unwrap()
        }
    };
    assert_eq!(count(&sim, token.clone()).await, 25);
    let first = json(
        api_get(
            &sim,
            &token,
            "/activitylist-service/activities/search/activities?limit=1",
        )
        .await,
    )
    .await;
    assert_eq!(ids(&first), [nth(5)]);
    // Hidden activities do not exist yet: 404 (not 403, which means "not yours").
    let hidden = api_get(
        &sim,
        &token,
        &format!("/activity-service/activity/{}", nth(0)),
    )
    .await;
    assert_eq!(hidden.status(), 404);
    assert_eq!(
        download_get(&sim, &token, &path_of("gpx", nth(0)))
            .await
            .status(),
        404
    );

    let revealed: Value = client()
        .post(format!("{}/__sim/reveal?count=2", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(revealed["revealed"], 2);
    assert_eq!(revealed["withheld"], 3);
    assert_eq!(count(&sim, token.clone()).await, 27);
    let first = json(
        api_get(
            &sim,
            &token,
            "/activitylist-service/activities/search/activities?limit=1",
        )
        .await,
    )
    .await;
    assert_eq!(ids(&first), [nth(3)], "the oldest hidden ones come first");

    assert_eq!(sim.reveal(10), 3);
    assert_eq!(sim.withheld_remaining(), 0);
    assert_eq!(count(&sim, token.clone()).await, 30);
    assert_eq!(
        api_get(
            &sim,
            &token,
            &format!("/activity-service/activity/{}", nth(0))
        )
        .await
        .status(),
        200
    );
}

#[tokio::test]
async fn a_rename_shows_in_the_list_details_and_expected_archive() {
    let sim = gcexport_sim::start(small(10)).unwrap();
    let token = access_token(&sim).await;
    let id = sim.account().nth_newest(2).unwrap().id();
    let name = "Renamed: \"quotes\" / slashes 🏃 & more";
    let r = client()
        .post(format!("{}/__sim/rename", sim.base_url()))
        .query(&[("id", id.to_string().as_str()), ("name", name)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let details =
        json(api_get(&sim, &token, &format!("/activity-service/activity/{id}")).await).await;
    assert_eq!(details["activityName"], name);
    let page = json(
        api_get(
            &sim,
            &token,
            "/activitylist-service/activities/search/activities?limit=5",
        )
        .await,
    )
    .await;
    assert_eq!(page[2]["activityName"], name);
    let expected = expected(&sim).await;
    let entry = expected["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(entry["name"], name);
    let missing = client()
        .post(format!("{}/__sim/rename?id=5&name=x", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(sim.rename(id, "again"));
}
