// The real app imports Garmin's account data export, end to end, with no sign-in: the
// sign-in view's "I have a Garmin data export", the import form, progress, the summary, the
// files on disk, and back to the start. The export is one the simulator writes
// (`garmin-sim --write-export`).
//
// The export picker is a native dialog, which would block the WebDriver session. The app
// answers it with GCEXPORT_PICK_EXPORT when that is set (a test-only variable, documented
// in src-tauri/lib.rs `env`), so the page's own flow runs: the button, the command, the
// path it returns. The destination folder is typed, as app_demo.test.mjs does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { filesUnder, screenshotsDir, targetDir, withApp } from "./support.mjs";

const shots = screenshotsDir();

test("import: the sign-in view's export button, the form, progress, summary, files on disk", { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "gcexport-import-"));
  const exportZip = join(dir, "garmin export.zip");
  const folder = join(dir, "My Garmin backup");
  try {
    const sim = spawnSync(join(targetDir, "debug", "garmin-sim"), ["--activities", "60", "--seed", "5", "--write-export", exportZip], {
      encoding: "utf8",
    });
    assert.equal(sim.status, 0, `garmin-sim --write-export: ${sim.stderr}`);
    const env = {
      GCEXPORT_CONFIG_DIR: join(dir, "config"),
      GCEXPORT_TOKEN_STORE: "memory",
      GCEXPORT_PICK_EXPORT: exportZip,
    };
    await withApp({ args: ["--demo"], env }, async (wd) => {
      await wd.waitForText("#import-export", /I have a Garmin data export/);
      await wd.click("#import-export");
      await wd.waitForText("#import-title", /Import your Garmin data export/);
      assert.equal(await wd.execute("return document.querySelector('#export-path').value"), exportZip);
      assert.equal(await wd.textOf("#export-name"), "garmin export.zip");
      await wd.clear("#import-folder");
      await wd.type("#import-folder", folder);
      await wd.saveScreenshot(join(shots, "import.png"));

      await wd.click("#import-start");
      await wd.waitForText("#progress-title", /Importing your activities/, 30_000);
      await wd.waitForText("#summary-title", /imported/, 240_000);
      await wd.saveScreenshot(join(shots, "import-summary.png"));
      const imported = Number.parseInt((await wd.textOf("#summary-new")).replace(/\D.*$/s, ""), 10);
      assert.ok(imported >= 60, `${imported} activities imported`);
      // The simulator's export holds one upload of an activity deleted since.
      assert.match(await wd.textOf("#unmatched-title"), /Not matched \(1\)/);
      const unmatched = await wd.execute("return document.querySelector('#unmatched-section .detail-name').textContent");
      assert.match(unmatched, /^[^/\\]+\.fit$/, "the file by its name");

      const onDisk = filesUnder(folder);
      assert.ok(onDisk.includes("activities.csv"), "activities.csv is written");
      assert.ok(onDisk.every((p) => !p.endsWith(".part")), "no half-written file");
      const originals = onDisk.filter((p) => p.endsWith(".zip") || p.endsWith(".fit")).length;
      assert.ok(originals > 30, `${originals} originals`);
      const rows = readFileSync(join(folder, "activities.csv"), "utf8").trim().split("\n").length - 1;
      assert.ok(rows >= imported, `${rows} CSV rows`);

      await wd.click("#summary-back");
      await wd.waitForText("#signin-garmin", /Sign in with Garmin/);
      assert.equal(await wd.execute("return document.body.dataset.view"), "signin");
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
