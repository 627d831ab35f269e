//! Garmin Connect client: endpoint profile, sign-in flows, tokens and API calls.
//!
//! It knows HTTP and Garmin, and nothing of files, folders, CSV or windows.

mod api;
mod cooldown;
mod error;
mod http;
mod model;
mod profile;
mod secret;
mod session;
mod signin;
mod store;
mod tokens;

pub use api::{DownloadSink, Downloaded, Format, ListQuery, NoRestart};
pub use cooldown::{Cooldown, DEFAULT_COOLDOWN};
pub use error::{Error, ErrorKind, Result};
pub use http::RetryPolicy;
pub use model::{ActivityDetails, ActivitySummary, Profile, TypeRef, UserSettings, parse_time};
pub use profile::{EndpointProfile, env};
pub use secret::Secret;
pub use session::{ApiRequest, Session, SessionConfig};
pub use signin::{LoginOutcome, SignIn, SignInConfig, ticket_from_url};
pub use store::{FileStore, KeyringStore, MemoryStore, TokenStore};
pub use tokens::{LegacyImport, Tokens, import_legacy_folder};
