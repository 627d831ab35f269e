// The import of Garmin's account data export: which formats it can give, and what must be
// filled in before it can start. Pure functions, for the import view and its tests.
import type { Format, ImportNotes } from "../wire";

/** The export holds originals; GPX and TCX are made from them here. KML is not made. */
export const IMPORT_FORMATS: readonly Format[] = ["original", "gpx", "tcx", "json"];

/** The saved formats an import can give, in the list's order; the original when none is left. */
export function importFormats(saved: readonly Format[]): Format[] {
  const kept = IMPORT_FORMATS.filter((f) => saved.includes(f));
  return kept.length > 0 ? kept : ["original"];
}

/** The last part of a path, for showing a file by its name (`/`- or `\`-separated). */
export function fileName(path: string): string {
  const trimmed = path.trim().replace(/[/\\]+$/, "");
  const parts = trimmed.split(/[/\\]/);
  return parts[parts.length - 1] || trimmed;
}

export interface ImportDraft {
  export: string;
  folder: string;
  formats: readonly Format[];
}

export interface Problem {
  field: "export" | "folder" | "formats";
  message: string;
}

function isAbsolute(path: string): boolean {
  return path.startsWith("/") || /^[A-Za-z]:[/\\]/.test(path) || path.startsWith("\\\\");
}

/** What still stops the import, the first thing first; `null` when it can start. */
export function importProblem(d: ImportDraft): Problem | null {
  const exp = d.export.trim();
  const folder = d.folder.trim();
  if (exp === "") return { field: "export", message: "Choose your Garmin data export first." };
  if (!isAbsolute(exp)) return { field: "export", message: "Choose the export with “Choose…”, or type its full path." };
  if (folder === "") return { field: "folder", message: "Choose where to save your activities." };
  if (!isAbsolute(folder)) return { field: "folder", message: "Choose the folder with “Choose…”, or type its full path." };
  if (d.formats.length === 0) return { field: "formats", message: "Tick at least one format." };
  return null;
}

/** How many things the summary lists as not matched (files and ambiguous groups). */
export function unmatchedCount(n: ImportNotes): number {
  return n.unmatched_uploads.length + n.unreadable_uploads.length + n.ambiguous.length;
}
