import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * One vitest run for the whole monorepo. Workspace packages resolve to their
 * TypeScript source, so tests never depend on a stale `dist/`.
 */
export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^@syncline\/([a-z-]+)\/([a-z-]+)$/,
        replacement: `${root}packages/$1/src/$2/index.ts`,
      },
      {
        find: /^@syncline\/(desktop-client)$/,
        replacement: `${root}apps/$1/src/index.ts`,
      },
      {
        find: /^@syncline\/([a-z-]+)$/,
        replacement: `${root}packages/$1/src/index.ts`,
      },
    ],
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "e2e/src/**/*.test.ts"],
    globalSetup: ["packages/testkit/src/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "json"],
    outputFile: { json: ".vitest-report.json" },
  },
});
