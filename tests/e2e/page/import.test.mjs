// Importing Garmin's account data export from the sign-in view: the picker (faked: a native
// dialog would block), the import form, progress while the export is read, the summary with
// what could not be matched, Retry, the errors, and the way back.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { assertClean, backupRequest, openApp, screenshot, startPage, stopPage } from "./support.mjs";

let server, browser;
before(async () => ({ server, browser } = await startPage()));
after(() => stopPage({ server, browser }));

const EXPORT = "/Users/ana/Downloads/garmin_export_2026-11-02.zip";

const SUMMARY = {
  activities_new: 1180,
  activities_skipped: 0,
  activities_failed: 1,
  files_written: 3600,
  bytes_written: 310_000_000,
  elapsed_ms: 95_000,
  unavailable: [
    { id: 31, name: "Yoga (typed in)", format: "original", reason: "manual" },
    { id: 32, name: "Old ride 🚲", format: "original", reason: "not_in_export" },
  ],
  failed: [{ id: 41, name: "Trail <b>run</b>", format: "original", error: { kind: "export_damaged", message: "bad FIT", path: null } }],
  salvaged: [],
  cancelled: false,
  stopped: null,
  import: {
    activities: 1200,
    uploads: 1185,
    matched: 1181,
    unmatched_uploads: ["DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip/ana@example.com_7300000123.fit"],
    unreadable_uploads: ["ana@example.com_7300000999.gpx"],
    ambiguous: [{ uploads: ["ana@example.com_7300000400.fit", "ana@example.com_7300000401.fit"], activities: [{ id: 51, name: "Double <i>start</i>" }] }],
    not_in_export: [
      { file: "health/daily.csv", column: "HRV Status", why: "the export rates HRV on its own scale" },
      { file: "gear.csv", column: null, why: "the export never links gear to activities" },
    ],
  },
  health: {
    first_day: null,
    last_day: null,
    days_fetched: 412,
    days_skipped: 0,
    days_empty: 0,
    days_failed: 0,
    weigh_ins: 35,
    records: 7,
    failures: [],
    stopped: null,
  },
};

/** Signed out, the button pressed, the fake picker answered: the import view. */
async function openImport(config = {}) {
  const app = await openApp(browser, server.url, config);
  await app.page.waitForSelector("#import-export");
  await app.page.click("#import-export");
  await app.page.waitForSelector("#import-title");
  return app;
}

test("the sign-in view offers the export below the sign-ins, and the picker's file opens the import form", async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.waitForSelector("#import-export");
  // The buttons a person meets: a hidden notice's "Copy a diagnostic report" is not one of them.
  const order = await page.$$eval("button", (bs) => bs.filter((b) => b.offsetParent !== null).map((b) => b.id));
  assert.equal(order[0], "signin-garmin", "signing in stays the first way");
  assert.equal(order.at(-1), "import-export", "the export is the secondary way, last");
  assert.match(await page.textContent("#import-export-hint"), /ZIP file Garmin emails you[\s\S]*needs no sign-in/);
  assert.equal(await page.locator("#import-block a").count(), 0, "nothing links outside");
  await screenshot(page, "signin-with-import");

  await page.click("#import-export");
  await page.waitForSelector("#import-title");
  const pick = await page.evaluate(() => window.__fake.calls.find((c) => c.cmd === "choose_export").args);
  assert.deepEqual(pick, { unpacked: false });
  assert.equal(await page.inputValue("#export-path"), EXPORT);
  assert.equal(await page.textContent("#export-name"), "garmin_export_2026-11-02.zip");
  assert.equal(await page.inputValue("#import-folder"), "/Users/ana/Garmin backup", "the backup folder, as saved");
  assert.match(await page.textContent("#import-intro"), /ZIP file Garmin emails you/);
  assert.equal(await page.isChecked("#import-format-original"), true);
  assert.equal(await page.isChecked("#import-format-gpx"), true);
  assert.equal(await page.isChecked("#import-format-tcx"), false);
  assert.equal(await page.locator("#import-format-kml").count(), 0, "an export cannot give KML");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "import-start", "ready to go");
  await screenshot(page, "import");

  // Unpacked already: the folder picker of the same command.
  await page.click("#choose-export-folder");
  await page.waitForFunction(() => document.querySelector("#export-path").value === "/Users/ana/Downloads/garmin_export");
  assert.deepEqual(await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === "choose_export").at(-1).args), { unpacked: true });
  assert.equal(await page.textContent("#export-name"), "garmin_export");

  await page.click("#import-back");
  await page.waitForSelector("#signin-garmin");
  await assertClean(page, problems, assert);
  await context.close();
});

