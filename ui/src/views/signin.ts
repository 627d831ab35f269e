// Sign-in: Garmin's own page first (it handles codes, captchas and challenges itself), the
// email form second, then a code step when Garmin asks for one. When Garmin's page gets
// stuck in the app's window, the way through the person's own browser: open the page there,
// paste back the address it ends on. Below, the way without a sign-in: importing the account
// data export Garmin emails on request.
import * as api from "../api";
import type { Account, AppError, PasswordSignIn, StuckReason } from "../wire";
import { h, icon, ICONS } from "../dom";
import { explainError } from "../logic/messages";
import { formatCountdown } from "../logic/time";
import { diagnosticButton } from "./diagnostic";

export interface SignInContext {
  demo: boolean;
  /** Shown on arrival, e.g. why the saved sign-in could not be used. */
  notice: AppError | null;
  onSignedIn(account: Account): void;
  /** The person picked their account data export (its ZIP or unpacked folder). */
  onImport(exportPath: string): void;
}

export function mountSignIn(root: HTMLElement, ctx: SignInContext): () => void {
  const steps = signInSteps(() => flow.syncDisabled());
  const card = signInCard(ctx.demo, steps);
  const footnote = h("p", {
    class: "footnote",
    text: "Your password goes only to Garmin. This app keeps a sign-in token in your system's keychain, and only if you ask it to remember you.",
  });
  root.replaceChildren(h("div", { class: "signin" }, card, footnote));

  const flow = signInFlow(steps, card, ctx);
  listenToGarmin(steps, flow);
  steps.importer.button.addEventListener("click", () => {
    void flow.run(steps.importer.button, "Choosing your export…", () => api.chooseExport(false)).then((path) => {
      if (path) ctx.onImport(path);
    });
  });
  listenToPassword(steps, flow);
  listenToCode(steps, flow);

  steps.notice.show(ctx.notice);
  return () => steps.notice.dispose();
}

/** Every way in, each a part below; only some show at a time. */
interface SignInSteps {
  notice: NoticeBox;
  garmin: ReturnType<typeof garminButton>;
  fallback: BrowserFallback;
  divider: HTMLElement;
  password: PasswordStep;
  code: CodeStep;
  importer: ReturnType<typeof importBlock>;
}

function signInSteps(onNoticeChange: () => void): SignInSteps {
  return {
    notice: noticeBox(onNoticeChange),
    garmin: garminButton(),
    fallback: browserFallback(),
    password: passwordStep(),
    code: codeStep(),
    importer: importBlock(),
    divider: h("div", { class: "divider", attrs: { "aria-hidden": "true" } }, h("span", { text: "or sign in here" })),
  };
}

/** The card: the brand, what the app does, then the ways in, Garmin's own page first. */
function signInCard(demo: boolean, s: SignInSteps): HTMLElement {
  return h(
    "section",
    { class: "card signin-card", attrs: { "aria-labelledby": "signin-title" } },
    h(
      "div",
      { class: "brand" },
      icon([...ICONS.logo], "icon brand-mark"),
      h("span", { text: "Garmin Connect Export" }),
      demo ? h("span", { class: "badge demo", id: "demo-badge", text: "Demo account" }) : null,
    ),
    h("h1", { id: "signin-title", text: "Back up your activities" }),
    h("p", {
      class: "lead",
      text: "Sign in to Garmin Connect. Every activity you recorded is copied to a folder on this computer, and stays yours.",
    }),
    s.notice.element,
    s.garmin.element,
    s.fallback.element,
    s.divider,
    s.password.form,
    s.code.form,
    s.importer.element,
  );
}

interface SignInFlow {
  /** Runs one attempt: the buttons wait, `button` says `label`, a failure goes to the notice. */
  run<T>(button: HTMLButtonElement, label: string, work: () => Promise<T>): Promise<T | undefined>;
  /** The first way in that finishes signs the person in; later ones are ignored. */
  signedInAs(account: Account | undefined): void;
  syncDisabled(): void;
}

