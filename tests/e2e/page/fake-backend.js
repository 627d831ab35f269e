// A fake Rust shell for the page alone, injected before the page's own scripts. It defines
// window.__TAURI_INTERNALS__ the way @tauri-apps/api/mocks' mockIPC does (invoke,
// transformCallback, runCallback, unregisterCallback), and speaks the shell's wire format,
// Channels included: a message is `{ index, message }`, the end is `{ index, end: true }`.
// Scenario: window.__fakeConfig (set by an earlier init script). Control: window.__fake.
(() => {
  const cfg = Object.assign(
    {
      demo: false,
      session: { state: "signed_out", reason: null },
      prefs: { folder: "/Users/ana/Garmin backup", formats: ["original", "gpx"], layout: "{YYYY}/{MM}/{YYYY}-{MM}-{DD}_{hh}-{mm}_{type}_{name}_{id}", concurrency: 4, garmin_tracks: false, what: { activities: true, health: true, records: true, gear: true } },
      // What the shell's `app_info` gives as the engine's defaults (prefs::Preferences::default).
      defaults: { folder: null, formats: ["original", "gpx"], layout: "{YYYY}/{MM}/{YYYY}-{MM}-{DD}_{hh}-{mm}_{type}_{name}_{id}", concurrency: 4, garmin_tracks: false, what: { activities: true, health: true, records: true, gear: true } },
      account: { display_name: "ana_runs", full_name: "Ana Lima" },
      activities: 40,
      // Days of health data the listed folder lacks (the listing's `health_days`).
      healthDays: 412,
      pageSize: 100,
      pageDelayMs: 0,
      // Commands the test settles itself with __fake.settle(cmd, outcome).
      manual: [],
      // Per-command queues of outcomes ({ ok } or { err }), used before the defaults.
      outcomes: {},
      chosenFolder: "/Users/ana/Chosen folder",
      chosenExport: "/Users/ana/Downloads/garmin_export_2026-11-02.zip",
      chosenUnpacked: "/Users/ana/Downloads/garmin_export",
    },
    window.__fakeConfig || {},
  );

  const callbacks = new Map();
  function transformCallback(callback, once = false) {
    const id = window.crypto.getRandomValues(new Uint32Array(1))[0];
    callbacks.set(id, (data) => {
      if (once) callbacks.delete(id);
      return callback && callback(data);
    });
    return id;
  }
  function runCallback(id, data) {
    const cb = callbacks.get(id);
    if (cb) cb(data);
  }

  // A Channel argument serialises to `__CHANNEL__:<id>`; keep its id and message index.
  class Sender {
    constructor(channel) {
      this.id = channel.id;
      this.index = 0;
    }
    send(message) {
      runCallback(this.id, { index: this.index++, message });
    }
    end() {
      runCallback(this.id, { index: this.index, end: true });
    }
  }

  const TYPES = ["running", "road_biking", "lap_swimming", "trail_running", "strength_training", "hiking", "walking", "open_water_swimming"];
  const NAMES = [
    "Morning Run",
    "🏊‍♀️ Pool swim 💦",
    '<script>window.__xss = 1</script>',
    '<img src=x onerror="window.__xss=2">',
    "ركض الصباح على الشاطئ",
    "Tempo run\nwith a newline",
    "Long ride ".repeat(30).trim(),
    "Café ride ☕ with Zoë",
    "Intervals 6×800 m",
    "Évening walk",
  ];
  const STATUSES = ["in_backup", "in_backup", "in_backup", "new", "in_backup", "new", "unavailable", "in_backup", "failed", "in_backup"];
  const BASE = Date.UTC(2025, 5, 1, 7, 30, 0);

  function activity(i) {
    const t = new Date(BASE - i * 9.5 * 3600 * 1000);
    const type = TYPES[i % TYPES.length];
    const manual = i % 37 === 36;
    return {
      id: 20_000_000_000 - i,
      start_local: t.toISOString().slice(0, 19),
      type_key: type,
      name: i === 0 ? "Newest activity" : `${NAMES[i % NAMES.length]} #${i + 1}`,
      distance_m: type === "strength_training" || manual ? null : 1000 + ((i * 7919) % 40_000),
      duration_s: 600 + ((i * 104_729) % 10_000),
      status: STATUSES[i % STATUSES.length],
    };
  }

  const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
  const pending = new Map();
  const fake = {
    config: cfg,
    calls: [],
    channels: {},
    activity,
    /** Settles a command listed in cfg.manual: { ok: value } or { err: AppError }. */
    settle(cmd, outcome) {
      const p = pending.get(cmd);
      if (!p) throw new Error(`${cmd} is not pending`);
      pending.delete(cmd);
      "err" in outcome ? p.reject(outcome.err) : p.resolve(outcome.ok);
    },
    isPending(cmd) {
      return pending.has(cmd);
    },
    /** Sends `count` more activities as one page of a manual list_activities. */
    listPage(count, total = null) {
      const ch = fake.channels.list;
      const from = ch.listed;
      const activities = [];
      for (let i = from; i < from + count; i++) activities.push(activity(i));
      ch.listed += count;
      ch.sender.send({ type: "page", activities, activities_listed: ch.listed, activities_total: total });
    },
    /** Sends one message on the running backup's (or import's) channel. */
    backupEvent(message) {
      fake.channels.backup.send(message);
    },
    progress(fields) {
      fake.backupEvent(Object.assign({
        type: "progress", activities_listed: 0, activities_planned: 0, activities_done: 0,
        activities_failed: 0, bytes_written: 0, current: null, paused_until: null, health: null,
      }, fields));
    },
  };
  window.__fake = fake;

  async function listAll(onPage) {
    const sender = new Sender(onPage);
    const total = cfg.activities;
    for (let from = 0; from < total; from += cfg.pageSize) {
      const activities = [];
      for (let i = from; i < Math.min(total, from + cfg.pageSize); i++) activities.push(activity(i));
      sender.send({ type: "page", activities, activities_listed: from + activities.length, activities_total: total });
      if (cfg.pageDelayMs > 0) await sleep(cfg.pageDelayMs);
      else await Promise.resolve();
    }
    sender.end();
    return { activities_listed: total, health_days: cfg.healthDays };
  }

  const defaults = {
    app_info: () => ({ name: "Garmin Connect Export", version: "0.1.0", demo: cfg.demo, defaults: cfg.defaults }),
    read_preferences: () => cfg.prefs,
    save_preferences: () => null,
    session_status: () => cfg.session,
    sign_in_with_garmin: () => cfg.account,
    sign_in_with_password: () => ({ status: "signed_in", account: cfg.account }),
    submit_code: () => cfg.account,
    sign_out: () => null,
    list_activities: (args) => listAll(args.onPage),
    choose_folder: () => cfg.chosenFolder,
    start_backup: () => null,
    choose_export: (args) => (args.unpacked ? cfg.chosenUnpacked : cfg.chosenExport),
    start_import: () => null,
    cancel_backup: () => null,
    open_folder: () => null,
    open_garmin_in_browser: () => "https://sso.garmin.com/mobile/sso/en_US/sign-in?clientId=GCM_IOS_DARK",
    // The daily backup's strip shows only when a scenario gives the schedule's status.
    schedule_status: () => {
      if (!cfg.schedule) throw { kind: "unexpected", message: "unknown command schedule_status" };
      return cfg.schedule;
    },
    set_auto_backup: (args) => {
      cfg.schedule = Object.assign({}, cfg.schedule, { enabled: args.enabled });
      return cfg.schedule;
    },
  };

  async function invoke(cmd, args = {}) {
    fake.calls.push({ cmd, args: JSON.parse(JSON.stringify(args)) });
    if (cmd === "list_activities") fake.channels.list = { sender: new Sender(args.onPage), listed: 0 };
    if (cmd === "start_backup" || cmd === "start_import") fake.channels.backup = new Sender(args.onEvent);
    if (cmd === "sign_in_with_garmin" && args.onEvent) fake.channels.signin = new Sender(args.onEvent);
    const queue = cfg.outcomes[cmd];
    if (queue && queue.length > 0) {
      const outcome = queue.shift();
      if (outcome.delayMs) await sleep(outcome.delayMs);
      if ("err" in outcome) {
        const err = Object.assign({}, outcome.err);
        if (err.kind === "rate_limited" && err.inMs !== undefined) {
          err.until = Date.now() + err.inMs;
          delete err.inMs;
        }
        throw err;
      }
      return outcome.ok;
    }
    if (cfg.manual.includes(cmd)) {
      return new Promise((resolve, reject) => pending.set(cmd, { resolve, reject }));
    }
    const handler = defaults[cmd];
    if (!handler) throw { kind: "unexpected", message: `unknown command ${cmd}` };
    return handler(args);
  }

  window.__TAURI_INTERNALS__ = Object.assign(window.__TAURI_INTERNALS__ || {}, {
    invoke,
    transformCallback,
    runCallback,
    unregisterCallback: (id) => callbacks.delete(id),
    callbacks,
  });
})();
