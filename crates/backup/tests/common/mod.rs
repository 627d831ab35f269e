//! Set-up shared by the engine's tests against the simulator.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use gcexport_backup::health::{HealthOptions, HealthSource, HealthSummary, run_health};
use gcexport_backup::{
    Archive, CancellationToken, ConnectSource, NoProgress, RunOptions, Source, Summary, run,
};

/// The simulator's demo account, signed in with email and password (it has no MFA).
pub async fn signed_in(sim: &gcexport_sim::Sim) -> ConnectSource {
    ConnectSource::new(gcexport_testkit::signed_in(sim).await)
}

/// One whole run, nothing shown and nothing cancelled: what it reports.
pub async fn run_once<S: Source>(archive: &Archive, source: &S, opts: &RunOptions) -> Summary {
    run(
        archive,
        source,
        opts,
        &NoProgress,
        &CancellationToken::new(),
    )
    .await
    .unwrap()
}

/// One whole health backup, nothing shown and nothing cancelled: what it reports.
pub async fn health_once<S: HealthSource>(
    archive: &Archive,
    source: &S,
    opts: &HealthOptions,
) -> HealthSummary {
    run_health(
        archive,
        source,
        opts,
        &NoProgress,
        &CancellationToken::new(),
    )
    .await
    .unwrap()
}

/// Requests the simulator answered for one endpoint since its stats were last reset.
pub fn requests(sim: &gcexport_sim::Sim, endpoint: &str) -> u64 {
    sim.stats().by_endpoint.get(endpoint).copied().unwrap_or(0)
}

pub const DOWNLOAD: &str = "GET /download-service/export/{format}/activity/{id}";
pub const ORIGINAL: &str = "GET /download-service/files/activity/{id}";
pub const DETAILS: &str = "GET /activity-service/activity/{id}";