test("closing the picker stays on the sign-in view", async () => {
  const { page, context, problems } = await openApp(browser, server.url, { outcomes: { choose_export: [{ ok: null }] } });
  await page.waitForSelector("#import-export");
  await page.click("#import-export");
  await page.waitForFunction(() => window.__fake.calls.some((c) => c.cmd === "choose_export"));
  await page.waitForFunction(() => !document.querySelector("#import-export").disabled);
  assert.equal(await page.locator("#import-title").count(), 0);
  assert.equal(await page.textContent("#import-export"), "I have a Garmin data export");
  assert.equal(await page.isHidden("#signin-error"), true);
  await assertClean(page, problems, assert);
  await context.close();
});

test("import: reading the export, the run, the summary with what was not matched, Retry, back to the start", async () => {
  const { page, context, problems } = await openImport();
  await page.check("#import-format-json");
  await page.click("#import-start");
  await page.waitForSelector("#progress-title");
  assert.equal(await page.textContent("#progress-title"), "Importing your activities");
  const req = await page.evaluate(() => window.__fake.calls.find((c) => c.cmd === "start_import").args);
  assert.deepEqual(req.request, {
    export: EXPORT,
    ...backupRequest({ folder: "/Users/ana/Garmin backup", formats: ["original", "gpx", "json"] }),
  });
  assert.match(req.onEvent, /^__CHANNEL__:\d+$/, "progress travels over a Channel");
  assert.equal(await page.evaluate(() => window.__fake.calls.some((c) => c.cmd.startsWith("sign_in"))), false, "no sign-in");
  const saved = await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === "save_preferences").at(-1)?.args.preferences.formats);
  assert.deepEqual(saved, ["original", "gpx", "json"], "the formats are remembered");

  await page.evaluate(() => window.__fake.progress({ activities_listed: 500 }));
  await page.waitForFunction(() => /Reading your export… 500 activities found so far/.test(document.querySelector("#progress-phase").textContent));
  await page.evaluate(() =>
    window.__fake.progress({ activities_listed: 1200, activities_planned: 1200, activities_done: 300, bytes_written: 80_000_000, current: { id: 9, name: "Morning Run" } }),
  );
  await page.waitForFunction(() => document.querySelector("#progress-percent").textContent === "25%");
  assert.match(await page.textContent("#progress-phase"), /stops the import/);
  await screenshot(page, "import-progress");

  await page.evaluate((summary) => window.__fake.backupEvent({ type: "finished", summary }), SUMMARY);
  await page.waitForSelector("#summary-title");
  assert.equal(await page.textContent("#summary-title"), "Import finished, with a few problems");
  assert.equal(await page.textContent("#summary-new .tile-value"), "1,180");
  assert.equal(await page.textContent("#summary-new .tile-label"), "activities imported now");
  assert.match(await page.textContent("#summary-intro"), /could not be read from the export/);
  const unmatched = await page.textContent("#unmatched-section");
  assert.match(unmatched, /Not matched \(3\)/);
  assert.match(unmatched, /1,181 of 1,185 were/);
  assert.match(unmatched, /ana@example\.com_7300000123\.fit/);
  assert.doesNotMatch(unmatched, /DI_CONNECT/, "file names, not paths inside the export");
  assert.match(unmatched, /ana@example\.com_7300000999\.gpx/);
  assert.match(unmatched, /Double <i>start<\/i>/);
  assert.match(unmatched, /Several matches/);
  assert.equal(await page.locator("#unmatched-section i").count(), 0, "names stay text");
  // The export's health data came too, and what the export leaves empty is said.
  assert.equal(await page.textContent("#health-fetched .tile-value"), "412");
  const missing = await page.textContent("#not-in-export-section");
  assert.match(missing, /Not in Garmin's export/);
  assert.match(missing, /health\/daily\.csv · HRV Status/);
  assert.match(missing, /gear\.csv[\s\S]*never links gear/);
  const unavailable = await page.textContent("#unavailable-section");
  assert.match(unavailable, /Files your export doesn't have \(2\)/);
  assert.match(unavailable, /Your export has no file for it/);
  assert.match(await page.textContent("#failed-section"), /Couldn't import[\s\S]*The export can't be read completely/);
  assert.equal(await page.textContent("#summary-back"), "Back to the start");
  await screenshot(page, "import-summary");

  await page.click("#retry");
  await page.waitForSelector("#progress-title");
  assert.equal(await page.textContent("#progress-title"), "Trying again");
  const retry = await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === "start_import").at(-1).args.request);
  assert.deepEqual(retry, { export: EXPORT, ...backupRequest({ folder: "/Users/ana/Garmin backup", formats: ["original", "gpx", "json"], only: [41] }) });
  await page.evaluate((s) =>
    window.__fake.backupEvent({ type: "finished", summary: { ...s, activities_new: 1, activities_failed: 0, failed: [], unavailable: [], import: { ...s.import, unmatched_uploads: [], unreadable_uploads: [], ambiguous: [] } } }),
  SUMMARY);
  await page.waitForFunction(() => document.querySelector("#summary-title")?.textContent === "Your activities are imported");
  assert.equal(await page.locator("#unmatched-section").count(), 0);

  await page.click("#summary-back");
  await page.waitForSelector("#signin-garmin");
  assert.equal(await page.evaluate(() => window.__fake.calls.some((c) => c.cmd === "list_activities")), false, "nothing asks Garmin");
  await assertClean(page, problems, assert);
  await context.close();
});

