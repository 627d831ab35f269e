// The .deb installed on a clean Debian 12 root: what it put on disk, and the installed app
// running a demo backup in its real webview. `tests/package/run` prepares the root and runs
// this file under Xvfb; it is not meant to run on its own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { filesUnder, freePort, repoRoot, withApp } from "../e2e/support.mjs";

const root = process.env.GCEXPORT_PACKAGE_ROOT;
const nativeDriver = process.env.GCEXPORT_NATIVE_DRIVER;
if (!root || !nativeDriver) throw new Error("run tests/package/run, which installs the package first");
const BIN = "garmin-connect-export";
const artifacts = join(repoRoot, "tests", "e2e", "artifacts", "package");
const DEMO_ACTIVITIES = 300;

test("the package's Depends bring every library the app links", () => {
  const ldd = readFileSync(process.env.GCEXPORT_PACKAGE_LDD, "utf8");
  assert.match(ldd, /libwebkit2gtk-4\.1\.so/, "ldd ran on the installed app");
  const missing = ldd.split("\n").filter((l) => l.includes("not found"));
  assert.deepEqual(missing, [], "libraries no Depends brought in");
});

test("the desktop entry and the icons are installed", () => {
  const apps = join(root, "usr/share/applications");
  const entries = readdirSync(apps).filter((n) => n.endsWith(".desktop"));
  assert.equal(entries.length, 1, `desktop entries: ${entries}`);
  const entry = readFileSync(join(apps, entries[0]), "utf8");
  assert.match(entry, /^Name=Garmin Connect Export$/m);
  assert.match(entry, new RegExp(`^Exec=${BIN}$`, "m"));
  assert.match(entry, new RegExp(`^Icon=${BIN}$`, "m"));
  assert.match(entry, /^Categories=Utility;Archiving;$/m);
  assert.match(entry, /^Comment=.+/m);
  const check = spawnSync("desktop-file-validate", [join(apps, entries[0])], { encoding: "utf8" });
  assert.equal(check.error, undefined, "desktop-file-validate runs (desktop-file-utils)");
  assert.equal(check.status, 0, `desktop-file-validate: ${check.stdout}${check.stderr}`);
  for (const size of ["32x32", "64x64", "128x128", "512x512"]) {
    const icon = join(root, "usr/share/icons/hicolor", size, "apps", `${BIN}.png`);
    assert.ok(existsSync(icon), `${size} icon`);
  }
});

test("the installed app signs in on the demo account and backs it up into a folder", { timeout: 600_000 }, async () => {
  const demoPort = await freePort();
  // A path inside the installed root (not this machine), as the user would type it there.
  const folder = "/srv/Garmin backup";
  const env = {
    GCEXPORT_DEMO_PORT: String(demoPort),
    RUST_LOG: "info,garmin_connect_export=debug,gcexport_connect=debug,gcexport_backup=debug",
  };
  await withApp({ application: `/usr/bin/${BIN}`, nativeDriver, args: ["--demo"], env }, async (wd) => {
    try {
      assert.equal(await wd.title(), "Garmin Connect Export");
      await wd.waitForText("#demo-badge", /Demo account/, 30_000);

      // Garmin's page (the simulator's) in the app's sign-in window.
      const main = await wd.windowHandle();
      await wd.click("#signin-garmin");
      const signin = await wd.waitForNewWindow([main]);
      await wd.switchToWindow(signin);
      await wd.type("#email", "demo@example.com");
      await wd.type("#password", "demo-password");
      await wd.click("#login-btn");
      await wd.switchToWindow(main);
      await wd.waitForWindowClosed(signin);
      await wd.waitForText("#counts", new RegExp(`^${DEMO_ACTIVITIES} activities · `), 60_000);

      await wd.clear("#folder");
      await wd.type("#folder", `${folder}\uE007`);
      const formats = await wd.execute(
        "return [...document.querySelectorAll('input[id^=format-]')].filter((b) => b.checked).map((b) => b.value)",
      );
      assert.ok(formats.length > 0, "some format is ticked");
      // Garmin's own GPX/TCX, so that every file compares byte for byte with the simulator's
      // (by default they are made from the original FIT: issue 16).
      await wd.click("#garmin-tracks");
      await wd.click("#backup-all");
      await wd.waitForText("#summary-title", /backed up/, 300_000);

      // Every file the simulator serves for those formats landed, byte for byte.
      const expected = await (await fetch(`http://127.0.0.1:${demoPort}/__sim/expected`)).json();
      const base = join(root, folder);
      const onDisk = filesUnder(base);
      assert.ok(onDisk.includes("activities.csv"), "activities.csv is written");
      assert.ok(onDisk.every((p) => !p.endsWith(".part")), "no half-written file");
      let want = 0;
      for (const a of expected.activities) {
        for (const f of formats) {
          const spec = a.formats[f];
          if (!spec || spec.status !== 200) continue;
          want += 1;
          const suffix = `_${a.id}.${f === "original" ? "zip" : f}`;
          const found = onDisk.filter((p) => p.endsWith(suffix));
          assert.equal(found.length, 1, `${a.id} ${f}: ${found}`);
          const sha = createHash("sha256").update(readFileSync(join(base, found[0]))).digest("hex");
          assert.equal(sha, spec.sha256, `${a.id} ${f} byte for byte`);
        }
      }
      assert.ok(want > DEMO_ACTIVITIES / 2, `${want} files expected`);
    } catch (err) {
      // What the user would have seen, for the CI log and tests/e2e/artifacts/package/.
      const view = await wd.execute("return `${document.body.dataset.view}: ${document.body.innerText}`").catch((e) => e);
      process.stderr.write(`the page showed ${String(view).slice(0, 2000)}\n`);
      mkdirSync(artifacts, { recursive: true });
      await wd.saveScreenshot(join(artifacts, "failure.png")).catch(() => {});
      throw err;
    }
  });
});
