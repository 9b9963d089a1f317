// Headless Chromium from Debian (scripts/setup installs /usr/bin/chromium), driven with
// playwright-core. Never a downloaded browser. Every host but 127.0.0.1 resolves to nothing, so
// pages cannot reach the network.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

/**
 * The start of the skip reason of a test that cannot run because a tool it needs is missing.
 * scripts/test's node stage finds "# SKIP missing tool:" in the TAP output, reports those tests,
 * and fails the run when CI is set (or REQUIRE_TOOLS=1). Use it for every such skip:
 * `test(name, { skip: missingTool("no Foo at /usr/bin/foo") }, ...)`.
 */
export const MISSING_TOOL = "missing tool:";
export const missingTool = (why) => `${MISSING_TOOL} ${why}`;

/** false when Chromium is there, else the reason to skip a test (for node:test's `skip`). */
export const chromiumMissing = existsSync(CHROMIUM) ? false : missingTool(`no Chromium at ${CHROMIUM} (scripts/setup installs it)`);

/** Launches headless Chromium; close it with `await browser.close()`. */
export async function launchChromium(options = {}) {
  const { chromium } = require("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, ...options });
}
