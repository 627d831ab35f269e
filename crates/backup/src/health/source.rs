//! Where health data comes from: Garmin Connect (through `connect::Session`, which owns
//! retries, refresh and the shared 429 pause), or anything a test brings.

use std::future::Future;

use gcexport_connect as connect;
pub use gcexport_connect::HealthCall;

use crate::source::SourceError;

pub trait HealthSource: Send + Sync {
    /// Whatever the source must learn before its first call (Garmin: who is signed in); a
    /// failure here stops the health part before any day is asked.
    fn ready(&self) -> impl Future<Output = Result<(), SourceError>> + Send {
        async { Ok(()) }
    }

    /// Until when the source waits out a 429 before its next request, if it does.
    fn paused_until(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        None
    }

    /// One call's answer as the source's own bytes (Garmin's JSON); `None` = no data.
    fn fetch(
        &self,
        call: &HealthCall,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, SourceError>> + Send;
}

/// Garmin Connect as a source of health data, for one signed-in user.
#[derive(Clone, Debug)]
pub struct ConnectHealth {
    session: connect::Session,
    /// The per-user calls name the user: asked once, when first needed.
    display_name: tokio::sync::OnceCell<String>,
}

impl ConnectHealth {
    /// Asks Garmin who is signed in (one request): the per-user calls name the user.
    pub async fn new(session: connect::Session) -> Result<ConnectHealth, SourceError> {
        let source = ConnectHealth::signed_in(session);
        source.ready().await?;
        Ok(source)
    }

    /// Asks nothing yet: who is signed in is asked by [`HealthSource::ready`], so a backup
    /// that skips its health part never makes that request.
    pub fn signed_in(session: connect::Session) -> ConnectHealth {
        ConnectHealth {
            session,
            display_name: tokio::sync::OnceCell::new(),
        }
    }

    /// When the display name is already known (saves the profile request).
    pub fn with_display_name(session: connect::Session, display_name: String) -> ConnectHealth {
        ConnectHealth {
            session,
            display_name: tokio::sync::OnceCell::new_with(Some(display_name)),
        }
    }

    async fn display_name(&self) -> Result<&str, SourceError> {
        self.display_name
            .get_or_try_init(|| async {
                let profile = self.session.profile().await?;
                profile.display_name.ok_or_else(|| {
                    SourceError::new(
                        crate::ErrorKind::BadData,
                        "Garmin's profile has no display name; health data cannot be asked for",
                    )
                })
            })
            .await
            .map(String::as_str)
    }
}

impl HealthSource for ConnectHealth {
    async fn ready(&self) -> Result<(), SourceError> {
        self.display_name().await.map(|_| ())
    }

    fn paused_until(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let left = self.session.paused_for()?;
        Some(chrono::Utc::now() + chrono::Duration::from_std(left).ok()?)
    }

    async fn fetch(&self, call: &HealthCall) -> Result<Option<Vec<u8>>, SourceError> {
        let name = self.display_name().await?;
        Ok(self.session.health(call, name).await?)
    }
}
