// Garmin's sign-in window against each way Garmin's page behaved in embedded browsers
// (docs/sign-in-window.md), in the real app in demo mode: the simulator's page variant is
// chosen with GCEXPORT_DEMO_SIGN_IN_PAGE. Each test signs in for real: the ticket is issued
// by the simulator and exchanged by the app.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { appBox, openGarminsWindow, withApp } from "./support.mjs";

/** The demo app with Garmin's sign-in page as `variant`, tokens in memory only. */
const box = (variant, extra = {}) =>
  appBox("variant", { tokens: "memory", env: { GCEXPORT_DEMO_SIGN_IN_PAGE: variant, ...extra } });

/** Opens Garmin's window from the main one and fills its form; leaves the driver in it. */
async function fillGarminsPage(wd, main) {
  await wd.waitForText("#signin-garmin", /Sign in with Garmin/);
  const signin = await openGarminsWindow(wd, main);
  await wd.type("#email", "demo@example.com");
  await wd.type("#password", "demo-password");
  return signin;
}

/** The app's log lines (its stderr, through the drivers), without terminal colours. */
function logText(sink) {
  // eslint-disable-next-line no-control-regex
  return Buffer.concat(sink).toString("utf8").replace(/\x1b\[[0-9;]*m/g, "");
}

/** Signs in with Garmin's window on `variant`, with `finish` doing what the page needs after Submit. */
async function signInThrough(variant, via, finish = async () => {}) {
  const b = box(variant);
  const log = [];
  try {
    await withApp({ args: ["--demo"], env: b.env, logSink: log }, async (wd) => {
      const main = await wd.windowHandle();
      const signin = await fillGarminsPage(wd, main);
      await wd.click("#login-btn");
      await finish(wd);
      await wd.switchToWindow(main);
      await wd.waitForWindowClosed(signin, 20_000);
      await wd.waitFor("#sign-out", 30_000);
      assert.match(logText(log), new RegExp(`handed over a service ticket.*via="?${via}`));
      assert.equal((await wd.windowHandles()).length, 1, "a second window was left open");
    });
  } finally {
    b.cleanup();
  }
}

test("ticket by redirect: the page navigates to the service and the hook catches it", { timeout: 120_000 }, async () => {
  const b = box("redirect");
  const log = [];
  try {
    await withApp({ args: ["--demo"], env: b.env, logSink: log }, async (wd) => {
      const main = await wd.windowHandle();
      const signin = await fillGarminsPage(wd, main);
      // A stock desktop browser's user agent, with no mark of this app or its toolkit.
      const ua = await wd.execute("return navigator.userAgent");
      assert.match(ua, /^Mozilla\/5\.0 \(.+\) AppleWebKit\/[\d.]+ \(KHTML, like Gecko\)/);
      assert.doesNotMatch(ua, /tauri|wry|garmin|gcexport|electron/i);
      // The window holds no capability: Tauri refuses every command from it.
      const ipc = await wd.execute(
        "const i = window.__TAURI_INTERNALS__; if (!i) return 'no ipc';" +
          "return i.invoke('app_info').then(() => 'allowed', (e) => 'refused: ' + e);",
      );
      assert.notEqual(ipc, "allowed");
      await wd.click("#login-btn");
      await wd.switchToWindow(main);
      await wd.waitForWindowClosed(signin, 20_000);
      await wd.waitFor("#sign-out", 30_000);
      assert.match(logText(log), /handed over a service ticket.*via="?navigation/);
    });
  } finally {
    b.cleanup();
  }
});

test("ticket by HTTP redirect: a 302 to the service is caught too", { timeout: 120_000 }, async () => {
  await signInThrough("http-redirect", "(navigation|page-load)");
});

test("ticket by new window: window.open stays in the sign-in window and is caught", { timeout: 120_000 }, async () => {
  await signInThrough("new-window", "window-open");
});

test("ticket by a target=_blank link: the click stays in the sign-in window and is caught", { timeout: 120_000 }, async () => {
  await signInThrough("new-tab", "(navigation|new-window)", async (wd) => {
    await wd.click("#continue-link").catch((err) => {
      // The click's own navigation carries the ticket: the app may close the window before
      // the driver answers the click. That the window closes is checked next.
      if (!/no such window/.test(String(err))) throw err;
    });
  });
});

test("ticket by JSON only: the page never navigates; the script catches the ticket in its answer", { timeout: 120_000 }, async () => {
  await signInThrough("json-only", "answer");
});

/** What a person does in their own browser: load the page (its cookies), sign in, read the address. */
async function signInLikeABrowser(pageUrl) {
  const page = new URL(pageUrl);
  const service = page.searchParams.get("service");
  const loaded = await fetch(page);
  assert.equal(loaded.status, 200);
  const cookies = loaded.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const login = new URL("/mobile/api/login", page.origin);
  login.searchParams.set("clientId", page.searchParams.get("clientId") ?? "GCM_IOS_DARK");
  login.searchParams.set("locale", "en-US");
  login.searchParams.set("service", service);
  const answer = await fetch(login, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", cookie: cookies, origin: page.origin },
    body: JSON.stringify({ username: "demo@example.com", password: "demo-password", rememberMe: true, captchaToken: "" }),
  });
  const body = await answer.json();
  assert.equal(body.responseStatus?.type, "SUCCESSFUL", JSON.stringify(body.responseStatus));
  assert.match(body.serviceTicketId, /^ST-/);
  return `${service}?ticket=${body.serviceTicketId}`;
}

async function waitForFile(path, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(path)) {
      const text = readFileSync(path, "utf8");
      if (text.endsWith("\n")) return text;
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`${path} was never written`);
}

