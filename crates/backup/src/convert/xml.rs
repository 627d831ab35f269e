//! The little XML our writers need: escaped text, and numbers and times in the forms the
//! schemas accept (`xsd:decimal` has no exponent and no NaN; `xsd:dateTime` in UTC with Z).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

/// Text content or an attribute value, escaped. Characters XML 1.0 cannot carry at all
/// (most controls, U+FFFE, U+FFFF) are dropped: a name typed on a phone must not make the
/// whole file unreadable.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(c),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `x` with `places` decimals, trailing zeros trimmed (`12.5`, `3`).
pub(crate) fn dec(x: f64, places: usize) -> String {
    let mut s = String::new();
    let _ = write!(s, "{x:.places$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            escape("a<b>&\"c'\u{1}\u{FFFF}\td"),
            "a&lt;b&gt;&amp;&quot;c&apos;\td"
        );
    }

    #[test]
    fn decimals_are_plain() {
        assert_eq!(dec(12.50, 2), "12.5");
        assert_eq!(dec(3.0, 3), "3");
        assert_eq!(dec(-0.00001, 2), "0");
        assert_eq!(dec(1e-7, 7), "0.0000001");
    }
}
