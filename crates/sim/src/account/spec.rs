//! Who, what, when and where for one top-level activity, from (seed, count, position) alone.

use chrono::{DateTime, NaiveDateTime, Timelike};

use super::catalog::{
    DENVER, DEVICES, EDGE540, FENIX5, FR310XT, FR965, GPX_FILE_NAMES, HOSTILE_NAMES, KOLKATA, Kind,
    PARIS, ST_JOHNS, SYDNEY, Source, UTC, ZONES, Zone,
};
use super::rng::{Draws, Purpose};

/// 2026-10-31T00:00:00Z: the newest activity starts shortly before this.
pub(crate) const ANCHOR: i64 = 1_793_404_800;
/// About eight and a half years of history, whatever the account size, so that even a
/// small account reaches back into the older units (before 2019).
pub(crate) const SPAN: f64 = 8.5 * 365.25 * 86_400.0;
/// 2019-01-01T00:00:00Z: list items before this carry Garmin's older units.
pub(crate) const QUIRK_END: i64 = 1_546_300_800;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameSrc {
    Hostile(usize),
    Custom(usize),
    /// Garmin's own default: "<city> <type>".
    Default,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Desc {
    /// The key is missing from the list item (present as null in details).
    Absent,
    Null,
    Empty,
    Short,
    Multiline,
    /// Several KB of text.
    Long,
    Hostile,
}

#[derive(Clone, Debug)]
pub(crate) struct Spec {
    pub seed: u64,
    /// Chronological index, 0 = oldest.
    pub j: usize,
    pub kind: Kind,
    pub source: Source,
    pub device: Option<usize>,
    pub zone: usize,
    pub start: i64,
    pub name: NameSrc,
    pub desc: Desc,
    pub event: usize,
    pub privacy: usize,
    /// A multisport with transition legs between its sports.
    pub transitions: bool,
    pub gpx_file: usize,
}

struct Fixed {
    kind: Kind,
    source: Source,
    device: usize,
    zone: usize,
    name: NameSrc,
    desc: Desc,
}

const fn fx(
    kind: Kind,
    source: Source,
    device: usize,
    zone: usize,
    name: NameSrc,
    desc: Desc,
) -> Fixed {
    Fixed {
        kind,
        source,
        device,
        zone,
        name,
        desc,
    }
}

use Desc as D;
use Kind as K;
use NameSrc::{Custom, Default as Dflt, Hostile as H};
use Source::{Device as Dev, GpxUpload as Gpx, Manual as Man};

/// The newest 30 positions are fixed so that even a 20-activity account holds every kind,
/// every source, every device, every zone and every hostile name.
const NEWEST: [Fixed; 30] = [
    fx(K::Running, Dev, FR965, PARIS, H(0), D::Short),
    fx(K::Cycling, Dev, EDGE540, DENVER, H(1), D::Null),
    fx(K::Multisport, Dev, FR965, SYDNEY, H(2), D::Multiline),
    fx(K::LapSwimming, Dev, FR965, PARIS, H(3), D::Absent),
    fx(K::TrailRunning, Dev, FENIX5, DENVER, H(4), D::Long),
    fx(K::StrengthTraining, Dev, FR965, KOLKATA, H(5), D::Empty),
    fx(K::Running, Man, FR965, PARIS, H(6), D::Short),
    fx(K::Hiking, Gpx, FR965, ST_JOHNS, H(7), D::Null),
    fx(K::TreadmillRunning, Dev, FENIX5, ST_JOHNS, H(8), D::Empty),
    fx(K::IndoorCycling, Dev, EDGE540, PARIS, H(9), D::Absent),
    fx(K::OpenWaterSwimming, Dev, FENIX5, SYDNEY, H(10), D::Long),
    fx(K::Hiking, Dev, FR310XT, KOLKATA, H(11), D::Multiline),
    fx(K::Walking, Dev, FR965, PARIS, H(12), D::Hostile),
    fx(K::VirtualRide, Dev, EDGE540, UTC, H(13), D::Null),
    fx(K::Running, Dev, FR310XT, DENVER, H(14), D::Short),
    fx(K::Multisport, Dev, FENIX5, PARIS, H(15), D::Null),
    fx(K::Cycling, Dev, FENIX5, SYDNEY, H(16), D::Absent),
    fx(K::Running, Gpx, FR965, UTC, H(17), D::Null),
    fx(K::Walking, Man, FR965, KOLKATA, H(18), D::Empty),
    fx(K::Running, Dev, FR965, ST_JOHNS, H(19), D::Multiline),
    fx(K::Running, Dev, FR965, PARIS, Dflt, D::Absent),
    fx(K::Cycling, Dev, EDGE540, DENVER, Dflt, D::Null),
    fx(K::Running, Dev, FR965, PARIS, Dflt, D::Absent),
    fx(K::LapSwimming, Dev, FENIX5, PARIS, Custom(15), D::Short),
    fx(K::Hiking, Dev, FENIX5, DENVER, Dflt, D::Absent),
    fx(K::StrengthTraining, Dev, FR965, PARIS, Dflt, D::Null),
    fx(K::Running, Dev, FENIX5, SYDNEY, Custom(0), D::Absent),
    fx(K::Walking, Dev, FR965, PARIS, Custom(13), D::Empty),
    fx(K::TrailRunning, Dev, FENIX5, DENVER, Dflt, D::Short),
    fx(K::Cycling, Dev, EDGE540, PARIS, Custom(11), D::Null),
];

const KIND_WEIGHTS: [(Kind, u64); 12] = [
    (K::Running, 30),
    (K::Cycling, 15),
    (K::TrailRunning, 6),
    (K::TreadmillRunning, 5),
    (K::IndoorCycling, 4),
    (K::VirtualRide, 3),
    (K::LapSwimming, 6),
    (K::OpenWaterSwimming, 2),
    (K::StrengthTraining, 8),
    (K::Hiking, 5),
    (K::Walking, 8),
    (K::Multisport, 2),
];

const ZONE_WEIGHTS: [(usize, u64); 6] = [
    (PARIS, 50),
    (DENVER, 15),
    (SYDNEY, 10),
    (KOLKATA, 8),
    (ST_JOHNS, 7),
    (UTC, 10),
];

fn weighted<T: Copy>(d: &mut Draws, table: &[(T, u64)]) -> Option<T> {
    let total: u64 = table.iter().map(|(_, w)| w).sum();
    let mut x = d.below(total);
    for (v, w) in table {
        if x < *w {
            return Some(*v);
        }
        x -= w;
    }
    None
}

pub(crate) fn start_time(seed: u64, n: usize, k: usize, zone: &Zone) -> i64 {
    let slot = SPAN / n.max(1) as f64;
    let mut d = Draws::new(seed, k as u64, Purpose::Time);
    let mut t = ANCHOR;
    // Disjoint windows keep positions strictly ordered; a few tries find a daylight hour.
    for _ in 0..8 {
        let u = 0.05 + 0.9 * d.unit();
        t = (ANCHOR as f64 - (k as f64 + u) * slot).floor() as i64;
        let hour = DateTime::from_timestamp(t, 0)
            .map(|utc| utc.with_timezone(&zone.tz).hour())
            .unwrap_or(12);
        if (6..=19).contains(&hour) {
            break;
        }
    }
    t
}

impl Spec {
    pub(crate) fn new(seed: u64, n: usize, k: usize) -> Spec {
        let j = n - 1 - k;
        let mut d = Draws::new(seed, j as u64, Purpose::Kind);
        let (kind, mut source, mut device, zone, name, desc) = if let Some(f) = NEWEST.get(k) {
            (f.kind, f.source, Some(f.device), f.zone, f.name, f.desc)
        } else {
            let kind = weighted(&mut d, &KIND_WEIGHTS).unwrap_or(K::Running);
            let roll = d.below(100);
            let source = if roll < 4 {
                Man
            } else if roll < 8 && kind.has_gps() && kind != K::Multisport {
                Gpx
            } else {
                Dev
            };
            let zone = weighted(
                &mut Draws::new(seed, j as u64, Purpose::Zone),
                &ZONE_WEIGHTS,
            )
            .unwrap_or(PARIS);
            let mut nd = Draws::new(seed, j as u64, Purpose::Name);
            let roll = nd.below(100);
            let name = if roll < 5 {
                H(nd.below(HOSTILE_NAMES as u64) as usize)
            } else if roll < 35 {
                Custom(nd.below(super::catalog::CUSTOM_NAMES.len() as u64) as usize)
            } else {
                Dflt
            };
            let desc = match Draws::new(seed, j as u64, Purpose::Description).below(100) {
                0..40 => D::Absent,
                40..60 => D::Null,
                60..68 => D::Empty,
                68..85 => D::Short,
                85..95 => D::Multiline,
                95..98 => D::Long,
                _ => D::Hostile,
            };
            (kind, source, None, zone, name, desc)
        };
        let start = start_time(seed, n, k, &ZONES[zone]);
        if device.is_none() {
            device = Some(match kind {
                K::Cycling | K::IndoorCycling | K::VirtualRide if start >= 1_672_531_200 => EDGE540,
                _ if start >= 1_672_531_200 => FR965,
                _ if start >= QUIRK_END => FENIX5,
                _ => {
                    if Draws::new(seed, j as u64, Purpose::Device).below(2) == 0 {
                        FR310XT
                    } else {
                        FENIX5
                    }
                }
            });
        }
        if source != Dev {
            device = None;
        }
        if kind == K::Multisport && source == Gpx {
            source = Dev;
        }
        let mut e = Draws::new(seed, j as u64, Purpose::Event);
        let event = match e.below(100) {
            0..70 => 8,
            70..78 => 0,
            78..88 => 3,
            88..93 => 1,
            93..97 => 4,
            _ => 5,
        };
        let event = if kind == K::Multisport { 0 } else { event };
        let privacy = Draws::new(seed, j as u64, Purpose::Privacy).below(10) as usize;
        Spec {
            seed,
            j,
            kind,
            source,
            device,
            zone,
            start,
            name,
            desc,
            event,
            privacy,
            transitions: k == 2 || (k >= NEWEST.len() && e.below(2) == 0),
            gpx_file: (j % GPX_FILE_NAMES.len()),
        }
    }

    pub(crate) fn zone(&self) -> &'static Zone {
        &ZONES[self.zone.min(ZONES.len() - 1)]
    }

    pub(crate) fn device(&self) -> Option<&'static super::catalog::Device> {
        self.device.and_then(|i| DEVICES.get(i))
    }

    pub(crate) fn local(&self, t: i64) -> NaiveDateTime {
        DateTime::from_timestamp(t, 0)
            .map(|utc| utc.with_timezone(&self.zone().tz).naive_local())
            .unwrap_or_default()
    }

    /// Older activities were reported in Garmin's older units (docs/protocol.md, "Calls the backup makes").
    pub(crate) fn old_units(&self) -> bool {
        self.start < QUIRK_END
    }

    /// Multisport legs, in order; empty for any other activity.
    pub(crate) fn legs(&self) -> Vec<Kind> {
        if self.kind != K::Multisport {
            return Vec::new();
        }
        if self.transitions {
            vec![
                K::OpenWaterSwimming,
                K::Transition,
                K::Cycling,
                K::Transition,
                K::Running,
            ]
        } else {
            vec![K::OpenWaterSwimming, K::Cycling, K::Running]
        }
    }
}
