//! Garmin Connect client: endpoint profile, sign-in flows, tokens and API calls.
//!
//! It knows HTTP and Garmin, and nothing of files, folders, CSV or windows.

mod api;
mod cooldown;
mod diagnostics;
mod error;
mod health;
mod http;
mod model;
mod policy;
mod profile;
mod secret;
mod session;
mod signin;
mod store;
mod tokens;

pub use api::{DownloadSink, Downloaded, Format, ListQuery, NoRestart};
pub use cooldown::{Cooldown, DEFAULT_COOLDOWN};
pub use diagnostics::{
    DiagnosticReport, Diagnostics, Markers, Note, Step as DiagnosticStep, StepKind,
};
pub use error::{Error, ErrorKind, Result};
pub use health::{HealthCall, STEPS_RANGE_DAYS};
pub use http::{MAX_RETRY_AFTER_WAIT, RetryPolicy, is_cdn_block};
pub use model::{ActivityDetails, ActivitySummary, Profile, TypeRef, UserSettings, parse_time};
pub use policy::{PolicyConfig, SignInPolicy, SignedIn, Step as SignInStep, keyring_or_memory};
pub use profile::{EndpointProfile, PROFILE_FILE_NAMES, env};
pub use secret::Secret;
pub use session::{ApiRequest, Session, SessionConfig};
pub use signin::{LoginOutcome, SignIn, SignInConfig, ticket_from_url};
pub use store::{
    ENTRY_UTF16_UNITS, FileStore, KeyringStore, MemoryStore, TokenStore, shared_config_dir,
};
pub use tokens::{LegacyImport, Tokens, import_legacy_folder};
