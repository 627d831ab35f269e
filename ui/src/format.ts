// Number formatting shared by every view, kept free of the DOM so it is unit-tested alone.

/** Seconds as `H:MM:SS` (hours may exceed 24), or `M:SS` under an hour. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Metres as kilometres with two decimals, the way Garmin Connect lists distances. */
export function formatDistance(metres: number | null | undefined): string {
  if (metres === null || metres === undefined || !Number.isFinite(metres)) return "–";
  return `${(metres / 1000).toFixed(2)} km`;
}

/** Bytes in the units a file manager shows (1 kB = 1000 B, as Finder and GNOME count). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "–";
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit] ?? "TB"}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * `YYYY-MM-DDTHH:MM:SS` (the athlete's local clock) as `12 Mar 2024, 07:05`. Parsed by hand:
 * `new Date()` would read it in this computer's time zone and shift activities recorded abroad.
 */
export function formatStart(startLocal: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(startLocal);
  if (!m) return startLocal;
  const month = MONTHS[Number(m[2]) - 1] ?? m[2];
  const date = `${Number(m[3])} ${month} ${m[1]}`;
  return m[4] !== undefined ? `${date}, ${m[4]}:${m[5]}` : date;
}

/** `lap_swimming` as `Lap swimming`: Garmin's type keys are readable once spaced. */
export function typeLabel(typeKey: string): string {
  const words = typeKey.replace(/_/g, " ").trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : "Other";
}

/** A whole count with thousands separators, independent of the machine's locale. */
export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "1 activity", "2,000 activities": a count with the word that goes with it. */
export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
