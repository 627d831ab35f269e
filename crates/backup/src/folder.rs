//! Which folder a front end may back up into.
//!
//! The page hands the shell a folder as text. Whatever it says, the app must not write into
//! a system folder or the home folder itself, and it must not reach out to another computer
//! (a `\\server\share` path makes Windows connect to that host, with the person's
//! credentials) unless the person chose that folder in the system's folder picker.
//!
//! [`check`] is pure, and takes the platform's path rules as data ([`PathStyle`]), so the
//! rules of Windows and macOS are tested on any machine. [`destination`] adds what only the
//! disk can say (a file in the way, a link into a system folder).

use std::path::{Path, PathBuf};

/// How a platform spells paths, and whether it compares names case-blind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathStyle {
    Linux,
    /// Like Linux, with its own system folders; APFS and HFS+ are case-blind by default.
    MacOs,
    /// Drive letters, `\` (or `/`), UNC and verbatim (`\\?\`) prefixes; case-blind.
    Windows,
}

impl PathStyle {
    pub const fn native() -> Self {
        if cfg!(windows) {
            PathStyle::Windows
        } else if cfg!(target_os = "macos") {
            PathStyle::MacOs
        } else {
            PathStyle::Linux
        }
    }

    fn sep(self) -> char {
        match self {
            PathStyle::Windows => '\\',
            _ => '/',
        }
    }

    fn case_blind(self) -> bool {
        !matches!(self, PathStyle::Linux)
    }
}

/// How the folder reached the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The system's folder picker returned it: the person pointed at it, network share or not.
    Picked,
    /// Typed (or pasted) into the page, or remembered from a typed one.
    Typed,
}

/// Why a folder was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Empty,
    NotAbsolute,
    /// On another computer (UNC, `\\?\UNC\`, `//host/`), and typed rather than picked.
    Network,
    /// A Windows device or volume path (`\\.\`, `\\?\GLOBALROOT`), typed.
    Device,
    /// The operating system's or the programs' folder, or a folder holding every user's.
    System,
    /// The home folder itself: a backup would mix with everything in it.
    Home,
    /// No folder can have this name here (a reserved Windows name, a forbidden character).
    BadName,
    /// A file is where the folder (or one of its parents) would be.
    NotAFolder,
}

/// A refused folder: the reason for the program, the message for the person.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub reason: Reason,
    pub message: String,
}

/// The platform and the person's home folder, as the platform spells it.
#[derive(Clone, Copy, Debug)]
pub struct Rules<'a> {
    pub style: PathStyle,
    pub home: Option<&'a str>,
}

/// The root a path hangs from.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Root {
    /// `/` on Linux and macOS.
    Slash,
    /// A drive letter, upper-cased.
    Drive(char),
    /// `\\server\share` (or `//host/`): another computer.
    Share(String),
    /// `\\.\...`, `\\?\Volume{...}`: a device, not a folder by name.
    Device(String),
}

struct Parsed {
    root: Root,
    parts: Vec<String>,
}

impl Parsed {
    fn display(&self, style: PathStyle) -> String {
        let sep = style.sep();
        let mut out = match &self.root {
            Root::Slash => String::from("/"),
            Root::Drive(d) => format!("{d}:\\"),
            Root::Share(s) | Root::Device(s) => format!("{s}{sep}"),
        };
        out.push_str(&self.parts.join(&sep.to_string()));
        out
    }
}

