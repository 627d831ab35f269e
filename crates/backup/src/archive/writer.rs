//! The atomic writer: every file is written as `name` + [`PART_SUFFIX`], flushed, synced,
//! renamed, and only then recorded.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWrite;

use super::FileRecord;
use crate::error::{Error, Result};
use crate::names::PART_SUFFIX;

/// Folders the writer made and that may still be empty. Two files discarded in the same new
/// month folder at once would otherwise leave it behind: the one that made it finds the other's
/// `.part` still there, and the other did not make it. Only folders made here are listed, so a
/// folder that was there before is never taken away.
static MADE: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

fn remember_made(dirs: &[PathBuf]) {
    let mut made = MADE.lock().unwrap_or_else(PoisonError::into_inner);
    made.get_or_insert_with(HashSet::new)
        .extend(dirs.iter().cloned());
}

/// `dir` if the writer made it and it is still listed; it leaves the list either way.
fn take_made(dir: &Path) -> bool {
    let mut made = MADE.lock().unwrap_or_else(PoisonError::into_inner);
    made.as_mut().is_some_and(|m| m.remove(dir))
}

/// A file being written: `final.part`, hashed and counted as it goes. Dropped without
/// [`PartFile::commit`], it leaves a `.part` that [`PartFile::discard`] or the next open
/// removes.
pub(crate) struct PartFile {
    file: tokio::fs::File,
    part: PathBuf,
    hasher: Sha256,
    size: u64,
    /// The first local write error, kept so the caller can tell "our disk failed" from
    /// "the download failed" when the source reports only that writing failed.
    write_error: Option<std::io::ErrorKind>,
    /// Folders that creating this file made, deepest first: a discarded file takes them away
    /// again while they are empty, so a format that turns out not to exist leaves no empty
    /// month folder behind. Never a folder that was there before.
    created_dirs: Vec<PathBuf>,
}

impl PartFile {
    /// Creates `final_path`'s `.part` inside `root` (the archive's folder), never through
    /// a link: see [`create_part`].
    pub async fn create(root: &Path, final_path: &Path) -> Result<PartFile> {
        let (root, final_path) = (root.to_path_buf(), final_path.to_path_buf());
        let (file, part, created_dirs) =
            tokio::task::spawn_blocking(move || create_part(&root, &final_path))
                .await
                .map_err(|e| Error::State(format!("creating a file: {e}")))??;
        remember_made(&created_dirs);
        Ok(PartFile {
            file: tokio::fs::File::from_std(file),
            part,
            hasher: Sha256::new(),
            size: 0,
            write_error: None,
            created_dirs,
        })
    }

    pub fn part_path(&self) -> &Path {
        &self.part
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn write_error(&self) -> Option<std::io::ErrorKind> {
        self.write_error
    }

    /// Flush, fsync, rename over `final_path`, fsync the folder. Only after this returns may
    /// the caller record the file.
    pub async fn commit(
        mut self,
        final_path: &Path,
        rel: String,
        mtime: Option<std::time::SystemTime>,
    ) -> Result<FileRecord> {
        use tokio::io::AsyncWriteExt;
        let part = self.part.clone();
        let res = async {
            self.file.flush().await?;
            self.file.sync_all().await?;
            if let Some(t) = mtime {
                let std_file = self.file.try_clone().await?.into_std().await;
                tokio::task::spawn_blocking(move || std_file.set_modified(t))
                    .await
                    .map_err(std::io::Error::other)??;
            }
            tokio::fs::rename(&part, final_path).await?;
            sync_dir(final_path).await;
            Ok::<_, std::io::Error>(())
        }
        .await;
        if let Err(e) = res {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(Error::io(final_path, e));
        }
        Ok(FileRecord {
            path: rel,
            size: self.size,
            sha256: hex::encode(self.hasher.finalize()),
        })
    }

    pub async fn discard(self) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.part).await;
        // `remove_dir` refuses a folder that holds anything: one that another file moved into
        // meanwhile stays, and so do its parents. Every folder above the file that the writer
        // made is tried, not only this file's own: see `MADE`.
        let mut dir = self.part.parent().map(Path::to_path_buf);
        while let Some(d) = dir {
            let ours = self.created_dirs.contains(&d) || take_made(&d);
            if !ours {
                break;
            }
            if tokio::fs::remove_dir(&d).await.is_err() {
                // Still in use: it stays listed for whoever empties it.
                remember_made(std::slice::from_ref(&d));
                break;
            }
            take_made(&d);
            dir = d.parent().map(Path::to_path_buf);
        }
    }
}

async fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        let dir = dir.to_path_buf();
        let _ = tokio::task::spawn_blocking(move || sync_dir_blocking(&dir)).await;
    }
}

