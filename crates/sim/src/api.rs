//! The data API (docs/protocol.md, "Calls the backup makes"). Everything is generated on demand from the account; the
//! server keeps nothing per activity, so a 10,000-activity account costs what a 10 does.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::account::{Activity, Download, Format};
use crate::reply::{Reject, json_response};
use crate::state::AppState;

pub(crate) const LIST_LIMIT_CAP: usize = 1000;
const LIST_LIMIT_DEFAULT: usize = 20;

type Params = Query<HashMap<String, String>>;
type Answer = Result<Response, Reject>;

/// Where an id stands for this user right now.
pub(crate) enum Lookup {
    Visible(Activity),
    /// Ours, but still withheld (not uploaded yet, as far as the client can tell).
    NotYet,
    NotOurs,
}

pub(crate) fn lookup(st: &AppState, id: i64) -> Lookup {
    let Some(activity) = st.account.activity(id) else {
        return Lookup::NotOurs;
    };
    match st.account.position_of(id) {
        Some(pos) if pos >= st.first_visible() => Lookup::Visible(activity),
        Some(_) => Lookup::NotYet,
        None => Lookup::NotOurs,
    }
}

/// Withheld activities answer 404 (they do not exist yet as far as Garmin is concerned);
/// ids that are not the user's answer 403, as Garmin does.
fn visible(st: &AppState, id: i64) -> Result<Activity, Reject> {
    match lookup(st, id) {
        Lookup::Visible(a) => Ok(a),
        Lookup::NotYet => Err(Reject::NotFound),
        Lookup::NotOurs => Err(Reject::NotOwner),
    }
}

/// Runs account work that may take a while (generating files, scanning the list) off the
/// async workers.
async fn blocking<T: Send + 'static>(
    st: &Arc<AppState>,
    work: impl FnOnce(&AppState) -> T + Send + 'static,
) -> Result<T, Reject> {
    let st = Arc::clone(st);
    tokio::task::spawn_blocking(move || work(&st))
        .await
        .map_err(|_| Reject::Internal)
}

pub(crate) async fn social_profile(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Answer {
    let who = st.authorize(&headers)?;
    Ok(axum::Json(st.account.social_profile(&who.user)).into_response())
}

pub(crate) async fn user_settings(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Answer {
    st.authorize(&headers)?;
    Ok(axum::Json(st.account.user_settings()).into_response())
}

pub(crate) async fn count(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Answer {
    st.authorize(&headers)?;
    Ok(axum::Json(json!({"totalCount": st.visible_count()})).into_response())
}

struct ListQuery {
    start: usize,
    limit: usize,
    activity_type: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    ascending: bool,
}

fn parse_list_query(q: &HashMap<String, String>) -> Result<ListQuery, Reject> {
    let number = |key: &str, default: usize| -> Result<usize, Reject> {
        match q.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| Reject::BadRequest(format!("{key} must be a non-negative integer"))),
        }
    };
    let date = |key: &str| -> Result<Option<NaiveDate>, Reject> {
        match q.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| Reject::BadRequest(format!("{key} must be YYYY-MM-DD"))),
        }
    };
    Ok(ListQuery {
        start: number("start", 0)?,
        limit: number("limit", LIST_LIMIT_DEFAULT)?.min(LIST_LIMIT_CAP),
        activity_type: q
            .get("activityType")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty()),
        from: date("startDate")?,
        to: date("endDate")?,
        ascending: q
            .get("sortOrder")
            .is_some_and(|v| v.eq_ignore_ascii_case("asc")),
    })
}

fn matches(q: &ListQuery, a: &Activity) -> bool {
    if let Some(t) = &q.activity_type
        && a.type_key() != t
        && a.parent_type_key() != t
    {
        return false;
    }
    let day = a.start_local_date();
    q.from.is_none_or(|from| day >= from) && q.to.is_none_or(|to| day <= to)
}

fn page(st: &AppState, q: &ListQuery) -> Vec<Value> {
    let first = st.first_visible();
    let len = st.account.len();
    let visible = len.saturating_sub(first);
    let position = |i: usize| {
        if q.ascending { len - 1 - i } else { first + i }
    };
    let filtered = q.activity_type.is_some() || q.from.is_some() || q.to.is_some();
    if !filtered {
        // Straight to the page: no walk over the activities before it.
        return (q.start..visible.min(q.start.saturating_add(q.limit)))
            .filter_map(|i| st.account.nth_newest(position(i)))
            .map(|a| a.list_item())
            .collect();
    }
    (0..visible)
        .filter_map(|i| st.account.nth_newest(position(i)))
        .filter(|a| matches(q, a))
        .skip(q.start)
        .take(q.limit)
        .map(|a| a.list_item())
        .collect()
}

pub(crate) async fn list(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Params,
) -> Answer {
    st.authorize(&headers)?;
    let query = parse_list_query(&q)?;
    blocking(&st, move |st| axum::Json(page(st, &query)).into_response()).await
}

async fn activity_json(
    st: Arc<AppState>,
    headers: HeaderMap,
    id: i64,
    part: fn(&Activity) -> Value,
) -> Answer {
    st.authorize(&headers)?;
    let activity = visible(&st, id)?;
    blocking(&st, move |_| axum::Json(part(&activity)).into_response()).await
}

