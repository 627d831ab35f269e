// The real desktop app in its real webview (WebKitGTK), driven through tauri-driver.
// Needs a display: `make test` runs this file under xvfb-run and dbus-run-session.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { WebDriver, repoRoot, targetDir, tauriDriverPath } from "./support.mjs";

const app = join(targetDir, "debug", "garmin-connect-export");

async function withApp(args, body) {
  const port = 4444 + Math.floor(Math.random() * 1000);
  const driver = spawn(tauriDriverPath(), ["--port", String(port), "--native-driver", "/usr/bin/WebKitWebDriver"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  // tauri-driver is chatty while it waits for the app; its output matters only on failure.
  const log = [];
  driver.stdout.on("data", (c) => log.push(c));
  driver.stderr.on("data", (c) => log.push(c));
  try {
    const wd = await WebDriver.connect(`http://127.0.0.1:${port}`, {
      "tauri:options": { application: app, args },
    });
    try {
      await body(wd);
    } catch (err) {
      process.stderr.write(Buffer.concat(log));
      throw err;
    } finally {
      await wd.quit().catch(() => {});
    }
  } finally {
    driver.kill("SIGTERM");
  }
}

test("the app opens its window and the page reaches the backend", async () => {
  await withApp([], async (wd) => {
    const status = await wd.waitForText("#status", /^Version \d+\.\d+\.\d+$/);
    assert.equal(await wd.title(), "Garmin Connect Export");
    assert.doesNotMatch(status, /Demo/);
    const dir = join(repoRoot, "tests", "e2e", "artifacts");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "app-window.png"), Buffer.from(await wd.screenshot(), "base64"));
  });
});

test("demo mode says so on the page", async () => {
  await withApp(["--demo"], async (wd) => {
    await wd.waitForText("#status", /Demo account/);
  });
});
