// The daily automatic backup in the real app (WebKitGTK under Xvfb, through tauri-driver):
// the start-at-login entry it writes (XDG autostart, in a temporary HOME), one instance only,
// the tray's creation as far as the log shows it, and an automatic run started by the
// schedule in demo mode. Needs a display and a session bus: run it under xvfb-run and
// dbus-run-session, as `make test` does.
//
// What Linux here cannot show: the tray icon itself (Xvfb has no panel and no
// StatusNotifierWatcher, so nobody draws it; the app logs that it made it), clicking its menu
// (no WebDriver reaches a tray menu), notifications on screen (no notification daemon in a
// bare dbus-run-session; the app logs what it would say), starting at an actual login, and
// sleep/wake (the schedule's rules for those are tested with a fake clock in
// crates/backup/tests/schedule.rs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appBinary, sleep, withApp } from "./support.mjs";

const LAYOUT = "{YYYY}/{MM}/{YYYY}-{MM}-{DD}_{hh}-{mm}_{type}_{name}_{id}";

/** A temporary HOME (the autostart entry lands in it), config folder and token file. */
function box({ enabled = false, folder = null } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "gcexport-schedule-"));
  const home = join(dir, "home");
  const config = join(dir, "config");
  mkdirSync(home);
  mkdirSync(config);
  if (enabled) writeFileSync(join(config, "schedule.json"), JSON.stringify({ enabled: true }));
  if (folder) {
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(config, "preferences.json"),
      JSON.stringify({ folder, formats: ["original"], layout: LAYOUT, concurrency: 4 }),
    );
  }
  return {
    dir,
    home,
    autostartDir: join(home, ".config", "autostart"),
    env: {
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      GCEXPORT_CONFIG_DIR: config,
      GCEXPORT_TOKEN_STORE: `file:${join(dir, "tokens.json")}`,
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function waitFor(what, check, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = check();
    if (value) return value;
    await sleep(150);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

const logText = (sink) => Buffer.concat(sink).toString("utf8");

test("turning the daily backup on writes an XDG autostart entry that starts the app hidden; off removes it", async () => {
  const b = box();
  const log = [];
  try {
    await withApp({ env: { ...b.env, GCEXPORT_SERVER_URL: "http://127.0.0.1:9" }, logSink: log }, async (wd) => {
      await wd.waitForText("[data-testid=last-backup]", /No backup yet/);
      const box = await wd.execute("return document.querySelector('[data-testid=auto-backup]').checked");
      assert.equal(box, false, "off by default");
      await wd.click("[data-testid=auto-backup]");
      const entry = await waitFor("the autostart entry", () => {
        if (!existsSync(b.autostartDir)) return null;
        const found = readdirSync(b.autostartDir).filter((n) => n.endsWith(".desktop"));
        return found.length === 1 ? join(b.autostartDir, found[0]) : null;
      });
      const text = readFileSync(entry, "utf8");
      assert.match(text, /^\[Desktop Entry\]$/m);
      assert.match(text, /^Type=Application$/m);
      // The app itself, started hidden in the tray.
      assert.ok(text.includes(`\nExec=${appBinary} --autostart`), text);
      // The desktop's own validator (desktop-file-utils) accepts the entry.
      const validate = spawnSync("desktop-file-validate", [entry], { encoding: "utf8" });
      assert.notEqual(validate.error?.code, "ENOENT", "DESKTOP-FILE-VALIDATE IS MISSING: .ci/install-deps installs desktop-file-utils");
      assert.equal(validate.status, 0, `desktop-file-validate: ${validate.stdout}${validate.stderr}`);
      // The switch is remembered for the next start.
      const saved = JSON.parse(readFileSync(join(b.env.GCEXPORT_CONFIG_DIR, "schedule.json"), "utf8"));
      assert.equal(saved.enabled, true);
      await waitFor("the tray icon", () => logText(log).includes("tray icon shown"));

      await wd.click("[data-testid=auto-backup]");
      await waitFor("the autostart entry removed", () => !existsSync(entry));
      assert.equal(JSON.parse(readFileSync(join(b.env.GCEXPORT_CONFIG_DIR, "schedule.json"), "utf8")).enabled, false);
    });
  } finally {
    b.cleanup();
  }
});

test("started at login, the app stays hidden; a second launch exits and brings the first forward", async () => {
  const scratch = mkdtempSync(join(tmpdir(), "gcexport-schedule-folder-"));
  const b = box({ enabled: true, folder: join(scratch, "backup") });
  const log = [];
  try {
    await withApp({ args: ["--autostart"], env: { ...b.env, GCEXPORT_SERVER_URL: "http://127.0.0.1:9" }, logSink: log }, async (wd) => {
      // The schedule ran at start: no saved sign-in, so it waits for the person (and says so).
      await wd.waitForText("[data-testid=daily-waiting]", /Waiting for you to sign in again/, 30_000);
      assert.equal(await wd.execute("return document.visibilityState"), "hidden", "started hidden, in the tray");
      await waitFor("the tray icon", () => logText(log).includes("tray icon shown"));
      await waitFor("the notice", () => logText(log).includes("Sign in to keep backing up"));

      const started = Date.now();
      const second = spawnSync(appBinary, [], { env: { ...process.env, ...b.env }, encoding: "utf8", timeout: 60_000 });
      assert.equal(second.status, 0, `the second launch: ${second.stderr}`);
      assert.ok(Date.now() - started < 30_000, "the second launch exits at once");
      await waitFor("the first brought forward", () => logText(log).includes("a second launch: the window comes forward"));
      await wd.waitUntil("return document.visibilityState === 'visible'", "the window shows");
      // Still one app with one window.
      assert.equal((await wd.windowHandles()).length, 1);
    });
  } finally {
    b.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
});

test("demo mode: the automatic run at start waits for the sign-in, then backs up by itself and tells it once", async () => {
  const scratch = mkdtempSync(join(tmpdir(), "gcexport-schedule-demo-"));
  const folder = join(scratch, "backup");
  const b = box({ enabled: true, folder });
  const log = [];
  try {
    await withApp({ args: ["--demo"], env: b.env, logSink: log }, async (wd) => {
      await wd.waitForText("[data-testid=daily-waiting]", /Waiting for you to sign in again/, 30_000);
      const main = await wd.windowHandle();
      await wd.click("#signin-garmin");
      const signin = await wd.waitForNewWindow([main]);
      await wd.switchToWindow(signin);
      await wd.type("#email", "demo@example.com");
      await wd.type("#password", "demo-password");
      await wd.click("#login-btn");
      await wd.switchToWindow(main);
      await wd.waitForWindowClosed(signin);
      // Nobody presses anything: the schedule notices the sign-in and runs.
      const last = await wd.waitForText("[data-testid=last-backup]", /^Last backup: today \d\d:\d\d, \d+ new$/, 240_000);
      const count = Number(/, (\d+) new$/.exec(last)[1]);
      assert.ok(count > 0, last);
      const zips = [];
      const walk = (d) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          if (e.isDirectory()) walk(join(d, e.name));
          else if (e.name.endsWith(".zip")) zips.push(e.name);
        }
      };
      walk(folder);
      assert.ok(zips.length > 0 && zips.length <= count + 50, `${zips.length} originals for ${count} new`);
      assert.ok(existsSync(join(folder, "activities.csv")));
      const told = logText(log).match(/new activit(y|ies) backed up/g) ?? [];
      assert.equal(told.length, 1, "one notification for the run");
    });
  } finally {
    b.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
});
