// Builds the unit tests of the pure modules (test/*.test.ts) for Node and
// runs them with node's test runner: `npm test`.
import { build } from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";

const out = ".test-out";
rmSync(out, { recursive: true, force: true });
const entries = readdirSync("test").filter((f) => f.endsWith(".test.ts")).map((f) => `test/${f}`);
await build({
  entryPoints: entries,
  bundle: true,
  format: "esm",
  platform: "node",
  target: ["node20"],
  outdir: out,
  outExtension: { ".js": ".mjs" },
  jsx: "automatic",
  jsxImportSource: "preact",
  logLevel: "warning",
});
const files = readdirSync(out).map((f) => `${out}/${f}`);
const run = spawnSync(process.execPath, ["--test", ...files], { stdio: "inherit" });
process.exit(run.status ?? 1);
