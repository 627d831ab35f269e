//! Unzipping an original: Garmin's ZIP holds one file (`{id}_ACTIVITY.fit`, or the uploaded
//! GPX/TCX). Entry names are never used as paths (only their extension is kept), so a
//! zip-slip cannot write anywhere; an entry that tries is still refused, to say so. Sizes
//! are capped while reading, not trusted from the header, so a zip bomb stops early.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::archive::{FileRecord, create_part, sync_dir_blocking};
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZipLimits {
    pub max_entries: usize,
    pub max_entry_bytes: u64,
    pub max_total_bytes: u64,
    /// Uncompressed / compressed, checked for entries above 1 MiB. FIT compresses about
    /// 3:1, GPX about 10:1; bombs reach 1000:1.
    pub max_ratio: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            max_entries: 16,
            max_entry_bytes: 512 * 1024 * 1024,
            max_total_bytes: 1024 * 1024 * 1024,
            max_ratio: 200,
        }
    }
}

/// One extracted file, already renamed into place.
pub(crate) struct Extracted {
    pub record: FileRecord,
    pub abs: PathBuf,
}

/// Extracts every file entry of `zip_path`. `name_for(ext, index)` gives the final path
/// (absolute, relative) of the `index`th entry. Each entry goes through a new partial file
/// (never through a link), fsync, rename and a sync of its folder; on error, nothing partial
/// stays behind.
pub(crate) fn extract(
    zip_path: &Path,
    limits: ZipLimits,
    mtime: Option<std::time::SystemTime>,
    name_for: &dyn Fn(&str, usize) -> (PathBuf, String),
) -> Result<Vec<Extracted>> {
    let file = File::open(zip_path).map_err(|e| Error::io(zip_path, e))?;
    let mut zip =
        zip::ZipArchive::new(file).map_err(|e| Error::Hostile(format!("not a valid ZIP: {e}")))?;
    if zip.len() > limits.max_entries {
        return Err(Error::Hostile(format!(
            "the ZIP holds {} entries (at most {} expected)",
            zip.len(),
            limits.max_entries
        )));
    }
    let mut out: Vec<Extracted> = Vec::new();
    let mut total = 0u64;
    let mut index = 0usize;
    let result = (|| {
        for i in 0..zip.len() {
            let mut entry = zip
                .by_index(i)
                .map_err(|e| Error::Hostile(format!("unreadable ZIP entry: {e}")))?;
            let raw_name = entry
                .name()
                .map(|n| n.to_string())
                .map_err(|e| Error::Hostile(format!("unreadable ZIP entry name: {e}")))?;
            // Never used as a path; refused anyway, so a hostile server is reported.
            let escapes = raw_name.starts_with(['/', '\\'])
                || raw_name.split(['/', '\\']).any(|c| c == "..")
                || raw_name.get(1..2) == Some(":");
            if escapes || entry.enclosed_name().is_none() {
                return Err(Error::Hostile(format!(
                    "the ZIP entry {raw_name:?} points outside the folder"
                )));
            }
            if entry.is_dir() {
                continue;
            }
            if entry.is_symlink() {
                return Err(Error::Hostile(format!(
                    "the ZIP entry {raw_name:?} is a link"
                )));
            }
            if entry.size() > limits.max_entry_bytes {
                return Err(Error::Hostile(format!(
                    "the ZIP entry {raw_name:?} claims {} bytes",
                    entry.size()
                )));
            }
            let compressed = entry.compressed_size().max(1);
            let ext = extension(&raw_name);
            let (abs, rel) = name_for(&ext, index);
            index += 1;
            let (mut f, part, _) = create_part(&archive_root(&abs, &rel), &abs)?;
            let written = (|| {
                let mut hasher = Sha256::new();
                let mut size = 0u64;
                let mut buf = vec![0u8; 64 * 1024];
                let cap = limits
                    .max_entry_bytes
                    .min(limits.max_total_bytes - total.min(limits.max_total_bytes));
                loop {
                    let n = entry.read(&mut buf).map_err(|e| {
                        Error::Hostile(format!("corrupt ZIP entry {raw_name:?}: {e}"))
                    })?;
                    if n == 0 {
                        break;
                    }
                    size += n as u64;
                    if size > cap {
                        return Err(Error::Hostile(format!(
                            "the ZIP entry {raw_name:?} expands beyond {cap} bytes"
                        )));
                    }
                    if size > 1024 * 1024 && size / compressed > limits.max_ratio {
                        return Err(Error::Hostile(format!(
                            "the ZIP entry {raw_name:?} expands more than {}:1",
                            limits.max_ratio
                        )));
                    }
                    hasher.update(&buf[..n]);
                    f.write_all(&buf[..n]).map_err(|e| Error::io(&part, e))?;
                }
                f.flush().map_err(|e| Error::io(&part, e))?;
                f.sync_all().map_err(|e| Error::io(&part, e))?;
                if let Some(t) = mtime {
                    f.set_modified(t).map_err(|e| Error::io(&part, e))?;
                }
                drop(f);
                std::fs::rename(&part, &abs).map_err(|e| Error::io(&abs, e))?;
                if let Some(dir) = abs.parent() {
                    sync_dir_blocking(dir);
                }
                Ok((size, hex::encode(hasher.finalize())))
            })();
            match written {
                Ok((size, sha256)) => {
                    total += size;
                    out.push(Extracted {
                        record: FileRecord {
                            path: rel,
                            size,
                            sha256,
                        },
                        abs,
                    });
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&part);
                    return Err(e);
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        for x in &out {
            let _ = std::fs::remove_file(&x.abs);
        }
        return Err(e);
    }
    if out.is_empty() {
        return Err(Error::Hostile("the ZIP holds no file".into()));
    }
    Ok(out)
}

/// The archive's folder: `abs` less its `rel` (`/`-separated) components.
fn archive_root(abs: &Path, rel: &str) -> PathBuf {
    let depth = rel.split('/').filter(|c| !c.is_empty()).count();
    abs.ancestors()
        .nth(depth)
        .map_or_else(PathBuf::new, Path::to_path_buf)
}

/// The entry's extension, lower case, letters and digits only (else `bin`).
fn extension(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((_, ext))
            if !ext.is_empty()
                && ext.len() <= 5
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            ext.to_ascii_lowercase()
        }
        _ => "bin".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use zip::write::SimpleFileOptions;

    fn make_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, SimpleFileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn run(
        entries: &[(&str, &[u8])],
        limits: ZipLimits,
    ) -> (tempfile::TempDir, Result<Vec<Extracted>>) {
        let dir = tempfile::tempdir().unwrap();
        let zip_path = dir.path().join("in.zip");
        std::fs::write(&zip_path, make_zip(entries)).unwrap();
        let root = dir.path().to_path_buf();
        let r = extract(&zip_path, limits, None, &|ext, i| {
            (
                root.join(format!("out_{i}.{ext}")),
                format!("out_{i}.{ext}"),
            )
        });
        (dir, r)
    }

    #[test]
    fn extracts_under_our_own_names() {
        let (dir, r) = run(&[("12_ACTIVITY.FIT", b"fitdata")], ZipLimits::default());
        let r = r.unwrap();
        assert_eq!(r[0].record.path, "out_0.fit");
        assert_eq!(
            std::fs::read(dir.path().join("out_0.fit")).unwrap(),
            b"fitdata"
        );
    }

    #[test]
    fn each_rename_is_made_durable_by_syncing_its_folder() {
        crate::archive::SYNCED_DIRS.with(|s| s.borrow_mut().clear());
        let (dir, r) = run(
            &[("a.fit", b"fit"), ("b.gpx", b"gpx")],
            ZipLimits::default(),
        );
        assert_eq!(r.unwrap().len(), 2);
        let synced = crate::archive::SYNCED_DIRS.with(|s| s.borrow().clone());
        assert_eq!(synced, vec![dir.path().to_path_buf(); 2]);
    }

    #[cfg(unix)]
    #[test]
    fn an_entry_is_never_written_through_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("backup");
        std::fs::create_dir_all(&root).unwrap();
        let zip_path = dir.path().join("in.zip");
        std::fs::write(&zip_path, make_zip(&[("a.fit", b"fit")])).unwrap();
        let outside = dir.path().join("outside.fit");
        let part = crate::archive::part_path(&root.join("out.fit"));
        std::os::unix::fs::symlink(&outside, &part).unwrap();
        let r = extract(&zip_path, ZipLimits::default(), None, &|_, _| {
            (root.join("out.fit"), "out.fit".to_string())
        });
        assert!(
            matches!(&r, Err(Error::Link(p)) if *p == part),
            "{:?}",
            r.err()
        );
        assert!(!outside.exists());
    }

    #[test]
    fn zip_slip_is_refused_and_nothing_is_written() {
        let (dir, r) = run(
            &[("ok.gpx", b"a"), ("../../evil.gpx", b"b")],
            ZipLimits::default(),
        );
        assert!(matches!(r, Err(Error::Hostile(_))));
        assert!(!dir.path().join("out_0.gpx").exists());
        assert!(!dir.path().parent().unwrap().join("evil.gpx").exists());
    }

    #[test]
    fn a_bomb_stops_at_the_cap() {
        let big = vec![0u8; 4 * 1024 * 1024];
        let limits = ZipLimits {
            max_entry_bytes: 1024 * 1024,
            ..ZipLimits::default()
        };
        let (dir, r) = run(&[("bomb.fit", &big)], limits);
        assert!(matches!(r, Err(Error::Hostile(_))));
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "only the input zip remains");
        let (_d, r) = run(&[("bomb.fit", &big)], ZipLimits::default());
        assert!(matches!(r, Err(Error::Hostile(m)) if m.contains(":1")));
    }
}
