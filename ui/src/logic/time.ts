// Countdowns, elapsed and remaining time, as people read them.

/** A countdown to `until`: `4:59`, `1:02:03`, never negative. Rounds up so 0:00 means "now". */
export function formatCountdown(msLeft: number): string {
  const total = Number.isFinite(msLeft) ? Math.max(0, Math.ceil(msLeft / 1000)) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A rough duration for estimates: "about 3 minutes", "less than a minute", "about 2 hours". */
export function formatApprox(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  const minutes = ms / 60_000;
  if (minutes < 1) return "under a minute";
  if (minutes < 1.5) return "about 1 minute";
  if (minutes < 60) return `about ${Math.round(minutes)} minutes`;
  const hours = minutes / 60;
  if (hours < 1.5) return "about 1 hour";
  if (hours < 24) return `about ${Math.round(hours)} hours`;
  return `about ${Math.round(hours / 24)} days`;
}
