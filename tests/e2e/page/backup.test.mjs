// A backup from the button to the summary: progress through a Channel, Garmin's 429 pause,
// Cancel, a start that cannot happen, and the summary with formats Garmin lacks, failures
// and Retry.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { SIGNED_IN_SESSION, assertClean, backupRequest, openApp, screenshot, startPage, stopPage } from "./support.mjs";

let server, browser;
before(async () => ({ server, browser } = await startPage()));
after(() => stopPage({ server, browser }));

const SIGNED_IN = {
  session: SIGNED_IN_SESSION,
  activities: 120,
};

const SUMMARY = {
  activities_new: 112,
  activities_skipped: 1530,
  activities_failed: 2,
  files_written: 230,
  bytes_written: 48_200_000,
  elapsed_ms: 151_000,
  unavailable: [
    { id: 11, name: "🏊 Pool swim", format: "gpx", reason: "no_track" },
    { id: 11, name: "🏊 Pool swim", format: "kml", reason: "no_track" },
    { id: 12, name: "Yoga (typed in)", format: "original", reason: "manual" },
    { id: 13, name: "<b>Strength</b>", format: "tcx", reason: "not_offered" },
  ],
  failed: [
    { id: 21, name: "Long ride\nin the rain", format: "original", error: { kind: "server", message: "HTTP 502" } },
    { id: 22, name: "ركض", format: null, error: { kind: "timeout", message: "30 s" } },
  ],
  salvaged: [{ id: 31, name: "Crashed <i>watch</i> run", points: 14391, message: "recovered 14,391 points from a damaged original (it is cut short)" }],
  cancelled: false,
  stopped: null,
};

async function startBackup(config = {}) {
  const app = await openApp(browser, server.url, { ...SIGNED_IN, ...config });
  await app.page.waitForFunction(() => /^120 activities/.test(document.querySelector("#counts")?.textContent ?? ""));
  await app.page.click("#backup-all");
  await app.page.waitForSelector("#progress-title");
  return app;
}

test("progress: running totals through the Channel become a bar, numbers and times", async () => {
  const { page, context, problems } = await startBackup();
  const req = await page.evaluate(() => window.__fake.calls.find((c) => c.cmd === "start_backup").args);
  assert.deepEqual(req.request, backupRequest({ folder: "/Users/ana/Garmin backup", formats: ["original", "gpx"] }));
  assert.match(req.onEvent, /^__CHANNEL__:\d+$/, "progress travels over a Channel");

  // Listing first: no plan yet, so no made-up percentage.
  await page.evaluate(() => window.__fake.progress({ activities_listed: 300 }));
  await page.waitForFunction(() => /300 looked at/.test(document.querySelector("#progress-phase").textContent));
  assert.equal(await page.textContent("#progress-percent"), "");
  assert.equal(await page.getAttribute("#progress-bar", "aria-valuenow"), null);
  await screenshot(page, "progress-listing");

  // A burst of 500 events in one go: the page keeps only the latest (one DOM write per frame).
  const burst = await page.evaluate(() => {
    const t0 = performance.now();
    for (let i = 1; i <= 500; i++) {
      window.__fake.progress({
        activities_listed: 1642, activities_planned: 1000, activities_done: Math.floor(i / 2),
        activities_failed: i > 400 ? 1 : 0, bytes_written: i * 100_000,
        current: { id: i, name: i === 500 ? "Sunrise 10k 🌅 <i>tempo</i>" : `Run ${i}` },
      });
    }
    return performance.now() - t0;
  });
  console.log(`[measure] 500 progress events handled in ${burst.toFixed(1)} ms`);
  await page.waitForFunction(() => document.querySelector("#progress-percent").textContent === "25%");
  assert.equal(await page.textContent("#progress-counts"), "251 of 1,000 activities");
  assert.equal(await page.getAttribute("#progress-bar", "aria-valuenow"), "25");
  assert.equal(await page.textContent("#progress-bytes"), "50 MB");
  assert.equal(await page.textContent("#progress-failed"), "1");
  assert.equal(await page.textContent("#progress-current"), "Now: Sunrise 10k 🌅 <i>tempo</i>");
  assert.equal(await page.locator("#progress-current i").count(), 0);
  assert.equal(await page.isHidden("#pause-notice"), true);
  // Elapsed time moves on its own; the estimate appears once there is a pace to go on.
  const e1 = await page.textContent("#progress-elapsed");
  await page.waitForFunction((e) => document.querySelector("#progress-elapsed").textContent !== e, e1, { timeout: 3000 });
  await page.waitForFunction(() => /about|under a minute/.test(document.querySelector("#progress-remaining").textContent), null, { timeout: 5000 });
  assert.equal(await page.getAttribute("#cancel", "type"), "button");
  await screenshot(page, "progress");
  await assertClean(page, problems, assert);
  await context.close();
});

