//! Where tokens live between runs: the OS keyring (desktop), a 0600 file (CLI, when asked),
//! or memory (tests).
//!
//! Garmin's refresh token rotates at every refresh and the old one dies at once, so a store
//! must make a save durable before it returns: a crash after `save` returned keeps the new
//! tokens, a crash before it keeps the old file intact (never half of each).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::tokens::Tokens;

/// A place tokens are kept. Calls block (file system, keyring daemon); the session calls
/// them on a blocking thread.
pub trait TokenStore: Send + Sync {
    fn load(&self) -> Result<Option<Tokens>>;
    /// Durably replaces the saved tokens.
    fn save(&self, tokens: &Tokens) -> Result<()>;
    fn clear(&self) -> Result<()>;
}

/// Tokens in memory only. Also counts saves, which tests use.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<(Option<Tokens>, usize)>,
}

impl MemoryStore {
    pub fn new(tokens: Option<Tokens>) -> Self {
        MemoryStore {
            inner: Mutex::new((tokens, 0)),
        }
    }

    pub fn saves(&self) -> usize {
        self.inner.lock().map(|g| g.1).unwrap_or(0)
    }
}

impl TokenStore for MemoryStore {
    fn load(&self) -> Result<Option<Tokens>> {
        let guard = self.inner.lock().map_err(|_| poisoned())?;
        Ok(guard.0.clone())
    }

    fn save(&self, tokens: &Tokens) -> Result<()> {
        let mut guard = self.inner.lock().map_err(|_| poisoned())?;
        guard.0 = Some(tokens.clone());
        guard.1 += 1;
        Ok(())
    }

    fn clear(&self) -> Result<()> {
        let mut guard = self.inner.lock().map_err(|_| poisoned())?;
        guard.0 = None;
        Ok(())
    }
}

fn poisoned() -> Error {
    Error::Storage("memory store lock poisoned".into())
}

/// Tokens in a JSON file readable by its owner only (0600 on Unix).
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStore { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl TokenStore for FileStore {
    fn load(&self) -> Result<Option<Tokens>> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
                Error::Storage(format!("{} is not a token file: {e}", self.path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Storage(format!(
                "cannot read {}: {e}",
                self.path.display()
            ))),
        }
    }

    fn save(&self, tokens: &Tokens) -> Result<()> {
        write_atomic(&self.path, tokens.to_json()?.as_bytes())
            .map_err(|e| Error::Storage(format!("cannot write {}: {e}", self.path.display())))
    }

    fn clear(&self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Storage(format!(
                "cannot remove {}: {e}",
                self.path.display()
            ))),
        }
    }
}

/// Writes `bytes` to `path` so that a crash leaves either the old file or the new one:
/// a private temp file in the same folder, fsync, rename over, fsync of the folder.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("tokens");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        // The rename itself is durable only once the folder is synced (not possible on
        // Windows, where the rename is already journaled).
        #[cfg(unix)]
        std::fs::File::open(&dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Tokens in the OS keyring: Secret Service on Linux, the Keychain on macOS, the Credential
/// Manager on Windows. The store is chosen explicitly (no process-wide default store).
pub struct KeyringStore {
    entry: keyring_core::Entry,
}

impl KeyringStore {
    /// `service` names the app (e.g. `"garmin-connect-export"`), `user` the account.
    pub fn new(service: &str, user: &str) -> Result<Self> {
        let store = os_store()?;
        let entry = store.build(service, user, None).map_err(keyring_error)?;
        Ok(KeyringStore { entry })
    }
}

#[cfg(target_os = "linux")]
fn os_store() -> Result<std::sync::Arc<keyring_core::CredentialStore>> {
    let store = dbus_secret_service_keyring_store::Store::new().map_err(keyring_error)?;
    Ok(store)
}

#[cfg(target_os = "macos")]
fn os_store() -> Result<std::sync::Arc<keyring_core::CredentialStore>> {
    let store = apple_native_keyring_store::keychain::Store::new().map_err(keyring_error)?;
    Ok(store)
}

#[cfg(target_os = "windows")]
fn os_store() -> Result<std::sync::Arc<keyring_core::CredentialStore>> {
    let store = windows_native_keyring_store::Store::new().map_err(keyring_error)?;
    Ok(store)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn os_store() -> Result<std::sync::Arc<keyring_core::CredentialStore>> {
    Err(Error::Storage(
        "no OS keyring on this platform: use a token file".into(),
    ))
}

fn keyring_error(e: keyring_core::Error) -> Error {
    Error::Storage(format!("keyring: {e}"))
}

impl TokenStore for KeyringStore {
    fn load(&self) -> Result<Option<Tokens>> {
        match self.entry.get_password() {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Error::Storage(format!("keyring entry is not a token set: {e}"))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn save(&self, tokens: &Tokens) -> Result<()> {
        // The keyring daemon replaces an item's secret in one transaction.
        self.entry
            .set_password(&tokens.to_json()?)
            .map_err(keyring_error)
    }

    fn clear(&self) -> Result<()> {
        match self.entry.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn sample(rt: &str) -> Tokens {
        Tokens {
            access_token: Secret::new("a"),
            refresh_token: Secret::new(rt),
            client_id: "c".into(),
            issued_at: 1,
            expires_at: 2,
            refresh_expires_at: None,
            customer_id: None,
            expires_at_ms: None,
        }
    }

    fn round_trip(store: &dyn TokenStore) {
        assert_eq!(store.load().unwrap(), None);
        store.save(&sample("r1")).unwrap();
        store.save(&sample("r2")).unwrap();
        assert_eq!(store.load().unwrap(), Some(sample("r2")));
        store.clear().unwrap();
        assert_eq!(store.load().unwrap(), None);
        store.clear().unwrap();
    }

    #[test]
    fn memory_store_round_trip() {
        let store = MemoryStore::default();
        round_trip(&store);
        assert_eq!(store.saves(), 2);
    }

    #[test]
    fn file_store_round_trip_private_and_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("sub/tokens.json"));
        round_trip(&store);
        store.save(&sample("r3")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
        std::fs::write(store.path(), "garbage").unwrap();
        assert_eq!(store.load().unwrap_err().kind(), crate::ErrorKind::Storage);
    }

    /// Needs a Secret Service (see the crate README): `make test` runs it with
    /// `GCEXPORT_KEYRING_TESTS=1` inside `dbus-run-session` with gnome-keyring unlocked.
    #[test]
    fn keyring_store_round_trip() {
        if std::env::var_os("GCEXPORT_KEYRING_TESTS").is_none() {
            eprintln!(
                "SKIPPED keyring_store_round_trip: set GCEXPORT_KEYRING_TESTS=1 with a Secret Service running"
            );
            return;
        }
        let user = format!("test-{}", std::process::id());
        let store = KeyringStore::new("gcexport-connect-tests", &user).unwrap();
        round_trip(&store);
    }
}
