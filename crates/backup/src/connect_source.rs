//! `connect::Session` as a [`Source`]: the client does HTTP, retries, refresh and the 429
//! pause; this adapter only maps calls and errors.

use std::pin::Pin;
use std::task::{Context, Poll};

use chrono::{DateTime, Utc};
use gcexport_connect as connect;
use serde_json::Value;
use tokio::io::AsyncWrite;

use crate::model::{Activity, ActivityId, Format};
use crate::source::{Sink, Source, SourceError, SourceErrorKind, UnavailableReason};

/// Garmin's translation file for activity types (`docs/csv.md`).
const LABELS_PATH: &str = "/web-translations/activity_types/activity_types.properties";
const MAX_LABELS_BYTES: usize = 1024 * 1024;

/// The Garmin Connect client as a source of activities.
#[derive(Clone, Debug)]
pub struct ConnectSource {
    session: connect::Session,
    /// `socialProfile`'s `profileId`, asked once (the gear list is keyed by it).
    profile_id: std::sync::Arc<tokio::sync::OnceCell<i64>>,
}

impl ConnectSource {
    pub fn new(session: connect::Session) -> ConnectSource {
        ConnectSource {
            session,
            profile_id: Default::default(),
        }
    }

    pub fn session(&self) -> &connect::Session {
        &self.session
    }
}

impl From<connect::Error> for SourceError {
    fn from(e: connect::Error) -> SourceError {
        use connect::ErrorKind as K;
        let kind = match e.kind() {
            K::TokensExpired
            | K::WrongCredentials
            | K::WrongCode
            | K::TicketRejected
            | K::NoPendingCode
            | K::CaptchaRequired
            | K::AccountLocked
            | K::Storage
            | K::Config => SourceErrorKind::Auth,
            K::RateLimited => SourceErrorKind::RateLimited,
            K::Network | K::Timeout => SourceErrorKind::Network,
            K::Forbidden => SourceErrorKind::Forbidden,
            K::Unexpected => SourceErrorKind::Server,
            K::BadBody => SourceErrorKind::BadData,
            K::Io => SourceErrorKind::Local,
        };
        SourceError {
            kind,
            retry_at: e.until(),
            message: e.to_string(),
        }
    }
}

fn connect_format(f: Format) -> Option<connect::Format> {
    match f {
        Format::Original => Some(connect::Format::Original),
        Format::Gpx => Some(connect::Format::Gpx),
        Format::Tcx => Some(connect::Format::Tcx),
        Format::Kml => Some(connect::Format::Kml),
        Format::Json => None,
    }
}

impl Source for ConnectSource {
    async fn list(&self, start: usize, limit: usize) -> Result<Vec<Value>, SourceError> {
        // The raw items, not the client's typed summaries: the archive keeps every field
        // Garmin sent, so a future CSV column never needs a refetch.
        let query = connect::ListQuery {
            page_size: limit.max(1),
            ..Default::default()
        };
        Ok(self.session.activities_page_raw(&query, start).await?)
    }

    async fn details(&self, id: ActivityId) -> Result<Value, SourceError> {
        match self.session.activity_details(id).await? {
            Some(d) => Ok(d.raw),
            None => Err(SourceError::new(
                SourceErrorKind::Gone,
                format!("activity {id} has no details (it may have been deleted)"),
            )),
        }
    }

    async fn gear(&self, id: ActivityId) -> Result<Value, SourceError> {
        Ok(Value::Array(self.session.activity_gear(id).await?))
    }

    async fn gear_items(&self) -> Result<Option<Vec<Value>>, SourceError> {
        let profile_id = self
            .profile_id
            .get_or_try_init(|| async {
                self.session.profile().await?.profile_id.ok_or_else(|| {
                    SourceError::new(SourceErrorKind::BadData, "the profile carries no profileId")
                })
            })
            .await?;
        Ok(Some(self.session.user_gear(*profile_id).await?))
    }

    async fn gear_activities(
        &self,
        uuid: &str,
        start: usize,
        limit: usize,
    ) -> Result<Vec<Value>, SourceError> {
        Ok(self
            .session
            .gear_activities_page(uuid, start, limit)
            .await?)
    }

    async fn device(&self, install_id: i64) -> Result<Option<Value>, SourceError> {
        Ok(self.session.device_info(install_id).await?)
    }

    async fn fetch<W: Sink>(
        &self,
        id: ActivityId,
        format: Format,
        out: &mut W,
    ) -> Result<Option<u64>, SourceError> {
        let Some(f) = connect_format(format) else {
            return Err(SourceError::new(
                SourceErrorKind::Local,
                "the details JSON is written from the archive, not downloaded",
            ));
        };
        let mut sink = Adapt(out);
        Ok(self
            .session
            .download(id, f, &mut sink)
            .await?
            .map(|d| d.bytes))
    }

    async fn activity_type_labels(&self) -> Result<Option<String>, SourceError> {
        let request = connect::ApiRequest::get(LABELS_PATH).accept("text/plain, */*");
        let mut response = self.session.send(&request).await?;
        let status = response.status().as_u16();
        if status == 204 || status == 404 {
            return Ok(None);
        }
        if !(200..300).contains(&status) {
            return Err(SourceError::new(
                SourceErrorKind::Server,
                format!("Garmin answered {status} for the activity type labels"),
            ));
        }
        // A few kilobytes in practice: anything much larger is not that file.
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| SourceError::new(SourceErrorKind::Network, e.to_string()))?
        {
            if body.len() + chunk.len() > MAX_LABELS_BYTES {
                return Err(SourceError::new(
                    SourceErrorKind::BadData,
                    format!("the activity type labels exceed {MAX_LABELS_BYTES} bytes"),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Some(String::from_utf8_lossy(&body).into_owned()))
    }

    /// Garmin answered "no content" (204, 404, or 500 for a TCX): why, from the activity.
    fn unavailable_reason(&self, a: &Activity, format: Format) -> UnavailableReason {
        if a.is_manual() {
            return UnavailableReason::Manual;
        }
        let uploaded = a
            .details
            .as_ref()
            .and_then(|d| d.pointer("/metadataDTO/fileFormat/formatKey"))
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase);
        // Garmin makes no TCX of an uploaded GPX (its 500 says so), nor a GPX of a TCX.
        match (format, uploaded.as_deref()) {
            (Format::Tcx, Some("gpx")) | (Format::Gpx, Some("tcx")) => {
                return UnavailableReason::UploadedTrack;
            }
            _ => {}
        }
        let has_track = a.summary.get("hasPolyline").and_then(Value::as_bool);
        if matches!(format, Format::Gpx | Format::Kml) && has_track == Some(false) {
            return UnavailableReason::NoTrack;
        }
        UnavailableReason::NotOffered
    }

    fn paused_until(&self) -> Option<DateTime<Utc>> {
        let left = self.session.paused_for()?;
        Some(Utc::now() + chrono::Duration::from_std(left).ok()?)
    }
}

/// Our sink as the client's: the same writer, the same restart.
struct Adapt<'a, W>(&'a mut W);

impl<W: Sink> AsyncWrite for Adapt<'_, W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

impl<W: Sink> connect::DownloadSink for Adapt<'_, W> {
    async fn restart(&mut self) -> std::io::Result<()> {
        self.0.restart().await
    }
}
