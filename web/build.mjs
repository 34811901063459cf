// Builds the pages into dist/: the desk (app.js, app.css, index.html),
// the gate (gate.js, gate.css, gate.html), the board (ops.*) and the
// organiser's console (admin.*), bundled and minified by esbuild. The output depends only on the sources and
// the locked packages, so CI can rebuild it and compare with what is
// committed. Fails when the page outgrows its weight budget.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 300 * 1024; // compressed JS and CSS, bytes

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist");
await build({
  entryPoints: { app: "src/main.tsx", gate: "src/gate.tsx", ops: "src/ops.tsx", admin: "src/admin.tsx" },
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome110", "firefox115", "safari16"],
  outdir: "dist",
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "eof",
  logLevel: "warning",
});
// The offline decider alone, for Node: CI runs it over the Rust decider's
// vectors (tests/it/desk/vectors.rs).
await build({
  entryPoints: { "check-vectors": "src/check_vectors.ts" },
  bundle: true,
  minify: false,
  format: "esm",
  platform: "node",
  target: ["node20"],
  outExtension: { ".js": ".mjs" },
  outdir: "dist",
  legalComments: "eof",
  logLevel: "warning",
});
copyFileSync("src/index.html", "dist/index.html");
copyFileSync("src/gate.html", "dist/gate.html");
copyFileSync("src/ops.html", "dist/ops.html");
copyFileSync("src/admin.html", "dist/admin.html");
copyFileSync("src/manifest.webmanifest", "dist/manifest.webmanifest");
copyFileSync("src/icon.svg", "dist/icon.svg");
// The gate's service worker, a script of its own.
await build({
  entryPoints: { "gate-sw": "src/gate_sw.ts" },
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome110", "firefox115", "safari16"],
  outdir: "dist",
  logLevel: "warning",
});

for (const [page, files] of [
  ["desk", ["app.js", "app.css"]],
  ["gate", ["gate.js", "gate.css"]],
  ["ops", ["ops.js", "ops.css"]],
  ["admin", ["admin.js", "admin.css"]],
]) {
  let total = 0;
  for (const file of files) {
    const raw = readFileSync(`dist/${file}`);
    const gz = gzipSync(raw, { level: 9 }).length;
    total += gz;
    console.log(`${file}: ${(raw.length / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzip`);
  }
  console.log(`${page} page weight: ${(total / 1024).toFixed(1)} KB compressed (budget ${BUDGET / 1024} KB)`);
  if (total > BUDGET) {
    console.error(`the ${page} page is over its weight budget`);
    process.exit(1);
  }
}
