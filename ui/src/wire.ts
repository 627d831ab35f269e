// The wire types between the page and the Rust shell are generated from the Rust types into
// `wire.gen.ts` (`make wire-types`; a test fails when it is stale). This module adds only the
// page's own names for parts of them.
export type * from "./wire.gen";
import type { AppError, BackupEvent } from "./wire.gen";

/** Garmin activity id (`i64` in Rust; Garmin's ids stay far below 2^53). */
export type ActivityId = number;

/** Milliseconds since the Unix epoch, UTC. */
export type EpochMs = number;

export type BackupProgress = Extract<BackupEvent, { type: "progress" }>;

export type ErrorKind = AppError["kind"];

/** Which activities the person chose: every one, or these (the page's words for a `Selection`). */
export type BackupScope = { kind: "all" } | { kind: "selected"; ids: ActivityId[] };
