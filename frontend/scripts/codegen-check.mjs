// Fails when src/gql/ is not what `npm run codegen` would write from the schema and documents.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const generated = "src/gql";
const keep = mkdtempSync(join(tmpdir(), "gql-"));
cpSync(generated, keep, { recursive: true });
let stale = [];
try {
  execFileSync("npx", ["graphql-codegen", "--config", "codegen.ts", "--silent"], { stdio: "inherit" });
  const names = new Set([...readdirSync(keep), ...readdirSync(generated)]);
  for (const name of names) {
    let before = null;
    let after = null;
    try { before = readFileSync(join(keep, name), "utf8"); } catch { /* absent */ }
    try { after = readFileSync(join(generated, name), "utf8"); } catch { /* absent */ }
    if (before !== after) stale.push(name);
  }
} finally {
  rmSync(generated, { recursive: true, force: true });
  cpSync(keep, generated, { recursive: true });
  rmSync(keep, { recursive: true, force: true });
}
if (stale.length) {
  console.error(`src/gql is stale (${stale.join(", ")}): run \`npm run codegen\` and commit the result`);
  process.exit(1);
}
console.log("src/gql is up to date with ../schema/schema.graphql and the documents");
