//! The daily schedule with a fake clock and real time zones (chrono-tz's copy of the IANA
//! database): a missed day, wake from sleep, DST days both ways, a refusal that skips the
//! day, problems told once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use chrono_tz::Tz;
use gcexport_backup::schedule::{
    Decision, Need, Notice, Outcome, Schedule, ScheduleState, Waiting, describe_last, slot_on,
};

/// A local wall-clock time in Berlin (unambiguous ones only).
fn berlin(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Berlin
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("{y}-{mo}-{d} {h}:{mi} is not a single Berlin time"))
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid UTC time")
}

fn at(h: u32, m: u32) -> Schedule {
    Schedule {
        at: NaiveTime::from_hms_opt(h, m, 0).expect("valid time"),
        ..Schedule::default()
    }
}

fn wait_until(until: DateTime<Utc>, why: Waiting) -> Decision {
    Decision::Wait {
        until: Some(until),
        why,
    }
}

fn done(n: u64) -> Outcome {
    Outcome::Done { new_activities: n }
}

#[test]
fn the_first_start_runs_at_once() {
    let state = ScheduleState::default();
    // Even before the day's slot: nothing was ever backed up.
    assert_eq!(
        state.decide(&Schedule::default(), berlin(2026, 6, 1, 7, 0), &Berlin),
        Decision::RunNow
    );
}

#[test]
fn once_a_day_then_the_next_days_slot() {
    let s = Schedule::default();
    let mut state = ScheduleState::default();
    assert_eq!(
        state.record(berlin(2026, 6, 1, 9, 3), done(2)),
        Some(Notice::NewActivities { count: 2 })
    );
    for now in [
        berlin(2026, 6, 1, 9, 4),
        berlin(2026, 6, 1, 18, 0),
        berlin(2026, 6, 1, 23, 59),
        berlin(2026, 6, 2, 8, 59),
    ] {
        assert_eq!(
            state.decide(&s, now, &Berlin),
            wait_until(berlin(2026, 6, 2, 9, 0), Waiting::NextSlot),
            "at {now}"
        );
    }
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 2, 9, 0), &Berlin),
        Decision::RunNow
    );
}

#[test]
fn a_run_before_the_slot_counts_for_the_day() {
    // Someone pressed "Back up now" at 07:30: the 09:00 slot does not run a second time.
    let s = Schedule::default();
    let mut state = ScheduleState::default();
    state.record(berlin(2026, 6, 1, 9, 0), done(0));
    state.record(berlin(2026, 6, 2, 7, 30), done(1));
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 2, 9, 30), &Berlin),
        wait_until(berlin(2026, 6, 3, 9, 0), Waiting::NextSlot)
    );
}

#[test]
fn a_missed_day_runs_on_wake_even_before_the_slot() {
    let s = Schedule::default();
    let mut state = ScheduleState::default();
    state.record(berlin(2026, 6, 1, 9, 5), done(0));
    // The laptop slept through all of 2 June; it wakes on 3 June at 07:00, before the slot.
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 3, 7, 0), &Berlin),
        Decision::RunNow
    );
    state.record(berlin(2026, 6, 3, 7, 2), done(5));
    // That run was today's: the 09:00 slot is skipped.
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 3, 9, 0), &Berlin),
        wait_until(berlin(2026, 6, 4, 9, 0), Waiting::NextSlot)
    );
}

#[test]
fn waking_after_todays_slot_runs_at_once() {
    let s = Schedule::default();
    let mut state = ScheduleState::default();
    state.record(berlin(2026, 6, 1, 9, 5), done(0));
    // Asleep from 08:00 to 15:00 on 2 June: the shell asks again on wake.
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 2, 8, 0), &Berlin),
        wait_until(berlin(2026, 6, 2, 9, 0), Waiting::NextSlot)
    );
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 2, 15, 0), &Berlin),
        Decision::RunNow
    );
}