test("a file that is not an export, or a damaged one: the form says so and keeps the choice", async () => {
  const { page, context, problems } = await openImport({
    outcomes: {
      start_import: [
        { err: { kind: "not_an_export", message: "holds no *_summarizedActivities.json", path: EXPORT }, delayMs: 50 },
        { err: { kind: "export_damaged", message: "not a readable ZIP", path: EXPORT } },
      ],
    },
  });
  await page.click("#import-start");
  await page.waitForSelector("#import-error:not([hidden])");
  assert.equal(await page.getAttribute("#import-error", "data-kind"), "not_an_export");
  assert.match(await page.textContent("#import-error"), /This isn't a Garmin data export\.[\s\S]*Export Your Data/);
  assert.doesNotMatch(await page.textContent("#import-error"), /summarizedActivities/, "plain words, not the engine's");
  assert.equal(await page.inputValue("#export-path"), EXPORT, "the choice is kept");
  await screenshot(page, "import-not-an-export");

  await page.click("#import-start");
  await page.waitForFunction(() => document.querySelector("#import-error")?.dataset.kind === "export_damaged");
  assert.match(await page.textContent("#import-error"), /can't be read completely[\s\S]*Download it again/);
  await assertClean(page, problems, assert);
  await context.close();
});

test("a folder the shell refuses is said at the folder field, in the shell's words", async () => {
  const message = "“/Users/ana” is your home folder itself: a backup would mix with everything in it. Choose a folder inside it (for example /Users/ana/Garmin).";
  const { page, context, problems } = await openImport({
    outcomes: { start_import: [{ err: { kind: "folder_refused", message, path: "/Users/ana" } }] },
  });
  await page.click("#import-start");
  await page.waitForFunction(() => (document.querySelector("#import-folder-error")?.textContent ?? "") !== "");
  assert.equal(await page.textContent("#import-folder-error"), message);
  assert.equal(await page.getAttribute("#import-folder", "aria-invalid"), "true");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "import-folder");
  assert.equal(await page.isHidden("#import-error"), true, "said once, at the field");
  await screenshot(page, "import-folder-refused");
  await assertClean(page, problems, assert);
  await context.close();
});

test("what is missing is said at the field, and nothing starts", async () => {
  const { page, context, problems } = await openImport({
    prefs: { folder: null, formats: ["kml"], layout: "{id}", concurrency: 3, garmin_tracks: false },
  });
  assert.equal(await page.isChecked("#import-format-original"), true, "the original when nothing usable was saved");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "import-folder", "the empty folder asks first");
  await page.click("#import-start");
  assert.match(await page.textContent("#import-folder-error"), /Choose where to save/);
  assert.equal(await page.getAttribute("#import-folder", "aria-invalid"), "true");
  await page.fill("#import-folder", "relative/folder");
  await page.click("#import-start");
  assert.match(await page.textContent("#import-folder-error"), /full path/);
  await page.click("#import-choose-folder");
  await page.waitForFunction(() => document.querySelector("#import-folder").value === "/Users/ana/Chosen folder");
  assert.equal(await page.textContent("#import-folder-error"), "");
  await page.uncheck("#import-format-original");
  await page.click("#import-start");
  assert.match(await page.textContent("#import-formats-error"), /at least one format/);
  await page.fill("#export-path", "");
  await page.click("#import-start");
  assert.match(await page.textContent("#export-path-error"), /Choose your Garmin data export/);
  assert.equal(await page.evaluate(() => window.__fake.calls.some((c) => c.cmd === "start_import")), false);
  const kept = await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === "save_preferences").at(-1).args.preferences);
  assert.equal(kept.folder, "/Users/ana/Chosen folder");
  assert.deepEqual(kept.formats, ["kml"], "KML stays as the backup saved it");
  await assertClean(page, problems, assert);
  await context.close();
});

test("Cancel while the export is read goes back to the form without alarm", async () => {
  const { page, context, problems } = await openImport({ manual: ["start_import"] });
  await page.click("#import-start");
  await page.waitForSelector("#progress-title");
  assert.equal(await page.textContent("#progress-phase"), "Opening your export…");
  await page.click("#cancel");
  await page.waitForFunction(() => window.__fake.calls.some((c) => c.cmd === "cancel_backup"));
  await page.evaluate(() => window.__fake.settle("start_import", { err: { kind: "cancelled", message: "cancelled while reading" } }));
  await page.waitForSelector("#import-title");
  assert.equal(await page.isHidden("#import-error"), true);
  assert.equal(await page.inputValue("#export-path"), EXPORT);
  await assertClean(page, problems, assert);
  await context.close();
});