test("a stall after Submit -> the browser fallback -> a pasted address -> signed in", { timeout: 150_000 }, async () => {
  const b = box("stall", { GCEXPORT_SIGN_IN_STALL_SECONDS: "3" });
  const opened = join(b.dir, "opened.txt");
  b.env.GCEXPORT_RECORD_OPENED = opened;
  try {
    await withApp({ args: ["--demo"], env: b.env }, async (wd) => {
      const main = await wd.windowHandle();
      const signin = await fillGarminsPage(wd, main);
      await wd.click("#login-btn");
      await wd.switchToWindow(main);
      assert.equal(await wd.execute("return document.querySelector('#fallback').hidden"), true, "the fallback showed before any stall");
      // The page said nothing for 3 s after Submit: the app offers the browser.
      await wd.waitForText("#fallback-reason", /seems stuck/, 20_000);
      // Garmin's window stays open meanwhile: the person may still finish there.
      assert.ok((await wd.windowHandles()).includes(signin));

      await wd.click("#fallback-open");
      await wd.waitForText("#fallback-opened", /Opened in your browser/);
      const recorded = (await waitForFile(opened)).trim().split("\n");
      assert.equal(recorded.length, 1, recorded.join("\n"));
      const pageUrl = new URL(recorded[0]);
      assert.equal(pageUrl.hostname, "127.0.0.1", "demo mode opens the simulator's page");
      assert.equal(pageUrl.pathname, "/mobile/sso/en_US/sign-in");
      assert.ok(pageUrl.searchParams.get("service"), "the page names the service its ticket is for");

      // A paste without a ticket: said next to the field, and nothing else happens.
      await wd.type("#fallback-address", "https://sso.garmin.com/portal/sso/en-US/sign-in");
      await wd.click("#fallback-submit");
      await wd.waitForText("#fallback-address-error", /no sign-in ticket/);
      assert.equal(await wd.execute("return document.querySelector('#sign-out') === null"), true);

      const address = await signInLikeABrowser(recorded[0]);
      await wd.clear("#fallback-address");
      await wd.type("#fallback-address", address);
      await wd.click("#fallback-submit");
      await wd.waitFor("#sign-out", 30_000);
      // Signed in the other way: Garmin's stuck window is closed.
      await wd.waitForWindowClosed(signin, 10_000);
    });
  } finally {
    b.cleanup();
  }
});

test("a CDN challenge that does not clear: the app offers the browser", { timeout: 120_000 }, async () => {
  const b = box("challenge", { GCEXPORT_SIGN_IN_STALL_SECONDS: "3" });
  try {
    await withApp({ args: ["--demo"], env: b.env }, async (wd) => {
      const main = await wd.windowHandle();
      await wd.waitForText("#signin-garmin", /Sign in with Garmin/);
      await wd.click("#signin-garmin");
      const signin = await wd.waitForNewWindow([main]);
      await wd.switchToWindow(signin);
      await wd.waitForText("#challenge-title", /security verification/);
      await wd.switchToWindow(main);
      await wd.waitForText("#fallback-reason", /security check/, 20_000);
      assert.ok(await wd.find("#fallback-open"));
    });
  } finally {
    b.cleanup();
  }
});

test("\"Having trouble?\" shows the browser steps without any window", { timeout: 120_000 }, async () => {
  const b = box("redirect");
  try {
    await withApp({ args: ["--demo"], env: b.env }, async (wd) => {
      await wd.waitForText("#signin-trouble", /Having trouble/);
      assert.equal(await wd.execute("return document.querySelector('#fallback').hidden"), true);
      await wd.click("#signin-trouble");
      assert.equal(await wd.execute("return document.querySelector('#fallback').hidden"), false);
      assert.equal(await wd.execute("return document.querySelector('#fallback-reason').hidden"), true);
      assert.equal((await wd.windowHandles()).length, 1);
    });
  } finally {
    b.cleanup();
  }
});
