//! When the daily automatic backup runs: a pure function of what happened before and the
//! clock, so that every rule (a missed day, sleep, DST, a refusal, an expired sign-in) is
//! tested with a fake clock. The shells own the timers; they ask [`ScheduleState::decide`]
//! what to do and [`ScheduleState::record`] what happened. docs/schedule.md explains the rules.
//!
//! The rules, anacron's in the local calendar:
//! - there is one *slot* per local day, at [`Schedule::at`] (DST: a slot inside a
//!   spring-forward gap moves to the end of the gap; a slot repeated by a fall-back is the
//!   first of the two);
//! - a run is due when no backup succeeded since the latest slot that has passed, and none
//!   succeeded on today's local date (so never twice in a day, and at once on wake when a
//!   day was missed);
//! - after Garmin refused (429, a CDN block page) nothing runs again that local day, nor before
//!   the time Garmin named;
//! - an expired sign-in waits for the person (the schedule never signs in with a password:
//!   only the saved sign-in is used); a missing folder or a full disk is tried again quietly
//!   once a day; each of these is told once, not at every try;
//! - an offline or server failure is retried after [`Schedule::retry_after`].

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// When in the local day the backup runs, and how soon a failed attempt is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub at: NaiveTime,
    pub retry_after: Duration,
}

/// The slot's default local time; the CLI's OS timers use the same one.
pub const DEFAULT_AT: (u32, u32) = (9, 0);

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            at: NaiveTime::from_hms_opt(DEFAULT_AT.0, DEFAULT_AT.1, 0).unwrap_or(NaiveTime::MIN),
            retry_after: Duration::hours(1),
        }
    }
}

/// Something only the person can fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// The saved sign-in is gone or expired: the person must sign in again.
    SignIn,
    /// The backup folder is not there (an unplugged drive, a moved folder).
    Folder,
    /// The disk of the backup folder is full.
    DiskSpace,
}

/// How one attempt ended, as the shell classifies the engine's report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The run finished (some activities may have failed: the next run retries them).
    Done {
        new_activities: u64,
    },
    /// Garmin or its CDN refused (429, a block page): not again today, nor before `until`.
    Refused {
        until: Option<DateTime<Utc>>,
    },
    NeedsPerson {
        need: Need,
    },
    /// Offline, a server error: worth another try later today.
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub outcome: Outcome,
}

/// What the person is told, once per event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// One notification for the whole run, however many activities it saved.
    NewActivities {
        count: u64,
    },
    Needs {
        need: Need,
    },
    GarminRefusing,
}

/// Why nothing runs now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// Today's backup is done, or today's slot has not come yet.
    NextSlot,
    /// "Pause for a day".
    Paused,
    /// Garmin refused: the next day (or Garmin's time, if later).
    Refused,
    /// The last attempt failed for a passing reason.
    Retry,
    /// Waiting for the person; `until` is `None` for a sign-in (only the person can do it).
    Person(Need),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    RunNow,
    /// Ask again at `until` (`None`: only when something changes).
    Wait {
        until: Option<DateTime<Utc>>,
        why: Waiting,
    },
}

/// Everything the schedule remembers between starts (saved as JSON by the shell).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduleState {
    pub last_success: Option<DateTime<Utc>>,
    /// New activities saved by the last successful run.
    pub last_new: u64,
    pub last_attempt: Option<Attempt>,
    pub paused_until: Option<DateTime<Utc>>,
    /// What the person was last told about a problem, so that it is told once.
    pub told: Option<Notice>,
}

impl ScheduleState {
    /// Whether to run now, and if not, when to ask again.
    pub fn decide<Tz: TimeZone>(
        &self,
        schedule: &Schedule,
        now: DateTime<Utc>,
        tz: &Tz,
    ) -> Decision {
        let today = local_date(now, tz);
        let succeeded_today = self
            .last_success
            .is_some_and(|s| local_date(s, tz) == today);
        // A slot on a day that already had its backup does not count.
        let next_slot = |after: DateTime<Utc>, skip: &[NaiveDate]| -> DateTime<Utc> {
            let mut day = local_date(after, tz);
            loop {
                let slot = slot_on(day, schedule.at, tz);
                if slot > after && !skip.contains(&day) {
                    return slot;
                }
                day = day.succ_opt().unwrap_or(day);
            }
        };
        let success_day: Vec<NaiveDate> = self
            .last_success
            .map(|s| local_date(s, tz))
            .into_iter()
            .collect();

        if let Some(until) = self.paused_until.filter(|u| *u > now) {
            return Decision::Wait {
                until: Some(until),
                why: Waiting::Paused,
            };
        }
        if let Some(attempt) = &self.last_attempt {
            let newer_than_success = self.last_success.is_none_or(|s| attempt.at > s);
            match &attempt.outcome {
                Outcome::NeedsPerson { need: Need::SignIn } if newer_than_success => {
                    return Decision::Wait {
                        until: None,
                        why: Waiting::Person(Need::SignIn),
                    };
                }
                Outcome::NeedsPerson { need } if newer_than_success => {
                    // Quietly once a day: a drive is plugged back in, space is freed.
                    let day = local_date(attempt.at, tz);
                    if today == day {
                        let until = next_slot(attempt.at, &[day]);
                        return Decision::Wait {
                            until: Some(until),
                            why: Waiting::Person(*need),
                        };
                    }
                }
                Outcome::Refused { until } if newer_than_success => {
                    let day = local_date(attempt.at, tz);
                    let next_day = next_slot(attempt.at, &[day]);
                    let earliest = until.map_or(next_day, |u| u.max(next_day));
                    if now < earliest {
                        return Decision::Wait {
                            until: Some(earliest),
                            why: Waiting::Refused,
                        };
                    }
                }
                Outcome::Failed if newer_than_success => {
                    let retry = attempt.at + schedule.retry_after;
                    if now < retry && !succeeded_today {
                        return Decision::Wait {
                            until: Some(retry),
                            why: Waiting::Retry,
                        };
                    }
                }
                _ => {}
            }
        }
        let latest_slot = latest_slot(now, schedule.at, tz);
        let missed = self.last_success.is_none_or(|s| s < latest_slot);
        if missed && !succeeded_today {
            Decision::RunNow
        } else {
            Decision::Wait {
                until: Some(next_slot(now, &success_day)),
                why: Waiting::NextSlot,
            }
        }
    }

