//! The shell's state and the small adapters the commands delegate to: which session is
//! signed in, which sign-in waits for a code, which backup runs, where things are kept.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use gcexport_backup::{
    self as backup, Archive, CancellationToken, ConnectSource, RunOptions, folder,
};
use gcexport_connect::{
    ActivitySummary, Cooldown, EndpointProfile, ErrorKind, FileStore, KeyringStore, ListQuery,
    LoginOutcome, MemoryStore, Secret, Session, SessionConfig, SignIn, TokenStore,
};

use crate::backup_run::{self, ChannelProgress, ExportFindings, status};
use crate::prefs::{BROWSABLE_TEMPLATE, PreferencesFile, write_replacing};
use crate::wire::{
    Account, ActivityRow, AppError, AppInfo, BackupEvent, BackupRequest, BackupScope, CodeChannel,
    ImportRequest, ListDone, ListEvent, PasswordSignIn, Preferences, SessionStatus,
    SignedOutReason, Summary,
};
use crate::{Options, TokenStoreChoice};

/// The keyring entry, shared with the CLI so one sign-in serves both.
const KEYRING_SERVICE: &str = "garmin-connect-export";
const KEYRING_USER: &str = "garmin-connect";
/// Demo tokens belong to a simulator that dies with the app: never over a real sign-in.
const KEYRING_USER_DEMO: &str = "garmin-connect-demo";
const ACCOUNT_FILE: &str = "account.json";
const PAGE_SIZE: usize = 100;

#[derive(Clone)]
struct SignedIn {
    session: Session,
    account: Account,
}

struct PendingCode {
    signin: SignIn,
    remember: bool,
}

pub struct Shell {
    profile: EndpointProfile,
    demo: bool,
    // Kept alive for the app's lifetime: the demo account's Garmin.
    _sim: Option<gcexport_sim::Sim>,
    config_dir: PathBuf,
    /// The sign-in cool-down, shared with the CLI.
    cooldown: Option<Cooldown>,
    prefs: PreferencesFile,
    /// Where a remembered sign-in lives (the OS keyring unless told otherwise).
    saved: Arc<dyn TokenStore>,
    session: Mutex<Option<SignedIn>>,
    pending: Mutex<Option<PendingCode>>,
    backup: Arc<Mutex<Option<CancellationToken>>>,
    /// One `Archive` per folder, shared by a listing and a backup: the archive locks its
    /// folder, and both want it at once when the page lists while a backup starts.
    archives: Mutex<HashMap<PathBuf, Weak<Archive>>>,
    /// What the folder picker answered this run: only those may be on another computer.
    picked: Mutex<HashSet<String>>,
}

impl Shell {
    pub fn start(options: &Options, config_dir: PathBuf) -> Result<Shell, String> {
        let (profile, sim) = if options.demo {
            let sim = gcexport_sim::start(gcexport_sim::SimConfig {
                port: options.demo_port.unwrap_or(0),
                ..gcexport_sim::SimConfig::demo()
            })
            .map_err(|e| format!("the demo simulator could not start: {e}"))?;
            tracing::info!(
                url = sim.base_url(),
                "demo mode: a simulated Garmin Connect"
            );
            (EndpointProfile::server(sim.base_url()), Some(sim))
        } else if let Some(url) = &options.server_url {
            (EndpointProfile::server(url), None)
        } else {
            let profile = EndpointProfile::load().map_err(|e| e.to_string())?;
            (profile, None)
        };
        let saved: Arc<dyn TokenStore> = match &options.token_store {
            TokenStoreChoice::Memory => Arc::new(MemoryStore::new(None)),
            TokenStoreChoice::File(path) => Arc::new(FileStore::new(path)),
            TokenStoreChoice::Keyring => {
                let user = if options.demo {
                    KEYRING_USER_DEMO
                } else {
                    KEYRING_USER
                };
                match KeyringStore::for_profile(KEYRING_SERVICE, user, &profile) {
                    Ok(store) => Arc::new(store),
                    Err(e) => {
                        tracing::warn!(error = %e, "no OS keyring: sign-ins will not be remembered");
                        Arc::new(MemoryStore::new(None))
                    }
                }
            }
        };
        Ok(Shell {
            // The demo's simulator never shares a cool-down with the real Garmin's.
            cooldown: if options.demo {
                Cooldown::shared(Some(&config_dir))
            } else {
                Cooldown::shared(options.config_dir.as_deref())
            },
            profile,
            demo: options.demo,
            _sim: sim,
            prefs: PreferencesFile::new(&config_dir),
            config_dir,
            saved,
            session: Mutex::new(None),
            pending: Mutex::new(None),
            backup: Arc::new(Mutex::new(None)),
            archives: Mutex::new(HashMap::new()),
            picked: Mutex::new(HashSet::new()),
        })
    }

