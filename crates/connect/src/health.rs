//! Health and body data: the day's summary, sleep, HRV, stress with Body Battery, heart
//! rate, steps over a range, weigh-ins over a range, personal records (docs/health.md).
//!
//! Answers come back as Garmin's own bytes (checked to be JSON), so that an archive can keep
//! exactly what Garmin said; `None` is Garmin's "nothing for that day" (204 or 404).

use chrono::NaiveDate;

use crate::error::Result;
use crate::session::{ApiRequest, Session};

/// Garmin caps the steps range; public clients page it by 28 days.
pub const STEPS_RANGE_DAYS: i64 = 28;

/// One health call. The per-day ones take the day; the range ones take both ends (inclusive).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HealthCall {
    DailySummary(NaiveDate),
    Sleep(NaiveDate),
    Hrv(NaiveDate),
    /// Stress values over the day, Body Battery values alongside.
    Stress(NaiveDate),
    HeartRate(NaiveDate),
    /// Steps per day, at most [`STEPS_RANGE_DAYS`] days.
    Steps(NaiveDate, NaiveDate),
    /// Weigh-ins and body composition (weights in grams).
    Weight(NaiveDate, NaiveDate),
    PersonalRecords,
}

impl HealthCall {
    /// The request, for the signed-in user `display_name` (socialProfile's, maybe a UUID).
    pub fn request(&self, display_name: &str) -> ApiRequest {
        let day = |d: &NaiveDate| d.format("%Y-%m-%d").to_string();
        match self {
            HealthCall::DailySummary(d) => ApiRequest::get(format!(
                "/usersummary-service/usersummary/daily/{display_name}"
            ))
            .query("calendarDate", day(d)),
            HealthCall::Sleep(d) => ApiRequest::get(format!(
                "/wellness-service/wellness/dailySleepData/{display_name}"
            ))
            .query("date", day(d))
            .query("nonSleepBufferMinutes", 60),
            HealthCall::Hrv(d) => ApiRequest::get(format!("/hrv-service/hrv/{}", day(d))),
            HealthCall::Stress(d) => {
                ApiRequest::get(format!("/wellness-service/wellness/dailyStress/{}", day(d)))
            }
            HealthCall::HeartRate(d) => ApiRequest::get(format!(
                "/wellness-service/wellness/dailyHeartRate/{display_name}"
            ))
            .query("date", day(d)),
            HealthCall::Steps(a, b) => ApiRequest::get(format!(
                "/usersummary-service/stats/steps/daily/{}/{}",
                day(a),
                day(b)
            )),
            HealthCall::Weight(a, b) => ApiRequest::get(format!(
                "/weight-service/weight/range/{}/{}",
                day(a),
                day(b)
            ))
            .query("includeAll", "true"),
            HealthCall::PersonalRecords => ApiRequest::get(format!(
                "/personalrecord-service/personalrecord/prs/{display_name}"
            )),
        }
    }
}

impl Session {
    /// One health call: Garmin's bytes, or `None` for "no data" (204/404). A cut or broken
    /// body is fetched again (bounded), like every JSON call.
    pub async fn health(&self, call: &HealthCall, display_name: &str) -> Result<Option<Vec<u8>>> {
        self.get_json_bytes(&call.request(display_name)).await
    }
}
