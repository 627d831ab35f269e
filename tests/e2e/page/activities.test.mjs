// The activities view: header, backup panel, and the list: streamed, virtualised, searchable,
// selectable by mouse and keyboard, and safe with any activity name.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { SIGNED_IN_SESSION, assertClean, backupRequest, openApp, screenshot, startPage, stopPage } from "./support.mjs";

let server, browser;
before(async () => ({ server, browser } = await startPage()));
after(() => stopPage({ server, browser }));

const SIGNED_IN = { session: SIGNED_IN_SESSION };

test("10,000 activities: quick first paint, few DOM rows, the last one reachable", async () => {
  // Garmin's page size (100), a page every 2 ms: the list must show long before the end.
  const { page, context, problems } = await openApp(browser, server.url, { ...SIGNED_IN, activities: 10_000, pageSize: 100, pageDelayMs: 2 });
  // Time from navigation start to the first row painted (first rAF after it exists).
  const firstRowMs = await page.evaluate(
    () =>
      new Promise((ok) => {
        const check = () => {
          if (document.querySelector(".row:not([hidden])")) requestAnimationFrame(() => ok(performance.now()));
          else requestAnimationFrame(check);
        };
        check();
      }),
  );
  await page.waitForFunction(() => /^10,000 activities/.test(document.querySelector("#counts")?.textContent ?? ""), null, { timeout: 20_000 });
  await page.waitForFunction(() => document.querySelector("#list-loading")?.textContent === "");
  const allListedMs = await page.evaluate(() => performance.now());
  console.log(`[measure] 10,000 rows: first row painted at ${firstRowMs.toFixed(0)} ms after navigation; all pages in at ${allListedMs.toFixed(0)} ms`);
  assert.ok(firstRowMs < allListedMs, "the list appears before the last page");

  const domRows = await page.$$eval(".row", (rs) => rs.length);
  assert.ok(domRows < 60, `only visible rows are in the DOM (${domRows})`);
  assert.equal(await page.getAttribute(".row:not([hidden])", "aria-setsize"), "10000");
  assert.match(await page.textContent("#counts"), /10,000 activities · 6,000 in backup · 3,000 to back up/);
  await screenshot(page, "activities");

  // Scroll in big steps, one per frame, and measure frame times while rows are recycled.
  const scroll = await page.evaluate(
    () =>
      new Promise((ok) => {
        const vp = document.querySelector("#activity-list");
        const frames = [];
        let last = performance.now();
        let steps = 0;
        const step = () => {
          const now = performance.now();
          frames.push(now - last);
          last = now;
          vp.scrollTop += 2200;
          if (++steps < 200 && vp.scrollTop + vp.clientHeight < vp.scrollHeight) requestAnimationFrame(step);
          else {
            frames.shift();
            frames.sort((a, b) => a - b);
            ok({ frames: frames.length, median: frames[Math.floor(frames.length / 2)], p95: frames[Math.floor(frames.length * 0.95)], max: frames[frames.length - 1] });
          }
        };
        requestAnimationFrame(step);
      }),
  );
  console.log(`[measure] scrolling 10,000 rows, 2200 px per frame: ${scroll.frames} frames, median ${scroll.median.toFixed(1)} ms, p95 ${scroll.p95.toFixed(1)} ms, max ${scroll.max.toFixed(1)} ms`);
  assert.ok(scroll.p95 < 100, "scrolling stays smooth");

  await page.$eval("#activity-list", (vp) => (vp.scrollTop = vp.scrollHeight));
  await page.waitForFunction(() => [...document.querySelectorAll(".row:not([hidden])")].some((r) => r.getAttribute("aria-posinset") === "10000"));
  const lastId = await page.evaluate(() => window.__fake.activity(9999).id);
  const lastRow = page.locator(`#activity-${lastId}`);
  assert.equal(await lastRow.isVisible(), true, "the last activity is on screen");
  assert.match(await lastRow.textContent(), /#10000/);
  assert.ok((await page.$$eval(".row", (rs) => rs.length)) < 60);

  // End and Home from the keyboard go to the ends too.
  await page.focus("#activity-list");
  await page.keyboard.press("Home");
  const firstId = await page.evaluate(() => window.__fake.activity(0).id);
  await page.waitForSelector(`#activity-${firstId}`);
  assert.equal(await page.getAttribute("#activity-list", "aria-activedescendant"), `activity-${firstId}`);
  await assertClean(page, problems, assert);
  await context.close();
});

test("the list shows the first page while the next ones are still coming", async () => {
  const { page, context, problems } = await openApp(browser, server.url, { ...SIGNED_IN, manual: ["list_activities"] });
  await page.waitForSelector("#list-empty:not([hidden])");
  assert.equal(await page.textContent("#list-empty"), "Loading your activities…");
  await page.evaluate(() => window.__fake.listPage(100, 250));
  await page.waitForSelector(".row:not([hidden])");
  assert.match(await page.textContent("#list-loading"), /Loading… 100 of 250/);
  await screenshot(page, "activities-loading");
  await page.evaluate(() => window.__fake.listPage(100, 250));
  await page.waitForFunction(() => /Loading… 200 of 250/.test(document.querySelector("#list-loading").textContent));
  await page.evaluate(() => {
    window.__fake.listPage(50, 250);
    window.__fake.settle("list_activities", { ok: { activities_listed: 250 } });
  });
  await page.waitForFunction(() => document.querySelector("#list-loading").textContent === "");
  assert.match(await page.textContent("#counts"), /^250 activities/);
  await assertClean(page, problems, assert);
  await context.close();
});

test("names with markup, emoji, RTL text and newlines are shown as text", async () => {
  const { page, context, problems } = await openApp(browser, server.url, { ...SIGNED_IN, activities: 12 });
  await page.waitForSelector(".row:not([hidden])");
  const names = await page.$$eval(".row:not([hidden]) .name", (els) => els.map((e) => e.textContent));
  assert.ok(names.includes("<script>window.__xss = 1</script> #3"));
  assert.ok(names.includes('<img src=x onerror="window.__xss=2"> #4'));
  assert.ok(names.includes("🏊‍♀️ Pool swim 💦 #2"));
  assert.ok(names.includes("ركض الصباح على الشاطئ #5"));
  assert.ok(names.some((n) => n.startsWith("Tempo run\nwith")));
  assert.equal(await page.locator(".row img, .row script").count(), 0);
  // Every row keeps its fixed height, the 300-character name included.
  const heights = await page.$$eval(".row:not([hidden])", (rs) => [...new Set(rs.map((r) => r.getBoundingClientRect().height))]);
  assert.deepEqual(heights, [44]);
  await assertClean(page, problems, assert);
  await context.close();
});

test("search, type and date filters narrow the list and the counts say so", async () => {
  const { page, context } = await openApp(browser, server.url, { ...SIGNED_IN, activities: 400 });
  await page.waitForFunction(() => /^400 activities/.test(document.querySelector("#counts")?.textContent ?? ""));
  await page.fill("#search", "cafe zoe");
  await page.waitForFunction(() => /showing 40$/.test(document.querySelector("#counts").textContent));
  const shown = await page.$$eval(".row:not([hidden]) .name", (els) => els.map((e) => e.textContent));
  assert.ok(shown.every((n) => n.startsWith("Café ride ☕ with Zoë")));
  assert.equal(await page.isVisible("#clear-filters"), true);

  await page.fill("#search", "");
  await page.selectOption("#type-filter", "lap_swimming");
  await page.waitForFunction(() => /showing 50$/.test(document.querySelector("#counts").textContent));
  const types = await page.$$eval(".row:not([hidden]) .type", (els) => [...new Set(els.map((e) => e.textContent))]);
  assert.deepEqual(types, ["Lap swimming"]);

  await page.selectOption("#type-filter", "");
  const day = await page.evaluate(() => window.__fake.activity(10).start_local.slice(0, 10));
  await page.fill("#date-from", day);
  await page.fill("#date-to", day);
  await page.waitForFunction(() => /showing [1-3]$/.test(document.querySelector("#counts").textContent));
  const dates = await page.$$eval(".row:not([hidden])", (rs) => rs.length);
  assert.ok(dates >= 1 && dates <= 3);
  await screenshot(page, "activities-filtered");

  await page.fill("#search", "no such activity anywhere");
  await page.waitForSelector("#list-empty:not([hidden])");
  assert.equal(await page.textContent("#list-empty"), "No activity matches these filters.");
  await page.click("#clear-filters");
  await page.waitForFunction(() => /^400 activities[^·]*·[^·]*·[^·]*$/.test(document.querySelector("#counts").textContent));
  assert.equal(await page.evaluate(() => document.activeElement?.id), "search");
  await context.close();
});

test("rows are selected by click, shift-click and keyboard; Back up selected counts them", async () => {
  const { page, context, problems } = await openApp(browser, server.url, { ...SIGNED_IN, activities: 300 });
  await page.waitForFunction(() => /^300 activities/.test(document.querySelector("#counts")?.textContent ?? ""));
  assert.equal(await page.textContent("#backup-selected"), "Back up selected (0)");
  assert.equal(await page.isDisabled("#backup-selected"), true);
  const id = (i) => page.evaluate((n) => window.__fake.activity(n).id, i);

  await page.click(`#activity-${await id(1)}`);
  await page.click(`#activity-${await id(4)}`, { modifiers: ["Shift"] });
  assert.equal(await page.textContent("#backup-selected"), "Back up selected (4)");
  assert.equal(await page.getAttribute(`#activity-${await id(2)}`, "aria-selected"), "true");
  await page.click(`#activity-${await id(2)} .fake-check`);
  assert.equal(await page.textContent("#backup-selected"), "Back up selected (3)");

  // Keyboard: arrows move, Space toggles, Shift+Down extends, Ctrl+A all, Escape none.
  await page.focus("#activity-list");
  // The last click made row 2 active: three rows down is row 5, not yet selected.
  for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Space");
  assert.equal(await page.textContent("#backup-selected"), "Back up selected (4)");
  await page.keyboard.press("Shift+ArrowDown");
  await page.keyboard.press("Shift+ArrowDown");
  assert.equal(await page.textContent("#backup-selected"), "Back up selected (6)");
  const active = await page.getAttribute("#activity-list", "aria-activedescendant");
  assert.ok(active && (await page.isVisible(`#${active}`)), "the active row exists and is visible");
  await screenshot(page, "activities-selected");
  await page.keyboard.press("Control+a");
  assert.equal(await page.textContent("#backup-selected"), "Back up selected (300)");
  assert.equal(await page.isChecked("#select-all"), true);
  await page.keyboard.press("Escape");
  assert.equal(await page.textContent("#backup-selected"), "Back up selected (0)");
  // PageDown far past the window keeps the active row rendered (virtualised rows).
  for (let i = 0; i < 20; i++) await page.keyboard.press("PageDown");
  const far = await page.getAttribute("#activity-list", "aria-activedescendant");
  assert.ok(far && (await page.isVisible(`#${far}`)));

  await page.click(`#activity-${await page.evaluate(() => document.querySelector(".row:not([hidden])").dataset.id)}`);
  await page.click("#backup-selected");
  const call = await page.evaluate(() => window.__fake.calls.find((c) => c.cmd === "start_backup")?.args.request);
  assert.equal(call.selection.only.length, 1, "exactly the selected activity goes to the engine");
  await assertClean(page, problems, assert);
  await context.close();
});

test("backup panel: demo badge, folder, formats, Choose, Open, Sign out", async () => {
  const { page, context, problems } = await openApp(browser, server.url, { ...SIGNED_IN, demo: true, activities: 30, prefs: { folder: null, formats: ["original"], layout: "x", concurrency: 2, garmin_tracks: false } });
  await page.waitForSelector("#demo-badge");
  assert.equal(await page.textContent("#demo-badge"), "Demo account");
  assert.equal(await page.inputValue("#folder"), "");
  assert.equal(await page.isChecked("#format-original"), true);
  assert.equal(await page.isChecked("#format-gpx"), false);
  await page.waitForFunction(() => /^30 activities/.test(document.querySelector("#counts")?.textContent ?? ""));
  assert.match(await page.textContent("#backup-hint"), /choose where to save/);

  // No format: nothing to back up, and the hint says why.
  await page.uncheck("#format-original");
  assert.equal(await page.isDisabled("#backup-all"), true);
  assert.match(await page.textContent("#backup-hint"), /at least one format/);
  await page.check("#format-tcx");
  await page.check("#format-json");
  const saved = await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === "save_preferences").at(-1).args.preferences.formats);
  assert.deepEqual(saved, ["tcx", "json"]);
  // The statuses are read again for what is ticked now, not for what was saved before.
  const listed = await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === "list_activities").at(-1).args.formats);
  assert.deepEqual(listed, ["tcx", "json"]);
  // Garmin's own tracks: a saved preference, so the request (built once this view is gone)
  // and the automatic backup both see it.
  assert.equal(await page.isChecked("#garmin-tracks"), false);
  await page.check("#garmin-tracks");
  const savedTracks = await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === "save_preferences").at(-1).args.preferences.garmin_tracks);
  assert.equal(savedTracks, true);

  // Back up everything without a folder asks for one first, then starts.
  await page.click("#backup-all");
  await page.waitForSelector("#progress-title");
  const req = await page.evaluate(() => window.__fake.calls.find((c) => c.cmd === "start_backup").args.request);
  // The saved layout and concurrency travel in the request: the shell reads no preferences behind it.
  assert.deepEqual(req, backupRequest({ folder: "/Users/ana/Chosen folder", formats: ["tcx", "json"], layout: "x", concurrency: 2, garminTracks: true }));
  await assertClean(page, problems, assert);
  await context.close();

  // A typed path is used as is; Open opens it; Sign out goes back to sign-in.
  const second = await openApp(browser, server.url, { ...SIGNED_IN, activities: 5 });
  const p2 = second.page;
  await p2.waitForSelector("#folder");
  assert.equal(await p2.inputValue("#folder"), "/Users/ana/Garmin backup");
  await p2.fill("#folder", "/mnt/usb/Garmin");
  await p2.press("#folder", "Enter");
  await p2.click("#open-folder");
  const calls = await p2.evaluate(() => window.__fake.calls.map((c) => [c.cmd, c.args]));
  assert.deepEqual(calls.find(([c]) => c === "open_folder")[1], { path: "/mnt/usb/Garmin" });
  const lists = calls.filter(([c]) => c === "list_activities").map(([, a]) => a.folder);
  assert.deepEqual(lists, ["/Users/ana/Garmin backup", "/mnt/usb/Garmin"], "statuses are read again for the new folder");
  await p2.click("#sign-out");
  await p2.waitForSelector("#signin-garmin");
  assert.ok(await p2.evaluate(() => window.__fake.calls.some((c) => c.cmd === "sign_out")));
  await assertClean(p2, second.problems, assert);
  await second.context.close();
});