    pub fn app_info(&self) -> AppInfo {
        AppInfo {
            name: "Garmin Connect Export".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            demo: self.demo,
        }
    }

    fn signed_in(&self) -> Option<SignedIn> {
        self.session.lock().ok().and_then(|s| s.clone())
    }

    /// Signed in now (the daily backup waits for this after a sign-in expired).
    pub(crate) fn has_session(&self) -> bool {
        self.signed_in().is_some()
    }

    fn session(&self) -> Result<Session, AppError> {
        self.signed_in()
            .map(|s| s.session)
            .ok_or_else(AppError::not_signed_in)
    }

    fn set_session(&self, signed: Option<SignedIn>) {
        if let Ok(mut slot) = self.session.lock() {
            *slot = signed;
        }
    }

    fn cached_account(&self) -> Option<Account> {
        let text = std::fs::read_to_string(self.config_dir.join(ACCOUNT_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn cache_account(&self, account: Option<&Account>) {
        let path = self.config_dir.join(ACCOUNT_FILE);
        let result = match account.map(serde_json::to_vec).transpose() {
            Ok(Some(bytes)) => write_replacing(&path, &bytes),
            Ok(None) => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
            Err(e) => Err(std::io::Error::other(e)),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "the account name could not be cached");
        }
    }

    async fn forget_saved(&self) {
        let saved = self.saved.clone();
        match tokio::task::spawn_blocking(move || saved.clear()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the saved sign-in could not be removed"),
            Err(e) => tracing::warn!(error = %e, "the token store task failed"),
        }
        self.cache_account(None);
    }

    /// Forgets a sign-in found expired, unless the CLI or another window saved newer
    /// tokens meanwhile (connect checks under the store's lock).
    async fn forget_expired(&self, session: &Session) {
        match session.forget_if_unchanged().await {
            Ok(true) => self.cache_account(None),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "the saved sign-in could not be removed"),
        }
    }

    pub async fn session_status(&self) -> Result<SessionStatus, AppError> {
        if let Some(s) = self.signed_in() {
            return Ok(SessionStatus::SignedIn { account: s.account });
        }
        let saved = self.saved.clone();
        let has_saved = tokio::task::spawn_blocking(move || saved.load())
            .await
            .map_err(|e| AppError::unexpected(format!("token store task: {e}")))?
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the saved sign-in could not be read");
                None
            })
            .is_some();
        if !has_saved {
            return Ok(SessionStatus::SignedOut { reason: None });
        }
        let expired = Ok(SessionStatus::SignedOut {
            reason: Some(SignedOutReason::TokensExpired),
        });
        let session = match Session::resume(
            self.profile.clone(),
            self.saved.clone(),
            SessionConfig::default(),
        )
        .await
        {
            Ok(s) => s,
            Err(e) if e.kind() == ErrorKind::TokensExpired => {
                self.forget_saved().await;
                return expired;
            }
            Err(e) => return Err(e.into()),
        };
        let account = match session.profile().await {
            Ok(p) => Account::from(p),
            Err(e) if e.kind() == ErrorKind::TokensExpired => {
                self.forget_expired(&session).await;
                return expired;
            }
            // Offline with a saved sign-in: still signed in; the list will say it is offline.
            Err(e) if matches!(e.kind(), ErrorKind::Network | ErrorKind::Timeout) => {
                match self.cached_account() {
                    Some(a) => a,
                    None => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        };
        self.cache_account(Some(&account));
        self.set_session(Some(SignedIn {
            session,
            account: account.clone(),
        }));
        Ok(SessionStatus::SignedIn { account })
    }

    /// Tokens in hand, from any sign-in path: start the session and say who signed in.
    async fn finish_sign_in(
        &self,
        tokens: gcexport_connect::Tokens,
        remember: bool,
    ) -> Result<Account, AppError> {
        let store: Arc<dyn TokenStore> = if remember {
            self.saved.clone()
        } else {
            // "Do not remember" must also mean an older remembered sign-in is gone.
            self.forget_saved().await;
            Arc::new(MemoryStore::new(None))
        };
        let config = SessionConfig::default();
        let session =
            match Session::start(self.profile.clone(), tokens.clone(), store, config.clone()).await
            {
                Ok(s) => s,
                // Signed in, but the keyring refused the tokens: use them now, ask next time.
                Err(e) if e.kind() == ErrorKind::Storage => {
                    tracing::warn!(error = %e, "the sign-in cannot be remembered");
                    Session::start(
                        self.profile.clone(),
                        tokens,
                        Arc::new(MemoryStore::new(None)),
                        config,
                    )
                    .await?
                }
                Err(e) => return Err(e.into()),
            };
        let account = Account::from(session.profile().await?);
        if remember {
            self.cache_account(Some(&account));
        }
        self.set_session(Some(SignedIn {
            session,
            account: account.clone(),
        }));
        Ok(account)
    }

    fn sign_in(&self) -> Result<SignIn, AppError> {
        let signin = SignIn::new(self.profile.clone())?;
        Ok(match &self.cooldown {
            Some(c) => signin.with_cooldown(c.clone()),
            None => signin,
        })
    }

    pub async fn sign_in_with_password(
        &self,
        email: String,
        password: String,
        remember: bool,
    ) -> Result<PasswordSignIn, AppError> {
        let password = Secret::new(password);
        let mut signin = self.sign_in()?;
        if let Ok(mut pending) = self.pending.lock() {
            *pending = None;
        }
        match signin.login(email.trim(), &password).await? {
            LoginOutcome::SignedIn(tokens) => Ok(PasswordSignIn::SignedIn {
                account: self.finish_sign_in(tokens, remember).await?,
            }),
            LoginOutcome::NeedsCode { method, sent_to } => {
                if let Ok(mut pending) = self.pending.lock() {
                    *pending = Some(PendingCode { signin, remember });
                }
                Ok(PasswordSignIn::NeedsCode {
                    channel: CodeChannel::from_method(&method),
                    sent_to,
                })
            }
        }
    }

    pub async fn submit_code(&self, code: String) -> Result<Account, AppError> {
        let pending = self.pending.lock().ok().and_then(|mut p| p.take());
        let Some(PendingCode {
            mut signin,
            remember,
        }) = pending
        else {
            return Err(gcexport_connect::Error::NoPendingCode.into());
        };
        match signin.submit_code(&Secret::new(code)).await {
            Ok(tokens) => self.finish_sign_in(tokens, remember).await,
            Err(e) => {
                // A wrong code may be typed again in the same sign-in.
                if signin.pending_code_method().is_some()
                    && let Ok(mut p) = self.pending.lock()
                {
                    *p = Some(PendingCode { signin, remember });
                }
                Err(e.into())
            }
        }
    }

    /// The mobile sign-in page (its ticket is for the service the client exchanges), and
    /// that service.
    pub fn garmin_page(&self) -> (String, String) {
        (
            self.profile.sign_in_page(),
            self.profile.login_service_url.clone(),
        )
    }

    pub async fn exchange_ticket(
        &self,
        ticket: Secret,
        service_url: &str,
    ) -> Result<Account, AppError> {
        let tokens = self
            .sign_in()?
            .exchange_ticket(&ticket, service_url)
            .await?;
        // Garmin's page has its own "remember me"; the app keeps what the page granted.
        self.finish_sign_in(tokens, true).await
    }

    pub async fn sign_out(&self) -> Result<(), AppError> {
        if let Some(token) = self.backup.lock().ok().and_then(|b| b.clone()) {
            token.cancel();
        }
        if let Ok(mut p) = self.pending.lock() {
            *p = None;
        }
        let signed = self.session.lock().ok().and_then(|mut s| s.take());
        if let Some(s) = signed
            && let Err(e) = s.session.sign_out().await
        {
            tracing::warn!(error = %e, "signing out left tokens behind");
        }
        self.forget_saved().await;
        Ok(())
    }

    fn archive(&self, folder: &Path) -> Result<Arc<Archive>, AppError> {
        let mut archives = self
            .archives
            .lock()
            .map_err(|_| AppError::unexpected("the folder table was poisoned"))?;
        if let Some(a) = archives.get(folder).and_then(Weak::upgrade) {
            return Ok(a);
        }
        archives.retain(|_, a| a.strong_count() > 0);
        let archive = Arc::new(Archive::open(folder)?);
        archives.insert(folder.to_path_buf(), Arc::downgrade(&archive));
        Ok(archive)
    }

    pub async fn list_activities(
        &self,
        folder: Option<String>,
        send: impl Fn(ListEvent),
    ) -> Result<ListDone, AppError> {
        let listed = self.list_pages(folder, send).await;
        if let Err(AppError::TokensExpired { .. }) = &listed {
            // The page goes back to sign-in; the shell must not claim a session it lost.
            let lost = self.signed_in();
            self.set_session(None);
            match lost {
                Some(s) => self.forget_expired(&s.session).await,
                None => self.forget_saved().await,
            }
        }
        listed
    }

    async fn list_pages(
        &self,
        folder: Option<String>,
        send: impl Fn(ListEvent),
    ) -> Result<ListDone, AppError> {
        let session = self.session()?;
        let formats = self.prefs.read().formats;
        // Statuses come from an existing backup only: listing never creates a folder.
        let archive = folder
            .and_then(|f| self.destination(&f).ok())
            .filter(|f| f.join(backup::STATE_FILE).is_file())
            .and_then(|f| match self.archive(&f) {
                Ok(a) => Some(a),
                Err(e) => {
                    tracing::warn!(error = %e, "the folder's state cannot be read");
                    None
                }
            });
        let query = ListQuery {
            page_size: PAGE_SIZE,
            ..ListQuery::default()
        };
        let (total, first) =
            tokio::join!(session.activity_count(), session.activities_page(&query, 0));
        let total = total.ok();
        let mut page = first?;
        let mut listed = 0u64;
        let mut start = 0usize;
        loop {
            let n = page.len();
            let activities: Vec<ActivityRow> = page
                .into_iter()
                .filter_map(|a| row(a, archive.as_deref(), &formats))
                .collect();
            listed += activities.len() as u64;
            send(ListEvent::Page {
                activities,
                activities_listed: listed,
                activities_total: total,
            });
            if n < PAGE_SIZE {
                break;
            }
            start += n;
            page = session.activities_page(&query, start).await?;
        }
        Ok(ListDone {
            activities_listed: listed,
        })
    }

    /// Starts a backup and returns once it runs; events (and the one `finished`) go to
    /// `send`. Only what prevents the start is an `Err`.
    pub fn start_backup(
        &self,
        request: BackupRequest,
        send: impl Fn(BackupEvent) + Send + Sync + 'static,
    ) -> Result<(), AppError> {
        let session = self.session()?;
        let folder = self.destination(&request.folder)?;
        if request.formats.is_empty() {
            return Err(AppError::unexpected("choose at least one format"));
        }
        let claim = self.claim_run()?;
        let archive = self.folder_archive(&folder)?;
        let options = RunOptions {
            selection: selection(request.scope),
            ..self.run_options(request.formats)
        };
        spawn_run(
            archive,
            ConnectSource::new(session),
            None,
            options,
            claim,
            send,
        );
        Ok(())
    }

    /// Starts an import of Garmin's account data export (see `import_run`): no sign-in; the
    /// events and the slot are the backup's.
    pub async fn start_import(
        &self,
        request: ImportRequest,
        send: impl Fn(BackupEvent) + Send + Sync + 'static,
    ) -> Result<(), AppError> {
        crate::import_run::start_import(self, request, send).await
    }

    /// Takes the one run slot (a backup or an import), or says one is running.
    pub(crate) fn claim_run(&self) -> Result<RunClaim, AppError> {
        let mut slot = self
            .backup
            .lock()
            .map_err(|_| AppError::unexpected("the backup slot was poisoned"))?;
        if slot.is_some() {
            return Err(AppError::BackupRunning {
                message: "a backup is already running".into(),
            });
        }
        let token = CancellationToken::new();
        *slot = Some(token.clone());
        Ok(RunClaim {
            token,
            slot: self.backup.clone(),
        })
    }

    /// The folder's archive, created if needed; a refusal names the folder.
    pub(crate) fn folder_archive(&self, folder: &Path) -> Result<Arc<Archive>, AppError> {
        self.archive(folder).map_err(|e| match e {
            AppError::FolderUnusable { message, path } => AppError::FolderUnusable {
                message,
                path: path.or_else(|| Some(folder.display().to_string())),
            },
            other => other,
        })
    }

    /// The run options the preferences ask for, with these formats.
    pub(crate) fn run_options(&self, formats: Vec<backup::Format>) -> RunOptions {
        let prefs = self.prefs.read();
        RunOptions {
            formats,
            layout: layout(&prefs),
            concurrency: usize::from(prefs.concurrency).clamp(1, 8),
            ..RunOptions::default()
        }
    }

    /// Whether a backup runs (its `finished` event not yet sent).
    pub fn backup_running(&self) -> bool {
        self.backup.lock().map(|b| b.is_some()).unwrap_or(false)
    }

    pub fn cancel_backup(&self) {
        if let Some(token) = self.backup.lock().ok().and_then(|b| b.clone()) {
            token.cancel();
        }
    }

    /// Remembers what the folder picker answered: that folder may be on another computer.
    pub fn picked_folder(&self, picked: Option<String>) -> Option<String> {
        if let (Some(p), Ok(mut set)) = (&picked, self.picked.lock()) {
            set.insert(p.trim().to_owned());
        }
        picked
    }

    /// The folder the page names, if the app may write there (`gcexport_backup::folder`).
    pub(crate) fn destination(&self, text: &str) -> Result<PathBuf, AppError> {
        let origin = match self.picked.lock() {
            Ok(set) if set.contains(text.trim()) => folder::Origin::Picked,
            _ => folder::Origin::Typed,
        };
        folder::destination(text, origin).map_err(|r| AppError::folder_refused(text.trim(), r))
    }

    /// Opens a folder the app may write into in the system's file manager.
    pub fn open_folder(&self, path: &str) -> Result<(), AppError> {
        let dir = self.destination(path)?;
        if !dir.is_dir() {
            return Err(AppError::folder_unusable(
                path.trim(),
                "This folder does not exist (yet): a backup creates it.",
            ));
        }
        reveal(&dir)
    }

    pub fn read_preferences(&self) -> Preferences {
        self.prefs.read()
    }

    pub fn save_preferences(&self, prefs: Preferences) -> Result<(), AppError> {
        self.prefs.save(prefs)
    }
}

fn layout(prefs: &Preferences) -> backup::Layout {
    if prefs.layout == BROWSABLE_TEMPLATE {
        return backup::Layout::Browsable;
    }
    backup::Layout::template(&prefs.layout).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the saved file-name template is not usable; using the default");
        backup::Layout::Browsable
    })
}

