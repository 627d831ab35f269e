/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The desktop app loads the built page from disk; a fixed port lets `tauri dev` find Vite.
export default defineConfig({
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
