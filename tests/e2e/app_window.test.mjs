// The real desktop app in its real webview (WebKitGTK), driven through tauri-driver.
// Needs a display: `make test` runs this file under xvfb-run and dbus-run-session.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appBox, withApp } from "./support.mjs";

test("the app opens its window and, signed out, shows the sign-in view", async () => {
  const box = appBox("app");
  try {
    // Garmin itself is never contacted: with no saved sign-in, the page asks to sign in.
    await withApp({ env: { ...box.env, GCEXPORT_SERVER_URL: "http://127.0.0.1:9" } }, async (wd) => {
      await wd.waitForText("#signin-title", /Back up your activities/);
      assert.equal(await wd.title(), "Garmin Connect Export");
      await wd.waitForText("#signin-garmin", /Sign in with Garmin/);
      const badges = await wd.execute("return document.querySelectorAll('#demo-badge').length");
      assert.equal(badges, 0, "no demo badge outside demo mode");
    });
  } finally {
    box.cleanup();
  }
});

test("demo mode says so on the page", async () => {
  const box = appBox("app");
  try {
    await withApp({ args: ["--demo"], env: box.env }, async (wd) => {
      await wd.waitForText("#demo-badge", /Demo account/);
    });
  } finally {
    box.cleanup();
  }
});
