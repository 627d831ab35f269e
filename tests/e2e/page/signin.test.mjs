// The sign-in view: both ways in, the code step, and every error in plain words.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { assertClean, openApp, screenshot, startPage, stopPage } from "./support.mjs";

let server, browser;
before(async () => ({ server, browser } = await startPage()));
after(() => stopPage({ server, browser }));

async function fillAndSubmit(page) {
  await page.fill("#email", "ana@example.com");
  await page.fill("#password", "hunter2");
  await page.click("#signin-submit");
}

test("first start shows both ways to sign in, the Garmin page one first", async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.waitForSelector("#signin-garmin");
  assert.equal(await page.textContent("h1"), "Back up your activities");
  // The buttons a person meets: a hidden notice's "Copy a diagnostic report" is not one of them.
  const order = await page.$$eval("button", (bs) => bs.filter((b) => b.offsetParent !== null).map((b) => b.id));
  assert.equal(order[0], "signin-garmin");
  assert.ok(await page.isChecked("#remember"), "remember me is on by default");
  assert.equal(await page.locator("#demo-badge").count(), 0, "no demo badge outside demo mode");
  // Keyboard: the first Tab reaches the primary button, and focus is visible.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "signin-garmin");
  assert.equal(await page.evaluate(() => document.activeElement?.matches(":focus-visible")), true);
  await screenshot(page, "signin");
  await assertClean(page, problems, assert);
  await context.close();
});

test("Sign in with Garmin waits for the window, then lands on the list", async () => {
  const { page, context, problems } = await openApp(browser, server.url, { manual: ["sign_in_with_garmin"], demo: true });
  await page.waitForSelector("#demo-badge");
  await page.click("#signin-garmin");
  await page.waitForSelector("#signin-garmin:disabled");
  assert.match(await page.textContent("#signin-garmin"), /Waiting for Garmin's window/);
  assert.equal(await page.isDisabled("#signin-submit"), true, "one sign-in at a time");
  await page.evaluate(() => window.__fake.settle("sign_in_with_garmin", { ok: { display_name: "demo", full_name: "Demo Athlete" } }));
  await page.waitForSelector("#account-name");
  assert.equal(await page.textContent("#account-name"), "Demo Athlete");
  assert.equal(await page.textContent("#demo-badge"), "Demo account");
  await assertClean(page, problems, assert);
  await context.close();
});

test("closing Garmin's window is not an error, just a note", async () => {
  const { page, context } = await openApp(browser, server.url, {
    outcomes: { sign_in_with_garmin: [{ err: { kind: "sign_in_cancelled", message: "closed" } }] },
  });
  await page.click("#signin-garmin");
  await page.waitForSelector("#signin-error:not([hidden])");
  assert.match(await page.textContent("#signin-error"), /sign-in window was closed/);
  assert.equal(await page.getAttribute("#signin-error", "class"), "notice info");
  assert.equal(await page.isEnabled("#signin-garmin"), true);
  await context.close();
});

test("email and password, then the code step says where the code went", async () => {
  const { page, context, problems } = await openApp(browser, server.url, {
    outcomes: {
      sign_in_with_password: [{ ok: { status: "needs_code", channel: "email", sent_to: "a•••@example.com" } }],
      submit_code: [{ err: { kind: "wrong_code", message: "bad code" } }],
    },
  });
  // Empty fields are caught here, with the field named, before Garmin is asked.
  await page.click("#signin-submit");
  assert.match(await page.textContent("#email-error"), /fill this in/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "email");

  await fillAndSubmit(page);
  await page.waitForSelector("#code-form:not([hidden])");
  assert.match(await page.textContent("#code-intro"), /emailed a code to a•••@example\.com/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "code", "focus moves to the code");
  assert.equal(await page.isHidden("#signin-garmin"), true);
  await screenshot(page, "signin-code");

  await page.fill("#code", "000000");
  await page.press("#code", "Enter");
  await page.waitForSelector("#signin-error:not([hidden])");
  assert.match(await page.textContent("#signin-error"), /That code didn't work/);
  await screenshot(page, "signin-wrong-code");

  await page.fill("#code", "123 456");
  await page.click("#code-submit");
  await page.waitForSelector("#account-name");
  const calls = await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === "submit_code").map((c) => c.args.code));
  assert.deepEqual(calls, ["000000", "123456"], "spaces in a pasted code are dropped");
  const pw = await page.evaluate(() => window.__fake.calls.find((c) => c.cmd === "sign_in_with_password").args);
  assert.deepEqual(pw, { email: "ana@example.com", password: "hunter2", remember: true });
  await assertClean(page, problems, assert);
  await context.close();
});

