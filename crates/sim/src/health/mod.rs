//! Health and body data (PROTOCOL §7): a person's days, generated from the account seed alone,
//! so any day can be rebuilt on its own in any order.
//!
//! The story every seed tells, oldest first: a wrist tracker (steps, heart rate, stress,
//! sleep without stages' scores; no HRV, no Body Battery, no SpO2), then a stretch without any
//! device, then a modern watch (everything, HRV after it has learned a baseline). Days the
//! device was not worn, nights it was taken off, naps, manual weigh-ins early on and a smart
//! scale with body composition later.

pub(crate) mod json;
pub(crate) mod routes;

use chrono::{Datelike, Duration, NaiveDate};

use crate::account::rng::{Draws, Purpose};

/// The last day with data: the day before the account's "now" (`spec::ANCHOR`, 2026-10-31).
pub const LAST_DAY: (i32, u32, u32) = (2026, 10, 30);

/// How long the modern watch needs before it reports an HRV status (Garmin: about 3 weeks).
const HRV_BASELINE_DAYS: i64 = 19;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Era {
    /// Before the first device, or between devices.
    None,
    Tracker,
    Watch,
}

/// What happened on one calendar day (local time).
#[derive(Clone, Debug)]
pub(crate) struct Day {
    pub date: NaiveDate,
    pub era: Era,
    /// The device was on the wrist for at least part of the day (and synced).
    pub worn: bool,
    /// Slept with the device on, the night ending this morning.
    pub slept: bool,
    /// Seconds of a daytime nap, if any.
    pub nap: Option<i64>,
    /// The watch reported an overnight HRV.
    pub hrv: bool,
    /// Days since the watch arrived (for the HRV baseline).
    pub watch_day: i64,
    pub seed: u64,
}

impl Day {
    /// Draws for one property of this day.
    pub fn draws(&self, salt: u64) -> Draws {
        let index = (self.date.num_days_from_ce() as u64) << 8 | (salt & 0xFF);
        Draws::new(self.seed ^ 0x4EA1_7400, index, Purpose::Noise)
    }
}

/// A person's health history: `days` days ending on [`LAST_DAY`].
#[derive(Clone, Debug)]
pub struct Health {
    seed: u64,
    first: NaiveDate,
    last: NaiveDate,
    profile_pk: i64,
}

impl Health {
    pub fn new(seed: u64, days: usize, profile_pk: i64) -> Health {
        let last =
            NaiveDate::from_ymd_opt(LAST_DAY.0, LAST_DAY.1, LAST_DAY.2).unwrap_or(NaiveDate::MIN);
        let first = last - Duration::days(days.max(1) as i64 - 1);
        Health {
            seed,
            first,
            last,
            profile_pk,
        }
    }

    /// The first day a device recorded anything.
    pub fn first_day(&self) -> NaiveDate {
        self.first
    }

    pub fn last_day(&self) -> NaiveDate {
        self.last
    }

    pub(crate) fn profile_pk(&self) -> i64 {
        self.profile_pk
    }

    fn span(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }

    /// The day the modern watch arrived.
    pub fn watch_from(&self) -> NaiveDate {
        self.first + Duration::days(self.span() * 30 / 100)
    }

    /// The day the smart scale arrived (manual weigh-ins before).
    pub fn scale_from(&self) -> NaiveDate {
        self.first + Duration::days(self.span() / 2)
    }

    fn era(&self, date: NaiveDate) -> Era {
        let tracker_until = self.first + Duration::days(self.span() * 25 / 100);
        if date < self.first || date > self.last {
            Era::None
        } else if date < tracker_until {
            Era::Tracker
        } else if date < self.watch_from() {
            Era::None
        } else {
            Era::Watch
        }
    }

    pub(crate) fn day(&self, date: NaiveDate) -> Day {
        let era = self.era(date);
        let watch_day = (date - self.watch_from()).num_days();
        let mut day = Day {
            date,
            era,
            worn: false,
            slept: false,
            nap: None,
            hrv: false,
            watch_day,
            seed: self.seed,
        };
        if era == Era::None {
            return day;
        }
        let mut d = day.draws(0);
        // A few days a month in a drawer (charging, forgotten on holiday).
        day.worn = d.below(100) >= 4;
        if !day.worn {
            return day;
        }
        day.slept = d.below(100) >= 9;
        if era == Era::Watch && d.below(100) < 12 {
            day.nap = Some(20 * 60 + d.below(50) as i64 * 60);
        }
        day.hrv = era == Era::Watch && day.slept;
        day
    }

    /// Weigh-ins of one day: (seconds after local midnight, grams, from the scale).
    pub(crate) fn weigh_ins(&self, date: NaiveDate) -> Vec<WeighIn> {
        if date < self.first || date > self.last {
            return Vec::new();
        }
        let day = self.day(date);
        let mut d = day.draws(7);
        let mut out = Vec::new();
        let trend = 78_500.0 - 2.0 * (date - self.first).num_days() as f64;
        if date < self.scale_from() {
            // Typed in on Sunday evenings, more or less.
            if date.weekday() == chrono::Weekday::Sun && d.below(100) < 80 {
                out.push(WeighIn {
                    seconds: 20 * 3600 + d.below(3600) as i64,
                    grams: (trend + d.range(-600.0, 600.0)).round() / 1.0,
                    scale: false,
                });
            }
        } else {
            if d.below(100) < 55 {
                out.push(WeighIn {
                    seconds: 7 * 3600 + d.below(5400) as i64,
                    grams: (trend + d.range(-400.0, 400.0)).round(),
                    scale: true,
                });
            }
            // Now and then one typed in too, later the same day (at the gym).
            if d.below(100) < 5 {
                out.push(WeighIn {
                    seconds: 18 * 3600 + d.below(3600) as i64,
                    grams: ((trend + d.range(-300.0, 500.0)) / 100.0).round() * 100.0,
                    scale: false,
                });
            }
        }
        out
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct WeighIn {
    pub seconds: i64,
    pub grams: f64,
    pub scale: bool,
}
