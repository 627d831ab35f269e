//! The terminal's side of the sign-in: connect's `SignInPolicy` decides (saved tokens first,
//! else a ticket, else email + password + code); this module only asks on the terminal
//! what the policy needs and prints what it says.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use gcexport_connect::{
    Cooldown, EndpointProfile, FileStore, MemoryStore, PolicyConfig, Secret, Session, SignInPolicy,
    SignInStep, TokenStore, keyring_or_memory, shared_config_dir,
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
    let (store, warning) = keyring_or_memory(KEYRING_SERVICE, KEYRING_USER, profile);
    if let Some(w) = warning {
        eprintln!("warning: {w}. Use --session DIR to keep it in a file.");
    }
    store
}

/// The policy for this run; the demo's simulator shares no state with the real Garmin's.
pub fn policy(
    profile: EndpointProfile,
    store: Arc<dyn TokenStore>,
    cooldown: Option<Cooldown>,
    demo: bool,
) -> SignInPolicy {
    let state_dir = if demo { None } else { shared_config_dir() };
    SignInPolicy::new(
        profile,
        store,
        cooldown,
        state_dir.as_deref(),
        PolicyConfig::new("gcexport", env!("CARGO_PKG_VERSION")),
    )
}

pub async fn session(policy: &SignInPolicy, creds: Credentials) -> Result<Session, SignInError> {
    // Saved tokens first, even when a password is given (scripts written for gcexport.py
    // pass it on every run): a sign-in is what Garmin watches and rate-limits, a refresh
    // is not. Only a ticket, which is a sign-in already made, replaces them.
    if creds.ticket.is_none() {
        match policy.resume().await {
            Ok(Some(s)) => {
                if creds.password.is_some() {
                    tracing::info!("using the saved sign-in; the password was not needed");
                }
                return Ok(s);
            }
            Ok(None) => {}
            Err(e) => tracing::info!(error = %e, "no usable saved sign-in"),
        }
    }
    sign_in(policy, creds).await
}

/// A new sign-in (no saved tokens looked at).
pub async fn sign_in(policy: &SignInPolicy, creds: Credentials) -> Result<Session, SignInError> {
    let interactive = std::io::stdin().is_terminal();
    let Credentials {
        username,
        password,
        ticket,
        mut mfa_code,
    } = creds;
    let from_ticket = ticket.is_some();
    let mut step = match &ticket {
        Some(ticket) => {
            let service = policy.profile().portal_service_url.clone();
            policy
                .ticket(ticket, &service, true)
                .await
                .map_err(|e| SignInError(format!("the ticket was not accepted: {e}")))?
        }
        None => {
            let username = match username {
                Some(u) => u,
                None if interactive => prompt("Garmin Connect email: ")?,
                None => {
                    return Err(SignInError(
                        "not signed in, and no terminal to ask on: pass --username and \
                         --password (or --ticket), or sign in once interactively"
                            .into(),
                    ));
                }
            };
            let password = match password {
                Some(p) => p,
                None if interactive => ask_password(&username)?,
                None => {
                    return Err(SignInError(
                        "no password given and no terminal to ask for it: pass --password".into(),
                    ));
                }
            };
            let step = password_step(policy, &username, &password).await?;
            if let SignInStep::SignInAgain { message } = step {
                // The policy asks once for a new sign-in: a terminal user is asked for the
                // password again; a script is told to run again (never a login by itself).
                if !interactive {
                    return Err(SignInError(format!(
                        "{message} (no terminal to ask on: run again)"
                    )));
                }
                eprintln!("{message}");
                let again = ask_password(&username)?;
                password_step(policy, &username, &again).await?
            } else {
                step
            }
        }
    };
    loop {
        step = match step {
            SignInStep::SignedIn(signed) => {
                if let Some(w) = signed.warning {
                    eprintln!("warning: {w}; use --session DIR to keep it in a file");
                }
                return Ok(signed.session);
            }
            SignInStep::SignInAgain { message } => {
                let hint = if from_ticket {
                    "Get a new ticket and run again with --ticket."
                } else {
                    "Run again to sign in once more."
                };
                return Err(SignInError(format!("{message} {hint}")));
            }
            SignInStep::NeedsCode { method, sent_to } => {
                let code = match mfa_code.take() {
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
                policy
                    .code(&code)
                    .await
                    .map_err(|e| SignInError(format!("verification failed: {e}")))?
            }
        };
    }
}

async fn password_step(
    policy: &SignInPolicy,
    username: &str,
    password: &Secret,
) -> Result<SignInStep, SignInError> {
    policy
        .password(username, password, true)
        .await
        .map_err(|e| SignInError(format!("sign-in failed: {e}")))
}

fn ask_password(username: &str) -> Result<Secret, SignInError> {
    rpassword::prompt_password(format!("Password for {username}: "))
        .map(Secret::new)
        .map_err(|e| SignInError(format!("could not read the password: {e}")))
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
