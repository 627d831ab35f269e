//! The sign-in cool-down. Garmin locks accounts that sign in too often and its CDN answers
//! 429 to programs it suspects, so after a 429 at sign-in no sign-in is attempted for
//! 30 minutes (or `Retry-After`, if longer), across restarts of the process.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::write_atomic;

pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(30 * 60);

/// A cool-down persisted in a small JSON file whose path the caller chooses.
#[derive(Clone, Debug)]
pub struct Cooldown {
    path: PathBuf,
    minimum: Duration,
}

#[derive(Serialize, Deserialize)]
struct State {
    until: DateTime<Utc>,
    status: u16,
}

impl Cooldown {
    /// The one cool-down the desktop app and the CLI share: `login-cooldown.json` in
    /// `dir` if given (the app's `GCEXPORT_CONFIG_DIR`), else in
    /// [`crate::shared_config_dir`]. `None` only when the platform has no config folder.
    pub fn shared(dir: Option<&Path>) -> Option<Self> {
        let dir = match dir {
            Some(d) => d.to_path_buf(),
            None => crate::store::shared_config_dir()?,
        };
        Some(Self::new(dir.join("login-cooldown.json")))
    }

    pub fn new(path: impl Into<PathBuf>) -> Self {
        Cooldown {
            path: path.into(),
            minimum: DEFAULT_COOLDOWN,
        }
    }

    /// Overrides the 30-minute minimum (for tests).
    pub fn with_minimum(mut self, minimum: Duration) -> Self {
        self.minimum = minimum;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Option<State> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Time left before a sign-in may be attempted, if any.
    pub fn remaining(&self) -> Option<Duration> {
        let state = self.read()?;
        (state.until - Utc::now())
            .to_std()
            .ok()
            .filter(|d| !d.is_zero())
    }

    /// Until when sign-in is paused, if it is.
    pub fn until(&self) -> Option<DateTime<Utc>> {
        self.remaining()?;
        self.read().map(|s| s.until)
    }

    /// `Err(RateLimited)` while the cool-down runs.
    pub fn check(&self) -> Result<()> {
        match self.read() {
            Some(state) if state.until > Utc::now() => Err(Error::RateLimited {
                status: state.status,
                until: state.until,
            }),
            _ => Ok(()),
        }
    }

    /// Starts (or extends) the cool-down after a refusal; returns the matching error.
    pub fn record(&self, status: u16, retry_after: Option<Duration>) -> Error {
        let wait = retry_after.map_or(self.minimum, |r| r.max(self.minimum));
        let mut until =
            Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero());
        if let Some(existing) = self.read() {
            until = until.max(existing.until);
        }
        let state = State { until, status };
        match serde_json::to_vec(&state) {
            Ok(bytes) => {
                if let Err(e) = write_atomic(&self.path, &bytes) {
                    tracing::error!(path = %self.path.display(), error = %e, "could not persist the sign-in cool-down");
                }
            }
            Err(e) => tracing::error!(error = %e, "could not encode the sign-in cool-down"),
        }
        tracing::warn!(%until, status, "Garmin refused a sign-in: no sign-in before the cool-down ends");
        Error::RateLimited { status, until }
    }

    pub fn clear(&self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Storage(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlives_the_instance_and_takes_the_longer_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cooldown.json");
        let c = Cooldown::new(&path);
        assert!(c.check().is_ok());
        assert!(c.remaining().is_none());
        let err = c.record(429, Some(Duration::from_secs(5)));
        assert_eq!(err.kind(), crate::ErrorKind::RateLimited);
        let again = Cooldown::new(&path);
        let left = again.remaining().unwrap();
        assert!(
            left > Duration::from_secs(29 * 60) && left <= DEFAULT_COOLDOWN,
            "{left:?}"
        );
        assert!(again.check().is_err());
        again.record(429, Some(Duration::from_secs(3600)));
        assert!(Cooldown::new(&path).remaining().unwrap() > Duration::from_secs(59 * 60));
        again.clear().unwrap();
        assert!(again.check().is_ok());
    }

    #[test]
    fn ends() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cooldown::new(dir.path().join("c.json")).with_minimum(Duration::from_millis(1));
        c.record(429, None);
        std::thread::sleep(Duration::from_millis(50));
        assert!(c.check().is_ok());
        assert!(c.until().is_none());
    }
}
