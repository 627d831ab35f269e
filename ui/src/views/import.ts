// Import: Garmin's account data export into a folder, without signing in. The export was
// picked on the sign-in view; here the person checks it, chooses where the activities go
// and in which formats, and starts. The progress and summary views are the backup's.
import * as api from "../api";
import type { AppError, Format, Preferences } from "../wire";
import { h, icon, ICONS } from "../dom";
import { explainError, folderFieldProblem, FORMAT_LABELS } from "../logic/messages";
import { fileName, IMPORT_FORMATS, importFormats, importProblem, type Problem } from "../logic/importing";

export interface ImportDraft {
  export: string;
  folder: string;
  formats: Format[];
}

export interface ImportContext {
  /** The export picked on the sign-in view (or kept from an earlier visit). */
  exportPath: string;
  prefs: Preferences;
  /** Shown on arrival, e.g. why the last attempt could not start. */
  notice: AppError | null;
  onBack(): void;
  onImport(draft: ImportDraft): void;
  savePrefs(prefs: Preferences): void;
}

const ALL_FORMATS: Format[] = ["original", "gpx", "tcx", "kml", "json"];

export function mountImport(root: HTMLElement, ctx: ImportContext): () => void {
  const prefs: Preferences = { ...ctx.prefs, formats: [...ctx.prefs.formats] };
  const c = importControls(ctx.exportPath, prefs.folder, importFormats(prefs.formats));
  const form = importForm(c);
  const { card, title } = importCard(c.back, c.notice, form);
  root.replaceChildren(h("div", { class: "centered" }, card));

  listenToPickers(c, prefs, ctx);
  listenToFormats(c, prefs, ctx);
  c.back.addEventListener("click", () => ctx.onBack());
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    clearProblems(c);
    showImportError(c, null);
    setFolder(c, prefs, ctx, c.folderInput.value);
    const draft = { export: c.exportInput.value.trim(), folder: c.folderInput.value.trim(), formats: tickedFormats(c) };
    const problem = importProblem(draft);
    if (problem) {
      showProblem(c, problem);
      return;
    }
    ctx.onImport(draft);
  });

  syncName(c);
  // A refused folder is said at the folder field, where it is fixed.
  const folderProblem = folderFieldProblem(ctx.notice);
  if (folderProblem !== null) showProblem(c, { field: "folder", message: folderProblem });
  else showImportError(c, ctx.notice);
  if (folderProblem !== null) c.folderInput.focus();
  else if (ctx.notice) title.focus();
  else if (c.folderInput.value === "") c.folderInput.focus();
  else c.start.focus();
  return () => undefined;
}

/** The three Choose… buttons and the two typed paths. */
function listenToPickers(c: ImportControls, prefs: Preferences, ctx: ImportContext): void {
  const exportChosen = (p: string | null): void => {
    if (p) {
      c.exportInput.value = p;
      clearProblems(c);
      syncName(c);
    }
  };
  c.chooseExport.addEventListener("click", () => {
    void pick(c, () => api.chooseExport(false)).then(exportChosen);
  });
  c.chooseUnpacked.addEventListener("click", () => {
    void pick(c, () => api.chooseExport(true)).then(exportChosen);
  });
  c.chooseFolder.addEventListener("click", () => {
    void pick(c, () => api.chooseFolder()).then((p) => {
      if (p) {
        setFolder(c, prefs, ctx, p);
        clearProblems(c);
      }
    });
  });
  c.exportInput.addEventListener("input", () => {
    clearProblems(c);
    syncName(c);
  });
  c.folderInput.addEventListener("input", () => clearProblems(c));
  c.folderInput.addEventListener("change", () => setFolder(c, prefs, ctx, c.folderInput.value));
}