pub(crate) async fn details(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Answer {
    activity_json(st, headers, id, Activity::details).await
}

pub(crate) async fn splits(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Answer {
    activity_json(st, headers, id, Activity::splits).await
}

pub(crate) async fn hr_time_in_zones(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Answer {
    activity_json(st, headers, id, Activity::hr_time_in_zones).await
}

pub(crate) async fn samples(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Answer {
    activity_json(st, headers, id, Activity::samples).await
}

pub(crate) async fn gear(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Params,
) -> Answer {
    st.authorize(&headers)?;
    if let Some(pk) = q.get("userProfilePk") {
        // The whole account's gear: someone else's profile is refused, as for statistics.
        let pk = pk
            .trim()
            .parse::<i64>()
            .map_err(|_| Reject::BadRequest("userProfilePk must be a number".to_owned()))?;
        if pk != st.account.profile_id() {
            return Err(Reject::NotOwner);
        }
        return Ok(axum::Json(st.account.gear_items()).into_response());
    }
    let id = q
        .get("activityId")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .ok_or_else(|| Reject::BadRequest("activityId is required".to_owned()))?;
    activity_json(st, headers, id, Activity::gear).await
}

/// `/activitylist-service/activities/{uuid}/gear`: the activities that used one gear item,
/// newest first, in the list's item shape. Made from the per-activity gear answer, so that the
/// two always agree; multisport legs are included where their own gear names the item.
pub(crate) async fn gear_activities(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
    Query(q): Params,
) -> Answer {
    st.authorize(&headers)?;
    let query = parse_list_query(&q)?;
    if !st.account.gear_exists(&uuid) {
        return Err(Reject::NotFound);
    }
    blocking(&st, move |st| {
        let mut items = Vec::new();
        let mut skipped = 0usize;
        'all: for k in st.first_visible()..st.account.len() {
            let Some(top) = st.account.nth_newest(k) else {
                break;
            };
            let legs = top.child_ids();
            let mut each = vec![top];
            each.extend(legs.into_iter().filter_map(|id| st.account.activity(id)));
            for a in each {
                if !a.gear_uuids().contains(&uuid) {
                    continue;
                }
                if skipped < query.start {
                    skipped += 1;
                    continue;
                }
                if items.len() >= query.limit {
                    break 'all;
                }
                items.push(a.list_item());
            }
        }
        axum::Json(Value::Array(items)).into_response()
    })
    .await
}

// ---- downloads ---------------------------------------------------------------------------

/// True when the client asked for JSON only, which Garmin's download service answers with
/// 406 before looking at anything else. No Accept header at all is fine (older clients).
fn wants_only_json(headers: &HeaderMap) -> bool {
    let values: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|range| range.split(';').next().unwrap_or_default().trim())
        .filter(|range| !range.is_empty())
        .collect();
    !values.is_empty()
        && values
            .iter()
            .all(|range| range.eq_ignore_ascii_case("application/json"))
}

pub(crate) async fn download_original(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Params,
) -> Answer {
    download(st, headers, Some(Format::Original), id, &q).await
}

pub(crate) async fn download_export(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((format, id)): Path<(String, i64)>,
    Query(q): Params,
) -> Answer {
    let format = match format.as_str() {
        "gpx" => Some(Format::Gpx),
        "tcx" => Some(Format::Tcx),
        "kml" => Some(Format::Kml),
        _ => None,
    };
    download(st, headers, format, id, &q).await
}

async fn download(
    st: Arc<AppState>,
    headers: HeaderMap,
    format: Option<Format>,
    id: i64,
    q: &HashMap<String, String>,
) -> Answer {
    // Garmin's content negotiation runs before anything else, ownership included.
    if wants_only_json(&headers) {
        return Err(Reject::NotAcceptable);
    }
    st.authorize(&headers)?;
    let format = format.ok_or(Reject::NotFound)?;
    let activity = visible(&st, id)?;
    let full = q
        .get("full")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    blocking(&st, move |_| {
        download_response(activity.download(format, full))
    })
    .await
}

pub(crate) fn download_response(download: Download) -> Response {
    match download {
        Download::File {
            bytes,
            content_type,
            file_name,
        } => {
            let mut response = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
            let safe: String = file_name
                .chars()
                .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
                .collect();
            if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Download::NoContent => StatusCode::NO_CONTENT.into_response(),
        Download::NotFound => json_response(StatusCode::NOT_FOUND, json!({"message": "Not Found"})),
        Download::ServerError => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"message": "An unexpected error occurred", "error": "Internal Server Error"}),
        ),
    }
}

// ---- everything else ---------------------------------------------------------------------

pub(crate) async fn user_stats(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(display_name): Path<String>,
) -> Answer {
    st.authorize(&headers)?;
    if display_name != st.account.display_name() {
        return Ok(json_response(
            StatusCode::FORBIDDEN,
            json!({"message": "User is not authorized to view these statistics"}),
        ));
    }
    Ok(axum::Json(json!({
        "userMetrics": [{
            "totalActivities": st.visible_count(),
            "userId": null,
            "displayName": display_name,
        }],
        "allMetrics": {"metricsMap": {}}
    }))
    .into_response())
}

fn properties(text: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain;charset=UTF-8")], text).into_response()
}

pub(crate) async fn activity_types(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Answer {
    st.authorize(&headers)?;
    Ok(properties(st.account.activity_types_properties()))
}

pub(crate) async fn event_types(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Answer {
    st.authorize(&headers)?;
    Ok(properties(st.account.event_types_properties()))
}

pub(crate) async fn app_info(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Answer {
    st.authorize(&headers)?;
    Ok(match st.account.device_info(id) {
        Some(info) => axum::Json(info).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

#[cfg(test)]
mod tests {
    use super::wants_only_json;
    use axum::http::{HeaderMap, HeaderValue, header};

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn only_a_json_only_accept_is_refused() {
        assert!(wants_only_json(&accept("application/json")));
        assert!(wants_only_json(&accept("application/json;charset=UTF-8")));
        assert!(!wants_only_json(&accept(
            "application/json, text/plain, */*"
        )));
        assert!(!wants_only_json(&accept("*/*")));
        assert!(!wants_only_json(&HeaderMap::new()));
    }
}
