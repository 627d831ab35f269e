//! Set-up shared by the engine's tests against the simulator.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use gcexport_backup::ConnectSource;

/// The simulator's demo account, signed in with email and password (it has no MFA).
pub async fn signed_in(sim: &gcexport_sim::Sim) -> ConnectSource {
    use gcexport_connect::{EndpointProfile, LoginOutcome, MemoryStore, Secret, Session, SignIn};
    let profile = EndpointProfile::server(sim.base_url());
    let mut signin = SignIn::new(profile.clone()).unwrap();
    let LoginOutcome::SignedIn(tokens) = signin
        .login("demo@example.com", &Secret::new("demo-password"))
        .await
        .unwrap()
    else {
        panic!("the demo account has no MFA");
    };
    let session = Session::start(
        profile,
        tokens,
        Arc::new(MemoryStore::new(None)),
        Default::default(),
    )
    .await
    .unwrap();
    ConnectSource::new(session)
}

/// Requests the simulator answered for one endpoint since its stats were last reset.
pub fn requests(sim: &gcexport_sim::Sim, endpoint: &str) -> u64 {
    sim.stats().by_endpoint.get(endpoint).copied().unwrap_or(0)
}

pub const DOWNLOAD: &str = "GET /download-service/export/{format}/activity/{id}";
pub const ORIGINAL: &str = "GET /download-service/files/activity/{id}";
pub const DETAILS: &str = "GET /activity-service/activity/{id}";
