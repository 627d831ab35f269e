//! File names. A name is built from the activity (local start time, type, name, id) but the
//! id alone is its identity: the archive records the path it wrote, so renaming an activity
//! on Garmin never creates a second copy.

use std::path::PathBuf;

use chrono::{Datelike, NaiveDateTime, Timelike};
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};
use crate::model::{Activity, Format};

/// How files are named inside the archive folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `YYYY/MM/YYYY-MM-DD_hh-mm_type_name_id.ext`: what a person can browse.
    Browsable,
    /// `gcexport.py`'s names: `[YYYYMMDD-hhmmss-]activity_{id}[_name].ext` in the folder, or
    /// in `subdir` (with `{YYYY}` and `{MM}`).
    Classic {
        file_prefix: bool,
        /// `--desc [N]`: append the activity name, cut to N characters when N > 0.
        desc: Option<usize>,
        subdir: Option<String>,
    },
    /// A user template: `/` separates folders; placeholders `{YYYY} {MM} {DD} {hh} {mm} {ss}
    /// {id} {type} {name}`. It must hold `{id}`, so two activities never share a name.
    Template(String),
}

pub(crate) const BROWSABLE: &str = "{YYYY}/{MM}/{YYYY}-{MM}-{DD}_{hh}-{mm}_{type}_{name}_{id}";
const PLACEHOLDERS: [&str; 9] = ["YYYY", "MM", "DD", "hh", "mm", "ss", "id", "type", "name"];
/// Room left in a 255-byte name for an extension, a `_original_N` suffix and `.part`.
const MAX_COMPONENT_BYTES: usize = 200;
const MAX_NAME_CHARS: usize = 60;

/// One file an activity can have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// A downloaded export, or the details for `Format::Json`.
    Export(Format),
    /// The original as Garmin's ZIP.
    OriginalZip,
    /// The `index`th file inside the original ZIP, by its (lower-case) extension.
    OriginalEntry { ext: String, index: usize },
}

impl Layout {
    /// A user template, checked now so a typo fails before any download.
    pub fn template(template: &str) -> Result<Layout> {
        if !template.contains("{id}") {
            return Err(Error::Config(format!(
                "the file name template {template:?} must contain {{id}}"
            )));
        }
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| Error::Config(format!("unclosed {{ in template {template:?}")))?;
            let key = &after[..close];
            if !PLACEHOLDERS.contains(&key) {
                return Err(Error::Config(format!(
                    "unknown placeholder {{{key}}} in template {template:?} (known: {})",
                    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
                )));
            }
            rest = &after[close + 1..];
        }
        Ok(Layout::Template(template.to_string()))
    }

    /// The path, relative to the archive folder, of one file of one activity.
    ///
    /// The file's name keeps its id and its suffix whatever the activity is called: when it
    /// would pass 200 bytes (60 CJK characters are 180), the name part is cut first, by
    /// bytes, on a character boundary. Cutting the end instead once cut the id off, and two
    /// activities of one minute with one long name shared a path.
    pub(crate) fn relative_path(&self, a: &Activity, kind: &FileKind) -> PathBuf {
        let start = a.start_local();
        let suffix = suffix(kind);
        let budget = MAX_COMPONENT_BYTES - suffix.len();
        let (parts, stem) = match self {
            Layout::Browsable => templated(BROWSABLE, a, start, budget),
            Layout::Template(t) => templated(t, a, start, budget),
            Layout::Classic {
                file_prefix,
                desc,
                subdir,
            } => {
                let parts = match subdir {
                    Some(s) => render(s, a, start),
                    None => Vec::new(),
                };
                let prefix = match (file_prefix, start) {
                    (true, Some(t)) => t.format("%Y%m%d-%H%M%S-").to_string(),
                    _ => String::new(),
                };
                let desc = match desc {
                    Some(n) => format!("_{}", classic_sanitize(a.name().unwrap_or(""), *n)),
                    None => String::new(),
                };
                // The description follows the id: cutting the end cuts only the description.
                let stem = format!("{prefix}activity_{}{desc}", a.id);
                (parts, sanitize_limited(&stem, budget))
            }
        };
        // Never the suffix: two kinds of file of one activity must keep distinct names
        // however long the activity's name is.
        let mut path = PathBuf::new();
        for p in parts.iter().filter(|p| !p.is_empty()) {
            path.push(p);
        }
        path.push(format!("{stem}{suffix}"));
        path
    }
}

