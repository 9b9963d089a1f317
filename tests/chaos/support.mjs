// Shared by the reliability suites (tests/chaos/, tests/jsfuzz/, tests/secrets/); not a test file.
//
// The package under test is the PACKED tarball, installed once per tarball into a consumer folder
// under the OS temp dir and imported from there by its bare name (tests/support/consumer.mjs).
import { consumerDir as consumerDirIn, loadConsumerPackage } from "../support/consumer.mjs";

const CACHE = "hubspot-batch-reliability";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The folder where the packed tarball is installed (node_modules/hubspot-batch). */
export const consumerDir = () => consumerDirIn(CACHE);

/** The package as `import * as m from "hubspot-batch"` sees it (Node ESM entry). */
export const loadPackage = () => loadConsumerPackage(CACHE);

/** Seeded PRNG (mulberry32): the same seed gives the same sequence. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n); // 0..n-1
  next.pick = (arr) => arr[Math.floor(next() * arr.length)];
  next.chance = (p) => next() < p;
  return next;
}
