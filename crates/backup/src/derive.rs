//! GPX and TCX made from an activity's original instead of downloaded: the run's side of
//! [`crate::convert`]. Finding the original (on disk, or fetched once into memory),
//! unzipping it in memory with caps, telling FIT from an uploaded GPX or TCX, and choosing
//! what each format becomes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::io::AsyncWrite;

use crate::archive::{Archive, ItemState};
use crate::convert::{self, ConvertError, MAX_FIT_BYTES, Recording, TrackMeta};
use crate::error::{Error, Result};
use crate::model::{Activity, Format};
use crate::original::ZipLimits;
use crate::source::Sink;

/// What an activity's original turned out to hold.
#[derive(Clone)]
pub(crate) enum Original {
    /// None exists (a manual activity).
    Missing,
    Fit(Arc<Vec<u8>>),
    /// Uploaded from another app: kept as it is.
    Gpx(Arc<Vec<u8>>),
    Tcx(Arc<Vec<u8>>),
}

/// One activity's original and its decoding, so that GPX and TCX cost one fetch and one
/// decode between them.
#[derive(Default)]
pub(crate) struct Cache {
    pub original: Option<Original>,
    pub(crate) decoded: Option<std::result::Result<Arc<Recording>, String>>,
}

/// Where the archive holds the original (a ZIP, or unzipped with `-u`); empty if it does
/// not. A leg's original is its parent's file, so the parent's serves too.
pub(crate) fn original_paths(archive: &Archive, a: &Activity) -> Result<Vec<PathBuf>> {
    for id in std::iter::once(a.id).chain(a.parent_id) {
        if archive.item_state(id, Format::Original)? != Some(ItemState::Done) {
            continue;
        }
        let paths: Vec<PathBuf> = archive
            .files_of(id, Format::Original)?
            .iter()
            .map(|f| archive.root().join(&f.path))
            .filter(|p| p.is_file())
            .collect();
        if !paths.is_empty() {
            return Ok(paths);
        }
    }
    Ok(Vec::new())
}

/// Reads the original from disk (blocking). `Ok(None)` when `paths` is empty.
pub(crate) fn read_original(paths: &[PathBuf], limits: ZipLimits) -> Result<Option<Original>> {
    for path in paths {
        if let Some(o) = classify(read_capped(path)?, limits)? {
            return Ok(Some(o));
        }
    }
    match paths.first() {
        Some(p) => Err(Error::BadData(format!(
            "the original {} is neither a FIT, a GPX nor a TCX file",
            p.display()
        ))),
        None => Ok(None),
    }
}

