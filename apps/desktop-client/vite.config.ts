import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

/** Builds the window's UI from `ui/` into `dist/ui`, which the local process serves. */
export default defineConfig({
  root: "ui",
  base: "./",
  plugins: [preact()],
  build: { outDir: "../dist/ui", emptyOutDir: true, target: "es2022" },
});
