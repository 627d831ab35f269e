//! Garmin's account data export as a [`Source`]: the ZIP a user gets from "Export Your Data"
//! (or the folder it unpacks to), read offline, without signing in.
//!
//! Opening reads every `*_summarizedActivities.json` one item at a time and keeps, per
//! activity, 40 bytes in memory and its converted JSON in an anonymous temp file; it indexes
//! the uploads of every nested `UploadedFiles_*.zip` by their first timestamp and matches
//! them to activity starts (within [`MATCH_WINDOW_MS`]). An upload that fits several
//! activities, or an activity that several uploads fit, is reported and never guessed.
//!
//! Nested ZIPs: a ZIP needs its central directory (at its end) and seeks, and a nested ZIP
//! stored deflated inside the outer one cannot seek. So each nested part is decompressed to
//! one temp file when needed (bounded memory, and temp disk bounded by the [`PART_CACHE`]
//! largest parts, never the whole export), indexed from there, and served from there. Uploads
//! are numbered in upload order, so the newest-first run walks the parts one after another.
//! In an unpacked folder, the parts are used where they are.
//!
//! The export has no GPX, TCX or KML: [`ExportSource::offers`] says so, and the engine
//! writes GPX/TCX from the original locally.

mod health;
mod items;
mod sniff;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Activity, ActivityId, Format};
use crate::source::{Sink, Source, SourceError, UnavailableReason};

pub use crate::model::{ORIGIN_EXPORT, ORIGIN_KEY};
pub use health::{HealthImportOptions, HealthImportReport, import_health};

/// An upload and an activity match when their starts are this close.
pub const MATCH_WINDOW_MS: i64 = 10_000;
/// Extracted nested parts kept at once.
const PART_CACHE: usize = 2;
/// One JSON item larger than this is not an activity summary.
const MAX_ITEM_BYTES: u64 = 16 * 1024 * 1024;
const MAX_UPLOAD_BYTES: u64 = 512 * 1024 * 1024;
const MAX_PART_BYTES: u64 = 64 * 1024 * 1024 * 1024;
/// Uncompressed / compressed above 1 MiB: FIT about 3:1, GPX 10:1, bombs 1000:1.
const MAX_RATIO: u64 = 200;
const MAX_ENTRIES: usize = 2_000_000;

/// What opening an export found, for the front end to show.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// Top-level activities (what the activity list shows).
    pub activities: usize,
    /// Multisport legs (they have their own rows, not their own uploads).
    pub legs: usize,
    /// `*_summarizedActivities.json` files read.
    pub chunks: usize,
    /// Uploaded files found (`.fit`, `.gpx`, `.tcx`).
    pub uploads: usize,
    /// Uploads matched to exactly one activity.
    pub matched: usize,
    /// Uploads no activity starts near (often activities deleted since).
    pub unmatched_uploads: Vec<String>,
    /// Uploads or activities with several candidates: left alone, never guessed.
    pub ambiguous: Vec<Ambiguity>,
    /// Activities recorded with a file (not manual) for which no upload was found.
    pub without_upload: Vec<ActivityId>,
    /// Files whose start could not be read.
    pub unreadable_uploads: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ambiguity {
    pub uploads: Vec<String>,
    pub activities: Vec<ActivityId>,
}

/// Progress while opening (reading the summaries, indexing the uploads).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OpenProgress {
    pub activities_read: usize,
    pub parts_total: usize,
    pub parts_indexed: usize,
    pub uploads_indexed: usize,
}

#[derive(Default)]
pub struct OpenOptions<'a> {
    /// Where the nested parts are decompressed (default: the system's temp folder). The
    /// destination folder is a good choice: it is on the disk that will hold the files.
    pub temp_dir: Option<PathBuf>,
    pub on_progress: Option<&'a (dyn Fn(&OpenProgress) + Sync)>,
}

#[derive(Clone, Copy, Debug)]
struct Rec {
    id: ActivityId,
    parent_id: Option<ActivityId>,
    start_ms: i64,
    manual: bool,
    offset: u64,
    len: u64,
}

