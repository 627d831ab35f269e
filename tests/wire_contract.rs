//! The page's wire types (`ui/src/wire.ts`) and the shell's serde types cannot drift apart:
//! every Rust type is serialised (each variant of each enum) and its JSON keys, tags and
//! nulls are compared with what wire.ts declares. wire.ts is plain type declarations on
//! purpose, so a small reader suffices here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use garmin_connect_export::wire::*;
use serde::Serialize;
use serde_json::Value;

/// Field name -> its TypeScript type text.
type Fields = BTreeMap<String, String>;

#[derive(Debug)]
enum Decl {
    Object(Fields),
    Union(Vec<Fields>),
    Strings(BTreeSet<String>),
    Other,
}

fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |i| &after[i + 2..]);
        } else if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |i| &after[i..]);
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// `a: T; b?: U | null;` at the top level of an object body.
fn fields(body: &str) -> Fields {
    let mut out = Fields::new();
    let mut depth = 0i32;
    let mut current = String::new();
    let mut parts = Vec::new();
    for c in body.chars() {
        match c {
            '{' | '(' | '<' | '[' => depth += 1,
            '}' | ')' | '>' | ']' => depth -= 1,
            _ => {}
        }
        if (c == ';' || c == ',') && depth == 0 {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    for part in parts {
        let part = part.trim();
        if let Some((name, ty)) = part.split_once(':') {
            out.insert(
                name.trim().trim_end_matches('?').to_owned(),
                ty.split_whitespace().collect::<Vec<_>>().join(" "),
            );
        }
    }
    out
}

/// The `{ ... }` groups at the top level of `text`.
fn objects(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => {
                if depth == 0 {
                    start = i + 1;
                }
                depth += 1;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    out.push(text[start..i].to_owned());
                }
            }
            _ => {}
        }
    }
    out
}

fn read_wire_ts() -> BTreeMap<String, Decl> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/wire.ts");
    let text = strip_comments(&std::fs::read_to_string(path).unwrap());
    let mut decls = BTreeMap::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("export ") {
        rest = &rest[i + "export ".len()..];
        if let Some(after) = rest.strip_prefix("interface ") {
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let body = objects(after).into_iter().next().unwrap();
            decls.insert(name, Decl::Object(fields(&body)));
        } else if let Some(after) = rest.strip_prefix("type ") {
            let (name, def) = after.split_once('=').unwrap();
            // The definition ends at the first `;` outside braces.
            let mut depth = 0;
            let mut end = def.len();
            for (i, c) in def.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ';' if depth == 0 => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            let def = def[..end].trim();
            let decl = if def.contains('{') {
                Decl::Union(objects(def).iter().map(|o| fields(o)).collect())
            } else if def.starts_with('"') || def.starts_with("| \"") {
                Decl::Strings(
                    def.split('|')
                        .map(|s| s.trim().trim_matches('"').to_owned())
                        .filter(|s| !s.is_empty())
                        .collect(),
                )
            } else {
                Decl::Other
            };
            decls.insert(name.trim().to_owned(), decl);
        }
    }
    decls
}

