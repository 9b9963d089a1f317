#!/usr/bin/env node
// The demo server: ONE local HTTP server on 127.0.0.1 that is at the same time
//   - the HubSpot emulator (tests/emulator) in sandbox mode (no token needed): the API at /crm/...
//     and its control API at /_emulator/...,
//   - the demo page (this folder) at /,
//   - the built package (pkg/) at /pkg/.
// HubSpot does not answer browser CORS requests, so the page must talk to the API on its own
// origin; that is what the sandbox does. For real accounts the page talks to a proxy instead.
//
//   node www/serve.mjs [--port 8787] [--deals 3000] [--seed 1] [--proxy URL] [--log]
//
// or from code: `const { url, emulator, close } = await startDemo({ port: 0 })`.

import { mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator, FAULT_KINDS } from "../tests/emulator/emulator.mjs";

const WWW = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(WWW, "..");
const NOT_SERVED = new Set(["serve.mjs"]);

/** Faults a visitor can recover from; `hang` (30 s timeouts) and `429-daily` (stops the run) are opt-in. */
export const DEMO_FAULT_KINDS = FAULT_KINDS.filter((k) => k !== "hang" && k !== "429-daily");

/**
 * Starts the demo server. The emulator serves one folder; a temporary folder of symlinks puts
 * www/* at / and pkg/ at /pkg/ without copying (edits to www/ and rebuilds of pkg/ show up on
 * reload). Resolves to `{url, port, emulator, close}`.
 */
export async function startDemo({
  port = 0, deals = 3000, contacts = 200, seed = 1, pkgDir = path.join(REPO, "pkg"), log = false, ...rest
} = {}) {
  const site = mkdtempSync(path.join(tmpdir(), "hubspot-batch-demo-"));
  try {
    for (const name of readdirSync(WWW)) {
      if (!NOT_SERVED.has(name) && !name.startsWith(".")) symlinkSync(path.join(WWW, name), path.join(site, name));
    }
    symlinkSync(path.resolve(pkgDir), path.join(site, "pkg"));
    const server = await startEmulator({
      port, seed, deals, contacts, sandbox: true, staticDir: site, log, faultKinds: DEMO_FAULT_KINDS, ...rest,
    });
    let closed = null;
    return {
      ...server,
      close() {
        closed ??= server.close().finally(() => rmSync(site, { recursive: true, force: true }));
        return closed;
      },
    };
  } catch (err) {
    rmSync(site, { recursive: true, force: true });
    throw err;
  }
}

function parseArgs(argv) {
  const out = { port: Number(process.env.PORT ?? 8787), proxy: process.env.HUBSPOT_PROXY_URL || "" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--port") out.port = Number(val());
    else if (a === "--deals") out.deals = Number(val());
    else if (a === "--seed") out.seed = Number(val());
    else if (a === "--proxy") out.proxy = val();
    else if (a === "--log") out.log = true;
    else if (a === "-h" || a === "--help") out.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) throw new Error(`bad port: ${out.port}`);
  if (out.proxy) {
    let u;
    try { u = new URL(out.proxy); } catch { throw new Error(`--proxy: not a URL: ${out.proxy}`); }
    if (u.protocol !== "https:" && !/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(u.hostname))
      throw new Error("--proxy must be an https: URL (http: only on loopback)");
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`serve.mjs: ${err.message}`);
    process.exit(2);
  }
  if (args.help) {
    console.log("usage: node www/serve.mjs [--port N] [--deals N] [--seed N] [--proxy URL] [--log]");
    process.exit(0);
  }
  const { proxy, help, ...opts } = args;
  let demo;
  try {
    demo = await startDemo(opts);
  } catch (err) {
    console.error(`serve.mjs: ${err.code === "EADDRINUSE" ? `port ${opts.port} is in use (set PORT=...)` : err.message}`);
    process.exit(1);
  }
  const page = proxy ? `${demo.url}/?proxy=${encodeURIComponent(proxy)}` : `${demo.url}/`;
  console.log(`hubspot-batch demo: ${page}`);
  console.log(`  sandbox: ${demo.emulator.getState().deals} deals, ${demo.emulator.getState().contacts} contacts (no token needed)`);
  if (proxy) console.log(`  proxy target preset: ${proxy}`);
  console.log("  Ctrl+C to stop");
  const stop = () => demo.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
