#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Compressed timestamp headers: no file of the real corpus uses them (tests/fixtures/real-fit
//! says so), yet the FIT protocol allows any device to. This test writes such a file byte by
//! byte from the protocol's definition (not with our decoder's code), so the expected times
//! are known by construction, and checks our decoder against them. Garmin's JavaScript FIT
//! SDK (tests/fit-oracle) does not read compressed headers yet: it stops at the first one,
//! and the second test holds it to agreeing as far as it reads (and to every time, the day
//! it reads them all).

use std::process::Command;

use chrono::{DateTime, Utc};
use gcexport_backup::convert::decode_fit;
use serde_json::Value;

/// Seconds between the Unix epoch and FIT's (1989-12-31T00:00:00Z).
const FIT_EPOCH: i64 = 631_065_600;

/// FIT's CRC-16 (the nibble table of the protocol's documentation).
fn crc16(bytes: &[u8]) -> u16 {
    const TABLE: [u16; 16] = [
        0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401, 0xA001, 0x6C00, 0x7800,
        0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
    ];
    let mut crc = 0u16;
    for &b in bytes {
        for nibble in [b & 0x0F, b >> 4] {
            let tmp = TABLE[(crc & 0x0F) as usize];
            crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ TABLE[nibble as usize];
        }
    }
    crc
}

/// A definition message: `local` type, global message `global`, fields (number, size, base type).
fn definition(out: &mut Vec<u8>, local: u8, global: u16, fields: &[(u8, u8, u8)]) {
    out.push(0x40 | local);
    out.push(0); // reserved
    out.push(0); // little-endian
    out.extend_from_slice(&global.to_le_bytes());
    out.push(fields.len() as u8);
    for &(num, size, base) in fields {
        out.extend_from_slice(&[num, size, base]);
    }
}

fn semicircles(degrees: f64) -> i32 {
    (degrees * (2f64.powi(31) / 180.0)).round() as i32
}

/// An activity whose first record carries its timestamp and every later one only a
/// compressed header (5 bits of seconds), with gaps that cross the 32-second rollover.
/// Returns the file and the times of its records, in Unix seconds.
fn activity_with_compressed_timestamps() -> (Vec<u8>, Vec<i64>) {
    let start_fit: u32 = 1_100_000_000; // 2024-11-09 in FIT time
    let gaps = [1u32, 1, 7, 20, 31, 3, 29, 2, 1, 30, 5, 31, 16];
    let mut data = Vec::new();
    // file_id: type activity (4), manufacturer Garmin (1), time_created.
    definition(&mut data, 0, 0, &[(0, 1, 0x00), (1, 2, 0x84), (4, 4, 0x86)]);
    data.push(0x00);
    data.push(4);
    data.extend_from_slice(&1u16.to_le_bytes());
    data.extend_from_slice(&start_fit.to_le_bytes());
    // record with its timestamp (local 1), and without (local 2, for compressed headers).
    let position_fields = [(0, 4, 0x85), (1, 4, 0x85), (3, 1, 0x02)];
    let mut with_time = vec![(253, 4, 0x86)];
    with_time.extend_from_slice(&position_fields);
    definition(&mut data, 1, 20, &with_time);
    definition(&mut data, 2, 20, &position_fields);

    let mut times = Vec::new();
    let mut t = start_fit;
    let point = |data: &mut Vec<u8>, i: usize| {
        let lat = semicircles(48.2 + i as f64 * 0.0001);
        let lon = semicircles(16.37 + i as f64 * 0.0001);
        data.extend_from_slice(&lat.to_le_bytes());
        data.extend_from_slice(&lon.to_le_bytes());
        data.push(120 + i as u8);
    };
    data.push(0x01);
    data.extend_from_slice(&t.to_le_bytes());
    point(&mut data, 0);
    times.push(i64::from(t) + FIT_EPOCH);
    for (i, gap) in gaps.iter().enumerate() {
        t += gap;
        // Compressed header: bit 7 set, local type in bits 5-6, the time's low 5 bits.
        data.push(0x80 | (2 << 5) | (t & 0x1F) as u8);
        point(&mut data, i + 1);
        times.push(i64::from(t) + FIT_EPOCH);
    }

    let mut file = Vec::new();
    file.push(14u8);
    file.push(0x20); // protocol 2.0
    file.extend_from_slice(&2132u16.to_le_bytes());
    file.extend_from_slice(&(data.len() as u32).to_le_bytes());
    file.extend_from_slice(b".FIT");
    let header_crc = crc16(&file);
    file.extend_from_slice(&header_crc.to_le_bytes());
    file.extend_from_slice(&data);
    let crc = crc16(&file);
    file.extend_from_slice(&crc.to_le_bytes());
    (file, times)
}

#[test]
fn compressed_timestamp_headers_give_the_times_the_protocol_defines() {
    let (bytes, times) = activity_with_compressed_timestamps();
    let rec = decode_fit(&bytes).expect("a valid activity decodes");
    assert!(rec.damage.is_none(), "{:?}", rec.damage);
    let got: Vec<i64> = rec.points().map(|p| p.time.timestamp()).collect();
    assert_eq!(got, times, "each record's time, rollovers included");
    assert!(rec.points().all(|p| p.position.is_some()));
    let first = DateTime::<Utc>::from_timestamp(times[0], 0).unwrap();
    assert_eq!(rec.start(), Some(first));
}

#[test]
fn garmins_fit_sdk_agrees_as_far_as_it_reads_compressed_headers() {
    let (bytes, times) = activity_with_compressed_timestamps();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("compressed.fit");
    std::fs::write(&path, &bytes).unwrap();
    let oracle = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fit-oracle");
    assert!(
        oracle.join("node_modules/@garmin/fitsdk").is_dir(),
        "Garmin's FIT SDK is not installed in {}: run .ci/install-deps",
        oracle.display()
    );
    let out = Command::new("node")
        .arg(oracle.join("oracle.mjs"))
        .arg(&path)
        .output()
        .expect("node runs the FIT SDK oracle");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["integrity"], true, "the SDK finds the file intact: {v}");
    let rec = decode_fit(&bytes).unwrap();
    let ours: Vec<i64> = rec.points().map(|p| p.time.timestamp()).collect();
    assert_eq!(ours, times);
    let sdk_times: Vec<i64> = v["times"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_i64().unwrap())
        .collect();
    let errors: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    if errors.is_empty() {
        // An SDK that reads compressed headers must read exactly the protocol's times.
        assert_eq!(sdk_times, times, "{v}");
        assert_eq!(
            v["positions"].as_u64().unwrap() as usize,
            rec.points().filter(|p| p.position.is_some()).count()
        );
    } else {
        // The JavaScript SDK (21.x) stops at the first compressed header ("compressed
        // timestamp messages are not currently supported"): what it read before that must
        // be ours too, and nothing else may have stopped it.
        assert!(
            errors.iter().all(|e| e.contains("compressed timestamp")),
            "{v}"
        );
        assert!(!sdk_times.is_empty(), "{v}");
        assert_eq!(sdk_times[..], times[..sdk_times.len()], "{v}");
    }
}
