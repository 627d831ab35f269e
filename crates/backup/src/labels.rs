//! Garmin's own display names for activity types (`docs/csv.md`, "Activity Type").
//!
//! Garmin's web app names a type key through its translation file
//! `/web-translations/activity_types/activity_types.properties` (`activity_type_running=Running`).
//! Keys come and go (`cross_country_skiing` is "Cross Country Classic Skiing", newer `*_v2`
//! keys name the same sport as the key without the suffix), so the file, not a table written
//! here, is the reference: the built-in table in [`crate::table`] is only the fallback for a
//! folder that never had the file (first run offline, an import) and for keys it lacks.
//!
//! The file is kept in the archive's state, so an offline run or an import labels as the last
//! online run did. It is fetched only by a run that rewrites `activities.csv` and only when the
//! kept copy is missing or older than [`REFRESH_AFTER_DAYS`]: a re-run with nothing new still
//! costs one request (the first list page), and a busy account one extra request a month.
//!
//! Event types are not fetched: Garmin's `event_types.properties` holds eight keys whose labels
//! never changed in the recordings we know of, and the built-in table is that file.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::archive::Archive;
use crate::error::Result;
use crate::source::Source;

/// Where the kept copy lives in the archive's `meta` table.
const META_TEXT: &str = "labels.activity_types";
const META_FETCHED: &str = "labels.activity_types.fetched_at";

/// A kept copy younger than this is not fetched again.
pub const REFRESH_AFTER_DAYS: i64 = 30;

/// Activity-type labels parsed from Garmin's translation file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Labels {
    types: HashMap<String, String>,
    /// Changes with the file: a table written with other labels must be written again.
    digest: String,
}

impl Labels {
    /// From the text of `activity_types.properties` (Java properties: `key=value` lines, `#`
    /// and `!` comments, `\uXXXX` escapes; Garmin also writes HTML entities such as `&trade;`).
    pub fn from_properties(text: &str) -> Labels {
        let mut types = HashMap::new();
        for line in text.lines() {
            let line = line.trim_start();
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let Some((key, value)) = split_entry(line) else {
                continue;
            };
            if let Some(type_key) = key.strip_prefix("activity_type_") {
                let value = unescape(value.trim());
                if !value.is_empty() {
                    types.insert(type_key.to_string(), value);
                }
            }
        }
        let digest = if types.is_empty() {
            String::new()
        } else {
            hex::encode(&Sha256::digest(text.as_bytes())[..8])
        };
        Labels { types, digest }
    }

    /// Garmin's label for a type key, if the file has one.
    pub fn activity_type(&self, key: &str) -> Option<&str> {
        self.types.get(key).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// Empty when there are no labels (the built-in table alone).
    pub(crate) fn digest(&self) -> &str {
        &self.digest
    }
}

/// The copy the archive keeps (empty labels when it has none).
pub fn kept(archive: &Archive) -> Result<Labels> {
    Ok(archive
        .meta(META_TEXT)?
        .map(|t| Labels::from_properties(&t))
        .unwrap_or_default())
}

/// Fetches the file when the kept copy is missing or old. Never fails the run: without the
/// file the kept copy (or the built-in table) labels the rows, and the next run tries again.
pub(crate) async fn refresh<S: Source>(archive: &Archive, source: &S) -> Result<()> {
    let now = chrono::Utc::now().timestamp();
    let fresh = archive
        .meta(META_FETCHED)?
        .and_then(|t| t.parse::<i64>().ok())
        .is_some_and(|at| now - at < REFRESH_AFTER_DAYS * 86_400 && now >= at);
    if fresh && archive.meta(META_TEXT)?.is_some() {
        return Ok(());
    }
    match source.activity_type_labels().await {
        Ok(Some(text)) if !Labels::from_properties(&text).is_empty() => {
            archive.set_meta(META_TEXT, &text)?;
            archive.set_meta(META_FETCHED, &now.to_string())?;
        }
        Ok(Some(_)) => {
            tracing::warn!("Garmin's activity type labels hold no label; the kept ones stay");
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, "activity type labels not fetched; asked again next run")
        }
    }
    Ok(())
}

/// `key=value`, `key:value` or `key value`, the separator not escaped.
fn split_entry(line: &str) -> Option<(&str, &str)> {
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '=' | ':' => return Some((line[..i].trim_end(), &line[i + 1..])),
            c if c.is_whitespace() => {
                let rest = line[i..].trim_start();
                let rest = rest
                    .strip_prefix('=')
                    .or_else(|| rest.strip_prefix(':'))
                    .unwrap_or(rest);
                return Some((&line[..i], rest));
            }
            _ => {}
        }
    }
    None
}

fn unescape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => out.push_str(&hex),
                }
            }
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    // The entities Garmin's files were seen to hold; a label is plain text in a CSV cell.
    out.replace("&trade;", "™")
        .replace("&reg;", "®")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_java_properties_and_garmin_entities() {
        let l = Labels::from_properties(
            "# comment\nactivity_type_running=Running\n  activity_type_toe_to_toe=Toe-to-Toe&trade;\n\
             activity_type_caf\\u00e9 = Caf\\u00e9 Ride\ncross_country_skiing=Not a label\n\
             activity_type_empty=\n",
        );
        assert_eq!(l.activity_type("running"), Some("Running"));
        assert_eq!(l.activity_type("toe_to_toe"), Some("Toe-to-Toe™"));
        assert_eq!(l.activity_type("caf\\u00e9"), Some("Café Ride"));
        assert_eq!(l.activity_type("cross_country_skiing"), None);
        assert_eq!(l.activity_type("empty"), None);
        assert!(!l.digest().is_empty());
        assert!(Labels::from_properties("").digest().is_empty());
    }
}
