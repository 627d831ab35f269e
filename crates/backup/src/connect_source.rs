//! `connect::Session` as a [`Source`]: the client does HTTP, retries, refresh and the 429
//! pause; this adapter only maps calls and errors.

use std::pin::Pin;
use std::task::{Context, Poll};

use chrono::{DateTime, Utc};
use gcexport_connect as connect;
use serde_json::Value;
use tokio::io::AsyncWrite;

use crate::error::ErrorKind;
use crate::model::{Activity, ActivityId, Format};
use crate::source::{Sink, Source, SourceError, UnavailableReason};

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

/// The one translation from the client's errors into the engine's: what the sign-in could
/// not do is a sign-in to redo; what Garmin failed or garbled is the server's; and whether
/// retrying helps is the client's own judgement, carried along.
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
            | K::Config => ErrorKind::SignIn,
            K::RateLimited => ErrorKind::RateLimited,
            K::Network | K::Timeout => ErrorKind::Network,
            K::Forbidden => ErrorKind::Forbidden,
            K::Unexpected | K::BadBody => ErrorKind::Server,
            K::Io => ErrorKind::Io,
        };
        SourceError {
            kind,
            retryable: e.is_retryable(),
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
                ErrorKind::Gone,
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
                    SourceError::new(ErrorKind::Server, "the profile carries no profileId")
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
                ErrorKind::Io,
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
            return Err(SourceError {
                retryable: status >= 500,
                ..SourceError::new(
                    ErrorKind::Server,
                    format!("Garmin answered {status} for the activity type labels"),
                )
            });
        }
        // A few kilobytes in practice: anything much larger is not that file.
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| SourceError::new(ErrorKind::Network, e.to_string()))?
        {
            if body.len() + chunk.len() > MAX_LABELS_BYTES {
                return Err(SourceError::new(
                    ErrorKind::Server,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn translated(e: connect::Error) -> (ErrorKind, bool) {
        let s = SourceError::from(e);
        (s.kind, s.retryable)
    }

    #[test]
    fn client_errors_arrive_in_the_engines_terms_with_the_clients_word_on_retrying() {
        let network = connect::Error::Network {
            message: "could not connect".into(),
        };
        assert_eq!(translated(network), (ErrorKind::Network, true));
        let expired = connect::Error::TokensExpired {
            reason: "refresh refused".into(),
        };
        assert_eq!(translated(expired), (ErrorKind::SignIn, false));
        let refused = connect::Error::Forbidden {
            status: 403,
            excerpt: String::new(),
        };
        assert_eq!(translated(refused), (ErrorKind::Forbidden, false));
        // Garmin's 5xx and a body cut short are worth asking again; a 4xx it did not
        // explain, or a whole body that is not what was asked, are not.
        let failed = |status| connect::Error::Unexpected {
            status,
            excerpt: String::new(),
        };
        assert_eq!(translated(failed(502)), (ErrorKind::Server, true));
        assert_eq!(translated(failed(400)), (ErrorKind::Server, false));
        let body = |truncated| connect::Error::BadBody {
            expected: "fit",
            reason: "not a ZIP".into(),
            truncated,
        };
        assert_eq!(translated(body(true)), (ErrorKind::Server, true));
        assert_eq!(translated(body(false)), (ErrorKind::Server, false));
        let e = crate::Error::from(SourceError::from(failed(503)));
        assert!(e.is_retryable() && e.kind() == ErrorKind::Server && !e.stops_run());
    }
}
