// Activities: who is signed in, where the backup goes, what it covers (activities, health
// data, each with what is left to fetch), the big button, and every activity with its status
// in that folder.
import * as api from "../api";
import type { Account, AppError, Format, Preferences } from "../wire";
import { h, icon, ICONS, perFrame } from "../dom";
import { formatCount } from "../format";
import { countStatuses, filterRows, isFiltered, NO_FILTER, typesOf, type ListFilter } from "../logic/filter";
import { explainError, folderFieldProblem, FORMAT_LABELS } from "../logic/messages";
import { cardButtons } from "../logic/backupcard";
import { typeLabel } from "../format";
import { ActivityList } from "./list";
import { diagnosticButton } from "./diagnostic";
import type { ListModel } from "../model";

export interface ActivitiesContext {
  account: Account;
  demo: boolean;
  prefs: Preferences;
  list: ListModel;
  /** An error to show on arrival (e.g. a backup that could not start). */
  notice: AppError | null;
  onSignOut(): void;
  onBackup(scope: api.BackupScope): void;
  /** The folder or the ticked formats changed: statuses must be read again for them. */
  relist(prefs: Preferences): void;
  savePrefs(prefs: Preferences): void;
}

const FORMAT_ORDER: Format[] = ["original", "gpx", "tcx", "kml", "json"];

export function mountActivities(root: HTMLElement, ctx: ActivitiesContext): () => void {
  const prefs: Preferences = { ...ctx.prefs, formats: [...ctx.prefs.formats], what: { ...ctx.prefs.what } };
  const { header, signOut } = accountHeader(ctx);
  const list = new ActivityList(() => card.sync());
  const card = backupCard(prefs, ctx, list);
  const table = activitiesTable(ctx.list, list, () => card.sync());
  root.replaceChildren(h("div", { class: "app-shell" }, header, h("div", { class: "content" }, card.panel, card.panelError, table.element)));

  signOut.addEventListener("click", () => ctx.onSignOut());
  const unsubscribe = ctx.list.subscribe(() => {
    if (ctx.list.error) card.showError(ctx.list.error);
    table.refresh();
  });
  card.showError(ctx.notice ?? ctx.list.error);
  table.refresh();
  return () => {
    unsubscribe();
    list.destroy();
  };
}

/** Who is signed in (and whether it is the demo account), with Sign out. */
function accountHeader(ctx: ActivitiesContext): { header: HTMLElement; signOut: HTMLButtonElement } {
  const signOut = h("button", { id: "sign-out", class: "button quiet", attrs: { type: "button" }, text: "Sign out" });
  const header = h(
    "header",
    { class: "topbar" },
    h("div", { class: "brand" }, icon([...ICONS.logo], "icon brand-mark"), h("span", { text: "Garmin Connect Export" })),
    h(
      "div",
      { class: "account" },
      ctx.demo ? h("span", { class: "badge demo", id: "demo-badge", text: "Demo account" }) : null,
      h("span", { class: "account-name", id: "account-name", attrs: { dir: "auto" }, text: ctx.account.full_name ?? ctx.account.display_name }),
      signOut,
    ),
  );
  return { header, signOut };
}

// ---- the backup card ------------------------------------------------------------------------

interface BackupCard {
  panel: HTMLElement;
  panelError: HTMLElement;
  /** Brings the buttons, the counts beside the ticks and the hint up to date. */
  sync(): void;
  showError(err: AppError | null): void;
}

/** Where the backup goes, what it covers, which formats, and the two backup buttons, working. */
function backupCard(prefs: Preferences, ctx: ActivitiesContext, list: ActivityList): BackupCard {
  const c = backupControls(prefs);
  const showError = (err: AppError | null): void => showPanelError(c, err);
  const sync = (): void => syncCard(c, prefs, ctx.list, list.selected.size);
  const pickFolder = listenToFolder(c, prefs, ctx, showError);
  listenToChoices(c, prefs, ctx, sync);

  async function backup(scope: api.BackupScope): Promise<void> {
    showError(null);
    if (!prefs.folder) {
      if (!(await pickFolder())) {
        c.folderInput.focus();
        return;
      }
    }
    ctx.onBackup(scope);
  }
  c.backupAll.addEventListener("click", () => void backup({ kind: "all" }));
  c.backupSelected.addEventListener("click", () => void backup({ kind: "selected", ids: list.selectedIds() }));
  return { panel: backupPanel(c), panelError: c.panelError, sync, showError };
}

