//! Reading a FIT activity: our own checks of the framing first (the decoder would read
//! records before it ever sees the final checksum), then `fitparser` one message at a time,
//! keeping only what GPX and TCX need.

use chrono::{DateTime, Utc};
use fitparser::Value;
use fitparser::de::{DecodeOption, FitObject, FitStreamProcessor};
use fitparser::profile::MesgNum;

use super::{ConvertError, Device, Lap, Point, Recording, Session};

/// Larger than any recording a device makes (a week at one point a second is ~40 MB).
pub const MAX_FIT_BYTES: usize = 128 * 1024 * 1024;
/// Trackpoints kept; a file claiming more is refused rather than held in memory.
pub const MAX_POINTS: usize = 1_000_000;
pub const MAX_LAPS: usize = 100_000;
pub const MAX_SESSIONS: usize = 1_000;

fn bad(message: impl Into<String>) -> ConvertError {
    ConvertError::BadData(message.into())
}

/// Checks and decodes a FIT activity file. Every failure is [`ConvertError::BadData`]
/// naming what is wrong with the file; nothing in the file can make this panic or hold more
/// than the caps above.
pub fn decode_fit(bytes: &[u8]) -> Result<Recording, ConvertError> {
    check_framing(bytes)?;
    // The checks above keep fitparser off the paths we know to be fragile; this is for the
    // ones we do not know. A decoder bug must fail one file, not the run.
    match std::panic::catch_unwind(|| decode(bytes)) {
        Ok(r) => r,
        Err(_) => Err(bad(
            "the FIT file could not be decoded (the decoder gave up)",
        )),
    }
}

/// FIT's CRC-16 (the SDK's nibble-table form).
pub(crate) fn crc16(mut crc: u16, bytes: &[u8]) -> u16 {
    const TABLE: [u16; 16] = [
        0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401, 0xA001, 0x6C00, 0x7800,
        0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
    ];
    for &b in bytes {
        let t = TABLE[usize::from(crc & 0xF)];
        crc = ((crc >> 4) & 0x0FFF) ^ t ^ TABLE[usize::from(b & 0xF)];
        let t = TABLE[usize::from(crc & 0xF)];
        crc = ((crc >> 4) & 0x0FFF) ^ t ^ TABLE[usize::from((b >> 4) & 0xF)];
    }
    crc
}

fn le_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// Header, sizes and both checksums of every (chained) file in `bytes`.
fn check_framing(bytes: &[u8]) -> Result<(), ConvertError> {
    if bytes.len() > MAX_FIT_BYTES {
        return Err(bad(format!(
            "the FIT file is {} bytes, more than any recording ({} at most)",
            bytes.len(),
            MAX_FIT_BYTES
        )));
    }
    let mut at = 0usize;
    loop {
        let rest = &bytes[at..];
        if rest.len() < 12 {
            return Err(if at == 0 {
                bad(format!(
                    "too short to be a FIT file ({} bytes)",
                    bytes.len()
                ))
            } else {
                bad(format!(
                    "{} stray bytes after the end of the FIT data",
                    rest.len()
                ))
            });
        }
        if &rest[8..12] != b".FIT" {
            return Err(bad("not a FIT file (no .FIT signature in its header)"));
        }
        let header = usize::from(rest[0]);
        if header != 12 && header != 14 {
            return Err(bad(format!(
                "the FIT header says it is {header} bytes long (12 or 14 expected)"
            )));
        }
        if rest.len() < header {
            return Err(bad("the FIT file is cut short inside its header"));
        }
        if header == 14 {
            let stored = le_u16(rest, 12);
            if stored != 0 && crc16(0, &rest[..12]) != stored {
                return Err(bad(
                    "the FIT header's checksum is wrong: the file is corrupt",
                ));
            }
        }
        let data = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let end = header.saturating_add(data);
        if end.saturating_add(2) > rest.len() {
            return Err(bad(format!(
                "the FIT file is cut short: its header promises {data} bytes of records, {} are there",
                rest.len().saturating_sub(header + 2)
            )));
        }
        // Over header and records: the same as over the records alone when the header
        // carries its own (valid) checksum, as a CRC over data and its CRC is zero.
        if crc16(0, &rest[..end]) != le_u16(rest, end) {
            return Err(bad(
                "the FIT file's checksum is wrong: the file is corrupt or was changed",
            ));
        }
        at += end + 2;
        if at == bytes.len() {
            return Ok(());
        }
    }
}

