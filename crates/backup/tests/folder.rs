//! Which folders a front end may write into: the rules of Linux, macOS and Windows as data
//! (this machine runs one of them), and what a real disk adds (a file in the way, a link).

use gcexport_backup::folder::{Origin, PathStyle, Reason, Refusal, Rules, check, destination};

const LINUX: Rules<'static> = Rules {
    style: PathStyle::Linux,
    home: Some("/home/ana"),
};
const MACOS: Rules<'static> = Rules {
    style: PathStyle::MacOs,
    home: Some("/Users/ana"),
};
const WINDOWS: Rules<'static> = Rules {
    style: PathStyle::Windows,
    home: Some("C:\\Users\\ana"),
};

fn typed(text: &str, rules: Rules<'_>) -> Result<String, Refusal> {
    check(text, Origin::Typed, rules)
}

fn reason(text: &str, origin: Origin, rules: Rules<'_>) -> Option<Reason> {
    check(text, origin, rules).err().map(|r| r.reason)
}

#[track_caller]
fn accepted(text: &str, rules: Rules<'_>, normalised: &str) {
    assert_eq!(typed(text, rules).as_deref(), Ok(normalised), "{text}");
}

#[test]
fn own_folders_are_accepted_and_normalised() {
    accepted("/home/ana/Garmin", LINUX, "/home/ana/Garmin");
    accepted("  /home/ana/./Garmin/  ", LINUX, "/home/ana/Garmin");
    accepted("/home/ana/x/../Garmin", LINUX, "/home/ana/Garmin");
    accepted("/media/ana/USB/Garmin", LINUX, "/media/ana/USB/Garmin");
    accepted("/tmp/garmin-test", LINUX, "/tmp/garmin-test");
    accepted("///home/ana/Garmin", LINUX, "/home/ana/Garmin");
    accepted(
        "/Users/ana/Documents/Garmin",
        MACOS,
        "/Users/ana/Documents/Garmin",
    );
    accepted("/Volumes/Backup/Garmin", MACOS, "/Volumes/Backup/Garmin");
    // macOS's temporary folders, where its tests run.
    accepted("/var/folders/x1/abc/T/t", MACOS, "/var/folders/x1/abc/T/t");
    accepted(
        "/private/var/folders/x1/T/t",
        MACOS,
        "/private/var/folders/x1/T/t",
    );
    accepted("C:\\Users\\ana\\Garmin", WINDOWS, "C:\\Users\\ana\\Garmin");
    accepted(
        "c:/Users/ana/Documents/Garmin",
        WINDOWS,
        "C:\\Users\\ana\\Documents\\Garmin",
    );
    accepted("D:\\", WINDOWS, "D:\\");
    accepted("E:\\Backups\\Garmin", WINDOWS, "E:\\Backups\\Garmin");
    accepted(
        "\\\\?\\C:\\Users\\ana\\Garmin",
        WINDOWS,
        "C:\\Users\\ana\\Garmin",
    );
}

#[test]
fn a_relative_or_empty_path_is_refused_with_an_example() {
    for (text, rules) in [
        ("Garmin", LINUX),
        ("./Garmin", LINUX),
        ("~/Garmin", LINUX),
        ("Documents/Garmin", MACOS),
        ("Garmin", WINDOWS),
        ("C:Garmin", WINDOWS),
        ("\\Garmin", WINDOWS),
        // Not absolute where backslashes are ordinary characters.
        ("\\\\nas\\share", LINUX),
    ] {
        assert_eq!(
            reason(text, Origin::Typed, rules),
            Some(Reason::NotAbsolute),
            "{text}"
        );
        assert_eq!(
            reason(text, Origin::Picked, rules),
            Some(Reason::NotAbsolute),
            "{text}"
        );
    }
    let r = typed("Garmin", LINUX).unwrap_err();
    assert_eq!(
        r.message,
        "“Garmin” is not a full path: choose the folder with Choose…, or type its full path (for example /home/ana/Garmin)."
    );
    let r = typed("~/Garmin", MACOS).unwrap_err();
    assert!(r.message.contains("“~” is not expanded"), "{}", r.message);
    assert!(r.message.contains("/Users/ana/Garmin"), "{}", r.message);
    let r = typed("Garmin", WINDOWS).unwrap_err();
    assert!(
        r.message.contains("C:\\Users\\ana\\Garmin"),
        "{}",
        r.message
    );
    let r = typed("   ", LINUX).unwrap_err();
    assert_eq!(r.reason, Reason::Empty);
    assert_eq!(
        r.message,
        "Choose a folder for your backup (for example /home/ana/Garmin)."
    );
}

