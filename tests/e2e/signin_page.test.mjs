// The simulator's Garmin sign-in pages in a real browser (Debian's Chromium): the desktop
// app's sign-in window shows these pages in demo mode and in its tests, so they must work
// the way Garmin's do, ending on a navigation to `<service>?ticket=ST-...`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { chromiumArgs, startSim } from "./support.mjs";

const MOBILE_SERVICE = "https://mobile.integration.garmin.com/gcm/android";
const PORTAL_SERVICE = "https://connect.garmin.com/app";

let sim;
let browser;

before(async () => {
  sim = await startSim(["--activities", "20", "--seed", "7"]);
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs });
});

after(async () => {
  await browser?.close();
  sim?.stop();
});

/** Opens a sign-in page; resolves the ticket URL the page navigates to (never loaded). */
async function openSignIn(path, service) {
  const context = await browser.newContext();
  const page = await context.newPage();
  let landed;
  const ticketUrl = new Promise((ok) => {
    landed = ok;
  });
  // The service URL is Garmin's, unreachable from here: catch the navigation as the app does.
  await context.route(`${service}**`, async (route) => {
    landed(route.request().url());
    await route.fulfill({ status: 200, contentType: "text/html", body: "<p>caught</p>" });
  });
  await page.goto(`${sim.baseUrl}${path}&service=${encodeURIComponent(service)}`);
  return { page, context, ticketUrl };
}

function ticketOf(url, service) {
  const parsed = new URL(url);
  assert.equal(`${parsed.origin}${parsed.pathname}`, service);
  const ticket = parsed.searchParams.get("ticket");
  assert.match(ticket ?? "", /^ST-[0-9]+-[A-Za-z0-9]+-sso$/);
  return ticket;
}

async function exchange(ticket, service) {
  const res = await fetch(`${sim.baseUrl}/di-oauth2-service/oauth/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from("GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2:").toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    },
    body: new URLSearchParams({
      client_id: "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2",
      service_ticket: ticket,
      grant_type: "https://connectapi.garmin.com/di-oauth2-service/oauth/grant/service_ticket",
      service_url: service,
    }),
  });
  return res;
}

test("mobile page: email and password end on the service with a ticket that exchanges once", async () => {
  const { page, context, ticketUrl } = await openSignIn(
    "/mobile/sso/en_US/sign-in?clientId=GCM_ANDROID_DARK",
    MOBILE_SERVICE,
  );
  await page.fill("#email", "demo@example.com");
  await page.fill("#password", "demo-password");
  await page.click("#login-btn");
  const ticket = ticketOf(await ticketUrl, MOBILE_SERVICE);
  const first = await exchange(ticket, MOBILE_SERVICE);
  assert.equal(first.status, 200);
  assert.ok((await first.json()).access_token);
  assert.equal((await exchange(ticket, MOBILE_SERVICE)).status, 400, "a ticket is single use");
  await context.close();
});

test("portal page: MFA by email asks for the code, says where it went, then succeeds", async () => {
  const { page, context, ticketUrl } = await openSignIn(
    "/portal/sso/en-US/sign-in?clientId=GarminConnect",
    PORTAL_SERVICE,
  );
  await page.fill("#email", "mfa@example.com");
  await page.fill("#password", "mfa-password");
  await page.click("#login-btn");
  await page.waitForSelector("#mfa-code", { state: "visible" });
  assert.match(await page.textContent("body"), /m\*+@example\.com/);
  await page.fill("#mfa-code", "000000");
  await page.click("#mfa-btn");
  await page.waitForFunction(() => (document.querySelector("#error")?.textContent ?? "").trim() !== "");
  await page.fill("#mfa-code", "123456");
  await page.click("#mfa-btn");
  ticketOf(await ticketUrl, PORTAL_SERVICE);
  await context.close();
});

test("a wrong password shows an error and stays on the page", async () => {
  const { page, context } = await openSignIn("/mobile/sso/en_US/sign-in?clientId=GCM_ANDROID_DARK", MOBILE_SERVICE);
  await page.fill("#email", "demo@example.com");
  await page.fill("#password", "not-the-password");
  await page.click("#login-btn");
  await page.waitForFunction(() => (document.querySelector("#error")?.textContent ?? "").trim() !== "");
  assert.ok(page.url().startsWith(sim.baseUrl));
  const stats = await sim.stats();
  assert.ok(stats.logins >= 1);
  await context.close();
});