#[derive(Clone, Debug)]
enum Place {
    /// Entry `index` of nested part `part`.
    Nested { part: usize, index: usize },
    /// A loose file in an unpacked folder.
    Loose(PathBuf),
}

#[derive(Clone, Debug)]
struct Upload {
    name: String,
    ext: &'static str,
    place: Place,
}

enum Container {
    Zip(Mutex<zip::ZipArchive<File>>),
    Dir,
}

#[derive(Clone, Debug)]
enum PartRef {
    /// An entry of the outer ZIP.
    Entry(String),
    File(PathBuf),
}

struct Inner {
    path: PathBuf,
    container: Container,
    temp_dir: Option<PathBuf>,
    store: Mutex<File>,
    tops: Vec<Rec>,
    by_id: HashMap<ActivityId, Rec>,
    uploads: HashMap<ActivityId, Upload>,
    /// Why an activity has no original, when it is not simply manual.
    problems: HashMap<ActivityId, String>,
    parts: Vec<PartRef>,
    cache: Mutex<Vec<(usize, Arc<ExtractedPart>)>>,
    report: ImportReport,
}

struct ExtractedPart {
    path: PathBuf,
    _temp: Option<tempfile::TempPath>,
}

/// Garmin's account data export, opened. Cheap to clone.
#[derive(Clone)]
pub struct ExportSource {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ExportSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportSource")
            .field("path", &self.inner.path)
            .field("report", &self.inner.report)
            .finish()
    }
}

fn hostile(msg: impl Into<String>) -> Error {
    Error::Hostile(msg.into())
}

fn not_garmin(path: &Path) -> Error {
    Error::Config(format!(
        "{} is not a Garmin data export: it holds no *_summarizedActivities.json. Use the ZIP \
         from Garmin's \"Export Your Data\" email (or the folder it unpacks to)",
        path.display()
    ))
}

fn escapes(name: &str) -> bool {
    name.starts_with(['/', '\\'])
        || name.split(['/', '\\']).any(|c| c == "..")
        || name.get(1..2) == Some(":")
}

fn upload_ext(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    ["fit", "gpx", "tcx"]
        .into_iter()
        .find(|e| lower.ends_with(&format!(".{e}")))
}

fn is_uploads_part(name: &str) -> bool {
    let lower = name.replace('\\', "/").to_ascii_lowercase();
    lower.contains("uploaded-files/") && lower.ends_with(".zip")
}

/// Caps what is read: a bomb or a runaway item ends with an error, not with memory.
struct Capped<R> {
    inner: R,
    left: u64,
    what: &'static str,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other(format!(
                "{} is larger than any real one",
                self.what
            )));
        }
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let got = self.inner.read(&mut buf[..n])?;
        self.left -= got as u64;
        Ok(got)
    }
}

fn ratio_ok(size: u64, compressed: u64) -> bool {
    size <= 1024 * 1024 || size / compressed.max(1) <= MAX_RATIO
}

impl ExportSource {
    /// Opens an export: the ZIP Garmin mails, or the folder it unpacks to. Blocking (it
    /// reads the whole export once): call it from a blocking task.
    pub fn open(path: impl AsRef<Path>) -> Result<ExportSource> {
        Self::open_with(path, OpenOptions::default())
    }

    pub fn open_with(path: impl AsRef<Path>, opts: OpenOptions<'_>) -> Result<ExportSource> {
        let path = path.as_ref().to_path_buf();
        let meta = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
        let mut progress = Progressing {
            on_progress: opts.on_progress,
            now: OpenProgress::default(),
        };
        let mut summaries = Summaries::new(opts.temp_dir.as_deref())?;
        let (container, parts, loose) = if meta.is_dir() {
            let (parts, loose) = summaries.read_folder(&path, &mut progress)?;
            (Container::Dir, parts, loose)
        } else {
            let (zip, parts) = summaries.read_zip(&path, &mut progress)?;
            (zip, parts, Vec::new())
        };
        if summaries.report.chunks == 0 {
            return Err(not_garmin(&path));
        }
        let (store, tops, by_id, report) = summaries.finish()?;

        progress.now.parts_total = parts.len();
        progress.tell();
        let mut inner = Inner {
            path: path.clone(),
            container,
            temp_dir: opts.temp_dir.clone(),
            store: Mutex::new(store),
            tops,
            by_id,
            uploads: HashMap::new(),
            problems: HashMap::new(),
            parts,
            cache: Mutex::new(Vec::new()),
            report,
        };
        let mut found = inner.index_nested_uploads(&mut progress)?;
        found.extend(inner.index_loose_uploads(loose));
        inner.match_uploads(found);
        progress.tell();
        Ok(ExportSource {
            inner: Arc::new(inner),
        })
    }
}