fn suffix(kind: &FileKind) -> String {
    match kind {
        FileKind::Export(f) => format!(".{}", f.key()),
        FileKind::OriginalZip => ".zip".to_string(),
        // An uploaded GPX or TCX must never be confused with (or overwrite) the exported
        // file of the same activity, so everything but FIT carries `_original`.
        FileKind::OriginalEntry { ext, index } => match (ext.as_str(), index) {
            ("fit", 0) => ".fit".to_string(),
            ("fit", n) => format!("_{n}.fit"),
            (e, 0) => format!("_original.{e}"),
            (e, n) => format!("_original_{n}.{e}"),
        },
    }
}

/// Renders a template into sanitized path components: each `/`-separated part on its own,
/// so nothing the activity says can add a folder level.
fn render(template: &str, a: &Activity, start: Option<NaiveDateTime>) -> Vec<String> {
    segments(template)
        .map(|seg| sanitize_component(&fill(seg, a, start, usize::MAX)))
        .collect()
}

fn segments(template: &str) -> impl Iterator<Item = &str> {
    template
        .split('/')
        .filter(|seg| !seg.is_empty() && *seg != "." && *seg != "..")
}

/// A template's folders, and the file's stem within `budget` bytes with its id kept (see
/// [`fit_stem`]).
fn templated(
    template: &str,
    a: &Activity,
    start: Option<NaiveDateTime>,
    budget: usize,
) -> (Vec<String>, String) {
    let segs: Vec<&str> = segments(template).collect();
    match segs.split_last() {
        Some((last, dirs)) => (
            dirs.iter()
                .map(|seg| sanitize_component(&fill(seg, a, start, usize::MAX)))
                .collect(),
            fit_stem(last, a, start, budget),
        ),
        None => (Vec::new(), format!("activity_{}", a.id)),
    }
}

/// The file's stem within `budget` bytes: the name is cut first (from its end, on a
/// character boundary); only a template whose other parts alone pass the budget loses more,
/// and then it still ends with `_{id}`.
fn fit_stem(seg: &str, a: &Activity, start: Option<NaiveDateTime>, budget: usize) -> String {
    let mut name_max = usize::MAX;
    loop {
        let stem = sanitize_limited(&fill(seg, a, start, name_max), usize::MAX);
        if stem.len() <= budget {
            return stem;
        }
        let name_len = name_value(a).len().min(name_max);
        if name_len == 0 {
            break;
        }
        let excess = stem.len() - budget;
        name_max = name_len.saturating_sub(excess).min(name_len - 1);
    }
    let id = a.id.to_string();
    let stem = sanitize_limited(&fill(seg, a, start, 0), usize::MAX);
    let head = truncate_bytes(&stem, budget.saturating_sub(id.len() + 1));
    sanitize_limited(&format!("{head}_{id}"), budget)
}

