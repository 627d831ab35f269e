//! Reading a FIT activity with our own streaming decoder of the few messages GPX and TCX
//! need (file id, file creator, sport, record, lap, session). Every other message, every
//! developer field and every field we do not use is stepped over by the sizes its definition
//! gives, so developer data, unknown messages and odd field sizes never fail a file.
//!
//! Why not `fitparser`: on real devices' files it refused every file with developer fields,
//! refused chained files, gave nothing from a damaged file, and printed to stderr
//! (BENCHMARKS.md has the comparison). The format is public (Garmin's FIT protocol): a
//! header, then records that are either a definition (the layout of a local message type)
//! or data laid out by the last definition of its type, then a CRC; files may be chained.
//!
//! What a damaged file gives: every message that is whole, up to the first cut, undefined
//! message or impossible definition, with [`Recording::damage`] saying what was wrong. A
//! checksum mismatch alone keeps every message (the damage may be anywhere, and Garmin's
//! FIT SDK reads them all too). Nothing is printed: diagnostics go through `tracing`.

use chrono::{DateTime, Utc};

use super::{ConvertError, Device, Lap, Point, Recording, Session};

/// Larger than any recording a device makes (a week at one point a second is ~40 MB).
pub const MAX_FIT_BYTES: usize = 128 * 1024 * 1024;
/// Trackpoints kept; a file claiming more is refused rather than held in memory.
pub const MAX_POINTS: usize = 1_000_000;
pub const MAX_LAPS: usize = 100_000;
pub const MAX_SESSIONS: usize = 1_000;

/// Seconds from the Unix epoch to FIT's (1989-12-31 00:00 UTC).
const FIT_EPOCH: i64 = 631_065_600;
const SEMICIRCLE: f64 = 180.0 / 2_147_483_648.0;

// Global message numbers and the FIT file type of an activity.
const FILE_ID: u16 = 0;
const SPORT: u16 = 12;
const SESSION: u16 = 18;
const LAP: u16 = 19;
const RECORD: u16 = 20;
const FILE_CREATOR: u16 = 49;
const ACTIVITY: u8 = 4;
const TIMESTAMP: u8 = 253;

fn bad(message: impl Into<String>) -> ConvertError {
    ConvertError::BadData(message.into())
}