/// Makes a rename inside `dir` durable: without it a power cut can lose the new name even
/// though the file's data was synced. Failing here loses nothing the next open cannot
/// repair, so it is not an error. Only Unix can open a folder to sync it.
pub(crate) fn sync_dir_blocking(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir)
        && d.sync_all().is_ok()
    {
        #[cfg(test)]
        SYNCED_DIRS.with(|s| s.borrow_mut().push(dir.to_path_buf()));
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
thread_local! {
    /// The folders this thread synced, for tests to see that a rename was made durable.
    pub(crate) static SYNCED_DIRS: std::cell::RefCell<Vec<PathBuf>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `path` must not be a link: the archive never writes or reads through one it did not
/// make (a planted `x -> ../elsewhere` would carry its writes out of the folder).
pub(crate) fn refuse_link(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(Error::Link(path.to_path_buf())),
        _ => Ok(()),
    }
}

/// Creates the folders from `root` down to `dir`, one level at a time, refusing any level
/// that is a link (or not a folder) instead of following it. Returns the folders it made,
/// deepest first.
pub(crate) fn make_dirs(root: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
    use std::path::Component;
    let rel = dir.strip_prefix(root).map_err(|_| {
        Error::State(format!(
            "{} is not inside the archive folder {}",
            dir.display(),
            root.display()
        ))
    })?;
    let mut at = root.to_path_buf();
    let mut made = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(n) => at.push(n),
            Component::CurDir => continue,
            _ => {
                return Err(Error::State(format!(
                    "{} leaves the archive folder",
                    dir.display()
                )));
            }
        }
        let check = |at: &Path| match std::fs::symlink_metadata(at) {
            Ok(m) if m.file_type().is_symlink() => Err(Error::Link(at.to_path_buf())),
            Ok(m) if m.is_dir() => Ok(true),
            Ok(_) => Err(Error::io(
                at,
                std::io::Error::new(
                    std::io::ErrorKind::NotADirectory,
                    "a file stands where a folder must be",
                ),
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(at, e)),
        };
        if check(&at)? {
            continue;
        }
        match std::fs::create_dir(&at) {
            Ok(()) => made.push(at.clone()),
            // Another activity in flight made it a moment ago: check what stands there now.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                check(&at)?;
            }
            Err(e) => return Err(Error::io(&at, e)),
        }
    }
    made.reverse();
    Ok(made)
}

/// The partial file `final_path` is written as, before its rename.
pub(crate) fn part_path(final_path: &Path) -> PathBuf {
    let mut part = final_path.as_os_str().to_owned();
    part.push(PART_SUFFIX);
    PathBuf::from(part)
}

/// Creates `final_path`'s partial file, new (`O_EXCL`: never opening what stands there, and
/// never through a link), with its folders made by [`make_dirs`]. A partial file of ours
/// left by a killed run is replaced; a link in its place is refused, naming it. Also returns
/// the folders it made (deepest first), for [`PartFile::discard`] to take away again.
pub(crate) fn create_part(root: &Path, final_path: &Path) -> Result<(File, PathBuf, Vec<PathBuf>)> {
    let dir = final_path.parent();
    let mut attempts = 0;
    // Another activity's discarded file may take away a shared folder it had just made,
    // between two of our steps (a parent between two `mkdir`s, or the folder before the
    // file goes in): make it again (and it is now ours to take away).
    let make = |attempts: &mut u32| loop {
        let Some(dir) = dir else {
            return Ok(Vec::new());
        };
        match make_dirs(root, dir) {
            Err(Error::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound && *attempts < 3 =>
            {
                *attempts += 1;
            }
            other => return other,
        }
    };
    let mut made = make(&mut attempts)?;
    let part = part_path(final_path);
    let create = || File::options().write(true).create_new(true).open(&part);
    loop {
        match create() {
            Ok(f) => return Ok((f, part, made)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && attempts < 3 => {
                attempts += 1;
                made = make(&mut attempts)?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return match std::fs::symlink_metadata(&part) {
                    Ok(m) if m.is_file() => {
                        std::fs::remove_file(&part).map_err(|e| Error::io(&part, e))?;
                        let f = create().map_err(|e| Error::io(&part, e))?;
                        Ok((f, part, made))
                    }
                    Ok(m) if m.file_type().is_symlink() => Err(Error::Link(part)),
                    _ => Err(Error::io(&part, e)),
                };
            }
            Err(e) => return Err(Error::io(&part, e)),
        }
    }
}

impl crate::source::Sink for PartFile {
    async fn restart(&mut self) -> std::io::Result<()> {
        use tokio::io::{AsyncSeekExt, AsyncWriteExt};
        self.file.flush().await?;
        self.file.set_len(0).await?;
        self.file.seek(std::io::SeekFrom::Start(0)).await?;
        self.hasher = Sha256::new();
        self.size = 0;
        Ok(())
    }
}

impl AsyncWrite for PartFile {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.file).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                this.hasher.update(&buf[..n]);
                this.size += n as u64;
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => {
                this.write_error.get_or_insert(e.kind());
                Poll::Ready(Err(e))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.file).poll_flush(cx) {
            Poll::Ready(Err(e)) => {
                this.write_error.get_or_insert(e.kind());
                Poll::Ready(Err(e))
            }
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.file).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_discarded_file_takes_away_only_the_folders_it_made() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("2024")).unwrap();
        let path = dir.path().join("2024/03/a.fit");
        let part = PartFile::create(dir.path(), &path).await.unwrap();
        // Another file arrives meanwhile in a folder the first one made.
        let other = PartFile::create(dir.path(), &dir.path().join("2024/04/b.fit"))
            .await
            .unwrap();
        let kept = other
            .commit(&dir.path().join("2024/04/b.fit"), "b".into(), None)
            .await
            .unwrap();
        assert_eq!(kept.size, 0);
        part.discard().await;
        assert!(!dir.path().join("2024/03").exists(), "made and left empty");
        assert!(dir.path().join("2024").is_dir(), "was there before");
        assert!(dir.path().join("2024/04/b.fit").is_file());

        // A folder that something else filled meanwhile stays.
        let part = PartFile::create(dir.path(), &dir.path().join("2025/01/c.fit"))
            .await
            .unwrap();
        std::fs::write(dir.path().join("2025/01/d.txt"), b"x").unwrap();
        part.discard().await;
        assert!(dir.path().join("2025/01/d.txt").is_file());
    }
}