/// Checks `text` as a folder to write into, by its spelling alone, and returns it
/// normalised (`.` and `..` resolved, separators made the platform's).
pub fn check(text: &str, origin: Origin, rules: Rules<'_>) -> Result<String, Refusal> {
    let text = text.trim();
    let style = rules.style;
    let example = example(rules);
    if text.is_empty() {
        return Err(refuse(
            Reason::Empty,
            format!("Choose a folder for your backup (for example {example})."),
        ));
    }
    let Some(parsed) = parse(text, style) else {
        let hint = if text.starts_with('~') {
            " (“~” is not expanded here)"
        } else {
            ""
        };
        return Err(refuse(
            Reason::NotAbsolute,
            format!(
                "“{text}” is not a full path{hint}: choose the folder with Choose…, or type its full path (for example {example})."
            ),
        ));
    };
    let shown = parsed.display(style);
    match (&parsed.root, origin) {
        (Root::Share(_), Origin::Typed) => {
            return Err(refuse(
                Reason::Network,
                format!(
                    "“{text}” is a folder on another computer. To back up to a network folder, choose it with Choose…"
                ),
            ));
        }
        (Root::Device(_), Origin::Typed) => {
            return Err(refuse(
                Reason::Device,
                format!("“{text}” is a device path, not a folder: choose the folder with Choose…"),
            ));
        }
        _ => {}
    }
    if let Some(detail) = parsed.parts.iter().find_map(|p| bad_name(p, style)) {
        return Err(refuse(
            Reason::BadName,
            format!("“{text}” cannot be a folder here: {detail}."),
        ));
    }
    if let Some(home) = rules.home.and_then(|h| parse(h, style))
        && home.root == parsed.root
        && same(&home.parts, &parsed.parts, style)
    {
        return Err(refuse(
            Reason::Home,
            format!(
                "“{shown}” is your home folder itself: a backup would mix with everything in it. Choose a folder inside it (for example {example})."
            ),
        ));
    }
    if is_system(&parsed, rules) {
        return Err(refuse(
            Reason::System,
            format!(
                "“{shown}” is a system folder: choose a folder of your own (for example {example})."
            ),
        ));
    }
    Ok(shown)
}

/// [`check`] with this platform's rules and home folder, then what the disk says: the folder
/// is a folder (or can be created: its nearest existing parent is one), and neither it nor
/// that parent is a link into a folder [`check`] refuses. Creates nothing.
pub fn destination(text: &str, origin: Origin) -> Result<PathBuf, Refusal> {
    let home = std::env::home_dir().map(|h| h.display().to_string());
    let rules = Rules {
        style: PathStyle::native(),
        home: home.as_deref(),
    };
    let folder = PathBuf::from(check(text, origin, rules)?);
    on_disk(&folder, text.trim(), origin, rules)?;
    Ok(folder)
}

fn on_disk(folder: &Path, text: &str, origin: Origin, rules: Rules<'_>) -> Result<(), Refusal> {
    let mut existing = folder;
    let mut rest = Vec::new();
    loop {
        match std::fs::metadata(existing) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => {
                let message = if rest.is_empty() {
                    format!("“{text}” is a file, not a folder: choose a folder.")
                } else {
                    format!(
                        "“{text}” cannot be created: “{}” is a file.",
                        existing.display()
                    )
                };
                return Err(refuse(Reason::NotAFolder, message));
            }
            Err(_) => match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_owned());
                    existing = parent;
                }
                // Not even the root is there (a drive letter with no disk behind it).
                _ => {
                    return Err(refuse(
                        Reason::NotAFolder,
                        format!("“{text}” cannot be created: its drive or disk is not there."),
                    ));
                }
            },
        }
    }
    // A link on the way (`~/backup -> /etc`) must not lead where a typed path may not go.
    if let Ok(mut real) = std::fs::canonicalize(existing) {
        real.extend(rest.iter().rev());
        let real = real.display().to_string();
        if real != folder.display().to_string() {
            check(&real, origin, rules).map_err(|r| Refusal {
                message: format!("“{text}” leads elsewhere through a link. {}", r.message),
                ..r
            })?;
        }
    }
    Ok(())
}

fn refuse(reason: Reason, message: String) -> Refusal {
    Refusal { reason, message }
}

fn example(rules: Rules<'_>) -> String {
    let sep = rules.style.sep();
    match rules.home.and_then(|h| parse(h, rules.style)) {
        Some(home) => format!("{}{sep}Garmin", home.display(rules.style)),
        None => match rules.style {
            PathStyle::Linux => "/home/you/Garmin".into(),
            PathStyle::MacOs => "/Users/you/Garmin".into(),
            PathStyle::Windows => "C:\\Users\\you\\Garmin".into(),
        },
    }
}

/// The root and the normal components, or `None` when `text` is not a full path.
fn parse(text: &str, style: PathStyle) -> Option<Parsed> {
    let (root, rest) = match style {
        PathStyle::Windows => windows_root(text)?,
        PathStyle::Linux | PathStyle::MacOs => unix_root(text)?,
    };
    let mut parts: Vec<String> = Vec::new();
    let seps: &[char] = match style {
        PathStyle::Windows => &['\\', '/'],
        _ => &['/'],
    };
    for part in rest.split(seps) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p.to_owned()),
        }
    }
    Some(Parsed { root, parts })
}