#[test]
fn another_computers_folder_is_refused_when_typed_and_accepted_when_picked() {
    for (text, rules, normalised) in [
        (
            "\\\\nas\\backups\\Garmin",
            WINDOWS,
            "\\\\nas\\backups\\Garmin",
        ),
        ("//nas/backups/Garmin", WINDOWS, "\\\\nas\\backups\\Garmin"),
        (
            "\\\\?\\UNC\\nas\\backups\\Garmin",
            WINDOWS,
            "\\\\nas\\backups\\Garmin",
        ),
        ("\\\\?\\unc\\nas\\backups", WINDOWS, "\\\\nas\\backups\\"),
        (
            "\\\\.\\UNC\\10.0.0.5\\share",
            WINDOWS,
            "\\\\10.0.0.5\\share\\",
        ),
        ("//nas/backups/Garmin", LINUX, "//nas/backups/Garmin"),
        ("//nas.local/Garmin", MACOS, "//nas.local/Garmin"),
    ] {
        let r = typed(text, rules).unwrap_err();
        assert_eq!(r.reason, Reason::Network, "{text}");
        assert_eq!(
            r.message,
            format!(
                "“{text}” is a folder on another computer. To back up to a network folder, choose it with Choose…"
            )
        );
        assert_eq!(
            check(text, Origin::Picked, rules).as_deref(),
            Ok(normalised),
            "{text}"
        );
    }
    // A server without a share is no folder at all.
    assert_eq!(
        reason("\\\\nas", Origin::Picked, WINDOWS),
        Some(Reason::NotAbsolute)
    );
}

#[test]
fn device_paths_are_refused_when_typed() {
    for text in [
        "\\\\.\\PhysicalDrive0",
        "\\\\.\\C:",
        "\\\\?\\GLOBALROOT\\Device\\HarddiskVolume1\\x",
        "\\\\?\\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}\\Garmin",
    ] {
        assert_eq!(
            reason(text, Origin::Typed, WINDOWS),
            Some(Reason::Device),
            "{text}"
        );
    }
}

#[test]
fn system_folders_are_refused_however_they_are_spelled() {
    for (text, rules) in [
        ("/", LINUX),
        ("/etc", LINUX),
        ("/etc/garmin", LINUX),
        ("/usr/local/share/garmin", LINUX),
        ("/home/ana/../../etc", LINUX),
        ("/boot", LINUX),
        ("/proc/self", LINUX),
        ("/var", LINUX),
        ("/var/lib/garmin", LINUX),
        ("/home", LINUX),
        ("/tmp", LINUX),
        ("/tmp/", LINUX),
        ("/home/ana/.config/garmin", LINUX),
        ("/", MACOS),
        ("/System/Library", MACOS),
        ("/system/library", MACOS),
        ("/Library/Application Support/x", MACOS),
        ("/Applications/Garmin", MACOS),
        ("/private/etc/garmin", MACOS),
        ("/Users", MACOS),
        ("/users/", MACOS),
        ("/Volumes", MACOS),
        ("/Users/ana/Library/Garmin", MACOS),
        ("/users/ANA/library", MACOS),
        ("C:\\", WINDOWS),
        ("c:/", WINDOWS),
        ("C:\\Windows", WINDOWS),
        ("c:\\windows\\system32\\Garmin", WINDOWS),
        ("C:\\Program Files\\Garmin", WINDOWS),
        ("C:\\Program Files (x86)", WINDOWS),
        ("C:\\ProgramData\\Garmin", WINDOWS),
        ("D:\\Windows", WINDOWS),
        ("C:\\Users", WINDOWS),
        ("C:\\Users\\Public", WINDOWS),
        ("C:\\Users\\ana\\AppData\\Roaming\\Garmin", WINDOWS),
        ("\\\\?\\C:\\Windows\\Temp", WINDOWS),
    ] {
        assert_eq!(
            reason(text, Origin::Typed, rules),
            Some(Reason::System),
            "{text}"
        );
        assert_eq!(
            reason(text, Origin::Picked, rules),
            Some(Reason::System),
            "{text}"
        );
    }
    let r = typed("/usr/../etc/", LINUX).unwrap_err();
    assert_eq!(
        r.message,
        "“/etc” is a system folder: choose a folder of your own (for example /home/ana/Garmin)."
    );
    let r = typed("c:/program files/Garmin", WINDOWS).unwrap_err();
    assert_eq!(
        r.message,
        "“C:\\program files\\Garmin” is a system folder: choose a folder of your own (for example C:\\Users\\ana\\Garmin)."
    );
    // Case matters on Linux: `/Etc` is nobody's system folder.
    accepted("/Etc", LINUX, "/Etc");
}

