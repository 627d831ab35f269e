// The activity list: fixed-height rows, only the visible ones (plus a few) in the DOM, so
// 10,000 activities scroll as smoothly as 10. A listbox with multi-selection for assistive
// technology; each row reports its position in the whole list.
import type { ActivityId, ActivityRow, ActivityStatus } from "../wire";
import { h, icon, ICONS, perFrame } from "../dom";
import { formatDistance, formatDuration, formatStart, typeLabel } from "../format";
import { rowsPerPage, rowWindow, scrollToReveal } from "../logic/virtual";

export const ROW_HEIGHT = 44;

const STATUS_TEXT: Record<ActivityStatus, string> = {
  in_backup: "In backup",
  new: "New",
  unavailable: "Not available",
  failed: "Failed",
};

interface RowEl {
  el: HTMLElement;
  box: HTMLElement;
  date: HTMLElement;
  type: HTMLElement;
  name: HTMLElement;
  distance: HTMLElement;
  duration: HTMLElement;
  status: HTMLElement;
  /** What the element shows now, to skip work when nothing changed. */
  shown: { row: ActivityRow | null; index: number; selected: boolean; active: boolean };
}

export class ActivityList {
  readonly element: HTMLElement;
  readonly selected = new Set<ActivityId>();
  private rows: ActivityRow[] = [];
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly selectAll: HTMLInputElement;
  private pool: RowEl[] = [];
  private active = -1;
  private anchor = -1;
  private readonly schedule = perFrame(() => this.render());
  private readonly resize = new ResizeObserver(this.schedule);

  constructor(private readonly onSelectionChange: () => void) {
    this.selectAll = h("input", {
      id: "select-all",
      attrs: { type: "checkbox", "aria-label": "Select all activities shown" },
    });
    this.selectAll.addEventListener("change", () => {
      if (this.selectAll.checked) for (const r of this.rows) this.selected.add(r.id);
      else for (const r of this.rows) this.selected.delete(r.id);
      this.changed();
    });
    const head = h(
      "div",
      { class: "list-head row-grid" },
      h("span", { class: "cell box" }, this.selectAll),
      h("span", { class: "cell", text: "Date" }),
      h("span", { class: "cell", text: "Type" }),
      h("span", { class: "cell", text: "Name" }),
      h("span", { class: "cell num", text: "Distance" }),
      h("span", { class: "cell num", text: "Duration" }),
      h("span", { class: "cell", text: "Status" }),
    );
    this.spacer = h("div", { class: "list-spacer" });
    this.viewport = h(
      "div",
      {
        id: "activity-list",
        class: "list-viewport",
        attrs: { role: "listbox", "aria-multiselectable": "true", "aria-label": "Activities", tabindex: 0 },
      },
      this.spacer,
    );
    this.empty = h("div", { class: "list-empty", id: "list-empty" });
    this.empty.hidden = true;
    this.element = h("div", { class: "list" }, head, this.viewport, this.empty);

    this.viewport.addEventListener("scroll", this.schedule, { passive: true });
    this.viewport.addEventListener("keydown", (ev) => this.onKey(ev));
    this.viewport.addEventListener("focus", () => {
      if (this.active < 0 && this.rows.length > 0) this.setActive(this.firstVisible());
      this.schedule();
    });
    this.viewport.addEventListener("click", (ev) => {
      const rowEl = (ev.target as Element).closest<HTMLElement>(".row");
      const index = rowEl ? Number(rowEl.dataset["index"]) : NaN;
      if (!Number.isInteger(index)) return;
      if (ev.shiftKey && this.anchor >= 0) this.selectRange(this.anchor, index);
      else {
        this.toggle(index);
        this.anchor = index;
      }
      this.setActive(index);
      this.viewport.focus({ preventScroll: true });
    });
    this.resize.observe(this.viewport);
  }

  /** Stops watching the viewport once the view is gone. */
  destroy(): void {
    this.resize.disconnect();
  }

  /** Shows `rows` (already filtered); selection of rows no longer shown is kept. */
  setRows(rows: ActivityRow[], emptyText: string): void {
    const activeId = this.rows[this.active]?.id;
    this.rows = rows;
    this.active = activeId === undefined ? -1 : rows.findIndex((r) => r.id === activeId);
    if (this.anchor >= rows.length) this.anchor = -1;
    this.spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    this.empty.textContent = emptyText;
    this.empty.hidden = rows.length > 0 || emptyText === "";
    for (const p of this.pool) p.shown.row = null;
    this.syncSelectAll();
    this.render();
  }

  clearSelection(): void {
    this.selected.clear();
    this.changed();
  }

  /** Ids selected, in list order. */
  selectedIds(): ActivityId[] {
    return [...this.selected];
  }

  private changed(): void {
    this.syncSelectAll();
    this.render();
    this.onSelectionChange();
  }

  private syncSelectAll(): void {
    let n = 0;
    for (const r of this.rows) if (this.selected.has(r.id)) n += 1;
    this.selectAll.checked = n > 0 && n === this.rows.length;
    this.selectAll.indeterminate = n > 0 && n < this.rows.length;
    this.selectAll.disabled = this.rows.length === 0;
  }

  private toggle(index: number): void {
    const row = this.rows[index];
    if (!row) return;
    if (this.selected.has(row.id)) this.selected.delete(row.id);
    else this.selected.add(row.id);
    this.changed();
  }

