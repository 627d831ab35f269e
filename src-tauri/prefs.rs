//! Preferences: one JSON file in the app's config folder. A missing or unreadable file
//! gives the defaults, since a preference is never worth refusing to start over.

use std::path::{Path, PathBuf};

use gcexport_backup::{BackupRequest, DEFAULT_TEMPLATE};

use crate::wire::{AppError, Preferences};

const FILE: &str = "preferences.json";

/// The engine's request defaults: the page receives them (`app_info`) and keeps none of its own.
impl Default for Preferences {
    fn default() -> Self {
        let request = BackupRequest::default();
        Preferences {
            folder: None,
            formats: request.formats,
            layout: request.layout,
            concurrency: request.concurrency,
            garmin_tracks: request.garmin_tracks,
            what: request.what,
        }
    }
}

pub struct PreferencesFile {
    path: PathBuf,
}

impl PreferencesFile {
    pub fn new(config_dir: &Path) -> Self {
        PreferencesFile {
            path: config_dir.join(FILE),
        }
    }

    pub fn read(&self) -> Preferences {
        std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|text| serde_json::from_str::<Preferences>(&text).ok())
            .map(normalise)
            .unwrap_or_default()
    }

    pub fn save(&self, prefs: Preferences) -> Result<(), AppError> {
        let prefs = normalise(prefs);
        let text = serde_json::to_string_pretty(&prefs)
            .map_err(|e| AppError::unexpected(format!("preferences: {e}")))?;
        write_replacing(&self.path, text.as_bytes()).map_err(|e| {
            AppError::unexpected(format!(
                "could not save preferences in {}: {e}",
                self.path.display()
            ))
        })
    }
}

fn normalise(mut prefs: Preferences) -> Preferences {
    prefs.concurrency = prefs.concurrency.clamp(1, 8);
    prefs.formats.sort();
    prefs.formats.dedup();
    if prefs.formats.is_empty() {
        prefs.formats = Preferences::default().formats;
    }
    if prefs.layout.trim().is_empty() {
        prefs.layout = DEFAULT_TEMPLATE.to_owned();
    }
    let w = prefs.what;
    if !w.activities && !w.health && !w.records && !w.gear {
        // Nothing ticked backs up nothing, which the automatic backup would do daily.
        prefs.what = Preferences::default().what;
    }
    prefs.folder = prefs.folder.filter(|f| !f.trim().is_empty());
    prefs
}

/// Temp file then rename, so a crash never leaves half a preferences file.
pub fn write_replacing(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
