// Shared plumbing for the end-to-end tests: the simulator as a child process, Debian's
// Chromium through playwright-core, and a small W3C WebDriver client for tauri-driver.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
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
