// The backup card's two parts (activities, health data) with what each has left to fetch,
// saved as preferences and sent in the request; progress by day for the health part; the
// summary of both.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { assertClean, axeViolations, backupRequest, launch, openApp, screenshot, serveDist } from "./support.mjs";

let server;
let browser;
before(async () => {
  server = await serveDist();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const SIGNED_IN = {
  session: { state: "signed_in", account: { display_name: "ana_runs", full_name: "Ana Lima" } },
  activities: 40,
  healthDays: 412,
};

const ALL = { activities: true, health: true, records: true, gear: true };

async function listed(config = {}) {
  const app = await openApp(browser, server.url, { ...SIGNED_IN, ...config });
  await app.page.waitForFunction(() => /^40 activities/.test(document.querySelector("#counts")?.textContent ?? ""));
  return app;
}

test("the card offers activities and health data, each with what it has left to fetch", async () => {
  const { page, context, problems } = await listed();
  assert.equal(await page.isChecked("#what-activities"), true);
  assert.equal(await page.isChecked("#what-health"), true);
  // The fake list: 40 activities, 3 in 10 new or failed.
  assert.equal(await page.textContent("#activities-count"), " · 12 to back up");
  assert.equal(await page.textContent("#health-count"), " · 412 days");
  assert.match(await page.textContent("label:has(#what-health)"), /^Health data · 412 days/);
  assert.equal(await page.textContent("#backup-hint"), "12 activities and 412 days of health data to download. Only what's new is downloaded.");
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, "card-health");

  // Health data alone: saved at once (the request is built from the preferences later).
  await page.uncheck("#what-activities");
  const saved = await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === "save_preferences").at(-1).args.preferences.what);
  assert.deepEqual(saved, { activities: false, health: true, records: true, gear: false });
  assert.equal(await page.textContent("#backup-hint"), "412 days of health data to download. Only what's new is downloaded.");
  // Nothing ticked: nothing to back up.
  await page.uncheck("#what-health");
  assert.equal(await page.isDisabled("#backup-all"), true);
  assert.match(await page.textContent("#backup-hint"), /Tick activities, health data or both/);
  await page.check("#what-health");
  assert.equal(await page.isDisabled("#backup-all"), false);
  await page.click("#backup-all");
  await page.waitForSelector("#progress-title");
  const req = await page.evaluate(() => window.__fake.calls.find((c) => c.cmd === "start_backup").args.request);
  assert.deepEqual(req, backupRequest({ folder: "/Users/ana/Garmin backup", formats: ["original", "gpx"], what: { activities: false, health: true, records: true, gear: false } }));
  await assertClean(page, problems, assert);
  await context.close();
});

test("saved choices come back ticked; a folder with everything asks for no day", async () => {
  const what = { activities: true, health: false, records: false, gear: true };
  const { page, context, problems } = await listed({
    healthDays: 0,
    prefs: { folder: "/Users/ana/Garmin backup", formats: ["original"], layout: "{id}", concurrency: 4, garmin_tracks: false, what },
  });
  assert.equal(await page.isChecked("#what-activities"), true);
  assert.equal(await page.isChecked("#what-health"), false);
  assert.equal(await page.textContent("#health-count"), " · 0 days");
  await page.click("#backup-all");
  await page.waitForSelector("#progress-title");
  const req = await page.evaluate(() => window.__fake.calls.find((c) => c.cmd === "start_backup").args.request);
  assert.deepEqual(req.what, what);
  await assertClean(page, problems, assert);
  await context.close();
});

test("progress counts days for the health part, then the summary reports both parts", async () => {
  const { page, context, problems } = await listed();
  await page.click("#backup-all");
  await page.waitForSelector("#progress-title");
  const req = await page.evaluate(() => window.__fake.calls.find((c) => c.cmd === "start_backup").args.request);
  assert.deepEqual(req.what, ALL);
  await page.evaluate(() => window.__fake.progress({ activities_listed: 40, activities_planned: 16, activities_done: 16, bytes_written: 9_000_000 }));
  await page.waitForFunction(() => document.querySelector("#progress-counts").textContent === "16 of 16 activities");
  await page.evaluate(() =>
    window.__fake.progress({ activities_listed: 40, activities_planned: 16, activities_done: 16, bytes_written: 9_000_000, health: { days_planned: 412, days_done: 118, days_failed: 2 } }),
  );
  await page.waitForFunction(() => document.querySelector("#progress-counts").textContent === "Health data: 120 of 412 days");
  assert.equal(await page.textContent("#progress-title"), "Backing up your health data");
  assert.equal(await page.textContent("#progress-percent"), "29%");
  assert.equal(await page.getAttribute("#progress-bar", "aria-valuenow"), "29");
  assert.match(await page.getAttribute("#progress-bar", "aria-valuetext"), /Health data: 120 of 412 days/);
  assert.equal(await page.textContent("#progress-failed"), "2");
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, "progress-health");

  await page.evaluate(() =>
    window.__fake.backupEvent({
      type: "finished",
      summary: {
        activities_new: 16, activities_skipped: 24, activities_failed: 0, files_written: 30, bytes_written: 9_000_000, elapsed_ms: 64_000,
        unavailable: [], failed: [], salvaged: [], cancelled: false, stopped: null, import: null,
        health: {
          first_day: "2025-09-26", last_day: "2026-11-10", days_fetched: 380, days_skipped: 0, days_empty: 30, days_failed: 2,
          weigh_ins: 147, records: 7, failures: [{ day: "2026-03-04", message: "HTTP 502" }, { day: "2026-03-05", message: "<b>HTTP 502</b>" }], stopped: null,
        },
      },
    }),
  );
  await page.waitForSelector("#summary-title");
  assert.equal(await page.textContent("#summary-title"), "Backup finished, with a few problems");
  assert.equal(await page.textContent("#summary-new .tile-value"), "16");
  assert.equal(await page.textContent("#health-fetched .tile-value"), "380");
  assert.match(await page.textContent("#health-fetched .tile-sub"), /30 days without a device/);
  assert.equal(await page.textContent("#health-skipped .tile-value"), "0");
  assert.equal(await page.textContent("#health-failed .tile-value"), "2");
  assert.equal(await page.textContent("#health-extra"), "147 weigh-ins and 7 personal records in your folder.");
  assert.equal(await page.textContent("#health-range"), "Days from 2025-09-26 to 2026-11-10.");
  assert.match(await page.textContent("#health-failures"), /2026-03-04HTTP 502/);
  assert.equal(await page.locator("#health-failures b").count(), 0, "a message stays text");
  assert.deepEqual(await axeViolations(page), []);
  await screenshot(page, "summary-health");
  await assertClean(page, problems, assert);
  await context.close();
});

