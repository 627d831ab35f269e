//! The files Garmin serves for an activity: the original upload (a ZIP), GPX, TCX and KML.
//!
//! Every format is rendered from the same sampled track (`account::plan`), so a GPX, a TCX,
//! a KML and the FIT inside the original agree point for point with each other and with the
//! JSON summary.
//!
//! `full = true` (the `?full=true` variants): GPX switches to Garmin's TrackPointExtension v2
//! (hr, cad and speed per point) plus PowerExtension watts, and carries the description in
//! `<desc>`; TCX adds `<Notes>` with the name and description; KML adds a `gx:Track` with a
//! timestamp per point. Without it, GPX has TrackPointExtension v1 hr/cad as Garmin's export.

use std::fmt::Write as _;
use std::io::Write as _;

use chrono::DateTime;

use crate::account::catalog::{Device, Kind, Source};
use crate::account::plan::{Plan, Point, semicircles};
use crate::account::{Activity, Download, Format};
use crate::fit::{V, Writer, fit_time, mesg};

pub const ZIP_TYPE: &str = "application/x-zip-compressed";
pub const GPX_TYPE: &str = "application/gpx+xml";
pub const TCX_TYPE: &str = "application/vnd.garmin.tcx+xml";
pub const KML_TYPE: &str = "application/vnd.google-earth.kml+xml";

pub(crate) fn download(a: &Activity, format: Format, full: bool) -> Download {
    let id = a.id();
    let source = a.source();
    let file = |bytes: Vec<u8>, content_type, ext: &str| Download::File {
        bytes,
        content_type,
        file_name: format!("activity_{id}.{ext}"),
    };
    match (format, source) {
        (Format::Original, Source::Manual) | (Format::Tcx, Source::Manual) => Download::NotFound,
        (Format::Gpx | Format::Kml, Source::Manual) => Download::NoContent,
        (Format::Tcx, Source::GpxUpload) => Download::ServerError,
        (Format::Original, _) => match original(a) {
            Some(bytes) => Download::File {
                bytes,
                content_type: ZIP_TYPE,
                file_name: format!("{id}.zip"),
            },
            None => Download::ServerError,
        },
        (Format::Gpx, _) if !a.has_gps() => Download::NoContent,
        (Format::Kml, _) if !a.has_gps() => Download::NoContent,
        (Format::Gpx, _) => file(gpx(a, full).into_bytes(), GPX_TYPE, "gpx"),
        (Format::Kml, _) => file(kml(a, full).into_bytes(), KML_TYPE, "kml"),
        (Format::Tcx, _) => file(tcx(a, full).into_bytes(), TCX_TYPE, "tcx"),
    }
}

/// The file the user (or the device) uploaded: its extension and bytes. `None` for a
/// manual activity. A leg's upload is its parent's.
pub(crate) fn upload(a: &Activity) -> Option<(&'static str, Vec<u8>)> {
    upload_padded(a, 0)
}

/// [`upload`], a FIT padded as `fit_file_padded` does.
pub(crate) fn upload_padded(a: &Activity, padding: usize) -> Option<(&'static str, Vec<u8>)> {
    let top = a.top_level();
    match top.source() {
        Source::Device => Some(("fit", fit_file_padded(&top, padding))),
        Source::GpxUpload => Some(("gpx", uploaded_gpx(&top).into_bytes())),
        Source::Manual => None,
    }
}

/// The ZIP Garmin keeps of the upload. A leg's original is its parent's, byte for byte.
fn original(a: &Activity) -> Option<Vec<u8>> {
    let top = a.top_level();
    let entry = top.original_entry_name()?;
    let (_, body) = upload(&top)?;
    let local = top.spec().local(top.start());
    use chrono::{Datelike, Timelike};
    // The upload's own time, never the clock: the same account must give the same bytes.
    let mtime = zip::DateTime::from_date_and_time(
        u16::try_from(local.year()).ok()?,
        local.month() as u8,
        local.day() as u8,
        local.hour() as u8,
        local.minute() as u8,
        local.second() as u8,
    )
    .ok()?;
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(mtime)
        .unix_permissions(0o644);
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file(entry, options).ok()?;
    z.write_all(&body).ok()?;
    Some(z.finish().ok()?.into_inner())
}

