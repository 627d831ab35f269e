// The real app end to end in demo mode (the in-process simulator plays Garmin): sign in
// through the simulator's page in the app's sign-in window, see every activity, back up
// activities and health data into a folder typed into the path field, compare the files
// with what the simulator has, back up again (nothing new), sign out, restart. Screenshots go to artifacts/, or to
// docs/screenshots with `make screenshots` (the README shows those).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";
import { demoBox, screenshotsDir, targetDir, withApp } from "./support.mjs";

const shots = screenshotsDir();

const DEMO_ACTIVITIES = 300;

/** Fills the simulator's sign-in page in the app's second window, then returns to the main one. */
async function signInThroughGarminsPage(wd, email, password, code = null) {
  const main = await wd.windowHandle();
  await wd.click("#signin-garmin");
  const signin = await wd.waitForNewWindow([main]);
  await wd.switchToWindow(signin);
  await wd.type("#email", email);
  await wd.type("#password", password);
  await wd.saveScreenshot(join(shots, code ? "garmin-page-mfa.png" : "garmin-page.png"));
  await wd.click("#login-btn");
  if (code) {
    await wd.waitFor("#mfa-code");
    await wd.waitUntil("return getComputedStyle(document.querySelector('#mfa-code')).display !== 'none' && document.querySelector('#mfa-code').offsetParent !== null", "the code field shows");
    await wd.type("#mfa-code", code);
    await wd.click("#mfa-btn");
  }
  // The app catches the ticket, stops that navigation and closes the window.
  await wd.switchToWindow(main);
  await wd.waitForWindowClosed(signin);
}

async function waitForFullList(wd) {
  const pattern = new RegExp(`^${DEMO_ACTIVITIES} activities · `);
  return wd.waitForText("#counts", pattern, 60_000);
}

function sha256(path) {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function filesUnder(dir) {
  const out = new Map();
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), p);
    }
  };
  walk(dir);
  return out;
}

/** Every file the simulator has for `formats` is on disk, byte for byte, under its id. */
async function assertMatchesSimulator(port, folder, formats) {
  const expected = await (await fetch(`http://127.0.0.1:${port}/__sim/expected`)).json();
  const onDisk = filesUnder(folder);
  assert.ok([...onDisk.keys()].every((p) => !p.endsWith(".part")), "no half-written file");
  let want = 0;
  for (const a of expected.activities) {
    for (const f of formats) {
      const spec = a.formats[f];
      if (!spec || spec.status !== 200) continue;
      want += 1;
      const suffix = `_${a.id}.${f === "original" ? "zip" : f}`;
      const found = [...onDisk.keys()].filter((p) => p.endsWith(suffix));
      assert.equal(found.length, 1, `${a.id} ${f}: ${found}`);
      assert.equal(sha256(onDisk.get(found[0])), spec.sha256, `${a.id} ${f} byte for byte`);
    }
  }
  const exts = formats.map((f) => (f === "original" ? ".zip" : `.${f}`));
  const downloads = [...onDisk.keys()].filter((p) => exts.some((e) => p.endsWith(e))).length;
  assert.equal(downloads, want, "exactly the files the simulator has");
  assert.ok(onDisk.has("activities.csv"), "activities.csv is written");
  return want;
}

const HEALTH_FILES = { summary: "summary.json", sleep: "sleep.json", hrv: "hrv.json", stress: "stress.json", heartRate: "heart_rate.json" };

/**
 * Every day's health answers that hold data are on disk byte for byte, in the day's folder;
 * nothing is kept for a call without data or a day without a device. Returns the days worn.
 */
