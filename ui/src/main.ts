// The page's flow: one view at a time, each mounted into #app and torn down (timers and
// listeners with it) before the next.
import * as api from "./api";
import type { Account, ActivityId, AppError, BackupScope, Preferences, Summary } from "./wire";
import { h } from "./dom";
import { ListModel } from "./model";
import { mountSignIn } from "./views/signin";
import { mountActivities } from "./views/activities";
import { mountProgress, type ProgressHandle } from "./views/progress";
import { mountSummary } from "./views/summary";
import { explainError } from "./logic/messages";

const DEFAULT_PREFS: Preferences = {
  folder: null,
  formats: ["original", "gpx"],
  layout: "{year}/{date}_{type}_{id}",
  concurrency: 3,
};

const app = {
  root: document.querySelector<HTMLElement>("#app") ?? document.body,
  demo: false,
  account: null as Account | null,
  prefs: DEFAULT_PREFS,
  list: new ListModel(),
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
  show(() => mountSignIn(app.root, { demo: app.demo, notice, onSignedIn: signedIn }), "signin");
}

function signedIn(account: Account): void {
  app.account = account;
  void app.list.load(app.prefs.folder, (err) => showSignIn(err));
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
        onFolderChanged: (folder) => void app.list.load(folder, (err) => showSignIn(err)),
        savePrefs: (prefs) => {
          app.prefs = prefs;
          // A preference that fails to save is not worth interrupting anyone for.
          api.savePreferences(prefs).catch(() => undefined);
        },
      }),
    "activities",
  );
}

function runBackup(scope: BackupScope, retrying: boolean): void {
  const folder = app.prefs.folder;
  if (!folder) return showActivities(null);
  let finished = false;
  const progress = mountProgressView(retrying);
  api
    .startBackup({ folder, formats: app.prefs.formats, scope }, (event) => {
      if (finished) return;
      if (event.type === "progress") progress.update(event);
      else {
        finished = true;
        showSummary(event.summary, folder);
      }
    })
    .catch((err: AppError) => {
      if (finished) return;
      finished = true;
      if (err.kind === "tokens_expired" || err.kind === "not_signed_in") return showSignIn(err);
      showActivities(err);
    });
}

function mountProgressView(retrying: boolean): Pick<ProgressHandle, "update"> {
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
    );
    const mounted = handle;
    return () => mounted.unmount();
  }, "progress");
  return { update: (p) => handle?.update(p) };
}

function showSummary(summary: Summary, folder: string): void {
  show(
    () =>
      mountSummary(app.root, {
        summary,
        folder,
        onRetry: (ids: ActivityId[]) => runBackup({ kind: "selected", ids }, true),
        onOpenFolder: () => void api.openFolder(folder).catch(() => undefined),
        onBack: () => {
          // Statuses changed on disk: read them again, keeping the old list on screen meanwhile.
          void app.list.load(app.prefs.folder, (err) => showSignIn(err));
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
      api.readPreferences().catch(() => DEFAULT_PREFS),
    ]);
    app.demo = info.demo;
    document.title = info.name;
    app.prefs = { ...DEFAULT_PREFS, ...prefs };
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

void start();
