//! BENCHMARKS.md from the JSON the benchmarks wrote: medians, with how many runs each is
//! the median of, the machine they ran on, and where each target stands.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::cli::median;

pub fn render(out_dir: &Path) -> anyhow::Result<String> {
    let read = |name: &str| -> Option<Value> {
        let text = std::fs::read_to_string(out_dir.join(name)).ok()?;
        serde_json::from_str(&text).ok()
    };
    let cli = read("cli.json");
    let page = read("page.json");
    let app = read("app.json");
    let import = read("import.json");
    let fit = read("fit.json");
    if cli.is_none() && page.is_none() && app.is_none() && import.is_none() {
        anyhow::bail!(
            "no results in {}: run `gcexport-bench cli` (or `make bench`) first",
            out_dir.display()
        );
    }

    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# Benchmarks\n");
    let _ = writeln!(
        w,
        "Written by `make bench` (see [below](#how-to-run) for the knobs) on {}.{}\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        if cli
            .as_ref()
            .and_then(|c| c.get("quick"))
            .and_then(Value::as_bool)
            == Some(true)
        {
            " **Quick mode: small accounts, single runs; not the figures to quote.**"
        } else {
            ""
        }
    );
    let _ = writeln!(w, "Machine: {}.\n", machine());
    let _ = writeln!(
        w,
        "Every figure is the median of several runs; `(n=3)` says of how many. Release builds; \
         the simulator runs on the same machine, on loopback, and adds the latency to every data \
         request (not to the sign-in, which is done once before measuring).\n"
    );
    let mut targets: Vec<[String; 3]> = Vec::new();
    if let Some(c) = &cli {
        cli_sections(w, c, &mut targets);
    }
    if let Some(p) = &page {
        page_section(w, p, &mut targets);
    }
    if let Some(a) = &app {
        app_section(w, a, &mut targets);
    }
    if let Some(i) = &import {
        import_section(w, i, &mut targets);
    }
    if let Some(f) = &fit {
        fit_section(w, f);
    }
    if !targets.is_empty() {
        let _ = writeln!(w, "## Targets\n");
        let _ = writeln!(w, "| Target | Measured | Met |\n|---|---|---|");
        for [t, m, ok] in &targets {
            let _ = writeln!(w, "| {t} | {m} | {ok} |");
        }
        let _ = writeln!(w);
    }
    how_to_run(w);
    Ok(md)
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn num(v: &Value, path: &str) -> f64 {
    v.pointer(path).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

/// Median of `path` over `items`, and how many there were.
fn med(items: &[Value], path: &str) -> (f64, usize) {
    let xs: Vec<f64> = items
        .iter()
        .map(|i| num(i, path))
        .filter(|x| !x.is_nan())
        .collect();
    let n = xs.len();
    (median(xs), n)
}

fn thousands(n: f64) -> String {
    if n.is_nan() {
        return "–".into();
    }
    let s = format!("{:.0}", n);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn met(ok: bool) -> String {
    if ok { "yes".into() } else { "**no**".into() }
}

fn cli_sections(w: &mut String, c: &Value, targets: &mut Vec<[String; 3]>) {
    let latency = num(c, "/latency_ms");
    let conc = num(c, "/concurrency");
    let _ = writeln!(
        w,
        "## Full backup (`gcexport -f gpx,original -u`)\n\n\
         {latency:.0} ms per request, at most {conc:.0} requests in flight (the default). \
         Ideal = requests × latency ÷ concurrency: the time the requests need if the client never \
         waits for anything but Garmin. Requests per activity = (details + gear + downloads) ÷ \
         activities, multisport legs counted (each has its own details and files); list pages \
         and device look-ups are shown apart.\n"
    );
    let _ = writeln!(
        w,
        "| Account | Activities with legs | Wall time | Ideal | Wall ÷ ideal | Requests | Per activity | List pages | Device look-ups (devices) | Peak concurrent | gcexport peak RSS |\n|---|---|---|---|---|---|---|---|---|---|---|"
    );
    let sizes = arr(c, "sizes");
    let mut rss_by_size = Vec::new();
    for s in sizes {
        let full = arr(s, "full");
        let (wall, n) = med(full, "/wall_s");
        let (ideal, _) = med(full, "/ideal_s");
        let (ratio, _) = med(full, "/ratio");
        let (reqs, _) = med(full, "/requests/total");
        let (signin, _) = med(full, "/requests/signin");
        let (per, _) = med(full, "/requests_per_activity");
        let (list, _) = med(full, "/requests/list");
        let (dev, _) = med(full, "/requests/device");
        let (peak, _) = med(full, "/requests/peak_concurrent");
        let (rss, _) = med(full, "/peak_rss_mib");
        let acts = num(s, "/activities");
        let devices = num(s, "/devices");
        rss_by_size.push((acts, rss));
        let _ = writeln!(
            w,
            "| {} | {} | {wall:.1} s (n={n}) | {ideal:.1} s | {ratio:.2} | {} | {per:.2} | {list:.0} | {dev:.0} ({devices:.0}) | {peak:.0} | {rss:.1} MiB |",
            thousands(acts),
            thousands(num(s, "/activities_with_legs")),
            thousands(reqs - signin),
        );
        targets.push([
            format!(
                "First backup of {}: formats + at most 2 requests per activity (here 2 + 2 = 4); device look-ups at most one per device",
                thousands(acts)
            ),
            format!("{per:.2} per activity; {dev:.0} look-ups for {devices:.0} devices"),
            met(per <= 4.0 + 1e-9 && dev <= devices),
        ]);
        targets.push([
            format!(
                "Full backup of {} within 1.25× of the ideal",
                thousands(acts)
            ),
            format!("{ratio:.2}× ({wall:.1} s vs {ideal:.1} s)"),
            met(ratio <= 1.25),
        ]);
    }
    let _ = writeln!(w);

    let _ = writeln!(
        w,
        "## Re-runs\n\nThe same command again on the same folder (incremental: the list is read \
         newest first and stops at the first page with nothing new). Requests after sign-in \
         (none is needed: the saved tokens are used).\n"
    );
    let _ = writeln!(
        w,
        "| Account | Nothing new: requests | Nothing new: wall time | gcexport peak RSS | 10 new: requests | 10 new: wall time |\n|---|---|---|---|---|---|"
    );
    for s in sizes {
        let nothing = arr(s, "nothing_new");
        let ten = arr(s, "ten_new");
        let (r0, n0) = med(nothing, "/requests/total");
        let (s0, _) = med(nothing, "/requests/signin");
        let (w0, _) = med(nothing, "/wall_s");
        let (m0, _) = med(nothing, "/peak_rss_mib");
        let (r1, n1) = med(ten, "/requests/total");
        let (s1, _) = med(ten, "/requests/signin");
        let (w1, _) = med(ten, "/wall_s");
        let acts = num(s, "/activities");
        let _ = writeln!(
            w,
            "| {} | {:.0} (n={n0}) | {w0:.2} s | {m0:.1} MiB | {:.0} (n={n1}) | {w1:.2} s |",
            thousands(acts),
            r0 - s0,
            r1 - s1
        );
        let max_per_known = nothing
            .iter()
            .map(|r| num(r, "/requests/total") - num(r, "/requests/signin"))
            .fold(0.0, f64::max);
        if acts >= 10_000.0 {
            targets.push([
                format!(
                    "Re-run with nothing new on {}: at most 2 requests after sign-in, under 1 s",
                    thousands(acts)
                ),
                format!("{:.0} requests, {w0:.2} s", r0 - s0),
                met(max_per_known <= 2.0 && w0 < 1.0),
            ]);
        }
    }
    let _ = writeln!(w);

    if rss_by_size.len() >= 2 {
        let (a0, m0) = rss_by_size[0];
        let (a1, m1) = rss_by_size[rss_by_size.len() - 1];
        let _ = writeln!(
            w,
            "## Memory\n\n`gcexport`'s whole-process peak resident memory (the kernel's `VmHWM`, \
             sampled every few ms) during the full backup: {m0:.1} MiB at {} activities, {m1:.1} MiB \
             at {}.\n",
            thousands(a0),
            thousands(a1)
        );
        targets.push([
            format!(
                "gcexport peak memory under 50 MB at {} activities, flat in the account size",
                thousands(a1)
            ),
            format!(
                "{m1:.1} MiB at {}, {m0:.1} MiB at {}",
                thousands(a1),
                thousands(a0)
            ),
            met(m1 * 1.048_576 < 50.0 && m1 <= m0 * 1.25 + 2.0),
        ]);
    }

    let faulted = arr(c, "faulted");
    if !faulted.is_empty() {
        let _ = writeln!(
            w,
            "## Under injected faults\n\nThe same full backup while the simulator answers `{}` \
             (on top of the latency). The folder is then compared file by file (SHA-256) with \
             a clean backup of the same account.\n",
            c.get("faults").and_then(Value::as_str).unwrap_or("")
        );
        let _ = writeln!(
            w,
            "| Account | Wall time | Clean | Slowdown | Faults injected | Requests during a Retry-After | Files identical | Extra files | Exit code |\n|---|---|---|---|---|---|---|---|---|"
        );
        for f in faulted {
            let runs = arr(f, "runs");
            let (wall, n) = med(runs, "/wall_s");
            let clean = num(f, "/clean_wall_s");
            let injected: Vec<String> = runs
                .first()
                .and_then(|r| r.pointer("/requests/faults_injected"))
                .and_then(Value::as_object)
                .map(|o| {
                    o.iter()
                        .filter(|(k, _)| *k != "latency")
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect()
                })
                .unwrap_or_default();
            let during: f64 = runs
                .iter()
                .map(|r| num(r, "/requests/requests_during_retry_after"))
                .fold(0.0, f64::max);
            let all_ok = runs.iter().all(|r| {
                num(r, "/files_identical") == num(r, "/files_expected")
                    && num(r, "/files_extra") == 0.0
                    && num(r, "/exit_code") == 0.0
            });
            let worst_identical = runs
                .iter()
                .map(|r| num(r, "/files_identical"))
                .fold(f64::INFINITY, f64::min);
            let expected = runs.first().map_or(f64::NAN, |r| num(r, "/files_expected"));
            let extra = runs
                .iter()
                .map(|r| num(r, "/files_extra"))
                .fold(0.0, f64::max);
            let codes: Vec<String> = runs
                .iter()
                .map(|r| r.get("exit_code").map_or("–".into(), |c| c.to_string()))
                .collect();
            let _ = writeln!(
                w,
                "| {} | {wall:.1} s (n={n}) | {clean:.1} s | {:.2}× | {} (first run) | {during:.0} | {}/{} (worst run) | {extra:.0} | {} |",
                thousands(num(f, "/activities")),
                wall / clean,
                injected.join(", "),
                thousands(worst_identical),
                thousands(expected),
                codes.join(", ")
            );
            targets.push([
                format!(
                    "Under 429s and 5xx ({}): nothing lost",
                    thousands(num(f, "/activities"))
                ),
                format!(
                    "{}/{} files identical in every run, {:.2}× slower, {during:.0} requests during a Retry-After",
                    thousands(worst_identical),
                    thousands(expected),
                    wall / clean
                ),
                met(all_ok),
            ]);
        }
        let _ = writeln!(w);
    }
}

fn page_section(w: &mut String, p: &Value, targets: &mut Vec<[String; 3]>) {
    let runs = arr(p, "runs");
    let rows = num(p, "/rows");
    let (paint, n) = med(runs, "/first_paint_ms");
    let (from_first, _) = med(runs, "/first_paint_after_first_page_ms");
    let (full, _) = med(runs, "/all_rows_painted_ms");
    let (p50, _) = med(runs, "/scroll/p50_ms");
    let (p95, _) = med(runs, "/scroll/p95_ms");
    let (max, _) = med(runs, "/scroll/max_ms");
    let (dropped, _) = med(runs, "/scroll/dropped");
    let (frames, _) = med(runs, "/scroll/frames");
    let (fps, _) = med(runs, "/scroll/fps");
    let _ = writeln!(
        w,
        "## The page: {} activities\n\nThe built page (`ui/dist`) in headless Chromium with the \
         fake shell of the end-to-end tests (`tests/e2e/page/fake-backend.js`), which sends the \
         list over mocked IPC in pages of {} as the real shell does. First paint: from \
         navigation start to the first frame that shows rows. Scrolling: the list is scrolled \
         programmatically by {} px per frame through the whole list; frame times are \
         `requestAnimationFrame` deltas; a frame is dropped when a delta exceeds 1.5 × 16.7 ms.\n",
        thousands(rows),
        num(p, "/page_size"),
        num(p, "/scroll_step_px"),
    );
    let _ = writeln!(
        w,
        "| First paint | …after the first page arrived | All {} rows in | Scroll frames | p50 | p95 | max | Dropped | Frames per second |\n|---|---|---|---|---|---|---|---|---|",
        thousands(rows)
    );
    let _ = writeln!(
        w,
        "| {paint:.0} ms (n={n}) | {from_first:.0} ms | {full:.0} ms | {frames:.0} | {p50:.1} ms | {p95:.1} ms | {max:.1} ms | {dropped:.0} | {fps:.0} |\n"
    );
    targets.push([
        format!("A {}-row list paints in under 300 ms", thousands(rows)),
        format!("{paint:.0} ms from navigation"),
        met(paint < 300.0),
    ]);
    targets.push([
        "…and scrolls at 60 frames per second".into(),
        format!("p50 {p50:.1} ms, p95 {p95:.1} ms, {fps:.0} fps, {dropped:.0} dropped"),
        met(p95 <= 16.7 * 1.5 && fps >= 57.0),
    ]);
}

fn app_section(w: &mut String, a: &Value, targets: &mut Vec<[String; 3]>) {
    let starts = arr(a, "startup");
    let (ms, n) = med(starts, "/interactive_ms");
    let _ = writeln!(
        w,
        "## The desktop app\n\nRelease build under Xvfb, driven through tauri-driver and \
         WebKitWebDriver as the end-to-end tests do.\n\n- Start-up to an interactive window \
         (from spawning the app to the sign-in view's first button being present and enabled): \
         **{ms:.0} ms** (n={n}). Measured from the WebDriver session request, which spawns the \
         app, so it includes the driver's own start of a few ms."
    );
    let backups = arr(a, "backup");
    if !backups.is_empty() {
        let (rss, n) = med(backups, "/peak_rss_mib");
        let (before, _) = med(backups, "/rss_before_backup_mib");
        let (wall, _) = med(backups, "/wall_s");
        let acts = backups.first().map_or(f64::NAN, |b| num(b, "/activities"));
        let _ = writeln!(
            w,
            "- The app's backend during a backup of {} activities (`original,gpx`) from an \
             external simulator ({:.0} ms latency), signed in through Garmin's page in the app: \
             the app's main process (Rust backend, GTK and WebKit's UI side; the page runs in \
             WebKit's own web process, not counted) peaks at **{rss:.1} MiB** (n={n}), from \
             {before:.1} MiB with the list loaded before the backup; the backup took {wall:.1} s.",
            thousands(acts),
            num(a, "/latency_ms")
        );
    }
    let _ = writeln!(w);
    let _ = targets;
}

fn fit_section(w: &mut String, f: &Value) {
    let _ = writeln!(
        w,
        "## FIT decoding\n\nThe real devices' FIT files of \
         `crates/backup/tests/fixtures/real-fit` ({} files, {:.2} MB), decoded in memory \
         over and over for a second (`cargo run --release -p gcexport-backup --example \
         fit_speed`):\n\n| Decoder | Files read without an error | MB/s |\n|---|---|---|\n\
         | ours (since issue 12) | {} | {:.1} |\n| fitparser 0.11, as used before | {} | {:.1} |\n\n\
         Ours refuses, saying why, the 8 files that are not activities and the SDK's \
         developer-data example (its records have no time: no track). fitparser reads the \
         non-activities too (the old converter then refused them, as \"file type 2\") but not \
         the developer-data example; on damaged or chained copies it reads nothing (see \
         the issue 12 report), ours what is intact.\n",
        num(f, "/files"),
        num(f, "/bytes") / 1e6,
        num(f, "/ours_ok"),
        num(f, "/ours_mb_s"),
        num(f, "/fitparser_ok"),
        num(f, "/fitparser_mb_s"),
    );
}

fn import_section(w: &mut String, i: &Value, targets: &mut Vec<[String; 3]>) {
    let bytes = num(i, "/export_bytes");
    let mb = num(i, "/peak_rss_kib") * 1024.0 / 1e6;
    let wall = num(i, "/wall_s");
    let _ = writeln!(
        w,
        "## Import of a Garmin data export\n\n`gcexport import` (release build) of a data export \
         written by the simulator (`make bench-import`): {:.2} GB, {} activities whose FIT files \
         carry skippable padding so that the size is realistic for the count, nested upload ZIPs, \
         `-f {}` (GPX made from each FIT on this machine). Whole-process peak resident memory \
         (GNU time's maximum RSS): **{mb:.1} MB**; wall time {wall:.0} s ({:.0} MB/s of export) \
         (n=1).\n",
        bytes / 1e9,
        thousands(num(i, "/activities")),
        i.get("formats").and_then(Value::as_str).unwrap_or("?"),
        bytes / 1e6 / wall,
    );
    targets.push([
        format!(
            "A {:.1} GB export imports with memory under 100 MB",
            bytes / 1e9
        ),
        format!("{mb:.1} MB"),
        met(mb < 100.0),
    ]);
}

fn how_to_run(w: &mut String) {
    let _ = writeln!(
        w,
        "## How to run\n\n`make bench` (after `.ci/install-deps`) builds release binaries and \
         the page, runs everything and rewrites this file. A full run takes about 30 minutes; \
         `BENCH_QUICK=1 make bench` takes a few. Knobs (environment):\n\n\
         | Variable | Default | Meaning |\n|---|---|---|\n\
         | `BENCH_QUICK` | unset | small accounts, one run each |\n\
         | `BENCH_SIZES` | `1000,10000` | account sizes for the backup figures |\n\
         | `BENCH_RUNS` | 3 | full backups per size under 5,000 activities |\n\
         | `BENCH_RUNS_LARGE` | 2 | full backups per size of 5,000 or more |\n\
         | `BENCH_RERUNS` | 5 | re-runs of each kind after each full backup |\n\
         | `BENCH_LATENCY_MS` | 50 | added to every data request |\n\
         | `BENCH_CONCURRENCY` | 4 | `gcexport --concurrency` |\n\
         | `BENCH_FAULT_SIZES` | `1000` | sizes also backed up under faults (must be in `BENCH_SIZES`) |\n\
         | `BENCH_FAULTS` | `429:p=0.01,body=json,retry-after=1;5xx:p=0.02,status=503` | the simulator's fault rules |\n\
         | `BENCH_PAGE_RUNS` | 5 | page loads of the 10,000-row list |\n\
         | `BENCH_APP_RUNS` | 3 | app start-ups, and backups in the app |\n\
         | `BENCH_OUT` | `target/bench` | where the raw JSON results go |\n\
         | `BENCH_IMPORT_ACTIVITIES`, `BENCH_IMPORT_FIT_PADDING_KIB` | 5000, 460 | the data export's size (`make bench-import`) |\n"
    );
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or("? GiB".into(), |kib| {
            format!("{:.1} GiB", kib / 1024.0 / 1024.0)
        });
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("PRETTY_NAME="))
                .map(|l| l["PRETTY_NAME=".len()..].trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| std::env::consts::OS.into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem} RAM, {os}, Linux {kernel}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separates() {
        assert_eq!(thousands(10_000.0), "10,000");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
    }

    #[test]
    fn a_report_from_partial_results_names_what_it_has() {
        let dir = tempfile::tempdir().unwrap();
        assert!(render(dir.path()).is_err(), "nothing to report is an error");
        let page = serde_json::json!({
            "rows": 10000, "page_size": 100, "scroll_step_px": 600,
            "runs": [
                {"first_paint_ms": 250.0, "first_paint_after_first_page_ms": 20.0, "all_rows_painted_ms": 900.0,
                 "scroll": {"frames": 100, "p50_ms": 16.7, "p95_ms": 17.0, "max_ms": 20.0, "dropped": 0, "fps": 60.0}},
                {"first_paint_ms": 350.0, "first_paint_after_first_page_ms": 30.0, "all_rows_painted_ms": 950.0,
                 "scroll": {"frames": 100, "p50_ms": 16.7, "p95_ms": 33.0, "max_ms": 50.0, "dropped": 3, "fps": 58.0}}
            ]
        });
        std::fs::write(dir.path().join("page.json"), page.to_string()).unwrap();
        let md = render(dir.path()).unwrap();
        assert!(md.contains("| 300 ms (n=2) |"), "{md}");
        assert!(
            md.contains(
                "A 10,000-row list paints in under 300 ms | 300 ms from navigation | **no** |"
            ),
            "{md}"
        );
        assert!(!md.contains("## Full backup"));
    }
}
