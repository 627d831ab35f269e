// The real app end to end in demo mode (the in-process simulator plays Garmin): sign in
// through the simulator's page in the app's sign-in window, see every activity, back up
// into a folder typed into the path field, compare the files with what the simulator
// has, back up again (nothing new), sign out, restart. Screenshots go to artifacts/, or to
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
    ["--demo", "-d", join(scratch, "cli-backup"), "-f", formats.join(","), "-v"],
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
      await wd.click("#backup-all");
      await wd.waitFor("#progress-bar", 30_000);
      await wd.waitForText("#progress-counts", /\d/, 30_000).catch(() => undefined);
      await wd.saveScreenshot(join(shots, "progress.png"));
      await wd.waitForText("#summary-title", /backed up/, 300_000);
      await wd.saveScreenshot(join(shots, "summary.png"));
      const files = await assertMatchesSimulator(box.port, folder, formats);
      assert.ok(files > DEMO_ACTIVITIES / 2, `${files} files`);
      await assertSameMissingAsTheCli(wd, box.dir, formats);
      const backedUp = await wd.textOf("#summary-new");
      // Multisport legs count as activities of their own.
      assert.ok(Number.parseInt(backedUp.replace(/\D.*$/s, ""), 10) >= DEMO_ACTIVITIES, backedUp);

      // Back on the list, everything is in the backup; a second run finds nothing new.
      await wd.click("#summary-back");
      await wd.waitForText("#counts", /· 0 to back up/, 60_000);
      await wd.saveScreenshot(join(shots, "activities-backed-up.png"));
      await wd.click("#backup-all");
      await wd.waitForText("#summary-title", /backed up/, 120_000);
      assert.match(await wd.textOf("#summary-new"), /^0/);
      const skipped = await wd.textOf("#summary-skipped");
      assert.ok(Number.parseInt(skipped.replace(/\D.*$/s, ""), 10) >= DEMO_ACTIVITIES, skipped);
      await wd.saveScreenshot(join(shots, "summary-nothing-new.png"));
      await assertMatchesSimulator(box.port, folder, formats);

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
