/**
 * The layer rules of the packages (CONTRIBUTING.md draws them), checked by
 * `pnpm lint`. Test files, test helpers and benches may cross them; shipped
 * code may not.
 */
const shipped = "^packages/(?!testkit/|sim/)[^/]+/src/";
const notShipped = ["\\.test\\.ts$", "/testing/", "/fixtures/", "/test-support\\.ts$"];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "protocol-depends-on-nothing-of-ours",
      comment: "The wire contract is the bottom layer: it imports no other package of ours.",
      severity: "error",
      from: { path: "^packages/protocol/src/", pathNot: notShipped },
      to: { path: "^packages/(?!protocol/)" },
    },
    {
      name: "client-knows-no-store-adapter-or-server",
      comment:
        "The client engine talks to ports; store adapters and the server side sit elsewhere.",
      severity: "error",
      from: { path: "^packages/client/src/", pathNot: notShipped },
      to: { path: "^packages/(client-sqlite|pg-store|hono|server-core)/" },
    },
    {
      name: "store-and-core-know-no-http-framework",
      comment: "pg-store and server-core never import the Hono adapter.",
      severity: "error",
      from: { path: "^packages/(pg-store|server-core)/src/", pathNot: notShipped },
      to: { path: "^packages/hono/" },
    },
    {
      name: "no-package-imports-an-app",
      severity: "error",
      from: { path: "^packages/" },
      to: { path: "^apps/" },
    },
    {
      name: "shipped-code-imports-no-test-helper",
      comment: "Test helpers live in @syncline/testkit or under src/testing, and never ship.",
      severity: "error",
      from: { path: shipped, pathNot: notShipped },
      to: { path: ["^packages/testkit/", "/testing/", "\\.test\\.ts$"] },
    },
    {
      name: "no-reaching-into-another-package",
      comment: "Packages meet through their public entry (src/index.ts), never by relative path.",
      severity: "error",
      from: { path: "^(packages|apps|e2e)/([^/]+)/" },
      to: {
        path: "^(packages|apps)/([^/]+)/src/(?!index\\.ts$|conformance/index\\.ts$)",
        pathNot: "^$1/$2/",
      },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["node_modules", "/dist/"] },
    tsConfig: { fileName: "tsconfig.base.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "types"] },
  },
};