/** The card's error box; a refused folder is fixed at the folder field, so it points there. */
function showPanelError(c: BackupControls, err: AppError | null): void {
  const { panelError, folderInput } = c;
  panelError.replaceChildren();
  panelError.hidden = err === null;
  if (folderFieldProblem(err) !== null) {
    folderInput.setAttribute("aria-invalid", "true");
    folderInput.setAttribute("aria-describedby", "panel-error");
    folderInput.focus();
  } else {
    folderInput.removeAttribute("aria-invalid");
    folderInput.removeAttribute("aria-describedby");
  }
  if (!err) return;
  const { title, detail } = explainError(err);
  panelError.dataset["kind"] = err.kind;
  panelError.append(
    icon([...ICONS.alert], "icon notice-icon"),
    h("div", { class: "notice-body" }, h("p", { class: "notice-title", text: title }), h("p", { class: "notice-detail", text: detail }), diagnosticButton()),
  );
}

/** What is left to fetch beside each tick, and the buttons and hint (decided in logic/backupcard). */
function syncCard(c: BackupControls, prefs: Preferences, model: ListModel, selected: number): void {
  const counts = countStatuses(model.rows);
  const todo = counts.new + counts.failed;
  const days = model.healthDays;
  c.activitiesCount.textContent = model.done ? ` · ${formatCount(todo)} to back up` : "";
  c.healthCount.textContent = days === null ? "" : ` · ${formatCount(days)} ${days === 1 ? "day" : "days"}`;
  const state = cardButtons({
    activities: prefs.what.activities,
    health: prefs.what.health,
    formats: prefs.formats.length,
    folderChosen: Boolean(prefs.folder),
    listed: model.done,
    todo,
    days,
    selected,
  });
  c.backupAll.disabled = state.allDisabled;
  c.backupSelected.textContent = `Back up selected (${formatCount(selected)})`;
  c.backupSelected.disabled = state.selectedDisabled;
  c.backupHint.textContent = state.hint;
}

/** The folder field, Choose… and Open; returns the way to ask for a folder (null: none chosen). */
function listenToFolder(c: BackupControls, prefs: Preferences, ctx: ActivitiesContext, showError: (err: AppError) => void): () => Promise<string | null> {
  function setFolder(folder: string | null): void {
    const clean = folder && folder.trim() !== "" ? folder.trim() : null;
    if (clean === prefs.folder) return;
    prefs.folder = clean;
    c.folderInput.value = clean ?? "";
    ctx.savePrefs({ ...prefs });
    ctx.relist({ ...prefs });
  }

  async function pickFolder(): Promise<string | null> {
    try {
      const chosen = await api.chooseFolder();
      if (chosen) setFolder(chosen);
      return chosen;
    } catch (err) {
      showError(err as AppError);
      return null;
    }
  }

  c.choose.addEventListener("click", () => void pickFolder());
  c.open.addEventListener("click", () => {
    if (!prefs.folder) {
      void pickFolder();
      return;
    }
    api.openFolder(prefs.folder).catch((err: unknown) => showError(err as AppError));
  });
  c.folderInput.addEventListener("change", () => setFolder(c.folderInput.value));
  c.folderInput.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") setFolder(c.folderInput.value);
  });
  return pickFolder;
}

/** The formats, Garmin's own tracks, and what "Back up" covers: each saved as it changes. */
function listenToChoices(c: BackupControls, prefs: Preferences, ctx: ActivitiesContext, sync: () => void): void {
  for (const { f, box } of c.formatBoxes) {
    box.addEventListener("change", () => {
      prefs.formats = FORMAT_ORDER.filter((k) => (k === f ? box.checked : prefs.formats.includes(k)));
      ctx.savePrefs({ ...prefs });
      // "In backup" means every ticked format: the statuses follow what is ticked.
      if (prefs.formats.length > 0) ctx.relist({ ...prefs });
      sync();
    });
  }
  // Saved like the formats: the request is built from the preferences after this view is
  // gone, and the automatic backup makes its tracks the same way.
  c.garminTracks.addEventListener("change", () => {
    prefs.garmin_tracks = c.garminTracks.checked;
    ctx.savePrefs({ ...prefs });
  });
  // What "Back up" covers, saved for the same reasons. Records come with the health data,
  // the gear list with the activities.
  const onWhat = (): void => {
    prefs.what = { activities: c.whatActivities.checked, gear: c.whatActivities.checked, health: c.whatHealth.checked, records: c.whatHealth.checked };
    ctx.savePrefs({ ...prefs, what: { ...prefs.what } });
    sync();
  };
  c.whatActivities.addEventListener("change", onWhat);
  c.whatHealth.addEventListener("change", onWhat);
}

