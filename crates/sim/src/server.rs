//! The HTTP server: our own accept loop (so TCP connections can be counted and, for a
//! `reset` fault, torn down with an RST), the routes of every Garmin host on one origin, and
//! the middleware that counts requests and injects faults.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use crate::faults::{Outcome, Pacing};
use crate::reply::{forbidden, json_response, token_not_active, too_many};
use crate::state::AppState;
use crate::stats::{Counter, Recorder, RequestGuard};
use crate::{api, control, diauth, signin_page, sso};

// ---- accept loop ----------------------------------------------------------------------

/// Set on a connection whose response a `reset` fault aborted: closing it then sends an
/// RST instead of a FIN, which is what a connection reset looks like to a client.
#[derive(Clone, Default)]
pub(crate) struct ConnAbort(Arc<AtomicBool>);

impl ConnAbort {
    pub fn trigger(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

struct Conn {
    stream: TcpStream,
    abort: ConnAbort,
}

impl Drop for Conn {
    fn drop(&mut self) {
        if self.abort.0.load(Ordering::SeqCst) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let app = router(Arc::clone(&state));
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: back off instead of spinning.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let guard = state.stats.connection_opened();
        let abort = ConnAbort::default();
        let io = TokioIo::new(Conn {
            stream,
            abort: abort.clone(),
        });
        let service = app
            .clone()
            .map_request(move |mut req: Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(abort.clone());
                req
            });
        tokio::spawn(async move {
            let _guard = guard;
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(io, TowerToHyperService::new(service))
                .await;
        });
    }
}

fn router(state: Arc<AppState>) -> Router {
    let garmin = Router::new()
        // SSO (sso.garmin.com)
        .route("/mobile/sso/{locale}/sign-in", get(sso::mobile_page))
        .route("/portal/sso/{locale}/sign-in", get(sso::portal_page))
        .route("/sso/embed/continue", get(signin_page::continue_to_service))
        .route("/mobile/api/login", post(sso::mobile_login))
        .route("/portal/api/login", post(sso::login))
        .route("/mobile/api/mfa/verifyCode", post(sso::verify_code))
        .route("/portal/api/mfa/verifyCode", post(sso::verify_code))
        // DI OAuth2 (diauth.garmin.com)
        .route("/di-oauth2-service/oauth/token", post(diauth::token))
        // Data API (connectapi.garmin.com)
        .route(
            "/userprofile-service/socialProfile",
            get(api::social_profile),
        )
        .route(
            "/userprofile-service/userprofile/user-settings",
            get(api::user_settings),
        )
        .route("/activitylist-service/activities/count", get(api::count))
        .route(
            "/activitylist-service/activities/search/activities",
            get(api::list),
        )
        .route("/activity-service/activity/{id}", get(api::details))
        .route("/activity-service/activity/{id}/splits", get(api::splits))
        .route(
            "/activity-service/activity/{id}/hrTimeInZones",
            get(api::hr_time_in_zones),
        )
        .route("/activity-service/activity/{id}/details", get(api::samples))
        .route(
            "/download-service/files/activity/{id}",
            get(api::download_original),
        )
        .route(
            "/download-service/export/{format}/activity/{id}",
            get(api::download_export),
        )
        .route(
            "/userstats-service/statistics/{display_name}",
            get(api::user_stats),
        )
        .route(
            "/web-translations/activity_types/activity_types.properties",
            get(api::activity_types),
        )
        .route(
            "/web-translations/event_types/event_types.properties",
            get(api::event_types),
        )
        .route(
            "/device-service/deviceservice/app-info/{id}",
            get(api::app_info),
        )
        .route("/gear-service/gear/filterGear", get(api::gear))
        .route(
            "/activitylist-service/activities/{uuid}/gear",
            get(api::gear_activities),
        )
        .merge(crate::health::routes::api_routes())
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            garmin_middleware,
        ));
    garmin
        .merge(control::routes())
        .merge(crate::health::routes::control_routes())
        .fallback(unmatched)
        .with_state(state)
}