test("Garmin's 429: a notice with a countdown, then work resumes", async () => {
  const { page, context, problems } = await startBackup();
  await page.evaluate(() =>
    window.__fake.progress({ activities_listed: 120, activities_planned: 40, activities_done: 12, bytes_written: 9_000_000, paused_until: Date.now() + 62_500 }),
  );
  await page.waitForSelector("#pause-notice:not([hidden])");
  const first = await page.textContent("#pause-text");
  assert.match(first, /^Waiting for Garmin: continuing in 1:0[23]$/);
  assert.match(await page.textContent("#pause-notice"), /nothing to do/);
  await screenshot(page, "progress-paused");
  await page.waitForFunction((t) => document.querySelector("#pause-text").textContent !== t, first, { timeout: 2500 });
  assert.match(await page.textContent("#pause-text"), /continuing in 1:0[12]$/);
  await page.evaluate(() => window.__fake.progress({ activities_listed: 120, activities_planned: 40, activities_done: 13, bytes_written: 9_500_000 }));
  await page.waitForSelector("#pause-notice", { state: "hidden" });
  await assertClean(page, problems, assert);
  await context.close();
});

test("Cancel: asks the shell, says it is stopping, then shows what was kept", async () => {
  const { page, context, problems } = await startBackup();
  await page.evaluate(() => window.__fake.progress({ activities_listed: 120, activities_planned: 40, activities_done: 5, bytes_written: 3_000_000 }));
  await page.click("#cancel");
  await page.waitForFunction(() => window.__fake.calls.some((c) => c.cmd === "cancel_backup"));
  assert.equal(await page.textContent("#cancel"), "Stopping…");
  assert.equal(await page.isDisabled("#cancel"), true);
  await page.waitForFunction(() => /Stopping after the file in progress/.test(document.querySelector("#progress-phase").textContent));
  await page.evaluate(() =>
    window.__fake.backupEvent({
      type: "finished",
      summary: { activities_new: 5, activities_skipped: 80, activities_failed: 0, files_written: 10, bytes_written: 3_000_000, elapsed_ms: 9000, unavailable: [], failed: [], salvaged: [], cancelled: true, stopped: null },
    }),
  );
  await page.waitForSelector("#summary-title");
  assert.equal(await page.textContent("#summary-title"), "Backup stopped");
  assert.match(await page.textContent("#summary-intro"), /You stopped the backup[\s\S]*complete and kept/);
  assert.equal(await page.textContent("#summary-new .tile-value"), "5");
  await screenshot(page, "summary-cancelled");
  await assertClean(page, problems, assert);
  await context.close();
});

test("summary: backed up, already safe, what Garmin lacks and why, failures with Retry", async () => {
  const { page, context, problems } = await startBackup();
  await page.evaluate((summary) => window.__fake.backupEvent({ type: "finished", summary }), SUMMARY);
  await page.waitForSelector("#summary-title");
  assert.equal(await page.textContent("#summary-title"), "Backup finished, with a few problems");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "summary-title", "focus moves to the result");
  assert.equal(await page.textContent("#summary-new .tile-value"), "112");
  assert.match(await page.textContent("#summary-new .tile-sub"), /48 MB in 2:31/);
  assert.equal(await page.textContent("#summary-skipped .tile-value"), "1,530");
  assert.equal(await page.textContent("#summary-failed .tile-value"), "2");
  assert.equal(await page.textContent("#summary-folder"), "/Users/ana/Garmin backup");

  const unavailable = await page.textContent("#unavailable-section");
  assert.match(unavailable, /Files Garmin doesn't have \(4\)/);
  assert.match(unavailable, /That's fine: nothing is missing/);
  assert.match(unavailable, /GPX, KML: Recorded without GPS/);
  assert.match(unavailable, /Original \(FIT\): Entered by hand/);
  assert.match(unavailable, /<b>Strength<\/b>/);
  assert.equal(await page.locator("#unavailable-section b").count(), 0);

  // A damaged original's tracks: said once, with what was recovered; markup in the name stays text.
  const salvaged = await page.textContent("#salvaged-section");
  assert.match(salvaged, /Tracks recovered from damaged files \(1\)/);
  assert.match(salvaged, /Crashed <i>watch<\/i> run/);
  assert.match(salvaged, /recovered 14,391 points from a damaged original/);
  assert.equal(await page.locator("#salvaged-section i").count(), 0);

  const failed = await page.textContent("#failed-section");
  assert.match(failed, /Long ride\nin the rain/);
  assert.match(failed, /Original \(FIT\): Garmin's servers had a problem/);
  assert.match(failed, /Garmin is taking too long/);
  assert.equal(await page.textContent("#retry"), "Try 2 activities again");
  await screenshot(page, "summary");

  await page.click("#summary-open");
  assert.deepEqual(await page.evaluate(() => window.__fake.calls.find((c) => c.cmd === "open_folder").args), { path: "/Users/ana/Garmin backup" });

  // Retry backs up exactly the failed activities.
  await page.click("#retry");
  await page.waitForSelector("#progress-title");
  assert.equal(await page.textContent("#progress-title"), "Trying again");
  const retry = await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === "start_backup").at(-1).args.request);
  assert.deepEqual(retry.selection.only, [21, 22]);
  await page.evaluate(() =>
    window.__fake.backupEvent({
      type: "finished",
      summary: { activities_new: 2, activities_skipped: 0, activities_failed: 0, files_written: 3, bytes_written: 800_000, elapsed_ms: 2000, unavailable: [], failed: [], salvaged: [], cancelled: false, stopped: null },
    }),
  );
  await page.waitForFunction(() => document.querySelector("#summary-title")?.textContent === "Your activities are backed up");
  assert.equal(await page.locator("#failed-section").count(), 0);
  assert.equal(await page.locator("#salvaged-section").count(), 0, "no damaged original, no section");
  await screenshot(page, "summary-success");

  // Back to the list reads the statuses again.
  const before = await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === "list_activities").length);
  await page.click("#summary-back");
  await page.waitForSelector("#backup-all");
  await page.waitForFunction((n) => window.__fake.calls.filter((c) => c.cmd === "list_activities").length === n + 1, before);
  await assertClean(page, problems, assert);
  await context.close();
});