// ---------------------------------------------------------------------------------------
// FIT

fn fit_file_id(w: &mut Writer, dev: &Device, start: i64) {
    w.message(
        mesg::FILE_ID,
        &[
            (0, V::Enum(4)),
            (1, V::U16(1)),
            (2, V::U16(dev.fit_product)),
            (3, V::U32z(dev.serial)),
            (4, V::U32(fit_time(start))),
        ],
    );
    w.message(mesg::FILE_CREATOR, &[(0, V::U16(dev.fit_software))]);
    w.message(
        mesg::DEVICE_INFO,
        &[
            (253, V::U32(fit_time(start))),
            (0, V::U8(0)),
            (2, V::U16(1)),
            (3, V::U32z(dev.serial)),
            (4, V::U16(dev.fit_product)),
            (5, V::U16(dev.fit_software)),
        ],
    );
}

fn timer_event(w: &mut Writer, t: i64, start: bool) {
    // event 0 = timer; type 0 = start, 4 = stop_all.
    w.message(
        mesg::EVENT,
        &[
            (253, V::U32(fit_time(t))),
            (0, V::Enum(0)),
            (1, V::Enum(if start { 0 } else { 4 })),
            (4, V::U8(0)),
        ],
    );
}

/// A Connect IQ data field as devices write it (a running-power app on the watch): its
/// developer data id and field descriptions once, then a developer field in every record.
/// Real accounts are full of these; readers must step over what they do not know.
const CONNECT_IQ_APP: [u8; 16] = *b"sim-power-field!";

fn wants_connect_iq(dev: &Device) -> bool {
    // The Forerunner 965 runs one: a popular watch with Connect IQ data fields.
    dev.fit_product == 4315
}

fn connect_iq_declarations(w: &mut Writer) {
    w.developer_data_id(0, CONNECT_IQ_APP, 42);
    // uint16 watts and an array of three uint8: both are declared by the app, and readers
    // that do not know the app must step over them whole.
    w.field_description(0, 0, 0x84, "Power", "Watts");
    w.field_description(0, 1, 0x02, "Form", "%");
}

fn record(w: &mut Writer, p: &Point, connect_iq: bool) {
    let mut f = vec![(253, V::U32(fit_time(p.time)))];
    if let (Some(lat), Some(lon)) = (p.lat, p.lon) {
        f.push((0, V::I32(semicircles(lat))));
        f.push((1, V::I32(semicircles(lon))));
    }
    if let Some(alt) = p.alt {
        f.push((2, V::U16(((alt + 500.0) * 5.0).round() as u16)));
    }
    if let Some(hr) = p.hr {
        f.push((3, V::U8(hr)));
    }
    if let Some(c) = p.cadence {
        f.push((4, V::U8(c)));
    }
    if let Some(d) = p.distance {
        f.push((5, V::U32((d * 100.0).round() as u32)));
    }
    if let Some(s) = p.speed {
        f.push((6, V::U16((s * 1000.0).round() as u16)));
    }
    if let Some(pw) = p.power {
        f.push((7, V::U16(pw)));
    }
    if connect_iq {
        let watts = p.speed.map_or(0, |s| (s * 75.0).round() as u16);
        let form = vec![(watts % 200) as u8, 7, 9];
        w.message_with_developer_fields(
            mesg::RECORD,
            &f,
            &[(0, 0, V::U16(watts)), (1, 0, V::Bytes(form))],
        );
    } else {
        w.message(mesg::RECORD, &f);
    }
}

/// Fields shared by lap and session (same field numbers up to 4 in both messages).
fn totals_fields(s: &crate::account::plan::Stats, end: i64, index: u16, event: u8) -> Vec<(u8, V)> {
    let mut f = vec![
        (253, V::U32(fit_time(end))),
        (254, V::U16(index)),
        (0, V::Enum(event)),
        (1, V::Enum(1)),
        (2, V::U32(fit_time(s.start))),
    ];
    if let Some((lat, lon)) = s.start_pos {
        f.push((3, V::I32(semicircles(lat))));
        f.push((4, V::I32(semicircles(lon))));
    }
    f
}

