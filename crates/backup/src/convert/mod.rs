//! GPX and TCX made here from a FIT original, so that a backup can hold tracks without
//! asking Garmin for them (one request per activity), and an account data export (which
//! holds no GPX at all) still gets them.
//!
//! [`decode_fit`] reads the file with our own streaming decoder (fit.rs says why), keeps only
//! what the tracks need, with caps on what a file can make us hold, and salvages what is
//! intact in a damaged file ([`Recording::damage`] says what was wrong). [`write_gpx`] and [`write_tcx`] stream into any writer.
//!
//! Decisions: a recording without any position still gives a valid GPX (metadata and a
//! track with a name and type but no segment), and the engine records such a GPX as
//! unavailable, as Garmin does (it answers "no content"); TCX always has its laps, with
//! trackpoints without `Position`. A multisport file gives one GPX track segment and one TCX
//! activity per leg; [`Recording::session_starting_at`] picks out one leg.

mod fit;
mod gpx;
mod tcx;
mod xml;

use chrono::{DateTime, Utc};

pub use fit::{MAX_FIT_BYTES, MAX_LAPS, MAX_POINTS, MAX_SESSIONS, decode_fit};
pub use gpx::write_gpx;
pub use tcx::write_tcx;

/// Why a conversion failed. A corrupt FIT is [`ConvertError::BadData`], with a message that
/// says what is wrong with the file; a FIT that is not an activity (settings, a workout,
/// monitoring) is [`ConvertError::NotActivity`], naming what it is; writing can fail with
/// [`ConvertError::Io`].
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("{0}")]
    BadData(String),
    #[error("{0}")]
    NotActivity(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl ConvertError {
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            ConvertError::BadData(_) | ConvertError::NotActivity(_) => crate::ErrorKind::BadData,
            ConvertError::Io(_) => crate::ErrorKind::Io,
        }
    }
}

/// What the files name the activity by; the FIT itself has no name.
#[derive(Clone, Copy, Debug, Default)]
pub struct TrackMeta<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    /// Garmin's type key (`running`, `lap_swimming`); else the FIT sport's name is used.
    pub type_key: Option<&'a str>,
    /// The device's name for TCX's `Creator` (`Forerunner 965`); else `Garmin`.
    pub device_name: Option<&'a str>,
}

/// The parts of a FIT activity that GPX and TCX carry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Recording {
    /// When the file was made (`file_id.time_created`).
    pub created: Option<DateTime<Utc>>,
    pub device: Option<Device>,
    /// One per sport: more than one for a multisport activity. Never empty.
    pub sessions: Vec<Session>,
    /// Set when the file is damaged (cut short, a message that cannot be read, a checksum
    /// that does not match): what is wrong. The rest of the recording is then what was
    /// intact before the damage.
    pub damage: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Device {
    /// Garmin's product number (`file_id.garmin_product`).
    pub product: Option<u16>,
    pub serial: Option<u32>,
    /// Software version, e.g. 12.10 as (12, 10).
    pub version: Option<(u16, u16)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    /// The FIT sport number (1 running, 2 cycling, 5 swimming; see [`sport_name`]).
    pub sport: u8,
    pub sub_sport: u8,
    pub start: DateTime<Utc>,
    /// Never empty: a file without lap messages gets one lap over the whole session.
    pub laps: Vec<Lap>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lap {
    pub start: DateTime<Utc>,
    pub timer_s: f64,
    pub distance_m: f64,
    pub max_speed: Option<f64>,
    pub calories: u16,
    pub avg_hr: Option<u8>,
    pub max_hr: Option<u8>,
    pub avg_cadence: Option<u8>,
    pub max_cadence: Option<u8>,
    pub avg_power: Option<u16>,
    pub max_power: Option<u16>,
    pub avg_speed: Option<f64>,
    /// FIT `lap_trigger`: 0 manual, 1 time, 2 distance, 3-6 a position, 7 session end.
    pub trigger: Option<u8>,
    /// FIT `intensity`: 0 active, 1 rest, 2 warm-up, 3 cool-down, ...
    pub intensity: Option<u8>,
    pub points: Vec<Point>,
}

/// One FIT record. Units as GPX and TCX want them: degrees, metres, m/s, bpm.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub time: DateTime<Utc>,
    /// Both or neither, always in range.
    pub position: Option<(f64, f64)>,
    pub altitude: Option<f64>,
    pub distance: Option<f64>,
    pub heart_rate: Option<u8>,
    pub cadence: Option<u8>,
    pub speed: Option<f64>,
    pub power: Option<u16>,
    pub temperature: Option<i8>,
}