// ---- the middleware: stats, faults, logging --------------------------------------------

async fn garmin_middleware(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| path.clone(), |m| m.as_str().to_owned());
    let guard = st.stats.request_started(&format!("{method} {template}"));
    if method == Method::POST {
        if path.ends_with("/api/login") {
            st.stats.bump(Counter::Login);
        } else if path.ends_with("/api/mfa/verifyCode") {
            st.stats.bump(Counter::MfaVerification);
        }
    }
    let abort = req.extensions().get::<ConnAbort>().cloned();

    let decision = st.faults().decide(&path, &target);
    st.stats.faults(&decision.injected);
    // The delay is the time to the answer with the simulator's own work inside it, as with a
    // real server: making a file here runs on the client's CPU, which Garmin's would not, and
    // adding it on top made every request slower than the latency the benchmarks count.
    // A stall is a server that has not started on the request yet: nothing is done until
    // it ends (a client that gives up meanwhile has spent nothing).
    let delay = if decision.injected.contains(&"stall") {
        tokio::time::sleep(decision.delay).await;
        tokio::time::sleep(Duration::ZERO)
    } else {
        tokio::time::sleep(decision.delay)
    };
    let answer = async {
        match &decision.outcome {
            Some(Outcome::TooMany {
                json,
                retry_after,
                status,
            }) => {
                if let Some(secs) = retry_after {
                    st.stats.retry_after_announced(Duration::from_secs(*secs));
                }
                let mut response = too_many(*json, *retry_after);
                if *status == 403 {
                    *response.status_mut() = StatusCode::FORBIDDEN;
                }
                response
            }
            Some(Outcome::Forbidden { json }) => forbidden(*json),
            Some(Outcome::Status(code)) => server_error(*code),
            Some(Outcome::Inactive) => token_not_active(),
            Some(Outcome::Challenge) => challenge_page(),
            Some(Outcome::WrongBody { json }) => wrong_body(*json),
            Some(Outcome::Damage { at }) => damaged_original(next.run(req).await, *at).await,
            _ => next.run(req).await,
        }
    };
    let (_, mut response) = tokio::join!(delay, answer);
    cdn_markers(&st, response.headers_mut());
    let status = response.status();
    st.stats.status(status.as_u16());
    if st.config.log_requests {
        let faults = if decision.injected.is_empty() {
            String::new()
        } else {
            format!(" faults={}", decision.injected.join(","))
        };
        eprintln!(
            "{method} {} {} {}ms{faults}",
            redact(&target),
            status.as_u16(),
            started.elapsed().as_millis()
        );
    }
    let body_fault = match decision.outcome {
        Some(Outcome::Reset { at }) => Some(Tail::Reset(at)),
        Some(Outcome::Truncate { wrong_length, at }) => Some(if wrong_length {
            Tail::ShortClose(at)
        } else {
            Tail::Shortened(at)
        }),
        _ => None,
    };
    if body_fault.is_none() && decision.pacing.is_none() {
        return track(response, guard, &st);
    }
    shape(response, body_fault, decision.pacing, abort, guard, st).await
}

/// The `damage` fault: the original's ZIP with its FIT cut to the first `at` fraction (the
/// file header always kept), as an upload from a watch that crashed mid-save. Anything that
/// is not a ZIP holding a FIT passes unchanged.
async fn damaged_original(response: Response, at: f64) -> Response {
    use std::io::{Read, Write};
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let damaged = (|| -> Option<Vec<u8>> {
        let mut zip = zip::ZipArchive::new(io::Cursor::new(&bytes[..])).ok()?;
        let mut entry = zip.by_index(0).ok()?;
        let name = entry.name().ok()?.into_owned();
        if !name.to_ascii_lowercase().ends_with(".fit") {
            return None;
        }
        let mut fit = Vec::new();
        entry.read_to_end(&mut fit).ok()?;
        let keep = ((fit.len() as f64 * at) as usize).max(14);
        let cut = crate::fit::cut(&fit, keep);
        let mut out = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(entry.last_modified().unwrap_or_default())
            .unix_permissions(0o644);
        out.start_file(name, options).ok()?;
        out.write_all(&cut).ok()?;
        Some(out.finish().ok()?.into_inner())
    })();
    let body = match damaged {
        Some(d) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Bytes::from(d)
        }
        None => bytes,
    };
    Response::from_parts(parts, Body::from(body))
}