/// One template segment with its placeholders filled; the name cut to `name_max` bytes.
fn fill(seg: &str, a: &Activity, start: Option<NaiveDateTime>, name_max: usize) -> String {
    let mut out = String::new();
    let mut rest = seg;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let key = &after[..close];
                if key == "name" {
                    out.push_str(&truncate_bytes(&name_value(a), name_max));
                } else {
                    out.push_str(&value(key, a, start));
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The activity's name as file names show it: NFC, at most 60 characters, no separators.
fn name_value(a: &Activity) -> String {
    let name: String = a.name().unwrap_or("").nfc().take(MAX_NAME_CHARS).collect();
    // A separator inside a name must not split the component.
    name.replace(['/', '\\'], "_")
}

fn value(key: &str, a: &Activity, start: Option<NaiveDateTime>) -> String {
    let two = |v: u32| format!("{v:02}");
    match (key, start) {
        ("YYYY", Some(t)) => format!("{:04}", t.year()),
        ("MM", Some(t)) => two(t.month()),
        ("DD", Some(t)) => two(t.day()),
        ("hh", Some(t)) => two(t.hour()),
        ("mm", Some(t)) => two(t.minute()),
        ("ss", Some(t)) => two(t.second()),
        ("YYYY", None) => "0000".into(),
        ("MM" | "DD" | "hh" | "mm" | "ss", None) => "00".into(),
        ("id", _) => a.id.to_string(),
        ("type", _) => a.type_key().unwrap_or("activity").to_string(),
        ("name", _) => name_value(a),
        (other, _) => format!("{{{other}}}"),
    }
}

/// Makes one path component safe on Windows, macOS and Linux: NFC (what macOS would make of
/// it anyway, so names compare equal everywhere), no separators, reserved characters or
/// control characters, no trailing dots or spaces, no reserved device names, no leading dot
/// (hidden), and at most 200 bytes.
pub fn sanitize_component(s: &str) -> String {
    sanitize_limited(s, MAX_COMPONENT_BYTES)
}

fn sanitize_limited(s: &str, max_bytes: usize) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = false;
    for c in s.nfc() {
        let c = match c {
            '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*' => '_',
            c if c.is_whitespace() => ' ',
            c if c.is_control() => continue,
            // Bidirectional overrides can make `exe.gpx` display as `xpg.exe`.
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' => {
                continue;
            }
            c => c,
        };
        if c == ' ' {
            if last_space {
                continue;
            }
            last_space = true;
        } else {
            last_space = false;
        }
        out.push(c);
    }
    let mut out = truncate_bytes(out.trim(), max_bytes);
    while out.ends_with(['.', ' ']) {
        out.pop();
    }
    let mut out = out.trim_start().to_string();
    if out.starts_with('.') {
        out.replace_range(0..1, "_");
    }
    if out.is_empty() {
        return "_".to_string();
    }
    if is_reserved_on_windows(&out) {
        out.insert(0, '_');
    }
    out
}

fn truncate_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

fn is_reserved_on_windows(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    let upper = stem.to_ascii_uppercase();
    if matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) {
        return true;
    }
    let mut chars = upper.chars();
    let head: String = chars.by_ref().take(3).collect();
    let tail: String = chars.collect();
    (head == "COM" || head == "LPT")
        && matches!(
            tail.as_str(),
            "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³"
        )
}

