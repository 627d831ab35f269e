// Benchmark (not a test): the page with 10,000 activities in headless Chromium, the shell
// faked over mocked IPC as in the page tests. Prints the figures and writes
// $BENCH_OUT/page.json for `gcexport-bench report`. Run from the repository root or anywhere.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { repoRoot } from "../support.mjs";
import { launch, serveDist } from "../page/support.mjs";

const env = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const quick = !!process.env.BENCH_QUICK && process.env.BENCH_QUICK !== "0";
const RUNS = env("BENCH_PAGE_RUNS", quick ? 2 : 5);
const ROWS = env("BENCH_PAGE_ROWS", 10_000);
const PAGE_SIZE = 100;
// A page every 2 ms: faster than any Garmin, so what is measured is the page, not the feed.
const PAGE_DELAY_MS = env("BENCH_PAGE_DELAY_MS", 2);
const STEP_PX = env("BENCH_SCROLL_STEP_PX", 600);
const SCROLL_FRAMES = env("BENCH_SCROLL_FRAMES", 300);
const outDir = resolve(repoRoot, process.env.BENCH_OUT ?? "target/bench");

// Before the page's own scripts: watch for the first frame with rows in it, and note when
// the list was asked for (the fake shell sends its first page in that same task).
const probe = `(() => {
  const b = (window.__bench = { listAskedAt: null, rowsAt: null, paintedAt: null });
  const watch = (t) => {
    if (b.rowsAt === null && document.querySelector(".row:not([hidden])")) {
      b.rowsAt = t;
      // The frame with rows is painted before the next frame starts.
      requestAnimationFrame((t2) => { b.paintedAt = t2; });
      return;
    }
    requestAnimationFrame(watch);
  };
  requestAnimationFrame(watch);
  const wrap = () => {
    const internals = window.__TAURI_INTERNALS__;
    if (!internals || internals.__benchWrapped) return;
    const invoke = internals.invoke;
    internals.invoke = (cmd, args, opts) => {
      if (cmd === "list_activities" && b.listAskedAt === null) b.listAskedAt = performance.now();
      return invoke(cmd, args, opts);
    };
    internals.__benchWrapped = true;
  };
  document.addEventListener("DOMContentLoaded", wrap);
  queueMicrotask(wrap);
})();`;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function once(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.addInitScript((cfg) => {
    window.__fakeConfig = cfg;
  }, {
    session: { state: "signed_in", account: { display_name: "ana_runs", full_name: "Ana Lima" } },
    activities: ROWS,
    pageSize: PAGE_SIZE,
    pageDelayMs: PAGE_DELAY_MS,
  });
  const { readFileSync } = await import("node:fs");
  await page.addInitScript({ content: readFileSync(join(repoRoot, "tests", "e2e", "page", "fake-backend.js"), "utf8") });
  await page.addInitScript({ content: probe });
  await page.goto(url);
  await page.waitForFunction(() => window.__bench.paintedAt !== null, null, { timeout: 30_000 });
  await page.waitForFunction(
    (n) => (document.querySelector("#counts")?.textContent ?? "").startsWith(`${n.toLocaleString("en-US")} activities`) &&
      document.querySelector("#list-loading")?.textContent === "",
    ROWS,
    { timeout: 60_000 },
  );
  // The frame after the last page's render.
  const allIn = await page.evaluate(() => new Promise((ok) => requestAnimationFrame((t) => ok(t))));
  const b = await page.evaluate(() => window.__bench);
  const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);

  const scroll = await page.evaluate(
    ({ step, maxFrames }) =>
      new Promise((ok) => {
        const vp = document.querySelector("#activity-list");
        vp.scrollTop = 0;
        const deltas = [];
        let last = null;
        let frames = 0;
        let down = true;
        const tick = (t) => {
          if (last !== null) deltas.push(t - last);
          last = t;
          // Down to the end, then back up: the whole list, rows recycled every frame.
          if (down && vp.scrollTop + vp.clientHeight >= vp.scrollHeight - 1) down = false;
          else if (!down && vp.scrollTop <= 0) down = true;
          vp.scrollTop += down ? step : -step;
          if (++frames <= maxFrames) requestAnimationFrame(tick);
          else ok(deltas);
        };
        requestAnimationFrame(tick);
      }),
    { step: STEP_PX, maxFrames: SCROLL_FRAMES },
  );
  const sorted = [...scroll].sort((x, y) => x - y);
  const total = scroll.reduce((s, x) => s + x, 0);
  const frameMs = 1000 / 60;
  const result = {
    first_contentful_paint_ms: fcp,
    list_asked_ms: b.listAskedAt,
    first_paint_ms: b.paintedAt,
    first_paint_after_first_page_ms: b.listAskedAt === null ? null : b.paintedAt - b.listAskedAt,
    all_rows_painted_ms: allIn,
    dom_rows: await page.$$eval(".row", (rs) => rs.length),
    scroll: {
      frames: scroll.length,
      p50_ms: percentile(sorted, 0.5),
      p95_ms: percentile(sorted, 0.95),
      max_ms: sorted[sorted.length - 1],
      // A frame that took more than one and a half refresh intervals missed its slot.
      dropped: scroll.filter((d) => d > frameMs * 1.5).length,
      fps: (scroll.length / total) * 1000,
    },
    errors,
  };
  await context.close();
  return result;
}

const server = await serveDist();
const browser = await launch();
const runs = [];
try {
  // One warm-up load: the first one also pays for Chromium's own start and disk cache.
  await once(browser, server.url);
  for (let i = 0; i < RUNS; i++) {
    const r = await once(browser, server.url);
    runs.push(r);
    console.log(
      `page ${i + 1}/${RUNS}: FCP ${r.first_contentful_paint_ms?.toFixed(0)} ms, list asked at ${r.list_asked_ms?.toFixed(0)} ms, ` +
        `rows painted at ${r.first_paint_ms.toFixed(0)} ms (+${r.first_paint_after_first_page_ms?.toFixed(0)} ms), all ${ROWS} in at ${r.all_rows_painted_ms.toFixed(0)} ms; ` +
        `scroll ${r.scroll.frames} frames p50 ${r.scroll.p50_ms.toFixed(1)} p95 ${r.scroll.p95_ms.toFixed(1)} max ${r.scroll.max_ms.toFixed(1)} ms, ` +
        `${r.scroll.dropped} dropped, ${r.scroll.fps.toFixed(1)} fps${r.errors.length ? `; errors: ${r.errors.join("; ")}` : ""}`,
    );
    if (r.errors.length) process.exitCode = 1;
  }
} finally {
  await browser.close();
  await server.close();
}
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "page.json"), JSON.stringify({ rows: ROWS, page_size: PAGE_SIZE, page_delay_ms: PAGE_DELAY_MS, scroll_step_px: STEP_PX, runs }, null, 2));
console.log(`wrote ${join(outDir, "page.json")}`);