/// How far opening got, and whom to tell.
struct Progressing<'a> {
    on_progress: Option<&'a (dyn Fn(&OpenProgress) + Sync)>,
    now: OpenProgress,
}

impl Progressing<'_> {
    fn tell(&self) {
        if let Some(f) = self.on_progress {
            f(&self.now);
        }
    }
}

/// An upload lying unzipped in an unpacked export's folder: its name, extension and path.
type LooseUpload = (String, &'static str, PathBuf);

/// The activity summaries as they are read: each converted activity's JSON appended to a
/// temp file, and a small record per activity pointing into it, so that memory holds the
/// records and not the JSON.
struct Summaries {
    store: std::io::BufWriter<File>,
    written: u64,
    recs: Vec<Rec>,
    report: ImportReport,
}

impl Summaries {
    fn new(temp_dir: Option<&Path>) -> Result<Summaries> {
        let store_file = match temp_dir {
            Some(d) => tempfile::tempfile_in(d),
            None => tempfile::tempfile(),
        }
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
        Ok(Summaries {
            store: std::io::BufWriter::new(store_file),
            written: 0,
            recs: Vec::new(),
            report: ImportReport::default(),
        })
    }

    /// Reads one `*_summarizedActivities.json` chunk named `name`.
    fn add_items(
        &mut self,
        reader: &mut dyn Read,
        name: &str,
        progress: &mut Progressing<'_>,
    ) -> Result<()> {
        let Summaries {
            store,
            written,
            recs,
            ..
        } = self;
        let counter = std::rc::Rc::new(std::cell::Cell::new(0u64));
        let counted = ItemCounter {
            inner: BufReader::new(reader),
            since_item: std::rc::Rc::clone(&counter),
        };
        let mut failure: Option<Error> = None;
        let parsed = items::for_each_item(counted, &mut |item| {
            counter.set(0);
            if failure.is_some() {
                return;
            }
            let Some(c) = items::convert(&item) else {
                return;
            };
            let body = serde_json::json!({"list": c.list, "details": c.details}).to_string();
            if let Err(e) = store.write_all(body.as_bytes()) {
                failure = Some(Error::io(std::env::temp_dir(), e));
                return;
            }
            recs.push(Rec {
                id: c.id,
                parent_id: c.parent_id,
                start_ms: c.start_ms.unwrap_or(i64::MIN),
                manual: c.manual,
                offset: *written,
                len: body.len() as u64,
            });
            *written += body.len() as u64;
            progress.now.activities_read += 1;
            if progress.now.activities_read.is_multiple_of(500) {
                progress.tell();
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        parsed.map_err(|e| {
            hostile(format!(
                "{name} is not a readable activity summary ({e}): the export may be \
                 damaged; download it again from Garmin's email"
            ))
        })?;
        self.report.chunks += 1;
        Ok(())
    }

    /// An unpacked export: reads its summaries, and finds its nested parts and the uploads
    /// lying loose.
    fn read_folder(
        &mut self,
        path: &Path,
        progress: &mut Progressing<'_>,
    ) -> Result<(Vec<PartRef>, Vec<LooseUpload>)> {
        let mut parts = Vec::new();
        let mut loose = Vec::new();
        let mut files = Vec::new();
        walk(path, path, &mut files, 0)?;
        files.sort();
        for rel in files {
            let abs = path.join(&rel);
            if rel.ends_with("_summarizedActivities.json") {
                let mut f = File::open(&abs).map_err(|e| Error::io(&abs, e))?;
                self.add_items(&mut f, &rel, progress)?;
            } else if is_uploads_part(&rel) {
                parts.push(PartRef::File(abs));
            } else if let Some(ext) = upload_ext(&rel)
                && rel.to_ascii_lowercase().contains("uploaded-files")
            {
                loose.push((rel, ext, abs));
            }
        }
        Ok((parts, loose))
    }

    /// The ZIP Garmin mails: reads its summaries and finds its nested parts, refusing an
    /// archive no Garmin export looks like.
    fn read_zip(
        &mut self,
        path: &Path,
        progress: &mut Progressing<'_>,
    ) -> Result<(Container, Vec<PartRef>)> {
        let mut parts = Vec::new();
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut zip = zip::ZipArchive::new(file).map_err(|e| {
            hostile(format!(
                "{} is not a readable ZIP ({e}): if the download was cut short, download \
                 it again from Garmin's email",
                path.display()
            ))
        })?;
        if zip.len() > MAX_ENTRIES {
            return Err(hostile(format!("the export holds {} entries", zip.len())));
        }
        for i in 0..zip.len() {
            let mut entry = zip
                .by_index(i)
                .map_err(|e| hostile(format!("a damaged entry in the export: {e}")))?;
            let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
            if escapes(&name) || entry.enclosed_name().is_none() {
                return Err(hostile(format!(
                    "the export holds an entry named {name:?} that points outside its \
                     folder: Garmin does not make such archives"
                )));
            }
            if entry.is_dir() {
                continue;
            }
            if name.ends_with("_summarizedActivities.json") {
                let mut capped = Capped {
                    inner: &mut entry,
                    left: u64::MAX,
                    what: "an activity summary",
                };
                self.add_items(&mut capped, &name, progress)?;
            } else if is_uploads_part(&name) {
                parts.push(PartRef::Entry(name));
            }
        }
        Ok((Container::Zip(Mutex::new(zip)), parts))
    }

    /// The temp file, flushed, and the activities in the online list's order: the
    /// top-level ones, and every record (legs too) by id.
    #[allow(clippy::type_complexity)]
    fn finish(self) -> Result<(File, Vec<Rec>, HashMap<ActivityId, Rec>, ImportReport)> {
        let Summaries {
            store,
            mut recs,
            mut report,
            ..
        } = self;
        let mut store = store
            .into_inner()
            .map_err(|e| Error::io(std::env::temp_dir(), e.into_error()))?;
        store
            .flush()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?;

        // Newest first, as the online list; ids break ties so the order is stable.
        recs.sort_by(|a, b| b.start_ms.cmp(&a.start_ms).then(b.id.cmp(&a.id)));
        let mut by_id = HashMap::with_capacity(recs.len());
        for r in &recs {
            by_id.insert(r.id, *r);
        }
        let tops: Vec<Rec> = recs
            .iter()
            .filter(|r| r.parent_id.is_none())
            .copied()
            .collect();
        report.activities = tops.len();
        report.legs = recs.len() - tops.len();
        Ok((store, tops, by_id, report))
    }
}

impl Inner {
    /// Every upload in the nested parts, with its first timestamp; an upload whose time
    /// cannot be read is counted as unreadable.
    fn index_nested_uploads(
        &mut self,
        progress: &mut Progressing<'_>,
    ) -> Result<Vec<(i64, Upload)>> {
        let mut found: Vec<(i64, Upload)> = Vec::new();
        for p in 0..self.parts.len() {
            let part = self.part(p)?;
            let file = File::open(&part.path).map_err(|e| Error::io(&part.path, e))?;
            let mut z = zip::ZipArchive::new(file).map_err(|e| {
                hostile(format!(
                    "the nested ZIP {} is damaged: {e}",
                    self.part_name(p)
                ))
            })?;
            if z.len() > MAX_ENTRIES {
                return Err(hostile(format!(
                    "{} holds {} entries",
                    self.part_name(p),
                    z.len()
                )));
            }
            for index in 0..z.len() {
                let entry = z.by_index(index).map_err(|e| {
                    hostile(format!("a damaged entry in {}: {e}", self.part_name(p)))
                })?;
                let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
                if escapes(&name) || entry.enclosed_name().is_none() {
                    return Err(hostile(format!(
                        "{} holds an entry named {name:?} that points outside its folder",
                        self.part_name(p)
                    )));
                }
                let Some(ext) = upload_ext(&name) else {
                    continue;
                };
                let mut prefix = Vec::with_capacity(sniff::PREFIX);
                let read = entry.take(sniff::PREFIX as u64).read_to_end(&mut prefix);
                self.report.uploads += 1;
                progress.now.uploads_indexed += 1;
                let upload = Upload {
                    name: name.clone(),
                    ext,
                    place: Place::Nested { part: p, index },
                };
                match read
                    .ok()
                    .and_then(|_| sniff::first_timestamp_ms(ext, &prefix))
                {
                    Some(t) => found.push((t, upload)),
                    None => self.report.unreadable_uploads.push(name),
                }
            }
            progress.now.parts_indexed += 1;
            progress.tell();
        }
        Ok(found)
    }

    /// The uploads lying loose in an unpacked export, with their first timestamps.
    fn index_loose_uploads(&mut self, loose: Vec<LooseUpload>) -> Vec<(i64, Upload)> {
        let mut found = Vec::new();
        for (rel, ext, abs) in loose {
            self.report.uploads += 1;
            let mut prefix = Vec::new();
            let read = File::open(&abs)
                .and_then(|f| f.take(sniff::PREFIX as u64).read_to_end(&mut prefix));
            let upload = Upload {
                name: rel.clone(),
                ext,
                place: Place::Loose(abs),
            };
            match read
                .ok()
                .and_then(|_| sniff::first_timestamp_ms(ext, &prefix))
            {
                Some(t) => found.push((t, upload)),
                None => self.report.unreadable_uploads.push(rel),
            }
        }
        found
    }
}

impl ExportSource {
    /// What opening found: counts, and what could not be matched.
    pub fn report(&self) -> &ImportReport {
        &self.inner.report
    }

    /// Top-level activities, as the run will count them.
    pub fn activity_count(&self) -> usize {
        self.inner.tops.len()
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }
}

/// Counts bytes read since the last complete item.
struct ItemCounter<R> {
    inner: R,
    since_item: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for ItemCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let total = self.since_item.get() + n as u64;
        self.since_item.set(total);
        if total > MAX_ITEM_BYTES {
            return Err(std::io::Error::other(
                "one activity's summary is larger than any real one",
            ));
        }
        Ok(n)
    }
}

impl Inner {
    fn part_name(&self, p: usize) -> String {
        match self.parts.get(p) {
            Some(PartRef::Entry(n)) => n.clone(),
            Some(PartRef::File(f)) => f.display().to_string(),
            None => String::new(),
        }
    }

    /// The nested part as a file: in an unpacked folder, where it is; in a ZIP, decompressed
    /// once into a temp file, of which at most [`PART_CACHE`] are kept.
    fn part(&self, p: usize) -> Result<Arc<ExtractedPart>> {
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| Error::State("the export's part cache was poisoned".into()))?;
        if let Some(pos) = cache.iter().position(|(i, _)| *i == p) {
            let hit = cache.remove(pos);
            let part = Arc::clone(&hit.1);
            cache.push(hit);
            return Ok(part);
        }
        let part = match (&self.parts[p], &self.container) {
            (PartRef::File(f), _) => ExtractedPart {
                path: f.clone(),
                _temp: None,
            },
            (PartRef::Entry(name), Container::Zip(zip)) => {
                let mut zip = zip
                    .lock()
                    .map_err(|_| Error::State("the export's ZIP reader was poisoned".into()))?;
                let mut entry = zip
                    .by_name(name)
                    .map_err(|e| hostile(format!("the nested ZIP {name} is damaged: {e}")))?;
                if !ratio_ok(entry.size(), entry.compressed_size()) || entry.size() > MAX_PART_BYTES
                {
                    return Err(hostile(format!(
                        "the nested ZIP {name} claims {} bytes from {}: a ZIP bomb, not an export",
                        entry.size(),
                        entry.compressed_size()
                    )));
                }
                let limit = entry.size();
                let temp_dir = self.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
                let mut temp = tempfile::Builder::new()
                    .prefix(crate::names::IMPORT_TEMP_PREFIX)
                    .suffix(".zip")
                    .tempfile_in(&temp_dir)
                    .map_err(|e| Error::io(&temp_dir, e))?;
                let mut capped = Capped {
                    inner: &mut entry,
                    left: limit.saturating_add(1),
                    what: "a nested ZIP",
                };
                std::io::copy(&mut capped, temp.as_file_mut()).map_err(|e| {
                    if crate::error::is_disk_full(&e) {
                        Error::io(&temp_dir, e)
                    } else {
                        hostile(format!("the nested ZIP {name} is damaged: {e}"))
                    }
                })?;
                ExtractedPart {
                    path: temp.path().to_path_buf(),
                    _temp: Some(temp.into_temp_path()),
                }
            }
            (PartRef::Entry(_), Container::Dir) => {
                return Err(Error::State("a folder export has no ZIP entries".into()));
            }
        };
        let part = Arc::new(part);
        cache.push((p, Arc::clone(&part)));
        while cache.len() > PART_CACHE {
            cache.remove(0);
        }
        Ok(part)
    }

    /// Pairs uploads and activities whose starts are within the window of each other, and
    /// only where the pairing is unique both ways.
    fn match_uploads(&mut self, mut found: Vec<(i64, Upload)>) {
        found.sort_by_key(|(t, _)| *t);
        // Candidates: top-level activities that were recorded with a file.
        let mut starts: Vec<(i64, ActivityId)> = self
            .tops
            .iter()
            .filter(|r| !r.manual && r.start_ms != i64::MIN)
            .map(|r| (r.start_ms, r.id))
            .collect();
        starts.sort();
        let near = |t: i64, sorted: &[(i64, ActivityId)]| -> Vec<ActivityId> {
            let from = sorted.partition_point(|(s, _)| *s < t - MATCH_WINDOW_MS);
            sorted[from..]
                .iter()
                .take_while(|(s, _)| *s <= t + MATCH_WINDOW_MS)
                .map(|(_, id)| *id)
                .collect()
        };
        let mut per_activity: HashMap<ActivityId, Vec<usize>> = HashMap::new();
        let mut candidates: Vec<Vec<ActivityId>> = Vec::with_capacity(found.len());
        for (i, (t, _)) in found.iter().enumerate() {
            let c = near(*t, &starts);
            for id in &c {
                per_activity.entry(*id).or_default().push(i);
            }
            candidates.push(c);
        }
        let mut reported_activity = std::collections::HashSet::new();
        for (i, (_, upload)) in found.iter().enumerate() {
            let c = &candidates[i];
            match c.as_slice() {
                [] => self.report.unmatched_uploads.push(upload.name.clone()),
                [id] if per_activity.get(id).map_or(0, Vec::len) == 1 => {
                    self.uploads.insert(*id, upload.clone());
                    self.report.matched += 1;
                }
                _ => {
                    // Either several activities fit this upload, or this activity has several
                    // uploads: report the whole cluster once.
                    let mut ids: Vec<ActivityId> = c.clone();
                    let mut names: Vec<String> = Vec::new();
                    for id in c {
                        for &u in per_activity.get(id).into_iter().flatten() {
                            if let Some((_, up)) = found.get(u)
                                && !names.contains(&up.name)
                            {
                                names.push(up.name.clone());
                            }
                        }
                    }
                    ids.sort();
                    names.sort();
                    if ids.iter().all(|id| reported_activity.contains(id)) {
                        continue;
                    }
                    for id in &ids {
                        reported_activity.insert(*id);
                        self.problems.insert(
                            *id,
                            format!(
                                "the export holds {} uploads and {} activities starting within \
                                 {} s of each other ({}): not guessing which file is this \
                                 activity's",
                                names.len(),
                                ids.len(),
                                MATCH_WINDOW_MS / 1000,
                                names.join(", ")
                            ),
                        );
                    }
                    self.report.ambiguous.push(Ambiguity {
                        uploads: names,
                        activities: ids,
                    });
                }
            }
        }
        for r in &self.tops {
            if !r.manual && !self.uploads.contains_key(&r.id) && !self.problems.contains_key(&r.id)
            {
                self.report.without_upload.push(r.id);
                self.problems.insert(
                    r.id,
                    "the export holds no uploaded file starting at this activity's start time"
                        .into(),
                );
            }
        }
    }

    fn record(&self, r: &Rec) -> std::result::Result<Value, SourceError> {
        let mut buf = vec![0u8; usize::try_from(r.len).unwrap_or(0)];
        {
            let mut f = self
                .store
                .lock()
                .map_err(|_| SourceError::new(ErrorKind::Io, "the import's store was poisoned"))?;
            f.seek(SeekFrom::Start(r.offset))
                .and_then(|_| f.read_exact(&mut buf))
                .map_err(|e| SourceError::new(ErrorKind::Io, e.to_string()))?;
        }
        serde_json::from_slice(&buf).map_err(|e| SourceError::new(ErrorKind::Io, e.to_string()))
    }

    fn top_of(&self, id: ActivityId) -> Option<Rec> {
        let r = self.by_id.get(&id)?;
        match r.parent_id {
            Some(p) => self.by_id.get(&p).copied(),
            None => Some(*r),
        }
    }

    /// Streams the upload, as a ZIP like Garmin's original download, into `tx`.
    fn write_original(
        &self,
        top: ActivityId,
        upload: &Upload,
        tx: tokio::sync::mpsc::Sender<Vec<u8>>,
    ) -> std::result::Result<u64, SourceError> {
        let bad = |m: String| SourceError::new(ErrorKind::BadData, m);
        let local = |e: std::io::Error| SourceError::new(ErrorKind::Io, e.to_string());
        let out = std::io::BufWriter::with_capacity(64 * 1024, ChannelWriter { tx, sent: 0 });
        let mut zw = zip::ZipWriter::new_stream(out);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o644);
        let entry_name = if upload.ext == "fit" {
            format!("{top}_ACTIVITY.fit")
        } else {
            format!("{top}.{}", upload.ext)
        };
        zw.start_file(entry_name, options)
            .map_err(|e| local(std::io::Error::other(e)))?;
        let copy =
            |r: &mut dyn Read, zw: &mut dyn Write| -> std::result::Result<u64, SourceError> {
                let mut capped = Capped {
                    inner: r,
                    left: MAX_UPLOAD_BYTES,
                    what: "an uploaded file",
                };
                let mut buf = vec![0u8; 64 * 1024];
                let mut n = 0u64;
                loop {
                    let got = capped
                        .read(&mut buf)
                        .map_err(|e| bad(format!("{} is damaged: {e}", upload.name)))?;
                    if got == 0 {
                        return Ok(n);
                    }
                    zw.write_all(&buf[..got]).map_err(local)?;
                    n += got as u64;
                }
            };
        match &upload.place {
            Place::Loose(path) => {
                let mut f = File::open(path).map_err(local)?;
                copy(&mut f, &mut zw)?;
            }
            Place::Nested { part, index } => {
                let p = self.part(*part).map_err(|e| bad(e.to_string()))?;
                let file = File::open(&p.path).map_err(local)?;
                let mut z = zip::ZipArchive::new(file)
                    .map_err(|e| bad(format!("the nested ZIP is damaged: {e}")))?;
                let mut entry = z
                    .by_index(*index)
                    .map_err(|e| bad(format!("{} is damaged: {e}", upload.name)))?;
                if !ratio_ok(entry.size(), entry.compressed_size()) {
                    return Err(bad(format!(
                        "{} expands {} times: a ZIP bomb, not an upload",
                        upload.name,
                        entry.size() / entry.compressed_size().max(1)
                    )));
                }
                copy(&mut entry, &mut zw)?;
            }
        }
        let out = zw
            .finish()
            .map_err(|e| local(std::io::Error::other(e)))?
            .into_inner();
        let w = out.into_inner().map_err(|e| local(e.into_error()))?;
        Ok(w.sent)
    }
}

struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Vec<u8>>,
    sent: u64,
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tx.blocking_send(buf.to_vec()).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the writer stopped")
        })?;
        self.sent += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>, depth: usize) -> Result<()> {
    if depth > 8 {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let kind = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
        let path = entry.path();
        if kind.is_dir() {
            walk(root, &path, out, depth + 1)?;
        } else if kind.is_file()
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

impl Source for ExportSource {
    async fn list(
        &self,
        start: usize,
        limit: usize,
    ) -> std::result::Result<Vec<Value>, SourceError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            inner
                .tops
                .iter()
                .skip(start)
                .take(limit)
                .map(|r| inner.record(r).map(|v| v["list"].clone()))
                .collect()
        })
        .await
        .map_err(|e| SourceError::new(ErrorKind::Io, e.to_string()))?
    }

    async fn details(&self, id: ActivityId) -> std::result::Result<Value, SourceError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let r = inner.by_id.get(&id).copied().ok_or_else(|| {
                SourceError::new(
                    ErrorKind::Gone,
                    format!("activity {id} is not in the export"),
                )
            })?;
            let mut v = inner.record(&r)?;
            let mut details = v["details"].take();
            // The file format is that of the upload (a leg's is its parent's).
            let format = inner
                .top_of(id)
                .and_then(|t| inner.uploads.get(&t.id))
                .map(|u| u.ext);
            if let (Some(ext), Some(meta)) = (format, details.get_mut("metadataDTO"))
                && let Some(m) = meta.as_object_mut()
            {
                m.insert("fileFormat".into(), serde_json::json!({"formatKey": ext}));
            }
            Ok(details)
        })
        .await
        .map_err(|e| SourceError::new(ErrorKind::Io, e.to_string()))?
    }

    fn unavailable_reason(&self, a: &Activity, _format: Format) -> UnavailableReason {
        // A manual entry never had a file; any other activity's upload is not in this export.
        if a.is_manual() {
            UnavailableReason::Manual
        } else {
            UnavailableReason::NotInExport
        }
    }

    fn offers(&self, format: Format) -> bool {
        // Only what the user or the device uploaded; the engine makes GPX/TCX from it.
        matches!(format, Format::Original | Format::Json)
    }

    fn parallelism(&self) -> Option<usize> {
        // Unpacking and converting is CPU work: one activity per core. Measured on 2 cores
        // (1,500 activities, GPX made from FIT): 8 in progress peaked at 101 MB, 2 at 77 MB,
        // in the same time.
        Some(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    async fn gear(&self, _id: ActivityId) -> std::result::Result<Value, SourceError> {
        // The export lists gear but never says which activity used it.
        Ok(Value::Array(Vec::new()))
    }

    async fn device(&self, _install_id: i64) -> std::result::Result<Option<Value>, SourceError> {
        Ok(None)
    }

    async fn fetch<W: Sink>(
        &self,
        id: ActivityId,
        format: Format,
        out: &mut W,
    ) -> std::result::Result<Option<u64>, SourceError> {
        if format != Format::Original {
            return Err(SourceError::new(
                ErrorKind::BadData,
                format!("a Garmin data export holds no {format}: it is made from the original"),
            ));
        }
        let Some(top) = self.inner.top_of(id) else {
            return Err(SourceError::new(
                ErrorKind::Gone,
                format!("activity {id} is not in the export"),
            ));
        };
        if top.manual {
            return Ok(None);
        }
        if let Some(why) = self.inner.problems.get(&top.id) {
            return Err(SourceError::new(ErrorKind::BadData, why.clone()));
        }
        let Some(upload) = self.inner.uploads.get(&top.id).cloned() else {
            return Ok(None);
        };
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(8);
        let inner = Arc::clone(&self.inner);
        let top_id = top.id;
        let task = tokio::task::spawn_blocking(move || inner.write_original(top_id, &upload, tx));
        let mut written = 0u64;
        let mut write_error = None;
        while let Some(chunk) = rx.recv().await {
            if let Err(e) = out.write_all(&chunk).await {
                write_error = Some(e);
                break;
            }
            written += chunk.len() as u64;
        }
        drop(rx);
        let produced = task
            .await
            .map_err(|e| SourceError::new(ErrorKind::Io, e.to_string()))?;
        if let Some(e) = write_error {
            return Err(SourceError::new(ErrorKind::Io, e.to_string()));
        }
        let n = produced?;
        debug_assert_eq!(n, written);
        Ok(Some(written))
    }
}
