//! The one sign-in policy both front ends call (docs/signin.md): resume saved tokens (the
//! session refreshes them), else a ticket, else email + password (+ code), each new token
//! checked, the client id that worked remembered, a cool-down after a refusal, and the
//! keyring falling back to memory. The CLI and the app only ask it and show what it says.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::cooldown::Cooldown;
use crate::diagnostics::{DiagnosticReport, Diagnostics, Markers, Note, StepKind};
use crate::error::{Error, ErrorKind, Result};
use crate::model::Profile;
use crate::profile::EndpointProfile;
use crate::secret::Secret;
use crate::session::{Session, SessionConfig};
use crate::signin::{LoginOutcome, SignIn, SignInConfig};
use crate::store::{KeyringStore, MemoryStore, TokenStore, write_atomic};
use crate::tokens::Tokens;

/// Who is asking, and with which timeouts.
#[derive(Clone, Debug)]
pub struct PolicyConfig {
    /// Names the program in diagnostic reports (`gcexport`, `Garmin Connect Export`).
    pub app: String,
    pub version: String,
    pub session: SessionConfig,
    pub signin: SignInConfig,
}

impl PolicyConfig {
    pub fn new(app: &str, version: &str) -> Self {
        PolicyConfig {
            app: app.to_owned(),
            version: version.to_owned(),
            session: SessionConfig::default(),
            signin: SignInConfig::default(),
        }
    }
}

/// What the front end shows next.
#[derive(Debug)]
pub enum Step {
    SignedIn(SignedIn),
    /// Garmin sent a code; pass it to [`SignInPolicy::code`].
    NeedsCode {
        method: String,
        sent_to: Option<String>,
    },
    /// Garmin did not accept this client id; a new sign-in (a new ticket) tries the next.
    /// Asked once per sign-in: a second refusal is an error.
    SignInAgain {
        message: String,
    },
}

#[derive(Debug)]
pub struct SignedIn {
    pub session: Session,
    /// Whether the sign-in was kept for the next run (false: memory only).
    pub kept: bool,
    /// Why it was not kept, when it was meant to be.
    pub warning: Option<String>,
}

struct Pending {
    signin: SignIn,
    remember: bool,
    diagnostics: Diagnostics,
}

#[derive(Default)]
struct State {
    pending: Option<Pending>,
    /// The client id refused in this sign-in, once the front end was asked to sign in once
    /// more: the next refusal ends it.
    asked_again: Option<String>,
}

pub struct SignInPolicy {
    profile: EndpointProfile,
    store: Arc<dyn TokenStore>,
    cooldown: Option<Cooldown>,
    memory: ClientIdMemory,
    config: PolicyConfig,
    state: tokio::sync::Mutex<State>,
    last: Mutex<Option<Diagnostics>>,
}

/// The OS keyring entry for `profile`, or memory (and the reason) when there is no keyring.
pub fn keyring_or_memory(
    service: &str,
    user: &str,
    profile: &EndpointProfile,
) -> (Arc<dyn TokenStore>, Option<String>) {
    match KeyringStore::for_profile(service, user, profile) {
        Ok(store) => (Arc::new(store), None),
        Err(e) => (
            Arc::new(MemoryStore::new(None)),
            Some(format!(
                "the OS keyring is not available ({e}): this sign-in will not be kept"
            )),
        ),
    }
}

impl SignInPolicy {
    /// `state_dir`: where the client id that worked is remembered (the shared config folder);
    /// `None` keeps it for this process only.
    pub fn new(
        profile: EndpointProfile,
        store: Arc<dyn TokenStore>,
        cooldown: Option<Cooldown>,
        state_dir: Option<&Path>,
        config: PolicyConfig,
    ) -> Self {
        SignInPolicy {
            memory: ClientIdMemory::new(state_dir, &profile),
            profile,
            store,
            cooldown,
            config,
            state: tokio::sync::Mutex::new(State::default()),
            last: Mutex::new(None),
        }
    }

    pub fn profile(&self) -> &EndpointProfile {
        &self.profile
    }

    pub fn store(&self) -> Arc<dyn TokenStore> {
        self.store.clone()
    }