fn unix_root(text: &str) -> Option<(Root, &str)> {
    // POSIX leaves a leading `//` (exactly two) to the implementation; people type it
    // for another computer's share, and some systems do treat it as one.
    if let Some(rest) = text.strip_prefix("//")
        && !rest.starts_with('/')
    {
        let host = rest.split('/').next().unwrap_or_default();
        if !host.is_empty() {
            let after = &rest[host.len()..];
            return Some((Root::Share(format!("//{host}")), after));
        }
    }
    text.starts_with('/').then_some((Root::Slash, text))
}

fn windows_root(text: &str) -> Option<(Root, &str)> {
    let is_sep = |c: char| c == '\\' || c == '/';
    let mut chars = text.chars();
    let (a, b) = (chars.next()?, chars.next());
    if is_sep(a) && b.is_some_and(is_sep) {
        let body = &text[2..];
        // `\\?\` (verbatim) and `\\.\` (device namespace).
        if let Some(verbatim) = body
            .strip_prefix("?\\")
            .or_else(|| body.strip_prefix(".\\"))
            .or_else(|| body.strip_prefix("?/"))
            .or_else(|| body.strip_prefix("./"))
        {
            let upper = verbatim.to_ascii_uppercase();
            if upper.starts_with("UNC\\") || upper.starts_with("UNC/") {
                let (share, rest) = server_share(&verbatim[4..])?;
                return Some((Root::Share(format!("\\\\{share}")), rest));
            }
            if let Some((Root::Drive(d), rest)) = drive(verbatim) {
                return Some((Root::Drive(d), rest));
            }
            let name = verbatim.split(is_sep).next().unwrap_or_default();
            return Some((
                Root::Device(format!("{}{name}", &text[..4])),
                &verbatim[name.len()..],
            ));
        }
        let (share, rest) = server_share(body)?;
        return Some((Root::Share(format!("\\\\{share}")), rest));
    }
    drive(text)
}

/// `X:\...` (a drive-relative `X:foo` or a root-relative `\foo` is not a full path).
fn drive(text: &str) -> Option<(Root, &str)> {
    let mut chars = text.chars();
    let letter = chars.next().filter(char::is_ascii_alphabetic)?;
    (chars.next() == Some(':') && matches!(chars.next(), Some('\\' | '/')))
        .then(|| (Root::Drive(letter.to_ascii_uppercase()), &text[2..]))
}

/// `server\share` and what follows; `None` without both.
fn server_share(body: &str) -> Option<(String, &str)> {
    let mut it = body.splitn(3, ['\\', '/']);
    let server = it.next().filter(|s| !s.is_empty())?;
    let share = it.next().filter(|s| !s.is_empty())?;
    let rest = it.next().unwrap_or("");
    Some((format!("{server}\\{share}"), rest))
}

/// Why no folder can have this name, if none can.
fn bad_name(name: &str, style: PathStyle) -> Option<String> {
    if name.contains('\0') {
        return Some("a name cannot contain a NUL character".into());
    }
    if style != PathStyle::Windows {
        return None;
    }
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') || u32::from(*c) < 32)
    {
        return Some(format!(
            "“{name}” contains “{}”, which Windows does not allow in a name",
            c.escape_default()
        ));
    }
    if name.ends_with(['.', ' ']) {
        return Some(format!(
            "“{name}” ends with a dot or a space, which Windows drops from a name"
        ));
    }
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    let upper = stem.to_ascii_uppercase();
    let reserved = matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || ((upper.starts_with("COM") || upper.starts_with("LPT"))
        && upper.len() == 4
        && matches!(upper.as_bytes()[3], b'1'..=b'9'));
    reserved.then(|| format!("“{name}” is a name Windows keeps for a device"))
}

fn same(a: &[String], b: &[String], style: PathStyle) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| eq(x, y, style))
}

fn eq(a: &str, b: &str, style: PathStyle) -> bool {
    if style.case_blind() {
        a.to_lowercase() == b.to_lowercase()
    } else {
        a == b
    }
}

/// Folders the system owns: refused with everything inside (`Inside`), or only themselves,
/// where their insides are people's own (`Exactly`: `/home`, `/tmp`, `C:\Users`).
enum Scope {
    Inside,
    Exactly,
}

