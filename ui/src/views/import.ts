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
  const initial = importFormats(prefs.formats);

  const { back, notice, exportInput, exportName, chooseExport, chooseUnpacked, folderInput, chooseFolder, formatBoxes, start, errors, form } = importFields(ctx.exportPath, prefs.folder, initial);
  const { card, title } = importCard(back, notice, form);
  root.replaceChildren(h("div", { class: "centered" }, card));

  function showError(err: AppError | null): void {
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

  function clearProblems(): void {
    for (const [field, el] of Object.entries(errors)) {
      el.textContent = "";
      if (field === "export") exportInput.removeAttribute("aria-invalid");
      if (field === "folder") folderInput.removeAttribute("aria-invalid");
    }
  }

  function showProblem(p: Problem): void {
    errors[p.field].textContent = p.message;
    if (p.field === "export") {
      exportInput.setAttribute("aria-invalid", "true");
      exportInput.focus();
    } else if (p.field === "folder") {
      folderInput.setAttribute("aria-invalid", "true");
      folderInput.focus();
    } else formatBoxes[0]?.box.focus();
  }

  function syncName(): void {
    const path = exportInput.value.trim();
    exportName.textContent = path ? fileName(path) : "";
    exportName.hidden = path === "";
  }

  function formats(): Format[] {
    return formatBoxes.filter(({ box }) => box.checked).map(({ f }) => f);
  }

  function setFolder(folder: string): void {
    const clean = folder.trim() === "" ? null : folder.trim();
    folderInput.value = clean ?? "";
    if (clean === prefs.folder) return;
    prefs.folder = clean;
    ctx.savePrefs({ ...prefs });
  }

  async function pick<T>(work: () => Promise<T>): Promise<T | null> {
    showError(null);
    try {
      return await work();
    } catch (err) {
      showError(err as AppError);
      return null;
    }
  }

  chooseExport.addEventListener("click", () => {
    void pick(() => api.chooseExport(false)).then((p) => {
      if (p) {
        exportInput.value = p;
        clearProblems();
        syncName();
      }
    });
  });
  chooseUnpacked.addEventListener("click", () => {
    void pick(() => api.chooseExport(true)).then((p) => {
      if (p) {
        exportInput.value = p;
        clearProblems();
        syncName();
      }
    });
  });
  chooseFolder.addEventListener("click", () => {
    void pick(() => api.chooseFolder()).then((p) => {
      if (p) {
        setFolder(p);
        clearProblems();
      }
    });
  });
  exportInput.addEventListener("input", () => {
    clearProblems();
    syncName();
  });
  folderInput.addEventListener("input", () => clearProblems());
  folderInput.addEventListener("change", () => setFolder(folderInput.value));
  for (const { f, box } of formatBoxes) {
    box.addEventListener("change", () => {
      clearProblems();
      // KML stays as the backup saved it: the import only leaves it out.
      prefs.formats = ALL_FORMATS.filter((k) => (k === f ? box.checked : prefs.formats.includes(k)));
      ctx.savePrefs({ ...prefs });
    });
  }
  back.addEventListener("click", () => ctx.onBack());
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    clearProblems();
    showError(null);
    setFolder(folderInput.value);
    const draft = { export: exportInput.value.trim(), folder: folderInput.value.trim(), formats: formats() };
    const problem = importProblem(draft);
    if (problem) {
      showProblem(problem);
      return;
    }
    ctx.onImport(draft);
  });

  syncName();
  // A refused folder is said at the folder field, where it is fixed.
  const folderProblem = folderFieldProblem(ctx.notice);
  if (folderProblem !== null) showProblem({ field: "folder", message: folderProblem });
  else showError(ctx.notice);
  if (folderProblem !== null) folderInput.focus();
  else if (ctx.notice) title.focus();
  else if (folderInput.value === "") folderInput.focus();
  else start.focus();
  return () => undefined;
}

/** The form's fields: the export, the folder, the formats, and where each says what is wrong. */
function importFields(exportPath: string, folder: string | null, initial: Format[]) {
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
  const startHint = h("p", { id: "import-hint", class: "hint", text: "Nothing is sent anywhere: the export is read on this computer." });

  const errors = {
    export: h("p", { class: "field-error", id: "export-path-error", attrs: { "aria-live": "polite" } }),
    folder: h("p", { class: "field-error", id: "import-folder-error", attrs: { "aria-live": "polite" } }),
    formats: h("p", { class: "field-error", id: "import-formats-error", attrs: { "aria-live": "polite" } }),
  };
  exportInput.setAttribute("aria-describedby", "export-name export-path-error");
  folderInput.setAttribute("aria-describedby", "import-folder-hint import-folder-error");

  const form = h(
    "form",
    { id: "import-form", class: "stack", attrs: { novalidate: true, "aria-labelledby": "import-title" } },
    h(
      "div",
      { class: "field" },
      h("label", { attrs: { for: "export-path" }, text: "Your export" }),
      h("div", { class: "path-row" }, exportInput, chooseExport),
      exportName,
      errors.export,
      h("div", {}, chooseUnpacked),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { attrs: { for: "import-folder" }, text: "Save into" }),
      h("div", { class: "path-row" }, folderInput, chooseFolder),
      h("p", {
        class: "hint",
        id: "import-folder-hint",
        text: "Your backup folder works: activities already in it are not copied again.",
      }),
      errors.folder,
    ),
    h(
      "fieldset",
      { class: "formats", attrs: { "aria-describedby": "import-formats-hint import-formats-error" } },
      h("legend", { text: "Save these formats" }),
      ...formatBoxes.map(({ f, box }) => h("label", { class: "check" }, box, h("span", { text: FORMAT_LABELS[f] }))),
      h("p", { class: "hint formats-hint", id: "import-formats-hint", text: "GPX and TCX are made from the original files, on this computer." }),
      errors.formats,
    ),
    h("div", { class: "import-actions" }, start, startHint),
  );
  return { back, notice, exportInput, exportName, chooseExport, chooseUnpacked, folderInput, chooseFolder, formatBoxes, start, errors, form };
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