    /// Garmin's mobile sign-in page for a webview (its ticket is for `login_service_url`).
    pub fn sign_in_page(&self) -> (String, String) {
        (
            self.profile.sign_in_page(),
            self.profile.login_service_url.clone(),
        )
    }

    /// Time left before a password sign-in may be attempted.
    pub fn cooldown_remaining(&self) -> Option<std::time::Duration> {
        self.cooldown.as_ref().and_then(Cooldown::remaining)
    }

    /// The report of the last sign-in (or resume), if one was made.
    pub fn last_report(&self) -> Option<DiagnosticReport> {
        self.last
            .lock()
            .ok()
            .and_then(|l| l.as_ref().map(Diagnostics::report))
    }

    /// The recorder of the last sign-in, for a caller adding steps (`gcexport doctor`).
    pub fn diagnostics(&self) -> Option<Diagnostics> {
        self.last.lock().ok().and_then(|l| l.clone())
    }

    fn begin(&self) -> Diagnostics {
        let d = Diagnostics::new(&self.config.app, &self.config.version, &self.profile);
        if let Ok(mut last) = self.last.lock() {
            *last = Some(d.clone());
        }
        d
    }

    /// The client id the next exchange uses, best first.
    pub fn next_client_id(&self) -> Option<String> {
        self.memory.order(&self.profile).into_iter().next()
    }

    fn new_signin(&self, diagnostics: &Diagnostics) -> Result<SignIn> {
        let mut signin = SignIn::with_config(self.profile.clone(), self.config.signin.clone())?
            .with_client_order(self.memory.order(&self.profile))
            .with_diagnostics(diagnostics.clone());
        if let Some(c) = &self.cooldown {
            signin = signin.with_cooldown(c.clone());
        }
        Ok(signin)
    }

    /// Saved tokens, without asking Garmin anything (the session refreshes them when it
    /// needs to). `Ok(None)`: nothing saved. `TokensExpired`: saved, but dead.
    pub async fn resume(&self) -> Result<Option<Session>> {
        let d = self.begin();
        let loader = self.store.clone();
        let loaded = tokio::task::spawn_blocking(move || loader.load())
            .await
            .map_err(|e| Error::Storage(format!("token store task: {e}")))?;
        let has_saved = match loaded {
            Ok(t) => t.is_some(),
            Err(e) => {
                d.note(StepKind::Resume, Note::Failed(e.kind()));
                d.finish(Note::Failed(e.kind()));
                return Err(e);
            }
        };
        if !has_saved {
            d.note(StepKind::Resume, Note::Said("none saved"));
            return Ok(None);
        }
        match Session::resume(
            self.profile.clone(),
            self.store.clone(),
            self.config.session.clone(),
        )
        .await
        {
            Ok(s) => {
                d.note(StepKind::Resume, Note::Said("saved tokens found"));
                Ok(Some(s))
            }
            Err(e) => {
                d.note(StepKind::Resume, Note::Failed(e.kind()));
                d.finish(Note::Failed(e.kind()));
                Err(e)
            }
        }
    }

    /// Asks who is signed in with `session` (a token check of a resumed sign-in).
    pub async fn check(&self, session: &Session) -> Result<Profile> {
        let started = Instant::now();
        let result = session.profile().await;
        let d = self.diagnostics().unwrap_or_else(|| self.begin());
        let client_id = session.tokens().client_id;
        let note = match &result {
            Ok(_) => Note::Ok,
            Err(e) => Note::Failed(e.kind()),
        };
        d.step(
            StepKind::TokenCheck,
            Some(&client_id),
            Markers::default(),
            started,
            note,
        );
        if d.report().outcome.is_none() {
            d.finish(match &result {
                Ok(_) => Note::Said("signed in with the saved sign-in"),
                Err(e) => Note::Failed(e.kind()),
            });
        }
        result
    }

