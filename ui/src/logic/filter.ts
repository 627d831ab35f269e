// Search and filters of the activity list: pure, so 10,000 rows are tested without a DOM.
import type { ActivityRow, ActivityStatus } from "../wire";
import { typeLabel } from "../format";

export interface ListFilter {
  /** Free text matched against name and type, case- and accent-insensitive. */
  query: string;
  /** A type key, or "" for every type. */
  type: string;
  /** Inclusive dates `YYYY-MM-DD`, or "" for open-ended. */
  from: string;
  to: string;
}

export const NO_FILTER: ListFilter = { query: "", type: "", from: "", to: "" };

/** Lower-case, accents stripped: "Café" is found by "cafe". */
export function fold(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

const keys = new WeakMap<ActivityRow, string>();

function searchKey(row: ActivityRow): string {
  let key = keys.get(row);
  if (key === undefined) {
    key = fold(`${row.name} ${typeLabel(row.type_key)}`);
    keys.set(row, key);
  }
  return key;
}

export function isFiltered(f: ListFilter): boolean {
  return f.query.trim() !== "" || f.type !== "" || f.from !== "" || f.to !== "";
}

export function filterRows(rows: readonly ActivityRow[], f: ListFilter): ActivityRow[] {
  if (!isFiltered(f)) return rows.slice();
  // Every word must match somewhere, so "morning run" finds "Run in the morning".
  const words = fold(f.query).split(/\s+/).filter((w) => w !== "");
  // Dates compare as strings: `YYYY-MM-DD` prefixes sort like the dates they are.
  const to = f.to === "" ? "" : `${f.to}\uffff`;
  return rows.filter((row) => {
    if (f.type !== "" && row.type_key !== f.type) return false;
    if (f.from !== "" && row.start_local < f.from) return false;
    if (to !== "" && row.start_local > to) return false;
    if (words.length > 0) {
      const key = searchKey(row);
      for (const w of words) if (!key.includes(w)) return false;
    }
    return true;
  });
}

export type StatusCounts = Record<ActivityStatus, number> & { total: number };

export function countStatuses(rows: readonly ActivityRow[]): StatusCounts {
  const counts: StatusCounts = { total: rows.length, in_backup: 0, new: 0, unavailable: 0, failed: 0 };
  for (const row of rows) counts[row.status] += 1;
  return counts;
}

/** The types present, most frequent first, for the type filter. */
export function typesOf(rows: readonly ActivityRow[]): { key: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.type_key, (counts.get(row.type_key) ?? 0) + 1);
  return [...counts.entries()]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}
