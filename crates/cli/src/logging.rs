//! What `-v` and `-vv` show on stderr.

use tracing_subscriber::EnvFilter;

/// Names the filter variable (tracing's directive syntax) that replaces the defaults.
pub const LOG_ENV: &str = "GCEXPORT_LOG";

/// The filter for `verbose` (the count of `-v`), unless [`LOG_ENV`] says otherwise.
pub fn filter(verbose: u8) -> EnvFilter {
    EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new(directives(verbose)))
}

/// Our crates at debug with `-vv`; everyone else stays at info, whatever the count: the HTTP
/// and TLS crates (reqwest, hyper, h2, rustls, cookie_store) print request and response
/// headers at debug and trace, cookies and the Authorization header among them.
const OURS: [&str; 4] = [
    "gcexport",
    "gcexport_connect",
    "gcexport_backup",
    "gcexport_sim",
];

fn directives(verbose: u8) -> String {
    match verbose {
        0 => "warn".into(),
        1 => "info".into(),
        _ => std::iter::once("info".to_owned())
            .chain(OURS.iter().map(|c| format!("{c}=debug")))
            .collect::<Vec<_>>()
            .join(","),
    }
}

pub fn init(verbose: u8) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter(verbose))
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    /// Whether an event at `level` from each of these targets would be printed.
    fn shown(verbose: u8) -> Vec<(&'static str, bool)> {
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new(directives(verbose)))
            .with_writer(std::io::sink)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            vec![
                (
                    "gcexport debug",
                    tracing::enabled!(target: "gcexport", Level::DEBUG),
                ),
                (
                    "gcexport_connect debug",
                    tracing::enabled!(target: "gcexport_connect::session", Level::DEBUG),
                ),
                (
                    "gcexport_backup debug",
                    tracing::enabled!(target: "gcexport_backup::run", Level::DEBUG),
                ),
                (
                    "reqwest debug",
                    tracing::enabled!(target: "reqwest::connect", Level::DEBUG),
                ),
                (
                    "hyper debug",
                    tracing::enabled!(target: "hyper_util::client", Level::DEBUG),
                ),
                (
                    "rustls debug",
                    tracing::enabled!(target: "rustls::client", Level::DEBUG),
                ),
                (
                    "cookie_store debug",
                    tracing::enabled!(target: "cookie_store", Level::DEBUG),
                ),
                (
                    "h2 debug",
                    tracing::enabled!(target: "h2::codec", Level::DEBUG),
                ),
                (
                    "reqwest info",
                    tracing::enabled!(target: "reqwest::connect", Level::INFO),
                ),
                (
                    "gcexport_connect info",
                    tracing::enabled!(target: "gcexport_connect", Level::INFO),
                ),
            ]
        })
    }

    fn on(shown: &[(&'static str, bool)]) -> Vec<&'static str> {
        shown
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect()
    }

    #[test]
    fn very_verbose_shows_our_debug_lines_and_keeps_http_and_tls_crates_at_info() {
        // reqwest, hyper, rustls and cookie_store print request headers (cookies, the
        // Authorization header) at debug and trace: a log a person pastes into an issue
        // must not carry them.
        assert_eq!(
            on(&shown(2)),
            vec![
                "gcexport debug",
                "gcexport_connect debug",
                "gcexport_backup debug",
                "reqwest info",
                "gcexport_connect info",
            ]
        );
        assert_eq!(on(&shown(7)), on(&shown(2)));
    }

    #[test]
    fn one_v_is_info_for_everyone_and_none_is_warnings_only() {
        assert_eq!(on(&shown(1)), vec!["reqwest info", "gcexport_connect info"]);
        assert!(on(&shown(0)).is_empty());
    }
}
