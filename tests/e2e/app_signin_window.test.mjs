// Garmin's sign-in window in the real app (demo mode: the simulator plays Garmin's page on
// loopback): it goes nowhere over plain http except this computer, and signing out of the
// app signs its page out too (its cookies are gone, so the page asks again).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { networkInterfaces } from "node:os";
import { appBox, openGarminsWindow, sleep, withApp } from "./support.mjs";

async function sessionCookie(wd) {
  const cookies = await wd.cmd("GET", "/cookie");
  return cookies.find((c) => c.name === "SESSION")?.value;
}

test("signing out clears Garmin's cookies: the page starts a new session and asks again", { timeout: 120_000 }, async () => {
  const box = appBox("signin");
  try {
    await withApp({ args: ["--demo"], env: box.env }, async (wd) => {
      await wd.waitForText("#signin-garmin", /Sign in with Garmin/);
      const main = await wd.windowHandle();
      const first = await openGarminsWindow(wd, main);
      const before = await sessionCookie(wd);
      assert.ok(before, "the page set its session cookie");
      await wd.type("#email", "demo@example.com");
      await wd.type("#password", "demo-password");
      await wd.click("#login-btn");
      await wd.switchToWindow(main);
      await wd.waitForWindowClosed(first);
      await wd.waitFor("#sign-out", 30_000);
      await wd.click("#sign-out");
      await wd.waitForText("#signin-garmin", /Sign in with Garmin/);

      await openGarminsWindow(wd, main);
      const after = await sessionCookie(wd);
      assert.ok(after, "the page set its session cookie again");
      assert.notEqual(after, before, "the signed-in session of Garmin's page survived the sign-out");
      // And the page asks: its form is there, empty.
      assert.equal(await wd.execute("return document.querySelector('#password').value"), "");
    });
  } finally {
    box.cleanup();
  }
});

test("the sign-in window does not go to a plain http page elsewhere than this computer", { timeout: 120_000 }, async () => {
  // A plain http server on this computer's network address (not loopback): what an
  // attacker's page on the network would be.
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
  assert.ok(address, "this test needs a non-loopback IPv4 address on this machine, and found none");
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(req.url);
    res.end("<!DOCTYPE html><title>plain http</title><p id=plain>plain http</p>");
  });
  await new Promise((ok) => server.listen(0, "0.0.0.0", ok));
  const plain = `http://${address}:${server.address().port}/sign-in`;
  const box = appBox("signin");
  try {
    await withApp({ args: ["--demo"], env: box.env }, async (wd) => {
      await wd.waitForText("#signin-garmin", /Sign in with Garmin/);
      const main = await wd.windowHandle();
      await openGarminsWindow(wd, main);
      // The simulator's page itself is plain http on loopback, which stays allowed.
      const page = await wd.execute("return location.href");
      assert.match(page, /^http:\/\/127\.0\.0\.1:\d+\//);
      await wd.execute(`location.href = ${JSON.stringify(plain)}; return null;`);
      await sleep(2500);
      assert.deepEqual(requests, [], "the window fetched the plain http page");
      assert.equal(await wd.execute("return location.href"), page);
      assert.ok(await wd.find("#email"), "Garmin's page is still shown");
    });
  } finally {
    server.close();
    box.cleanup();
  }
});
