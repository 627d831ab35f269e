//! The page's wire types are generated from the Rust ones (ts-rs), never written by hand:
//! this test renders them and fails when `ui/src/wire.gen.ts` is not exactly that text.
//! `make wire-types` (this test with `UPDATE_WIRE_TYPES=1`) writes the file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use garmin_connect_export::wire::*;
use ts_rs::{Config, TS};

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/wire.gen.ts");

fn declare<T: TS>(cfg: &Config, out: &mut String) {
    if let Some(docs) = T::docs() {
        out.push_str(&docs);
    }
    out.push_str("export ");
    out.push_str(&T::decl(cfg));
    out.push_str("\n\n");
}

/// Every type a command takes or gives, and every type those hold.
fn generate() -> String {
    // Activity ids and epoch milliseconds stay far below 2^53: plain numbers in JSON.
    let cfg = Config::new().with_large_int("number");
    let mut out = String::from(
        "// Generated from the Rust types by `make wire-types` (tests/wire_types.rs): do not edit.\n\
         // Command arguments are camelCase (Tauri maps them to the Rust parameter names);\n\
         // everything inside an argument or a result is as serde writes it.\n\n",
    );
    let out_ = &mut out;
    // The engine's request and what it holds.
    declare::<BackupRequest>(&cfg, out_);
    declare::<ClassicNames>(&cfg, out_);
    declare::<Selection>(&cfg, out_);
    declare::<ListMode>(&cfg, out_);
    declare::<What>(&cfg, out_);
    declare::<Format>(&cfg, out_);
    declare::<UnavailableReason>(&cfg, out_);
    // The shell's.
    declare::<AppInfo>(&cfg, out_);
    declare::<Preferences>(&cfg, out_);
    declare::<Account>(&cfg, out_);
    declare::<SignedOutReason>(&cfg, out_);
    declare::<SessionStatus>(&cfg, out_);
    declare::<CodeChannel>(&cfg, out_);
    declare::<PasswordSignIn>(&cfg, out_);
    declare::<StuckReason>(&cfg, out_);
    declare::<SignInWindowEvent>(&cfg, out_);
    declare::<ActivityStatus>(&cfg, out_);
    declare::<ActivityRow>(&cfg, out_);
    declare::<ListEvent>(&cfg, out_);
    declare::<ListDone>(&cfg, out_);
    declare::<CurrentActivity>(&cfg, out_);
    declare::<Unavailable>(&cfg, out_);
    declare::<Failed>(&cfg, out_);
    declare::<Salvaged>(&cfg, out_);
    declare::<Summary>(&cfg, out_);
    declare::<HealthReport>(&cfg, out_);
    declare::<FailedDay>(&cfg, out_);
    declare::<DaysProgress>(&cfg, out_);
    declare::<ImportRequest>(&cfg, out_);
    declare::<NamedActivity>(&cfg, out_);
    declare::<AmbiguousMatch>(&cfg, out_);
    declare::<ImportNotes>(&cfg, out_);
    declare::<NotInExport>(&cfg, out_);
    declare::<BackupEvent>(&cfg, out_);
    declare::<ScheduleStatus>(&cfg, out_);
    declare::<AppError>(&cfg, out_);
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[test]
fn the_pages_wire_types_are_what_the_rust_types_generate() {
    let generated = generate();
    if std::env::var_os("UPDATE_WIRE_TYPES").is_some() {
        std::fs::write(FILE, &generated).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(FILE).unwrap_or_default();
    if on_disk != generated {
        let first = on_disk
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| on_disk.lines().count().min(generated.lines().count()));
        panic!(
            "ui/src/wire.gen.ts is not what the Rust wire types generate: run `make wire-types`.\n\
             First difference at line {}:\n  file:      {}\n  generated: {}",
            first + 1,
            on_disk.lines().nth(first).unwrap_or("<end of file>"),
            generated.lines().nth(first).unwrap_or("<end of file>"),
        );
    }
}
