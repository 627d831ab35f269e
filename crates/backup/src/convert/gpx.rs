//! GPX 1.1, with heart rate, cadence, speed and temperature in Garmin's
//! TrackPointExtension v2 (what Garmin's own export and most apps read).

use std::io::{BufWriter, Write};

use super::xml::{dec, escape, time};
use super::{ConvertError, Recording, TrackMeta, sport_name};

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<gpx version=\"1.1\" creator=\"Garmin Connect Export\" \
xmlns=\"http://www.topografix.com/GPX/1/1\" \
xmlns:gpxtpx=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v2\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
xsi:schemaLocation=\"http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd \
http://www.garmin.com/xmlschemas/TrackPointExtension/v2 \
http://www.garmin.com/xmlschemas/TrackPointExtensionv2.xsd\">\n";

/// Writes `rec` as GPX 1.1: one track, one segment per session that has positions. Points
/// without a position are left out (GPX cannot place them); a recording without any gives
/// a track with its name and type and no segment.
pub fn write_gpx<W: Write>(
    rec: &Recording,
    meta: &TrackMeta<'_>,
    out: &mut W,
) -> Result<(), ConvertError> {
    let mut w = BufWriter::with_capacity(64 * 1024, out);
    w.write_all(HEAD.as_bytes())?;
    w.write_all(b"  <metadata>\n")?;
    if let Some(name) = meta.name {
        writeln!(w, "    <name>{}</name>", escape(name))?;
    }
    if let Some(desc) = meta.description.filter(|d| !d.is_empty()) {
        writeln!(w, "    <desc>{}</desc>", escape(desc))?;
    }
    if let Some(t) = rec.start() {
        writeln!(w, "    <time>{}</time>", time(t))?;
    }
    w.write_all(b"  </metadata>\n  <trk>\n")?;
    if let Some(name) = meta.name {
        writeln!(w, "    <name>{}</name>", escape(name))?;
    }
    let kind = meta.type_key.map(str::to_owned).unwrap_or_else(|| {
        rec.sessions
            .first()
            .map_or("generic", |s| sport_name(s.sport))
            .to_owned()
    });
    writeln!(w, "    <type>{}</type>", escape(&kind))?;
    for session in &rec.sessions {
        let mut points = session
            .laps
            .iter()
            .flat_map(|l| l.points.iter())
            .filter(|p| p.position.is_some())
            .peekable();
        if points.peek().is_none() {
            continue;
        }
        w.write_all(b"    <trkseg>\n")?;
        for p in points {
            let Some((lat, lon)) = p.position else {
                continue;
            };
            writeln!(
                w,
                "      <trkpt lat=\"{}\" lon=\"{}\">",
                dec(lat, 8),
                dec(lon, 8)
            )?;
            if let Some(alt) = p.altitude {
                writeln!(w, "        <ele>{}</ele>", dec(alt, 1))?;
            }
            writeln!(w, "        <time>{}</time>", time(p.time))?;
            // The schema's order: atemp, wtemp, depth, hr, cad, speed.
            let cad = p.cadence.filter(|c| *c <= 254);
            if p.temperature.is_some()
                || p.heart_rate.is_some()
                || cad.is_some()
                || p.speed.is_some()
            {
                w.write_all(b"        <extensions>\n          <gpxtpx:TrackPointExtension>\n")?;
                if let Some(t) = p.temperature {
                    writeln!(w, "            <gpxtpx:atemp>{t}</gpxtpx:atemp>")?;
                }
                if let Some(hr) = p.heart_rate {
                    writeln!(w, "            <gpxtpx:hr>{hr}</gpxtpx:hr>")?;
                }
                if let Some(c) = cad {
                    writeln!(w, "            <gpxtpx:cad>{c}</gpxtpx:cad>")?;
                }
                if let Some(s) = p.speed {
                    writeln!(w, "            <gpxtpx:speed>{}</gpxtpx:speed>", dec(s, 3))?;
                }
                w.write_all(b"          </gpxtpx:TrackPointExtension>\n        </extensions>\n")?;
            }
            w.write_all(b"      </trkpt>\n")?;
        }
        w.write_all(b"    </trkseg>\n")?;
    }
    w.write_all(b"  </trk>\n</gpx>\n")?;
    w.flush()?;
    Ok(())
}
