// Benchmark (not a test): the release build of the desktop app under Xvfb through
// tauri-driver. Start-up to an interactive window, and the app process's peak memory
// while it backs up an account served by an external simulator with latency. Writes
// $BENCH_OUT/app.json for `gcexport-bench report`.
//   NO_AT_BRIDGE=1 xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- node bench/app.mjs
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { WebDriver, repoRoot, sleep, targetDir, tauriDriverPath } from "../support.mjs";

const env = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const quick = !!process.env.BENCH_QUICK && process.env.BENCH_QUICK !== "0";
const RUNS = env("BENCH_APP_RUNS", quick ? 1 : 3);
const ACTIVITIES = env("BENCH_APP_ACTIVITIES", quick ? 200 : 1000);
const LATENCY_MS = env("BENCH_LATENCY_MS", 50);
const outDir = resolve(repoRoot, process.env.BENCH_OUT ?? "target/bench");
const appBinary = join(targetDir, "release", "garmin-connect-export");
const simBinary = join(targetDir, "release", "garmin-sim");
for (const bin of [appBinary, simBinary]) {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: cargo build --release -p garmin-connect-export -p gcexport-sim`);
}

async function startSim() {
  const child = spawn(simBinary, ["--port", "0", "--activities", String(ACTIVITIES), "--seed", "42", "--latency-ms", String(LATENCY_MS), "--quiet"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const line = await new Promise((ok, fail) => {
    createInterface({ input: child.stdout }).once("line", ok);
    child.once("exit", (code) => fail(new Error(`garmin-sim exited (${code})`)));
  });
  const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
  if (!m) throw new Error(`garmin-sim said: ${line}`);
  return { url: m[1], stop: () => child.kill("SIGTERM") };
}

/** tauri-driver on a free-ish port, answering /status before anything is timed. */
async function startDriver(appEnv) {
  const port = 5444 + Math.floor(Math.random() * 1000);
  const driver = spawn(tauriDriverPath(), ["--port", String(port), "--native-driver", "/usr/bin/WebKitWebDriver"], {
    stdio: ["ignore", "ignore", "ignore"],
    env: { ...process.env, ...appEnv },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/status`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("tauri-driver did not start");
    await sleep(50);
  }
  return {
    url,
    async stop() {
      driver.kill("SIGTERM");
      await new Promise((ok) => (driver.exitCode !== null ? ok() : driver.once("exit", ok)));
    },
  };
}

function box(simUrl) {
  const dir = mkdtempSync(join(tmpdir(), "gcexport-bench-app-"));
  return {
    dir,
    env: {
      GCEXPORT_CONFIG_DIR: join(dir, "config"),
      GCEXPORT_TOKEN_STORE: `file:${join(dir, "tokens.json")}`,
      GCEXPORT_SERVER_URL: simUrl,
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The app's main process (the one running our binary, not WebKit's helpers); the newest,
 * should an earlier run's app still be on its way out. */
function appPid() {
  const want = realpathSync(appBinary);
  const found = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/exe`) !== want) continue;
      // Field 22 of /proc/PID/stat: the start time, after the parenthesised command name.
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const started = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
      found.push({ pid: Number(name), started });
    } catch {
      // gone, or not ours to read
    }
  }
  if (found.length === 0) throw new Error("the app process was not found");
  found.sort((a, b) => b.started - a.started);
  return found[0].pid;
}

function memKib(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

async function startup(simUrl) {
  const b = box(simUrl);
  const driver = await startDriver(b.env);
  try {
    const t0 = performance.now();
    const wd = await WebDriver.connect(driver.url, { "tauri:options": { application: appBinary } });
    let ms;
    try {
      for (;;) {
        const ready = await wd.execute("const b = document.querySelector('#signin-garmin'); return !!b && !b.disabled && b.offsetParent !== null;").catch(() => false);
        if (ready) {
          ms = performance.now() - t0;
          break;
        }
        if (performance.now() - t0 > 30_000) throw new Error("the sign-in view never became interactive");
        await sleep(10);
      }
    } finally {
      await wd.quit().catch(() => {});
    }
    return { interactive_ms: ms };
  } finally {
    await driver.stop();
    b.cleanup();
  }
}

async function backup(simUrl) {
  const b = box(simUrl);
  const folder = join(b.dir, "backup");
  const driver = await startDriver(b.env);
  try {
    const wd = await WebDriver.connect(driver.url, { "tauri:options": { application: appBinary } });
    try {
      const main = await wd.windowHandle();
      await wd.click("#signin-garmin");
      const signin = await wd.waitForNewWindow([main]);
      await wd.switchToWindow(signin);
      await wd.type("#email", "demo@example.com");
      await wd.type("#password", "demo-password");
      await wd.click("#login-btn");
      await wd.switchToWindow(main);
      await wd.waitForWindowClosed(signin);
      await wd.waitForText("#counts", new RegExp(`^${ACTIVITIES.toLocaleString("en-US")} activities · `), 300_000);
      await wd.clear("#folder");
      await wd.type("#folder", `${folder}\uE007`);
      const pid = appPid();
      const rssBefore = memKib(pid, "VmRSS");
      const t0 = performance.now();
      await wd.click("#backup-all");
      await wd.waitForText("#summary-title", /backed up/, 3_600_000);
      const wall = (performance.now() - t0) / 1000;
      const peak = memKib(pid, "VmHWM");
      return { activities: ACTIVITIES, wall_s: wall, rss_before_backup_mib: rssBefore / 1024, peak_rss_mib: peak / 1024 };
    } finally {
      await wd.quit().catch(() => {});
    }
  } finally {
    await driver.stop();
    b.cleanup();
  }
}

const sim = await startSim();
const result = { latency_ms: LATENCY_MS, startup: [], backup: [] };
try {
  await startup(sim.url); // warm-up: the first start also reads everything from disk
  for (let i = 0; i < RUNS; i++) {
    const r = await startup(sim.url);
    result.startup.push(r);
    console.log(`app start ${i + 1}/${RUNS}: interactive after ${r.interactive_ms.toFixed(0)} ms`);
  }
  for (let i = 0; i < RUNS; i++) {
    const r = await backup(sim.url);
    result.backup.push(r);
    console.log(
      `app backup ${i + 1}/${RUNS}: ${r.activities} activities in ${r.wall_s.toFixed(1)} s; app process ${r.rss_before_backup_mib.toFixed(1)} MiB before, peak ${r.peak_rss_mib.toFixed(1)} MiB`,
    );
  }
} finally {
  sim.stop();
}
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "app.json"), JSON.stringify(result, null, 2));
console.log(`wrote ${join(outDir, "app.json")}`);