function signInFlow(s: SignInSteps, card: HTMLElement, ctx: SignInContext): SignInFlow {
  let busy = false;
  let signedIn = false;

  function signedInAs(account: Account | undefined): void {
    // The browser's way and Garmin's window may both finish: the first one counts.
    if (!account || signedIn) return;
    signedIn = true;
    ctx.onSignedIn(account);
  }

  function syncDisabled(): void {
    s.garmin.button.disabled = busy;
    s.importer.button.disabled = busy;
    s.password.submit.disabled = busy || s.notice.coolingDown();
    s.code.verify.disabled = busy;
    s.code.back.disabled = busy;
    card.setAttribute("aria-busy", String(busy));
  }

  async function run<T>(button: HTMLButtonElement, label: string, work: () => Promise<T>): Promise<T | undefined> {
    const original = button.textContent ?? "";
    busy = true;
    button.textContent = label;
    s.notice.show(null);
    try {
      return await work();
    } catch (raw) {
      if (!signedIn) s.notice.show(raw as AppError);
      return undefined;
    } finally {
      busy = false;
      button.textContent = original;
      syncDisabled();
    }
  }

  return { run, signedInAs, syncDisabled };
}

/** Garmin's window, and the way through the person's own browser when it gets stuck. */
function listenToGarmin(s: SignInSteps, flow: SignInFlow): void {
  s.garmin.button.addEventListener("click", () => {
    const onEvent = (event: { kind: "stuck"; reason: StuckReason }): void => s.fallback.offer(event.reason);
    void flow.run(s.garmin.button, "Waiting for Garmin's window…", () => api.signInWithGarmin(onEvent)).then(flow.signedInAs);
  });
  s.garmin.trouble.addEventListener("click", () => s.fallback.offer(null));
  s.fallback.onSubmit((text) => api.signInWithPastedAddress(text).then(flow.signedInAs), s.notice);
}

/** The email form: both fields filled, then signed in or on to the code step. */
function listenToPassword(s: SignInSteps, flow: SignInFlow): void {
  const { form, email, password: secret, remember, submit } = s.password;
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (email.value.trim() === "" || secret.value === "") {
      s.notice.show(null);
      const empty = email.value.trim() === "" ? email : secret;
      empty.focus();
      fieldError(empty, "Please fill this in.");
      return;
    }
    void flow.run(submit, "Signing in…", () => api.signInWithPassword(email.value.trim(), secret.value, remember.checked)).then((outcome?: PasswordSignIn) => {
      if (!outcome) return;
      if (outcome.status === "signed_in") flow.signedInAs(outcome.account);
      else showCodeStep(s, outcome);
    });
  });
}

/** The code step: Verify, or Start over back to the other ways in. */
function listenToCode(s: SignInSteps, flow: SignInFlow): void {
  const { form, input, verify, back } = s.code;
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const value = input.value.replace(/\s+/g, "");
    if (value === "") {
      input.focus();
      fieldError(input, "Please type the code.");
      return;
    }
    void flow.run(verify, "Checking…", () => api.submitCode(value)).then((account) => {
      if (account) flow.signedInAs(account);
      else {
        input.select();
        input.focus();
      }
    });
  });
  back.addEventListener("click", () => leaveCodeStep(s));
}

/** Only the code step shows: everything else would start another sign-in. */
function showCodeStep(s: SignInSteps, outcome: Extract<PasswordSignIn, { status: "needs_code" }>): void {
  for (const el of [s.password.form, s.garmin.element, s.fallback.element, s.divider, s.importer.element]) el.hidden = true;
  s.code.show(codeDestination(outcome));
}

function leaveCodeStep(s: SignInSteps): void {
  s.notice.show(null);
  s.code.form.hidden = true;
  for (const el of [s.password.form, s.garmin.element, s.divider, s.importer.element]) el.hidden = false;
  s.fallback.element.hidden = !s.fallback.wanted();
  s.password.password.value = "";
  s.password.password.focus();
}

// ---- the parts ------------------------------------------------------------------------------

interface NoticeBox {
  element: HTMLElement;
  show(err: AppError | null): void;
  coolingDown(): boolean;
  dispose(): void;
}

