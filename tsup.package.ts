import { defineConfig } from "tsup";

/** The build of every publishable package: ESM + CJS + `.d.ts` from `src/index.ts`. */
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  tsconfig: "tsconfig.build.json",
  sourcemap: true,
  clean: true,
});