/// Checks and decodes a FIT activity file. A file that is not a FIT file, holds no activity
/// or whose damage leaves nothing usable is an error naming what is wrong with it; a damaged
/// file with usable data before the damage gives that data, with [`Recording::damage`] set.
/// Nothing in the file can make this panic or hold more than the caps above.
pub fn decode_fit(bytes: &[u8]) -> Result<Recording, ConvertError> {
    if bytes.len() > MAX_FIT_BYTES {
        return Err(bad(format!(
            "the FIT file is {} bytes, more than any recording ({} at most)",
            bytes.len(),
            MAX_FIT_BYTES
        )));
    }
    let mut b = Builder::default();
    let damage = read(bytes, &mut b)?;
    if let Some(d) = &damage {
        // Not a warning: the caller says it to the person, with the number of points kept.
        tracing::info!(damage = %d, "a damaged FIT file: keeping what comes before the damage");
    }
    let mut rec = b.finish(damage.is_some())?;
    rec.damage = damage;
    Ok(rec)
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

/// The layout of one local message type.
#[derive(Clone, Default)]
struct Definition {
    global: u16,
    big_endian: bool,
    /// (field number, offset in the message, size, base type) of the fields we may use.
    fields: Vec<(u8, usize, usize, u8)>,
    /// Bytes of one data message, developer fields included.
    size: usize,
}

/// Reads every chained file in `bytes` into `b`. `Ok(Some(why))`: damaged, `b` holds what
/// came before the damage. `Err`: not a FIT file at all.
fn read(bytes: &[u8], b: &mut Builder) -> Result<Option<String>, ConvertError> {
    let mut at = 0usize;
    let mut damage = None;
    loop {
        let rest = &bytes[at..];
        if at > 0 && rest.is_empty() {
            return Ok(damage);
        }
        if rest.len() < 12 || &rest[8..12] != b".FIT" {
            if at == 0 {
                return Err(if rest.len() < 12 {
                    bad(format!(
                        "too short to be a FIT file ({} bytes)",
                        bytes.len()
                    ))
                } else {
                    bad("not a FIT file (no .FIT signature in its header)")
                });
            }
            return Ok(Some(format!(
                "{} stray bytes after the end of the FIT data",
                rest.len()
            )));
        }
        let header = usize::from(rest[0]);
        if header != 12 && header != 14 {
            let m = format!("the FIT header says it is {header} bytes long (12 or 14 expected)");
            return if at == 0 { Err(bad(m)) } else { Ok(Some(m)) };
        }
        if rest.len() < header {
            return Ok(Some("the FIT file is cut short inside a header".into()));
        }
        if header == 14 {
            let stored = le_u16(rest, 12);
            if stored != 0 && crc16(0, &rest[..12]) != stored && damage.is_none() {
                damage = Some("the FIT header's checksum is wrong".to_string());
            }
        }
        let data = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let end = header.saturating_add(data);
        let there = rest.len().min(end);
        if let Err(why) = messages(&rest[header..there], at + header, b) {
            return Ok(Some(why));
        }
        if end.saturating_add(2) > rest.len() {
            return Ok(Some(format!(
                "the FIT file is cut short: its header promises {data} bytes of records, {} are there",
                rest.len().saturating_sub(header + 2).min(data)
            )));
        }
        // Over header and records: the same as over the records alone when the header
        // carries its own (valid) checksum, as a CRC over data and its CRC is zero.
        if crc16(0, &rest[..end]) != le_u16(rest, end) && damage.is_none() {
            damage = Some("the FIT file's checksum is wrong: it is corrupt or was changed".into());
        }
        at += end + 2;
    }
}

/// Walks the records of one file; `Err` says where and why it had to stop.
fn messages(data: &[u8], base: usize, b: &mut Builder) -> Result<(), String> {
    let mut defs: [Option<Definition>; 16] = Default::default();
    let mut last_time: Option<u32> = None;
    let mut values: Vec<(u8, f64)> = Vec::with_capacity(32);
    let mut at = 0usize;
    let cut = |at: usize| {
        format!(
            "the FIT file is cut short inside a message at byte {}",
            base + at
        )
    };
    while at < data.len() {
        let h = data[at];
        at += 1;
        if h & 0x80 != 0 {
            // Compressed timestamp header: 5 bits of seconds on top of the last full time.
            let local = usize::from((h >> 5) & 0x03);
            let offset = u32::from(h & 0x1F);
            let Some(def) = &defs[local] else {
                return Err(undefined(base + at - 1, local));
            };
            let msg = data.get(at..at + def.size).ok_or_else(|| cut(at))?;
            at += def.size;
            let time = last_time.map(|last| {
                let t = (last & !0x1F).wrapping_add(offset);
                if offset >= last & 0x1F {
                    t
                } else {
                    t.wrapping_add(0x20)
                }
            });
            if let Some(t) = time {
                last_time = Some(t);
            }
            fields(def, msg, &mut values);
            if let Some(t) = time
                && !values.iter().any(|(n, _)| *n == TIMESTAMP)
            {
                values.push((TIMESTAMP, f64::from(t)));
            }
            b.add(def.global, &values).map_err(|e| e.to_string())?;
        } else if h & 0x40 != 0 {
            let local = usize::from(h & 0x0F);
            let developer = h & 0x20 != 0;
            let fixed = data.get(at..at + 5).ok_or_else(|| cut(at))?;
            let big_endian = match fixed[1] {
                0 => false,
                1 => true,
                other => {
                    return Err(format!(
                        "a FIT message definition at byte {} names an unknown byte order ({other})",
                        base + at - 1
                    ));
                }
            };
            let global = if big_endian {
                u16::from_be_bytes([fixed[2], fixed[3]])
            } else {
                u16::from_le_bytes([fixed[2], fixed[3]])
            };
            let n = usize::from(fixed[4]);
            at += 5;
            let list = data.get(at..at + 3 * n).ok_or_else(|| cut(at))?;
            at += 3 * n;
            let mut def = Definition {
                global,
                big_endian,
                fields: Vec::new(),
                size: 0,
            };
            for f in list.chunks_exact(3) {
                let (num, size, base_type) = (f[0], usize::from(f[1]), f[2]);
                if wanted(global) {
                    def.fields.push((num, def.size, size, base_type));
                }
                def.size += size;
            }
            if developer {
                let count = usize::from(*data.get(at).ok_or_else(|| cut(at))?);
                at += 1;
                let list = data.get(at..at + 3 * count).ok_or_else(|| cut(at))?;
                at += 3 * count;
                // Developer fields (Connect IQ data fields, Wahoo's own): their sizes are
                // all we need to step over them; their meaning is not GPX's or TCX's.
                def.size += list
                    .chunks_exact(3)
                    .map(|f| usize::from(f[1]))
                    .sum::<usize>();
                if count > 0 {
                    tracing::debug!(global, count, "FIT developer fields skipped");
                }
            }
            defs[local] = Some(def);
        } else {
            let local = usize::from(h & 0x0F);
            let Some(def) = &defs[local] else {
                return Err(undefined(base + at - 1, local));
            };
            let msg = data.get(at..at + def.size).ok_or_else(|| cut(at))?;
            at += def.size;
            fields(def, msg, &mut values);
            if let Some((_, t)) = values.iter().find(|(n, _)| *n == TIMESTAMP) {
                last_time = Some(*t as u32);
            }
            b.add(def.global, &values).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn undefined(at: usize, local: usize) -> String {
    format!("the FIT file has a message of an undefined type ({local}) at byte {at}")
}

fn wanted(global: u16) -> bool {
    matches!(
        global,
        FILE_ID | SPORT | SESSION | LAP | RECORD | FILE_CREATOR
    )
}

/// The valid single values of `msg`'s fields, as numbers before scale and offset. A field
/// whose size is not its base type's (an array, or a device's odd size) is not one value:
/// it is left out, as GPX and TCX have no use for arrays.
fn fields(def: &Definition, msg: &[u8], out: &mut Vec<(u8, f64)>) {
    out.clear();
    if !wanted(def.global) {
        return;
    }
    for &(num, offset, size, base_type) in &def.fields {
        let Some(raw) = msg.get(offset..offset + size) else {
            continue;
        };
        if let Some(v) = value(base_type, raw, def.big_endian) {
            out.push((num, v));
        }
    }
}

fn value(base_type: u8, raw: &[u8], big_endian: bool) -> Option<f64> {
    macro_rules! int {
        ($t:ty, $n:expr, $invalid:expr) => {{
            let a: [u8; $n] = raw.try_into().ok()?;
            let v = if big_endian {
                <$t>::from_be_bytes(a)
            } else {
                <$t>::from_le_bytes(a)
            };
            (v != $invalid).then_some(v as f64)
        }};
    }
    match base_type & 0x1F {
        0x00 => int!(u8, 1, 0xFF),
        0x01 => int!(i8, 1, 0x7F),
        0x02 => int!(u8, 1, 0xFF),
        0x03 => int!(i16, 2, 0x7FFF),
        0x04 => int!(u16, 2, 0xFFFF),
        0x05 => int!(i32, 4, 0x7FFF_FFFF),
        0x06 => int!(u32, 4, 0xFFFF_FFFF),
        0x08 => {
            let a: [u8; 4] = raw.try_into().ok()?;
            let v = if big_endian {
                f32::from_be_bytes(a)
            } else {
                f32::from_le_bytes(a)
            };
            v.is_finite().then_some(f64::from(v))
        }
        0x09 => {
            let a: [u8; 8] = raw.try_into().ok()?;
            let v = if big_endian {
                f64::from_be_bytes(a)
            } else {
                f64::from_le_bytes(a)
            };
            v.is_finite().then_some(v)
        }
        0x0A => int!(u8, 1, 0),
        0x0B => int!(u16, 2, 0),
        0x0C => int!(u32, 4, 0),
        0x0E => int!(i64, 8, 0x7FFF_FFFF_FFFF_FFFF),
        0x0F => int!(u64, 8, 0xFFFF_FFFF_FFFF_FFFF),
        0x10 => int!(u64, 8, 0),
        // Strings and bytes: none of the fields we use.
        _ => None,
    }
}

fn get(values: &[(u8, f64)], num: u8) -> Option<f64> {
    values.iter().find(|(n, _)| *n == num).map(|(_, v)| *v)
}

/// The first of `nums` the message has (enhanced fields first: they supersede).
fn get_of(values: &[(u8, f64)], nums: &[u8]) -> Option<f64> {
    nums.iter().find_map(|n| get(values, *n))
}

fn time_of(v: Option<f64>) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(FIT_EPOCH + v? as i64, 0)
}

fn u8_of(v: Option<f64>) -> Option<u8> {
    v.filter(|x| *x >= 0.0 && *x <= 255.0)
        .map(|x| x.round() as u8)
}

fn u16_of(v: Option<f64>) -> Option<u16> {
    v.filter(|x| *x >= 0.0 && *x <= 65_535.0)
        .map(|x| x.round() as u16)
}

/// The FIT profile's name of a file type, for a file that is not an activity.
fn file_type_name(t: u8) -> String {
    match t {
        1 => "a device file".into(),
        2 => "a settings file".into(),
        3 => "a sport settings file".into(),
        5 => "a workout".into(),
        6 => "a course".into(),
        7 => "a schedule".into(),
        9 => "a weight scale file".into(),
        10 => "a totals file".into(),
        11 => "a goals file".into(),
        14 => "a blood pressure file".into(),
        15 | 32 => "a monitoring file".into(),
        20 => "an activity summary".into(),
        28 => "a daily monitoring file".into(),
        34 | 35 => "a segment file".into(),
        other => format!("a file of FIT type {other}"),
    }
}

#[derive(Default)]
struct Builder {
    created: Option<DateTime<Utc>>,
    device: Option<Device>,
    software: Option<u16>,
    /// The type of the file being read, from its file id; a chained file without a file id
    /// goes on with the type of the one before it.
    file_type: Option<u8>,
    /// The first type of a file that is not an activity, to say what the file is.
    other_type: Option<u8>,
    seen_activity: bool,
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
    /// Whether the messages being read belong to an activity (or to a file that never said).
    fn in_activity(&self) -> bool {
        self.file_type.is_none_or(|t| t == ACTIVITY)
    }

    fn add(&mut self, global: u16, v: &[(u8, f64)]) -> Result<(), ConvertError> {
        if global == FILE_ID {
            return self.file_id(v);
        }
        if !self.in_activity() {
            return Ok(());
        }
        match global {
            RECORD => self.record(v),
            LAP => self.lap(v),
            SESSION => self.session(v),
            FILE_CREATOR => {
                self.software = u16_of(get(v, 0));
                Ok(())
            }
            SPORT => {
                if let Some(s) = u8_of(get(v, 0)) {
                    self.sport = Some((s, u8_of(get(v, 1)).unwrap_or(0)));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn file_id(&mut self, v: &[(u8, f64)]) -> Result<(), ConvertError> {
        let t = u8_of(get(v, 0));
        self.file_type = t;
        match t {
            Some(ACTIVITY) | None => {
                if self.seen_activity {
                    // A second activity in a chain: its summaries follow on from the first's.
                    return Ok(());
                }
                self.seen_activity = true;
                self.created = time_of(get(v, 4));
                self.device = Some(Device {
                    product: u16_of(get(v, 2)),
                    serial: get(v, 3)
                        .filter(|s| *s >= 0.0 && *s <= f64::from(u32::MAX))
                        .map(|s| s as u32),
                    version: None,
                });
            }
            Some(other) => {
                self.other_type.get_or_insert(other);
            }
        }
        Ok(())
    }

    fn record(&mut self, v: &[(u8, f64)]) -> Result<(), ConvertError> {
        let Some(t) = time_of(get(v, TIMESTAMP)) else {
            // Neither GPX nor TCX can place a point without a time.
            return Ok(());
        };
        if self.points.len() >= MAX_POINTS {
            return Err(bad(format!(
                "the FIT file holds more than {MAX_POINTS} track points"
            )));
        }
        let lat = get(v, 0).map(|x| x * SEMICIRCLE);
        let lon = get(v, 1).map(|x| x * SEMICIRCLE);
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
                // enhanced_altitude, altitude: metres * 5 + 500.
                altitude: get_of(v, &[78, 2])
                    .map(|a| a / 5.0 - 500.0)
                    .filter(|a| (-1000.0..=20_000.0).contains(a)),
                distance: get(v, 5).map(|d| d / 100.0).filter(|d| *d >= 0.0),
                heart_rate: u8_of(get(v, 3)).filter(|h| *h > 0 && *h < 255),
                cadence: u8_of(get(v, 4)).filter(|c| *c < 255),
                // enhanced_speed, speed: mm/s.
                speed: get_of(v, &[73, 6])
                    .map(|s| s / 1000.0)
                    .filter(|s| *s >= 0.0),
                power: u16_of(get(v, 7)).filter(|p| *p < 65_535),
                temperature: get(v, 13)
                    .filter(|t| (-127.0..=127.0).contains(t))
                    .map(|t| t as i8),
            },
        ));
        Ok(())
    }

    fn lap(&mut self, v: &[(u8, f64)]) -> Result<(), ConvertError> {
        let Some(start) = time_of(get(v, 2)).or_else(|| time_of(get(v, TIMESTAMP))) else {
            return Ok(());
        };
        if self.laps.len() >= MAX_LAPS {
            return Err(bad(format!("the FIT file holds more than {MAX_LAPS} laps")));
        }
        let seen = self.sessions.len() as u32;
        let speed = |nums: &[u8]| get_of(v, nums).map(|s| s / 1000.0).filter(|s| *s >= 0.0);
        self.laps.push((
            seen,
            Lap {
                start,
                timer_s: get(v, 8)
                    .map(|t| t / 1000.0)
                    .filter(|t| *t >= 0.0)
                    .unwrap_or(0.0),
                distance_m: get(v, 9)
                    .map(|d| d / 100.0)
                    .filter(|d| *d >= 0.0)
                    .unwrap_or(0.0),
                max_speed: speed(&[111, 14]),
                calories: u16_of(get(v, 11)).unwrap_or(0),
                avg_hr: u8_of(get(v, 15)).filter(|h| *h > 0 && *h < 255),
                max_hr: u8_of(get(v, 16)).filter(|h| *h > 0 && *h < 255),
                avg_cadence: u8_of(get(v, 17)).filter(|c| *c < 255),
                max_cadence: u8_of(get(v, 18)).filter(|c| *c < 255),
                avg_power: u16_of(get(v, 19)).filter(|p| *p < 65_535),
                max_power: u16_of(get(v, 20)).filter(|p| *p < 65_535),
                avg_speed: speed(&[110, 13]),
                trigger: u8_of(get(v, 24)),
                intensity: u8_of(get(v, 23)),
                points: Vec::new(),
            },
        ));
        Ok(())
    }

    fn session(&mut self, v: &[(u8, f64)]) -> Result<(), ConvertError> {
        let Some(start) = time_of(get(v, 2)).or_else(|| time_of(get(v, TIMESTAMP))) else {
            return Ok(());
        };
        if self.sessions.len() >= MAX_SESSIONS {
            return Err(bad(format!(
                "the FIT file holds more than {MAX_SESSIONS} sessions"
            )));
        }
        self.sessions.push(RawSession {
            sport: u8_of(get(v, 5)).unwrap_or(0),
            sub_sport: u8_of(get(v, 6)).unwrap_or(0),
            start,
            timer_s: get(v, 8).map(|t| t / 1000.0).filter(|t| *t >= 0.0),
            distance_m: get(v, 9).map(|d| d / 100.0).filter(|d| *d >= 0.0),
        });
        Ok(())
    }

    /// Laps into sessions and points into laps. Devices write each lap after its records and
    /// each session after its laps, so the file's order says where a record belongs, also
    /// for the record on a boundary that two legs share a second with. A file that writes
    /// every summary at the end says nothing by order: start times decide there.
    fn finish(mut self, damaged: bool) -> Result<Recording, ConvertError> {
        if !self.seen_activity
            && let Some(t) = self.other_type
        {
            return Err(ConvertError::NotActivity(format!(
                "the FIT file is {}, not an activity: it holds no track",
                file_type_name(t)
            )));
        }
        if self.sessions.is_empty() {
            let start = self
                .laps
                .iter()
                .map(|(_, l)| l.start)
                .chain(self.points.iter().map(|(_, p)| p.time))
                .min()
                .ok_or_else(|| {
                    bad(if damaged {
                        "the FIT file is damaged before its first track point: nothing to recover"
                    } else {
                        "the FIT file holds no activity: no session, lap or track point"
                    })
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
            damage: None,
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
