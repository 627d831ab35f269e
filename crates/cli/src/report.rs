//! The end of a run in words: totals, what is missing and why (grouped; one line per
//! activity with `-v`), and what failed.

use std::collections::BTreeMap;
use std::path::Path;

use gcexport_backup::{Format, Summary, UnavailableReason};

pub fn print(s: &Summary, dir: &Path, dry_run: bool, verbose: bool) {
    if dry_run {
        eprintln!(
            "dry run: {} activities listed ({} new), {} would be fetched, {} already complete",
            s.activities_listed, s.activities_new, s.activities_planned, s.activities_skipped
        );
        return;
    }
    eprintln!(
        "{}: {} new, {} skipped (complete), {} files written ({} bytes), {} unavailable, {} failed",
        dir.display(),
        s.activities_new,
        s.activities_skipped,
        s.files_written,
        s.bytes_written,
        s.unavailable.len(),
        s.activities_failed
    );
    for line in unavailable(s, verbose) {
        eprintln!("{line}");
    }
    for f in &s.failures {
        let what = f.format.map(|f| f.to_string()).unwrap_or("details".into());
        eprintln!(
            "  failed: {} (activity {}) {what}: {}",
            f.name, f.activity_id, f.message
        );
    }
    if !s.failures.is_empty() {
        eprintln!("  (failed items are retried by the next run)");
    }
    for x in &s.salvaged {
        eprintln!("  activity {}: {}", x.activity_id, x.message);
    }
    if let Some(stop) = &s.stopped
        && !s.cancelled
    {
        eprintln!("stopped: {}", stop.message);
    }
}

/// "93 formats unavailable: 80 GPX without a GPS track, 13 TCX of an uploaded track", then
/// with `verbose` one line per activity and format.
pub fn unavailable(s: &Summary, verbose: bool) -> Vec<String> {
    if s.unavailable.is_empty() {
        return Vec::new();
    }
    let mut groups: BTreeMap<(UnavailableReason, &str), usize> = BTreeMap::new();
    for u in &s.unavailable {
        *groups.entry((u.reason, label(u.format))).or_default() += 1;
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(&(reason, format), n)| format!("{n} {format} {}", why(reason)))
        .collect();
    let total = s.unavailable.len();
    let noun = if total == 1 { "format" } else { "formats" };
    let mut out = vec![format!(
        "  {total} {noun} unavailable: {}",
        parts.join(", ")
    )];
    if verbose {
        for u in &s.unavailable {
            out.push(format!(
                "  unavailable: {} (activity {}) {}: {}",
                u.name,
                u.activity_id,
                label(u.format),
                why(u.reason)
            ));
        }
    } else {
        out.push("  (-v lists them one by one)".into());
    }
    out
}

fn label(format: Format) -> &'static str {
    match format {
        Format::Original => "original",
        Format::Gpx => "GPX",
        Format::Tcx => "TCX",
        Format::Kml => "KML",
        Format::Json => "JSON",
    }
}

fn why(reason: UnavailableReason) -> &'static str {
    match reason {
        UnavailableReason::NoTrack => "without a GPS track (indoor)",
        UnavailableReason::Manual => "of manual entries (no file)",
        UnavailableReason::UploadedTrack => "of an uploaded track (made from another format)",
        UnavailableReason::NotOffered => "not offered by Garmin",
        UnavailableReason::NotInExport => "not in the export",
    }
}
