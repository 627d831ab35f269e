// Sign-in: Garmin's own page first (it handles codes, captchas and challenges itself), the
// email form second, then a code step when Garmin asks for one. Below, the way without a
// sign-in: importing the account data export Garmin emails on request.
import * as api from "../api";
import type { Account, AppError, PasswordSignIn } from "../wire";
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
  let busy = false;
  let cooldownUntil = 0;
  let cooldownTimer: number | undefined;

  const garminButton = h("button", {
    id: "signin-garmin",
    class: "button primary large",
    attrs: { type: "button" },
    text: "Sign in with Garmin",
  });
  const garminHint = h("p", {
    class: "hint",
    id: "signin-garmin-hint",
    text: "Opens Garmin's own sign-in page in a new window. Recommended.",
  });
  garminButton.setAttribute("aria-describedby", "signin-garmin-hint");

  const noticeTitle = h("p", { class: "notice-title" });
  const noticeDetail = h("p", { class: "notice-detail" });
  // The countdown ticks: inside an alert it would be read out four times a second.
  const noticeCountdown = h("p", { class: "notice-countdown", id: "cooldown", attrs: { "aria-live": "off" } });
  const notice = h(
    "div",
    { id: "signin-error", class: "notice error", attrs: { role: "alert" } },
    icon([...ICONS.alert], "icon notice-icon"),
    h("div", { class: "notice-body" }, noticeTitle, noticeDetail, noticeCountdown, diagnosticButton()),
  );
  notice.hidden = true;

  // Password step.
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
  const passwordForm = h(
    "form",
    { id: "password-form", class: "stack", attrs: { "aria-labelledby": "password-heading", novalidate: true } },
    h("h2", { id: "password-heading", class: "visually-hidden", text: "Sign in here with your email" }),
    field("Email", email),
    field("Password", password),
    h("label", { class: "check" }, remember, h("span", { text: "Remember me on this computer" })),
    submit,
  );

  // Code step.
  const codeIntro = h("p", { id: "code-intro", class: "lead small" });
  const code = h("input", {
    id: "code",
    class: "code-input",
    attrs: { type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 12, spellcheck: "false" },
  });
  const verify = h("button", { id: "code-submit", class: "button primary", attrs: { type: "submit" }, text: "Verify" });
  const back = h("button", { id: "code-back", class: "button quiet", attrs: { type: "button" }, text: "Start over" });
  const codeForm = h(
    "form",
    { id: "code-form", class: "stack", attrs: { "aria-labelledby": "code-heading", novalidate: true } },
    h("h2", { id: "code-heading", class: "subheading", text: "Enter your verification code" }),
    codeIntro,
    field("Code", code),
    h("div", { class: "actions" }, verify, back),
  );
  codeForm.hidden = true;

  const divider = h("div", { class: "divider", attrs: { "aria-hidden": "true" } }, h("span", { text: "or sign in here" }));

  // No sign-in: the export Garmin emails. Secondary, below everything else.
  const importButton = h(
    "button",
    { id: "import-export", class: "button", attrs: { type: "button", "aria-describedby": "import-export-hint" } },
    "I have a Garmin data export",
  );
  const importHint = h("p", {
    class: "hint",
    id: "import-export-hint",
    text: "The ZIP file Garmin emails you after you ask for “Export Your Data” in your Garmin account settings. Importing it needs no sign-in.",
  });
  const importDivider = h("div", { class: "divider", attrs: { "aria-hidden": "true" } }, h("span", { text: "or, without signing in" }));
  const importBlock = h("div", { class: "import-block", id: "import-block" }, importDivider, importButton, importHint);

  const card = h(
    "section",
    { class: "card signin-card", attrs: { "aria-labelledby": "signin-title" } },
    h(
      "div",
      { class: "brand" },
      icon([...ICONS.logo], "icon brand-mark"),
      h("span", { text: "Garmin Connect Export" }),
      ctx.demo ? h("span", { class: "badge demo", id: "demo-badge", text: "Demo account" }) : null,
    ),
    h("h1", { id: "signin-title", text: "Back up your activities" }),
    h("p", {
      class: "lead",
      text: "Sign in to Garmin Connect. Every activity you recorded is copied to a folder on this computer, and stays yours.",
    }),
    notice,
    garminButton,
    garminHint,
    divider,
    passwordForm,
    codeForm,
    importBlock,
  );
  const footnote = h("p", {
    class: "footnote",
    text: "Your password goes only to Garmin. This app keeps a sign-in token in your system's keychain, and only if you ask it to remember you.",
  });
  root.replaceChildren(h("div", { class: "signin" }, card, footnote));

  function showError(err: AppError | null): void {
    window.clearInterval(cooldownTimer);
    cooldownTimer = undefined;
    cooldownUntil = 0;
    if (!err) {
      notice.hidden = true;
      syncDisabled();
      return;
    }
    const { title, detail } = explainError(err);
    noticeTitle.textContent = title;
    noticeDetail.textContent = detail;
    notice.dataset["kind"] = err.kind;
    noticeCountdown.hidden = err.kind !== "rate_limited";
    // A cool-down or a closed window is nobody's mistake: calmer colours than an error.
    notice.className = `notice ${err.kind === "rate_limited" ? "warn" : err.kind === "sign_in_cancelled" ? "info" : "error"}`;
    notice.hidden = false;
    if (err.kind === "rate_limited") {
      cooldownUntil = err.until;
      tickCooldown();
      cooldownTimer = window.setInterval(tickCooldown, 250);
    }
    syncDisabled();
  }

  function tickCooldown(): void {
    const left = cooldownUntil - Date.now();
    if (left <= 0) {
      window.clearInterval(cooldownTimer);
      cooldownTimer = undefined;
      cooldownUntil = 0;
      noticeCountdown.textContent = "You can try again now.";
      syncDisabled();
      return;
    }
    noticeCountdown.textContent = `You can try again here in ${formatCountdown(left)}. Meanwhile, “Sign in with Garmin” above usually still works.`;
  }

  function syncDisabled(): void {
    const coolingDown = cooldownUntil > Date.now();
    garminButton.disabled = busy;
    importButton.disabled = busy;
    submit.disabled = busy || coolingDown;
    verify.disabled = busy;
    back.disabled = busy;
    card.setAttribute("aria-busy", String(busy));
  }

  async function run<T>(button: HTMLButtonElement, label: string, work: () => Promise<T>): Promise<T | undefined> {
    const original = button.textContent ?? "";
    busy = true;
    button.textContent = label;
    showError(null);
    try {
      return await work();
    } catch (raw) {
      showError(raw as AppError);
      return undefined;
    } finally {
      busy = false;
      button.textContent = original;
      syncDisabled();
    }
  }

  garminButton.addEventListener("click", () => {
    void run(garminButton, "Waiting for Garmin's window…", () => api.signInWithGarmin()).then((account) => {
      if (account) ctx.onSignedIn(account);
    });
  });

  importButton.addEventListener("click", () => {
    void run(importButton, "Choosing your export…", () => api.chooseExport(false)).then((path) => {
      if (path) ctx.onImport(path);
    });
  });

  passwordForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (email.value.trim() === "" || password.value === "") {
      showError(null);
      (email.value.trim() === "" ? email : password).focus();
      fieldError(email.value.trim() === "" ? email : password, "Please fill this in.");
      return;
    }
    void run(submit, "Signing in…", () =>
      api.signInWithPassword(email.value.trim(), password.value, remember.checked),
    ).then((outcome?: PasswordSignIn) => {
      if (!outcome) return;
      if (outcome.status === "signed_in") {
        ctx.onSignedIn(outcome.account);
        return;
      }
      codeIntro.textContent = codeDestination(outcome);
      passwordForm.hidden = true;
      garminButton.hidden = true;
      garminHint.hidden = true;
      divider.hidden = true;
      importBlock.hidden = true;
      codeForm.hidden = false;
      code.value = "";
      code.focus();
    });
  });

  codeForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const value = code.value.replace(/\s+/g, "");
    if (value === "") {
      code.focus();
      fieldError(code, "Please type the code.");
      return;
    }
    void run(verify, "Checking…", () => api.submitCode(value)).then((account) => {
      if (account) ctx.onSignedIn(account);
      else {
        code.select();
        code.focus();
      }
    });
  });

  back.addEventListener("click", () => {
    showError(null);
    codeForm.hidden = true;
    passwordForm.hidden = false;
    garminButton.hidden = false;
    garminHint.hidden = false;
    divider.hidden = false;
    importBlock.hidden = false;
    password.value = "";
    password.focus();
  });

  showError(ctx.notice);
  return () => window.clearInterval(cooldownTimer);
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
