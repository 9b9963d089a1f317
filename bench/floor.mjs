// The crossing's floor (issue 13): bench/floor/, a crate that does only what any design on the
// issue's rules must do for a batch update (inputs into wasm through serde-wasm-bindgen, bodies
// out through it and JSON.stringify, answers through JSON.parse with only the ids carried in),
// built like the package: opt-level z, LTO, the pinned wasm-bindgen CLI, wasm-opt -Oz.
//
//   node bench/floor.mjs                 # builds it (cached in target/floor) and prints its folder
//
// cpu.mjs times it beside the package and the plain-JS baseline (the variant `{ floor: dir }`).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { REPO, NODE_MODULES } from "./lib.mjs";
import * as baseline from "./baseline.mjs";

const CRATE = join(REPO, "bench", "floor");
const TARGET = join(REPO, "target", "floor");

/** Builds the floor crate for Node and returns the folder of its glue. */
export function buildFloor() {
  const env = { ...process.env, CARGO_TARGET_DIR: TARGET };
  const run = (cmd, args) => execFileSync(cmd, args, { cwd: CRATE, env, stdio: ["ignore", "ignore", "inherit"] });
  run("cargo", ["build", "--release", "--target", "wasm32-unknown-unknown", "--quiet"]);
  const raw = join(TARGET, "wasm32-unknown-unknown", "release", "hubspot_batch_floor.wasm");
  const out = join(TARGET, "node");
  mkdirSync(out, { recursive: true });
  run("wasm-bindgen", ["--target", "nodejs", "--out-dir", out, raw]);
  writeFileSync(join(out, "package.json"), '{ "type": "commonjs" }\n'); // the repo's package.json says "module"
  const wasm = join(out, "hubspot_batch_floor_bg.wasm");
  const features = execFileSync(join(NODE_MODULES, ".bin", "wasm-opt"), ["--print-features", wasm], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n").map((s) => s.trim()).filter((s) => s.startsWith("--"));
  run(join(NODE_MODULES, ".bin", "wasm-opt"), [...features, "-Oz", "-o", wasm, wasm]);
  return out;
}

/** The floor as cpu.mjs calls an implementation. Its inputs are the same deals with every
 * property value formatted as the request carries it (outside the timing: the floor formats
 * nothing), so it is timed on the easiest input there is. */
export function floorImpl(dir) {
  const require = createRequire(import.meta.url);
  const floor = require(join(dir, "hubspot_batch_floor.js"));
  const formatted = new WeakMap();
  const strings = (inputs) => {
    let s = formatted.get(inputs);
    if (!s) {
      s = inputs.map(({ id, properties }) => ({ id, properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, baseline.formatPropertyValue(v)])) }));
      formatted.set(inputs, s);
    }
    return s;
  };
  return {
    prepare: strings,
    read: (strs) => floor.read(strs),
    buildBatchUpdateRequests: (inputs) => floor.build(strings(inputs)).map((body) => ({ body })),
    parseBatchResponse: (_status, body) => floor.parse(body),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = buildFloor();
  if (!existsSync(join(dir, "hubspot_batch_floor.js"))) throw new Error("no glue built");
  console.log(dir);
}
