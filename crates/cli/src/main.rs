//! `gcexport`: the command-line twin of the desktop app.

fn main() {
    println!("gcexport {}: not ready yet", env!("CARGO_PKG_VERSION"));
}
