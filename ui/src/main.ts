import { appInfo } from "./api";

const root = document.querySelector<HTMLElement>("#app");

async function render(target: HTMLElement): Promise<void> {
  const heading = document.createElement("h1");
  heading.textContent = "Garmin Connect Export";
  const line = document.createElement("p");
  line.id = "status";
  target.replaceChildren(heading, line);
  try {
    const info = await appInfo();
    line.textContent = `Version ${info.version}${info.demo ? " · Demo account" : ""}`;
  } catch (err) {
    // Outside the desktop shell (a plain browser) there is no backend to ask.
    line.textContent = `The backend did not answer: ${String(err)}`;
  }
}

if (root) void render(root);
