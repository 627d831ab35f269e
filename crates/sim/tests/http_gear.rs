#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Gear a gear item at a time (PROTOCOL §4): the user's gear list and each item's activities
//! say exactly what the per-activity gear call says, for every activity, legs included.

mod http_support;

use std::collections::HashMap;

use http_support::*;
use serde_json::Value;

async fn json(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200, "{}", response.url());
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_gear_lists_agree_with_the_per_activity_gear_for_every_activity() {
    let sim = gcexport_sim::start(small(300)).unwrap();
    let token = access_token(&sim).await;
    let profile = json(api_get(&sim, &token, "/userprofile-service/socialProfile").await).await;
    let pk = profile["profileId"].as_i64().unwrap();

    let items = json(
        api_get(
            &sim,
            &token,
            &format!("/gear-service/gear/filterGear?userProfilePk={pk}"),
        )
        .await,
    )
    .await;
    let items = items.as_array().unwrap().clone();
    assert!(items.len() >= 2, "the demo account has gear: {items:?}");

    // Activity -> the items whose lists name it, in the gear list's order, paging in small
    // pages so that paging itself is exercised.
    let mut mapped: HashMap<i64, Vec<Value>> = HashMap::new();
    for item in &items {
        let uuid = item["uuid"].as_str().unwrap();
        let mut start = 0;
        loop {
            let page = json(
                api_get(
                    &sim,
                    &token,
                    &format!("/activitylist-service/activities/{uuid}/gear?start={start}&limit=25"),
                )
                .await,
            )
            .await;
            let page = page.as_array().unwrap().clone();
            for a in &page {
                assert!(a.get("startTimeLocal").is_some(), "list-item shape: {a}");
                let id = a["activityId"].as_i64().unwrap();
                let gear = mapped.entry(id).or_default();
                assert!(!gear.contains(item), "{id} listed twice under {uuid}");
                gear.push(item.clone());
            }
            if page.len() < 25 {
                break;
            }
            start += page.len();
        }
    }
    assert!(!mapped.is_empty());

    let mut checked = 0;
    let mut legs = 0;
    for k in 0..300 {
        let top = sim.account().nth_newest(k).unwrap();
        let mut ids = vec![top.id()];
        legs += top.child_ids().len();
        ids.extend(top.child_ids());
        for id in ids {
            let per_activity = json(
                api_get(
                    &sim,
                    &token,
                    &format!("/gear-service/gear/filterGear?activityId={id}"),
                )
                .await,
            )
            .await;
            let from_lists = Value::Array(mapped.remove(&id).unwrap_or_default());
            assert_eq!(from_lists, per_activity, "activity {id}");
            checked += 1;
        }
    }
    assert!(legs > 0, "the account has multisport legs to check");
    assert_eq!(checked, 300 + legs);
    assert!(
        mapped.is_empty(),
        "lists name unknown activities: {mapped:?}"
    );
}

#[tokio::test]
async fn someone_elses_gear_and_an_unknown_item_are_refused() {
    let sim = gcexport_sim::start(small(20)).unwrap();
    let token = access_token(&sim).await;
    let other = api_get(
        &sim,
        &token,
        "/gear-service/gear/filterGear?userProfilePk=1",
    )
    .await;
    assert_eq!(other.status(), 403);
    let unknown = api_get(
        &sim,
        &token,
        "/activitylist-service/activities/00000000000000000000000000000000/gear?start=0&limit=10",
    )
    .await;
    assert_eq!(unknown.status(), 404);
}