fn u8v(v: Option<f64>) -> Option<V> {
    v.map(|x| V::U8(x.clamp(0.0, 254.0) as u8))
}

fn u16v(v: Option<f64>) -> Option<V> {
    v.map(|x| V::U16(x.clamp(0.0, 65_534.0) as u16))
}

/// The FIT a device uploads: one session per segment (multisport legs), laps, records;
/// then about `padding` bytes of manufacturer-specific messages (global number 0xFF00,
/// which readers skip), hard to compress, so that benchmark exports reach gigabytes with a
/// realistic number of activities. `padding` 0 is the device's file.
pub(crate) fn fit_file_padded(a: &Activity, padding: usize) -> Vec<u8> {
    let segs = a.segments();
    let start = a.start();
    let mut w = Writer::new();
    let Some(dev) = a.spec().device() else {
        return w.finish();
    };
    fit_file_id(&mut w, dev, start);
    let connect_iq = wants_connect_iq(dev);
    if connect_iq {
        connect_iq_declarations(&mut w);
    }
    timer_event(&mut w, start, true);
    let mut lap_index = 0u16;
    let mut end = start;
    let mut total_timer = 0.0;
    for (si, plan) in segs.iter().enumerate() {
        let info = plan.kind.info();
        let pts = plan.points();
        let first_lap = lap_index;
        let bounds = plan.lap_bounds();
        let mut pi = 0;
        for (li, &(from, to)) in bounds.iter().enumerate() {
            let last = li + 1 == bounds.len();
            while let Some(p) = pts.get(pi) {
                if p.timer >= to && !last {
                    break;
                }
                if let Some((at, len)) = plan.pause
                    && p.timer > at
                    && pts.get(pi.wrapping_sub(1)).is_some_and(|q| q.timer <= at)
                {
                    let stop = plan.wall(f64::from(at)) as i64;
                    timer_event(&mut w, stop, false);
                    timer_event(&mut w, stop + i64::from(len), true);
                }
                record(&mut w, p, connect_iq);
                pi += 1;
            }
            let s = plan.stats(from, to);
            let lap_end = s.start + s.elapsed as i64;
            let mut f = totals_fields(&s, lap_end, lap_index, 9);
            if let Some((lat, lon)) = s.end_pos {
                f.push((5, V::I32(semicircles(lat))));
                f.push((6, V::I32(semicircles(lon))));
            }
            f.push((7, V::U32((s.elapsed * 1000.0).round() as u32)));
            f.push((8, V::U32((s.timer * 1000.0).round() as u32)));
            f.push((9, V::U32((s.distance * 100.0).round() as u32)));
            f.push((11, V::U16(s.calories as u16)));
            f.push((13, V::U16((s.avg_speed * 1000.0).round() as u16)));
            f.push((14, V::U16((s.max_speed * 1000.0).round() as u16)));
            f.extend(
                [
                    (15, u8v(s.avg_hr)),
                    (16, u8v(s.max_hr)),
                    (17, u8v(s.avg_cadence)),
                    (18, u8v(s.max_cadence)),
                ]
                .into_iter()
                .filter_map(|(n, v)| v.map(|v| (n, v))),
            );
            f.extend(
                [
                    (19, u16v(s.avg_power)),
                    (20, u16v(s.max_power)),
                    (21, u16v(s.gain)),
                    (22, u16v(s.loss)),
                ]
                .into_iter()
                .filter_map(|(n, v)| v.map(|v| (n, v))),
            );
            // lap_trigger: 2 distance, 7 session_end.
            f.push((24, V::Enum(if last { 7 } else { 2 })));
            f.push((25, V::Enum(info.fit_sport)));
            f.push((39, V::Enum(info.fit_sub_sport)));
            w.message(mesg::LAP, &f);
            lap_index += 1;
        }
        let s = plan.totals();
        end = s.start + s.elapsed as i64;
        total_timer += s.timer;
        let mut f = totals_fields(&s, end, si as u16, 8);
        f.push((5, V::Enum(info.fit_sport)));
        f.push((6, V::Enum(info.fit_sub_sport)));
        f.push((7, V::U32((s.elapsed * 1000.0).round() as u32)));
        f.push((8, V::U32((s.timer * 1000.0).round() as u32)));
        f.push((9, V::U32((s.distance * 100.0).round() as u32)));
        f.push((11, V::U16(s.calories as u16)));
        f.push((14, V::U16((s.avg_speed * 1000.0).round() as u16)));
        f.push((15, V::U16((s.max_speed * 1000.0).round() as u16)));
        f.extend(
            [
                (16, u8v(s.avg_hr)),
                (17, u8v(s.max_hr)),
                (18, u8v(s.avg_cadence)),
                (19, u8v(s.max_cadence)),
            ]
            .into_iter()
            .filter_map(|(n, v)| v.map(|v| (n, v))),
        );
        f.extend(
            [
                (20, u16v(s.avg_power)),
                (21, u16v(s.max_power)),
                (22, u16v(s.gain)),
                (23, u16v(s.loss)),
            ]
            .into_iter()
            .filter_map(|(n, v)| v.map(|v| (n, v))),
        );
        f.push((25, V::U16(first_lap)));
        f.push((26, V::U16(lap_index - first_lap)));
        f.push((28, V::Enum(0)));
        if plan.kind == Kind::LapSwimming {
            f.push((44, V::U16(2500)));
            f.push((46, V::Enum(0)));
        }
        w.message(mesg::SESSION, &f);
    }
    timer_event(&mut w, end, false);
    let offset = a.spec().local(end).and_utc().timestamp() - end;
    w.message(
        mesg::ACTIVITY,
        &[
            (253, V::U32(fit_time(end))),
            (0, V::U32((total_timer * 1000.0).round() as u32)),
            (1, V::U16(segs.len() as u16)),
            (2, V::Enum(u8::from(segs.len() > 1))),
            (3, V::Enum(26)),
            (4, V::Enum(1)),
            (5, V::U32(fit_time(end + offset))),
        ],
    );
    let mut state = a.id() as u64;
    for _ in 0..padding.div_ceil(252) {
        let text: String = (0..250)
            .map(|_| {
                state = crate::account::rng::mix(state);
                char::from(b'!' + (state % 90) as u8)
            })
            .collect();
        w.message(0xFF00, &[(0, V::Str(text))]);
    }
    w.finish()
}

