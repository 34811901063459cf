// Builds the desk page into dist/: app.js and app.css bundled and minified
// by esbuild, index.html copied. The output depends only on the sources and
// the locked packages, so CI can rebuild it and compare with what is
// committed. Fails when the page outgrows its weight budget.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 300 * 1024; // compressed JS and CSS, bytes

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist");
await build({
  entryPoints: { app: "src/main.tsx" },
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
copyFileSync("src/index.html", "dist/index.html");

let total = 0;
for (const file of ["app.js", "app.css"]) {
  const raw = readFileSync(`dist/${file}`);
  const gz = gzipSync(raw, { level: 9 }).length;
  total += gz;
  console.log(`${file}: ${(raw.length / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzip`);
}
console.log(`page weight: ${(total / 1024).toFixed(1)} KB compressed (budget ${BUDGET / 1024} KB)`);
if (total > BUDGET) {
  console.error("the page is over its weight budget");
  process.exit(1);
}