fn json<T: Serialize>(value: &T) -> serde_json::Map<String, Value> {
    match serde_json::to_value(value).unwrap() {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// The sample's keys are exactly the declared fields, and a `null` only where the
/// declared type admits one.
fn assert_same(name: &str, declared: &Fields, sample: &serde_json::Map<String, Value>) {
    let got: BTreeSet<&String> = sample.keys().collect();
    let want: BTreeSet<&String> = declared.keys().collect();
    assert_eq!(got, want, "{name}: Rust keys vs wire.ts fields");
    for (key, value) in sample {
        if value.is_null() {
            assert!(
                declared[key].contains("null"),
                "{name}.{key} is null in Rust but wire.ts says {}",
                declared[key]
            );
        }
    }
}

fn check_object<T: Serialize>(decls: &BTreeMap<String, Decl>, name: &str, sample: &T) {
    match decls.get(name) {
        Some(Decl::Object(f)) => assert_same(name, f, &json(sample)),
        other => panic!("{name} is not an interface in wire.ts: {other:?}"),
    }
}

/// Every variant of a tagged union: each Rust sample matches the wire.ts variant with its
/// tag, and wire.ts has no variant Rust lacks.
fn check_union<T: Serialize>(decls: &BTreeMap<String, Decl>, name: &str, tag: &str, samples: &[T]) {
    let Some(Decl::Union(variants)) = decls.get(name) else {
        panic!("{name} is not a union of objects in wire.ts");
    };
    let mut seen = BTreeSet::new();
    for sample in samples {
        let sample = json(sample);
        let value = sample[tag].as_str().unwrap().to_owned();
        let quoted = format!("\"{value}\"");
        let variant = variants
            .iter()
            .find(|v| v.get(tag) == Some(&quoted))
            .unwrap_or_else(|| panic!("{name}: wire.ts has no variant {tag} = {quoted}"));
        assert_same(&format!("{name}[{value}]"), variant, &sample);
        seen.insert(quoted);
    }
    let declared: BTreeSet<String> = variants
        .iter()
        .filter_map(|v| v.get(tag).cloned())
        .collect();
    assert_eq!(seen, declared, "{name}: every variant has a Rust sample");
}

fn check_strings<T: Serialize>(decls: &BTreeMap<String, Decl>, name: &str, all: &[T]) {
    let Some(Decl::Strings(want)) = decls.get(name) else {
        panic!("{name} is not a union of strings in wire.ts");
    };
    let got: BTreeSet<String> = all
        .iter()
        .map(|v| {
            serde_json::to_value(v)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(&got, want, "{name}");
}

fn account() -> Account {
    Account {
        display_name: "ana".into(),
        full_name: None,
    }
}

/// One of each error; the match makes a new variant fail to compile until it is added.
fn every_error() -> Vec<AppError> {
    let m = || "m".to_owned();
    let all = vec![
        AppError::WrongCredentials { message: m() },
        AppError::WrongCode { message: m() },
        AppError::CaptchaRequired { message: m() },
        AppError::AccountLocked { message: m() },
        AppError::RateLimited {
            message: m(),
            until: 1,
        },
        AppError::TokensExpired { message: m() },
        AppError::NotSignedIn { message: m() },
        AppError::SignInCancelled { message: m() },
        AppError::TicketRejected { message: m() },
        AppError::NoPendingCode { message: m() },
        AppError::Offline { message: m() },
        AppError::Timeout { message: m() },
        AppError::Server { message: m() },
        AppError::Forbidden { message: m() },
        AppError::DiskFull {
            message: m(),
            path: None,
        },
        AppError::FolderUnusable {
            message: m(),
            path: None,
        },
        AppError::FolderRefused {
            message: m(),
            path: None,
        },
        AppError::BackupRunning { message: m() },
        AppError::NotAnExport {
            message: m(),
            path: None,
        },
        AppError::ExportDamaged {
            message: m(),
            path: None,
        },
        AppError::Cancelled { message: m() },
        AppError::Unexpected { message: m() },
    ];
    for e in &all {
        match e {
            AppError::WrongCredentials { .. }
            | AppError::WrongCode { .. }
            | AppError::CaptchaRequired { .. }
            | AppError::AccountLocked { .. }
            | AppError::RateLimited { .. }
            | AppError::TokensExpired { .. }
            | AppError::NotSignedIn { .. }
            | AppError::SignInCancelled { .. }
            | AppError::TicketRejected { .. }
            | AppError::NoPendingCode { .. }
            | AppError::Offline { .. }
            | AppError::Timeout { .. }
            | AppError::Server { .. }
            | AppError::Forbidden { .. }
            | AppError::DiskFull { .. }
            | AppError::FolderUnusable { .. }
            | AppError::FolderRefused { .. }
            | AppError::BackupRunning { .. }
            | AppError::NotAnExport { .. }
            | AppError::ExportDamaged { .. }
            | AppError::Cancelled { .. }
            | AppError::Unexpected { .. } => {}
        }
    }
    all
}

#[test]
fn the_reader_finds_the_declarations() {
    let decls = read_wire_ts();
    for name in [
        "AppInfo",
        "SessionStatus",
        "BackupEvent",
        "AppError",
        "Format",
    ] {
        assert!(decls.contains_key(name), "{name} in {:?}", decls.keys());
    }
}

#[test]
fn every_rust_wire_type_matches_wire_ts() {
    let d = read_wire_ts();
    check_object(
        &d,
        "AppInfo",
        &AppInfo {
            name: "n".into(),
            version: "v".into(),
            demo: false,
        },
    );
    check_object(&d, "Account", &account());
    check_union(
        &d,
        "SessionStatus",
        "state",
        &[
            SessionStatus::SignedIn { account: account() },
            SessionStatus::SignedOut { reason: None },
        ],
    );
    let signed_out = json(&SessionStatus::SignedOut {
        reason: Some(SignedOutReason::TokensExpired),
    });
    let Some(Decl::Union(v)) = d.get("SessionStatus") else {
        unreachable!()
    };
    let reason_type = v.iter().find_map(|f| f.get("reason")).unwrap();
    assert!(
        reason_type.contains(&signed_out["reason"].to_string()),
        "{reason_type}"
    );

    check_union(
        &d,
        "PasswordSignIn",
        "status",
        &[
            PasswordSignIn::SignedIn { account: account() },
            PasswordSignIn::NeedsCode {
                channel: None,
                sent_to: None,
            },
        ],
    );
    check_strings(
        &d,
        "CodeChannel",
        &[CodeChannel::Email, CodeChannel::Sms, CodeChannel::App],
    );
    check_strings(&d, "Format", &Format::ALL);
    check_strings(
        &d,
        "ActivityStatus",
        &[
            ActivityStatus::InBackup,
            ActivityStatus::New,
            ActivityStatus::Unavailable,
            ActivityStatus::Failed,
        ],
    );
    check_strings(
        &d,
        "UnavailableReason",
        &[
            UnavailableReason::NoTrack,
            UnavailableReason::Manual,
            UnavailableReason::UploadedTrack,
            UnavailableReason::NotOffered,
            UnavailableReason::NotInExport,
        ],
    );
    let row = ActivityRow {
        id: 1,
        start_local: "2026-01-01T07:00:00".into(),
        type_key: "running".into(),
        name: "n".into(),
        distance_m: None,
        duration_s: None,
        status: ActivityStatus::New,
    };
    check_object(&d, "ActivityRow", &row);
    check_union(
        &d,
        "ListEvent",
        "type",
        &[ListEvent::Page {
            activities: vec![row],
            activities_listed: 1,
            activities_total: None,
        }],
    );
    check_object(
        &d,
        "ListDone",
        &ListDone {
            activities_listed: 1,
        },
    );
    check_union(
        &d,
        "BackupScope",
        "kind",
        &[BackupScope::All, BackupScope::Selected { ids: vec![1] }],
    );
    check_object(
        &d,
        "BackupRequest",
        &BackupRequest {
            folder: "/f".into(),
            formats: vec![Format::Gpx],
            scope: BackupScope::All,
        },
    );
    let current = CurrentActivity {
        id: 1,
        name: "n".into(),
    };
    check_object(&d, "CurrentActivity", &current);
    check_object(
        &d,
        "Unavailable",
        &Unavailable {
            id: 1,
            name: "n".into(),
            format: Format::Gpx,
            reason: UnavailableReason::NoTrack,
        },
    );
    check_object(
        &d,
        "Failed",
        &Failed {
            id: 1,
            name: "n".into(),
            format: None,
            error: AppError::unexpected("x"),
        },
    );
    let summary = Summary {
        stopped: None,
        ..Summary::default()
    };
    check_object(&d, "Summary", &summary);
    check_object(
        &d,
        "Salvaged",
        &Salvaged {
            id: 7,
            name: "Run".into(),
            points: 3,
            message: "recovered 3 points from a damaged original".into(),
        },
    );
    let named = NamedActivity {
        id: 1,
        name: "n".into(),
    };
    check_object(&d, "NamedActivity", &named);
    let ambiguous = AmbiguousMatch {
        uploads: vec!["a.fit".into()],
        activities: vec![named],
    };
    check_object(&d, "AmbiguousMatch", &ambiguous);
    let notes = ImportNotes {
        activities: 2,
        uploads: 2,
        matched: 1,
        unmatched_uploads: vec!["b.fit".into()],
        unreadable_uploads: Vec::new(),
        ambiguous: vec![ambiguous],
    };
    check_object(&d, "ImportNotes", &notes);
    check_object(
        &d,
        "Summary",
        &Summary {
            import: Some(notes),
            ..Summary::default()
        },
    );
    check_object(
        &d,
        "ImportRequest",
        &ImportRequest {
            export: "/e.zip".into(),
            folder: "/f".into(),
            formats: vec![Format::Original],
            scope: BackupScope::All,
        },
    );
    check_union(
        &d,
        "BackupEvent",
        "type",
        &[
            BackupEvent::Progress {
                activities_listed: 0,
                activities_planned: 0,
                activities_done: 0,
                activities_failed: 0,
                bytes_written: 0,
                current: None,
                paused_until: None,
            },
            BackupEvent::Finished { summary },
        ],
    );
    check_object(
        &d,
        "Preferences",
        &Preferences {
            folder: None,
            formats: vec![Format::Original],
            layout: "{id}".into(),
            concurrency: 4,
        },
    );
    check_union(&d, "AppError", "kind", &every_error());
    check_object(
        &d,
        "ScheduleStatus",
        &ScheduleStatus {
            enabled: true,
            last_backup: Some("today 07:12, 2 new".into()),
            last_success: Some(1),
            next_check: None,
            waiting_for: Some("sign_in".into()),
        },
    );
}

#[test]
fn the_page_knows_every_error_kind_the_shell_sends() {
    // api.ts keeps its own list to recognise errors; a kind missing there would reach the
    // views as "unexpected".
    let api =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/api.ts")).unwrap();
    for e in every_error() {
        let kind = json(&e)["kind"].as_str().unwrap().to_owned();
        assert!(api.contains(&format!("\"{kind}\"")), "api.ts lacks {kind}");
    }
}
