//! The data API: profile, settings, count, the activity list, details and downloads.

use std::collections::VecDeque;
use std::future::Future;

use futures_util::{Stream, StreamExt as _};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncSeekExt as _, AsyncWrite, AsyncWriteExt as _};

use crate::error::{Error, Result, excerpt};
use crate::http::{JSON_BODY_LIMIT, read_body, read_body_capped};
use crate::model::{ActivityDetails, ActivitySummary, Profile, UserSettings};
use crate::session::{ApiRequest, Session};

/// A download format of an activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The file as uploaded, in a ZIP.
    Original,
    Gpx,
    Tcx,
    Kml,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Original, Format::Gpx, Format::Tcx, Format::Kml];

    fn path(self, id: i64) -> String {
        match self {
            Format::Original => format!("/download-service/files/activity/{id}"),
            Format::Gpx => format!("/download-service/export/gpx/activity/{id}"),
            Format::Tcx => format!("/download-service/export/tcx/activity/{id}"),
            Format::Kml => format!("/download-service/export/kml/activity/{id}"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Original => "original",
            Format::Gpx => "gpx",
            Format::Tcx => "tcx",
            Format::Kml => "kml",
        }
    }

    /// The file extension of what is downloaded (the original comes zipped).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Original => "zip",
            other => other.name(),
        }
    }

    fn root_element(self) -> Option<&'static str> {
        match self {
            Format::Original => None,
            Format::Gpx => Some("gpx"),
            Format::Tcx => Some("TrainingCenterDatabase"),
            Format::Kml => Some("kml"),
        }
    }
}

/// Where a download goes. A download that breaks midway is fetched again from the start,
/// so the sink must be able to drop what it holds.
pub trait DownloadSink: AsyncWrite + Unpin + Send {
    /// Discards everything written so far.
    fn restart(&mut self) -> impl Future<Output = std::io::Result<()>> + Send;
}

impl DownloadSink for Vec<u8> {
    async fn restart(&mut self) -> std::io::Result<()> {
        self.clear();
        Ok(())
    }
}

impl DownloadSink for std::io::Cursor<Vec<u8>> {
    async fn restart(&mut self) -> std::io::Result<()> {
        self.get_mut().clear();
        self.set_position(0);
        Ok(())
    }
}

impl DownloadSink for tokio::fs::File {
    async fn restart(&mut self) -> std::io::Result<()> {
        self.flush().await?;
        self.set_len(0).await?;
        self.seek(std::io::SeekFrom::Start(0)).await?;
        Ok(())
    }
}

/// Adapts any writer that cannot start over: a download that breaks after its first byte
/// is then returned as a retryable error for the caller to redo with a fresh writer.
pub struct NoRestart<W>(pub W);

impl<W: AsyncWrite + Unpin + Send> AsyncWrite for NoRestart<W> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<W: AsyncWrite + Unpin + Send> DownloadSink for NoRestart<W> {
    async fn restart(&mut self) -> std::io::Result<()> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "this writer cannot start over",
        ))
    }
}

/// A completed download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Downloaded {
    pub bytes: u64,
    pub content_type: Option<String>,
    /// How many times the body was fetched (1 unless a transfer broke).
    pub attempts: u32,
}

/// Filters of the activity list.
#[derive(Clone, Debug)]
pub struct ListQuery {
    /// Items per request (Garmin accepts up to 1000).
    pub page_size: usize,
    pub activity_type: Option<String>,
    /// `YYYY-MM-DD`.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            page_size: 100,
            activity_type: None,
            start_date: None,
            end_date: None,
        }
    }
}

impl Session {
    /// Any JSON call of the API: `Ok(None)` for 204 or 404. A broken or cut body is fetched
    /// again (bounded).
    pub async fn get_json(&self, request: &ApiRequest) -> Result<Option<Value>> {
        self.get_parsed(request, |body| serde_json::from_slice::<Value>(body))
            .await
    }

