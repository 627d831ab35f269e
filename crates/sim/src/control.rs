//! `/__sim/`: the test harness's side door. Never counted in the stats, never faulted.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::account::{Activity, Download, Format};
use crate::faults::Faults;
use crate::reply::json_response;
use crate::state::AppState;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/__sim/stats", get(stats))
        .route("/__sim/stats/reset", post(reset_stats))
        .route("/__sim/expected", get(expected))
        .route("/__sim/reveal", post(reveal))
        .route("/__sim/rename", post(rename))
        .route("/__sim/faults", get(get_faults).post(set_faults))
        .route("/__sim/health", get(|| async { "ok" }))
}

async fn stats(State(st): State<Arc<AppState>>) -> Response {
    axum::Json(st.stats.snapshot()).into_response()
}

async fn reset_stats(State(st): State<Arc<AppState>>) -> Response {
    st.stats.reset();
    StatusCode::NO_CONTENT.into_response()
}

async fn reveal(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let count = match q.get("count").map(|v| v.trim().parse::<usize>()) {
        None => 1,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                json!({"message": "count must be a non-negative integer"}),
            );
        }
    };
    let revealed = st.reveal(count);
    axum::Json(json!({
        "revealed": revealed,
        "visible": st.visible_count(),
        "withheld": st.first_visible(),
    }))
    .into_response()
}

async fn rename(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(id) = q.get("id").and_then(|v| v.trim().parse::<i64>().ok()) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"message": "id is required"}),
        );
    };
    let Some(name) = q.get("name") else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"message": "name is required"}),
        );
    };
    if st.account.rename(id, name) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        json_response(
            StatusCode::NOT_FOUND,
            json!({"message": "no such activity in this account"}),
        )
    }
}

async fn get_faults(State(st): State<Arc<AppState>>) -> Response {
    st.faults().faults().to_string().into_response()
}

async fn set_faults(State(st): State<Arc<AppState>>, body: Bytes) -> Response {
    let spec = String::from_utf8_lossy(&body);
    match Faults::parse(&spec) {
        Ok(faults) => {
            st.set_faults(faults);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

const FORMATS: [(&str, Format); 4] = [
    ("original", Format::Original),
    ("gpx", Format::Gpx),
    ("tcx", Format::Tcx),
    ("kml", Format::Kml),
];

fn describe(download: Download) -> Value {
    match download {
        Download::File {
            bytes,
            content_type,
            file_name,
        } => json!({
            "status": 200,
            "sha256": hex::encode(Sha256::digest(&bytes)),
            "size": bytes.len(),
            "contentType": content_type,
            "fileName": file_name,
        }),
        Download::NoContent => json!({"status": 204}),
        Download::NotFound => json!({"status": 404}),
        Download::ServerError => json!({"status": 500}),
    }
}

fn entry(activity: &Activity, full: bool) -> Value {
    let mut formats = serde_json::Map::new();
    for (key, format) in FORMATS {
        // One file at a time: generated, hashed, dropped.
        formats.insert(key.to_owned(), describe(activity.download(format, full)));
    }
    json!({
        "id": activity.id(),
        "parentId": activity.parent_id(),
        "name": activity.name(),
        "typeKey": activity.type_key(),
        "formats": formats,
    })
}

/// The archive a perfect client would produce, streamed: activities newest first, each
/// multisport parent followed by its legs.
async fn expected(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let full = q
        .get("full")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    let producer = Arc::clone(&st);
    tokio::task::spawn_blocking(move || {
        let st = producer;
        let first = st.first_visible();
        let mut count = 0usize;
        let mut pending = String::from("{\"activities\":[");
        for pos in first..st.account.len() {
            let Some(parent) = st.account.nth_newest(pos) else {
                continue;
            };
            let legs = parent.child_ids();
            let mut all = vec![parent];
            all.extend(legs.into_iter().filter_map(|id| st.account.activity(id)));
            for activity in all {
                if count > 0 {
                    pending.push(',');
                }
                pending.push_str(&entry(&activity, full).to_string());
                count += 1;
            }
            if pending.len() > 16 * 1024 {
                let chunk = Bytes::from(std::mem::take(&mut pending));
                if tx.blocking_send(chunk).is_err() {
                    return; // the client went away
                }
            }
        }
        pending.push_str(&format!("],\"count\":{count}}}"));
        let _ = tx.blocking_send(Bytes::from(pending));
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<Bytes, std::io::Error>(chunk), rx))
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}