fn decode(bytes: &[u8]) -> Result<Recording, ConvertError> {
    let mut proc = FitStreamProcessor::new();
    // Enums as numbers: product ids stay ids, and names come from our own tables.
    proc.add_option(DecodeOption::ReturnNumericEnumValues);
    let mut input = bytes;
    let mut b = Builder::default();
    while !input.is_empty() {
        let (rest, obj) = proc
            .deserialize_next(input)
            .map_err(|e| bad(format!("the FIT file does not decode: {e}")))?;
        match obj {
            FitObject::Crc(_) => proc.reset(),
            FitObject::DataMessage(m) => {
                let rec = proc
                    .decode_message(m)
                    .map_err(|e| bad(format!("the FIT file does not decode: {e}")))?;
                b.add(&rec)?;
            }
            FitObject::Header(_) | FitObject::DefinitionMessage(_) => {}
        }
        input = rest;
    }
    b.finish()
}

fn field<'a>(r: &'a fitparser::FitDataRecord, name: &str) -> Option<&'a Value> {
    r.fields()
        .iter()
        .find(|f| f.name() == name)
        .map(|f| f.value())
}

fn num(r: &fitparser::FitDataRecord, name: &str) -> Option<f64> {
    let v = match field(r, name)? {
        Value::Float64(x) => *x,
        Value::Float32(x) => f64::from(*x),
        Value::UInt8(x) | Value::UInt8z(x) | Value::Byte(x) | Value::Enum(x) => f64::from(*x),
        Value::SInt8(x) => f64::from(*x),
        Value::UInt16(x) | Value::UInt16z(x) => f64::from(*x),
        Value::SInt16(x) => f64::from(*x),
        Value::UInt32(x) | Value::UInt32z(x) => f64::from(*x),
        Value::SInt32(x) => f64::from(*x),
        Value::SInt64(x) => *x as f64,
        Value::UInt64(x) | Value::UInt64z(x) => *x as f64,
        _ => return None,
    };
    v.is_finite().then_some(v)
}

/// The first of `names` the message has (enhanced fields first: they supersede).
fn num_of(r: &fitparser::FitDataRecord, names: &[&str]) -> Option<f64> {
    names.iter().find_map(|n| num(r, n))
}

fn time(r: &fitparser::FitDataRecord, name: &str) -> Option<DateTime<Utc>> {
    match field(r, name)? {
        Value::Timestamp(t) => Some(t.with_timezone(&Utc)),
        _ => None,
    }
}

fn u8_of(v: Option<f64>) -> Option<u8> {
    v.filter(|x| *x >= 0.0 && *x <= 255.0)
        .map(|x| x.round() as u8)
}

fn u16_of(v: Option<f64>) -> Option<u16> {
    v.filter(|x| *x >= 0.0 && *x <= 65_535.0)
        .map(|x| x.round() as u16)
}

const SEMICIRCLE: f64 = 180.0 / 2_147_483_648.0;

#[derive(Default)]
struct Builder {
    created: Option<DateTime<Utc>>,
    device: Option<Device>,
    software: Option<u16>,
    /// The `sport` message's, for files without sessions.
    sport: Option<(u8, u8)>,
    sessions: Vec<RawSession>,
    /// Each with how many sessions came before it in the file.
    laps: Vec<(u32, Lap)>,
    points: Vec<(Seen, Point)>,
}

/// How many summaries the file had written before a record: the next ones are its own.
#[derive(Clone, Copy)]
struct Seen {
    sessions: u32,
    laps: u32,
}

struct RawSession {
    sport: u8,
    sub_sport: u8,
    start: DateTime<Utc>,
    timer_s: Option<f64>,
    distance_m: Option<f64>,
}