// ---------------------------------------------------------------------------------------
// XML

/// Escapes text and attribute values; tabs and newlines become character references so
/// they survive attribute normalisation, and characters XML 1.0 forbids are dropped.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn iso(t: i64) -> String {
    DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S.000Z").to_string())
        .unwrap_or_default()
}

fn gps_points(plan: &Plan) -> Vec<Point> {
    plan.points()
        .into_iter()
        .filter(|p| p.lat.is_some())
        .collect()
}

fn gpx(a: &Activity, full: bool) -> String {
    let mut s = String::with_capacity(a.point_count() * 200 + 1024);
    let tpx = if full {
        "http://www.garmin.com/xmlschemas/TrackPointExtension/v2"
    } else {
        "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
    };
    let _ = write!(
        s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx creator=\"Garmin Connect\" version=\"1.1\" \
         xsi:schemaLocation=\"http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/11.xsd\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\" xmlns:ns3=\"{tpx}\" \
         xmlns:pwr=\"http://www.garmin.com/xmlschemas/PowerExtension/v1\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <metadata>\n    \
         <link href=\"connect.garmin.com\">\n      <text>Garmin Connect</text>\n    </link>\n    \
         <time>{}</time>\n  </metadata>\n  <trk>\n    <name>{}</name>\n",
        iso(a.start()),
        xml_escape(&a.name())
    );
    if full && let Some(d) = a.description() {
        let _ = writeln!(s, "    <desc>{}</desc>", xml_escape(&d));
    }
    let _ = writeln!(s, "    <type>{}</type>", a.type_key());
    for plan in a.segments() {
        let pts = gps_points(&plan);
        if pts.is_empty() {
            continue;
        }
        s.push_str("    <trkseg>\n");
        for p in pts {
            let _ = writeln!(
                s,
                "      <trkpt lat=\"{}\" lon=\"{}\">",
                p.lat.unwrap_or_default(),
                p.lon.unwrap_or_default()
            );
            if let Some(alt) = p.alt {
                let _ = writeln!(s, "        <ele>{alt:.1}</ele>");
            }
            let _ = writeln!(s, "        <time>{}</time>", iso(p.time));
            let speed = p.speed.filter(|_| full);
            let power = p.power.filter(|_| full);
            if p.hr.is_some() || p.cadence.is_some() || speed.is_some() || power.is_some() {
                s.push_str("        <extensions>\n");
                if let Some(pw) = power {
                    let _ = writeln!(s, "          <pwr:PowerInWatts>{pw}</pwr:PowerInWatts>");
                }
                if p.hr.is_some() || p.cadence.is_some() || speed.is_some() {
                    s.push_str("          <ns3:TrackPointExtension>\n");
                    if let Some(hr) = p.hr {
                        let _ = writeln!(s, "            <ns3:hr>{hr}</ns3:hr>");
                    }
                    if let Some(c) = p.cadence {
                        let _ = writeln!(s, "            <ns3:cad>{c}</ns3:cad>");
                    }
                    if let Some(v) = speed {
                        let _ = writeln!(s, "            <ns3:speed>{v:.3}</ns3:speed>");
                    }
                    s.push_str("          </ns3:TrackPointExtension>\n");
                }
                s.push_str("        </extensions>\n");
            }
            s.push_str("      </trkpt>\n");
        }
        s.push_str("    </trkseg>\n");
    }
    s.push_str("  </trk>\n</gpx>\n");
    s
}

