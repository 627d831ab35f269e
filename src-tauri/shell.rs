//! The shell's state and the small adapters the commands delegate to: which session is
//! signed in, which sign-in waits for a code, which backup runs, where things are kept.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use gcexport_backup::health::{ConnectHealth, HealthOptions, HealthSource};
use gcexport_backup::{
    self as backup, Archive, CancellationToken, ConnectSource, Format, Job, folder,
};
use gcexport_connect::{
    ActivitySummary, Cooldown, EndpointProfile, ErrorKind, FileStore, ListQuery, MemoryStore,
    PolicyConfig, Secret, Session, SignInPolicy, SignInStep, TokenStore, keyring_or_memory,
};

use crate::backup_run::{self, ChannelProgress, ExportFindings, status};
use crate::prefs::{PreferencesFile, write_replacing};
use crate::signin_fallback;
use crate::signin_window::{self, WindowOptions};
use crate::wire::{
    Account, ActivityRow, AppError, AppInfo, BackupEvent, BackupRequest, CodeChannel, ListDone,
    ListEvent, PasswordSignIn, Preferences, SessionStatus, SignedOutReason, Summary,
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

pub struct Shell {
    demo: bool,
    // Kept alive for the app's lifetime: the demo account's Garmin.
    _sim: Option<gcexport_sim::Sim>,
    config_dir: PathBuf,
    prefs: PreferencesFile,
    /// connect's sign-in policy: saved sign-in, ticket, password and code, the cool-down
    /// shared with the CLI, the client id that worked, the last diagnostic report.
    policy: SignInPolicy,
    session: Mutex<Option<SignedIn>>,
    backup: Arc<Mutex<Option<CancellationToken>>>,
    /// One `Archive` per folder, shared by a listing and a backup: the archive locks its
    /// folder, and both want it at once when the page lists while a backup starts.
    archives: Mutex<HashMap<PathBuf, Weak<Archive>>>,
    /// What the folder picker answered this run: only those may be on another computer.
    picked: Mutex<HashSet<String>>,
    /// How Garmin's sign-in window is run, and where the fallback's browser addresses go
    /// in tests (see `signin_fallback`).
    window: WindowOptions,
    record_opened: Option<PathBuf>,
}

impl Shell {
    pub fn start(options: &Options, config_dir: PathBuf) -> Result<Shell, String> {
        let (profile, sim) = if options.demo {
            let sim = gcexport_sim::start(gcexport_sim::SimConfig {
                port: options.demo_port.unwrap_or(0),
                sign_in_page: options.demo_sign_in_page.unwrap_or_default(),
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
            // A published fix (new client ids, hosts) is a file the user saves in the
            // app's config folder: no release needed (README, docs/signin.md).
            let profile = EndpointProfile::load_in(Some(&config_dir)).map_err(|e| e.to_string())?;
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
                let (store, warning) = keyring_or_memory(KEYRING_SERVICE, user, &profile);
                if let Some(w) = warning {
                    tracing::warn!("{w}");
                }
                store
            }
        };
        // The demo's simulator never shares a cool-down (or a client id) with Garmin's.
        let shared_dir = if options.demo {
            Some(config_dir.clone())
        } else {
            options
                .config_dir
                .clone()
                .or_else(gcexport_connect::shared_config_dir)
        };
        let policy = SignInPolicy::new(
            profile,
            saved,
            Cooldown::shared(shared_dir.as_deref()),
            shared_dir.as_deref(),
            PolicyConfig::new("Garmin Connect Export", env!("CARGO_PKG_VERSION")),
        );
        Ok(Shell {
            demo: options.demo,
            _sim: sim,
            prefs: PreferencesFile::new(&config_dir),
            config_dir,
            policy,
            session: Mutex::new(None),
            backup: Arc::new(Mutex::new(None)),
            archives: Mutex::new(HashMap::new()),
            picked: Mutex::new(HashSet::new()),
            window: WindowOptions {
                stall_after: options
                    .sign_in_stall
                    .unwrap_or(signin_window::DEFAULT_STALL_AFTER),
            },
            record_opened: options.record_opened.clone(),
        })
    }

    pub fn app_info(&self) -> AppInfo {
        AppInfo {
            name: "Garmin Connect Export".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            demo: self.demo,
            defaults: Preferences::default(),
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
        self.policy.forget().await;
        self.cache_account(None);
    }

    /// The last sign-in's diagnostic report, to copy into an issue.
    pub fn diagnostic_report(&self) -> Option<String> {
        self.policy.last_report().map(|r| r.text())
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
        let expired = Ok(SessionStatus::SignedOut {
            reason: Some(SignedOutReason::TokensExpired),
        });
        let session = match self.policy.resume().await {
            Ok(Some(s)) => s,
            Ok(None) => return Ok(SessionStatus::SignedOut { reason: None }),
            Err(e) if e.kind() == ErrorKind::TokensExpired => {
                self.forget_saved().await;
                return expired;
            }
            Err(e) if e.kind() == ErrorKind::Storage => {
                tracing::warn!(error = %e, "the saved sign-in could not be read");
                return Ok(SessionStatus::SignedOut { reason: None });
            }
            Err(e) => return Err(e.into()),
        };
        let account = match self.policy.check(&session).await {
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

    /// What the policy said, for the page: signed in (who), or a refusal with its kind.
    /// "Sign in once more for the next client id" goes to the page as a refused ticket
    /// whose message says so; the policy remembers that it asked.
    async fn signed_in_as(&self, step: SignInStep, remember: bool) -> Result<SignedInOr, AppError> {
        match step {
            SignInStep::SignedIn(signed) => {
                if let Some(w) = &signed.warning {
                    tracing::warn!("{w}");
                }
                let session = signed.session;
                let account = Account::from(session.profile().await?);
                // Not kept ("do not remember", or a store that refused): no account name
                // is left behind from an older remembered sign-in either.
                self.cache_account((remember && signed.kept).then_some(&account));
                self.set_session(Some(SignedIn {
                    session,
                    account: account.clone(),
                }));
                Ok(SignedInOr::Account(account))
            }
            SignInStep::NeedsCode { method, sent_to } => Ok(SignedInOr::NeedsCode {
                channel: CodeChannel::from_method(&method),
                sent_to,
            }),
            SignInStep::SignInAgain { message } => Err(AppError::TicketRejected { message }),
        }
    }

    pub async fn sign_in_with_password(
        &self,
        email: String,
        password: String,
        remember: bool,
    ) -> Result<PasswordSignIn, AppError> {
        let password = Secret::new(password);
        let step = self.policy.password(&email, &password, remember).await?;
        Ok(match self.signed_in_as(step, remember).await? {
            SignedInOr::Account(account) => PasswordSignIn::SignedIn { account },
            SignedInOr::NeedsCode { channel, sent_to } => {
                PasswordSignIn::NeedsCode { channel, sent_to }
            }
        })
    }

    pub async fn submit_code(&self, code: String) -> Result<Account, AppError> {
        let step = self.policy.code(&Secret::new(code)).await?;
        // The code step keeps the password step's "remember" inside the policy.
        match self.signed_in_as(step, true).await? {
            SignedInOr::Account(account) => Ok(account),
            SignedInOr::NeedsCode { .. } => Err(gcexport_connect::Error::WrongCode.into()),
        }
    }

    /// The mobile sign-in page (its ticket is for the service the client exchanges), and
    /// that service: both from the endpoint profile.
    pub fn garmin_page(&self) -> (String, String) {
        self.policy.sign_in_page()
    }

    pub async fn exchange_ticket(
        &self,
        ticket: Secret,
        service_url: &str,
    ) -> Result<Account, AppError> {
        // Garmin's page has its own "remember me"; the app keeps what the page granted.
        let step = self.policy.ticket(&ticket, service_url, true).await?;
        match self.signed_in_as(step, true).await? {
            SignedInOr::Account(account) => Ok(account),
            SignedInOr::NeedsCode { .. } => Err(AppError::unexpected("a ticket asked for a code")),
        }
    }

    pub fn window_options(&self) -> WindowOptions {
        self.window.clone()
    }

    /// The fallback: Garmin's sign-in page (the same one the window shows, whose ticket
    /// stays unspent in the address it ends on) in the person's own browser.
    pub fn open_garmin_in_browser(&self) -> Result<String, AppError> {
        let (page, _) = self.garmin_page();
        signin_fallback::open_in_browser(&page, self.record_opened.as_deref())?;
        Ok(page)
    }

    /// The fallback's second half: the ticket in what was pasted, exchanged at once (it
    /// lives about a minute). A ticket of the web page's service (a pasted Garmin Connect
    /// address) is exchanged for that service; any other for the page the app opened.
    pub async fn sign_in_with_pasted_address(&self, text: &str) -> Result<Account, AppError> {
        let ticket = signin_fallback::ticket_from_paste(text)?;
        let profile = self.policy.profile();
        let portal = &profile.portal_service_url;
        let service = if gcexport_connect::ticket_from_url(text.trim(), portal).is_some() {
            portal.clone()
        } else {
            profile.login_service_url.clone()
        };
        self.exchange_ticket(ticket, &service).await
    }

    pub async fn sign_out(&self) -> Result<(), AppError> {
        if let Some(token) = self.backup.lock().ok().and_then(|b| b.clone()) {
            token.cancel();
        }
        self.policy.cancel_pending().await;
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

    /// Lists every activity with its status in `folder` for the `formats` the page has
    /// ticked (not the saved ones: ticking a format changes what "in backup" means).
    pub async fn list_activities(
        &self,
        folder: Option<String>,
        formats: Vec<Format>,
        send: impl Fn(ListEvent),
    ) -> Result<ListDone, AppError> {
        let listed = self.list_pages(folder, formats, send).await;
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
        formats: Vec<Format>,
        send: impl Fn(ListEvent),
    ) -> Result<ListDone, AppError> {
        let session = self.session()?;
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
        let mut oldest: Option<chrono::NaiveDate> = None;
        loop {
            let n = page.len();
            if let Some(day) = page
                .iter()
                .filter_map(|a| a.start_time_gmt.or(a.start_time_local).map(|t| t.date()))
                .min()
            {
                oldest = Some(oldest.map_or(day, |o| o.min(day)));
            }
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
        // The days a backup would fetch, as it would count them: from the folder's oldest
        // activity (by its UTC date, as the folder records it), or the oldest listed for a
        // folder without any yet.
        let today = chrono::Local::now().date_naive();
        let health_days =
            backup::health::days_to_fetch(archive.as_deref(), &HealthOptions::new(today), oldest)
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "the folder's health days cannot be read");
                    0
                });
        Ok(ListDone {
            activities_listed: listed,
            health_days,
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
        let job = request.job(chrono::Local::now().date_naive())?;
        let claim = self.claim_run()?;
        let archive = self.folder_archive(&folder)?;
        spawn_run(
            archive,
            ConnectSource::new(session.clone()),
            ConnectHealth::signed_in(session),
            None,
            job,
            claim,
            send,
        );
        Ok(())
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

enum SignedInOr {
    Account(Account),
    NeedsCode {
        channel: Option<CodeChannel>,
        sent_to: Option<String>,
    },
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

/// Runs the engine in the background: running totals to `send`, then the one `finished`,
/// sent after the slot is free again (the page may start the next run at once).
pub(crate) fn spawn_run<S: backup::Source + 'static, H: HealthSource + 'static>(
    archive: Arc<Archive>,
    source: S,
    health: H,
    export: Option<ExportFindings>,
    job: Job,
    claim: RunClaim,
    send: impl Fn(BackupEvent) + Send + Sync + 'static,
) {
    tauri::async_runtime::spawn(async move {
        let started = Instant::now();
        let cancel = claim.token().clone();
        let progress = ChannelProgress::new(&send);
        let result = backup::back_up(&archive, &source, &health, &job, &progress, &cancel).await;
        // The export's own health data, once its activities are in; not after a stop or a
        // cancel (the next import picks it up: nothing it writes is half-written).
        let mut imported = None;
        if let (Ok(r), Some(hi)) = (&result, export.as_ref().and_then(|e| e.health.as_ref()))
            && r.activities.stopped.is_none()
            && !cancel.is_cancelled()
        {
            imported = Some(backup_run::import_health(&archive, hi).await);
        }
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let export = export.as_ref();
        let summary = match result {
            Ok(r) => Summary {
                health: match &imported {
                    Some((report, _)) => Some(report.clone()),
                    None => r.health.as_ref().map(backup_run::health_report),
                },
                // A cancel during the health part, after the activities ended, is one too.
                cancelled: r.activities.cancelled || cancel.is_cancelled(),
                ..backup_run::summary(&r.activities, export, &archive, elapsed_ms)
            },
            Err(e) => Summary {
                cancelled: cancel.is_cancelled(),
                stopped: Some(backup_run::in_terms(export, e.into())),
                ..backup_run::summary(&backup::Summary::default(), export, &archive, elapsed_ms)
            },
        };
        let mut summary = summary;
        if let (Some((_, missing)), Some(notes)) = (imported, summary.import.as_mut()) {
            notes.not_in_export = missing;
        }
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