impl Recording {
    /// Every point, in order.
    pub fn points(&self) -> impl Iterator<Item = &Point> {
        self.sessions
            .iter()
            .flat_map(|s| s.laps.iter())
            .flat_map(|l| l.points.iter())
    }

    pub fn has_positions(&self) -> bool {
        self.points().any(|p| p.position.is_some())
    }

    pub fn start(&self) -> Option<DateTime<Utc>> {
        self.sessions.first().map(|s| s.start).or(self.created)
    }

    /// Only the session (multisport leg) that starts at `start`, give or take a minute: a
    /// leg's original is its parent's whole file. `None` when no session starts then.
    pub fn session_starting_at(&self, start: DateTime<Utc>) -> Option<Recording> {
        let best = self
            .sessions
            .iter()
            .min_by_key(|s| (s.start - start).num_seconds().unsigned_abs())?;
        if (best.start - start).num_seconds().unsigned_abs() > 60 {
            return None;
        }
        Some(Recording {
            created: self.created,
            device: self.device.clone(),
            sessions: vec![best.clone()],
            damage: self.damage.clone(),
        })
    }
}

/// A first guess at the size of the XML made from a FIT of `fit_len` bytes (XML is about
/// five times larger), capped: the buffer grows if needed, and a large file must not reserve
/// hundreds of megabytes up front.
pub(crate) fn output_guess(fit_len: usize) -> usize {
    fit_len.saturating_mul(5).min(32 * 1024 * 1024)
}

/// What to tell a person whose tracks come from a damaged original: "recovered 14,391
/// points from a damaged original (the FIT file is cut short ...)".
pub fn salvage_note(points: u64, why: &str) -> String {
    let digits = points.to_string();
    let mut n = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            n.push(',');
        }
        n.push(c);
    }
    format!("recovered {n} points from a damaged original ({why})")
}

/// Decodes `fit` and writes it as GPX into a new buffer.
pub fn fit_to_gpx(fit: &[u8], meta: &TrackMeta<'_>) -> Result<Vec<u8>, ConvertError> {
    let rec = decode_fit(fit)?;
    let mut out = Vec::with_capacity(output_guess(fit.len()));
    write_gpx(&rec, meta, &mut out)?;
    Ok(out)
}

/// Decodes `fit` and writes it as TCX into a new buffer.
pub fn fit_to_tcx(fit: &[u8], meta: &TrackMeta<'_>) -> Result<Vec<u8>, ConvertError> {
    let rec = decode_fit(fit)?;
    let mut out = Vec::with_capacity(output_guess(fit.len()));
    write_tcx(&rec, meta, &mut out)?;
    Ok(out)
}

/// The FIT profile's name of a sport number, as Garmin writes it (`running`).
pub fn sport_name(sport: u8) -> &'static str {
    const NAMES: [&str; 22] = [
        "generic",
        "running",
        "cycling",
        "transition",
        "fitness_equipment",
        "swimming",
        "basketball",
        "soccer",
        "tennis",
        "american_football",
        "training",
        "walking",
        "cross_country_skiing",
        "alpine_skiing",
        "snowboarding",
        "rowing",
        "mountaineering",
        "hiking",
        "multisport",
        "paddling",
        "flying",
        "e_biking",
    ];
    NAMES.get(usize::from(sport)).copied().unwrap_or("other")
}
