// Every view audited with axe-core against WCAG 2.1 AA, in light and dark mode, as a
// newcomer meets it: sign-in, the activity list (every status pill), progress, the summary
// (with what is missing and what failed), and the import form.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { SIGNED_IN_SESSION, assertClean, axeViolations, openApp, startPage, stopPage } from "./support.mjs";

let server, browser;
before(async () => ({ server, browser } = await startPage()));
after(() => stopPage({ server, browser }));

const SIGNED_IN = {
  session: SIGNED_IN_SESSION,
  activities: 30,
  // The daily backup's strip above every view, waiting for the person.
  schedule: { enabled: true, last_backup: "today 07:12, 2 new", last_success: 0, next_check: null, waiting_for: "sign_in" },
};

const SUMMARY = {
  activities_new: 3,
  activities_skipped: 20,
  activities_failed: 1,
  files_written: 6,
  bytes_written: 2_000_000,
  elapsed_ms: 9000,
  unavailable: [
    { id: 11, name: "Pool swim", format: "gpx", reason: "no_track" },
    { id: 12, name: "Yoga", format: "original", reason: "manual" },
  ],
  failed: [{ id: 21, name: "Long ride", format: "original", error: { kind: "server", message: "HTTP 502" } }],
  salvaged: [],
  cancelled: false,
  stopped: null,
  import: null,
};

async function audit(page, view, scheme) {
  // Transitions are off (reducedMotion), but let the last frame settle before measuring colours.
  await page.waitForTimeout(100);
  const found = await axeViolations(page);
  assert.deepEqual(found, [], `${view} (${scheme}): WCAG 2.1 AA violations:\n${found.join("\n")}`);
}

for (const colorScheme of ["light", "dark"]) {
  test(`every view passes axe-core's WCAG 2.1 AA rules (${colorScheme})`, async () => {
    const signedOut = await openApp(browser, server.url, {}, { colorScheme });
    await signedOut.page.waitForSelector("#signin-garmin");
    await audit(signedOut.page, "sign-in", colorScheme);
    await signedOut.page.click("#import-export");
    await signedOut.page.waitForSelector("#import-title");
    await audit(signedOut.page, "import", colorScheme);
    await assertClean(signedOut.page, signedOut.problems, assert);
    await signedOut.context.close();

    const { page, context, problems } = await openApp(browser, server.url, SIGNED_IN, { colorScheme });
    await page.waitForFunction(() => /^30 activities/.test(document.querySelector("#counts")?.textContent ?? ""));
    await page.waitForSelector("#daily-backup:not([hidden])");
    // Every status pill is on screen, so each one's contrast is measured.
    for (const status of ["in_backup", "new", "unavailable", "failed"]) {
      assert.ok(await page.$(`.pill.${status}`), `a ${status} pill is shown`);
    }
    await audit(page, "activities", colorScheme);
    await page.click("#backup-all");
    await page.waitForSelector("#progress-title");
    await page.evaluate(() =>
      window.__fake.backupEvent({ type: "progress", activities_listed: 30, activities_planned: 5, activities_done: 2, activities_failed: 0, bytes_written: 1_000_000, current: { id: 3, name: "Run" }, paused_until: null }),
    );
    await audit(page, "progress", colorScheme);
    await page.evaluate((summary) => window.__fake.backupEvent({ type: "finished", summary }), SUMMARY);
    await page.waitForSelector("#summary-title");
    await audit(page, "summary", colorScheme);
    await assertClean(page, problems, assert);
    await context.close();
  });
}