    /// Email + password through the mobile JSON login (the page first, one cookie jar).
    pub async fn password(&self, email: &str, password: &Secret, remember: bool) -> Result<Step> {
        let mut state = self.state.lock().await;
        state.pending = None;
        let d = self.begin();
        let mut signin = self.new_signin(&d)?;
        match signin.login(email.trim(), password).await {
            Ok(LoginOutcome::SignedIn(tokens)) => {
                self.finish(&mut state, Ok(tokens), remember, &d).await
            }
            Ok(LoginOutcome::NeedsCode { method, sent_to }) => {
                state.pending = Some(Pending {
                    signin,
                    remember,
                    diagnostics: d,
                });
                Ok(Step::NeedsCode { method, sent_to })
            }
            Err(e) => self.finish(&mut state, Err(e), remember, &d).await,
        }
    }

    /// The verification code of the pending password sign-in. A wrong code keeps it
    /// pending, so the user can type it again.
    pub async fn code(&self, code: &Secret) -> Result<Step> {
        let mut state = self.state.lock().await;
        let Some(mut pending) = state.pending.take() else {
            return Err(Error::NoPendingCode);
        };
        match pending.signin.submit_code(code).await {
            Err(e)
                if e.kind() == ErrorKind::WrongCode
                    && pending.signin.pending_code_method().is_some() =>
            {
                state.pending = Some(pending);
                Err(e)
            }
            result => {
                let (remember, d) = (pending.remember, pending.diagnostics);
                self.finish(&mut state, result, remember, &d).await
            }
        }
    }

    /// Whether a code is awaited.
    pub async fn awaits_code(&self) -> bool {
        self.state.lock().await.pending.is_some()
    }

    /// A service ticket from the app's window, a pasted address or `--ticket`.
    pub async fn ticket(&self, ticket: &Secret, service_url: &str, remember: bool) -> Result<Step> {
        let mut state = self.state.lock().await;
        state.pending = None;
        let d = self.begin();
        d.note(StepKind::Ticket, Note::Said("a ticket was given"));
        let signin = self.new_signin(&d)?;
        let result = signin.exchange_ticket(ticket, service_url).await;
        self.finish(&mut state, result, remember, &d).await
    }

    async fn finish(
        &self,
        state: &mut State,
        result: Result<Tokens>,
        remember: bool,
        d: &Diagnostics,
    ) -> Result<Step> {
        match result {
            Ok(tokens) => {
                state.asked_again = None;
                self.memory.worked(&tokens.client_id);
                let signed = self.keep(tokens, remember, d).await?;
                d.finish(Note::Said("signed in"));
                Ok(Step::SignedIn(signed))
            }
            Err(Error::ClientIdRefused { client_id, why }) => {
                self.memory.refused(&client_id);
                let next = self.next_client_id();
                match (state.asked_again.take(), next) {
                    (None, Some(next)) => {
                        state.asked_again = Some(client_id.clone());
                        d.finish(Note::Said("sign in once more for the next client id"));
                        Ok(Step::SignInAgain {
                            message: format!(
                                "Garmin did not accept the sign-in for client id {client_id} \
                                 ({why}). Sign in once more: the next try uses client id {next}."
                            ),
                        })
                    }
                    (first, _) => {
                        let tried = match first {
                            Some(f) => format!("{f}, then {client_id}"),
                            None => client_id,
                        };
                        d.finish(Note::Failed(ErrorKind::TicketRejected));
                        Err(Error::TicketRejected {
                            reason: format!(
                                "Garmin did not accept the client ids {tried}; the next \
                                 sign-in starts with the next one. If it keeps failing, an \
                                 updated endpoint profile is needed (see the README)"
                            ),
                        })
                    }
                }
            }
            Err(e) => {
                d.finish(Note::Failed(e.kind()));
                Err(e)
            }
        }
    }

