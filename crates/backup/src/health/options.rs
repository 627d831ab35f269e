//! What a health backup covers, shared by the run and the tables it rebuilds.

use chrono::NaiveDate;

/// What to back up besides activities, and over which days.
#[derive(Clone, Debug)]
pub struct HealthOptions {
    /// Health data by day (summary, sleep, HRV, stress and Body Battery, heart rate) and the
    /// weigh-ins.
    pub health: bool,
    pub records: bool,
    /// The first day to consider; `None`: the oldest activity in the folder, else two years
    /// before `until`.
    pub since: Option<NaiveDate>,
    /// The last day (normally today).
    pub until: NaiveDate,
    /// The most recent days fetched again even when complete: Garmin finalises sleep and HRV
    /// hours after the night, and a watch may sync a day late.
    pub refresh_days: i64,
    /// Requests in flight at once (as for activities).
    pub concurrency: usize,
}

impl HealthOptions {
    pub fn new(until: NaiveDate) -> HealthOptions {
        HealthOptions {
            health: true,
            records: true,
            since: None,
            until,
            refresh_days: 3,
            concurrency: 4,
        }
    }
}
