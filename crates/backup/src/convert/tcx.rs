//! TCX (Training Center Database v2): one activity per session, its laps from the FIT's
//! lap messages, speed, run cadence and power in Garmin's ActivityExtension v2.

use std::io::{BufWriter, Write};

use super::xml::{dec, escape, time};
use super::{ConvertError, Lap, Point, Recording, Session, TrackMeta};

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<TrainingCenterDatabase \
xmlns=\"http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2\" \
xmlns:ns3=\"http://www.garmin.com/xmlschemas/ActivityExtension/v2\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
xsi:schemaLocation=\"http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2 \
http://www.garmin.com/xmlschemas/TrainingCenterDatabasev2.xsd \
http://www.garmin.com/xmlschemas/ActivityExtension/v2 \
http://www.garmin.com/xmlschemas/ActivityExtensionv2.xsd\">\n  <Activities>\n";

#[derive(Clone, Copy, PartialEq)]
enum Family {
    Foot,
    Bike,
    Other,
}

fn family(s: &Session) -> Family {
    match s.sport {
        1 | 11 | 17 => Family::Foot,
        2 | 21 => Family::Bike,
        _ => Family::Other,
    }
}

fn sport_attr(s: &Session) -> &'static str {
    match s.sport {
        1 => "Running",
        2 | 21 => "Biking",
        _ => "Other",
    }
}

fn trigger(l: &Lap) -> &'static str {
    match l.trigger {
        Some(1) => "Time",
        Some(2) => "Distance",
        Some(3..=6) => "Location",
        _ => "Manual",
    }
}

/// Writes `rec` as TCX. Every session becomes an `Activity` with at least one lap; points
/// without a position are written without `Position` (indoor rides, pool swims).
pub fn write_tcx<W: Write>(
    rec: &Recording,
    meta: &TrackMeta<'_>,
    out: &mut W,
) -> Result<(), ConvertError> {
    let mut w = BufWriter::with_capacity(64 * 1024, out);
    w.write_all(HEAD.as_bytes())?;
    let notes = match (meta.name, meta.description.filter(|d| !d.is_empty())) {
        (Some(n), Some(d)) => Some(format!("{n}\n\n{d}")),
        (Some(n), None) => Some(n.to_string()),
        (None, Some(d)) => Some(d.to_string()),
        (None, None) => None,
    };
    for s in &rec.sessions {
        let fam = family(s);
        writeln!(
            w,
            "    <Activity Sport=\"{}\">\n      <Id>{}</Id>",
            sport_attr(s),
            time(s.start)
        )?;
        for lap in &s.laps {
            write_lap(&mut w, lap, fam)?;
        }
        if let Some(n) = &notes {
            writeln!(w, "      <Notes>{}</Notes>", escape(n))?;
        }
        if let Some(d) = &rec.device
            && let (Some(product), Some(serial)) = (d.product, d.serial)
        {
            let (major, minor) = d.version.unwrap_or((0, 0));
            writeln!(
                w,
                "      <Creator xsi:type=\"Device_t\">\n        <Name>{}</Name>\n        \
                 <UnitId>{serial}</UnitId>\n        <ProductID>{product}</ProductID>\n        \
                 <Version>\n          <VersionMajor>{major}</VersionMajor>\n          \
                 <VersionMinor>{minor}</VersionMinor>\n          <BuildMajor>0</BuildMajor>\n          \
                 <BuildMinor>0</BuildMinor>\n        </Version>\n      </Creator>",
                escape(meta.device_name.unwrap_or("Garmin"))
            )?;
        }
        w.write_all(b"    </Activity>\n")?;
    }
    w.write_all(b"  </Activities>\n</TrainingCenterDatabase>\n")?;
    w.flush()?;
    Ok(())
}

