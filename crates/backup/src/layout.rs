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

const BROWSABLE: &str = "{YYYY}/{MM}/{YYYY}-{MM}-{DD}_{hh}-{mm}_{type}_{name}_{id}";
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
    pub(crate) fn relative_path(&self, a: &Activity, kind: &FileKind) -> PathBuf {
        let start = a.start_local();
        let mut parts: Vec<String> = match self {
            Layout::Browsable => render(BROWSABLE, a, start),
            Layout::Template(t) => render(t, a, start),
            Layout::Classic {
                file_prefix,
                desc,
                subdir,
            } => {
                let mut parts = match subdir {
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
                parts.push(format!("{prefix}activity_{}{desc}", a.id));
                parts
            }
        };
        let stem = parts.pop().unwrap_or_else(|| format!("activity_{}", a.id));
        // The stem is cut, never the suffix: two kinds of file of one activity must keep
        // distinct names however long the activity's name is.
        let suffix = suffix(kind);
        let stem = sanitize_limited(&stem, MAX_COMPONENT_BYTES - suffix.len());
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
    template
        .split('/')
        .filter(|seg| !seg.is_empty() && *seg != "." && *seg != "..")
        .map(|seg| {
            let mut out = String::new();
            let mut rest = seg;
            while let Some(open) = rest.find('{') {
                out.push_str(&rest[..open]);
                let after = &rest[open + 1..];
                match after.find('}') {
                    Some(close) => {
                        out.push_str(&value(&after[..close], a, start));
                        rest = &after[close + 1..];
                    }
                    None => {
                        out.push_str(&rest[open..]);
                        rest = "";
                    }
                }
            }
            out.push_str(rest);
            sanitize_component(&out)
        })
        .collect()
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
        ("name", _) => {
            let name: String = a.name().unwrap_or("").nfc().take(MAX_NAME_CHARS).collect();
            // A separator inside a name must not split the component.
            name.replace(['/', '\\'], "_")
        }
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