impl Builder {
    fn add(&mut self, r: &fitparser::FitDataRecord) -> Result<(), ConvertError> {
        match r.kind() {
            MesgNum::Record => self.record(r),
            MesgNum::Lap => self.lap(r),
            MesgNum::Session => self.session(r),
            MesgNum::FileId => {
                self.created = time(r, "time_created");
                self.device = Some(Device {
                    product: u16_of(num_of(r, &["garmin_product", "product"])),
                    serial: num(r, "serial_number")
                        .filter(|s| *s >= 0.0 && *s <= f64::from(u32::MAX))
                        .map(|s| s as u32),
                    version: None,
                });
                if let Some(t) = num(r, "type")
                    && t != 4.0
                {
                    return Err(bad(format!(
                        "the FIT file is not an activity (its file type is {t})"
                    )));
                }
                Ok(())
            }
            MesgNum::FileCreator => {
                self.software = u16_of(num(r, "software_version"));
                Ok(())
            }
            MesgNum::Sport => {
                if let Some(s) = u8_of(num(r, "sport")) {
                    self.sport = Some((s, u8_of(num(r, "sub_sport")).unwrap_or(0)));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn record(&mut self, r: &fitparser::FitDataRecord) -> Result<(), ConvertError> {
        let Some(t) = time(r, "timestamp") else {
            // Neither GPX nor TCX can place a point without a time.
            return Ok(());
        };
        if self.points.len() >= MAX_POINTS {
            return Err(bad(format!(
                "the FIT file holds more than {MAX_POINTS} track points"
            )));
        }
        let lat = num(r, "position_lat").map(|v| v * SEMICIRCLE);
        let lon = num(r, "position_long").map(|v| v * SEMICIRCLE);
        let position = match (lat, lon) {
            // GPX wants longitudes below 180 and both within range; anything else is noise.
            (Some(la), Some(lo))
                if (-90.0..=90.0).contains(&la) && (-180.0..180.0).contains(&lo) =>
            {
                Some((la, lo))
            }
            _ => None,
        };
        let seen = Seen {
            sessions: self.sessions.len() as u32,
            laps: self.laps.len() as u32,
        };
        self.points.push((
            seen,
            Point {
                time: t,
                position,
                altitude: num_of(r, &["enhanced_altitude", "altitude"])
                    .filter(|a| (-1000.0..=20_000.0).contains(a)),
                distance: num(r, "distance").filter(|d| *d >= 0.0),
                heart_rate: u8_of(num(r, "heart_rate")).filter(|h| *h > 0 && *h < 255),
                cadence: u8_of(num(r, "cadence")).filter(|c| *c < 255),
                speed: num_of(r, &["enhanced_speed", "speed"]).filter(|s| *s >= 0.0),
                power: u16_of(num(r, "power")).filter(|p| *p < 65_535),
                temperature: num(r, "temperature")
                    .filter(|t| (-127.0..=127.0).contains(t))
                    .map(|t| t as i8),
            },
        ));
        Ok(())
    }

    fn lap(&mut self, r: &fitparser::FitDataRecord) -> Result<(), ConvertError> {
        let Some(start) = time(r, "start_time").or_else(|| time(r, "timestamp")) else {
            return Ok(());
        };
        if self.laps.len() >= MAX_LAPS {
            return Err(bad(format!("the FIT file holds more than {MAX_LAPS} laps")));
        }
        let seen = self.sessions.len() as u32;
        self.laps.push((
            seen,
            Lap {
                start,
                timer_s: num(r, "total_timer_time")
                    .filter(|t| *t >= 0.0)
                    .unwrap_or(0.0),
                distance_m: num(r, "total_distance")
                    .filter(|d| *d >= 0.0)
                    .unwrap_or(0.0),
                max_speed: num_of(r, &["enhanced_max_speed", "max_speed"]).filter(|s| *s >= 0.0),
                calories: u16_of(num(r, "total_calories")).unwrap_or(0),
                avg_hr: u8_of(num(r, "avg_heart_rate")).filter(|h| *h > 0 && *h < 255),
                max_hr: u8_of(num(r, "max_heart_rate")).filter(|h| *h > 0 && *h < 255),
                avg_cadence: u8_of(num(r, "avg_cadence")).filter(|c| *c < 255),
                max_cadence: u8_of(num(r, "max_cadence")).filter(|c| *c < 255),
                avg_power: u16_of(num(r, "avg_power")).filter(|p| *p < 65_535),
                max_power: u16_of(num(r, "max_power")).filter(|p| *p < 65_535),
                avg_speed: num_of(r, &["enhanced_avg_speed", "avg_speed"]).filter(|s| *s >= 0.0),
                trigger: u8_of(num(r, "lap_trigger")),
                intensity: u8_of(num(r, "intensity")),
                points: Vec::new(),
            },
        ));
        Ok(())
    }

    fn session(&mut self, r: &fitparser::FitDataRecord) -> Result<(), ConvertError> {
        let Some(start) = time(r, "start_time").or_else(|| time(r, "timestamp")) else {
            return Ok(());
        };
        if self.sessions.len() >= MAX_SESSIONS {
            return Err(bad(format!(
                "the FIT file holds more than {MAX_SESSIONS} sessions"
            )));
        }
        self.sessions.push(RawSession {
            sport: u8_of(num(r, "sport")).unwrap_or(0),
            sub_sport: u8_of(num(r, "sub_sport")).unwrap_or(0),
            start,
            timer_s: num(r, "total_timer_time").filter(|t| *t >= 0.0),
            distance_m: num(r, "total_distance").filter(|d| *d >= 0.0),
        });
        Ok(())
    }

    /// Laps into sessions and points into laps. Devices write each lap after its records and
    /// each session after its laps, so the file's order says where a record belongs, also
    /// for the record on a boundary that two legs share a second with. A file that writes
    /// every summary at the end says nothing by order: start times decide there.
    fn finish(mut self) -> Result<Recording, ConvertError> {
        if self.sessions.is_empty() {
            let start = self
                .laps
                .iter()
                .map(|(_, l)| l.start)
                .chain(self.points.iter().map(|(_, p)| p.time))
                .min()
                .ok_or_else(|| {
                    bad("the FIT file holds no activity: no session, lap or track point")
                })?;
            let (sport, sub_sport) = self.sport.unwrap_or((0, 0));
            self.sessions.push(RawSession {
                sport,
                sub_sport,
                start,
                timer_s: None,
                distance_m: None,
            });
        }
        let n = self.sessions.len();
        // By order only when the records themselves are spread between the sessions.
        let by_order = n > 1
            && self
                .points
                .first()
                .zip(self.points.last())
                .is_some_and(|((a, _), (b, _))| a.sessions != b.sessions);
        if !by_order {
            self.sessions.sort_by_key(|s| s.start);
        }
        let starts: Vec<DateTime<Utc>> = self.sessions.iter().map(|s| s.start).collect();
        let session_of = |seen: u32, t: DateTime<Utc>| {
            if by_order {
                (seen as usize).min(n - 1)
            } else {
                starts.partition_point(|s| *s <= t).saturating_sub(1)
            }
        };
        let mut laps_by_session: Vec<Vec<(usize, Lap)>> = (0..n).map(|_| Vec::new()).collect();
        for (index, (seen, lap)) in self.laps.into_iter().enumerate() {
            laps_by_session[session_of(seen, lap.start)].push((index, lap));
        }
        let mut points_by_session: Vec<Vec<(u32, Point)>> = (0..n).map(|_| Vec::new()).collect();
        for (o, p) in self.points {
            points_by_session[session_of(o.sessions, p.time)].push((o.laps, p));
        }
        let mut sessions = Vec::with_capacity(n);
        for ((raw, mut laps), points) in self
            .sessions
            .into_iter()
            .zip(laps_by_session)
            .zip(points_by_session)
        {
            if laps.is_empty() {
                let only: Vec<Point> = points.iter().map(|(_, p)| *p).collect();
                laps.push((usize::MAX, whole_lap(&raw, &only)));
            }
            let lap_order = laps.len() > 1
                && points
                    .first()
                    .zip(points.last())
                    .is_some_and(|(a, b)| a.0 != b.0);
            if !lap_order {
                laps.sort_by_key(|(_, l)| l.start);
            }
            let last = laps.len() - 1;
            for (seen, p) in points {
                let i = if lap_order {
                    laps.partition_point(|(index, _)| *index < seen as usize)
                } else {
                    laps.partition_point(|(_, l)| l.start <= p.time)
                        .saturating_sub(1)
                };
                laps[i.min(last)].1.points.push(p);
            }
            sessions.push(Session {
                sport: raw.sport,
                sub_sport: raw.sub_sport,
                start: raw.start,
                laps: laps.into_iter().map(|(_, l)| l).collect(),
            });
        }
        let mut device = self.device;
        if let (Some(d), Some(v)) = (device.as_mut(), self.software) {
            d.version = Some((v / 100, v % 100));
        }
        Ok(Recording {
            created: self.created,
            device,
            sessions,
        })
    }
}

/// One lap over a whole session, for files that record none.
fn whole_lap(s: &RawSession, points: &[Point]) -> Lap {
    let span = match (points.first(), points.last()) {
        (Some(a), Some(b)) => (b.time - a.time).num_milliseconds() as f64 / 1000.0,
        _ => 0.0,
    };
    let dist = match (
        points.iter().find_map(|p| p.distance),
        points.iter().rev().find_map(|p| p.distance),
    ) {
        (Some(a), Some(b)) if b >= a => b - a,
        _ => 0.0,
    };
    Lap {
        start: s.start,
        timer_s: s.timer_s.unwrap_or(span),
        distance_m: s.distance_m.unwrap_or(dist),
        max_speed: None,
        calories: 0,
        avg_hr: None,
        max_hr: None,
        avg_cadence: None,
        max_cadence: None,
        avg_power: None,
        max_power: None,
        avg_speed: None,
        trigger: None,
        intensity: None,
        points: Vec::new(),
    }
}
