#![allow(clippy::unwrap_used, clippy::expect_used)]
//! FIT to GPX and TCX: round trips on the simulator's device files (checked against the FIT
//! decoded directly, against the simulator's own GPX, and against the GPX 1.1 and TCX v2
//! schemas), and hostile FIT input that must fail cleanly and quickly.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use gcexport_backup::ErrorKind;
use gcexport_backup::convert::{
    self, ConvertError, MAX_FIT_BYTES, TrackMeta, decode_fit, fit_to_gpx, fit_to_tcx,
};
use gcexport_sim::account::{Account, Activity, Download, Format as SimFormat, Kind, Source};
use gcexport_sim::fit::{V, Writer, crc16, fit_time, mesg};

// ---------------------------------------------------------------------------------------
// Helpers

fn unzip_first(zip: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut out = Vec::new();
    z.by_index(0).unwrap().read_to_end(&mut out).unwrap();
    out
}

/// The FIT inside a device activity's original, as Garmin serves it.
fn fit_of(a: &Activity) -> Option<Vec<u8>> {
    if a.source() != Source::Device {
        return None;
    }
    match a.download(SimFormat::Original, false) {
        Download::File { bytes, .. } => Some(unzip_first(&bytes)),
        _ => None,
    }
}

/// One FIT record as fitparser reads it: the reference the XML is checked against.
#[derive(Debug)]
struct Rec {
    time: DateTime<Utc>,
    pos: Option<(f64, f64)>,
}

fn reference(fit: &[u8]) -> (Vec<Rec>, usize, usize) {
    use fitparser::Value;
    use fitparser::profile::MesgNum;
    let all = fitparser::from_bytes(fit).unwrap();
    let get = |r: &fitparser::FitDataRecord, n: &str| {
        r.fields()
            .iter()
            .find(|f| f.name() == n)
            .map(|f| f.value().clone())
    };
    let deg = |v: Option<Value>| match v {
        Some(Value::SInt32(x)) => Some(f64::from(x) * 180.0 / 2_147_483_648.0),
        _ => None,
    };
    let records = all
        .iter()
        .filter(|r| r.kind() == MesgNum::Record)
        .map(|r| {
            let time = match get(r, "timestamp") {
                Some(Value::Timestamp(t)) => t.with_timezone(&Utc),
                other => panic!("record without a time: {other:?}"),
            };
            let pos = match (deg(get(r, "position_lat")), deg(get(r, "position_long"))) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => None,
            };
            Rec { time, pos }
        })
        .collect();
    let laps = all.iter().filter(|r| r.kind() == MesgNum::Lap).count();
    let sessions = all.iter().filter(|r| r.kind() == MesgNum::Session).count();
    (records, laps, sessions)
}

/// A small element tree: enough to read back what the writers wrote.
#[derive(Debug, Default)]
struct El {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    kids: Vec<El>,
}

impl El {
    fn attr(&self, n: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    }
    fn kid(&self, n: &str) -> Option<&El> {
        self.kids.iter().find(|k| k.name == n)
    }
    fn all<'a>(&'a self, n: &str, out: &mut Vec<&'a El>) {
        for k in &self.kids {
            if k.name == n {
                out.push(k);
            }
            k.all(n, out);
        }
    }
    fn find_all(&self, n: &str) -> Vec<&El> {
        let mut out = Vec::new();
        self.all(n, &mut out);
        out
    }
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_string()
}

/// The text of `&amp;`, `&#10;` and the like (quick-xml hands them over apart).
fn entity(g: &quick_xml::events::BytesRef<'_>) -> String {
    if g.is_char_ref() {
        return g.resolve_char_ref().unwrap().unwrap().to_string();
    }
    match &**g {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        other => panic!("unknown entity {other}"),
    }
    .to_string()
}

fn parse_xml(xml: &[u8]) -> El {
    use quick_xml::events::Event;
    let text = std::str::from_utf8(xml).expect("the writers write UTF-8");
    let mut r = quick_xml::Reader::from_str(text);
    let mut stack = vec![El::default()];
    let el = |e: &quick_xml::events::BytesStart<'_>| El {
        name: local(e.name().as_ref()),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    local(a.key.as_ref()),
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap()
                        .into_owned(),
                )
            })
            .collect(),
        ..El::default()
    };
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) => stack.push(el(&e)),
            Event::Empty(e) => stack.last_mut().unwrap().kids.push(el(&e)),
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().kids.push(done);
            }
            Event::Text(t) => stack.last_mut().unwrap().text.push_str(&t.xml10_content()),
            Event::GeneralRef(g) => stack.last_mut().unwrap().text.push_str(&entity(&g)),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unbalanced XML");
    stack.pop().unwrap().kids.pop().unwrap()
}