    /// Starts the session, keeping the tokens where asked; a store that refuses them
    /// (a locked keyring, a full disk) still leaves the user signed in for this run.
    async fn keep(&self, tokens: Tokens, remember: bool, d: &Diagnostics) -> Result<SignedIn> {
        let config = self.config.session.clone();
        if !remember {
            // "Do not remember" also means an older remembered sign-in is gone.
            self.forget().await;
            let session = Session::start(
                self.profile.clone(),
                tokens,
                Arc::new(MemoryStore::new(None)),
                config,
            )
            .await?;
            d.note(StepKind::Store, Note::Said("memory only, as asked"));
            return Ok(SignedIn {
                session,
                kept: false,
                warning: None,
            });
        }
        match Session::start(
            self.profile.clone(),
            tokens.clone(),
            self.store.clone(),
            config.clone(),
        )
        .await
        {
            Ok(session) => {
                d.note(StepKind::Store, Note::Ok);
                Ok(SignedIn {
                    session,
                    kept: true,
                    warning: None,
                })
            }
            Err(e) if e.kind() == ErrorKind::Storage => {
                tracing::warn!(error = %e, "the sign-in cannot be kept");
                d.note(
                    StepKind::Store,
                    Note::Said("the store refused: memory only"),
                );
                let session = Session::start(
                    self.profile.clone(),
                    tokens,
                    Arc::new(MemoryStore::new(None)),
                    config,
                )
                .await?;
                Ok(SignedIn {
                    session,
                    kept: false,
                    warning: Some(format!("the sign-in cannot be kept ({e})")),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Removes the saved sign-in (and any pending code step).
    pub async fn forget(&self) {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || store.clear()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the saved sign-in could not be removed"),
            Err(e) => tracing::warn!(error = %e, "the token store task failed"),
        }
    }

    /// Forgets the pending code step, if any.
    pub async fn cancel_pending(&self) {
        self.state.lock().await.pending = None;
    }
}

/// Which client id worked last and which were refused, per server, kept in a small file
/// in the shared config folder so the next sign-in (of the app or the CLI) starts there.
struct ClientIdMemory {
    path: Option<PathBuf>,
    key: String,
    fallback: Mutex<Remembered>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Remembered {
    worked: Option<String>,
    refused: Vec<String>,
}

impl ClientIdMemory {
    fn new(dir: Option<&Path>, profile: &EndpointProfile) -> Self {
        ClientIdMemory {
            path: dir.map(|d| d.join("client-ids.json")),
            key: profile.token_key("garmin"),
            fallback: Mutex::new(Remembered::default()),
        }
    }

    fn read_all(&self) -> BTreeMap<String, Remembered> {
        self.path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    fn get(&self) -> Remembered {
        if self.path.is_none() {
            return self.fallback.lock().map(|r| r.clone()).unwrap_or_default();
        }
        self.read_all().remove(&self.key).unwrap_or_default()
    }

    fn update(&self, change: impl FnOnce(&mut Remembered)) {
        let Some(path) = &self.path else {
            if let Ok(mut r) = self.fallback.lock() {
                change(&mut r);
            }
            return;
        };
        let mut all = self.read_all();
        change(all.entry(self.key.clone()).or_default());
        let written = serde_json::to_vec_pretty(&all)
            .map_err(std::io::Error::other)
            .and_then(|bytes| write_atomic(path, &bytes));
        if let Err(e) = written {
            tracing::warn!(error = %e, "the client id that worked could not be remembered");
        }
    }

    /// The profile's client ids, the one that worked first, refused ones left out. When
    /// every id was refused, all of them again (Garmin may have taken one back).
    fn order(&self, profile: &EndpointProfile) -> Vec<String> {
        let r = self.get();
        let mut order: Vec<String> = Vec::new();
        if let Some(w) = r.worked.filter(|w| profile.client_ids.contains(w)) {
            order.push(w);
        }
        for id in &profile.client_ids {
            if !order.contains(id) && !r.refused.contains(id) {
                order.push(id.clone());
            }
        }
        if order.is_empty() {
            self.update(|r| r.refused.clear());
            return profile.client_ids.clone();
        }
        order
    }

    fn worked(&self, client_id: &str) {
        self.update(|r| {
            r.worked = Some(client_id.to_owned());
            r.refused.retain(|id| id != client_id);
        });
    }

    fn refused(&self, client_id: &str) {
        self.update(|r| {
            if r.worked.as_deref() == Some(client_id) {
                r.worked = None;
            }
            if !r.refused.iter().any(|id| id == client_id) {
                r.refused.push(client_id.to_owned());
            }
        });
    }
}
