//! The names the engine keeps for itself in the user's folder. They live apart from the
//! modules that use them (the archive cleans up what an import leaves; the error names the
//! state file) so that neither has to import the other.

/// The state file, inside the archive folder.
pub const STATE_FILE: &str = ".gcexport-state.sqlite";
/// Held for a run's lifetime: a second run on the same folder would interleave renames and
/// records.
pub(crate) const LOCK_FILE: &str = ".gcexport.lock";
/// What this archive's partial files end with: a name of its own, so that a folder shared
/// with other programs (a Downloads folder) keeps their `*.part` files; only these are
/// removed when the folder opens.
pub(crate) const PART_SUFFIX: &str = ".gcexport-part";
/// Nested parts of a data export, decompressed into the folder while an import runs (the
/// folder's lock is held then): any found when the folder opens are a killed run's.
pub(crate) const IMPORT_TEMP_PREFIX: &str = ".gcexport-import-";
