//! `gcexport convert FILE.fit... [-f gpx,tcx] [-d DIR]`: GPX and TCX from FIT files a person
//! already has (copied from a watch over USB, an old backup), with the engine's own decoder
//! and writers. Offline; the FIT files are only read.
//!
//! One line per file on stdout (what was written, what was recovered from a damaged file,
//! why a file gave nothing), then a total. Exit 0 when every file converted, 1 when one did
//! not, 2 on a usage error.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gcexport_backup::convert::{self, ConvertError, MAX_FIT_BYTES, TrackMeta};

use crate::{EXIT_FAILED, EXIT_USAGE};

pub const ABOUT: &str = "Make GPX and TCX from FIT activity files you have (copied from a \
watch, an old backup). A damaged file gives what is intact before the damage, and says so. \
The FIT files are never changed; existing GPX/TCX files are left alone unless --overwrite.";

#[derive(clap::Parser, Debug)]
#[command(name = "gcexport convert", version, about = ABOUT)]
struct ConvertArgs {
    /// The FIT files.
    #[arg(value_name = "FILE.fit", required = true)]
    files: Vec<PathBuf>,
    /// Formats to make, comma-separated: gpx, tcx.
    #[arg(
        short = 'f',
        long = "format",
        default_value = "gpx,tcx",
        value_delimiter = ','
    )]
    formats: Vec<String>,
    /// Where to write (created if needed); by default, beside each FIT file.
    #[arg(short = 'd', long)]
    directory: Option<PathBuf>,
    /// Replace GPX/TCX files that already exist.
    #[arg(long)]
    overwrite: bool,
    /// More detail (-v, -vv) on stderr.
    #[arg(short = 'v', long, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Gpx,
    Tcx,
}

impl Kind {
    fn ext(self) -> &'static str {
        match self {
            Kind::Gpx => "gpx",
            Kind::Tcx => "tcx",
        }
    }
}

/// `argv` without the program name and `convert`.
pub fn main(argv: Vec<OsString>) -> ExitCode {
    let mut line = vec![OsString::from("gcexport convert")];
    line.extend(argv);
    let args = match <ConvertArgs as clap::Parser>::try_parse_from(line) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    crate::logging::init(args.verbose);
    let mut kinds = Vec::new();
    for f in &args.formats {
        let k = match f.trim().to_ascii_lowercase().as_str() {
            "gpx" => Kind::Gpx,
            "tcx" => Kind::Tcx,
            other => {
                eprintln!("error: convert makes gpx and tcx, not {other:?}");
                return ExitCode::from(EXIT_USAGE);
            }
        };
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    if let Some(dir) = &args.directory
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("error: cannot create {}: {e}", dir.display());
        return ExitCode::from(EXIT_FAILED);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (mut converted, mut failed, mut written) = (0usize, 0usize, 0usize);
    for file in &args.files {
        let said = match one(file, args.directory.as_deref(), &kinds, args.overwrite) {
            Ok((note, files)) => {
                converted += 1;
                written += files.iter().filter(|f| !f.1).count();
                let list: Vec<String> = files
                    .iter()
                    .map(|(p, kept)| {
                        let name = p.display().to_string();
                        if *kept {
                            format!("{name} (exists, left as is)")
                        } else {
                            name
                        }
                    })
                    .collect();
                let made = if list.is_empty() {
                    "no positions, so no GPX; nothing else asked".to_string()
                } else {
                    list.join(", ")
                };
                match note {
                    Some(n) => format!("{}: {n}: {made}", file.display()),
                    None => format!("{}: {made}", file.display()),
                }
            }
            Err(why) => {
                failed += 1;
                format!("{}: not converted: {why}", file.display())
            }
        };
        let _ = writeln!(out, "{said}");
    }
    let _ = writeln!(
        out,
        "{converted} of {} FIT files converted, {written} files written{}",
        args.files.len(),
        if failed > 0 {
            format!(", {failed} not converted")
        } else {
            String::new()
        }
    );
    let _ = out.flush();
    ExitCode::from(if failed > 0 { EXIT_FAILED } else { 0 })
}

/// Decodes one FIT and writes what was asked; the note says when it was damaged. Each
/// written path comes with whether it already existed (and was left alone).
type Done = (Option<String>, Vec<(PathBuf, bool)>);

fn one(file: &Path, dir: Option<&Path>, kinds: &[Kind], overwrite: bool) -> Result<Done, String> {
    let size = std::fs::metadata(file)
        .map_err(|e| format!("cannot read it: {e}"))?
        .len();
    if size > MAX_FIT_BYTES as u64 {
        return Err(format!(
            "it is {size} bytes, more than any recording ({MAX_FIT_BYTES} at most)"
        ));
    }
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read it: {e}"))?;
    let rec = convert::decode_fit(&bytes).map_err(|e| match e {
        ConvertError::NotActivity(m) => m,
        other => other.to_string(),
    })?;
    let note = rec
        .damage
        .as_ref()
        .map(|why| convert::salvage_note(rec.points().count() as u64, why));
    let stem = file.file_stem().unwrap_or(file.as_os_str());
    let folder = dir
        .map(Path::to_path_buf)
        .or_else(|| file.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let meta = TrackMeta::default();
    let mut done = Vec::new();
    for &k in kinds {
        if k == Kind::Gpx && !rec.has_positions() {
            continue;
        }
        let mut target = folder.join(stem);
        target.set_extension(k.ext());
        if target.exists() && !overwrite {
            done.push((target, true));
            continue;
        }
        let mut buf = Vec::with_capacity(bytes.len().saturating_mul(5).min(32 << 20));
        match k {
            Kind::Gpx => convert::write_gpx(&rec, &meta, &mut buf),
            Kind::Tcx => convert::write_tcx(&rec, &meta, &mut buf),
        }
        .map_err(|e| e.to_string())?;
        write_atomic(&target, &buf)
            .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        done.push((target, false));
    }
    Ok((note, done))
}

/// Whole or not at all: a temporary file beside the target, synced, then renamed.
fn write_atomic(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut part = target.as_os_str().to_owned();
    part.push(".part");
    let part = PathBuf::from(part);
    let result = (|| {
        let mut f = std::fs::File::create(&part)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&part, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    result
}
