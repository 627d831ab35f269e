//! The §7 routes, and `/__sim/expected/health`: what a perfect client stores.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Day, Health, json as answers};
use crate::SimConfig;
use crate::account::Account;
use crate::account::Kind;
use crate::diauth::{AuthState, Principal, authorize};
use crate::reply::Reject;

type Params = Query<HashMap<String, String>>;
type Answer = Result<Response, Reject>;

/// Garmin caps the steps range (public clients page it by 28 days).
pub(crate) const STEPS_RANGE_DAYS: i64 = 28;

/// What the health routes read: the account (whose activities the records point at), its
/// health history, and the grants that authorise a call.
#[derive(Clone)]
pub(crate) struct HealthCtx {
    pub config: Arc<SimConfig>,
    pub account: Arc<Account>,
    pub health: Arc<Health>,
    pub auth: Arc<AuthState>,
}

impl HealthCtx {
    fn authorize(&self, headers: &HeaderMap) -> Result<Principal, Reject> {
        authorize(&self.auth, &self.config, headers)
    }
}

pub(crate) fn api_routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    HealthCtx: FromRef<S>,
{
    Router::new()
        .route(
            "/usersummary-service/usersummary/daily/{display_name}",
            get(daily_summary),
        )
        .route(
            "/usersummary-service/stats/steps/daily/{start}/{end}",
            get(steps),
        )
        .route(
            "/wellness-service/wellness/dailySleepData/{display_name}",
            get(sleep),
        )
        .route("/hrv-service/hrv/{date}", get(hrv))
        .route("/wellness-service/wellness/dailyStress/{date}", get(stress))
        .route(
            "/wellness-service/wellness/dailyHeartRate/{display_name}",
            get(heart_rate),
        )
        .route("/weight-service/weight/range/{start}/{end}", get(weight))
        .route(
            "/personalrecord-service/personalrecord/prs/{display_name}",
            get(records),
        )
}

pub(crate) fn control_routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    HealthCtx: FromRef<S>,
{
    Router::new().route("/__sim/expected/health", get(expected))
}

fn date(text: Option<&str>, key: &str) -> Result<NaiveDate, Reject> {
    text.map(|v| v.trim())
        .and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
        .ok_or_else(|| Reject::BadRequest(format!("{key} must be YYYY-MM-DD")))
}

fn own(st: &HealthCtx, display_name: &str) -> Result<(), Reject> {
    if display_name == st.account.display_name() {
        Ok(())
    } else {
        Err(Reject::NotOwner)
    }
}

/// The exact bytes a client receives, so that `/__sim/expected/health` can hash them.
pub(crate) fn body(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn json_ok(v: &Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        body(v),
    )
        .into_response()
}

async fn work<T: Send + 'static>(
    st: &HealthCtx,
    f: impl FnOnce(&HealthCtx) -> T + Send + 'static,
) -> Result<T, Reject> {
    let st = st.clone();
    tokio::task::spawn_blocking(move || f(&st))
        .await
        .map_err(|_| Reject::Internal)
}

/// Garmin's answer for one day, built off the async threads; `None` is its 204.
type DayAnswer = fn(&Health, &Day) -> Option<Value>;