/// What the user uploaded from another app: a plain GPX 1.1 track, no heart rate.
fn uploaded_gpx(a: &Activity) -> String {
    let mut s = String::new();
    let title = a
        .original_entry_name()
        .map(|n| n.trim_end_matches(".gpx").replace('_', " "))
        .unwrap_or_default();
    let _ = write!(
        s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"OsmAnd Maps 4.7\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\">\n<metadata><name>{}</name><time>{}</time></metadata>\n\
         <trk><name>{}</name><trkseg>\n",
        xml_escape(&title),
        iso(a.start()),
        xml_escape(&title)
    );
    for plan in a.segments() {
        for p in gps_points(&plan) {
            let _ = writeln!(
                s,
                "<trkpt lat=\"{}\" lon=\"{}\"><ele>{:.1}</ele><time>{}</time></trkpt>",
                p.lat.unwrap_or_default(),
                p.lon.unwrap_or_default(),
                p.alt.unwrap_or_default(),
                iso(p.time).replace(".000Z", "Z")
            );
        }
    }
    s.push_str("</trkseg></trk>\n</gpx>\n");
    s
}

fn tcx(a: &Activity, full: bool) -> String {
    let mut s = String::with_capacity(a.point_count() * 300 + 2048);
    s.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<TrainingCenterDatabase\n  \
         xsi:schemaLocation=\"http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2 \
         http://www.garmin.com/xmlschemas/TrainingCenterDatabasev2.xsd\"\n  \
         xmlns:ns5=\"http://www.garmin.com/xmlschemas/ActivityGoals/v1\"\n  \
         xmlns:ns3=\"http://www.garmin.com/xmlschemas/ActivityExtension/v2\"\n  \
         xmlns:ns2=\"http://www.garmin.com/xmlschemas/UserProfile/v2\"\n  \
         xmlns=\"http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2\"\n  \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <Activities>\n",
    );
    for plan in a.segments() {
        tcx_activity(&mut s, a, &plan, full);
    }
    s.push_str(
        "  </Activities>\n  <Author xsi:type=\"Application_t\">\n    <Name>Connect Api</Name>\n    <Build>\n      \
         <Version>\n        <VersionMajor>0</VersionMajor>\n        <VersionMinor>0</VersionMinor>\n        \
         <BuildMajor>0</BuildMajor>\n        <BuildMinor>0</BuildMinor>\n      </Version>\n    </Build>\n    \
         <LangID>en</LangID>\n    <PartNumber>006-D2449-00</PartNumber>\n  </Author>\n</TrainingCenterDatabase>\n",
    );
    s
}

