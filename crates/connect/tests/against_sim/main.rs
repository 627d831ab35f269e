//! The client against the simulator, over real HTTP: no part of the client is mocked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod faults;
mod hardening;
mod policy;
mod refresh;
mod signin;
