//! A replay server: real answers Garmin gave to other clients, recorded in their test suites
//! (`tests/fixtures/garmin-recorded/`, sources in its README), served over real HTTP on
//! `127.0.0.1:0` to our own client.
//!
//! It stands next to the simulator, never inside it: the simulator is our reading of the
//! protocol, these are Garmin's own words. It answers only from the recordings. A call with no
//! recording gets what Garmin answers when it has nothing (204 for a GPX or KML export, 404
//! otherwise) and is logged as unrecorded, so a missing recording is obvious in the output.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// What the recordings hold, by the call that gets it.
#[derive(Default)]
pub struct Recordings {
    /// List items, newest first; pages are cut from them as `start` and `limit` say.
    pub list: Vec<Value>,
    pub details: HashMap<i64, Value>,
    pub gear: HashMap<i64, Value>,
    pub devices: HashMap<i64, Value>,
    /// Other answers by exact path (profile, settings, translation files).
    pub bodies: HashMap<String, (String, String)>,
}

impl Recordings {
    pub fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/garmin-recorded")
    }

    pub fn json(rel: &str) -> Value {
        let path = Self::fixtures().join(rel);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("recording {}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("recording {}: {e}", path.display()))
    }

    pub fn text(rel: &str) -> String {
        let path = Self::fixtures().join(rel);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("recording {}: {e}", path.display()))
    }

    /// Adds list items (a recorded page, or one recorded item) in the order given.
    pub fn list_items(&mut self, v: Value) {
        match v {
            Value::Array(items) => self.list.extend(items),
            item => self.list.push(item),
        }
        // Garmin lists newest first; pages recorded by different clients are merged so.
        self.list.sort_by(|a, b| {
            let t = |v: &Value| v["startTimeGMT"].as_str().unwrap_or("").to_string();
            t(b).cmp(&t(a))
        });
    }

    pub fn details(&mut self, v: Value) {
        let id = v["activityId"]
            .as_i64()
            .expect("recorded details carry an activityId");
        self.details.insert(id, v);
    }
}

/// One request the client made, as the server saw it.
#[derive(Clone, Debug)]
pub struct Asked {
    pub path_and_query: String,
    pub status: u16,
    pub recorded: bool,
}

struct Shared {
    rec: Recordings,
    log: Mutex<Vec<Asked>>,
}

pub struct Replay {
    pub base_url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Replay {
    pub async fn start(rec: Recordings) -> Replay {
        let shared = Arc::new(Shared {
            rec,
            log: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Replay {
            base_url,
            shared,
            task,
        }
    }

    pub fn asked(&self) -> Vec<Asked> {
        self.shared.log.lock().unwrap().clone()
    }

    pub fn unrecorded(&self) -> Vec<String> {
        self.asked()
            .into_iter()
            .filter(|a| !a.recorded)
            .map(|a| a.path_and_query)
            .collect()
    }

    pub fn reset(&self) {
        self.shared.log.lock().unwrap().clear();
    }
}

fn query(uri: &axum::http::Uri) -> HashMap<String, String> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn json(v: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        v.to_string(),
    )
        .into_response()
}

fn status(code: StatusCode) -> Response {
    Response::builder()
        .status(code)
        .body(Body::empty())
        .unwrap()
}

async fn answer(State(sh): State<Arc<Shared>>, req: Request) -> Response {
    let uri = req.uri().clone();
    let path = uri.path().to_string();
    let q = query(&uri);
    let rec = &sh.rec;
    let id_after = |prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|s| s.parse::<i64>().ok())
    };
    let (resp, recorded): (Response, bool) =
        if path == "/activitylist-service/activities/search/activities" {
            let start: usize = q.get("start").and_then(|s| s.parse().ok()).unwrap_or(0);
            let limit: usize = q.get("limit").and_then(|s| s.parse().ok()).unwrap_or(20);
            let page: Vec<Value> = rec.list.iter().skip(start).take(limit).cloned().collect();
            (json(&Value::Array(page)), true)
        } else if let Some(id) = id_after("/activity-service/activity/") {
            match rec.details.get(&id) {
                Some(d) => (json(d), true),
                None => (status(StatusCode::NOT_FOUND), false),
            }
        } else if let Some(id) = id_after("/device-service/deviceservice/app-info/") {
            match rec.devices.get(&id) {
                Some(d) => (json(d), true),
                None => (status(StatusCode::NOT_FOUND), false),
            }
        } else if path == "/gear-service/gear/filterGear" {
            match q
                .get("activityId")
                .and_then(|s| s.parse::<i64>().ok())
                .and_then(|id| rec.gear.get(&id))
            {
                Some(g) => (json(g), true),
                None => (status(StatusCode::NOT_FOUND), false),
            }
        } else if path.starts_with("/download-service/export/gpx/")
            || path.starts_with("/download-service/export/kml/")
        {
            (status(StatusCode::NO_CONTENT), false)
        } else if let Some((content_type, body)) = rec.bodies.get(&path) {
            (
                ([(header::CONTENT_TYPE, content_type.clone())], body.clone()).into_response(),
                true,
            )
        } else {
            (status(StatusCode::NOT_FOUND), false)
        };
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or(path.clone());
    let code = resp.status().as_u16();
    if !recorded {
        eprintln!("replay: no recording for GET {path_and_query}: answered {code}");
    }
    sh.log.lock().unwrap().push(Asked {
        path_and_query,
        status: code,
        recorded,
    });
    resp
}