#[test]
fn spring_forward_a_slot_in_the_gap_runs_at_the_end_of_the_gap() {
    // Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST; 02:30 does not exist.
    let s = at(2, 30);
    let day = NaiveDate::from_ymd_opt(2026, 3, 29).expect("date");
    assert_eq!(slot_on(day, s.at, &Berlin), utc(2026, 3, 29, 1, 0)); // 03:00 CEST
    let mut state = ScheduleState::default();
    state.record(berlin(2026, 3, 28, 2, 30), done(0));
    assert_eq!(
        state.decide(&s, berlin(2026, 3, 29, 1, 59), &Berlin),
        wait_until(utc(2026, 3, 29, 1, 0), Waiting::NextSlot)
    );
    assert_eq!(
        state.decide(&s, utc(2026, 3, 29, 1, 0), &Berlin),
        Decision::RunNow
    );
}

#[test]
fn spring_forward_the_day_is_23_hours_long() {
    let s = Schedule::default();
    let mut state = ScheduleState::default();
    state.record(berlin(2026, 3, 28, 9, 0), done(0));
    let next = berlin(2026, 3, 29, 9, 0);
    assert_eq!(next - berlin(2026, 3, 28, 9, 0), Duration::hours(23));
    assert_eq!(
        state.decide(&s, berlin(2026, 3, 28, 12, 0), &Berlin),
        wait_until(next, Waiting::NextSlot)
    );
    // 24 hours after the last run would be 10:00 CEST: the slot is 09:00 local all the same.
    assert_eq!(state.decide(&s, next, &Berlin), Decision::RunNow);
}

#[test]
fn fall_back_a_repeated_slot_runs_once() {
    // Berlin, 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
    let s = at(2, 30);
    let first = utc(2026, 10, 25, 0, 30); // 02:30 CEST
    let second = utc(2026, 10, 25, 1, 30); // 02:30 CET
    let day = NaiveDate::from_ymd_opt(2026, 10, 25).expect("date");
    assert_eq!(slot_on(day, s.at, &Berlin), first);
    let mut state = ScheduleState::default();
    state.record(berlin(2026, 10, 24, 2, 30), done(0));
    assert_eq!(state.decide(&s, first, &Berlin), Decision::RunNow);
    state.record(first + Duration::minutes(1), done(1));
    // Monday's 02:30 CET is 25 hours after Sunday's first 02:30.
    let monday = utc(2026, 10, 26, 1, 30);
    for now in [
        second,
        second + Duration::minutes(15),
        utc(2026, 10, 25, 22, 59),
    ] {
        assert_eq!(
            state.decide(&s, now, &Berlin),
            wait_until(monday, Waiting::NextSlot),
            "at {now}"
        );
    }
}

#[test]
fn fall_back_the_day_is_25_hours_long() {
    let s = Schedule::default();
    let mut state = ScheduleState::default();
    state.record(berlin(2026, 10, 24, 9, 0), done(0));
    let next = berlin(2026, 10, 25, 9, 0);
    assert_eq!(next - berlin(2026, 10, 24, 9, 0), Duration::hours(25));
    // 24 hours later is 08:00 local on the long day: not yet.
    assert_eq!(
        state.decide(
            &s,
            berlin(2026, 10, 24, 9, 0) + Duration::hours(24),
            &Berlin
        ),
        wait_until(next, Waiting::NextSlot)
    );
    assert_eq!(state.decide(&s, next, &Berlin), Decision::RunNow);
}

#[test]
fn a_day_skipped_by_the_time_zone_does_not_hang() {
    // Samoa skipped 30 December 2011 entirely (UTC-10 to UTC+14).
    let apia: Tz = "Pacific/Apia".parse().expect("zone");
    let day = NaiveDate::from_ymd_opt(2011, 12, 30).expect("date");
    let slot = slot_on(day, Schedule::default().at, &apia);
    assert_eq!(
        slot.with_timezone(&apia).date_naive(),
        NaiveDate::from_ymd_opt(2011, 12, 31).expect("date")
    );
}