async fn day_answer(st: &HealthCtx, d: NaiveDate, answer: DayAnswer) -> Answer {
    match work(st, move |st| answer(&st.health, &st.health.day(d))).await? {
        Some(v) => Ok(json_ok(&v)),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// The calls that name the owner in the path and the day in the query (under `key`).
async fn owners_day(
    st: &HealthCtx,
    headers: &HeaderMap,
    display_name: &str,
    q: &HashMap<String, String>,
    key: &str,
    answer: DayAnswer,
) -> Answer {
    st.authorize(headers)?;
    own(st, display_name)?;
    day_answer(st, date(q.get(key).map(String::as_str), key)?, answer).await
}

/// The calls that take the day as the last part of the path.
async fn day_in_path(st: &HealthCtx, headers: &HeaderMap, day: &str, answer: DayAnswer) -> Answer {
    st.authorize(headers)?;
    day_answer(st, date(Some(day), "date")?, answer).await
}

async fn daily_summary(
    State(st): State<HealthCtx>,
    headers: HeaderMap,
    Path(display_name): Path<String>,
    Query(q): Params,
) -> Answer {
    let answer: DayAnswer = |h, day| Some(answers::daily_summary(h, day));
    owners_day(&st, &headers, &display_name, &q, "calendarDate", answer).await
}

async fn steps(
    State(st): State<HealthCtx>,
    headers: HeaderMap,
    Path((start, end)): Path<(String, String)>,
) -> Answer {
    st.authorize(&headers)?;
    let (from, to) = (date(Some(&start), "start")?, date(Some(&end), "end")?);
    if to < from || (to - from).num_days() >= STEPS_RANGE_DAYS {
        return Err(Reject::BadRequest(format!(
            "Date range must be {STEPS_RANGE_DAYS} days or fewer"
        )));
    }
    let v = work(&st, move |st| answers::steps(&st.health, from, to)).await?;
    Ok(json_ok(&v))
}

async fn sleep(
    State(st): State<HealthCtx>,
    headers: HeaderMap,
    Path(display_name): Path<String>,
    Query(q): Params,
) -> Answer {
    let answer: DayAnswer = |h, day| Some(answers::sleep(h, day));
    owners_day(&st, &headers, &display_name, &q, "date", answer).await
}

async fn hrv(State(st): State<HealthCtx>, headers: HeaderMap, Path(day): Path<String>) -> Answer {
    day_in_path(&st, &headers, &day, answers::hrv).await
}

async fn stress(
    State(st): State<HealthCtx>,
    headers: HeaderMap,
    Path(day): Path<String>,
) -> Answer {
    let answer: DayAnswer = |h, day| Some(answers::stress(h, day));
    day_in_path(&st, &headers, &day, answer).await
}

async fn heart_rate(
    State(st): State<HealthCtx>,
    headers: HeaderMap,
    Path(display_name): Path<String>,
    Query(q): Params,
) -> Answer {
    let answer: DayAnswer = |h, day| Some(answers::heart_rate(h, day));
    owners_day(&st, &headers, &display_name, &q, "date", answer).await
}

async fn weight(
    State(st): State<HealthCtx>,
    headers: HeaderMap,
    Path((start, end)): Path<(String, String)>,
) -> Answer {
    st.authorize(&headers)?;
    let (from, to) = (date(Some(&start), "start")?, date(Some(&end), "end")?);
    if to < from {
        return Err(Reject::BadRequest("end is before start".into()));
    }
    let v = work(&st, move |st| answers::weight_range(&st.health, from, to)).await?;
    Ok(json_ok(&v))
}

/// A few runs and rides of the account, newest first, for the records to point at.
/// (id, name, local start) of an activity a record points at.
pub(crate) type RecordActivity = (i64, String, NaiveDateTime);

fn record_activities(st: &HealthCtx) -> (Vec<RecordActivity>, Vec<RecordActivity>) {
    let (mut runs, mut rides) = (Vec::new(), Vec::new());
    for k in 0..st.account.len() {
        let Some(a) = st.account.nth_newest(k) else {
            continue;
        };
        let entry = || (a.id(), a.name(), a.spec().local(a.start()));
        match a.kind() {
            Kind::Running if runs.len() < 5 => runs.push(entry()),
            Kind::Cycling if rides.is_empty() => rides.push(entry()),
            _ => {}
        }
        if runs.len() >= 5 && !rides.is_empty() {
            break;
        }
    }
    (runs, rides)
}

pub(crate) fn records_json(st: &HealthCtx) -> Value {
    let (runs, rides) = record_activities(st);
    answers::records(&st.health, &runs, &rides)
}

async fn records(
    State(st): State<HealthCtx>,
    headers: HeaderMap,
    Path(display_name): Path<String>,
) -> Answer {
    st.authorize(&headers)?;
    own(&st, &display_name)?;
    let v = work(&st, records_json).await?;
    Ok(json_ok(&v))
}

fn describe(v: Option<&Value>, data: bool) -> Value {
    match v {
        None => json!({"status": 204, "data": false}),
        Some(v) => {
            let bytes = body(v);
            json!({
                "status": 200,
                "data": data,
                "sha256": hex::encode(Sha256::digest(&bytes)),
                "size": bytes.len(),
            })
        }
    }
}

/// Every day in `from..=until` (default: the account's health history), each call's answer
/// hashed, and whether it holds data (a client that skips calls skips only those without).
pub(crate) fn expected_health(h: &Health, from: NaiveDate, until: NaiveDate) -> Value {
    let mut days = Vec::new();
    let mut weigh_ins = 0usize;
    let mut date = until;
    while date >= from {
        let day = h.day(date);
        let hrv = answers::hrv(h, &day);
        let ins = h.weigh_ins(date);
        weigh_ins += ins.len();
        days.push(json!({
            "date": date.to_string(),
            "worn": day.worn,
            "device": answers::device_of(&day),
            "calls": {
                "summary": describe(Some(&answers::daily_summary(h, &day)), day.worn),
                "sleep": describe(Some(&answers::sleep(h, &day)), day.slept || day.nap.is_some()),
                "hrv": describe(hrv.as_ref(), true),
                "stress": describe(Some(&answers::stress(h, &day)), day.worn),
                "heartRate": describe(Some(&answers::heart_rate(h, &day)), day.worn),
            },
            "weighIns": ins.iter().map(|w| json!({"grams": w.grams, "scale": w.scale})).collect::<Vec<_>>(),
        }));
        date -= Duration::days(1);
    }
    json!({
        "firstDay": h.first_day().to_string(),
        "lastDay": h.last_day().to_string(),
        "watchFrom": h.watch_from().to_string(),
        "scaleFrom": h.scale_from().to_string(),
        "days": days,
        "weighIns": weigh_ins,
    })
}

async fn expected(State(st): State<HealthCtx>, Query(q): Params) -> Answer {
    let from = match q.get("from") {
        Some(v) => date(Some(v), "from")?,
        None => st.health.first_day(),
    };
    let until = match q.get("until") {
        Some(v) => date(Some(v), "until")?,
        None => st.health.last_day(),
    };
    if (until - from).num_days() > 20 * 366 {
        return Err(Reject::BadRequest("at most 20 years at a time".into()));
    }
    let v = work(&st, move |st| expected_range(st, from, until)).await?;
    Ok(json_ok(&v))
}

fn expected_range(st: &HealthCtx, from: NaiveDate, until: NaiveDate) -> Value {
    let mut v = expected_health(&st.health, from, until);
    let records = records_json(st);
    if let Value::Object(m) = &mut v {
        m.insert("records".into(), describe(Some(&records), true));
        m.insert(
            "recordCount".into(),
            json!(records.as_array().map_or(0, Vec::len)),
        );
    }
    v
}

/// The whole history, as `/__sim/expected/health` without parameters answers it.
pub(crate) fn expected_all(st: &HealthCtx) -> Value {
    expected_range(st, st.health.first_day(), st.health.last_day())
}
