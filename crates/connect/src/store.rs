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
    /// A file whose lock serialises refreshes across processes sharing this store (the
    /// app and the CLI share the keyring entry). `None`: the store lives in one process.
    fn lock_path(&self) -> Option<PathBuf> {
        None
    }
}

/// Holds the cross-process refresh lock of a store until dropped.
pub(crate) struct StoreLock {
    _file: Option<std::fs::File>,
}

/// Takes the store's cross-process lock (blocking until the other holder releases it). A
/// lock that cannot be taken (read-only folder) is logged and the refresh goes on: it is
/// no worse than before locks existed.
pub(crate) fn lock_store(store: &dyn TokenStore) -> StoreLock {
    let Some(path) = store.lock_path() else {
        return StoreLock { _file: None };
    };
    let opened = (|| {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let file = options.open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })();
    match opened {
        Ok(file) => StoreLock { _file: Some(file) },
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "the refresh lock could not be taken");
            StoreLock { _file: None }
        }
    }
}

/// The folder this client keeps its small shared files in (the sign-in cool-down, refresh
/// locks): `GCEXPORT_CONFIG_DIR` if set (the app honours it too), else the platform's
/// configuration folder (`$XDG_CONFIG_HOME` or `~/.config` on Linux, Application Support
/// on macOS, `%APPDATA%` on Windows, which needs no `HOME`) + `garmin-connect-export`.
/// The desktop app and the CLI both use it, so they share one cool-down.
pub fn shared_config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("GCEXPORT_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    dirs::config_dir().map(|d| d.join("garmin-connect-export"))
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

    fn lock_path(&self) -> Option<PathBuf> {
        let mut name = self.path.file_name()?.to_os_string();
        name.push(".lock");
        Some(self.path.with_file_name(name))
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
    // A new file every time, created exclusively: an existing file or link planted at the
    // name (another user in a shared folder, a stale leftover) is never opened, so nothing
    // is written through a link and no older, wider permissions are inherited.
    let (tmp, mut file) = {
        let mut attempt = 0u32;
        loop {
            let tmp = dir.join(format!(
                ".{name}.{}.{:016x}.tmp",
                std::process::id(),
                (crate::http::random_unit() * (1u64 << 53) as f64) as u64
            ));
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                options.mode(0o600);
            }
            match options.open(&tmp) {
                Ok(file) => break (tmp, file),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 16 => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    };
    let result = (|| {
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
///
/// # Layout
/// Windows Credential Manager refuses a secret over 2,560 bytes, and stores a password as
/// UTF-16: 1,280 characters. A real DI token set (an RS256 JWT of 1-1.5 KB plus the refresh
/// token) is longer, so the compact JSON is split over entries of at most
/// [`ENTRY_UTF16_UNITS`] UTF-16 units each. The main entry (`user`) holds a header and the
/// first part; the others are named `user#<generation>.<i>`. A save writes the new
/// generation's parts first and the main entry last, so the main entry switches from one
/// complete set to the other and a crash in between leaves the old set whole; the old
/// parts are removed afterwards. A main entry holding a JSON object is the single-entry
/// format of earlier versions, still read.
pub struct KeyringStore {
    store: std::sync::Arc<keyring_core::CredentialStore>,
    service: String,
    user: String,
}

/// The most UTF-16 code units one keyring entry holds: Windows' 2,560 bytes.
pub const ENTRY_UTF16_UNITS: usize = 2560 / 2;
const HEADER_TAG: &str = "gcx2";

impl KeyringStore {
    /// `service` names the app (e.g. `"garmin-connect-export"`), `user` the account.
    pub fn new(service: &str, user: &str) -> Result<Self> {
        Ok(Self::with_store(os_store()?, service, user))
    }

    /// The keyring entry for tokens issued by `profile`'s servers: `user` for Garmin's
    /// own (the name earlier versions used, so their users stay signed in), `user@origin`
    /// for any other, so tokens are only ever sent back to the server that issued them.
    pub fn for_profile(
        service: &str,
        user: &str,
        profile: &crate::profile::EndpointProfile,
    ) -> Result<Self> {
        Self::new(service, &profile.token_key(user))
    }

    /// The same layout over any credential store (tests use one with Windows' limits).
    pub fn with_store(
        store: std::sync::Arc<keyring_core::CredentialStore>,
        service: &str,
        user: &str,
    ) -> Self {
        KeyringStore {
            store,
            service: service.to_owned(),
            user: user.to_owned(),
        }
    }

    fn entry(&self, user: &str) -> Result<keyring_core::Entry> {
        self.store
            .build(&self.service, user, None)
            .map_err(keyring_error)
    }

    fn part_name(&self, generation: u64, index: usize) -> String {
        format!("{}#{generation}.{index}", self.user)
    }

    fn get(&self, user: &str) -> Result<Option<String>> {
        match self.entry(user)?.get_password() {
            Ok(text) => Ok(Some(text)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_error(e)),
        }
    }

    fn delete(&self, user: &str) -> Result<()> {
        match self.entry(user)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(e)),
        }
    }

    /// The main entry's header, if it is in the split layout.
    fn header(&self) -> Option<Header> {
        self.get(&self.user)
            .ok()
            .flatten()
            .and_then(|t| Header::parse(&t).map(|(h, _)| h))
    }
}

/// `gcx2 <generation> <parts> <utf-16 length> <fnv-1a 64 of the payload>\n` + first part.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Header {
    generation: u64,
    parts: usize,
    length: usize,
    check: u64,
}

impl Header {
    fn render(&self) -> String {
        format!(
            "{HEADER_TAG} {} {} {} {:016x}\n",
            self.generation, self.parts, self.length, self.check
        )
    }

    fn parse(text: &str) -> Option<(Header, &str)> {
        let (line, rest) = text.split_once('\n')?;
        let mut words = line.split(' ');
        if words.next()? != HEADER_TAG {
            return None;
        }
        let header = Header {
            generation: words.next()?.parse().ok()?,
            parts: words.next()?.parse().ok()?,
            length: words.next()?.parse().ok()?,
            check: u64::from_str_radix(words.next()?, 16).ok()?,
        };
        (header.parts >= 1 && header.parts <= 64).then_some((header, rest))
    }
}

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Splits `text` into pieces of at most `first` UTF-16 units, then `rest` each, on
/// character boundaries.
fn split_utf16(text: &str, first: usize, rest: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut units = 0;
    let mut limit = first;
    for (i, c) in text.char_indices() {
        if units + c.len_utf16() > limit {
            parts.push(&text[start..i]);
            start = i;
            units = 0;
            limit = rest;
        }
        units += c.len_utf16();
    }
    parts.push(&text[start..]);
    parts
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
        let Some(main) = self.get(&self.user)? else {
            return Ok(None);
        };
        if main.trim_start().starts_with('{') {
            return serde_json::from_str(&main)
                .map(Some)
                .map_err(|e| Error::Storage(format!("keyring entry is not a token set: {e}")));
        }
        let (header, first) = Header::parse(&main)
            .ok_or_else(|| Error::Storage("keyring entry is not a token set".into()))?;
        let mut payload = first.to_owned();
        for i in 1..header.parts {
            let part = self
                .get(&self.part_name(header.generation, i))?
                .ok_or_else(|| {
                    Error::Storage(format!(
                        "keyring entry part {i} of {} is missing",
                        header.parts
                    ))
                })?;
            payload.push_str(&part);
        }
        if payload.encode_utf16().count() != header.length || fnv1a(&payload) != header.check {
            return Err(Error::Storage(
                "keyring entry parts do not fit together".into(),
            ));
        }
        serde_json::from_str(&payload)
            .map(Some)
            .map_err(|e| Error::Storage(format!("keyring entry is not a token set: {e}")))
    }

    fn save(&self, tokens: &Tokens) -> Result<()> {
        let payload = serde_json::to_string(tokens).map_err(|e| Error::Storage(e.to_string()))?;
        let old = self.header();
        let generation = old.map_or(1, |h| h.generation.wrapping_add(1));
        let mut header = Header {
            generation,
            parts: 1,
            length: payload.encode_utf16().count(),
            check: fnv1a(&payload),
        };
        // The header's width depends on the part count, which depends on the room the
        // header leaves: size it for the widest count first.
        header.parts = 64;
        let room = ENTRY_UTF16_UNITS - header.render().encode_utf16().count();
        let parts = split_utf16(&payload, room, ENTRY_UTF16_UNITS);
        if parts.len() > 64 {
            return Err(Error::Storage(
                "the tokens are too long for the keyring".into(),
            ));
        }
        header.parts = parts.len();
        let written: Vec<String> = (1..parts.len())
            .map(|i| self.part_name(generation, i))
            .collect();
        for (name, part) in written.iter().zip(&parts[1..]) {
            if let Err(e) = self.entry(name)?.set_password(part) {
                for name in &written {
                    let _ = self.delete(name);
                }
                return Err(keyring_error(e));
            }
        }
        // The keyring daemon replaces an item's secret in one transaction: this switches
        // from the old set to the new one.
        let main = format!("{}{}", header.render(), parts[0]);
        if let Err(e) = self.entry(&self.user)?.set_password(&main) {
            for name in &written {
                let _ = self.delete(name);
            }
            return Err(keyring_error(e));
        }
        if let Some(old) = old {
            for i in 1..old.parts {
                if let Err(e) = self.delete(&self.part_name(old.generation, i)) {
                    tracing::debug!(error = %e, "an old keyring part was left behind");
                }
            }
        }
        Ok(())
    }

    fn clear(&self) -> Result<()> {
        let old = self.header();
        self.delete(&self.user)?;
        if let Some(old) = old {
            for i in 1..old.parts {
                self.delete(&self.part_name(old.generation, i))?;
            }
        }
        Ok(())
    }

    fn lock_path(&self) -> Option<PathBuf> {
        let safe: String = format!("{}-{}", self.service, self.user)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Some(shared_config_dir()?.join(format!("{safe}.lock")))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

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

    /// A credential store with Windows Credential Manager's limit: a password is stored
    /// as UTF-16 and refused over 2,560 bytes (`CRED_MAX_CREDENTIAL_BLOB_SIZE`), as the
    /// Windows keyring store does. It can also fail the n-th write, as a crash would.
    #[derive(Default)]
    struct WindowsLimits {
        entries: Arc<Mutex<std::collections::BTreeMap<String, String>>>,
        largest: Arc<Mutex<usize>>,
        fail_write: Arc<Mutex<Option<usize>>>,
    }

    struct LimitedEntry {
        name: String,
        store: WindowsLimits,
    }

    impl Clone for WindowsLimits {
        fn clone(&self) -> Self {
            WindowsLimits {
                entries: self.entries.clone(),
                largest: self.largest.clone(),
                fail_write: self.fail_write.clone(),
            }
        }
    }

    impl keyring_core::api::CredentialApi for LimitedEntry {
        fn set_password(&self, password: &str) -> keyring_core::Result<()> {
            let bytes = password.encode_utf16().count() * 2;
            if bytes > 2560 {
                return Err(keyring_core::Error::TooLong("password".into(), 2560));
            }
            if let Some(n) = self.store.fail_write.lock().unwrap().as_mut() {
                if *n == 0 {
                    return Err(keyring_core::Error::NoStorageAccess("crash".into()));
                }
                *n -= 1;
            }
            let mut largest = self.store.largest.lock().unwrap();
            *largest = (*largest).max(bytes);
            self.store
                .entries
                .lock()
                .unwrap()
                .insert(self.name.clone(), password.to_owned());
            Ok(())
        }
        fn set_secret(&self, secret: &[u8]) -> keyring_core::Result<()> {
            self.set_password(std::str::from_utf8(secret).unwrap())
        }
        fn get_secret(&self) -> keyring_core::Result<Vec<u8>> {
            self.store
                .entries
                .lock()
                .unwrap()
                .get(&self.name)
                .map(|s| s.as_bytes().to_vec())
                .ok_or(keyring_core::Error::NoEntry)
        }
        fn delete_credential(&self) -> keyring_core::Result<()> {
            self.store
                .entries
                .lock()
                .unwrap()
                .remove(&self.name)
                .map(|_| ())
                .ok_or(keyring_core::Error::NoEntry)
        }
        fn get_credential(&self) -> keyring_core::Result<Option<Arc<keyring_core::Credential>>> {
            Ok(None)
        }
        fn get_specifiers(&self) -> Option<(String, String)> {
            None
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    impl keyring_core::api::CredentialStoreApi for WindowsLimits {
        fn vendor(&self) -> String {
            "test: Windows Credential Manager limits".into()
        }
        fn id(&self) -> String {
            "windows-limits".into()
        }
        fn build(
            &self,
            service: &str,
            user: &str,
            _: Option<&std::collections::HashMap<&str, &str>>,
        ) -> keyring_core::Result<keyring_core::Entry> {
            Ok(keyring_core::Entry::new_with_credential(Arc::new(
                LimitedEntry {
                    name: format!("{user}.{service}"),
                    store: self.clone(),
                },
            )))
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    /// A base64url JWT signed RS256 as Garmin's DI tokens are: header with a key id, the
    /// claims Garmin puts in (scopes, issuer, ids, fingerprint) and a 2048-bit signature.
    fn real_shaped_jwt(claims: &serde_json::Value) -> String {
        use base64::Engine as _;
        let enc = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "di-oauth-signer-prod-2025-q2"});
        let signature: Vec<u8> = (0..256u32).map(|i| (i * 37 % 251) as u8).collect();
        format!(
            "{}.{}.{}",
            enc(header.to_string().as_bytes()),
            enc(claims.to_string().as_bytes()),
            enc(&signature)
        )
    }

    fn real_shaped_tokens() -> Tokens {
        let now = crate::tokens::now_unix();
        let scopes = [
            "ATP_READ",
            "ATP_WRITE",
            "COMMUNITY_COURSE_ADMIN",
            "COMMUNITY_COURSE_READ",
            "COMMUNITY_COURSE_WRITE",
            "CONNECT_READ",
            "CONNECT_WRITE",
            "DI_OAUTH_2_AUTHORIZATION_CODE_CREATE",
            "DT_CLIENT_ANALYTICS_WRITE",
            "GARMINPAY_READ",
            "GARMINPAY_WRITE",
            "GCOFFER_READ",
            "GCOFFER_WRITE",
            "GHS_SAMD",
            "GHS_UPLOAD",
            "GOLF_API_READ",
            "GOLF_API_WRITE",
            "INSIGHTS_READ",
            "INSIGHTS_WRITE",
            "OMT_CAMPAIGN_READ",
            "OMT_SUBSCRIPTION_READ",
            "PRODUCT_SEARCH_READ",
        ];
        let access = real_shaped_jwt(&serde_json::json!({
            "scope": scopes,
            "iss": "https://diauth.garmin.com",
            "revocation_eligibility": ["GLOBAL_SIGNOUT", "MANAGED_STATUS"],
            "client_type": "UNDEFINED",
            "exp": now + 86_399,
            "iat": now,
            "garmin_guid": "3f5e6d2a-9b1c-4e7f-8a2d-6c4b1e9f0a37",
            "jti": "b7a1c9d4-2e6f-4a8b-9c3d-5e7f1a2b4c6d",
            "client_id": "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2",
            "fgp": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        }));
        let refresh = real_shaped_jwt(&serde_json::json!({
            "refreshTokenValue": "8e0f1c2d-3b4a-5968-7a6b-5c4d3e2f1a0b",
            "garminGuid": "3f5e6d2a-9b1c-4e7f-8a2d-6c4b1e9f0a37",
            "iat": now,
            "exp": now + 2_591_999,
        }));
        Tokens {
            access_token: Secret::new(access),
            refresh_token: Secret::new(refresh),
            client_id: "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2".into(),
            issued_at: now,
            expires_at: now + 86_399,
            refresh_expires_at: Some(now + 2_591_999),
            customer_id: Some("3f5e6d2a-9b1c-4e7f-8a2d-6c4b1e9f0a37".into()),
            expires_at_ms: Some((now + 86_399) * 1000 + 417),
        }
    }

    /// Issue 13 item 1. Before: the whole pretty-printed token set went into one entry,
    /// which Windows refuses (the app then kept the sign-in in memory only).
    #[test]
    fn keyring_layout_fits_windows_credential_manager() {
        let tokens = real_shaped_tokens();
        let compact = serde_json::to_string(&tokens).unwrap();
        assert!(
            compact.len() >= 1800,
            "the test token is at least as big as real ones: {} bytes",
            compact.len()
        );
        // The single-entry layout of earlier versions cannot fit.
        assert!(tokens.to_json().unwrap().encode_utf16().count() * 2 > 2560);

        let limits = WindowsLimits::default();
        let store = KeyringStore::with_store(Arc::new(limits.clone()), "svc", "user");
        assert_eq!(store.load().unwrap(), None);
        store.save(&tokens).unwrap();
        assert_eq!(store.load().unwrap(), Some(tokens.clone()));
        assert!(*limits.largest.lock().unwrap() <= 2560);
        assert!(
            limits.entries.lock().unwrap().len() >= 2,
            "split over entries"
        );

        // A token twice as long still fits; a second save leaves no stale parts.
        let mut long = tokens.clone();
        long.access_token = Secret::new(long.access_token.expose().repeat(3));
        store.save(&long).unwrap();
        assert_eq!(store.load().unwrap(), Some(long.clone()));
        store.save(&tokens).unwrap();
        let names: Vec<String> = limits.entries.lock().unwrap().keys().cloned().collect();
        let parts = store.header().unwrap().parts;
        assert_eq!(names.len(), parts, "{names:?}");
        store.clear().unwrap();
        assert!(limits.entries.lock().unwrap().is_empty());
        assert_eq!(store.load().unwrap(), None);
    }

    /// An entry saved by an earlier version (one pretty-printed JSON) still loads, and the
    /// next save converts it.
    #[test]
    fn keyring_reads_the_old_single_entry_layout() {
        let limits = WindowsLimits::default();
        let old = sample("old-refresh");
        limits.entries.lock().unwrap().insert(
            "garmin-connect.garmin-connect-export".into(),
            old.to_json().unwrap(),
        );
        let store = KeyringStore::with_store(
            Arc::new(limits.clone()),
            "garmin-connect-export",
            "garmin-connect",
        );
        assert_eq!(store.load().unwrap(), Some(old));
        let new = real_shaped_tokens();
        store.save(&new).unwrap();
        assert_eq!(store.load().unwrap(), Some(new));
    }

    /// A save that fails part-way (a crash, a refused write) leaves the previous set whole.
    #[test]
    fn keyring_save_switches_sets_at_one_write() {
        let tokens = real_shaped_tokens();
        let mut newer = tokens.clone();
        newer.refresh_token = Secret::new(format!("{}x", tokens.refresh_token.expose()));
        for fail_at in 0..3 {
            let limits = WindowsLimits::default();
            let store = KeyringStore::with_store(Arc::new(limits.clone()), "svc", "user");
            store.save(&tokens).unwrap();
            *limits.fail_write.lock().unwrap() = Some(fail_at);
            let saved = store.save(&newer);
            *limits.fail_write.lock().unwrap() = None;
            let loaded = store.load().unwrap().unwrap();
            if saved.is_ok() {
                assert_eq!(loaded, newer, "fail at {fail_at}");
            } else {
                assert_eq!(loaded, tokens, "fail at {fail_at}");
            }
        }
    }

    /// The temp file is created new: a link planted at any name it could take is never
    /// written through. Before: `.tokens.json.<pid>.tmp` was opened with truncate and
    /// followed links, so a planted link made the save overwrite its target.
    #[cfg(unix)]
    #[test]
    fn token_file_save_never_writes_through_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        let store = FileStore::new(dir.path().join("tokens.json"));
        let planted = dir
            .path()
            .join(format!(".tokens.json.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        store.save(&sample("r1")).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(store.load().unwrap(), Some(sample("r1")));
        assert!(
            std::fs::symlink_metadata(store.path())
                .unwrap()
                .file_type()
                .is_file()
        );
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
        // The largest real-shaped token set, split over entries (on Windows each entry
        // within Credential Manager's 2,560 bytes), through the real keyring.
        let big = real_shaped_tokens();
        store.save(&big).unwrap();
        assert_eq!(store.load().unwrap(), Some(big.clone()));
        let again = KeyringStore::new("gcexport-connect-tests", &user).unwrap();
        assert_eq!(again.load().unwrap(), Some(big));
        again.clear().unwrap();
        assert_eq!(store.load().unwrap(), None);
    }
}