/// `gcexport.py`'s `sanitize_filename`: ASCII letters, digits and `-_.()`, spaces as `_`,
/// cut to `max` characters when `max` > 0. Kept byte for byte so old folders match.
fn classic_sanitize(name: &str, max: usize) -> String {
    let ascii: String = name.nfkd().filter(char::is_ascii).collect();
    let kept: String = ascii
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.() ".contains(*c))
        .map(|c| if c == ' ' { '_' } else { c })
        .collect();
    if max > 0 {
        kept.chars().take(max).collect()
    } else {
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn activity(name: &str) -> Activity {
        Activity::from_list_item(json!({
            "activityId": 12345678901_i64, "activityName": name,
            "startTimeLocal": "2024-03-08 12:23:22", "startTimeGMT": "2024-03-08 11:23:22",
            "activityType": {"typeKey": "trail_running", "typeId": 6, "parentTypeId": 1}
        }))
        .unwrap()
    }

    #[test]
    fn browsable_names_sort_by_date_and_end_with_the_id() {
        let p = Layout::Browsable
            .relative_path(&activity("Morning Run"), &FileKind::Export(Format::Gpx));
        assert_eq!(
            p,
            PathBuf::from("2024/03/2024-03-08_12-23_trail_running_Morning Run_12345678901.gpx")
        );
    }

    #[test]
    fn hostile_names_stay_one_component() {
        for name in [
            "../../etc/passwd",
            "a/b\\c",
            "CON",
            "x\u{202E}gpx.exe",
            "...",
            " . ",
            "\n\t",
        ] {
            let p =
                Layout::Browsable.relative_path(&activity(name), &FileKind::Export(Format::Tcx));
            assert_eq!(p.components().count(), 3, "{name:?} gave {p:?}");
            let last = p.file_name().unwrap().to_str().unwrap();
            assert!(!last.contains(['/', '\\', '\u{202E}']), "{last}");
        }
    }

    #[test]
    fn a_long_name_is_cut_before_the_suffix() {
        let a = activity(&"x".repeat(400));
        let classic = Layout::Classic {
            file_prefix: false,
            desc: Some(0),
            subdir: None,
        };
        let zip = classic.relative_path(&a, &FileKind::OriginalZip);
        let fit = classic.relative_path(
            &a,
            &FileKind::OriginalEntry {
                ext: "fit".into(),
                index: 0,
            },
        );
        let gpx = classic.relative_path(
            &a,
            &FileKind::OriginalEntry {
                ext: "gpx".into(),
                index: 1,
            },
        );
        for p in [&zip, &fit, &gpx] {
            assert!(p.to_str().unwrap().len() <= 200, "{p:?}");
        }
        assert!(zip.to_str().unwrap().ends_with(".zip"));
        assert!(fit.to_str().unwrap().ends_with(".fit"));
        assert!(gpx.to_str().unwrap().ends_with("_original_1.gpx"));
    }

    #[test]
    fn components_are_safe_everywhere() {
        assert_eq!(sanitize_component("CON"), "_CON");
        assert_eq!(sanitize_component("lpt1.txt"), "_lpt1.txt");
        assert_eq!(sanitize_component("name. . "), "name");
        assert_eq!(sanitize_component(".hidden"), "_hidden");
        assert_eq!(sanitize_component(""), "_");
        assert_eq!(sanitize_component("a:b*c?\"d\"<e>|"), "a_b_c__d__e__");
        // NFD input becomes NFC.
        assert_eq!(sanitize_component("Cafe\u{301}"), "Caf\u{e9}");
        let long = "é".repeat(300);
        let s = sanitize_component(&long);
        assert!(s.len() <= 200 && s.chars().all(|c| c == 'é'));
    }

    #[test]
    fn classic_layout_matches_gcexport_py() {
        let a = activity("Lauf am Sée / 2");
        let classic = Layout::Classic {
            file_prefix: true,
            desc: Some(0),
            subdir: Some("{YYYY}/{MM}".into()),
        };
        assert_eq!(
            classic.relative_path(&a, &FileKind::Export(Format::Gpx)),
            PathBuf::from("2024/03/20240308-122322-activity_12345678901_Lauf_am_See__2.gpx")
        );
        let plain = Layout::Classic {
            file_prefix: false,
            desc: None,
            subdir: None,
        };
        assert_eq!(
            plain.relative_path(
                &a,
                &FileKind::OriginalEntry {
                    ext: "fit".into(),
                    index: 0
                }
            ),
            PathBuf::from("activity_12345678901.fit")
        );
        assert_eq!(
            plain.relative_path(
                &a,
                &FileKind::OriginalEntry {
                    ext: "gpx".into(),
                    index: 0
                }
            ),
            PathBuf::from("activity_12345678901_original.gpx")
        );
    }

    const PART_NAME_ROOM: usize = crate::names::PART_SUFFIX.len();

    /// A seeded generator (xorshift): the same cases on every run and every machine.
    struct Gen(u64);
    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }
    }

    const PIECES: [&str; 24] = [
        "a",
        "Z",
        "9",
        " ",
        ".",
        "-",
        "_",
        "é",
        "e\u{301}",
        "北",
        "京",
        "🏃",
        "👨‍👩‍👧",
        "ß",
        "/",
        "\\",
        ":",
        "*",
        "?",
        "\u{202E}",
        "\t",
        "\n",
        "CON",
        "..",
    ];

    fn random_name(g: &mut Gen) -> String {
        let n = g.below(120);
        (0..n).map(|_| g.pick(&PIECES)).collect()
    }

    #[test]
    fn every_path_ends_with_the_id_and_its_suffix_whatever_the_name() {
        let placeholders = [
            "{YYYY}", "{MM}", "{DD}", "{hh}", "{mm}", "{ss}", "{type}", "{name}", "x", "-", " ",
            "北", "/",
        ];
        let kinds = [
            FileKind::Export(Format::Gpx),
            FileKind::Export(Format::Json),
            FileKind::OriginalZip,
            FileKind::OriginalEntry {
                ext: "fit".into(),
                index: 0,
            },
            FileKind::OriginalEntry {
                ext: "tcx".into(),
                index: 3,
            },
        ];
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        for case in 0..3000 {
            let layout = if case % 3 == 0 {
                Layout::Browsable
            } else {
                let n = g.below(12);
                let head: String = (0..n).map(|_| g.pick(&placeholders)).collect();
                Layout::template(&format!("{head}_{{id}}")).unwrap()
            };
            let name = random_name(&mut g);
            let type_key = if g.below(4) == 0 {
                random_name(&mut g)
            } else {
                "trail_running".to_string()
            };
            let id = 1 + (g.next() % 99_999_999_999) as i64;
            let a = Activity::from_list_item(json!({
                "activityId": id, "activityName": name,
                "startTimeLocal": "2024-03-08 12:23:22",
                "activityType": {"typeKey": type_key}
            }))
            .unwrap();
            for kind in &kinds {
                let p = layout.relative_path(&a, kind);
                let file = p.file_name().unwrap().to_str().unwrap();
                let tail = format!("_{id}{}", suffix(kind));
                assert!(
                    file.ends_with(&tail),
                    "{layout:?} {name:?} {kind:?}: {file:?} lost {tail:?}"
                );
                for c in p.components() {
                    let c = c.as_os_str().to_str().unwrap();
                    // With the `.part` of the file being written, within 255 bytes (and so
                    // within Windows' 255 UTF-16 units).
                    assert!(c.len() + PART_NAME_ROOM <= 255, "{c:?}");
                    assert!(!c.ends_with(['.', ' ']), "{c:?}");
                    assert!(!is_reserved_on_windows(c), "{c:?}");
                    assert!(c != "." && c != "..", "{p:?}");
                }
            }
        }
    }

    #[test]
    fn windows_limits_hold_in_every_component() {
        // A reserved device name is reserved with any extension, in a folder too; trailing
        // dots and spaces are dropped by Windows, so two names would meet.
        let t = Layout::template("{type}/{name}/{name}_{id}").unwrap();
        for (ty, name) in [
            ("NUL", "COM1"),
            ("con", "aux.txt"),
            ("LPT9", "CONIN$"),
            ("com\u{b9}", "prn . "),
            ("x. . ", "name..."),
        ] {
            let a = Activity::from_list_item(json!({
                "activityId": 5, "activityName": name, "startTimeLocal": "2024-03-08 12:23:22",
                "activityType": {"typeKey": ty}
            }))
            .unwrap();
            let p = t.relative_path(&a, &FileKind::Export(Format::Gpx));
            for c in p.components() {
                let c = c.as_os_str().to_str().unwrap();
                assert!(!is_reserved_on_windows(c), "{ty:?} {name:?}: {p:?}");
                assert!(!c.ends_with(['.', ' ']), "{p:?}");
            }
            assert!(p.to_str().unwrap().ends_with("_5.gpx"), "{p:?}");
        }
        // 255 is per component, counted in UTF-16 units on Windows and bytes elsewhere:
        // 4-byte characters are 2 units, so bytes bound both.
        let a = activity(&"🏃".repeat(200));
        let p = Layout::Browsable.relative_path(&a, &FileKind::Export(Format::Json));
        let file = p.file_name().unwrap().to_str().unwrap();
        assert!(file.encode_utf16().count() + PART_NAME_ROOM <= 255);
        assert!(file.len() + PART_NAME_ROOM <= 255);
        assert!(file.ends_with("_12345678901.json"), "{file}");
        assert!(file.contains("🏃"), "the name is cut, not dropped: {file}");
    }

    #[test]
    fn templates_need_the_id_and_known_placeholders() {
        assert!(Layout::template("{YYYY}/{name}").is_err());
        assert!(Layout::template("{YYYY}/{nope}_{id}").is_err());
        let t = Layout::template("{YYYY}/../{type}/{id}-{name}").unwrap();
        assert_eq!(
            t.relative_path(&activity("x/y"), &FileKind::Export(Format::Kml)),
            PathBuf::from("2024/trail_running/12345678901-x_y.kml")
        );
    }
}