fn tcx_activity(s: &mut String, a: &Activity, plan: &Plan, full: bool) {
    let info = plan.kind.info();
    let bike = info.tcx_sport == "Biking";
    let foot = matches!(
        plan.kind,
        Kind::Running | Kind::TrailRunning | Kind::TreadmillRunning | Kind::Hiking | Kind::Walking
    );
    let _ = write!(
        s,
        "    <Activity Sport=\"{}\">\n      <Id>{}</Id>\n",
        info.tcx_sport,
        iso(plan.start)
    );
    let pts = plan.points();
    let bounds = plan.lap_bounds();
    let mut pi = 0;
    for (li, &(from, to)) in bounds.iter().enumerate() {
        let last = li + 1 == bounds.len();
        let st = plan.stats(from, to);
        let _ = write!(
            s,
            "      <Lap StartTime=\"{}\">\n        <TotalTimeSeconds>{:.1}</TotalTimeSeconds>\n        \
             <DistanceMeters>{:.2}</DistanceMeters>\n        <MaximumSpeed>{:.3}</MaximumSpeed>\n        \
             <Calories>{}</Calories>\n",
            iso(st.start),
            st.timer,
            st.distance,
            st.max_speed,
            st.calories
        );
        if let Some(h) = st.avg_hr {
            let _ = writeln!(
                s,
                "        <AverageHeartRateBpm>\n          <Value>{h}</Value>\n        </AverageHeartRateBpm>"
            );
        }
        if let Some(h) = st.max_hr {
            let _ = writeln!(
                s,
                "        <MaximumHeartRateBpm>\n          <Value>{h}</Value>\n        </MaximumHeartRateBpm>"
            );
        }
        s.push_str("        <Intensity>Active</Intensity>\n");
        if bike && let Some(c) = st.avg_cadence {
            let _ = writeln!(s, "        <Cadence>{c}</Cadence>");
        }
        let trigger = if !last && info.lap_m > 0.0 {
            "Distance"
        } else {
            "Manual"
        };
        let _ = write!(
            s,
            "        <TriggerMethod>{trigger}</TriggerMethod>\n        <Track>\n"
        );
        while let Some(p) = pts.get(pi) {
            if p.timer >= to && !last {
                break;
            }
            tcx_point(s, p, bike, foot);
            pi += 1;
        }
        s.push_str("        </Track>\n        <Extensions>\n          <ns3:LX>\n");
        let _ = writeln!(
            s,
            "            <ns3:AvgSpeed>{:.3}</ns3:AvgSpeed>",
            st.avg_speed
        );
        if foot && let Some(c) = st.avg_cadence {
            let _ = writeln!(s, "            <ns3:AvgRunCadence>{c}</ns3:AvgRunCadence>");
        }
        if let Some(pw) = st.avg_power {
            let _ = writeln!(s, "            <ns3:AvgWatts>{pw}</ns3:AvgWatts>");
        }
        s.push_str("          </ns3:LX>\n        </Extensions>\n      </Lap>\n");
    }
    if full {
        let notes = match a.description() {
            Some(d) if !d.is_empty() => format!("{}\n\n{}", a.name(), d),
            _ => a.name(),
        };
        let _ = writeln!(s, "      <Notes>{}</Notes>", xml_escape(&notes));
    }
    if let Some(dev) = a.spec().device() {
        let mut v = dev
            .version
            .split('.')
            .map(|x| x.parse::<u32>().unwrap_or(0));
        let _ = write!(
            s,
            "      <Creator xsi:type=\"Device_t\">\n        <Name>{}</Name>\n        <UnitId>{}</UnitId>\n        \
             <ProductID>{}</ProductID>\n        <Version>\n          <VersionMajor>{}</VersionMajor>\n          \
             <VersionMinor>{}</VersionMinor>\n          <BuildMajor>0</BuildMajor>\n          \
             <BuildMinor>0</BuildMinor>\n        </Version>\n      </Creator>\n",
            xml_escape(dev.display),
            dev.serial,
            dev.fit_product,
            v.next().unwrap_or(0),
            v.next().unwrap_or(0)
        );
    }
    s.push_str("    </Activity>\n");
}

