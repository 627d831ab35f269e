//! Adopting what is already in the folder: complete files that `gcexport.py` wrote or that a
//! killed run renamed but never recorded, and the partial leftovers that are deleted.

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{Archive, FileRecord, ItemState};
use crate::error::{Error, Result};
use crate::model::{ActivityId, Format};
use crate::names::{IMPORT_TEMP_PREFIX, PART_SUFFIX};

impl Archive {
    /// Deletes this archive's partial leftovers and a killed import's decompressed parts, and adopts complete files nobody recorded: those of
    /// `gcexport.py` (`activity_{id}.*`) and those of a run killed between rename and record.
    pub(super) fn scan_folder(&self) -> Result<()> {
        let known: HashSet<String> = self
            .all_files()?
            .into_iter()
            .map(|(_, _, f)| f.path)
            .collect();
        let mut found = Vec::new();
        walk(&self.root, &self.root, &mut found, 0)?;
        let items = self.items()?;
        for rel in found {
            let abs = self.root.join(&rel);
            if rel.ends_with(PART_SUFFIX) || rel.starts_with(IMPORT_TEMP_PREFIX) {
                std::fs::remove_file(&abs).map_err(|e| Error::io(&abs, e))?;
                continue;
            }
            if known.contains(&rel) {
                continue;
            }
            let Some((id, format)) = classic_file_id(&rel) else {
                continue;
            };
            if matches!(
                items.get(&(id, format)),
                Some(ItemState::Done | ItemState::Unavailable)
            ) {
                continue;
            }
            let record = hash_file(&abs, &rel)?;
            if record.size == 0 {
                // gcexport.py wrote an empty file for "this format does not exist".
                self.record_unavailable(id, format)?;
            } else {
                tracing::info!(path = %rel, id, %format, "adopting an existing file");
                self.record_done(id, format, &[record])?;
            }
        }
        Ok(())
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>, depth: usize) -> Result<()> {
    // Deep enough for any layout we write; a symlink loop cannot hold us either, since
    // symlinks are not followed.
    if depth > 8 {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let ty = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
        let path = entry.path();
        if ty.is_dir() {
            walk(root, &path, out, depth + 1)?;
        } else if ty.is_file()
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel_string(rel));
        }
    }
    Ok(())
}

pub(crate) fn rel_string(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// `[prefix]activity_{id}[_desc].{ext}`, as `gcexport.py` names its files.
fn classic_file_id(rel: &str) -> Option<(ActivityId, Format)> {
    let name = rel.rsplit('/').next()?;
    let (stem, ext) = name.rsplit_once('.')?;
    let at = stem.find("activity_")?;
    let rest = &stem[at + "activity_".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let id: ActivityId = digits.parse().ok()?;
    let tail = &rest[digits.len()..];
    if !(tail.is_empty() || tail.starts_with('_')) {
        return None;
    }
    let format = match ext.to_ascii_lowercase().as_str() {
        "gpx" if !tail.ends_with("_original") => Format::Gpx,
        "tcx" if !tail.ends_with("_original") => Format::Tcx,
        "kml" => Format::Kml,
        "zip" | "fit" => Format::Original,
        "gpx" | "tcx" => Format::Original,
        // `_zones.json` and such are side files, not the details.
        "json" if tail.is_empty() || !tail.contains("zones") => Format::Json,
        _ => return None,
    };
    Some((id, format))
}

pub(crate) fn hash_file(abs: &Path, rel: &str) -> Result<FileRecord> {
    let mut f = File::open(abs).map_err(|e| Error::io(abs, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(abs, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok(FileRecord {
        path: rel.to_string(),
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_gcexport_py_names() {
        assert_eq!(
            classic_file_id("activity_123.gpx"),
            Some((123, Format::Gpx))
        );
        assert_eq!(
            classic_file_id("2024/03/20240308-122322-activity_123_Run.tcx"),
            Some((123, Format::Tcx))
        );
        assert_eq!(
            classic_file_id("activity_123.fit"),
            Some((123, Format::Original))
        );
        assert_eq!(
            classic_file_id("activity_123_original.gpx"),
            Some((123, Format::Original))
        );
        assert_eq!(classic_file_id("activity_123_zones.json"), None);
        assert_eq!(classic_file_id("activity_12x.gpx"), None);
        assert_eq!(classic_file_id("notes.txt"), None);
    }

    #[test]
    fn open_cleans_parts_and_adopts_old_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("activity_5.gpx"), b"<gpx/>").unwrap();
        std::fs::write(dir.path().join("activity_5.tcx"), b"").unwrap();
        let ours = dir.path().join(format!("x.gpx{PART_SUFFIX}"));
        std::fs::write(&ours, b"half").unwrap();
        let a = Archive::open(dir.path()).unwrap();
        assert!(!ours.exists());
        assert_eq!(a.item_state(5, Format::Gpx).unwrap(), Some(ItemState::Done));
        assert_eq!(
            a.item_state(5, Format::Tcx).unwrap(),
            Some(ItemState::Unavailable)
        );
        assert_eq!(a.files_of(5, Format::Gpx).unwrap()[0].size, 6);
    }

    #[test]
    fn a_killed_imports_decompressed_parts_are_removed_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(format!("{IMPORT_TEMP_PREFIX}x1y2.zip"));
        std::fs::write(&stale, b"PK").unwrap();
        // The same name deeper down is not ours: only the folder's top level holds parts.
        std::fs::create_dir(dir.path().join("2024")).unwrap();
        let other = dir
            .path()
            .join("2024")
            .join(format!("{IMPORT_TEMP_PREFIX}keep.zip"));
        std::fs::write(&other, b"PK").unwrap();
        let _a = Archive::open(dir.path()).unwrap();
        assert!(!stale.exists());
        assert!(other.exists());
    }
}