async fn unmatched(State(st): State<Arc<AppState>>, req: Request) -> Response {
    if req.uri().path().starts_with("/__sim/") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let _guard = st
        .stats
        .request_started(&format!("{} (unmatched)", req.method()));
    st.stats.status(404);
    if st.config.log_requests {
        let target = req
            .uri()
            .path_and_query()
            .map_or("", |pq| pq.as_str())
            .to_owned();
        eprintln!("{} {} 404", req.method(), redact(&target));
    }
    (
        StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({"message": "Not Found"})),
    )
        .into_response()
}

/// Query values that are secrets never reach the log.
fn redact(target: &str) -> String {
    let Some((path, query)) = target.split_once('?') else {
        return target.to_owned();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            let lower = key.to_ascii_lowercase();
            if ["ticket", "token", "code", "password", "secret"]
                .iter()
                .any(|s| lower.contains(s))
            {
                format!("{key}=***")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

/// Keeps the request counted as in progress until its body is fully sent, and counts the
/// bytes. Size hints pass through, so Content-Length is unaffected.
struct Tracked {
    inner: Body,
    stats: Arc<Recorder>,
    _guard: RequestGuard,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            this.stats.bytes(data.len());
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

fn track(response: Response, guard: RequestGuard, st: &AppState) -> Response {
    let (parts, body) = response.into_parts();
    Response::from_parts(
        parts,
        Body::new(Tracked {
            inner: body,
            stats: Arc::clone(&st.stats),
            _guard: guard,
        }),
    )
}

#[derive(Clone, Copy)]
enum Tail {
    /// Content-Length matches the shortened body.
    Shortened(f64),
    /// Content-Length of the whole body, fewer bytes, then a clean close.
    ShortClose(f64),
    /// Content-Length of the whole body, fewer bytes, then an RST.
    Reset(f64),
}

struct Feed {
    data: Bytes,
    pos: usize,
    end: usize,
    pacing: Option<Pacing>,
    tail: Option<Tail>,
    abort: Option<ConnAbort>,
    finished: bool,
}

async fn shape(
    response: Response,
    tail: Option<Tail>,
    pacing: Option<Pacing>,
    abort: Option<ConnAbort>,
    guard: RequestGuard,
    st: Arc<AppState>,
) -> Response {
    let (mut parts, body) = response.into_parts();
    let data = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(data) => data,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let full = data.len();
    let end = match tail {
        None => full,
        Some(Tail::Shortened(at) | Tail::ShortClose(at) | Tail::Reset(at)) => {
            ((full as f64) * at).floor() as usize
        }
    };
    let declared = match tail {
        Some(Tail::Shortened(_)) => end,
        _ => full,
    };
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(declared));
    let feed = Feed {
        data,
        pos: 0,
        end,
        pacing,
        tail,
        abort,
        finished: false,
    };
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        if feed.finished {
            return None;
        }
        if feed.pos < feed.end {
            let chunk = feed.pacing.map_or(feed.end, |p| p.chunk.max(1));
            if let Some(p) = feed.pacing
                && feed.pos > 0
                && !p.every.is_zero()
            {
                tokio::time::sleep(p.every).await;
            }
            let next = (feed.pos + chunk).min(feed.end);
            let piece = feed.data.slice(feed.pos..next);
            feed.pos = next;
            return Some((Ok::<Bytes, io::Error>(piece), feed));
        }
        feed.finished = true;
        match feed.tail {
            None | Some(Tail::Shortened(_)) => None,
            Some(Tail::ShortClose(_)) => {
                // Pausing lets hyper flush what was sent before it notices the body is
                // short and closes the connection.
                tokio::time::sleep(Duration::from_millis(50)).await;
                None
            }
            Some(Tail::Reset(_)) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if let Some(abort) = &feed.abort {
                    abort.trigger();
                }
                Some((
                    Err(io::Error::new(
                        io::ErrorKind::ConnectionReset,
                        "reset fault injected",
                    )),
                    feed,
                ))
            }
        }
    });
    track(
        Response::from_parts(parts, Body::from_stream(stream)),
        guard,
        &st,
    )
}