#[test]
fn garmin_refusing_skips_to_the_next_day_and_is_told_once() {
    let s = Schedule::default();
    let mut state = ScheduleState::default();
    state.record(berlin(2026, 6, 1, 9, 0), done(0));
    assert_eq!(
        state.record(berlin(2026, 6, 2, 9, 1), Outcome::Refused { until: None }),
        Some(Notice::GarminRefusing)
    );
    let tomorrow = berlin(2026, 6, 3, 9, 0);
    for now in [
        berlin(2026, 6, 2, 10, 1),
        berlin(2026, 6, 2, 23, 0),
        berlin(2026, 6, 3, 8, 0),
    ] {
        assert_eq!(
            state.decide(&s, now, &Berlin),
            wait_until(tomorrow, Waiting::Refused),
            "at {now}"
        );
    }
    assert_eq!(state.decide(&s, tomorrow, &Berlin), Decision::RunNow);
    // Refused again the next day: not told a second time.
    assert_eq!(
        state.record(tomorrow, Outcome::Refused { until: None }),
        None
    );
    // Then a good day, then a refusal again: that one is news.
    state.record(berlin(2026, 6, 4, 9, 0), done(0));
    assert_eq!(
        state.record(berlin(2026, 6, 5, 9, 0), Outcome::Refused { until: None }),
        Some(Notice::GarminRefusing)
    );
}

#[test]
fn a_refusal_during_a_catch_up_run_skips_that_days_slot_too() {
    let s = Schedule::default();
    let mut state = ScheduleState::default();
    state.record(berlin(2026, 6, 1, 9, 0), done(0));
    state.record(berlin(2026, 6, 3, 7, 0), Outcome::Refused { until: None });
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 3, 9, 0), &Berlin),
        wait_until(berlin(2026, 6, 4, 9, 0), Waiting::Refused)
    );
}

#[test]
fn a_refusal_with_garmins_own_time_waits_for_the_later_of_the_two() {
    let s = Schedule::default();
    let mut state = ScheduleState::default();
    let until = berlin(2026, 6, 4, 12, 0);
    state.record(
        berlin(2026, 6, 2, 9, 0),
        Outcome::Refused { until: Some(until) },
    );
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 3, 9, 0), &Berlin),
        wait_until(until, Waiting::Refused)
    );
    assert_eq!(state.decide(&s, until, &Berlin), Decision::RunNow);
}

#[test]
fn an_expired_sign_in_is_told_once_and_waits_for_the_person() {
    let s = Schedule::default();
    let mut state = ScheduleState::default();
    state.record(berlin(2026, 6, 1, 9, 0), done(0));
    let expired = Outcome::NeedsPerson { need: Need::SignIn };
    assert_eq!(
        state.record(berlin(2026, 6, 2, 9, 0), expired.clone()),
        Some(Notice::Needs { need: Need::SignIn })
    );
    // Days later, still waiting: no run would get further without the person.
    for now in [berlin(2026, 6, 2, 12, 0), berlin(2026, 6, 9, 9, 0)] {
        assert_eq!(
            state.decide(&s, now, &Berlin),
            Decision::Wait {
                until: None,
                why: Waiting::Person(Need::SignIn)
            }
        );
    }
    // "Back up now" from the tray meets the same expired sign-in: not told again.
    assert_eq!(state.record(berlin(2026, 6, 9, 10, 0), expired), None);
    // The person signs in again: the missed backup runs at once.
    state.person_acted();
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 9, 10, 5), &Berlin),
        Decision::RunNow
    );
}

#[test]
fn a_missing_folder_is_told_once_and_tried_quietly_each_day() {
    let s = Schedule::default();
    let mut state = ScheduleState::default();
    state.record(berlin(2026, 6, 1, 9, 0), done(0));
    let missing = Outcome::NeedsPerson { need: Need::Folder };
    assert_eq!(
        state.record(berlin(2026, 6, 2, 9, 0), missing.clone()),
        Some(Notice::Needs { need: Need::Folder })
    );
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 2, 20, 0), &Berlin),
        wait_until(berlin(2026, 6, 3, 9, 0), Waiting::Person(Need::Folder))
    );
    // The next day it is tried again (the drive may be back), and not told again.
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 3, 9, 0), &Berlin),
        Decision::RunNow
    );
    assert_eq!(
        state.record(berlin(2026, 6, 3, 9, 0), missing.clone()),
        None
    );
    // A full disk is a different problem: told.
    assert_eq!(
        state.record(
            berlin(2026, 6, 4, 9, 0),
            Outcome::NeedsPerson {
                need: Need::DiskSpace
            }
        ),
        Some(Notice::Needs {
            need: Need::DiskSpace
        })
    );
    // Solved, then missing again later: told again.
    assert_eq!(
        state.record(berlin(2026, 6, 5, 9, 0), done(3)),
        Some(Notice::NewActivities { count: 3 })
    );
    assert_eq!(
        state.record(berlin(2026, 6, 6, 9, 0), missing),
        Some(Notice::Needs { need: Need::Folder })
    );
}

