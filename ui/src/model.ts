// The activity list as it arrives: pages append, subscribers re-render (once per frame).
import * as api from "./api";
import type { ActivityRow, AppError, Format } from "./wire";

export class ListModel {
  rows: ActivityRow[] = [];
  total: number | null = null;
  /** Days of health data a backup into the listed folder would fetch; `null` until known. */
  healthDays: number | null = null;
  done = false;
  error: AppError | null = null;
  private generation = 0;
  private readonly listeners = new Set<() => void>();

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }

  /**
   * (Re)lists every activity with its status in `folder` for `formats`; an older listing still
   * running is ignored.
   */
  async load(folder: string | null, formats: Format[], onAuthLost: (err: AppError) => void): Promise<void> {
    const gen = ++this.generation;
    let fresh = true;
    this.done = false;
    this.error = null;
    this.emit();
    try {
      const listed = await api.listActivities(folder, formats, (event) => {
        if (gen !== this.generation) return;
        // Keep showing the previous list until the first new page replaces it: no flash of empty.
        if (fresh) {
          this.rows = [];
          fresh = false;
        }
        for (const row of event.activities) this.rows.push(row);
        this.total = event.activities_total;
        this.emit();
      });
      if (gen !== this.generation) return;
      if (fresh) this.rows = [];
      this.healthDays = listed.health_days;
      this.done = true;
    } catch (raw) {
      if (gen !== this.generation) return;
      const err = raw as AppError;
      if (err.kind === "tokens_expired" || err.kind === "not_signed_in") {
        onAuthLost(err);
        return;
      }
      this.error = err;
      this.done = true;
    }
    this.emit();
  }

  reset(): void {
    this.generation += 1;
    this.rows = [];
    this.total = null;
    this.healthDays = null;
    this.done = false;
    this.error = null;
  }
}
