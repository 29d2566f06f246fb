// Shared by the browser tests (tests/e2e/browser_test.cc runs them): Debian's chromium, driven
// by playwright-core, which never downloads a browser of its own. A fresh profile directory
// each run (the caller's scratch directory; removed with it).
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.GRAFT_CHROMIUM || "/usr/bin/chromium";

// The flags of a chromium that talks to nothing but the pages it is sent to.
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// Progress lines go to stdout; the test prints them when it fails.
export function step(message) {
  console.log(`${new Date().toISOString().slice(11, 23)} ${message}`);
}

// Ends the run with exit code 1 and the reason on stderr.
export function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

export function check(condition, message) {
  if (!condition) fail(message);
}

// A browser context with a fresh profile in `profileDir`; exit code 2 with the reason when
// chromium cannot start.
export async function launch(profileDir, viewport = { width: 1280, height: 900 }) {
  try {
    return await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport,
      timeout: 30_000,
    });
  } catch (error) {
    // Playwright's message ends with the browser's own output, which says why.
    const lines = String(error.message).split("\n").slice(0, 12).join("\n");
    console.error(`FAIL: chromium could not start (${CHROMIUM}): ${lines}`);
    process.exit(2);
  }
}

// Polls `probe` (async, returns a value or null) every 100 ms until it returns a value, or
// fails with `what` after `ms`.
export async function waitFor(what, probe, ms = 10_000) {
  const giveUp = Date.now() + ms;
  let last = null;
  while (Date.now() < giveUp) {
    last = await probe();
    if (last !== null && last !== undefined && last !== false) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  fail(`timed out after ${ms} ms waiting for ${what}`);
  return null;
}

// The config object passed as the one command-line argument (JSON).
export function config() {
  try {
    return JSON.parse(process.argv[2]);
  } catch (error) {
    fail(`expected one JSON argument: ${error.message}`);
    return null;
  }
}
