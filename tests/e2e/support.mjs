// Shared plumbing for the end-to-end tests: the simulator as a child process, Debian's
// Chromium through playwright-core, and a small W3C WebDriver client for tauri-driver.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const targetDir = process.env.CARGO_TARGET_DIR ?? join(repoRoot, "target");

/** Starts `garmin-sim` on a free port; resolves once it says where it listens. */
export async function startSim(args = []) {
  const bin = join(targetDir, "debug", "garmin-sim");
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run 'cargo build -p gcexport-sim' first`);
  const child = spawn(bin, ["--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const stderr = [];
  child.stderr.on("data", (chunk) => stderr.push(chunk));
  const lines = createInterface({ input: child.stdout });
  const baseUrl = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("garmin-sim did not start in 20 s")), 20_000);
    lines.once("line", (line) => {
      clearTimeout(timer);
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      m ? ok(m[1]) : fail(new Error(`unexpected first line: ${line}`));
    });
    child.once("exit", (code) => fail(new Error(`garmin-sim exited (${code}): ${Buffer.concat(stderr)}`)));
  });
  return {
    baseUrl,
    async stats() {
      return (await fetch(`${baseUrl}/__sim/stats`)).json();
    },
    stop() {
      child.kill("SIGTERM");
    },
  };
}

/** A port free on loopback now (the system picks it), for a server the test starts next. */
export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/**
 * A private folder for one run of the app: its own config folder and token store (a file in
 * the folder, or `memory`), so no test sees another's sign-in; `env` adds variables.
 */
export function appBox(name, { tokens = "file", env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `gcexport-${name}-`));
  return {
    dir,
    env: {
      GCEXPORT_CONFIG_DIR: join(dir, "config"),
      GCEXPORT_TOKEN_STORE: tokens === "memory" ? "memory" : `file:${join(dir, "tokens.json")}`,
      ...env,
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An app box whose demo simulator listens on a port the test knows (to ask it what it expects). */
export async function demoBox() {
  const port = await freePort();
  return { ...appBox("demo", { env: { GCEXPORT_DEMO_PORT: String(port) } }), port };
}

/** Where screenshots go: docs/screenshots with `make screenshots` (the README's), else artifacts/app. */
export function screenshotsDir() {
  const dir = process.env.GCEXPORT_SCREENSHOTS
    ? join(repoRoot, process.env.GCEXPORT_SCREENSHOTS)
    : join(repoRoot, "tests", "e2e", "artifacts", "app");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Every file below `dir`, as paths relative to it. */
export function filesUnder(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** Opens Garmin's sign-in window from the main one, switches to it, waits for its form. */
export async function openGarminsWindow(wd, main) {
  await wd.click("#signin-garmin");
  const signin = await wd.waitForNewWindow([main]);
  await wd.switchToWindow(signin);
  await wd.waitFor("#email");
  return signin;
}

export const chromiumArgs = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A minimal W3C WebDriver client: just what the tests need, with errors that say why. */
export class WebDriver {
  constructor(url, sessionId) {
    this.url = url;
    this.sessionId = sessionId;
  }

  static async connect(url, capabilities, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const res = await call(url, "POST", "/session", { capabilities: { alwaysMatch: capabilities } });
        return new WebDriver(url, res.sessionId);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(250);
      }
    }
  }

  cmd(method, path, body) {
    return call(this.url, method, `/session/${this.sessionId}${path}`, body);
  }
  title() {
    return this.cmd("GET", "/title");
  }
  async find(css) {
    const el = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return Object.values(el)[0];
  }
  async textOf(css) {
    return this.cmd("GET", `/element/${await this.find(css)}/text`);
  }
  /** Polls until `css` shows text matching `pattern`, so tests wait on behaviour, not time. */
  async waitForText(css, pattern, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      try {
        last = await this.textOf(css);
        if (pattern.test(last)) return last;
      } catch {
        // not rendered yet
      }
      await sleep(100);
    }
    throw new Error(`${css} never matched ${pattern}; last text: ${JSON.stringify(last)}`);
  }
  screenshot() {
    return this.cmd("GET", "/screenshot");
  }
  quit() {
    return call(this.url, "DELETE", `/session/${this.sessionId}`);
  }
}

async function call(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${res.status} ${JSON.stringify(json.value)}`);
  return json.value;
}

export function sleep(ms) {
  return new Promise((ok) => setTimeout(ok, ms));
}

/** tauri-driver from PATH or from cargo's bin folder. */
export function tauriDriverPath() {
  const cargoBin = join(process.env.CARGO_HOME ?? join(homedir(), ".cargo"), "bin", "tauri-driver");
  return existsSync(cargoBin) ? cargoBin : "tauri-driver";
}

// --- The desktop app through tauri-driver (used by app_*.test.mjs) -----------------------