    /// Any JSON call, as the bytes Garmin sent (checked to parse as JSON), for an archive
    /// that keeps exactly what Garmin said.
    pub async fn get_json_bytes(&self, request: &ApiRequest) -> Result<Option<Vec<u8>>> {
        self.get_parsed(request, |body| {
            serde_json::from_slice::<serde::de::IgnoredAny>(body).map(|_| body.to_vec())
        })
        .await
    }

    /// The one path of every JSON call: `parse` reads the body; a body cut short (by its
    /// length, or JSON that ends too early) is fetched again, anything else that does not
    /// parse is Garmin answering something unexpected.
    async fn get_parsed<T>(
        &self,
        request: &ApiRequest,
        parse: impl Fn(&[u8]) -> serde_json::Result<T>,
    ) -> Result<Option<T>> {
        let policy = &self.config().retry;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let response = self.send(request).await?;
            let status = response.status();
            if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            if !status.is_success() {
                return Err(refusal(response).await);
            }
            let declared = response.content_length();
            let failure = match read_body_capped(response, JSON_BODY_LIMIT).await {
                Err(e) if !e.is_retryable() => return Err(e),
                Err(e) => e,
                Ok(body) if declared.is_some_and(|n| n != body.len() as u64) => Error::BadBody {
                    expected: "JSON",
                    reason: format!("{} of {:?} bytes", body.len(), declared),
                    truncated: true,
                },
                Ok(body) => match parse(&body) {
                    Ok(v) => return Ok(Some(v)),
                    Err(e) if e.is_eof() => Error::BadBody {
                        expected: "JSON",
                        reason: "cut short".into(),
                        truncated: true,
                    },
                    Err(_) => {
                        return Err(Error::Unexpected {
                            status: status.as_u16(),
                            excerpt: excerpt(&String::from_utf8_lossy(&body), &[]),
                        });
                    }
                },
            };
            if attempt >= policy.max_attempts {
                return Err(failure);
            }
            tracing::info!(path = %request.path, error = %failure, "answer broken; fetching again");
            tokio::time::sleep(policy.backoff(attempt)).await;
        }
    }

    async fn get_json_required(&self, request: &ApiRequest) -> Result<Value> {
        self.get_json(request)
            .await?
            .ok_or_else(|| Error::Unexpected {
                status: 204,
                excerpt: format!("no content at {}", request.path),
            })
    }

    /// `socialProfile`: who is signed in.
    pub async fn profile(&self) -> Result<Profile> {
        let v = self
            .get_json_required(&ApiRequest::get("/userprofile-service/socialProfile"))
            .await?;
        Ok(serde_json::from_value(v).unwrap_or_default())
    }

    pub async fn settings(&self) -> Result<UserSettings> {
        let v = self
            .get_json_required(&ApiRequest::get(
                "/userprofile-service/userprofile/user-settings",
            ))
            .await?;
        Ok(UserSettings::from_value(v))
    }

    /// How many activities the account holds.
    pub async fn activity_count(&self) -> Result<u64> {
        let v = self
            .get_json_required(&ApiRequest::get("/activitylist-service/activities/count"))
            .await?;
        v.get("totalCount")
            .and_then(Value::as_f64)
            .map(|n| n.max(0.0) as u64)
            .ok_or_else(|| Error::Unexpected {
                status: 200,
                excerpt: excerpt(&v.to_string(), &[]),
            })
    }

    /// One page of the list, newest first; empty past the end.
    pub async fn activities_page(
        &self,
        query: &ListQuery,
        start: usize,
    ) -> Result<Vec<ActivitySummary>> {
        Ok(self
            .activities_page_raw(query, start)
            .await?
            .into_iter()
            .filter_map(
                |item| match serde_json::from_value::<ActivitySummary>(item) {
                    Ok(a) => Some(a),
                    Err(e) => {
                        tracing::warn!(error = %e, "skipping a list item that is not an object");
                        None
                    }
                },
            )
            .collect())
    }

    /// One page of the list as Garmin sent it, every field kept: for callers that store
    /// the items (an archive keeps what a future CSV column may need without a refetch).
    pub async fn activities_page_raw(&self, query: &ListQuery, start: usize) -> Result<Vec<Value>> {
        let mut request = ApiRequest::get("/activitylist-service/activities/search/activities")
            .query("start", start)
            .query("limit", query.page_size.max(1));
        if let Some(t) = &query.activity_type {
            request = request.query("activityType", t);
        }
        if let Some(d) = &query.start_date {
            request = request.query("startDate", d);
        }
        if let Some(d) = &query.end_date {
            request = request.query("endDate", d);
        }
        let Some(v) = self.get_json(&request).await? else {
            return Ok(Vec::new());
        };
        let Value::Array(items) = v else {
            return Err(Error::Unexpected {
                status: 200,
                excerpt: excerpt(&v.to_string(), &[]),
            });
        };
        Ok(items)
    }

    /// The gear used for an activity (shoes, bike), as Garmin lists it; often empty.
    pub async fn activity_gear(&self, id: i64) -> Result<Vec<Value>> {
        let request = ApiRequest::get("/gear-service/gear/filterGear").query("activityId", id);
        match self.get_json(&request).await? {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(Error::Unexpected {
                status: 200,
                excerpt: excerpt(&other.to_string(), &[]),
            }),
        }
    }

    /// Every gear item of the user (`filterGear?userProfilePk=`, `profile_id` from
    /// `socialProfile`), retired ones included; each carries the `uuid` that
    /// [`Session::gear_activities_page`] takes.
    pub async fn user_gear(&self, profile_id: i64) -> Result<Vec<Value>> {
        let request =
            ApiRequest::get("/gear-service/gear/filterGear").query("userProfilePk", profile_id);
        self.json_list(&request).await
    }

    /// One page of the activities that used the gear item `uuid`, newest first, in the
    /// activity list's item shape; fewer than `limit` items means the end.
    pub async fn gear_activities_page(
        &self,
        uuid: &str,
        start: usize,
        limit: usize,
    ) -> Result<Vec<Value>> {
        // A uuid is hex; anything else would reach another path, so it is refused here.
        if uuid.is_empty() || !uuid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Error::Unexpected {
                status: 200,
                excerpt: format!("a gear uuid that is not one: {uuid:?}"),
            });
        }
        let request = ApiRequest::get(format!("/activitylist-service/activities/{uuid}/gear"))
            .query("start", start)
            .query("limit", limit.max(1));
        self.json_list(&request).await
    }

    /// A JSON list, or an empty one for 204/404.
    async fn json_list(&self, request: &ApiRequest) -> Result<Vec<Value>> {
        match self.get_json(request).await? {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(Error::Unexpected {
                status: 200,
                excerpt: excerpt(&other.to_string(), &[]),
            }),
        }
    }

    /// A device's product name and firmware, by the `deviceApplicationInstallationId` of an
    /// activity's details; `None` when Garmin has nothing (204) for it.
    pub async fn device_info(&self, install_id: i64) -> Result<Option<Value>> {
        let request = ApiRequest::get(format!(
            "/device-service/deviceservice/app-info/{install_id}"
        ));
        self.get_json(&request).await
    }

    /// Every activity, newest first, fetched a page at a time as the stream is read; drop
    /// the stream to stop early. An error ends the stream.
    pub fn activities(
        &self,
        query: ListQuery,
    ) -> impl Stream<Item = Result<ActivitySummary>> + Send + 'static {
        struct State {
            session: Session,
            query: ListQuery,
            start: usize,
            buffered: VecDeque<ActivitySummary>,
            done: bool,
        }
        let state = State {
            session: self.clone(),
            query,
            start: 0,
            buffered: VecDeque::new(),
            done: false,
        };
        futures_util::stream::unfold(state, |mut st| async move {
            loop {
                if let Some(item) = st.buffered.pop_front() {
                    return Some((Ok(item), st));
                }
                if st.done {
                    return None;
                }
                match st.session.activities_page(&st.query, st.start).await {
                    Ok(page) => {
                        if page.is_empty() {
                            return None;
                        }
                        st.start += page.len();
                        st.done = page.len() < st.query.page_size.max(1);
                        st.buffered.extend(page);
                    }
                    Err(e) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                }
            }
        })
        .boxed()
    }

    /// An activity's details; `Ok(None)` if it does not exist.
    pub async fn activity_details(&self, id: i64) -> Result<Option<ActivityDetails>> {
        let v = self
            .get_json(&ApiRequest::get(format!("/activity-service/activity/{id}")))
            .await?;
        Ok(v.map(ActivityDetails::from_value))
    }

    /// Streams one format of one activity into `sink`. `Ok(None)`: the activity has no such
    /// format (204 or 404, or 500 for TCX). A body that is not the format asked for is an
    /// error; one that looks cut short is fetched again (bounded) after `sink.restart()`.
    pub async fn download<S: DownloadSink>(
        &self,
        id: i64,
        format: Format,
        sink: &mut S,
    ) -> Result<Option<Downloaded>> {
        self.download_with(id, format, false, sink).await
    }

    /// As [`Session::download`]; `full` asks the exports for `?full=true`.
    pub async fn download_with<S: DownloadSink>(
        &self,
        id: i64,
        format: Format,
        full: bool,
        sink: &mut S,
    ) -> Result<Option<Downloaded>> {
        let mut request = ApiRequest::get(format.path(id)).accept("*/*");
        request.accept_500 = format == Format::Tcx;
        if full && format != Format::Original {
            request = request.query("full", "true");
        }
        let policy = &self.config().retry;
        let mut attempt = 0u32;
        let mut dirty = false;
        loop {
            attempt += 1;
            let response = self.send(&request).await?;
            let status = response.status();
            if status == StatusCode::NO_CONTENT
                || status == StatusCode::NOT_FOUND
                || (format == Format::Tcx && status == StatusCode::INTERNAL_SERVER_ERROR)
            {
                tracing::debug!(
                    id,
                    format = format.name(),
                    status = status.as_u16(),
                    "format not available"
                );
                return Ok(None);
            }
            if !status.is_success() {
                return Err(refusal(response).await);
            }
            if dirty {
                sink.restart().await.map_err(|e| Error::BadBody {
                    expected: format.name(),
                    reason: format!("the transfer broke and the writer cannot start over: {e}"),
                    truncated: true,
                })?;
            }
            dirty = true;
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            match stream_body(response, format, content_type.as_deref(), sink).await {
                Ok(bytes) => {
                    sink.flush().await?;
                    return Ok(Some(Downloaded {
                        bytes,
                        content_type,
                        attempts: attempt,
                    }));
                }
                Err(e) if e.is_retryable() && attempt < policy.max_attempts => {
                    let delay = policy.backoff(attempt);
                    tracing::info!(id, format = format.name(), error = %e, ?delay, "download broke; fetching again");
                    tokio::time::sleep(delay).await;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A non-2xx answer that `send` handed back (not retried): a typed error.
pub(crate) async fn refusal(response: reqwest::Response) -> Error {
    let status = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let wait = crate::http::retry_after(response.headers());
    let body = read_body(response).await.unwrap_or_default();
    if let Some(block) =
        crate::error::cdn_block(status.as_u16(), content_type.as_deref(), &body, wait)
    {
        return block;
    }
    let text = excerpt(&String::from_utf8_lossy(&body), &[]);
    if status == StatusCode::FORBIDDEN {
        Error::Forbidden {
            status: status.as_u16(),
            excerpt: text,
        }
    } else {
        Error::Unexpected {
            status: status.as_u16(),
            excerpt: text,
        }
    }
}

const HEAD_KEEP: usize = 4096;
/// The ZIP end-of-central-directory record is within the last 22 + 65535 bytes.
const TAIL_KEEP: usize = 22 + 65_535;

async fn stream_body<S: DownloadSink>(
    mut response: reqwest::Response,
    format: Format,
    content_type: Option<&str>,
    sink: &mut S,
) -> Result<u64> {
    let declared = response.content_length();
    let mut head: Vec<u8> = Vec::new();
    let mut tail: VecDeque<u8> = VecDeque::new();
    let mut total: u64 = 0;
    let mut checked_head = false;
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => return Err(Error::from_reqwest(&e)),
        };
        if head.len() < HEAD_KEEP {
            let take = (HEAD_KEEP - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        if !checked_head && head.len() >= HEAD_KEEP.min(512) {
            // Refuse an error page before writing a byte of it.
            check_head(format, content_type, &head, false)?;
            checked_head = true;
        }
        tail.extend(chunk.iter().copied());
        if tail.len() > TAIL_KEEP {
            let excess = tail.len() - TAIL_KEEP;
            tail.drain(..excess);
        }
        total += chunk.len() as u64;
        sink.write_all(&chunk).await?;
    }
    if let Some(n) = declared.filter(|n| *n != total) {
        return Err(Error::BadBody {
            expected: format.name(),
            reason: format!("{total} bytes of the {n} announced"),
            truncated: true,
        });
    }
    check_head(format, content_type, &head, true)?;
    let tail: Vec<u8> = tail.into();
    check_tail(format, &tail, total)?;
    Ok(total)
}

fn looks_like_html(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(1024)]).to_ascii_lowercase();
    text.contains("<html") || text.contains("<!doctype html")
}

fn check_head(
    format: Format,
    content_type: Option<&str>,
    head: &[u8],
    complete: bool,
) -> Result<()> {
    let bad = |reason: String| Error::BadBody {
        expected: format.name(),
        reason,
        truncated: false,
    };
    if head.is_empty() {
        return Err(Error::BadBody {
            expected: format.name(),
            reason: "empty body".into(),
            truncated: true,
        });
    }
    let ct = content_type.unwrap_or_default().to_ascii_lowercase();
    if ct.starts_with("text/html") || looks_like_html(head) {
        return Err(bad(format!(
            "an HTML page: {}",
            excerpt(&String::from_utf8_lossy(head), &[])
        )));
    }
    match format {
        Format::Original => {
            if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
                Ok(())
            } else if head.len() < 4 && complete {
                Err(Error::BadBody {
                    expected: "original",
                    reason: "too short for a ZIP".into(),
                    truncated: true,
                })
            } else {
                Err(bad(format!(
                    "not a ZIP: {}",
                    excerpt(&String::from_utf8_lossy(head), &[])
                )))
            }
        }
        _ => {
            let text = String::from_utf8_lossy(head);
            let trimmed = text.trim_start_matches('\u{feff}').trim_start();
            if !trimmed.starts_with('<') {
                return Err(bad(format!("not XML: {}", excerpt(&text, &[]))));
            }
            let root = format.root_element().unwrap_or_default();
            if (complete || head.len() >= HEAD_KEEP)
                && !text.contains(&format!("<{root}"))
                && !text.contains(&format!(":{root}"))
            {
                return Err(bad(format!("XML without a <{root}> element")));
            }
            Ok(())
        }
    }
}

fn check_tail(format: Format, tail: &[u8], total: u64) -> Result<()> {
    let cut = |reason: &str| Error::BadBody {
        expected: format.name(),
        reason: reason.into(),
        truncated: true,
    };
    match format {
        Format::Original => {
            if zip_is_complete(tail, total) {
                Ok(())
            } else {
                Err(cut("the ZIP has no end of central directory"))
            }
        }
        _ => {
            let root = format.root_element().unwrap_or_default();
            let text = String::from_utf8_lossy(&tail[tail.len().saturating_sub(256)..]);
            let end = text.trim_end_matches(|c: char| c.is_whitespace() || c == '\0');
            let closes = end.strip_suffix('>').and_then(|s| {
                let last_open = s.rfind("</")?;
                let name = s[last_open + 2..].trim_end();
                Some(name == root || name.ends_with(&format!(":{root}")))
            });
            if closes == Some(true) {
                Ok(())
            } else {
                Err(cut(&format!("no closing </{root}>")))
            }
        }
    }
}

/// Finds the end-of-central-directory record and checks it ends the file exactly.
fn zip_is_complete(tail: &[u8], total: u64) -> bool {
    if tail.len() < 22 {
        return false;
    }
    let offset = total - tail.len() as u64;
    (0..=tail.len() - 22).rev().any(|i| {
        tail[i..].starts_with(b"PK\x05\x06") && {
            let comment_len = u16::from_le_bytes([tail[i + 20], tail[i + 21]]) as u64;
            offset + i as u64 + 22 + comment_len == total
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_zip() -> Vec<u8> {
        // A one-entry stored ZIP, written by hand: local header, data, central directory, EOCD.
        let name = b"1_ACTIVITY.fit";
        let data = b"FITDATA";
        let mut z = Vec::new();
        z.extend_from_slice(b"PK\x03\x04");
        z.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        z.extend_from_slice(&[0; 4]); // crc (not checked here)
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z.extend_from_slice(name);
        z.extend_from_slice(data);
        let cd_start = z.len() as u32;
        z.extend_from_slice(b"PK\x01\x02");
        z.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        z.extend_from_slice(&[0; 4]);
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&[0; 12]);
        z.extend_from_slice(&0u32.to_le_bytes());
        z.extend_from_slice(name);
        let cd_len = z.len() as u32 - cd_start;
        z.extend_from_slice(b"PK\x05\x06");
        z.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
        z.extend_from_slice(&cd_len.to_le_bytes());
        z.extend_from_slice(&cd_start.to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z
    }

    #[test]
    fn zip_end_of_central_directory() {
        let z = tiny_zip();
        assert!(zip_is_complete(&z, z.len() as u64));
        assert!(
            check_head(
                Format::Original,
                Some("application/x-zip-compressed"),
                &z,
                true
            )
            .is_ok()
        );
        let cut = &z[..z.len() - 5];
        assert!(!zip_is_complete(cut, cut.len() as u64));
        let err = check_tail(Format::Original, cut, cut.len() as u64).unwrap_err();
        assert!(err.is_retryable());
        // Only the tail is kept for long files: offsets must still line up.
        let mut long = vec![0u8; 100_000];
        long.extend_from_slice(&z);
        let tail = &long[long.len() - TAIL_KEEP..];
        assert!(zip_is_complete(tail, long.len() as u64));
    }

    #[test]
    fn json_or_html_instead_of_the_file_is_not_retryable() {
        let json = br#"{"message":"Only owner of activity allowed"}"#;
        let e = check_head(Format::Original, Some("application/json"), json, true).unwrap_err();
        assert!(!e.is_retryable());
        assert_eq!(e.kind(), crate::ErrorKind::BadBody);
        let html = b"<!DOCTYPE html><html><title>Error</title></html>";
        let e = check_head(Format::Gpx, Some("application/gpx+xml"), html, true).unwrap_err();
        assert!(!e.is_retryable());
        let e = check_head(Format::Gpx, None, br#"{"error":"x"}"#, true).unwrap_err();
        assert!(!e.is_retryable());
    }

    #[test]
    fn xml_must_close_its_root() {
        let gpx = b"<?xml version=\"1.0\"?>\n<gpx version=\"1.1\"><trk></trk></gpx>\n";
        assert!(check_head(Format::Gpx, None, gpx, true).is_ok());
        assert!(check_tail(Format::Gpx, gpx, gpx.len() as u64).is_ok());
        let cut = &gpx[..gpx.len() - 4];
        assert!(
            check_tail(Format::Gpx, cut, cut.len() as u64)
                .unwrap_err()
                .is_retryable()
        );
        let tcx = b"<TrainingCenterDatabase xmlns=\"x\"></TrainingCenterDatabase>";
        assert!(check_tail(Format::Tcx, tcx, tcx.len() as u64).is_ok());
        assert!(check_tail(Format::Kml, tcx, tcx.len() as u64).is_err());
        let kml = b"<kml:kml xmlns:kml=\"x\"></kml:kml>";
        assert!(check_head(Format::Kml, None, kml, true).is_ok());
        assert!(check_tail(Format::Kml, kml, kml.len() as u64).is_ok());
    }
}
