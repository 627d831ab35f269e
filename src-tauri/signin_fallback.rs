//! The way in when Garmin's page is stuck in the app's window: the person signs in in their
//! own browser, copies the address it ends on (or just the ticket in it), and pastes it back;
//! the app takes the ticket out and exchanges it at once, as `gcexport --ticket` does
//! (docs/sign-in-window.md).

use std::io::Write;
use std::path::Path;

use gcexport_connect::Secret;

use crate::wire::AppError;

/// Longer than any address a browser shows for Garmin's pages by far: past it, the paste
/// is something else (a page's text, a log).
const MAX_PASTE: usize = 8 * 1024;
/// The shortest ticket accepted; real ones are about 35 characters (`ST-097904-<20>-sso`).
const MIN_TICKET: usize = 10;

fn not_a_ticket(message: &str) -> AppError {
    AppError::NotATicket {
        message: message.to_owned(),
    }
}

/// The ticket in what the person pasted: the whole address (`…?ticket=ST-…`), the
/// `ticket=ST-…` part, or the bare `ST-…`. The message of a refusal says what to paste.
/// Never echoes the paste: it may hold a ticket, which is a secret.
pub fn ticket_from_paste(text: &str) -> Result<Secret, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(not_a_ticket(
            "Nothing was pasted. Copy the whole address from your browser's address bar after signing in, then paste it here.",
        ));
    }
    if text.len() > MAX_PASTE {
        return Err(not_a_ticket(
            "That is far too long to be an address. Copy only the address from your browser's address bar.",
        ));
    }
    let mut found = tickets(text);
    let Some(ticket) = found.next() else {
        return Err(not_a_ticket(
            "That holds no sign-in ticket (a part starting with “ST-”). Finish signing in in your browser, wait until the address changes, then copy the whole address again.",
        ));
    };
    if found.any(|other| other != ticket) {
        return Err(not_a_ticket(
            "That holds more than one sign-in ticket. Paste only the address your browser shows after signing in.",
        ));
    }
    if ticket.len() < MIN_TICKET {
        return Err(not_a_ticket(
            "The ticket in that address looks cut off. Copy the whole address again, to its very end.",
        ));
    }
    Ok(Secret::new(ticket.to_owned()))
}

/// Every `ST-…` run in `text` that starts a word (not inside another word such as `TST-`).
fn tickets(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("ST-").filter_map(move |(at, _)| {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-') {
            return None;
        }
        let rest = &text[at..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
            .unwrap_or(rest.len());
        Some(rest[..end].trim_end_matches(['.', '-']))
    })
}

/// Opens `url` in the person's own browser, or, when `record` names a file (tests: the
/// system browser cannot be driven), appends the address there instead.
pub fn open_in_browser(url: &str, record: Option<&Path>) -> Result<(), AppError> {
    if let Some(path) = record {
        return std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| writeln!(f, "{url}"))
            .map_err(|e| AppError::unexpected(format!("could not record the address: {e}")));
    }
    #[cfg(target_os = "windows")]
    let mut command = {
        // `start` would need cmd's quoting of `&`; the URL handler takes the address as is.
        let mut c = std::process::Command::new("rundll32");
        c.args(["url.dll,FileProtocolHandler", url]);
        c
    };
    #[cfg(target_os = "macos")]
    let mut command = {
        let mut c = std::process::Command::new("open");
        c.arg(url);
        c
    };
    #[cfg(not(any(target_os = "windows", target_os = "macos")))]
    let mut command = {
        let mut c = std::process::Command::new("xdg-open");
        c.arg(url);
        c
    };
    let mut child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| AppError::unexpected(format!("could not open your web browser: {e}")))?;
    // Reaped in the background: the opener may wait for the browser.
    std::thread::spawn(move || child.wait());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "ST-097904-maMLPBSRdODkj7WJmO8o-sso";

    fn ok(text: &str) -> String {
        ticket_from_paste(text)
            .map(|s| s.expose().to_owned())
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn refused(text: &str) -> String {
        match ticket_from_paste(text) {
            Err(AppError::NotATicket { message }) => message,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn takes_the_ticket_out_of_whatever_holds_it() {
        assert_eq!(
            ok(&format!(
                "https://mobile.integration.garmin.com/gcm/ios?ticket={T}"
            )),
            T
        );
        assert_eq!(ok(&format!("  {T}\n")), T);
        assert_eq!(ok(&format!("ticket={T}")), T);
        assert_eq!(
            ok(&format!(
                "https://connect.garmin.com/app?ticket={T}&lang=en#top"
            )),
            T
        );
        // Quoted, or with the sentence's full stop, as people paste from chats and notes.
        assert_eq!(ok(&format!("\"{T}\"")), T);
        assert_eq!(ok(&format!("here it is: {T}.")), T);
        // The same ticket twice (pasted twice) is still one ticket.
        assert_eq!(ok(&format!("{T} {T}")), T);
    }

    #[test]
    fn bad_pastes_say_what_to_paste_and_never_echo_it() {
        assert!(refused("   ").contains("Nothing was pasted"));
        let m = refused("https://sso.garmin.com/portal/sso/en-US/sign-in?clientId=GarminConnect");
        assert!(m.contains("no sign-in ticket"), "{m}");
        assert!(refused("TST-1234567890").contains("no sign-in ticket"));
        assert!(refused("ST-12").contains("cut off"));
        let two = refused(&format!("{T} ST-111111-aaaaaaaaaaaa-sso"));
        assert!(two.contains("more than one"), "{two}");
        assert!(!two.contains("ST-111111"), "the paste was echoed: {two}");
        assert!(refused(&"x".repeat(MAX_PASTE + 1)).contains("too long"));
    }

    #[test]
    fn a_recorded_address_goes_to_the_file_not_to_a_browser() {
        let dir = std::env::temp_dir().join(format!("gcexport-open-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("opened.txt");
        open_in_browser("https://example.invalid/a?b=1&c=2", Some(&file)).unwrap();
        open_in_browser("https://example.invalid/second", Some(&file)).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            text,
            "https://example.invalid/a?b=1&c=2\nhttps://example.invalid/second\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