test("an expired sign-in while listing goes back to sign-in with a note", async () => {
  const { page, context } = await openApp(browser, server.url, {
    ...SIGNED_IN,
    outcomes: { list_activities: [{ err: { kind: "tokens_expired", message: "401" } }] },
  });
  await page.waitForSelector("#signin-error:not([hidden])");
  assert.match(await page.textContent("#signin-error"), /Please sign in again/);
  await context.close();
});

test("offline while listing: the list says so and the panel stays usable", async () => {
  const { page, context } = await openApp(browser, server.url, {
    ...SIGNED_IN,
    outcomes: { list_activities: [{ err: { kind: "offline", message: "dns" } }] },
  });
  await page.waitForSelector("#panel-error:not([hidden])");
  assert.match(await page.textContent("#panel-error"), /Can't reach Garmin/);
  await screenshot(page, "activities-offline");
  await context.close();
});

test("the activities view in the dark theme", async () => {
  const { page, context } = await openApp(browser, server.url, { ...SIGNED_IN, demo: true, activities: 200 }, { colorScheme: "dark" });
  await page.waitForFunction(() => /^200 activities/.test(document.querySelector("#counts")?.textContent ?? ""));
  await page.click(`#activity-${await page.evaluate(() => window.__fake.activity(2).id)}`);
  await screenshot(page, "activities-dark");
  await context.close();
});

test("preferences that cannot be read: the page starts with the shell's defaults, not its own", async () => {
  // Distinct from every value the page could have of its own, so only the shell's can match.
  const what = { activities: true, health: false, records: false, gear: true };
  const defaults = { folder: null, formats: ["tcx", "kml"], layout: "{id}", concurrency: 7, garmin_tracks: false, what };
  const { page, context, problems } = await openApp(browser, server.url, {
    ...SIGNED_IN,
    activities: 3,
    defaults,
    outcomes: { read_preferences: [{ err: { kind: "unexpected", message: "unreadable" } }] },
  });
  await page.waitForSelector("#format-tcx");
  const ticked = await page.$$eval("fieldset.formats input:checked", (boxes) => boxes.map((b) => b.value));
  assert.deepEqual(ticked, ["tcx", "kml"]);
  const listed = await page.evaluate(() => window.__fake.calls.find((c) => c.cmd === "list_activities").args.formats);
  assert.deepEqual(listed, ["tcx", "kml"]);
  await page.fill("#folder", "/Users/ana/New backup");
  await page.press("#folder", "Enter");
  await page.waitForFunction(() => /^3 activities/.test(document.querySelector("#counts")?.textContent ?? ""));
  await page.click("#backup-all");
  await page.waitForSelector("#progress-title");
  const req = await page.evaluate(() => window.__fake.calls.find((c) => c.cmd === "start_backup").args.request);
  assert.deepEqual(req, backupRequest({ folder: "/Users/ana/New backup", formats: ["tcx", "kml"], layout: "{id}", concurrency: 7, what }));
  await assertClean(page, problems, assert);
  await context.close();
});