test("code step wording for text messages, apps and unknown channels", async () => {
  const cases = [
    [{ channel: "sms", sent_to: "•••• 42" }, /text message to •••• 42/],
    [{ channel: "app", sent_to: null }, /authenticator app/],
    [{ channel: null, sent_to: null }, /email or text message/],
  ];
  for (const [outcome, expected] of cases) {
    const { page, context } = await openApp(browser, server.url, {
      outcomes: { sign_in_with_password: [{ ok: { status: "needs_code", ...outcome } }] },
    });
    await fillAndSubmit(page);
    await page.waitForSelector("#code-form:not([hidden])");
    assert.match(await page.textContent("#code-intro"), expected);
    // "Start over" returns to the password step with the password cleared.
    await page.click("#code-back");
    assert.equal(await page.inputValue("#password"), "");
    assert.equal(await page.isVisible("#signin-garmin"), true);
    await context.close();
  }
});

const ERRORS = [
  ["wrong_credentials", /email and password don't match/, "signin-wrong-password"],
  ["captcha_required", /not a robot[\s\S]*Sign in with Garmin/, null],
  ["account_locked", /account is locked[\s\S]*Reset your password/, "signin-locked"],
  ["offline", /Can't reach Garmin[\s\S]*internet/, "signin-offline"],
  ["timeout", /taking too long/, null],
  ["server", /Garmin's servers had a problem/, null],
  ["ticket_rejected", /didn't go through/, null],
  ["unexpected", /Something unexpected[\s\S]*Details: boom/, null],
];

for (const [kind, expected, shot] of ERRORS) {
  test(`error ${kind} is explained in plain words`, async () => {
    const { page, context, problems } = await openApp(browser, server.url, {
      outcomes: { sign_in_with_password: [{ err: { kind, message: "boom" } }] },
    });
    await fillAndSubmit(page);
    await page.waitForSelector("#signin-error:not([hidden])");
    const text = await page.textContent("#signin-error");
    assert.match(text, expected);
    assert.equal(await page.getAttribute("#signin-error", "role"), "alert");
    assert.equal(await page.getAttribute("#signin-error", "data-kind"), kind);
    assert.equal(await page.isEnabled("#signin-submit"), true, "the form can be used again");
    assert.equal(await page.inputValue("#email"), "ana@example.com", "what was typed is kept");
    if (shot) await screenshot(page, shot);
    await assertClean(page, problems, assert);
    await context.close();
  });
}

test("rate limit: a live countdown, the form waits, the Garmin button stays usable", async () => {
  const { page, context, problems } = await openApp(browser, server.url, {
    outcomes: { sign_in_with_password: [{ err: { kind: "rate_limited", message: "429", inMs: 3200 } }] },
  });
  await fillAndSubmit(page);
  await page.waitForSelector("#signin-error:not([hidden])");
  assert.match(await page.textContent("#signin-error"), /limiting sign-ins/);
  const first = await page.textContent("#cooldown");
  assert.match(first, /try again here in 0:0[34]\. Meanwhile, “Sign in with Garmin” above usually still works/);
  assert.equal(await page.isDisabled("#signin-submit"), true);
  assert.equal(await page.isEnabled("#signin-garmin"), true);
  await screenshot(page, "signin-rate-limited");
  // It ticks...
  await page.waitForFunction((t) => document.querySelector("#cooldown").textContent !== t, first, { timeout: 2000 });
  const second = await page.textContent("#cooldown");
  assert.ok(second < first, `${second} follows ${first}`);
  // ...and ends with the form usable again.
  await page.waitForFunction(() => /try again now/.test(document.querySelector("#cooldown").textContent), null, { timeout: 5000 });
  assert.equal(await page.isEnabled("#signin-submit"), true);
  await assertClean(page, problems, assert);
  await context.close();
});

test("an expired saved sign-in says so on arrival", async () => {
  const { page, context } = await openApp(browser, server.url, { session: { state: "signed_out", reason: "tokens_expired" } });
  await page.waitForSelector("#signin-error:not([hidden])");
  assert.match(await page.textContent("#signin-error"), /Please sign in again[\s\S]*settings are kept/);
  await context.close();
});

test("a remembered sign-in goes straight to the list", async () => {
  const { page, context } = await openApp(browser, server.url, {
    session: { state: "signed_in", account: { display_name: "ana_runs", full_name: null } },
  });
  await page.waitForSelector("#account-name");
  assert.equal(await page.textContent("#account-name"), "ana_runs");
  await context.close();
});

test("the dark theme follows the system", async () => {
  const { page, context } = await openApp(browser, server.url, {}, { colorScheme: "dark" });
  await page.waitForSelector("#signin-garmin");
  const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  assert.equal(bg, "rgb(20, 23, 28)");
  await screenshot(page, "signin-dark");
  await context.close();
});

test("a stuck Garmin window offers the browser: steps, a bad paste said at the field, a good one signs in", async () => {
  const { page, context, problems } = await openApp(browser, server.url, {
    manual: ["sign_in_with_garmin"],
    outcomes: {
      sign_in_with_pasted_address: [
        { err: { kind: "not_a_ticket", message: "That holds no sign-in ticket (a part starting with “ST-”)." } },
        { ok: { display_name: "demo", full_name: "Demo Athlete" } },
      ],
    },
  });
  await page.click("#signin-garmin");
  await page.waitForSelector("#signin-garmin:disabled");
  assert.equal(await page.isHidden("#fallback"), true, "no fallback before the window says it is stuck");
  await page.evaluate(() => window.__fake.channels.signin.send({ kind: "stuck", reason: "no_navigation" }));
  await page.waitForSelector("#fallback:not([hidden])");
  assert.match(await page.textContent("#fallback-reason"), /seems stuck/);
  // The fallback works while Garmin's window is still waited for.
  assert.equal(await page.isEnabled("#fallback-open"), true);
  await page.click("#fallback-open");
  await page.waitForSelector("#fallback-opened:has-text('Opened in your browser')");
  assert.ok((await page.evaluate(() => window.__fake.calls.map((c) => c.cmd))).includes("open_garmin_in_browser"));

  await page.click("#fallback-submit");
  assert.match(await page.textContent("#fallback-address-error"), /Paste the address/);
  await page.fill("#fallback-address", "hello");
  await page.click("#fallback-submit");
  await page.waitForSelector("#fallback-address-error:has-text('no sign-in ticket')");
  assert.equal(await page.getAttribute("#fallback-address", "aria-invalid"), "true");
  assert.equal(await page.isHidden("#signin-error"), true, "a bad paste is the field's problem, not an alert");
  await screenshot(page, "signin-fallback");
  await assertClean(page, problems, assert);

  await page.fill("#fallback-address", "https://mobile.integration.garmin.com/gcm/ios?ticket=ST-1-abc-sso");
  await page.click("#fallback-submit");
  await page.waitForSelector("#account-name");
  const pasted = await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === "sign_in_with_pasted_address").map((c) => c.args.text));
  assert.deepEqual(pasted, ["hello", "https://mobile.integration.garmin.com/gcm/ios?ticket=ST-1-abc-sso"]);
  // Garmin's window giving up afterwards changes nothing.
  await page.evaluate(() => window.__fake.settle("sign_in_with_garmin", { err: { kind: "sign_in_cancelled", message: "closed" } }));
  await page.waitForTimeout(200);
  assert.equal(await page.textContent("#account-name"), "Demo Athlete");
  await context.close();
});

test("a challenge that does not clear says so; Having trouble? opens the same steps", async () => {
  const { page, context } = await openApp(browser, server.url, { manual: ["sign_in_with_garmin"] });
  await page.click("#signin-trouble");
  await page.waitForSelector("#fallback:not([hidden])");
  assert.equal(await page.isHidden("#fallback-reason"), true, "nobody said it was stuck");
  await page.click("#fallback-close");
  assert.equal(await page.isHidden("#fallback"), true);
  await page.click("#signin-garmin");
  await page.evaluate(() => window.__fake.channels.signin.send({ kind: "stuck", reason: "challenge" }));
  await page.waitForSelector("#fallback:not([hidden])");
  assert.match(await page.textContent("#fallback-reason"), /security check/);
  await context.close();
});