fn tcx_point(s: &mut String, p: &Point, bike: bool, foot: bool) {
    let _ = write!(
        s,
        "          <Trackpoint>\n            <Time>{}</Time>\n",
        iso(p.time)
    );
    if let (Some(lat), Some(lon)) = (p.lat, p.lon) {
        let _ = write!(
            s,
            "            <Position>\n              <LatitudeDegrees>{lat}</LatitudeDegrees>\n              \
             <LongitudeDegrees>{lon}</LongitudeDegrees>\n            </Position>\n"
        );
    }
    if let Some(alt) = p.alt {
        let _ = writeln!(s, "            <AltitudeMeters>{alt:.1}</AltitudeMeters>");
    }
    if let Some(d) = p.distance {
        let _ = writeln!(s, "            <DistanceMeters>{d:.2}</DistanceMeters>");
    }
    if let Some(hr) = p.hr {
        let _ = writeln!(
            s,
            "            <HeartRateBpm>\n              <Value>{hr}</Value>\n            </HeartRateBpm>"
        );
    }
    if bike && let Some(c) = p.cadence {
        let _ = writeln!(s, "            <Cadence>{c}</Cadence>");
    }
    let run_cad = p.cadence.filter(|_| foot);
    if p.speed.is_some() || run_cad.is_some() || p.power.is_some() {
        s.push_str("            <Extensions>\n              <ns3:TPX>\n");
        if let Some(v) = p.speed {
            let _ = writeln!(s, "                <ns3:Speed>{v:.3}</ns3:Speed>");
        }
        if let Some(c) = run_cad {
            let _ = writeln!(s, "                <ns3:RunCadence>{c}</ns3:RunCadence>");
        }
        if let Some(w) = p.power {
            let _ = writeln!(s, "                <ns3:Watts>{w}</ns3:Watts>");
        }
        s.push_str("              </ns3:TPX>\n            </Extensions>\n");
    }
    s.push_str("          </Trackpoint>\n");
}

fn kml(a: &Activity, full: bool) -> String {
    let mut s = String::with_capacity(a.point_count() * 60 + 1024);
    let name = xml_escape(&a.name());
    let _ = write!(
        s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\" \
         xmlns:gx=\"http://www.google.com/kml/ext/2.2\">\n<Document>\n  <name>{name}</name>\n  \
         <Style id=\"track\">\n    <LineStyle>\n      <color>ff0000ff</color>\n      <width>4</width>\n    \
         </LineStyle>\n  </Style>\n"
    );
    let pts: Vec<Point> = a.segments().iter().flat_map(gps_points).collect();
    let coord = |p: &Point, sep: char| {
        format!(
            "{}{sep}{}{sep}{:.1}",
            p.lon.unwrap_or_default(),
            p.lat.unwrap_or_default(),
            p.alt.unwrap_or_default()
        )
    };
    if let Some(p) = pts.first() {
        let _ = writeln!(
            s,
            "  <Placemark>\n    <name>Start</name>\n    <Point>\n      <coordinates>{}</coordinates>\n    </Point>\n  </Placemark>",
            coord(p, ',')
        );
    }
    let _ = write!(
        s,
        "  <Placemark>\n    <name>{name}</name>\n    <styleUrl>#track</styleUrl>\n    <LineString>\n      \
         <tessellate>1</tessellate>\n      <altitudeMode>clampToGround</altitudeMode>\n      <coordinates>"
    );
    for (i, p) in pts.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&coord(p, ','));
    }
    s.push_str("</coordinates>\n    </LineString>\n  </Placemark>\n");
    if full {
        s.push_str("  <Placemark>\n    <name>Track</name>\n    <gx:Track>\n");
        for p in &pts {
            let _ = writeln!(s, "      <when>{}</when>", iso(p.time));
        }
        for p in &pts {
            let _ = writeln!(s, "      <gx:coord>{}</gx:coord>", coord(p, ' '));
        }
        s.push_str("    </gx:Track>\n  </Placemark>\n");
    }
    if let Some(p) = pts.last() {
        let _ = writeln!(
            s,
            "  <Placemark>\n    <name>End</name>\n    <Point>\n      <coordinates>{}</coordinates>\n    </Point>\n  </Placemark>",
            coord(p, ',')
        );
    }
    s.push_str("</Document>\n</kml>\n");
    s
}