const LINUX: &[(&str, Scope)] = &[
    ("", Scope::Exactly),
    ("bin", Scope::Inside),
    ("boot", Scope::Inside),
    ("dev", Scope::Inside),
    ("etc", Scope::Inside),
    ("lib", Scope::Inside),
    ("lib32", Scope::Inside),
    ("lib64", Scope::Inside),
    ("libx32", Scope::Inside),
    ("proc", Scope::Inside),
    ("run", Scope::Inside),
    ("sbin", Scope::Inside),
    ("sys", Scope::Inside),
    ("usr", Scope::Inside),
    ("var/lib", Scope::Inside),
    ("var/log", Scope::Inside),
    ("var/cache", Scope::Inside),
    ("var/spool", Scope::Inside),
    ("snap", Scope::Inside),
    ("home", Scope::Exactly),
    ("media", Scope::Exactly),
    ("mnt", Scope::Exactly),
    ("opt", Scope::Exactly),
    ("root", Scope::Exactly),
    ("srv", Scope::Exactly),
    ("tmp", Scope::Exactly),
    ("var", Scope::Exactly),
    ("var/tmp", Scope::Exactly),
];

const MACOS: &[(&str, Scope)] = &[
    ("", Scope::Exactly),
    ("Applications", Scope::Inside),
    ("bin", Scope::Inside),
    ("cores", Scope::Inside),
    ("dev", Scope::Inside),
    ("etc", Scope::Inside),
    ("Library", Scope::Inside),
    ("private/etc", Scope::Inside),
    ("private/var/db", Scope::Inside),
    ("private/var/log", Scope::Inside),
    ("sbin", Scope::Inside),
    ("System", Scope::Inside),
    ("usr", Scope::Inside),
    ("var/db", Scope::Inside),
    ("var/log", Scope::Inside),
    // Temporary folders live below these (`/var/folders/...`): only the folders themselves.
    ("opt", Scope::Exactly),
    ("private", Scope::Exactly),
    ("private/tmp", Scope::Exactly),
    ("private/var", Scope::Exactly),
    ("tmp", Scope::Exactly),
    ("Users", Scope::Exactly),
    ("Users/Shared", Scope::Exactly),
    ("var", Scope::Exactly),
    ("Volumes", Scope::Exactly),
];

/// Below any drive letter: a second disk can hold a Windows too.
const WINDOWS: &[(&str, Scope)] = &[
    ("Windows", Scope::Inside),
    ("Program Files", Scope::Inside),
    ("Program Files (x86)", Scope::Inside),
    ("ProgramData", Scope::Inside),
    ("$Recycle.Bin", Scope::Inside),
    ("System Volume Information", Scope::Inside),
    ("Recovery", Scope::Inside),
    ("Users", Scope::Exactly),
    ("Users\\Public", Scope::Exactly),
];

/// Folders inside the home folder that belong to the system or to programs.
const HOME_SYSTEM: &[(PathStyle, &str)] = &[
    (PathStyle::MacOs, "Library"),
    (PathStyle::Windows, "AppData"),
    (PathStyle::Linux, ".config"),
    (PathStyle::Linux, ".local/share"),
];

fn is_system(path: &Parsed, rules: Rules<'_>) -> bool {
    let style = rules.style;
    let sep: &[char] = &['/', '\\'];
    let split = |s: &str| -> Vec<String> {
        s.split(sep)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let covers = |prefix: &[String], scope: &Scope| match scope {
        Scope::Inside => {
            path.parts.len() >= prefix.len() && same(prefix, &path.parts[..prefix.len()], style)
        }
        Scope::Exactly => same(prefix, &path.parts, style),
    };
    let table = match (style, &path.root) {
        (PathStyle::Linux, Root::Slash) => LINUX,
        (PathStyle::MacOs, Root::Slash) => MACOS,
        (PathStyle::Windows, Root::Drive(_)) => WINDOWS,
        _ => &[],
    };
    if table
        .iter()
        .any(|(prefix, scope)| covers(&split(prefix), scope))
    {
        return true;
    }
    // The system drive's root, like `/`. Other drives' roots are whole disks people do
    // give to their backups.
    if path.root == Root::Drive('C') && path.parts.is_empty() {
        return true;
    }
    let Some(home) = rules.home.and_then(|h| parse(h, style)) else {
        return false;
    };
    home.root == path.root
        && HOME_SYSTEM
            .iter()
            .filter(|(s, _)| *s == style)
            .any(|(_, sub)| {
                let mut prefix = home.parts.clone();
                prefix.extend(split(sub));
                covers(&prefix, &Scope::Inside)
            })
}