/** The debug build of the desktop app. */
export const appBinary = join(targetDir, "debug", "garmin-connect-export");

/**
 * Starts tauri-driver, opens a session on the app (with `args`, and `env` added to the
 * environment the app inherits), runs `body(wd)`, and always ends both. The driver's
 * output is printed only when the body fails.
 */
/**
 * Runs `body` with a WebDriver session on the app (by default the one built here; the
 * installed-package test passes the installed one and its own native driver).
 */
export async function withApp(
  { args = [], env = {}, logSink = null, application = appBinary, nativeDriver = "/usr/bin/WebKitWebDriver" } = {},
  body,
) {
  // Both ports free ones the system hands out: two runs on one machine (worktrees side by
  // side) must not meet on the native driver's default port, and a port picked at random
  // was once taken (the session never opened: "fetch failed" after 30 s).
  const port = await freePort();
  const nativePort = await freePort();
  const driverArgs = ["--port", String(port), "--native-port", String(nativePort)];
  const driver = spawn(tauriDriverPath(), [...driverArgs, "--native-driver", nativeDriver], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const log = [];
  driver.stdout.on("data", (c) => log.push(c));
  driver.stderr.on("data", (c) => log.push(c));
  // The app's own stderr reaches us through the drivers; a test may read it (secrets).
  if (logSink) {
    driver.stdout.on("data", (c) => logSink.push(c));
    driver.stderr.on("data", (c) => logSink.push(c));
  }
  try {
    const wd = await WebDriver.connect(`http://127.0.0.1:${port}`, {
      "tauri:options": { application, args },
    }).catch((err) => {
      // Why the driver never answered is in its own output.
      process.stderr.write(Buffer.concat(log));
      throw err;
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
    await new Promise((ok) => (driver.exitCode !== null ? ok() : driver.once("exit", ok)));
    // An app that outlived its session (a quit that failed on a loaded machine) holds the
    // driver's stdout and stderr open, which would keep this test file from ever exiting:
    // end it and let go of the pipes. Tests run one at a time, so the only app running our
    // binary is this session's.
    await endLeftoverApps(application);
    driver.stdout.destroy();
    driver.stderr.destroy();
  }
}

async function endLeftoverApps(application) {
  const pids = () => {
    const found = [];
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const argv0 = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")[0];
        if (argv0 === application) found.push(Number(entry));
      } catch {
        // Gone between the listing and the read.
      }
    }
    return found;
  };
  for (const signal of ["SIGTERM", "SIGKILL"]) {
    const left = pids();
    if (left.length === 0) return;
    for (const pid of left) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
    await new Promise((ok) => setTimeout(ok, 1000));
  }
}

Object.assign(WebDriver.prototype, {
  windowHandle() {
    return this.cmd("GET", "/window");
  },
  windowHandles() {
    return this.cmd("GET", "/window/handles");
  },
  switchToWindow(handle) {
    return this.cmd("POST", "/window", { handle });
  },
  /** Waits for a window other than `known` to appear; returns its handle. */
  async waitForNewWindow(known, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const handles = await this.windowHandles();
      const fresh = handles.find((h) => !known.includes(h));
      if (fresh) return fresh;
      await sleep(100);
    }
    throw new Error(`no new window within ${timeoutMs} ms`);
  },
  /** Waits until the window `handle` is gone. */
  async waitForWindowClosed(handle, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!(await this.windowHandles()).includes(handle)) return;
      await sleep(100);
    }
    throw new Error(`window ${handle} still open after ${timeoutMs} ms`);
  },
  async waitFor(css, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      try {
        return await this.find(css);
      } catch (err) {
        last = err;
      }
      await sleep(100);
    }
    throw new Error(`${css} never appeared: ${last}`);
  },
  async click(css) {
    return this.cmd("POST", `/element/${await this.waitFor(css)}/click`, {});
  },
  async clear(css) {
    return this.cmd("POST", `/element/${await this.waitFor(css)}/clear`, {});
  },
  async type(css, text) {
    return this.cmd("POST", `/element/${await this.waitFor(css)}/value`, { text });
  },
  execute(script, args = []) {
    return this.cmd("POST", "/execute/sync", { script, args });
  },
  /** Polls `script` (a function body returning a value) until it returns something truthy. */
  async waitUntil(script, what, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      try {
        last = await this.execute(script);
        if (last) return last;
      } catch (err) {
        last = err;
      }
      await sleep(150);
    }
    throw new Error(`${what} did not happen within ${timeoutMs} ms (last: ${last})`);
  },
  /** Saves a screenshot after a pause that lets the last frame reach the screen. */
  async saveScreenshot(path) {
    await sleep(500);
    writeFileSync(path, Buffer.from(await this.screenshot(), "base64"));
  },
});