#[test]
fn the_home_folder_itself_is_refused_but_not_a_folder_inside_it() {
    for (text, rules) in [
        ("/home/ana", LINUX),
        ("/home/ana/", LINUX),
        ("/home/ana/Garmin/..", LINUX),
        ("/Users/ana", MACOS),
        ("/users/Ana", MACOS),
        ("C:\\Users\\ana", WINDOWS),
        ("c:/users/ANA/", WINDOWS),
    ] {
        let r = typed(text, rules).unwrap_err();
        assert_eq!(r.reason, Reason::Home, "{text}");
        assert!(
            r.message.contains("is your home folder itself"),
            "{}",
            r.message
        );
        assert!(
            r.message.contains("Choose a folder inside it"),
            "{}",
            r.message
        );
    }
    // Another person's home on Linux is an ordinary folder by spelling (the disk decides).
    accepted("/home/ana2", LINUX, "/home/ana2");
    accepted("/home/Ana", LINUX, "/home/Ana");
}

#[test]
fn names_windows_cannot_create_are_refused_there_only() {
    for (text, said) in [
        (
            "C:\\Users\\ana\\CON",
            "“CON” is a name Windows keeps for a device",
        ),
        (
            "C:\\Users\\ana\\nul.txt",
            "“nul.txt” is a name Windows keeps for a device",
        ),
        (
            "C:\\Users\\ana\\com1",
            "“com1” is a name Windows keeps for a device",
        ),
        (
            "C:\\Users\\ana\\LPT9",
            "“LPT9” is a name Windows keeps for a device",
        ),
        (
            "C:\\Users\\ana\\Garmin.",
            "“Garmin.” ends with a dot or a space",
        ),
        (
            "C:\\Users\\ana\\Garmin ",
            "“Garmin ” ends with a dot or a space",
        ),
        ("C:\\Users\\ana\\a:b", "“a:b” contains “:”"),
        ("C:\\Users\\ana\\what?", "“what?” contains “?”"),
        ("C:\\Users\\ana\\a|b", "“a|b” contains “|”"),
    ] {
        // The trailing space of the whole text is trimmed: put the name in the middle.
        let text = if text.ends_with(' ') {
            format!("{text}\\x")
        } else {
            text.to_owned()
        };
        let r = typed(&text, WINDOWS).unwrap_err();
        assert_eq!(r.reason, Reason::BadName, "{text}");
        assert!(r.message.contains(said), "{}", r.message);
    }
    accepted("C:\\Users\\ana\\COM10", WINDOWS, "C:\\Users\\ana\\COM10");
    accepted(
        "C:\\Users\\ana\\console",
        WINDOWS,
        "C:\\Users\\ana\\console",
    );
    accepted("/home/ana/CON", LINUX, "/home/ana/CON");
    accepted("/home/ana/what?", LINUX, "/home/ana/what?");
}

// What the disk adds: these use this machine's own rules and a real folder.

#[test]
fn a_new_folder_inside_an_existing_one_is_accepted_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("Garmin").join("2024");
    let text = folder.display().to_string();
    assert_eq!(destination(&text, Origin::Typed), Ok(folder.clone()));
    assert!(!folder.exists(), "checking created the folder");
}

#[test]
fn a_file_where_the_folder_or_a_parent_would_be_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "x").unwrap();
    let r = destination(&file.display().to_string(), Origin::Typed).unwrap_err();
    assert_eq!(r.reason, Reason::NotAFolder);
    assert_eq!(
        r.message,
        format!(
            "“{}” is a file, not a folder: choose a folder.",
            file.display()
        )
    );
    let below = file.join("Garmin");
    let r = destination(&below.display().to_string(), Origin::Picked).unwrap_err();
    assert_eq!(r.reason, Reason::NotAFolder);
    assert!(r.message.contains("cannot be created"), "{}", r.message);
}

#[cfg(unix)]
#[test]
fn a_link_into_a_system_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("backup");
    std::os::unix::fs::symlink("/etc", &link).unwrap();
    for text in [
        link.display().to_string(),
        link.join("garmin").display().to_string(),
    ] {
        let r = destination(&text, Origin::Picked).unwrap_err();
        assert_eq!(r.reason, Reason::System, "{text}");
        assert!(
            r.message.starts_with(&format!("“{text}” leads elsewhere")),
            "{}",
            r.message
        );
    }
}

#[test]
fn odd_text_is_refused_without_a_panic() {
    for rules in [LINUX, MACOS, WINDOWS] {
        for text in [
            "a",
            "é",
            "aé",
            "C",
            "C:",
            "\\\\",
            "\\\\?",
            "\\\\?\\",
            "\\\\.\\UNC",
            "//",
            "/\0/x",
            "~",
        ] {
            assert!(
                check(text, Origin::Typed, rules).is_err(),
                "{text:?} {:?}",
                rules.style
            );
        }
    }
}