/** The one message area: an error, a calm note, or a sign-in cool-down that counts down. */
function noticeBox(onChange: () => void): NoticeBox {
  let cooldownUntil = 0;
  let timer: number | undefined;
  const title = h("p", { class: "notice-title" });
  const detail = h("p", { class: "notice-detail" });
  // The countdown ticks: inside an alert it would be read out four times a second.
  const countdown = h("p", { class: "notice-countdown", id: "cooldown", attrs: { "aria-live": "off" } });
  const element = h(
    "div",
    { id: "signin-error", class: "notice error", attrs: { role: "alert" } },
    icon([...ICONS.alert], "icon notice-icon"),
    h("div", { class: "notice-body" }, title, detail, countdown, diagnosticButton()),
  );
  element.hidden = true;

  function stopTimer(): void {
    window.clearInterval(timer);
    timer = undefined;
  }

  function tick(): void {
    const left = cooldownUntil - Date.now();
    if (left <= 0) {
      stopTimer();
      cooldownUntil = 0;
      countdown.textContent = "You can try again now.";
      onChange();
      return;
    }
    countdown.textContent = `You can try again here in ${formatCountdown(left)}. Meanwhile, “Sign in with Garmin” above usually still works.`;
  }

  function show(err: AppError | null): void {
    stopTimer();
    cooldownUntil = 0;
    if (!err) {
      element.hidden = true;
      onChange();
      return;
    }
    const explained = explainError(err);
    title.textContent = explained.title;
    detail.textContent = explained.detail;
    element.dataset["kind"] = err.kind;
    countdown.hidden = err.kind !== "rate_limited";
    // A cool-down or a closed window is nobody's mistake: calmer colours than an error.
    element.className = `notice ${err.kind === "rate_limited" ? "warn" : err.kind === "sign_in_cancelled" ? "info" : "error"}`;
    element.hidden = false;
    if (err.kind === "rate_limited") {
      cooldownUntil = err.until;
      tick();
      timer = window.setInterval(tick, 250);
    }
    onChange();
  }

  return { element, show, coolingDown: () => cooldownUntil > Date.now(), dispose: stopTimer };
}

/** "Sign in with Garmin", what it does, and the way to the fallback. */
function garminButton(): { element: HTMLElement; button: HTMLButtonElement; trouble: HTMLButtonElement } {
  const button = h("button", {
    id: "signin-garmin",
    class: "button primary large",
    attrs: { type: "button", "aria-describedby": "signin-garmin-hint" },
    text: "Sign in with Garmin",
  });
  const hint = h("p", {
    class: "hint",
    id: "signin-garmin-hint",
    text: "Opens Garmin's own sign-in page in a new window. Recommended.",
  });
  const trouble = h("button", {
    id: "signin-trouble",
    class: "button quiet small",
    attrs: { type: "button", "aria-controls": "fallback" },
    text: "Having trouble? Sign in with your own browser",
  });
  return { element: h("div", { class: "stack", id: "signin-garmin-block" }, button, hint, trouble), button, trouble };
}

const STUCK_TEXT: Record<StuckReason, string> = {
  no_navigation: "Garmin's window seems stuck: nothing has happened since you signed in there.",
  challenge: "Garmin's security check (“verify you are human”) did not finish in the app's window.",
};

interface BrowserFallback {
  element: HTMLElement;
  /** Shows the steps; `reason` says why the app offers them (null: the person asked). */
  offer(reason: StuckReason | null): void;
  wanted(): boolean;
  onSubmit(signIn: (text: string) => Promise<void>, notice: NoticeBox): void;
}

/**
 * The way through the person's own browser: open Garmin's page there, sign in, paste back
 * the address it ends on (its ticket lives about a minute, so it is exchanged at once).
 */