/** Each format ticked or not is saved at once, as the backup's are. */
function listenToFormats(c: ImportControls, prefs: Preferences, ctx: ImportContext): void {
  for (const { f, box } of c.formatBoxes) {
    box.addEventListener("change", () => {
      clearProblems(c);
      // KML stays as the backup saved it: the import only leaves it out.
      prefs.formats = ALL_FORMATS.filter((k) => (k === f ? box.checked : prefs.formats.includes(k)));
      ctx.savePrefs({ ...prefs });
    });
  }
}

/** A dialog's answer, or null when it failed (said in the notice). */
async function pick<T>(c: ImportControls, work: () => Promise<T>): Promise<T | null> {
  showImportError(c, null);
  try {
    return await work();
  } catch (err) {
    showImportError(c, err as AppError);
    return null;
  }
}

function showImportError(c: ImportControls, err: AppError | null): void {
  const { notice } = c;
  notice.replaceChildren();
  notice.hidden = err === null;
  if (!err) return;
  const { title: t, detail } = explainError(err);
  notice.dataset["kind"] = err.kind;
  notice.className = `notice ${err.kind === "cancelled" ? "info" : "error"}`;
  notice.append(
    icon([...ICONS.alert], "icon notice-icon"),
    h("div", { class: "notice-body" }, h("p", { class: "notice-title", text: t }), h("p", { class: "notice-detail", text: detail })),
  );
}

function clearProblems(c: ImportControls): void {
  for (const [field, el] of Object.entries(c.errors)) {
    el.textContent = "";
    if (field === "export") c.exportInput.removeAttribute("aria-invalid");
    if (field === "folder") c.folderInput.removeAttribute("aria-invalid");
  }
}

/** What is missing, said at its field, which gets the focus. */
function showProblem(c: ImportControls, p: Problem): void {
  c.errors[p.field].textContent = p.message;
  if (p.field === "export") {
    c.exportInput.setAttribute("aria-invalid", "true");
    c.exportInput.focus();
  } else if (p.field === "folder") {
    c.folderInput.setAttribute("aria-invalid", "true");
    c.folderInput.focus();
  } else c.formatBoxes[0]?.box.focus();
}

/** The export's file name under its path, where a long path would hide it. */
function syncName(c: ImportControls): void {
  const path = c.exportInput.value.trim();
  c.exportName.textContent = path ? fileName(path) : "";
  c.exportName.hidden = path === "";
}

function tickedFormats(c: ImportControls): Format[] {
  return c.formatBoxes.filter(({ box }) => box.checked).map(({ f }) => f);
}

function setFolder(c: ImportControls, prefs: Preferences, ctx: ImportContext, folder: string): void {
  const clean = folder.trim() === "" ? null : folder.trim();
  c.folderInput.value = clean ?? "";
  if (clean === prefs.folder) return;
  prefs.folder = clean;
  ctx.savePrefs({ ...prefs });
}

type ImportControls = ReturnType<typeof importControls>;