fn write_lap<W: Write>(w: &mut W, lap: &Lap, fam: Family) -> Result<(), ConvertError> {
    // The schema's order: totals, heart rate, intensity, cadence, trigger, track, extensions.
    writeln!(
        w,
        "      <Lap StartTime=\"{}\">\n        <TotalTimeSeconds>{}</TotalTimeSeconds>\n        \
         <DistanceMeters>{}</DistanceMeters>",
        time(lap.start),
        dec(lap.timer_s, 3),
        dec(lap.distance_m, 2)
    )?;
    if let Some(v) = lap.max_speed {
        writeln!(w, "        <MaximumSpeed>{}</MaximumSpeed>", dec(v, 3))?;
    }
    writeln!(w, "        <Calories>{}</Calories>", lap.calories)?;
    if let Some(h) = lap.avg_hr {
        writeln!(
            w,
            "        <AverageHeartRateBpm>\n          <Value>{h}</Value>\n        </AverageHeartRateBpm>"
        )?;
    }
    if let Some(h) = lap.max_hr {
        writeln!(
            w,
            "        <MaximumHeartRateBpm>\n          <Value>{h}</Value>\n        </MaximumHeartRateBpm>"
        )?;
    }
    let intensity = if lap.intensity == Some(1) {
        "Resting"
    } else {
        "Active"
    };
    writeln!(w, "        <Intensity>{intensity}</Intensity>")?;
    if fam == Family::Bike
        && let Some(c) = lap.avg_cadence.filter(|c| *c <= 254)
    {
        writeln!(w, "        <Cadence>{c}</Cadence>")?;
    }
    writeln!(w, "        <TriggerMethod>{}</TriggerMethod>", trigger(lap))?;
    if !lap.points.is_empty() {
        w.write_all(b"        <Track>\n")?;
        for p in &lap.points {
            write_point(w, p, fam)?;
        }
        w.write_all(b"        </Track>\n")?;
    }
    let mut lx = String::new();
    if let Some(v) = lap.avg_speed {
        lx.push_str(&format!(
            "            <ns3:AvgSpeed>{}</ns3:AvgSpeed>\n",
            dec(v, 3)
        ));
    }
    if fam == Family::Bike
        && let Some(c) = lap.max_cadence.filter(|c| *c <= 254)
    {
        lx.push_str(&format!(
            "            <ns3:MaxBikeCadence>{c}</ns3:MaxBikeCadence>\n"
        ));
    }
    if fam == Family::Foot {
        if let Some(c) = lap.avg_cadence.filter(|c| *c <= 254) {
            lx.push_str(&format!(
                "            <ns3:AvgRunCadence>{c}</ns3:AvgRunCadence>\n"
            ));
        }
        if let Some(c) = lap.max_cadence.filter(|c| *c <= 254) {
            lx.push_str(&format!(
                "            <ns3:MaxRunCadence>{c}</ns3:MaxRunCadence>\n"
            ));
        }
    }
    if let Some(p) = lap.avg_power {
        lx.push_str(&format!("            <ns3:AvgWatts>{p}</ns3:AvgWatts>\n"));
    }
    if let Some(p) = lap.max_power {
        lx.push_str(&format!("            <ns3:MaxWatts>{p}</ns3:MaxWatts>\n"));
    }
    if !lx.is_empty() {
        write!(
            w,
            "        <Extensions>\n          <ns3:LX>\n{lx}          </ns3:LX>\n        </Extensions>\n"
        )?;
    }
    w.write_all(b"      </Lap>\n")?;
    Ok(())
}

fn write_point<W: Write>(w: &mut W, p: &Point, fam: Family) -> Result<(), ConvertError> {
    writeln!(
        w,
        "          <Trackpoint>\n            <Time>{}</Time>",
        time(p.time)
    )?;
    if let Some((lat, lon)) = p.position {
        writeln!(
            w,
            "            <Position>\n              <LatitudeDegrees>{}</LatitudeDegrees>\n              \
             <LongitudeDegrees>{}</LongitudeDegrees>\n            </Position>",
            dec(lat, 8),
            dec(lon, 8)
        )?;
    }
    if let Some(a) = p.altitude {
        writeln!(
            w,
            "            <AltitudeMeters>{}</AltitudeMeters>",
            dec(a, 1)
        )?;
    }
    if let Some(d) = p.distance {
        writeln!(
            w,
            "            <DistanceMeters>{}</DistanceMeters>",
            dec(d, 2)
        )?;
    }
    if let Some(h) = p.heart_rate {
        writeln!(
            w,
            "            <HeartRateBpm>\n              <Value>{h}</Value>\n            </HeartRateBpm>"
        )?;
    }
    let cad = p.cadence.filter(|c| *c <= 254);
    if fam == Family::Bike
        && let Some(c) = cad
    {
        writeln!(w, "            <Cadence>{c}</Cadence>")?;
    }
    let run_cad = cad.filter(|_| fam == Family::Foot);
    if p.speed.is_some() || run_cad.is_some() || p.power.is_some() {
        w.write_all(b"            <Extensions>\n              <ns3:TPX>\n")?;
        if let Some(v) = p.speed {
            writeln!(w, "                <ns3:Speed>{}</ns3:Speed>", dec(v, 3))?;
        }
        if let Some(c) = run_cad {
            writeln!(w, "                <ns3:RunCadence>{c}</ns3:RunCadence>")?;
        }
        if let Some(pw) = p.power {
            writeln!(w, "                <ns3:Watts>{pw}</ns3:Watts>")?;
        }
        w.write_all(b"              </ns3:TPX>\n            </Extensions>\n")?;
    }
    w.write_all(b"          </Trackpoint>\n")?;
    Ok(())
}
