#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The sign-in log test, alone in its own test binary: tracing keeps which log lines are
//! wanted per call site for the whole process, and other tests logging on other threads at
//! the same moment could leave this test's subscriber without the lines it must read (beside
//! the other `against_sim` tests it failed one run in three with "nothing captured").

#[allow(dead_code)]
#[path = "against_sim/common.rs"]
mod common;
#[path = "against_sim/logs.rs"]
mod logs;