/** The form's fields and buttons: the export, the folder, the formats, and where each says what is wrong. */
function importControls(exportPath: string, folder: string | null, initial: Format[]) {
  const back = h("button", { id: "import-back", class: "button quiet", attrs: { type: "button" }, text: "Back" });

  const notice = h("div", { id: "import-error", class: "notice error", attrs: { role: "alert" } });
  notice.hidden = true;

  const exportInput = h("input", {
    id: "export-path",
    class: "path",
    attrs: { type: "text", spellcheck: "false", autocomplete: "off", placeholder: "Your export's ZIP file" },
  });
  exportInput.value = exportPath;
  const exportName = h("p", { id: "export-name", class: "export-name", attrs: { dir: "auto" } });
  const chooseExport = h("button", { id: "choose-export", class: "button", attrs: { type: "button" } }, icon([...ICONS.folder]), "Choose…");
  const chooseUnpacked = h("button", {
    id: "choose-export-folder",
    class: "button quiet small",
    attrs: { type: "button" },
    text: "Unpacked it already? Choose its folder instead",
  });

  const folderInput = h("input", {
    id: "import-folder",
    class: "path",
    attrs: { type: "text", spellcheck: "false", autocomplete: "off", placeholder: "Choose a folder for your activities" },
  });
  folderInput.value = folder ?? "";
  const chooseFolder = h("button", { id: "import-choose-folder", class: "button", attrs: { type: "button" } }, icon([...ICONS.folder]), "Choose…");

  const formatBoxes = IMPORT_FORMATS.map((f) => {
    const box = h("input", { id: `import-format-${f}`, attrs: { type: "checkbox", value: f } });
    box.checked = initial.includes(f);
    return { f, box };
  });

  const start = h("button", { id: "import-start", class: "button primary large", attrs: { type: "submit" } }, icon([...ICONS.download]), "Import");

  const errors = {
    export: h("p", { class: "field-error", id: "export-path-error", attrs: { "aria-live": "polite" } }),
    folder: h("p", { class: "field-error", id: "import-folder-error", attrs: { "aria-live": "polite" } }),
    formats: h("p", { class: "field-error", id: "import-formats-error", attrs: { "aria-live": "polite" } }),
  };
  exportInput.setAttribute("aria-describedby", "export-name export-path-error");
  folderInput.setAttribute("aria-describedby", "import-folder-hint import-folder-error");
  return { back, notice, exportInput, exportName, chooseExport, chooseUnpacked, folderInput, chooseFolder, formatBoxes, start, errors };
}

/** The form laid out: the export, where it goes, the formats, and Import. */
function importForm(c: ImportControls): HTMLFormElement {
  return h(
    "form",
    { id: "import-form", class: "stack", attrs: { novalidate: true, "aria-labelledby": "import-title" } },
    h(
      "div",
      { class: "field" },
      h("label", { attrs: { for: "export-path" }, text: "Your export" }),
      h("div", { class: "path-row" }, c.exportInput, c.chooseExport),
      c.exportName,
      c.errors.export,
      h("div", {}, c.chooseUnpacked),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { attrs: { for: "import-folder" }, text: "Save into" }),
      h("div", { class: "path-row" }, c.folderInput, c.chooseFolder),
      h("p", {
        class: "hint",
        id: "import-folder-hint",
        text: "Your backup folder works: activities already in it are not copied again.",
      }),
      c.errors.folder,
    ),
    h(
      "fieldset",
      { class: "formats", attrs: { "aria-describedby": "import-formats-hint import-formats-error" } },
      h("legend", { text: "Save these formats" }),
      ...c.formatBoxes.map(({ f, box }) => h("label", { class: "check" }, box, h("span", { text: FORMAT_LABELS[f] }))),
      h("p", { class: "hint formats-hint", id: "import-formats-hint", text: "GPX and TCX are made from the original files, on this computer." }),
      c.errors.formats,
    ),
    h(
      "div",
      { class: "import-actions" },
      c.start,
      h("p", { id: "import-hint", class: "hint", text: "Nothing is sent anywhere: the export is read on this computer." }),
    ),
  );
}

/** The card around the form: the brand, Back, the title and what an export is. */
function importCard(back: HTMLElement, notice: HTMLElement, form: HTMLElement) {
  const title = h("h1", { id: "import-title", attrs: { tabindex: -1 }, text: "Import your Garmin data export" });
  const card = h(
    "section",
    { class: "card import-card", attrs: { "aria-labelledby": "import-title" } },
    h(
      "div",
      { class: "import-top" },
      h(
        "div",
        { class: "brand" },
        icon([...ICONS.logo], "icon brand-mark"),
        // No demo badge: an import reads the person's own export, whatever the mode.
        h("span", { text: "Garmin Connect Export" }),
      ),
      back,
    ),
    title,
    h("p", {
      class: "lead",
      id: "import-intro",
      text: "Garmin's data export is the ZIP file Garmin emails you when you ask for “Export Your Data”: it holds every activity you recorded, and this app copies them into a folder just as a backup would.",
    }),
    notice,
    form,
  );
  return { card, title };
}
