//! Getting a signed-in `Session`: saved tokens first (no request to Garmin's sign-in at
//! all), else a ticket, else email + password (+ MFA code), prompting only on a terminal.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use gcexport_connect::{
    Cooldown, EndpointProfile, ErrorKind, FileStore, KeyringStore, LoginOutcome, MemoryStore,
    Secret, Session, SessionConfig, SignIn, TokenStore,
};

/// The keyring entry shared with the desktop app.
pub const KEYRING_SERVICE: &str = "garmin-connect-export";
pub const KEYRING_USER: &str = "garmin-connect";

/// A sign-in failure, for exit code 3.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SignInError(pub String);

pub struct Credentials {
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub ticket: Option<Secret>,
    pub mfa_code: Option<Secret>,
}

/// Tokens are kept per server (`profile`'s origin): another server never gets them.
pub fn token_store(
    session_dir: Option<&Path>,
    demo: bool,
    profile: &EndpointProfile,
) -> Arc<dyn TokenStore> {
    if demo {
        return Arc::new(MemoryStore::new(None));
    }
    if let Some(dir) = session_dir {
        return Arc::new(FileStore::new(dir.join(profile.token_file_name())));
    }
    match KeyringStore::for_profile(KEYRING_SERVICE, KEYRING_USER, profile) {
        Ok(store) => Arc::new(store),
        Err(e) => {
            eprintln!(
                "warning: the OS keyring is not available ({e}); this sign-in will not be kept. \
                 Use --session DIR to keep it in a file."
            );
            Arc::new(MemoryStore::new(None))
        }
    }
}

pub async fn session(
    profile: EndpointProfile,
    store: Arc<dyn TokenStore>,
    creds: Credentials,
    cooldown: Option<Cooldown>,
) -> Result<Session, SignInError> {
    let config = SessionConfig::default();
    // Saved tokens first, even when a password is given (scripts written for gcexport.py
    // pass it on every run): a sign-in is what Garmin watches and rate-limits, a refresh
    // is not. Only a ticket, which is a sign-in already made, replaces them.
    if creds.ticket.is_none() {
        match Session::resume(profile.clone(), store.clone(), config.clone()).await {
            Ok(s) => {
                if creds.password.is_some() {
                    tracing::info!("using the saved sign-in; the password was not needed");
                }
                return Ok(s);
            }
            Err(e) => tracing::info!(error = %e, "no usable saved sign-in"),
        }
    }
    let mut signin = SignIn::new(profile.clone()).map_err(|e| SignInError(e.to_string()))?;
    if let Some(cooldown) = cooldown {
        signin = signin.with_cooldown(cooldown);
    }
    let tokens = if let Some(ticket) = &creds.ticket {
        signin
            .exchange_ticket(ticket, &profile.portal_service_url)
            .await
            .map_err(|e| SignInError(format!("the ticket was not accepted: {e}")))?
    } else {
        let interactive = std::io::stdin().is_terminal();
        let username = match creds.username {
            Some(u) => u,
            None if interactive => prompt("Garmin Connect email: ")?,
            None => {
                return Err(SignInError(
                    "not signed in, and no terminal to ask on: pass --username and --password \
                     (or --ticket), or sign in once interactively"
                        .into(),
                ));
            }
        };
        let password = match creds.password {
            Some(p) => p,
            None if interactive => Secret::new(
                rpassword::prompt_password(format!("Password for {username}: "))
                    .map_err(|e| SignInError(format!("could not read the password: {e}")))?,
            ),
            None => {
                return Err(SignInError(
                    "no password given and no terminal to ask for it: pass --password".into(),
                ));
            }
        };
        match signin
            .login(&username, &password)
            .await
            .map_err(|e| SignInError(format!("sign-in failed: {e}")))?
        {
            LoginOutcome::SignedIn(t) => t,
            LoginOutcome::NeedsCode { method, sent_to } => {
                let code = match creds.mfa_code {
                    Some(c) => c,
                    None if interactive => {
                        let to = sent_to.map(|s| format!(" to {s}")).unwrap_or_default();
                        Secret::new(prompt(&format!(
                            "Garmin sent a verification code by {method}{to}. Code: "
                        ))?)
                    }
                    None => {
                        return Err(SignInError(
                            "Garmin asks for a verification code and there is no terminal: \
                             pass --mfa-code"
                                .into(),
                        ));
                    }
                };
                signin
                    .submit_code(&code)
                    .await
                    .map_err(|e| SignInError(format!("verification failed: {e}")))?
            }
        }
    };
    match Session::start(profile.clone(), tokens.clone(), store, config.clone()).await {
        Ok(s) => Ok(s),
        // Signed in, but the store refused the tokens: back up now, sign in next time.
        Err(e) if e.kind() == ErrorKind::Storage => {
            eprintln!("warning: the sign-in cannot be kept ({e}); use --session DIR to keep it");
            Session::start(profile, tokens, Arc::new(MemoryStore::new(None)), config)
                .await
                .map_err(|e| SignInError(format!("could not start the session: {e}")))
        }
        Err(e) => Err(SignInError(format!("could not start the session: {e}"))),
    }
}

fn prompt(text: &str) -> Result<String, SignInError> {
    use std::io::Write;
    eprint!("{text}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| SignInError(format!("could not read from the terminal: {e}")))?;
    Ok(line.trim().to_string())
}
