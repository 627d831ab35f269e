// "Copy a diagnostic report": shown with every sign-in or run error. The report (built in
// Rust, docs/signin.md) holds statuses, the CDN's markers and timings only, so it is safe
// to paste into a public issue.
import { diagnosticReport } from "../api";
import { h } from "../dom";

export function diagnosticButton(): HTMLElement {
  const status = h("span", { class: "diagnostic-status", attrs: { role: "status" } });
  const fallback = h("textarea", {
    class: "diagnostic-text",
    attrs: { readonly: true, rows: 8, "aria-label": "Diagnostic report" },
  });
  fallback.hidden = true;
  const button = h("button", {
    class: "button quiet small diagnostic-button",
    text: "Copy a diagnostic report",
    attrs: { type: "button" },
    on: {
      click: () => {
        void copy();
      },
    },
  });
  async function copy(): Promise<void> {
    const text = await diagnosticReport().catch(() => null);
    if (!text) {
      status.textContent = "No sign-in has been recorded yet.";
      return;
    }
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = "Copied. Paste it into your issue.";
      fallback.hidden = true;
    } catch {
      // No clipboard access: show the text to copy by hand.
      fallback.value = text;
      fallback.hidden = false;
      fallback.select();
      status.textContent = "Select the text below and copy it.";
    }
  }
  return h("div", { class: "diagnostic" }, button, status, fallback);
}
