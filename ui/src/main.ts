// The page's flow: one view at a time, each mounted into #app and torn down (timers and
// listeners with it) before the next.
import * as api from "./api";
import type { Account, ActivityId, AppError, BackupEvent, BackupRequest, BackupScope, Preferences, Selection, Summary, What } from "./wire";
import { h } from "./dom";
import { ListModel } from "./model";
import { mountSignIn } from "./views/signin";
import { mountActivities } from "./views/activities";
import { mountProgress, type ProgressHandle, type RunKind } from "./views/progress";
import { mountImport, type ImportDraft } from "./views/import";
import { mountSummary } from "./views/summary";
import { mountDailyBackup } from "./views/schedule";
import { explainError } from "./logic/messages";

// The preferences start as the shell's (the engine's defaults) once `start` has them; no view
// shows before that, so the page keeps no defaults of its own.
let current: Preferences | null = null;

const app = {
  root: document.querySelector<HTMLElement>("#app") ?? document.body,
  demo: false,
  account: null as Account | null,
  get prefs(): Preferences {
    if (!current) throw new Error("the preferences are read before any view shows");
    return current;
  },
  set prefs(p: Preferences) {
    current = p;
  },
  list: new ListModel(),
  /** The import being set up or run (kept for Retry and for coming back to the form). */
  draft: null as ImportDraft | null,
  unmount: (): void => undefined,
};

function show(mount: () => () => void, view: string): void {
  app.unmount();
  document.body.dataset["view"] = view;
  app.unmount = mount();
}

function showSignIn(notice: AppError | null): void {
  app.account = null;
  app.list.reset();
  show(
    () =>
      mountSignIn(app.root, {
        demo: app.demo,
        notice,
        onSignedIn: signedIn,
        onImport: (exportPath) => showImport(exportPath, null),
      }),
    "signin",
  );
}

function savePrefs(prefs: Preferences): void {
  app.prefs = prefs;
  // A preference that fails to save is not worth interrupting anyone for.
  api.savePreferences(prefs).catch(() => undefined);
}

function showImport(exportPath: string, notice: AppError | null): void {
  show(
    () =>
      mountImport(app.root, {
        exportPath,
        prefs: app.prefs,
        notice,
        onBack: () => showSignIn(null),
        onImport: (draft) => {
          app.draft = draft;
          runImport(draft, { kind: "all" }, false);
        },
        savePrefs,
      }),
    "import",
  );
}

/** Feeds a run's events to the progress view, then shows the summary once. */
function follow(progress: Pick<ProgressHandle, "update">, folder: string, kind: RunKind): { onEvent(e: BackupEvent): void; done(): boolean } {
  let finished = false;
  return {
    onEvent(event) {
      if (finished) return;
      if (event.type === "progress") progress.update(event);
      else {
        finished = true;
        showSummary(event.summary, folder, kind);
      }
    },
    done: () => {
      const was = finished;
      finished = true;
      return was;
    },
  };
}

/** The whole request the engine runs: the saved preferences, this folder and formats, these activities. */
function request(folder: string, formats: Preferences["formats"], scope: BackupScope): BackupRequest {
  const selection: Selection = {
    count: null,
    start_date: null,
    end_date: null,
    types: [],
    exclude: [],
    only: scope.kind === "selected" ? scope.ids : null,
  };
  return {
    folder,
    formats,
    layout: app.prefs.layout,
    classic: null,
    concurrency: app.prefs.concurrency,
    selection,
    mode: "incremental",
    unzip: false,
    original_time: false,
    garmin_tracks: app.prefs.garmin_tracks,
    // Chosen activities are about activities only; "Back up" does what the card has ticked.
    what: scope.kind === "selected" ? ACTIVITIES_ONLY : app.prefs.what,
    health_since: null,
    health_until: null,
  };
}

const ACTIVITIES_ONLY: What = { activities: true, health: false, records: false, gear: true };

function relist(p: Preferences): void {
  void app.list.load(p.folder, p.formats, (err) => showSignIn(err));
}