type BackupControls = ReturnType<typeof backupControls>;

/** The card's fields and buttons, set from the preferences. */
function backupControls(prefs: Preferences) {
  const folderInput = h("input", {
    id: "folder",
    class: "path",
    attrs: { type: "text", spellcheck: "false", placeholder: "Choose a folder for your backup", autocomplete: "off" },
  });
  folderInput.value = prefs.folder ?? "";
  const choose = h("button", { id: "choose-folder", class: "button", attrs: { type: "button" } }, icon([...ICONS.folder]), "Choose…");
  const open = h("button", { id: "open-folder", class: "button quiet", attrs: { type: "button" }, text: "Open" });
  const formatBoxes = FORMAT_ORDER.map((f) => {
    const box = h("input", { id: `format-${f}`, attrs: { type: "checkbox", value: f } });
    box.checked = prefs.formats.includes(f);
    return { f, box };
  });
  const garminTracks = h("input", { id: "garmin-tracks", attrs: { type: "checkbox" } });
  garminTracks.checked = prefs.garmin_tracks;
  const whatActivities = h("input", { id: "what-activities", attrs: { type: "checkbox" } });
  whatActivities.checked = prefs.what.activities;
  const whatHealth = h("input", { id: "what-health", attrs: { type: "checkbox" } });
  whatHealth.checked = prefs.what.health;
  const activitiesCount = h("span", { id: "activities-count", class: "what-count" });
  const healthCount = h("span", { id: "health-count", class: "what-count" });
  const backupAll = h("button", { id: "backup-all", class: "button primary large", attrs: { type: "button" } }, icon([...ICONS.download]), "Back up everything");
  const backupSelected = h("button", { id: "backup-selected", class: "button", attrs: { type: "button" } });
  const backupHint = h("p", { id: "backup-hint", class: "hint" });
  const panelError = h("div", { id: "panel-error", class: "notice error", attrs: { role: "alert" } });
  panelError.hidden = true;
  return { folderInput, choose, open, formatBoxes, garminTracks, whatActivities, whatHealth, activitiesCount, healthCount, backupAll, backupSelected, backupHint, panelError };
}

/** The card laid out: the settings (folder, what, formats), then the buttons. */
function backupPanel(c: BackupControls): HTMLElement {
  return h(
    "section",
    { class: "panel", attrs: { "aria-labelledby": "panel-title" } },
    h("h1", { id: "panel-title", class: "visually-hidden", text: "Back up" }),
    h(
      "div",
      { class: "panel-settings" },
      h(
        "div",
        { class: "field" },
        h("label", { attrs: { for: "folder" }, text: "Backup folder" }),
        h("div", { class: "path-row" }, c.folderInput, c.choose, c.open),
      ),
      h(
        "fieldset",
        { class: "what" },
        h("legend", { text: "Back up" }),
        h("label", { class: "check" }, c.whatActivities, h("span", {}, "Activities", c.activitiesCount)),
        h(
          "label",
          { class: "check" },
          c.whatHealth,
          h("span", {}, "Health data", c.healthCount),
          h("span", { class: "visually-hidden", text: " (sleep, heart rate, stress, steps, weight, personal records)" }),
        ),
      ),
      h(
        "fieldset",
        { class: "formats" },
        h("legend", { text: "Save these formats" }),
        ...c.formatBoxes.map(({ f, box }) => h("label", { class: "check" }, box, h("span", { text: FORMAT_LABELS[f] }))),
        h("label", { class: "check" }, c.garminTracks, h("span", { text: "Garmin's own GPX/TCX (one more request each)" })),
      ),
    ),
    h("div", { class: "panel-actions" }, c.backupAll, c.backupHint, c.backupSelected),
  );
}

// ---- the table of activities ----------------------------------------------------------------

/**
 * The list with its title, counts, loading line and filters. `refresh` redraws it from the
 * model (once per frame) and then calls `onChange`, as a change of selection does.
 */