async function assertHealthMatchesSimulator(port, folder) {
  const expected = await (await fetch(`http://127.0.0.1:${port}/__sim/expected/health`)).json();
  let worn = 0;
  for (const d of expected.days) {
    const dir = join(folder, "health", d.date.slice(0, 4), d.date);
    for (const [key, file] of Object.entries(HEALTH_FILES)) {
      const want = d.calls[key];
      const path = join(dir, file);
      let got = null;
      try {
        got = sha256(path);
      } catch {
        got = null;
      }
      if (want.status === 200 && want.data === true) assert.equal(got, want.sha256, `${d.date} ${file} byte for byte`);
      else assert.equal(got, null, `${d.date}: ${file} kept for a day without it`);
    }
    if (d.worn) worn += 1;
  }
  const onDisk = filesUnder(join(folder, "health"));
  const dayFiles = [...onDisk.keys()].filter((p) => /^\d{4}\/\d{4}-\d{2}-\d{2}\//.test(p));
  const want = expected.days.reduce((n, d) => n + Object.keys(HEALTH_FILES).filter((k) => d.calls[k].status === 200 && d.calls[k].data === true).length, 0);
  assert.equal(dayFiles.length, want, "exactly the days' files the simulator has");
  assert.equal(sha256(join(folder, "health", "personal_records.json")), expected.records.sha256);
  assert.ok(onDisk.has("daily.csv"), "health/daily.csv is written");
  return worn;
}

/**
 * The summary names each format Garmin does not have, activity by activity, exactly as
 * `gcexport --demo -v` does for the same demo account and formats.
 */
async function assertSameMissingAsTheCli(wd, scratch, formats) {
  const shown = await wd.execute(
    "return [...document.querySelectorAll('#unavailable-section li[data-id]')].map((li) => ({ id: li.dataset.id, formats: li.dataset.formats, name: li.querySelector('.detail-name').textContent }))",
  );
  const app = new Set(shown.flatMap((r) => r.formats.split(",").map((f) => `${r.id} ${f} ${r.name}`)));
  const cli = spawnSync(
    join(targetDir, "debug", "gcexport"),
    ["--demo", "-d", join(scratch, "cli-backup"), "-f", formats.join(","), "-v", "--what", "activities"],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 },
  );
  assert.equal(cli.status, 0, cli.stderr);
  const listed = new Set();
  for (const line of cli.stderr.split("\n")) {
    const m = /^ {2}unavailable: (.*) \(activity (\d+)\) (\S+): /.exec(line);
    if (m) listed.add(`${m[2]} ${m[3].toLowerCase()} ${m[1]}`);
  }
  assert.ok(app.size > 0, "the demo account has manual and indoor activities");
  assert.deepEqual([...app].sort(), [...listed].sort());
}

