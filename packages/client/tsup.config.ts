import { defineConfig } from "tsup";
import base from "../../tsup.package.js";

/** The shared build, plus the `./conformance` entry (the ClientStore suite; vitest and fast-check stay external peers). */
export default defineConfig({
  ...base,
  entry: { index: "src/index.ts", "conformance/index": "src/conformance/index.ts" },
});