#[test]
fn a_full_disk_waits_for_the_next_day() {
    let s = Schedule::default();
    let mut state = ScheduleState::default();
    state.record(berlin(2026, 6, 1, 9, 0), done(0));
    let full = Outcome::NeedsPerson {
        need: Need::DiskSpace,
    };
    assert!(
        state
            .record(berlin(2026, 6, 2, 9, 0), full.clone())
            .is_some()
    );
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 2, 9, 30), &Berlin),
        wait_until(berlin(2026, 6, 3, 9, 0), Waiting::Person(Need::DiskSpace))
    );
    assert!(state.record(berlin(2026, 6, 3, 9, 0), full).is_none());
}

#[test]
fn a_passing_failure_is_retried_an_hour_later() {
    let s = Schedule::default();
    let mut state = ScheduleState::default();
    state.record(berlin(2026, 6, 1, 9, 0), done(0));
    assert_eq!(
        state.record(berlin(2026, 6, 2, 9, 0), Outcome::Failed),
        None
    );
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 2, 9, 30), &Berlin),
        wait_until(berlin(2026, 6, 2, 10, 0), Waiting::Retry)
    );
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 2, 10, 0), &Berlin),
        Decision::RunNow
    );
}

#[test]
fn a_new_run_with_nothing_new_tells_nothing() {
    let mut state = ScheduleState::default();
    assert_eq!(state.record(berlin(2026, 6, 1, 9, 0), done(0)), None);
    assert_eq!(state.last_new, 0);
}

#[test]
fn pause_for_a_day() {
    let s = Schedule::default();
    let mut state = ScheduleState::default();
    state.record(berlin(2026, 6, 1, 9, 0), done(0));
    state.pause_for_a_day(berlin(2026, 6, 2, 8, 0));
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 2, 9, 0), &Berlin),
        wait_until(berlin(2026, 6, 3, 8, 0), Waiting::Paused)
    );
    // After the pause, the missed slot runs at once.
    assert_eq!(
        state.decide(&s, berlin(2026, 6, 3, 8, 0), &Berlin),
        Decision::RunNow
    );
}

#[test]
fn the_state_round_trips_and_an_old_file_still_reads() {
    let mut state = ScheduleState::default();
    state.record(berlin(2026, 6, 1, 9, 0), done(2));
    state.record(
        berlin(2026, 6, 2, 9, 0),
        Outcome::NeedsPerson { need: Need::SignIn },
    );
    state.pause_for_a_day(berlin(2026, 6, 2, 10, 0));
    let text = serde_json::to_string(&state).expect("json");
    assert!(text.contains("\"need\":\"sign_in\""), "{text}");
    let back: ScheduleState = serde_json::from_str(&text).expect("parse");
    assert_eq!(back, state);
    let old: ScheduleState = serde_json::from_str(r#"{"last_new": 4}"#).expect("parse");
    assert_eq!(old.last_new, 4);
    assert_eq!(old.last_success, None);
}

#[test]
fn the_header_says_when_in_words() {
    let now = berlin(2026, 6, 2, 18, 0);
    let d = |t, n| describe_last(t, n, now, &Berlin);
    assert_eq!(d(berlin(2026, 6, 2, 7, 12), 2), "today 07:12, 2 new");
    assert_eq!(
        d(berlin(2026, 6, 1, 21, 3), 0),
        "yesterday 21:03, nothing new"
    );
    assert_eq!(d(berlin(2026, 5, 3, 7, 12), 1), "3 May 07:12, 1 new");
    assert_eq!(d(berlin(2025, 12, 30, 7, 12), 1), "30 Dec 2025, 1 new");
    // Local calendar days, not 24-hour spans: 23:30 UTC on 1 June is already the 2nd here.
    assert_eq!(d(utc(2026, 6, 1, 23, 30), 0), "today 01:30, nothing new");
}