function runImport(draft: ImportDraft, scope: BackupScope, retrying: boolean): void {
  const progress = mountProgressView(retrying, "import");
  const run = follow(progress, draft.folder, "import");
  api
    .startImport({ export: draft.export, ...request(draft.folder, draft.formats, scope) }, run.onEvent)
    .catch((err: AppError) => {
      if (run.done()) return;
      // Back to the form, with why (a cancel while reading the export needs no alarm).
      showImport(draft.export, err.kind === "cancelled" ? null : err);
    });
}

function signedIn(account: Account): void {
  app.account = account;
  relist(app.prefs);
  showActivities(null);
}

function showActivities(notice: AppError | null): void {
  const account = app.account;
  if (!account) return showSignIn(null);
  show(
    () =>
      mountActivities(app.root, {
        account,
        demo: app.demo,
        prefs: app.prefs,
        list: app.list,
        notice,
        onSignOut: () => {
          api.signOut().catch(() => undefined).finally(() => showSignIn(null));
        },
        onBackup: (scope) => runBackup(scope, false),
        relist,
        savePrefs,
      }),
    "activities",
  );
}

function runBackup(scope: BackupScope, retrying: boolean): void {
  const folder = app.prefs.folder;
  if (!folder) return showActivities(null);
  const progress = mountProgressView(retrying, "backup");
  const run = follow(progress, folder, "backup");
  const req = request(folder, app.prefs.formats, scope);
  asked = req.what;
  api
    .startBackup(req, run.onEvent)
    .catch((err: AppError) => {
      if (run.done()) return;
      if (err.kind === "tokens_expired" || err.kind === "not_signed_in") return showSignIn(err);
      showActivities(err);
    });
}

function mountProgressView(retrying: boolean, kind: RunKind): Pick<ProgressHandle, "update"> {
  let handle: ProgressHandle | null = null;
  show(() => {
    handle = mountProgress(
      app.root,
      () => {
        api.cancelBackup().then(
          () => handle?.stopping(),
          () => handle?.stopping(),
        );
      },
      retrying,
      kind,
    );
    const mounted = handle;
    return () => mounted.unmount();
  }, "progress");
  return { update: (p) => handle?.update(p) };
}

/** What the last backup asked for: its summary shows those parts. */
let asked: What = ACTIVITIES_ONLY;

function showSummary(summary: Summary, folder: string, kind: RunKind): void {
  const draft = app.draft;
  if (kind === "import" && draft) {
    show(
      () =>
        mountSummary(app.root, {
          summary,
          folder,
          backLabel: "Back to the start",
          onRetry: (ids: ActivityId[]) => runImport(draft, { kind: "selected", ids }, true),
          onOpenFolder: () => void api.openFolder(folder).catch(() => undefined),
          onBack: () => showSignIn(null),
        }),
      "summary",
    );
    return;
  }
  show(
    () =>
      mountSummary(app.root, {
        summary,
        folder,
        activities: asked.activities,
        onRetry: (ids: ActivityId[]) => runBackup({ kind: "selected", ids }, true),
        onOpenFolder: () => void api.openFolder(folder).catch(() => undefined),
        onBack: () => {
          // Statuses changed on disk: read them again, keeping the old list on screen meanwhile.
          relist(app.prefs);
          showActivities(null);
        },
      }),
    "summary",
  );
}

async function start(): Promise<void> {
  document.body.dataset["view"] = "loading";
  try {
    const [info, prefs] = await Promise.all([
      api.appInfo(),
      api.readPreferences().catch(() => null),
    ]);
    app.demo = info.demo;
    document.title = info.name;
    app.prefs = { ...info.defaults, ...prefs };
    const status = await api.sessionStatus();
    if (status.state === "signed_in") signedIn(status.account);
    else showSignIn(status.reason === "tokens_expired" ? { kind: "tokens_expired", message: "" } : null);
  } catch (raw) {
    const err = api.toAppError(raw);
    const { title, detail } = explainError(err);
    app.root.replaceChildren(
      h(
        "div",
        { class: "centered" },
        h(
          "section",
          { class: "card", attrs: { role: "alert" } },
          h("h1", { text: "The app could not start" }),
          h("p", { class: "lead", text: title }),
          h("p", { class: "hint", text: detail }),
        ),
      ),
    );
  }
}

mountDailyBackup(document.body, app.root);
void start();