function browserFallback(): BrowserFallback {
  let wanted = false;
  const f = fallbackParts();
  f.element.hidden = true;

  f.open.addEventListener("click", () => {
    f.opened.textContent = "";
    api.openGarminInBrowser().then(
      () => {
        f.opened.textContent = "Opened in your browser. Sign in there, then come back here.";
        f.address.focus();
      },
      (raw: unknown) => {
        const err = raw as AppError;
        f.opened.textContent = `Your browser could not be opened (${err.message}).`;
      },
    );
  });
  f.close.addEventListener("click", () => {
    wanted = false;
    f.element.hidden = true;
  });

  return {
    element: f.element,
    offer(why) {
      wanted = true;
      f.reason.textContent = why ? STUCK_TEXT[why] : "";
      f.reason.hidden = why === null;
      f.element.hidden = false;
      f.open.focus();
    },
    wanted: () => wanted,
    onSubmit(signIn, notice) {
      f.form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        submitPastedAddress(f, signIn, notice);
      });
    },
  };
}

/** Signs in with the pasted address; the button waits meanwhile. */
function submitPastedAddress(f: FallbackParts, signIn: (text: string) => Promise<void>, notice: NoticeBox): void {
  const text = f.address.value.trim();
  if (text === "") {
    f.address.focus();
    fieldError(f.address, "Paste the address from your browser first.");
    return;
  }
  f.submit.disabled = true;
  f.submit.textContent = "Signing in…";
  notice.show(null);
  signIn(text)
    .catch((raw: unknown) => {
      const err = raw as AppError;
      // A paste without a ticket is this field's problem; Garmin's refusals are the notice's.
      if (err.kind === "not_a_ticket") {
        f.address.focus();
        fieldError(f.address, err.message);
      } else {
        notice.show(err);
      }
    })
    .finally(() => {
      f.submit.disabled = false;
      f.submit.textContent = "Continue";
    });
}

type FallbackParts = ReturnType<typeof fallbackParts>;

/** The fallback's three steps and its form. */
function fallbackParts() {
  const reason = h("p", { id: "fallback-reason", class: "lead small", attrs: { role: "status" } });
  const open = h("button", {
    id: "fallback-open",
    class: "button",
    attrs: { type: "button" },
    text: "Open Garmin's page in my browser",
  });
  const opened = h("p", { id: "fallback-opened", class: "hint", attrs: { "aria-live": "polite" } });
  const address = h("input", {
    id: "fallback-address",
    attrs: { type: "text", autocomplete: "off", spellcheck: "false", placeholder: "https://…?ticket=ST-…" },
  });
  const submit = h("button", { id: "fallback-submit", class: "button primary", attrs: { type: "submit" }, text: "Continue" });
  const close = h("button", { id: "fallback-close", class: "button quiet", attrs: { type: "button" }, text: "Hide these steps" });
  const form = h(
    "form",
    { id: "fallback-form", class: "stack", attrs: { novalidate: true } },
    field("Address from your browser", address),
    h("div", { class: "actions" }, submit, close),
  );
  const element = h(
    "section",
    { id: "fallback", class: "stack", attrs: { "aria-labelledby": "fallback-heading" } },
    h("h2", { id: "fallback-heading", class: "subheading", text: "Sign in with your own browser" }),
    reason,
    h(
      "ol",
      { class: "steps" },
      h("li", {}, h("span", { text: "Open Garmin's sign-in page in your usual web browser. " }), open, opened),
      h("li", { text: "Sign in there. The page then changes to one that may look empty or show an error: that is expected." }),
      h("li", {
        text: "Copy the whole address from the browser's address bar (it holds “ticket=ST-”), paste it below and press Continue within a minute.",
      }),
    ),
    form,
  );
  return { element, reason, open, opened, address, submit, close, form };
}

interface PasswordStep {
  form: HTMLFormElement;
  email: HTMLInputElement;
  password: HTMLInputElement;
  remember: HTMLInputElement;
  submit: HTMLButtonElement;
}