function activitiesTable(model: ListModel, list: ActivityList, onChange: () => void): { element: HTMLElement; refresh: () => void } {
  const { toolbar, search, typeSelect, from, to, clear, counts, loading } = listToolbar();
  let filter: ListFilter = { ...NO_FILTER };
  let knownTypes = "";
  const refresh = perFrame(() => {
    const all = model.rows;
    const shown = filterRows(all, filter);
    const filtered = isFiltered(filter);
    counts.textContent = countsLine(countStatuses(all), filtered ? shown.length : null);
    loading.textContent = loadingLine(model);
    loading.classList.toggle("busy", !model.done && !model.error);
    knownTypes = offerTypes(typeSelect, all, knownTypes);
    clear.hidden = !filtered;
    list.setRows(shown, emptyLine(shown.length, filtered, all.length, model.done));
    onChange();
  });
  listenToFilters({ search, typeSelect, from, to, clear }, (f) => {
    filter = f;
    refresh();
  });
  const element = h(
    "section",
    { class: "activities", attrs: { "aria-labelledby": "list-title" } },
    h("div", { class: "list-title-row" }, h("h2", { id: "list-title", text: "Your activities" }), counts, loading),
    toolbar,
    list.element,
  );
  return { element, refresh };
}

/** Search, type and date filters over the list, with its counts and loading line. */
function listToolbar() {
  const search = h("input", {
    id: "search",
    attrs: { type: "search", placeholder: "Search by name or type", "aria-label": "Search activities", autocomplete: "off" },
  });
  const typeSelect = h("select", { id: "type-filter", attrs: { "aria-label": "Activity type" } });
  const from = h("input", { id: "date-from", attrs: { type: "date", "aria-label": "From date" } });
  const to = h("input", { id: "date-to", attrs: { type: "date", "aria-label": "To date" } });
  const clear = h("button", { id: "clear-filters", class: "button quiet small", attrs: { type: "button" }, text: "Clear filters" });
  clear.hidden = true;
  const counts = h("p", { id: "counts", class: "counts", attrs: { "aria-live": "polite" } });
  const loading = h("p", { id: "list-loading", class: "loading", attrs: { role: "status" } });
  const toolbar = h(
    "div",
    { class: "toolbar" },
    h("div", { class: "search" }, icon([...ICONS.search]), search),
    typeSelect,
    h("label", { class: "date-label" }, h("span", { text: "From" }), from),
    h("label", { class: "date-label" }, h("span", { text: "To" }), to),
    clear,
  );
  return { toolbar, search, typeSelect, from, to, clear, counts, loading };
}

/** "40 activities · 30 in backup · 10 to back up", and how many show when filtered. */
function countsLine(c: ReturnType<typeof countStatuses>, shown: number | null): string {
  return (
    `${formatCount(c.total)} ${c.total === 1 ? "activity" : "activities"} · ${formatCount(c.in_backup)} in backup · ${formatCount(c.new + c.failed)} to back up` +
    (shown !== null ? ` · showing ${formatCount(shown)}` : "")
  );
}

/** How far the listing has come, while it runs. */
function loadingLine(list: ListModel): string {
  if (list.error || list.done) return "";
  const got = formatCount(list.rows.length);
  return list.total ? `Loading… ${got} of ${formatCount(list.total)}` : `Loading… ${got}`;
}

/** What an empty list says: filtered out, no activities at all, or not there yet. */
function emptyLine(shown: number, filtered: boolean, all: number, done: boolean): string {
  if (shown > 0) return "";
  if (filtered && all > 0) return "No activity matches these filters.";
  if (done) return "There are no activities on this Garmin account yet.";
  return "Loading your activities…";
}

/** Offers the types the list holds (rebuilt only when they change); returns their signature. */
function offerTypes(select: HTMLSelectElement, rows: ListModel["rows"], known: string): string {
  const types = typesOf(rows);
  const signature = types.map((t) => t.key).join(",");
  if (signature === known) return known;
  const current = select.value;
  select.replaceChildren(
    h("option", { attrs: { value: "" }, text: "All types" }),
    ...types.map((t) => h("option", { attrs: { value: t.key }, text: typeLabel(t.key) })),
  );
  select.value = types.some((t) => t.key === current) ? current : "";
  return signature;
}

/** Calls `onChange` with the filter the toolbar shows whenever it changes; Clear empties it. */
function listenToFilters(
  t: { search: HTMLInputElement; typeSelect: HTMLSelectElement; from: HTMLInputElement; to: HTMLInputElement; clear: HTMLButtonElement },
  onChange: (filter: ListFilter) => void,
): void {
  const changed = (): void => onChange({ query: t.search.value, type: t.typeSelect.value, from: t.from.value, to: t.to.value });
  t.search.addEventListener("input", changed);
  t.typeSelect.addEventListener("change", changed);
  t.from.addEventListener("change", changed);
  t.to.addEventListener("change", changed);
  t.clear.addEventListener("click", () => {
    t.search.value = "";
    t.typeSelect.value = "";
    t.from.value = "";
    t.to.value = "";
    changed();
    t.search.focus();
  });
}