test("demo: sign in on Garmin's page, list, back up, back up again, sign out, restart", { timeout: 600_000 }, async () => {
  const box = await demoBox();
  const folder = join(box.dir, "My Garmin backup");
  try {
    await withApp({ args: ["--demo"], env: box.env }, async (wd) => {
      await wd.waitForText("#signin-garmin", /Sign in with Garmin/);
      await wd.waitForText("#demo-badge", /Demo account/);
      await wd.saveScreenshot(join(shots, "sign-in.png"));

      await signInThroughGarminsPage(wd, "demo@example.com", "demo-password");
      const who = await wd.waitUntil("return document.querySelector('#account-name')?.textContent.trim()", "the account name shows");
      assert.ok(who.length > 0);
      const counts = await waitForFullList(wd);
      assert.match(counts, /0 in backup/);
      const rows = await wd.execute("return document.querySelectorAll('#activity-list [data-id]').length");
      assert.ok(rows > 0, "rows are drawn");
      await wd.saveScreenshot(join(shots, "activities.png"));

      // The folder is typed: a native dialog cannot be driven.
      await wd.clear("#folder");
      await wd.type("#folder", `${folder}\uE007`);
      const formats = await wd.execute(
        "return [...document.querySelectorAll('input[id^=format-]')].filter((b) => b.checked).map((b) => b.value)",
      );
      assert.ok(formats.length > 0, "some format is ticked");
      // Garmin's own GPX/TCX, so that every file can be compared byte for byte with the
      // simulator's (by default they are made from the original FIT, issue 16).
      await wd.click("#garmin-tracks");
      // Activities and health data, both ticked by default; the folder is new, so every day
      // since the oldest activity listed is to fetch.
      assert.equal(await wd.execute("return document.querySelector('#what-activities').checked && document.querySelector('#what-health').checked"), true);
      const days = await wd.waitForText("#health-count", /· [\d,]+ days/, 60_000);
      const toFetch = Number.parseInt(days.replace(/[^\d]/g, ""), 10);
      assert.ok(toFetch >= 400, `${days}: at least the demo's 400 days of health data`);
      await wd.saveScreenshot(join(shots, "activities.png"));
      await wd.click("#backup-all");
      await wd.waitFor("#progress-bar", 30_000);
      await wd.waitForText("#progress-counts", /\d/, 30_000).catch(() => undefined);
      await wd.saveScreenshot(join(shots, "progress.png"));
      // The health part counts days, as many as the card said.
      const health = await wd.waitForText("#progress-counts", /^Health data: [\d,]+ of [\d,]+ days$/, 300_000).catch(() => null);
      if (health) {
        assert.equal(Number.parseInt(health.replace(/^.* of /, "").replace(/\D/g, ""), 10), toFetch, health);
        await wd.saveScreenshot(join(shots, "progress-health.png"));
      }
      await wd.waitForText("#summary-title", /backed up/, 300_000);
      await wd.saveScreenshot(join(shots, "summary.png"));
      const files = await assertMatchesSimulator(box.port, folder, formats);
      const worn = await assertHealthMatchesSimulator(box.port, folder);
      assert.equal(Number.parseInt((await wd.textOf("#health-fetched .tile-value")).replace(/\D/g, ""), 10), worn, "days backed up now");
      assert.match(await wd.textOf("#health-extra"), /^[\d,]+ weigh-ins and [\d,]+ personal records/);
      assert.ok(files > DEMO_ACTIVITIES / 2, `${files} files`);
      await assertSameMissingAsTheCli(wd, box.dir, formats);
      const backedUp = await wd.textOf("#summary-new");
      // Multisport legs count as activities of their own.
      assert.ok(Number.parseInt(backedUp.replace(/\D.*$/s, ""), 10) >= DEMO_ACTIVITIES, backedUp);

      // Back on the list, everything is in the backup; a second run finds nothing new.
      await wd.click("#summary-back");
      await wd.waitForText("#counts", /· 0 to back up/, 60_000);
      await wd.saveScreenshot(join(shots, "activities-backed-up.png"));
      // Only the last few days of health data are asked again (Garmin may still change them).
      assert.match(await wd.textOf("#health-count"), /· 3 days/);
      await wd.click("#backup-all");
      await wd.waitForText("#summary-title", /backed up/, 120_000);
      assert.match(await wd.textOf("#summary-new"), /^0/);
      assert.equal(await wd.textOf("#health-fetched .tile-value"), "0", "the last days have no device in the demo");
      const skipped = await wd.textOf("#summary-skipped");
      assert.ok(Number.parseInt(skipped.replace(/\D.*$/s, ""), 10) >= DEMO_ACTIVITIES, skipped);
      await wd.saveScreenshot(join(shots, "summary-nothing-new.png"));
      await assertMatchesSimulator(box.port, folder, formats);
      await assertHealthMatchesSimulator(box.port, folder);

      await wd.click("#summary-back");
      await wd.click("#sign-out");
      await wd.waitForText("#signin-garmin", /Sign in with Garmin/);
    });
    // Signed out means signed out after a restart too.
    await withApp({ args: ["--demo"], env: box.env }, async (wd) => {
      await wd.waitForText("#signin-garmin", /Sign in with Garmin/);
      assert.equal(await wd.execute("return document.body.dataset.view"), "signin");
    });
  } finally {
    box.cleanup();
  }
});

test("demo: Garmin's page asks for a code, the app signs in once it is entered; no secret reaches the log", { timeout: 120_000 }, async () => {
  const box = await demoBox();
  const logSink = [];
  try {
    const env = { ...box.env, RUST_LOG: "info,garmin_connect_export=debug,gcexport_connect=debug,gcexport_backup=debug" };
    await withApp({ args: ["--demo"], env, logSink }, async (wd) => {
      await wd.waitForText("#signin-garmin", /Sign in with Garmin/);
      await signInThroughGarminsPage(wd, "mfa@example.com", "mfa-password", "123456");
      await waitForFullList(wd);
      await wd.click("#sign-out");
      await wd.waitForText("#signin-garmin", /Sign in with Garmin/);
    });
    const log = Buffer.concat(logSink).toString();
    assert.match(log, /service ticket/, "the app's log was captured");
    for (const secret of ["mfa-password", "123456", "ticket=ST-", "\"ST-", "eyJ", "refresh_token\":"]) {
      assert.ok(!log.includes(secret), `the log shows ${secret}`);
    }
  } finally {
    box.cleanup();
  }
});
