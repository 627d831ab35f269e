//! The first timestamp of an uploaded file, from its first few KB: nothing in the export maps
//! an upload to an activity, so uploads are matched to activities by start time.
//!
//! FIT: the header, then messages until the first data message carrying a timestamp
//! (field 253), or `file_id.time_created` if none comes first. GPX: the first `<time>` of a
//! track point (else the first `<time>`). TCX: the activity's `<Id>` (else the first `<Time>`).
//! Every read is bounded by the prefix it is given: a hostile file cannot make this loop.

use chrono::{DateTime, NaiveDateTime};

/// How much of each upload is read to find its start.
pub(crate) const PREFIX: usize = 64 * 1024;

/// FIT epoch (1989-12-31T00:00:00Z) in unix seconds.
const FIT_EPOCH: i64 = 631_065_600;

/// The file's first timestamp, epoch ms UTC, by its extension.
pub(crate) fn first_timestamp_ms(ext: &str, prefix: &[u8]) -> Option<i64> {
    match ext {
        "fit" => fit_start(prefix).map(|s| s * 1000),
        "gpx" => xml_start(prefix, "<trkpt", "<time>"),
        "tcx" => xml_start(prefix, "<Activity ", "<Id>")
            .or_else(|| xml_start(prefix, "<Trackpoint", "<Time>")),
        _ => None,
    }
}

struct Def {
    big_endian: bool,
    global: u16,
    /// (field number, size) in order.
    fields: Vec<(u8, u8)>,
    dev_bytes: usize,
}

fn fit_start(b: &[u8]) -> Option<i64> {
    let header = usize::from(*b.first()?);
    if header < 12 || b.get(8..12)? != b".FIT" {
        return None;
    }
    let mut defs: [Option<Def>; 16] = Default::default();
    let mut created = None;
    let mut i = header;
    while let Some(&h) = b.get(i) {
        i += 1;
        if h & 0x80 != 0 {
            // Compressed timestamp header: the time is relative to one we have not seen.
            let def = defs[usize::from((h >> 5) & 0x3)].as_ref()?;
            i += def.fields.iter().map(|f| usize::from(f.1)).sum::<usize>() + def.dev_bytes;
            continue;
        }
        let local = usize::from(h & 0x0F);
        if h & 0x40 != 0 {
            let arch = *b.get(i + 1)?;
            let g = b.get(i + 2..i + 4)?;
            let global = if arch == 1 {
                u16::from_be_bytes([g[0], g[1]])
            } else {
                u16::from_le_bytes([g[0], g[1]])
            };
            let n = usize::from(*b.get(i + 4)?);
            i += 5;
            let mut fields = Vec::with_capacity(n);
            for k in 0..n {
                let f = b.get(i + 3 * k..i + 3 * k + 3)?;
                fields.push((f[0], f[1]));
            }
            i += 3 * n;
            let mut dev_bytes = 0;
            if h & 0x20 != 0 {
                let nd = usize::from(*b.get(i)?);
                i += 1;
                for k in 0..nd {
                    dev_bytes += usize::from(*b.get(i + 3 * k + 1)?);
                }
                i += 3 * nd;
            }
            defs[local] = Some(Def {
                big_endian: arch == 1,
                global,
                fields,
                dev_bytes,
            });
            continue;
        }
        let def = defs[local].as_ref()?;
        let mut at = i;
        for &(num, size) in &def.fields {
            let size = usize::from(size);
            let v = b.get(at..at + size)?;
            let is_time = num == 253 || (def.global == 0 && num == 4);
            if is_time && size == 4 {
                let raw = [v[0], v[1], v[2], v[3]];
                let t = if def.big_endian {
                    u32::from_be_bytes(raw)
                } else {
                    u32::from_le_bytes(raw)
                };
                // 0xFFFFFFFF is "invalid"; below 0x10000000 is a device-relative time.
                if t != u32::MAX && t >= 0x1000_0000 {
                    let unix = i64::from(t) + FIT_EPOCH;
                    if num == 253 {
                        return Some(unix);
                    }
                    created = created.or(Some(unix));
                }
            }
            at += size;
        }
        i = at + def.dev_bytes;
    }
    created
}

fn xml_start(b: &[u8], anchor: &str, tag: &str) -> Option<i64> {
    let text = String::from_utf8_lossy(b);
    let from = text.find(anchor)?;
    let rest = text.get(from..)?;
    let open = rest.find(tag)? + tag.len();
    let rest = rest.get(open..)?;
    let close = rest.find('<')?;
    parse_time(rest.get(..close)?.trim())
}

fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    // Some apps leave the zone out; GPX and TCX times are UTC.
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpx_and_tcx_starts() {
        let gpx = b"<gpx><metadata><time>2020-01-01T00:00:00Z</time></metadata><trk><trkseg><trkpt lat=\"1\" lon=\"2\"><ele>3</ele><time>2024-03-08T11:23:22.000Z</time></trkpt>";
        assert_eq!(first_timestamp_ms("gpx", gpx), Some(1_709_897_002_000));
        let tcx = b"<TrainingCenterDatabase><Activities><Activity Sport=\"Running\"><Id>2024-03-08T11:23:22Z</Id>";
        assert_eq!(first_timestamp_ms("tcx", tcx), Some(1_709_897_002_000));
        assert_eq!(first_timestamp_ms("gpx", b"<gpx><trkpt><time>never"), None);
    }

    #[test]
    fn hostile_fit_headers_give_nothing() {
        assert_eq!(fit_start(b""), None);
        assert_eq!(
            fit_start(&[14, 0, 0, 0, 0, 0, 0, 0, b'.', b'F', b'I', b'T']),
            None
        );
        // A definition claiming 255 fields with nothing behind it.
        let mut b = vec![14, 0x10, 0, 0, 0, 0, 0, 0, b'.', b'F', b'I', b'T', 0, 0];
        b.extend([0x40, 0, 0, 0, 0, 255]);
        assert_eq!(fit_start(&b), None);
        // A data message for a local type never defined.
        let mut b = vec![14, 0x10, 0, 0, 0, 0, 0, 0, b'.', b'F', b'I', b'T', 0, 0];
        b.push(0x03);
        assert_eq!(fit_start(&b), None);
    }
}
