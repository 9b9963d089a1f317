// TypeScript consumers of the packed package:
//  - consumer.ts uses the WHOLE public API under `tsc --strict --noEmit` (moduleResolution
//    bundler, skipLibCheck off, noUncheckedIndexedAccess on), with @ts-expect-error lines proving
//    wrong calls fail;
//  - fields.ts reads HubSpot's required fields (`results[i].properties.x`, `createdAt`,
//    `errors[i].context`) by index under plain --strict, with no `?.` or `!`, at their exact
//    types (issue 13 item 8), and @ts-expect-error lines proving wrong reads fail;
//  - esm.mts / cjs.cts resolve the typings in module nodenext and node16 (ESM and CommonJS);
//  - the public .d.ts files (those reachable from package.json's "types" conditions) contain no
//    `any` outside comments.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile as execFileCb } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { REPO_DIR, removeDir, setUpProject } from "../support.mjs";

const execFile = promisify(execFileCb);
const HERE = dirname(fileURLToPath(import.meta.url));
const TSC = join(REPO_DIR, "node_modules", "typescript", "bin", "tsc");

let dir, pkgDir;
before(async () => {
  dir = await setUpProject(HERE);
  pkgDir = join(dir, "node_modules", "hubspot-batch");
});
after(() => removeDir(dir));

async function tsc(config) {
  try {
    await execFile(process.execPath, [TSC, "-p", config, "--strict", "--noEmit"], { cwd: dir, timeout: 50_000 });
  } catch (e) {
    assert.fail(`tsc -p ${config} failed:\n${e.stdout}${e.stderr}`);
  }
}

test("the whole public API type-checks under --strict, and wrong calls do not", { timeout: 55_000 }, async () => {
  const source = readFileSync(join(dir, "consumer.ts"), "utf8");
  assert.ok((source.match(/@ts-expect-error/g) ?? []).length >= 15, "the negative cases are there");
  await tsc("tsconfig.json");
});

test("HubSpot's required fields read by index under --strict, with no ?. (fields.ts)", { timeout: 55_000 }, async () => {
  const source = readFileSync(join(dir, "fields.ts"), "utf8");
  assert.doesNotMatch(source.replace(/\/\/.*$/gm, ""), /\?\.|!\./, "no optional chaining and no non-null assertion");
  assert.ok((source.match(/@ts-expect-error/g) ?? []).length >= 8, "the negative cases are there");
  await tsc("tsconfig.fields.json");
});

test("upsert, create, read, archive and buildBatchRequests are typed from HubSpot's schemas (operations.ts)", { timeout: 55_000 }, async () => {
  const source = readFileSync(join(dir, "operations.ts"), "utf8");
  assert.doesNotMatch(source.replace(/\/\/.*$/gm, ""), /\?\.|!\./, "no optional chaining and no non-null assertion");
  assert.ok((source.match(/@ts-expect-error/g) ?? []).length >= 8, "the negative cases are there");
  await tsc("tsconfig.fields.json");
});

for (const mode of ["nodenext", "node16"]) {
  test(`typings resolve in module ${mode} (ESM .mts and CommonJS .cts)`, { timeout: 55_000 }, async () => {
    await tsc(`tsconfig.${mode}.json`);
  });
}

/** The .d.ts files a consumer's `import "hubspot-batch"` can reach, following re-exports. */
function publicTypings() {
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  const roots = new Set();
  const collect = (v) => {
    if (typeof v === "string") roots.add(v);
    else if (v && typeof v === "object") Object.values(v).forEach(collect);
  };
  collect(pkg.exports["."].types);
  if (pkg.types) roots.add(pkg.types);
  const seen = new Set();
  const queue = [...roots].map((r) => resolve(pkgDir, r));
  while (queue.length) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:from|import)\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      const base = resolve(dirname(file), m[1]);
      const candidates = [base.replace(/\.(m|c)?js$/, ".d.$1ts"), base.replace(/\.js$/, ".d.ts"), base + ".d.ts", base];
      const hit = candidates.find((c) => c.endsWith("ts") && existsSync(c));
      assert.ok(hit, `${relative(pkgDir, file)} refers to ${m[1]}, which has no typings`);
      queue.push(hit);
    }
  }
  return [...seen];
}

/** `any` tokens outside comments, as "file:line: text". */
function anys(file) {
  const text = readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "))
    .replace(/\/\/.*$/gm, "");
  return text
    .split("\n")
    .map((line, i) => [line, i + 1])
    .filter(([line]) => /\bany\b/.test(line))
    .map(([line, n]) => `${relative(pkgDir, file)}:${n}: ${line.trim()}`);
}

test("no `any` in the public typings", (t) => {
  const files = publicTypings();
  assert.ok(files.some((f) => f.endsWith("index.d.ts")) && files.some((f) => f.endsWith("index.d.cts")), files.join(", "));
  assert.ok(files.length >= 3, `the re-exported API typings are followed: ${files.map((f) => relative(pkgDir, f))}`);
  assert.deepEqual(files.flatMap(anys), []);
  // Shipped but not reachable through "exports" (wasm-bindgen's raw ABI declarations): reported,
  // not failed, since no consumer can import them.
  const all = [];
  const walk = (d) => readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(join(d, e.name)) : /\.d\.(c|m)?ts$/.test(e.name) && all.push(join(d, e.name))));
  walk(pkgDir);
  const internal = all.filter((f) => !files.includes(f)).flatMap(anys);
  if (internal.length) t.diagnostic(`\`any\` in shipped, non-public typings: ${internal.length} lines in ${[...new Set(internal.map((l) => l.split(":")[0]))].join(", ")}`);
});