test("health data alone: no activity tiles, a heading for the days", async () => {
  const { page, context, problems } = await listed();
  await page.uncheck("#what-activities");
  await page.click("#backup-all");
  await page.waitForSelector("#progress-title");
  await page.evaluate(() =>
    window.__fake.backupEvent({
      type: "finished",
      summary: {
        activities_new: 0, activities_skipped: 0, activities_failed: 0, files_written: 0, bytes_written: 0, elapsed_ms: 5_000,
        unavailable: [], failed: [], salvaged: [], cancelled: false, stopped: null, import: null,
        health: { first_day: "2026-11-01", last_day: "2026-11-10", days_fetched: 3, days_skipped: 7, days_empty: 0, days_failed: 0, weigh_ins: 1, records: 1, failures: [], stopped: null },
      },
    }),
  );
  await page.waitForSelector("#summary-title");
  assert.equal(await page.textContent("#summary-title"), "Your health data is backed up");
  assert.equal(await page.isHidden("#summary-new"), true);
  assert.equal(await page.textContent("#health-skipped .tile-value"), "7");
  assert.equal(await page.textContent("#health-extra"), "1 weigh-in and 1 personal record in your folder.");
  await assertClean(page, problems, assert);
  await context.close();
});

test("Cancel during the health part: the backup stopped, said once, the days so far reported", async () => {
  const { page, context, problems } = await listed();
  await page.click("#backup-all");
  await page.waitForSelector("#progress-title");
  await page.evaluate(() => window.__fake.progress({ activities_listed: 40, activities_planned: 12, activities_done: 12, health: { days_planned: 412, days_done: 40, days_failed: 0 } }));
  await page.waitForFunction(() => document.querySelector("#progress-counts").textContent === "Health data: 40 of 412 days");
  await page.click("#cancel");
  await page.waitForFunction(() => /Stopping after the days in progress/.test(document.querySelector("#progress-phase").textContent));
  await page.evaluate(() =>
    window.__fake.backupEvent({
      type: "finished",
      summary: {
        activities_new: 12, activities_skipped: 28, activities_failed: 0, files_written: 24, bytes_written: 5_000_000, elapsed_ms: 20_000,
        unavailable: [], failed: [], salvaged: [], cancelled: true, stopped: null, import: null,
        health: { first_day: "2025-09-26", last_day: "2026-11-10", days_fetched: 38, days_skipped: 0, days_empty: 2, days_failed: 0, weigh_ins: 3, records: 0, failures: [], stopped: "cancelled" },
      },
    }),
  );
  await page.waitForSelector("#summary-title");
  assert.equal(await page.textContent("#summary-title"), "Backup stopped");
  assert.equal(await page.textContent("#health-fetched .tile-value"), "38");
  assert.equal(await page.locator("#health-stopped").count(), 0, "the cancel is said once");
  await assertClean(page, problems, assert);
  await context.close();
});

test("Garmin's 429 during the health part: the same countdown, then the days go on", async () => {
  const { page, context, problems } = await listed();
  await page.click("#backup-all");
  await page.waitForSelector("#progress-title");
  await page.evaluate(() =>
    window.__fake.progress({ activities_listed: 40, activities_planned: 12, activities_done: 12, paused_until: Date.now() + 62_500, health: { days_planned: 412, days_done: 200, days_failed: 0 } }),
  );
  await page.waitForSelector("#pause-notice:not([hidden])");
  assert.match(await page.textContent("#pause-text"), /^Waiting for Garmin: continuing in 1:0[23]$/);
  assert.equal(await page.textContent("#progress-counts"), "Health data: 200 of 412 days");
  await page.evaluate(() => window.__fake.progress({ activities_listed: 40, activities_planned: 12, activities_done: 12, health: { days_planned: 412, days_done: 210, days_failed: 0 } }));
  await page.waitForSelector("#pause-notice", { state: "hidden" });
  assert.equal(await page.textContent("#progress-counts"), "Health data: 210 of 412 days");
  await assertClean(page, problems, assert);
  await context.close();
});