/// What the round trip checks, read in one pass without a tree (the files are large).
#[derive(Debug, Default)]
struct Scan {
    /// Trackpoints (`trkpt` or `Trackpoint`): time, and position if any.
    points: Vec<(String, Option<(f64, f64)>)>,
    activities: usize,
    laps: usize,
    segments: usize,
    /// Text of `trk/name` and `trk/type` (GPX).
    trk_name: String,
    trk_type: String,
}

fn scan(xml: &[u8]) -> Scan {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_reader(xml);
    let mut out = Scan::default();
    let mut buf = Vec::new();
    // The element whose text is wanted, and the point being read.
    let mut want: Option<&'static str> = None;
    let mut point: Option<(String, Option<f64>, Option<f64>)> = None;
    let mut depth_in_trk_meta = false;
    loop {
        match r.read_event_into(&mut buf).unwrap() {
            Event::Start(e) => {
                let name = e.local_name();
                match name.as_ref() {
                    "trkpt" => {
                        let attr = |k: &str| {
                            e.attributes().find_map(|a| {
                                let a = a.unwrap();
                                (a.key.as_ref() == k).then(|| a.value.parse::<f64>().unwrap())
                            })
                        };
                        point = Some((String::new(), attr("lat"), attr("lon")));
                    }
                    "Trackpoint" => point = Some((String::new(), None, None)),
                    "time" | "Time" if point.is_some() => want = Some("time"),
                    "LatitudeDegrees" => want = Some("lat"),
                    "LongitudeDegrees" => want = Some("lon"),
                    "Activity" => out.activities += 1,
                    "Lap" => out.laps += 1,
                    "trkseg" => out.segments += 1,
                    "trk" => depth_in_trk_meta = true,
                    "name" if depth_in_trk_meta => want = Some("trk_name"),
                    "type" if depth_in_trk_meta => want = Some("trk_type"),
                    _ => {}
                }
            }
            Event::Text(t) => {
                let text = t.xml10_content();
                match (want, point.as_mut()) {
                    (Some("time"), Some(p)) => p.0 = text.into_owned(),
                    (Some("lat"), Some(p)) => p.1 = text.parse().ok(),
                    (Some("lon"), Some(p)) => p.2 = text.parse().ok(),
                    (Some("trk_name"), _) => out.trk_name.push_str(&text),
                    (Some("trk_type"), _) => out.trk_type.push_str(&text),
                    _ => {}
                }
            }
            Event::GeneralRef(g) => match want {
                Some("trk_name") => out.trk_name.push_str(&entity(&g)),
                Some("trk_type") => out.trk_type.push_str(&entity(&g)),
                _ => {}
            },
            Event::End(e) => {
                want = None;
                match e.local_name().as_ref() {
                    "trkpt" | "Trackpoint" => {
                        let (t, lat, lon) = point.take().unwrap();
                        out.points.push((t, lat.zip(lon)));
                    }
                    "trkseg" => depth_in_trk_meta = false,
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

fn time_of(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .with_timezone(&Utc)
}

fn schema(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(name)
}

/// Validates files with xmllint, offline. Returns xmllint's verdict and what it said.
fn xmllint(schema_file: &str, files: &[PathBuf]) -> (bool, String) {
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(schema(schema_file))
        .args(files)
        .output()
        .expect("xmllint is needed for the schema checks: install libxml2-utils (.ci/install-deps does)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_valid(schema_file: &str, files: &[PathBuf]) {
    assert!(!files.is_empty());
    let (ok, said) = xmllint(schema_file, files);
    assert!(ok, "{said}");
    assert_eq!(
        said.lines().filter(|l| l.ends_with(" validates")).count(),
        files.len(),
        "{said}"
    );
}

fn meta(a: &Activity) -> (String, &'static str) {
    (a.name(), a.kind().type_key())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-7
}

// ---------------------------------------------------------------------------------------
// Round trips on the simulator's files

#[test]
fn simulator_fit_files_round_trip_to_valid_gpx_and_tcx() {
    let started = Instant::now();
    let acc = Account::new(11, 24);
    let dir = tempfile::tempdir().unwrap();
    let (mut gpx_files, mut tcx_files) = (Vec::new(), Vec::new());
    let (mut converted, mut without_positions, mut multisport) = (0, 0, 0);
    for k in 0..acc.len() {
        let a = acc.nth_newest(k).unwrap();
        let Some(fit) = fit_of(&a) else {
            continue;
        };
        converted += 1;
        let (records, laps, sessions) = reference(&fit);
        let (name, type_key) = meta(&a);
        let m = TrackMeta {
            name: Some(&name),
            type_key: Some(type_key),
            ..TrackMeta::default()
        };

        // TCX: every record, in order, in one activity per session and one lap per lap.
        let rec = decode_fit(&fit).unwrap();
        let mut tcx = Vec::new();
        convert::write_tcx(&rec, &m, &mut tcx).unwrap();
        let got = scan(&tcx);
        assert_eq!(got.activities, sessions, "{:?}", a.kind());
        assert_eq!(got.laps, laps, "{:?}", a.kind());
        assert_eq!(got.points.len(), records.len(), "{:?}", a.kind());
        assert_eq!(got.points.len(), a.point_count());
        let ends = |n: usize| [0, n - 1];
        for i in ends(records.len()) {
            let ((t, pos), r) = (&got.points[i], &records[i]);
            assert_eq!(time_of(t), r.time);
            match (pos, r.pos) {
                (Some(x), Some(y)) => assert!(close(x.0, y.0) && close(x.1, y.1), "{x:?} {y:?}"),
                (None, None) => {}
                other => panic!("position mismatch {other:?}"),
            }
        }

        // GPX: the records that have a position, one segment per session with any.
        let mut gpx = Vec::new();
        convert::write_gpx(&rec, &m, &mut gpx).unwrap();
        let got = scan(&gpx);
        assert_eq!(got.trk_name, name);
        assert_eq!(got.trk_type, type_key);
        let with_pos: Vec<&Rec> = records.iter().filter(|r| r.pos.is_some()).collect();
        assert_eq!(got.points.len(), with_pos.len(), "{:?}", a.kind());
        if with_pos.is_empty() {
            without_positions += 1;
            assert!(!a.has_gps(), "{:?}", a.kind());
            assert_eq!(got.segments, 0);
        } else {
            for i in ends(with_pos.len()) {
                let ((t, pos), r) = (&got.points[i], with_pos[i]);
                let (x, y) = (pos.unwrap(), r.pos.unwrap());
                assert!(close(x.0, y.0) && close(x.1, y.1), "{x:?} {y:?}");
                assert_eq!(time_of(t), r.time);
            }
            // As many points as the GPX Garmin itself serves for the activity.
            if let Download::File { bytes, .. } = a.download(SimFormat::Gpx, false) {
                assert_eq!(
                    got.points.len(),
                    scan(&bytes).points.len(),
                    "{:?}",
                    a.kind()
                );
            }
        }

        // A multisport file holds every leg; each leg is found by its start.
        if a.kind() == Kind::Multisport {
            multisport += 1;
            for child in a.child_ids() {
                let leg = acc.activity(child).unwrap();
                let start = Utc.timestamp_opt(leg.start(), 0).unwrap();
                let only = rec.session_starting_at(start).unwrap();
                assert_eq!(only.sessions.len(), 1);
                assert_eq!(only.points().count(), leg.point_count(), "{:?}", leg.kind());
            }
        }

        let g = dir.path().join(format!("{}.gpx", a.id()));
        let t = dir.path().join(format!("{}.tcx", a.id()));
        std::fs::write(&g, &gpx).unwrap();
        std::fs::write(&t, &tcx).unwrap();
        gpx_files.push(g);
        tcx_files.push(t);
    }
    eprintln!(
        "{converted} FIT files converted and read back in {:?}",
        started.elapsed()
    );
    assert!(converted >= 20, "{converted}");
    assert!(without_positions > 0, "no indoor activity in the sample");
    assert!(multisport > 0, "no multisport activity in the sample");
    let started = Instant::now();
    assert_valid("gpx-check.xsd", &gpx_files);
    assert_valid("tcx-check.xsd", &tcx_files);
    eprintln!("and validated in {:?}", started.elapsed());
}

#[test]
fn the_schema_check_rejects_what_breaks_the_schemas() {
    let acc = Account::new(11, 20);
    let a = (0..20)
        .map(|k| acc.nth_newest(k).unwrap())
        .find(|a| a.source() == Source::Device && a.has_gps() && a.kind() == Kind::Running)
        .unwrap();
    let fit = fit_of(&a).unwrap();
    let gpx = String::from_utf8(fit_to_gpx(&fit, &TrackMeta::default()).unwrap()).unwrap();
    let tcx = String::from_utf8(fit_to_tcx(&fit, &TrackMeta::default()).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |n: &str, s: &str| {
        let p = dir.path().join(n);
        std::fs::write(&p, s).unwrap();
        p
    };
    let good = [write("ok.gpx", &gpx), write("ok.tcx", &tcx)];
    assert!(xmllint("gpx-check.xsd", &good[..1]).0);
    assert!(xmllint("tcx-check.xsd", &good[1..]).0);
    // A heart rate of 0 inside the lax extensions, a point out of range, a lap without its
    // required intensity: each must fail, or the checks above prove nothing.
    let hr_at = gpx.find("<gpxtpx:hr>").unwrap() + "<gpxtpx:hr>".len();
    let hr_end = hr_at + gpx[hr_at..].find('<').unwrap();
    let bad_hr = format!("{}0{}", &gpx[..hr_at], &gpx[hr_end..]);
    let bad_lat = gpx.replacen("<trkpt lat=\"", "<trkpt lat=\"9", 1);
    let bad_lap = tcx.replacen("<Intensity>Active</Intensity>", "", 1);
    let bad_tpx = tcx.replacen("<ns3:Speed>", "<ns3:Watts>1</ns3:Watts><ns3:Speed>", 1);
    assert!(bad_hr != gpx && bad_lat != gpx && bad_lap != tcx && bad_tpx != tcx);
    assert!(!xmllint("gpx-check.xsd", &[write("hr.gpx", &bad_hr)]).0);
    assert!(!xmllint("gpx-check.xsd", &[write("lat.gpx", &bad_lat)]).0);
    assert!(!xmllint("tcx-check.xsd", &[write("lap.tcx", &bad_lap)]).0);
    assert!(!xmllint("tcx-check.xsd", &[write("tpx.tcx", &bad_tpx)]).0);
}

#[test]
fn hostile_names_are_escaped_and_read_back() {
    let acc = Account::new(11, 20);
    let a = (0..20)
        .map(|k| acc.nth_newest(k).unwrap())
        .find(|a| a.source() == Source::Device && a.has_gps())
        .unwrap();
    let fit = fit_of(&a).unwrap();
    let name = "</name><x>&amp; \"quoted\" 'single' \u{1}\u{FFFF}ünï 🏃\r\nline";
    let desc = "]]><!-- --><?pi?>&#0;";
    let m = TrackMeta {
        name: Some(name),
        description: Some(desc),
        type_key: Some("<run>"),
        device_name: Some("<Forerunner & co>"),
    };
    let dir = tempfile::tempdir().unwrap();
    let gpx = fit_to_gpx(&fit, &m).unwrap();
    let tcx = fit_to_tcx(&fit, &m).unwrap();
    let expected_name = "</name><x>&amp; \"quoted\" 'single' ünï 🏃\r\nline";
    let root = parse_xml(&gpx);
    assert_eq!(root.attr("version"), Some("1.1"));
    assert_eq!(root.attr("creator"), Some("Garmin Connect Export"));
    assert_eq!(
        root.kid("metadata").unwrap().kid("name").unwrap().text,
        expected_name
    );
    assert_eq!(
        root.kid("metadata").unwrap().kid("desc").unwrap().text,
        desc
    );
    assert_eq!(root.kid("trk").unwrap().kid("type").unwrap().text, "<run>");
    let root = parse_xml(&tcx);
    assert_eq!(
        root.find_all("Notes")[0].text,
        format!("{expected_name}\n\n{desc}")
    );
    let (g, t) = (dir.path().join("h.gpx"), dir.path().join("h.tcx"));
    std::fs::write(&g, &gpx).unwrap();
    std::fs::write(&t, &tcx).unwrap();
    assert_valid("gpx-check.xsd", &[g]);
    assert_valid("tcx-check.xsd", &[t]);
}

#[test]
fn an_indoor_activity_gives_tcx_without_positions_and_a_gpx_without_segments() {
    let acc = Account::new(11, 60);
    let dir = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    for k in 0..acc.len() {
        let a = acc.nth_newest(k).unwrap();
        if !matches!(
            a.kind(),
            Kind::LapSwimming | Kind::IndoorCycling | Kind::TreadmillRunning
        ) || seen.contains(&a.kind())
        {
            continue;
        }
        let Some(fit) = fit_of(&a) else { continue };
        seen.push(a.kind());
        let rec = decode_fit(&fit).unwrap();
        assert!(!rec.has_positions());
        let tcx = fit_to_tcx(&fit, &TrackMeta::default()).unwrap();
        let root = parse_xml(&tcx);
        assert!(root.find_all("Position").is_empty());
        assert_eq!(root.find_all("Trackpoint").len(), a.point_count());
        let gpx = fit_to_gpx(&fit, &TrackMeta::default()).unwrap();
        let root = parse_xml(&gpx);
        assert!(root.kid("trk").is_some() && root.find_all("trkseg").is_empty());
        assert!(root.kid("metadata").unwrap().kid("time").is_some());
        let (g, t) = (
            dir.path().join(format!("{k}.gpx")),
            dir.path().join(format!("{k}.tcx")),
        );
        std::fs::write(&g, &gpx).unwrap();
        std::fs::write(&t, &tcx).unwrap();
        assert_valid("gpx-check.xsd", &[g]);
        assert_valid("tcx-check.xsd", &[t]);
    }
    assert!(seen.len() >= 2, "{seen:?}");
}

// ---------------------------------------------------------------------------------------
// Hostile input

/// A deterministic generator: failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A damaged file: either salvaged (what was intact, with the damage named) or, when
/// nothing before the damage is usable, refused. Returns the message either way.
fn damaged(r: Result<convert::Recording, ConvertError>) -> (Option<usize>, String) {
    match r {
        Ok(rec) => {
            let why = rec
                .damage
                .clone()
                .unwrap_or_else(|| panic!("accepted as whole: {} points", rec.points().count()));
            assert!(
                why.contains("FIT"),
                "the note names the file problem: {why}"
            );
            (Some(rec.points().count()), why)
        }
        Err(e) => (None, bad_data(Err(e))),
    }
}

fn bad_data(r: Result<convert::Recording, ConvertError>) -> String {
    match r {
        Err(e @ (ConvertError::BadData(_) | ConvertError::NotActivity(_))) => {
            assert_eq!(e.kind(), ErrorKind::BadData);
            let m = e.to_string();
            assert!(m.contains("FIT"), "the message names the file problem: {m}");
            m
        }
        Err(e) => panic!("not BadData: {e:?}"),
        Ok(r) => panic!("accepted: {r:?}"),
    }
}

/// Header and CRCs around `data`, so the framing is right whatever the data says.
fn framed(data: &[u8], claimed: Option<u32>) -> Vec<u8> {
    let mut out = vec![14, 0x20];
    out.extend_from_slice(&2132u16.to_le_bytes());
    out.extend_from_slice(&claimed.unwrap_or(data.len() as u32).to_le_bytes());
    out.extend_from_slice(b".FIT");
    let h = crc16(0, &out);
    out.extend_from_slice(&h.to_le_bytes());
    out.extend_from_slice(data);
    let c = crc16(0, &out);
    out.extend_from_slice(&c.to_le_bytes());
    out
}

/// A small but complete activity: header, records with positions, a lap, a session.
fn small_fit(points: u32) -> Vec<u8> {
    let start = 1_700_000_000i64;
    let mut w = Writer::new();
    w.message(
        mesg::FILE_ID,
        &[
            (0, V::Enum(4)),
            (1, V::U16(1)),
            (2, V::U16(3113)),
            (3, V::U32z(12345)),
            (4, V::U32(fit_time(start))),
        ],
    );
    for i in 0..points {
        let t = start + i64::from(i);
        w.message(
            mesg::RECORD,
            &[
                (253, V::U32(fit_time(t))),
                (0, V::I32(560_000_000 + i as i32 * 1000)),
                (1, V::I32(120_000_000 + i as i32 * 700)),
                (2, V::U16(2600 + i as u16)),
                (3, V::U8(120 + (i % 40) as u8)),
                (5, V::U32(i * 300)),
            ],
        );
    }
    let end = start + i64::from(points);
    w.message(
        mesg::LAP,
        &[
            (253, V::U32(fit_time(end))),
            (2, V::U32(fit_time(start))),
            (7, V::U32(points * 1000)),
            (8, V::U32(points * 1000)),
            (9, V::U32(points * 300)),
            (25, V::Enum(1)),
        ],
    );
    w.message(
        mesg::SESSION,
        &[
            (253, V::U32(fit_time(end))),
            (2, V::U32(fit_time(start))),
            (5, V::Enum(1)),
            (7, V::U32(points * 1000)),
        ],
    );
    w.finish()
}

#[test]
fn the_small_fixture_is_a_valid_activity() {
    let rec = decode_fit(&small_fit(30)).unwrap();
    assert_eq!(rec.points().count(), 30);
    assert_eq!(rec.sessions[0].sport, 1);
    assert_eq!(rec.device.as_ref().unwrap().product, Some(3113));
}

#[test]
fn a_truncated_file_gives_what_comes_before_the_cut_at_every_length() {
    let acc = Account::new(11, 20);
    let fit = (0..20)
        .find_map(|k| fit_of(&acc.nth_newest(k).unwrap()))
        .unwrap();
    let started = Instant::now();
    let mut lengths: Vec<usize> = (0..300).collect();
    lengths.extend((300..fit.len()).step_by(fit.len() / 200 + 1));
    lengths.push(fit.len() - 1);
    let whole = decode_fit(&fit).unwrap().points().count();
    let mut last = 0;
    for &n in &lengths {
        let (points, m) = damaged(decode_fit(&fit[..n]));
        assert!(
            m.contains("short") || m.contains("signature") || m.contains("damaged"),
            "{n} of {}: {m}",
            fit.len()
        );
        // The longer the part kept, the more points (never more than the whole file's).
        let points = points.unwrap_or(0);
        assert!(
            points >= last && points <= whole,
            "{n}: {points} after {last}"
        );
        last = points;
    }
    assert!(last > whole * 9 / 10, "{last} of {whole}");
    eprintln!(
        "{} truncations of a {}-byte FIT salvaged or refused in {:?}",
        lengths.len(),
        fit.len(),
        started.elapsed()
    );
}

#[test]
fn a_changed_byte_fails_the_checksum_and_is_said() {
    let fit = small_fit(200);
    let mut rng = Rng(0x5eed);
    for _ in 0..500 {
        let mut f = fit.clone();
        let at = 14 + rng.below(f.len() - 14);
        f[at] ^= 1 << rng.below(8);
        // The changed byte may be a value (all kept, the checksum named) or the framing of
        // a message (kept up to there, the cut or the undefined message named).
        let (_, m) = damaged(decode_fit(&f));
        assert!(
            m.contains("checksum")
                || m.contains("undefined")
                || m.contains("short")
                || m.contains("damaged")
                || m.contains("byte order"),
            "{at}: {m}"
        );
    }
    let mut f = fit.clone();
    f[3] ^= 0x40;
    assert!(damaged(decode_fit(&f)).1.contains("header's checksum"));
    let mut f = fit;
    f[9] = b'X';
    assert!(bad_data(decode_fit(&f)).contains("signature"));
}

#[test]
fn a_header_claiming_a_huge_size_fails_cleanly() {
    let fit = small_fit(20);
    let data = &fit[14..fit.len() - 2];
    for claimed in [u32::MAX, u32::MAX - 20, 0x7FFF_FFFF, data.len() as u32 + 1] {
        let (points, m) = damaged(decode_fit(&framed(data, Some(claimed))));
        assert!(m.contains("cut short"), "{m}");
        assert!(points.unwrap_or(0) <= 20);
    }
    let mut f = fit.clone();
    f[0] = 255;
    assert!(bad_data(decode_fit(&f)).contains("header"));
    let huge = vec![0u8; MAX_FIT_BYTES + 1];
    assert!(bad_data(decode_fit(&huge)).contains("bytes"));
}

#[test]
fn a_definition_claiming_huge_fields_fails_cleanly() {
    // 255 fields of 255 bytes each for local type 0 (global: record), valid framing.
    let mut def = vec![0x40, 0, 0];
    def.extend_from_slice(&mesg::RECORD.to_le_bytes());
    def.push(255);
    for n in 0..255u8 {
        def.extend_from_slice(&[n, 255, 0x0D]);
    }
    // The data message promised is not there (only a few bytes of it).
    let mut cut = def.clone();
    cut.extend_from_slice(&[0, 1, 2, 3]);
    bad_data(decode_fit(&framed(&cut, None)));
    // It is there, all 65025 bytes of it, twice: decoded or refused, quickly, no panic,
    // and never an activity.
    let mut whole = def.clone();
    for _ in 0..2 {
        whole.push(0);
        whole.extend(std::iter::repeat_n(0x41u8, 255 * 255));
    }
    let started = Instant::now();
    bad_data(decode_fit(&framed(&whole, None)));
    eprintln!(
        "a message of 255 fields of 255 bytes: {:?}",
        started.elapsed()
    );
    // A data message for a local type never defined.
    bad_data(decode_fit(&framed(&[3, 1, 2, 3], None)));
    // Developer fields referring to nothing.
    let mut dev = vec![0x60, 0, 0];
    dev.extend_from_slice(&mesg::RECORD.to_le_bytes());
    dev.extend_from_slice(&[1, 253, 4, 0x86, 255]);
    for n in 0..255u8 {
        dev.extend_from_slice(&[n, 255, n]);
    }
    bad_data(decode_fit(&framed(&dev, None)));
}

#[test]
fn random_bytes_fail_cleanly() {
    let mut rng = Rng(0x0dd_ba11);
    let started = Instant::now();
    for _ in 0..300 {
        let n = rng.below(4096);
        let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        bad_data(decode_fit(&bytes));
        // The same inside a valid frame: the messages themselves are garbage.
        match decode_fit(&framed(&bytes, None)) {
            Ok(r) => assert!(!r.sessions.is_empty()),
            Err(e) => assert_eq!(e.kind(), ErrorKind::BadData, "{e}"),
        }
    }
    eprintln!("600 random inputs in {:?}", started.elapsed());
}

#[test]
fn corrupt_messages_with_valid_checksums_never_panic_and_still_write_valid_xml() {
    let fit = small_fit(40);
    let data = fit[14..fit.len() - 2].to_vec();
    let mut rng = Rng(0xfee1_900d);
    let dir = tempfile::tempdir().unwrap();
    let (mut accepted, mut refused, mut gave_up) = (Vec::new(), 0, 0);
    let started = Instant::now();
    for i in 0..3000 {
        let mut d = data.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(d.len());
            d[at] = rng.next() as u8;
        }
        if rng.below(4) == 0 {
            d.truncate(rng.below(d.len()));
        }
        match decode_fit(&framed(&d, None)) {
            Ok(rec) if accepted.len() < 40 => {
                let mut gpx = Vec::new();
                let mut tcx = Vec::new();
                convert::write_gpx(&rec, &TrackMeta::default(), &mut gpx).unwrap();
                convert::write_tcx(&rec, &TrackMeta::default(), &mut tcx).unwrap();
                let (g, t) = (
                    dir.path().join(format!("{i}.gpx")),
                    dir.path().join(format!("{i}.tcx")),
                );
                std::fs::write(&g, gpx).unwrap();
                std::fs::write(&t, tcx).unwrap();
                accepted.push((g, t));
            }
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::BadData, "{e}");
                refused += 1;
                gave_up += usize::from(e.to_string().contains("gave up"));
            }
        }
    }
    eprintln!(
        "3000 corrupt files: {} written, {refused} refused ({gave_up} by a decoder panic caught), {:?}",
        accepted.len(),
        started.elapsed()
    );
    assert!(refused > 0 && !accepted.is_empty());
    let (g, t): (Vec<PathBuf>, Vec<PathBuf>) = accepted.into_iter().unzip();
    assert_valid("gpx-check.xsd", &g);
    assert_valid("tcx-check.xsd", &t);
}

// ---------------------------------------------------------------------------------------
// Files laid out otherwise than the simulator's

fn record(w: &mut Writer, t: i64, i: u32) {
    w.message(
        mesg::RECORD,
        &[
            (253, V::U32(fit_time(t))),
            (0, V::I32(560_000_000 + i as i32 * 1000)),
            (1, V::I32(120_000_000 + i as i32 * 700)),
            (3, V::U8(130)),
            (4, V::U8(85)),
            (5, V::U32(i * 300)),
        ],
    );
}

#[test]
fn records_without_laps_or_sessions_become_one_lap() {
    let start = 1_700_000_000i64;
    let mut w = Writer::new();
    w.message(
        mesg::FILE_ID,
        &[(0, V::Enum(4)), (4, V::U32(fit_time(start)))],
    );
    for i in 0..50 {
        record(&mut w, start + i64::from(i), i);
    }
    let rec = decode_fit(&w.finish()).unwrap();
    assert_eq!(rec.sessions.len(), 1);
    let s = &rec.sessions[0];
    assert_eq!(s.laps.len(), 1);
    assert_eq!(s.laps[0].points.len(), 50);
    assert_eq!(s.laps[0].timer_s, 49.0);
    assert_eq!(s.laps[0].distance_m, 49.0 * 3.0);
    assert_eq!(rec.start(), Some(Utc.timestamp_opt(start, 0).unwrap()));
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("one.tcx");
    let mut tcx = Vec::new();
    convert::write_tcx(&rec, &TrackMeta::default(), &mut tcx).unwrap();
    std::fs::write(&t, tcx).unwrap();
    assert_valid("tcx-check.xsd", &[t]);
}

#[test]
fn summaries_written_at_the_end_are_matched_by_time() {
    // A run then a ride, every record first, then both laps and both sessions.
    let start = 1_700_000_000i64;
    let fit = two_sports_summaries_last(start);
    let rec = decode_fit(&fit).unwrap();
    let counts: Vec<(u8, usize)> = rec
        .sessions
        .iter()
        .map(|s| (s.sport, s.laps.iter().map(|l| l.points.len()).sum()))
        .collect();
    assert_eq!(counts, vec![(1, 30), (2, 30)]);
    let tcx = String::from_utf8(fit_to_tcx(&fit, &TrackMeta::default()).unwrap()).unwrap();
    assert!(tcx.contains("Sport=\"Running\"") && tcx.contains("Sport=\"Biking\""));
    // The ride's laps carry bike cadence, the run's do not.
    assert_eq!(tcx.matches("<Cadence>85</Cadence>").count(), 30);
}

fn two_sports_summaries_last(start: i64) -> Vec<u8> {
    let mut w = Writer::new();
    w.message(
        mesg::FILE_ID,
        &[(0, V::Enum(4)), (4, V::U32(fit_time(start)))],
    );
    for i in 0..60 {
        record(&mut w, start + i64::from(i), i);
    }
    for (k, sport) in [(0i64, 1u8), (1, 2)] {
        let from = start + k * 30;
        w.message(
            mesg::LAP,
            &[
                (253, V::U32(fit_time(from + 30))),
                (2, V::U32(fit_time(from))),
                (7, V::U32(30_000)),
                (8, V::U32(30_000)),
                (9, V::U32(9_000)),
            ],
        );
        w.message(
            mesg::SESSION,
            &[
                (253, V::U32(fit_time(from + 30))),
                (2, V::U32(fit_time(from))),
                (5, V::Enum(sport)),
            ],
        );
    }
    w.finish()
}

#[test]
fn chained_files_are_read_whole_and_a_stray_tail_is_said() {
    let (a, b) = (small_fit(10), small_fit(5));
    let mut both = a.clone();
    both.extend_from_slice(&b);
    // Two files of one activity each: both sessions' points are kept.
    assert_eq!(decode_fit(&both).unwrap().points().count(), 15);
    let mut tail = a;
    tail.extend_from_slice(&[0, 1, 2]);
    let (points, m) = damaged(decode_fit(&tail));
    assert!(m.contains("stray"), "{m}");
    assert_eq!(points, Some(10));
}

#[test]
fn a_file_that_is_not_an_activity_is_refused() {
    let mut w = Writer::new();
    // file type 6: a course.
    w.message(
        mesg::FILE_ID,
        &[(0, V::Enum(6)), (4, V::U32(fit_time(1_700_000_000)))],
    );
    let not = decode_fit(&w.finish());
    assert!(matches!(not, Err(ConvertError::NotActivity(_))), "{not:?}");
    assert!(bad_data(not).contains("is a course, not an activity"));
    let empty = Writer::new().finish();
    assert!(bad_data(decode_fit(&empty)).contains("no activity"));
}