  private selectRange(from: number, to: number): void {
    const [a, b] = from <= to ? [from, to] : [to, from];
    for (let i = a; i <= b; i += 1) {
      const row = this.rows[i];
      if (row) this.selected.add(row.id);
    }
    this.changed();
  }

  private firstVisible(): number {
    return Math.min(this.rows.length - 1, Math.floor(this.viewport.scrollTop / ROW_HEIGHT));
  }

  private setActive(index: number): void {
    if (this.rows.length === 0) return;
    this.active = Math.max(0, Math.min(this.rows.length - 1, index));
    const top = scrollToReveal(this.active, this.viewport.scrollTop, this.viewport.clientHeight, ROW_HEIGHT);
    if (top !== this.viewport.scrollTop) this.viewport.scrollTop = top;
    // The active row must exist before aria-activedescendant points at it.
    this.render();
  }

  private onKey(ev: KeyboardEvent): void {
    const page = rowsPerPage(this.viewport.clientHeight, ROW_HEIGHT);
    const last = this.rows.length - 1;
    const moves: Record<string, number> = {
      ArrowDown: this.active + 1,
      ArrowUp: this.active - 1,
      PageDown: this.active + page,
      PageUp: this.active - page,
      Home: 0,
      End: last,
    };
    const target = moves[ev.key];
    if (target !== undefined) {
      ev.preventDefault();
      const from = this.active < 0 ? 0 : this.active;
      const to = this.active < 0 ? this.firstVisible() : Math.max(0, Math.min(last, target));
      if (ev.shiftKey) {
        if (this.anchor < 0) this.anchor = from;
        this.selectRange(this.anchor, to);
      } else this.anchor = to;
      this.setActive(to);
      return;
    }
    if (ev.key === " " || ev.key === "Enter") {
      ev.preventDefault();
      if (this.active >= 0) {
        this.toggle(this.active);
        this.anchor = this.active;
      }
    } else if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "a") {
      ev.preventDefault();
      for (const r of this.rows) this.selected.add(r.id);
      this.changed();
    } else if (ev.key === "Escape" && this.selected.size > 0) {
      ev.preventDefault();
      this.clearSelection();
    }
  }

  private render(): void {
    const { first, end } = rowWindow(this.viewport.scrollTop, this.viewport.clientHeight, ROW_HEIGHT, this.rows.length);
    const needed = end - first;
    // Slots are index modulo pool size: scrolling one row re-fills one element, not all.
    const size = Math.max(needed, this.pool.length);
    while (this.pool.length < size) {
      const r = this.makeRow();
      this.pool.push(r);
      this.spacer.append(r.el);
    }
    const used = new Set<number>();
    for (let i = first; i < end; i += 1) {
      const slot = i % size;
      used.add(slot);
      const p = this.pool[slot];
      const row = this.rows[i];
      if (p && row) this.fill(p, row, i);
    }
    this.pool.forEach((p, slot) => {
      if (!used.has(slot) && !p.el.hidden) {
        p.el.hidden = true;
        p.el.removeAttribute("id");
        p.shown.row = null;
      }
    });
    const activeRow = this.rows[this.active];
    if (activeRow && this.active >= first && this.active < end) {
      this.viewport.setAttribute("aria-activedescendant", rowId(activeRow.id));
    } else this.viewport.removeAttribute("aria-activedescendant");
  }

  private makeRow(): RowEl {
    const box = h("span", { class: "cell box" }, h("span", { class: "fake-check" }, icon([...ICONS.check])));
    const date = h("span", { class: "cell date" });
    const type = h("span", { class: "cell type" });
    const name = h("span", { class: "cell name", attrs: { dir: "auto" } });
    const distance = h("span", { class: "cell num" });
    const duration = h("span", { class: "cell num" });
    const status = h("span", { class: "cell" });
    const el = h(
      "div",
      { class: "row row-grid", attrs: { role: "option" } },
      box, date, type, name, distance, duration, status,
    );
    el.hidden = true;
    return { el, box, date, type, name, distance, duration, status, shown: { row: null, index: -1, selected: false, active: false } };
  }

  private fill(p: RowEl, row: ActivityRow, index: number): void {
    const selected = this.selected.has(row.id);
    const active = index === this.active;
    const s = p.shown;
    if (s.row === row && s.index === index && s.selected === selected && s.active === active && !p.el.hidden) return;
    if (s.row !== row) {
      p.date.textContent = formatStart(row.start_local);
      p.type.textContent = typeLabel(row.type_key);
      p.name.textContent = row.name;
      p.name.title = row.name;
      p.distance.textContent = formatDistance(row.distance_m);
      p.duration.textContent = row.duration_s === null ? "–" : formatDuration(row.duration_s);
      p.status.replaceChildren(h("span", { class: `pill ${row.status}`, text: STATUS_TEXT[row.status] }));
      p.el.id = rowId(row.id);
      p.el.dataset["id"] = String(row.id);
    }
    if (s.index !== index) {
      p.el.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
      p.el.dataset["index"] = String(index);
      p.el.setAttribute("aria-posinset", String(index + 1));
    }
    p.el.setAttribute("aria-setsize", String(this.rows.length));
    p.el.setAttribute("aria-selected", String(selected));
    p.el.classList.toggle("selected", selected);
    p.el.classList.toggle("active", active);
    p.el.classList.toggle("odd", index % 2 === 1);
    p.el.hidden = false;
    p.shown = { row, index, selected, active };
  }
}

function rowId(id: ActivityId): string {
  return `activity-${id}`;
}
