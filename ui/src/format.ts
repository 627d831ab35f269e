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
