import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/cli.ts"],
  format: ["esm"],
  platform: "node",
  target: "node20",
  tsconfig: "tsconfig.build.json",
  dts: false,
  sourcemap: true,
  clean: true,
});
