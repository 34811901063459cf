// Runs the browser's offline decider (decide.ts) over a vector file that
// the Rust decider wrote, and fails on any difference:
//   node dist/check-vectors.mjs vectors.json
// The file: { bundles: [base64 of OfflineBundle], cases: [{ bundle, zone,
// at, qr, direction, expect }] }, `expect` being ALLOW or a deny reason.
import { readFileSync } from "node:fs";
import { decideWay, rulesOf, type Rules } from "./decide";

interface Case {
  bundle: number;
  zone: number | null;
  at: string;
  qr: string;
  /** "in" or "out"; an entry when absent. */
  direction?: "in" | "out";
  expect: string;
}

const file = process.argv[2];
if (!file) {
  console.error("usage: node check-vectors.mjs VECTORS.json");
  process.exit(2);
}
const vectors = JSON.parse(readFileSync(file, "utf8")) as { bundles: string[]; cases: Case[] };
const rules: Rules[] = [];
for (const b of vectors.bundles) rules.push(await rulesOf(Uint8Array.from(Buffer.from(b, "base64"))));
let differences = 0;
for (const [i, c] of vectors.cases.entries()) {
  const v = await decideWay(rules[c.bundle], c.qr, c.zone, new Date(c.at), c.direction ?? "in");
  const got = v.deny ?? "ALLOW";
  if (got !== c.expect) {
    differences++;
    if (differences <= 20) console.error(`case ${i}: expected ${c.expect}, got ${got} (${JSON.stringify(c)})`);
  }
}
console.log(`${vectors.cases.length} cases, ${differences} differences`);
process.exit(differences === 0 ? 0 : 1);