fn read_capped(path: &Path) -> Result<Vec<u8>> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    f.take(MAX_FIT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() > MAX_FIT_BYTES {
        return Err(Error::Hostile(format!(
            "the original {} is larger than {MAX_FIT_BYTES} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}

/// Unzips (in memory, capped) and sniffs. `None`: not a kind GPX or TCX can come from.
pub(crate) fn classify(bytes: Vec<u8>, limits: ZipLimits) -> Result<Option<Original>> {
    let bytes = if bytes.starts_with(b"PK\x03\x04") {
        unzip_first(&bytes, limits)?
    } else {
        bytes
    };
    if bytes.len() >= 12 && &bytes[8..12] == b".FIT" {
        return Ok(Some(Original::Fit(Arc::new(bytes))));
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    if head.contains("<gpx") {
        return Ok(Some(Original::Gpx(Arc::new(bytes))));
    }
    if head.contains("<TrainingCenterDatabase") {
        return Ok(Some(Original::Tcx(Arc::new(bytes))));
    }
    Ok(None)
}

fn unzip_first(bytes: &[u8], limits: ZipLimits) -> Result<Vec<u8>> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| Error::Hostile(format!("the original is not a valid ZIP: {e}")))?;
    if zip.len() > limits.max_entries {
        return Err(Error::Hostile(format!(
            "the original ZIP holds {} entries (at most {} expected)",
            zip.len(),
            limits.max_entries
        )));
    }
    let cap = (MAX_FIT_BYTES as u64).min(limits.max_entry_bytes);
    for i in 0..zip.len() {
        let entry = zip
            .by_index(i)
            .map_err(|e| Error::Hostile(format!("unreadable entry in the original ZIP: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        if entry.size() > cap {
            return Err(Error::Hostile(format!(
                "the original ZIP's file claims {} bytes",
                entry.size()
            )));
        }
        let mut out = Vec::new();
        entry
            .take(cap + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::Hostile(format!("corrupt original ZIP: {e}")))?;
        if out.len() as u64 > cap {
            return Err(Error::Hostile(format!(
                "the original ZIP's file expands beyond {cap} bytes"
            )));
        }
        return Ok(out);
    }
    Err(Error::Hostile("the original ZIP holds no file".into()))
}

/// The names and type the files carry, from what the archive knows of the activity.
fn meta<'a>(a: &'a Activity, device: Option<&'a Value>) -> TrackMeta<'a> {
    TrackMeta {
        name: a.name(),
        description: a.description(),
        type_key: a.type_key(),
        device_name: device
            .and_then(|d| d.get("productDisplayName"))
            .and_then(Value::as_str),
    }
}

/// `format` made from `original`. `Ok(None)`: it cannot exist for this activity (no
/// original, no position for a GPX, a TCX from an uploaded GPX), recorded as unavailable.
/// CPU work: call it off the async threads.
pub(crate) fn make(
    cache: &mut Cache,
    a: &Activity,
    device: Option<&Value>,
    format: Format,
) -> Result<Option<Vec<u8>>> {
    let Some(original) = cache.original.clone() else {
        return Ok(None);
    };
    let fit = match (&original, format) {
        (Original::Missing, _) => return Ok(None),
        (Original::Gpx(b), Format::Gpx) | (Original::Tcx(b), Format::Tcx) => {
            // The upload is already the format asked for: nothing to convert.
            return Ok(Some(b.as_ref().clone()));
        }
        (Original::Gpx(_) | Original::Tcx(_), _) => {
            tracing::info!(
                id = a.id,
                %format,
                "the original is an uploaded track of another format: nothing to make it from"
            );
            return Ok(None);
        }
        (Original::Fit(b), _) => b.clone(),
    };
    let decoded = cache
        .decoded
        .get_or_insert_with(|| match convert::decode_fit(&fit) {
            Ok(r) => Ok(Arc::new(r)),
            Err(e) => Err(e.to_string()),
        })
        .clone()
        .map_err(|e| Error::BadData(format!("the original FIT of activity {}: {e}", a.id)))?;
    let rec = match (a.parent_id, a.start_utc()) {
        (Some(_), Some(start)) => Arc::new(leg(&decoded, start, a)?),
        _ => decoded,
    };
    if format == Format::Gpx && !rec.has_positions() {
        // Garmin answers "no content" here too: an indoor activity has no track to draw.
        return Ok(None);
    }
    let meta = meta(a, device);
    let mut out = Vec::with_capacity(convert::output_guess(fit.len()));
    let written = match format {
        Format::Gpx => convert::write_gpx(&rec, &meta, &mut out),
        Format::Tcx => convert::write_tcx(&rec, &meta, &mut out),
        _ => return Ok(None),
    };
    written.map_err(|e| match e {
        ConvertError::BadData(m) | ConvertError::NotActivity(m) => Error::BadData(m),
        ConvertError::Io(e) => Error::State(format!("writing {format} in memory: {e}")),
    })?;
    Ok(Some(out))
}

fn leg(rec: &Recording, start: DateTime<Utc>, a: &Activity) -> Result<Recording> {
    rec.session_starting_at(start).ok_or_else(|| {
        Error::BadData(format!(
            "the original FIT of activity {} holds no leg starting at {}",
            a.id,
            start.format("%Y-%m-%d %H:%M:%S UTC")
        ))
    })
}

/// A download into memory that refuses to grow past a cap: an original fetched only to
/// make tracks from is never written to disk, and a server must not fill our memory.
pub(crate) struct CappedBuf {
    pub buf: Vec<u8>,
    cap: usize,
    pub overflowed: bool,
}

impl CappedBuf {
    pub fn new(cap: usize) -> CappedBuf {
        CappedBuf {
            buf: Vec::new(),
            cap,
            overflowed: false,
        }
    }
}

impl AsyncWrite for CappedBuf {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.buf.len() + data.len() > self.cap {
            self.overflowed = true;
            return Poll::Ready(Err(std::io::Error::other(format!(
                "the original is larger than {} bytes",
                self.cap
            ))));
        }
        self.buf.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Sink for CappedBuf {
    async fn restart(&mut self) -> std::io::Result<()> {
        self.buf.clear();
        self.overflowed = false;
        Ok(())
    }
}