function passwordStep(): PasswordStep {
  const email = h("input", {
    id: "email",
    attrs: { type: "email", autocomplete: "username", required: true, spellcheck: "false" },
  });
  const password = h("input", {
    id: "password",
    attrs: { type: "password", autocomplete: "current-password", required: true },
  });
  const remember = h("input", { id: "remember", attrs: { type: "checkbox" } });
  remember.checked = true;
  const submit = h("button", { id: "signin-submit", class: "button", attrs: { type: "submit" }, text: "Sign in" });
  const form = h(
    "form",
    { id: "password-form", class: "stack", attrs: { "aria-labelledby": "password-heading", novalidate: true } },
    h("h2", { id: "password-heading", class: "visually-hidden", text: "Sign in here with your email" }),
    field("Email", email),
    field("Password", password),
    h("label", { class: "check" }, remember, h("span", { text: "Remember me on this computer" })),
    submit,
  );
  return { form, email, password, remember, submit };
}

interface CodeStep {
  form: HTMLFormElement;
  input: HTMLInputElement;
  verify: HTMLButtonElement;
  back: HTMLButtonElement;
  show(intro: string): void;
}

function codeStep(): CodeStep {
  const intro = h("p", { id: "code-intro", class: "lead small" });
  const input = h("input", {
    id: "code",
    class: "code-input",
    attrs: { type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 12, spellcheck: "false" },
  });
  const verify = h("button", { id: "code-submit", class: "button primary", attrs: { type: "submit" }, text: "Verify" });
  const back = h("button", { id: "code-back", class: "button quiet", attrs: { type: "button" }, text: "Start over" });
  const form = h(
    "form",
    { id: "code-form", class: "stack", attrs: { "aria-labelledby": "code-heading", novalidate: true } },
    h("h2", { id: "code-heading", class: "subheading", text: "Enter your verification code" }),
    intro,
    field("Code", input),
    h("div", { class: "actions" }, verify, back),
  );
  form.hidden = true;
  return {
    form,
    input,
    verify,
    back,
    show(text) {
      intro.textContent = text;
      form.hidden = false;
      input.value = "";
      input.focus();
    },
  };
}

/** No sign-in: the export Garmin emails. Secondary, below everything else. */
function importBlock(): { element: HTMLElement; button: HTMLButtonElement } {
  const button = h(
    "button",
    { id: "import-export", class: "button", attrs: { type: "button", "aria-describedby": "import-export-hint" } },
    "I have a Garmin data export",
  );
  const hint = h("p", {
    class: "hint",
    id: "import-export-hint",
    text: "The ZIP file Garmin emails you after you ask for “Export Your Data” in your Garmin account settings. Importing it needs no sign-in.",
  });
  const divider = h("div", { class: "divider", attrs: { "aria-hidden": "true" } }, h("span", { text: "or, without signing in" }));
  return { element: h("div", { class: "import-block", id: "import-block" }, divider, button, hint), button };
}

function codeDestination(outcome: Extract<PasswordSignIn, { status: "needs_code" }>): string {
  const to = outcome.sent_to;
  switch (outcome.channel) {
    case "email":
      return to ? `Garmin emailed a code to ${to}. It can take a minute to arrive; check your spam folder too.` : "Garmin emailed you a code. Check your inbox (and spam folder).";
    case "sms":
      return to ? `Garmin sent a code by text message to ${to}.` : "Garmin sent you a code by text message.";
    case "app":
      return "Open your authenticator app and type the code it shows for Garmin.";
    case null:
      return to ? `Garmin sent a code to ${to}.` : "Garmin sent you a code by email or text message.";
  }
}

function field(label: string, input: HTMLInputElement): HTMLElement {
  const errorId = `${input.id}-error`;
  const error = h("p", { class: "field-error", id: errorId, attrs: { "aria-live": "polite" } });
  input.setAttribute("aria-describedby", errorId);
  input.addEventListener("input", () => {
    error.textContent = "";
    input.removeAttribute("aria-invalid");
  });
  return h("div", { class: "field" }, h("label", { attrs: { for: input.id }, text: label }), input, error);
}

function fieldError(input: HTMLInputElement, message: string): void {
  input.setAttribute("aria-invalid", "true");
  const error = document.getElementById(`${input.id}-error`);
  if (error) error.textContent = message;
}