    /// Records how an attempt (automatic or asked for) ended; returns what to tell the
    /// person, if anything: each problem once, new activities once per run.
    pub fn record(&mut self, at: DateTime<Utc>, outcome: Outcome) -> Option<Notice> {
        let notice = match &outcome {
            Outcome::Done { new_activities } => {
                self.last_success = Some(at);
                self.last_new = *new_activities;
                self.told = None;
                (*new_activities > 0).then_some(Notice::NewActivities {
                    count: *new_activities,
                })
            }
            Outcome::Refused { .. } => self.tell_once(Notice::GarminRefusing),
            Outcome::NeedsPerson { need } => self.tell_once(Notice::Needs { need: *need }),
            Outcome::Failed => None,
        };
        self.last_attempt = Some(Attempt { at, outcome });
        notice
    }

    fn tell_once(&mut self, notice: Notice) -> Option<Notice> {
        if self.told == Some(notice) {
            return None;
        }
        self.told = Some(notice);
        Some(notice)
    }

    /// The person fixed something (signed in again, chose a folder): ask again at once.
    pub fn person_acted(&mut self) {
        if matches!(
            self.last_attempt,
            Some(Attempt {
                outcome: Outcome::NeedsPerson { .. },
                ..
            })
        ) {
            self.last_attempt = None;
            self.told = None;
        }
    }

    /// "Pause for a day": nothing runs by itself for 24 hours.
    pub fn pause_for_a_day(&mut self, now: DateTime<Utc>) {
        self.paused_until = Some(now + Duration::hours(24));
    }
}

fn local_date<Tz: TimeZone>(t: DateTime<Utc>, tz: &Tz) -> NaiveDate {
    t.with_timezone(tz).date_naive()
}

/// The day's slot as an instant. A local time that does not exist that day (a
/// spring-forward gap) becomes the first minute after the gap; one that exists twice (a
/// fall-back) is the earlier.
pub fn slot_on<Tz: TimeZone>(day: NaiveDate, at: NaiveTime, tz: &Tz) -> DateTime<Utc> {
    let mut local = day.and_time(at);
    // Gaps are at most a few hours (time zone changes of a whole day are rare: Samoa 2011
    // skipped one; then the slot is that day's first minute after the skip).
    for _ in 0..(26 * 60) {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => local += Duration::minutes(1),
        }
    }
    local.and_utc()
}

/// The latest slot at or before `now`.
fn latest_slot<Tz: TimeZone>(now: DateTime<Utc>, at: NaiveTime, tz: &Tz) -> DateTime<Utc> {
    let mut day = local_date(now, tz);
    loop {
        let slot = slot_on(day, at, tz);
        if slot <= now {
            return slot;
        }
        match day.pred_opt() {
            Some(d) => day = d,
            None => return slot,
        }
    }
}

/// "today 07:12, 2 new": the header's words for the last backup.
pub fn describe_last<Tz: TimeZone>(
    success: DateTime<Utc>,
    new_activities: u64,
    now: DateTime<Utc>,
    tz: &Tz,
) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let local = success.with_timezone(tz);
    let today = local_date(now, tz);
    let day = local.date_naive();
    let when = if day == today {
        format!("today {}", local.format("%H:%M"))
    } else if today.pred_opt() == Some(day) {
        format!("yesterday {}", local.format("%H:%M"))
    } else if local.format("%Y").to_string() == now.with_timezone(tz).format("%Y").to_string() {
        local.format("%-d %b %H:%M").to_string()
    } else {
        local.format("%-d %b %Y").to_string()
    };
    let what = match new_activities {
        0 => "nothing new".to_owned(),
        n => format!("{n} new"),
    };
    format!("{when}, {what}")
}