test("a run stopped by a full disk says what to do", async () => {
  const { page, context } = await startBackup();
  await page.evaluate((summary) =>
    window.__fake.backupEvent({
      type: "finished",
      summary: { ...summary, failed: [], unavailable: [], stopped: { kind: "disk_full", message: "ENOSPC", path: "/Users/ana/Garmin backup/2024" } },
    }), SUMMARY);
  await page.waitForSelector("#summary-title");
  assert.equal(await page.textContent("#summary-title"), "Backup stopped early");
  assert.match(await page.textContent("#summary-intro"), /The disk is full\. Free some space/);
  await screenshot(page, "summary-disk-full");
  await context.close();
});

test("a backup that cannot start goes back to the list with the reason", async () => {
  const { page, context } = await openApp(browser, server.url, {
    ...SIGNED_IN,
    outcomes: { start_backup: [{ err: { kind: "folder_unusable", message: "EACCES", path: "/root" } }] },
  });
  await page.waitForFunction(() => /^120 activities/.test(document.querySelector("#counts")?.textContent ?? ""));
  await page.click("#backup-all");
  await page.waitForSelector("#panel-error:not([hidden])");
  assert.match(await page.textContent("#panel-error"), /This folder can't be used/);
  assert.equal(await page.isEnabled("#backup-all"), true);
  await screenshot(page, "activities-backup-error");
  await context.close();
});

test("a folder the shell refuses is explained in its words, at the folder field", async () => {
  const message = "“//nas/backups” is a folder on another computer. To back up to a network folder, choose it with Choose…";
  const { page, context } = await openApp(browser, server.url, {
    ...SIGNED_IN,
    outcomes: { start_backup: [{ err: { kind: "folder_refused", message, path: "//nas/backups" } }] },
  });
  await page.waitForFunction(() => /^120 activities/.test(document.querySelector("#counts")?.textContent ?? ""));
  await page.fill("#folder", "//nas/backups");
  await page.press("#folder", "Enter");
  await page.click("#backup-all");
  await page.waitForSelector("#panel-error:not([hidden])");
  assert.equal(await page.textContent("#panel-error .notice-title"), "The backup can't go into this folder.");
  assert.equal(await page.textContent("#panel-error .notice-detail"), message);
  assert.equal(await page.getAttribute("#folder", "aria-invalid"), "true");
  assert.equal(await page.getAttribute("#folder", "aria-describedby"), "panel-error");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "folder");
  await screenshot(page, "activities-folder-refused");
  await context.close();
});

test("the progress view in the dark theme", async () => {
  const { page, context } = await openApp(browser, server.url, SIGNED_IN, { colorScheme: "dark" });
  await page.waitForFunction(() => /^120 activities/.test(document.querySelector("#counts")?.textContent ?? ""));
  await page.click("#backup-all");
  await page.waitForSelector("#progress-title");
  await page.evaluate(() =>
    window.__fake.progress({ activities_listed: 120, activities_planned: 80, activities_done: 50, bytes_written: 31_000_000, current: { id: 1, name: "Evening swim" }, paused_until: Date.now() + 30_000 }),
  );
  await page.waitForSelector("#pause-notice:not([hidden])");
  await screenshot(page, "progress-dark");
  await page.evaluate((summary) => window.__fake.backupEvent({ type: "finished", summary }), SUMMARY);
  await page.waitForSelector("#summary-title");
  await screenshot(page, "summary-dark");
  await context.close();
});