fn row(
    a: ActivitySummary,
    archive: Option<&Archive>,
    formats: &[backup::Format],
) -> Option<ActivityRow> {
    let id = a.activity_id?;
    Some(ActivityRow {
        id,
        start_local: a
            .start_time_local
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
            .unwrap_or_default(),
        type_key: a.type_key().unwrap_or("other").to_owned(),
        name: a.activity_name.clone().unwrap_or_default(),
        distance_m: a.distance,
        duration_s: a.duration,
        status: status(archive, id, formats),
    })
}

/// The one running backup or import; dropping it frees the slot for the next.
pub(crate) struct RunClaim {
    token: CancellationToken,
    slot: Arc<Mutex<Option<CancellationToken>>>,
}

impl RunClaim {
    pub(crate) fn token(&self) -> &CancellationToken {
        &self.token
    }
}

impl Drop for RunClaim {
    fn drop(&mut self) {
        if let Ok(mut s) = self.slot.lock() {
            *s = None;
        }
    }
}

/// The page's "all" or "these" as the engine's selection.
pub(crate) fn selection(scope: BackupScope) -> backup::Selection {
    match scope {
        BackupScope::All => backup::Selection::default(),
        BackupScope::Selected { ids } => backup::Selection::only(ids),
    }
}

/// Runs the engine in the background: running totals to `send`, then the one `finished`,
/// sent after the slot is free again (the page may start the next run at once).
pub(crate) fn spawn_run<S: backup::Source + 'static>(
    archive: Arc<Archive>,
    source: S,
    export: Option<ExportFindings>,
    options: RunOptions,
    claim: RunClaim,
    send: impl Fn(BackupEvent) + Send + Sync + 'static,
) {
    tauri::async_runtime::spawn(async move {
        let started = Instant::now();
        let cancel = claim.token().clone();
        let progress = ChannelProgress { send: &send };
        let result = backup::run(&archive, &source, &options, &progress, &cancel).await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let export = export.as_ref();
        let summary = match result {
            Ok(s) => backup_run::summary(&s, export, &archive, elapsed_ms),
            Err(e) => Summary {
                cancelled: cancel.is_cancelled(),
                stopped: Some(backup_run::in_terms(export, e.into())),
                ..backup_run::summary(&backup::Summary::default(), export, &archive, elapsed_ms)
            },
        };
        drop(archive);
        drop(claim);
        send(BackupEvent::Finished { summary });
    });
}

/// Opens `dir` in the system's file manager.
fn reveal(dir: &Path) -> Result<(), AppError> {
    #[cfg(target_os = "windows")]
    let program = "explorer";
    #[cfg(target_os = "macos")]
    let program = "open";
    #[cfg(not(any(target_os = "windows", target_os = "macos")))]
    let program = "xdg-open";
    let mut child = std::process::Command::new(program)
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| AppError::unexpected(format!("could not open the file manager: {e}")))?;
    // Reaped in the background: the file manager may outlive this call by a long way.
    std::thread::spawn(move || child.wait());
    Ok(())
}
