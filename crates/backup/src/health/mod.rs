//! Health and body data, the archive's second kind of content, kept by day: Garmin's JSON
//! per day in `health/YYYY/YYYY-MM-DD/`, weigh-ins by year in `health/weight/`, personal
//! records, and spreadsheet tables rebuilt from them. Layout, columns and request budget:
//! `docs/health.md`.

mod options;
mod run;
mod source;
pub(crate) mod state;
pub mod tables;

pub use options::HealthOptions;
pub use run::{HealthProgress, HealthSummary, HealthTotals, days_to_fetch, run_health};
pub use source::{ConnectHealth, HealthCall, HealthSource};

use chrono::{Datelike, NaiveDate};

use crate::archive::{Archive, PartFile};
use crate::error::Result;

/// The folder inside the archive that holds everything of this module.
pub const HEALTH_DIR: &str = "health";

/// The folder of one day: `health/2024/2024-03-05/`.
pub(crate) fn day_dir(day: NaiveDate) -> String {
    format!(
        "{HEALTH_DIR}/{}/{}",
        day.year(),
        day.format(state::DAY_FORMAT)
    )
}

/// `rel` (inside the archive) written as the activity files are: `.part`, fsync, rename,
/// never through a link.
pub(crate) async fn write_atomic(archive: &Archive, rel: &str, bytes: &[u8]) -> Result<()> {
    use tokio::io::AsyncWriteExt as _;
    let path = archive.root().join(rel);
    let mut part = PartFile::create(archive.root(), &path).await?;
    if let Err(e) = part.write_all(bytes).await {
        let at = part.part_path().to_path_buf();
        part.discard().await;
        return Err(crate::error::Error::io(&at, e));
    }
    part.commit(&path, rel.to_owned(), None).await?;
    Ok(())
}
