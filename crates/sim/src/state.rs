//! What every handler reads: the account, its health data, the faults in force, the
//! counters, and each host's own store. The server builds it; the handlers that need only
//! their host's part take that part (see the `FromRef` impls), so no handler depends on
//! the server, and the server on every handler.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use axum::extract::FromRef;
use axum::http::HeaderMap;

use crate::SimConfig;
use crate::account::Account;
use crate::diauth::{AuthCtx, AuthState, Principal};
use crate::faults::{FaultEngine, Faults};
use crate::health::Health;
use crate::health::routes::HealthCtx;
use crate::random::Rng;
use crate::reply::Reject;
use crate::sso::{SsoCtx, SsoState};
use crate::stats::Recorder;

pub(crate) struct AppState {
    pub config: Arc<SimConfig>,
    pub account: Arc<Account>,
    pub health: Arc<Health>,
    /// How many of the newest activities are still withheld.
    pub hidden: AtomicUsize,
    faults: RwLock<Arc<FaultEngine>>,
    pub stats: Arc<Recorder>,
    pub sso: Arc<SsoState>,
    pub auth: Arc<AuthState>,
    pub rng: Arc<Rng>,
}

impl AppState {
    pub fn new(config: SimConfig) -> AppState {
        let account = Account::new(config.seed, config.activities);
        let health = Health::new(config.seed, config.health_days, account.profile_pk());
        let hidden = config.withheld.min(account.len());
        let engine = FaultEngine::new(config.faults.clone(), config.seed);
        let rng = Rng::new(config.seed);
        AppState {
            account: Arc::new(account),
            health: Arc::new(health),
            hidden: AtomicUsize::new(hidden),
            faults: RwLock::new(Arc::new(engine)),
            stats: Arc::new(Recorder::default()),
            sso: Arc::new(SsoState::new(&rng)),
            auth: Arc::new(AuthState::new(&rng)),
            rng: Arc::new(rng),
            config: Arc::new(config),
        }
    }

    pub fn faults(&self) -> Arc<FaultEngine> {
        match self.faults.read() {
            Ok(engine) => Arc::clone(&engine),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn set_faults(&self, faults: Faults) {
        let engine = Arc::new(FaultEngine::new(faults, self.config.seed));
        match self.faults.write() {
            Ok(mut slot) => *slot = engine,
            Err(poisoned) => *poisoned.into_inner() = engine,
        }
    }

    pub fn reveal(&self, n: usize) -> usize {
        let mut revealed = 0;
        let _ = self
            .hidden
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |hidden| {
                revealed = n.min(hidden);
                Some(hidden - revealed)
            });
        revealed
    }

    /// First visible newest-first position; everything before it is withheld.
    pub fn first_visible(&self) -> usize {
        self.hidden.load(Ordering::SeqCst)
    }

    pub fn visible_count(&self) -> usize {
        self.account.len().saturating_sub(self.first_visible())
    }

    /// The Bearer check of every data call.
    pub fn authorize(&self, headers: &HeaderMap) -> Result<Principal, Reject> {
        crate::diauth::authorize(&self.auth, &self.config, headers)
    }
}

impl FromRef<Arc<AppState>> for SsoCtx {
    fn from_ref(st: &Arc<AppState>) -> SsoCtx {
        SsoCtx {
            config: Arc::clone(&st.config),
            sso: Arc::clone(&st.sso),
            stats: Arc::clone(&st.stats),
            rng: Arc::clone(&st.rng),
        }
    }
}

impl FromRef<Arc<AppState>> for AuthCtx {
    fn from_ref(st: &Arc<AppState>) -> AuthCtx {
        AuthCtx {
            config: Arc::clone(&st.config),
            sso: Arc::clone(&st.sso),
            auth: Arc::clone(&st.auth),
            stats: Arc::clone(&st.stats),
            rng: Arc::clone(&st.rng),
        }
    }
}

impl FromRef<Arc<AppState>> for HealthCtx {
    fn from_ref(st: &Arc<AppState>) -> HealthCtx {
        HealthCtx {
            config: Arc::clone(&st.config),
            account: Arc::clone(&st.account),
            health: Arc::clone(&st.health),
            auth: Arc::clone(&st.auth),
        }
    }
}
