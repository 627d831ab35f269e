//! Where health data comes from: Garmin Connect (through `connect::Session`, which owns
//! retries, refresh and the shared 429 pause), or anything a test brings.

use std::future::Future;

use gcexport_connect as connect;
pub use gcexport_connect::HealthCall;

use crate::source::SourceError;

pub trait HealthSource: Send + Sync {
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
    display_name: String,
}

impl ConnectHealth {
    /// Asks Garmin who is signed in (one request): the per-user calls name the user.
    pub async fn new(session: connect::Session) -> Result<ConnectHealth, SourceError> {
        let profile = session.profile().await?;
        let display_name = profile.display_name.ok_or_else(|| {
            SourceError::new(
                crate::ErrorKind::BadData,
                "Garmin's profile has no display name; health data cannot be asked for",
            )
        })?;
        Ok(ConnectHealth {
            session,
            display_name,
        })
    }

    /// When the display name is already known (saves the profile request).
    pub fn with_display_name(session: connect::Session, display_name: String) -> ConnectHealth {
        ConnectHealth {
            session,
            display_name,
        }
    }
}

impl HealthSource for ConnectHealth {
    async fn fetch(&self, call: &HealthCall) -> Result<Option<Vec<u8>>, SourceError> {
        Ok(self.session.health(call, &self.display_name).await?)
    }
}