/// What Garmin's CDN puts on every answer: its `server` name and a ray id (16 hex digits
/// and the data centre), which a user's diagnostic report quotes.
fn cdn_markers(st: &AppState, headers: &mut axum::http::HeaderMap) {
    if !headers.contains_key(header::SERVER) {
        headers.insert(header::SERVER, HeaderValue::from_static("cloudflare"));
    }
    if !headers.contains_key("cf-ray")
        && let Ok(ray) = HeaderValue::from_str(&format!("{}-AMS", st.rng.hex(16)))
    {
        headers.insert("cf-ray", ray);
    }
}

/// Cloudflare's managed challenge: "verify you are human", a page only a browser driven by
/// a person gets past.
fn challenge_page() -> Response {
    (
        StatusCode::FORBIDDEN,
        [
            (header::CONTENT_TYPE, "text/html; charset=UTF-8"),
            (
                header::CACHE_CONTROL,
                "private, max-age=0, no-store, no-cache, must-revalidate",
            ),
        ],
        [("cf-mitigated", "challenge")],
        CHALLENGE_PAGE,
    )
        .into_response()
}

const CHALLENGE_PAGE: &str = r#"<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta name="robots" content="noindex,nofollow">
</head><body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">sso.garmin.com</h1>
<h2 class="h2" id="challenge-running">Verify you are human by completing the action below.</h2>
<noscript><div class="h2">Enable JavaScript and cookies to continue</div></noscript>
</div></div>
<script>(function(){window._cf_chl_opt={cvId:'3',cZone:"sso.garmin.com",cType:'managed'};var a=document.createElement('script');a.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8f2b1c3d4e5a6b7c';document.getElementsByTagName('head')[0].appendChild(a);}());</script>
</body></html>
"#;

/// A 200 that is not the file asked for: what a client must never save as one.
fn wrong_body(json: bool) -> Response {
    if json {
        return json_response(
            StatusCode::OK,
            serde_json::json!({"message": "Service temporarily unavailable", "error": "ServiceUnavailable"}),
        );
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
        "<!DOCTYPE html>\r\n<html><head><title>Garmin Connect - Maintenance</title></head>\r\n<body><h1>We'll be back soon</h1><p>Garmin Connect is down for scheduled maintenance.</p></body></html>\r\n",
    )
        .into_response()
}

fn server_error(code: u16) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        return json_response(
            status,
            serde_json::json!({"message": "An unexpected error occurred", "error": "Internal Server Error"}),
        );
    }
    let reason = status.canonical_reason().unwrap_or("Server Error");
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
        format!(
            "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn secrets_in_queries_are_redacted() {
        assert_eq!(
            redact("/app?ticket=ST-1-abc-sso&x=1"),
            "/app?ticket=***&x=1"
        );
        assert_eq!(
            redact("/download-service/files/activity/1"),
            "/download-service/files/activity/1"
        );
        assert_eq!(redact("/a?refresh_token=zz"), "/a?refresh_token=***");
    }
}
