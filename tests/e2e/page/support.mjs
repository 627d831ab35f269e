// The page alone: ui/dist served on loopback with the app's own CSP, Debian's Chromium, and
// the fake shell (fake-backend.js) injected before the page's scripts.
import { createServer } from "node:http";
import { readFile, mkdir } from "node:fs/promises";
import { readFileSync, existsSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";
import { chromiumArgs, repoRoot } from "../support.mjs";

const dist = join(repoRoot, "ui", "dist");
export const artifacts = join(repoRoot, "tests", "e2e", "artifacts");
const fakeBackend = readFileSync(new URL("./fake-backend.js", import.meta.url), "utf8");
const csp = JSON.parse(readFileSync(join(repoRoot, "tauri.conf.json"), "utf8")).app.security.csp;

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png" };

/** Serves ui/dist on 127.0.0.1:<free port> with the desktop app's CSP header. */
export async function serveDist() {
  if (!existsSync(join(dist, "index.html"))) throw new Error("ui/dist is missing: run 'npm run build' in ui/ first");
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(dist, path === "/" ? "index.html" : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "content-security-policy": csp });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

export async function launch() {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs });
}

/**
 * What every page test file starts with and ends with: ui/dist served and Chromium launched,
 * once per file (`before`), then both closed (`after`):
 *   let server, browser;
 *   before(async () => ({ server, browser } = await startPage()));
 *   after(() => stopPage({ server, browser }));
 */
export async function startPage() {
  const server = await serveDist();
  return { server, browser: await launch() };
}

export async function stopPage({ server, browser }) {
  await browser?.close();
  await server?.close();
}

/** The fake shell's signed-in session: a person whose display name is not their full name. */
export const SIGNED_IN_SESSION = { state: "signed_in", account: { display_name: "ana_runs", full_name: "Ana Lima" } };

/**
 * A fresh page on the app with the given fake-shell scenario. Collects CSP violations and
 * page errors, so a test can assert the page stays inside `default-src 'self'`.
 */
export async function openApp(browser, baseUrl, config = {}, { colorScheme = "light", viewport = { width: 1100, height: 760 } } = {}) {
  const context = await browser.newContext({ viewport, colorScheme, reducedMotion: "reduce" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  await page.addInitScript((cfg) => {
    window.__fakeConfig = cfg;
    document.addEventListener("securitypolicyviolation", (e) => {
      (window.__csp ??= []).push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  }, config);
  await page.addInitScript({ content: fakeBackend });
  await page.goto(baseUrl);
  return { page, context, problems };
}

export async function screenshot(page, name) {
  await mkdir(artifacts, { recursive: true });
  // Let the last frame (and any transition) settle so the picture is what a person sees.
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(artifacts, `page-${name}.png`) });
}

/** Asserts nothing broke the CSP, threw, or ran an activity's name as code. */
export async function assertClean(page, problems, assert) {
  const csp = await page.evaluate(() => window.__csp ?? []);
  assert.deepEqual(csp, [], "no CSP violation");
  assert.deepEqual(problems, [], "no page error");
  assert.equal(await page.evaluate(() => window.__xss), undefined, "no activity name ran as code");
}

/** `backup::DEFAULT_TEMPLATE`, the engine's default file names. */
export const DEFAULT_LAYOUT = "{YYYY}/{MM}/{YYYY}-{MM}-{DD}_{hh}-{mm}_{type}_{name}_{id}";

/** The whole `BackupRequest` the page sends: the engine's shape, nothing left to the shell. */
export function backupRequest({ folder, formats, only = null, layout = DEFAULT_LAYOUT, concurrency = 4, garminTracks = false, what = null }) {
  return {
    folder,
    formats,
    layout,
    classic: null,
    concurrency,
    selection: { count: null, start_date: null, end_date: null, types: [], exclude: [], only },
    mode: "incremental",
    unzip: false,
    original_time: false,
    garmin_tracks: garminTracks,
    // Everything the card ticks; chosen activities are activities only (and their gear).
    what: what ?? (only ? { activities: true, health: false, records: false, gear: true } : { activities: true, health: true, records: true, gear: true }),
    health_since: null,
    health_until: null,
  };
}

export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

const axeSource = readFileSync(join(repoRoot, "tests", "e2e", "node_modules", "axe-core", "axe.min.js"), "utf8");

/**
 * axe-core's WCAG 2.1 A and AA rules, and its best practices (landmarks), over what the page shows now. Evaluated through the
 * DevTools protocol, so the app's CSP (no inline scripts) stays as strict as in the app.
 * Returns each violation as "rule: target (summary)" lines, ready for an assertion message.
 */
export async function axeViolations(page) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
      resultTypes: ["violations"],
    });
    return result.violations.map((v) => ({
      id: v.id,
      nodes: v.nodes.map((n) => `${n.target.join(" ")} (${n.failureSummary?.split("\n").slice(1).join(" ").trim() ?? ""})`),
    }));
  });
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n}`));
}
