//! The backup engine: turns a `Source` of activities into a folder the user owns.
