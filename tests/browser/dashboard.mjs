// The live dashboard in chromium, during a running experiment (BrowserTest.Dashboard... in
// tests/e2e/browser_test.cc starts the experiment and its load):
//   node dashboard.mjs '{"admin": "http://127.0.0.1:PORT", "token": "...", "name": "...",
//                        "out": DIR, "profile": DIR, "charts": "uPlot" | "SVG"}'
// The page asks for the token; both variants' figures appear and change; the charts draw;
// setting a weight on the page changes the proxy's weights (GET /status); pause and resume;
// a page without uPlot draws SVG charts; rollback ends the experiment and the page says so.
// Screenshots: OUT/dashboard.png. Exit 0: every check passed; 1: one failed (stderr says
// which); 2: chromium could not start.
import { check, config, fail, launch, step, waitFor } from "./browser.mjs";

const cfg = config();
const admin = cfg.admin.replace(/\/$/, "");

// GET `path` from the admin API with the token (node's own fetch, beside the browser).
async function adminGet(path) {
  const response = await fetch(admin + path, { headers: { Authorization: `Bearer ${cfg.token}` } });
  check(response.ok, `GET ${path}: HTTP ${response.status}`);
  return response.json();
}

// Every variant card's figures: {name: {figure: text}}.
function figures(page) {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll("[data-variant]")].map((card) => [
        card.dataset.variant,
        Object.fromEntries([...card.querySelectorAll("[data-figure]")].map((dd) => [dd.dataset.figure, dd.textContent])),
      ]),
    ),
  );
}

const requestsOf = (seen, name) => Number.parseInt(seen[name] && seen[name].requests, 10) || 0;

// Watches what the page does: errors, and every request it sends.
function watch(page, problems) {
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    // Before the token is entered the API answers 401, which chromium logs.
    if (message.type() === "error" && !/status of 401/.test(message.text())) {
      problems.push(`console error: ${message.text()}`);
    }
  });
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(admin + "/")) problems.push(`a request to another origin: ${url}`);
    if (url.includes(cfg.token)) problems.push(`the token in a URL: ${url}`);
  });
}

async function enterToken(page) {
  await page.locator("#token-form").waitFor({ state: "visible", timeout: 10_000 });
  check((await page.evaluate(() => sessionStorage.length)) === 0, "a token was stored before one was entered");
  await page.fill("#token", cfg.token);
  await page.click("#token-form button");
  await page.locator("#token-form").waitFor({ state: "hidden", timeout: 5_000 });
}

async function bothVariantsMove(page) {
  const first = await waitFor("both variants' request counts on the page", async () => {
    const seen = await figures(page);
    return requestsOf(seen, "baseline") > 0 && requestsOf(seen, "treatment") > 0 ? seen : null;
  });
  step(`figures: ${JSON.stringify(first)}`);
  const later = await waitFor("both variants' figures to change", async () => {
    const seen = await figures(page);
    return requestsOf(seen, "baseline") > requestsOf(first, "baseline") &&
      requestsOf(seen, "treatment") > requestsOf(first, "treatment") &&
      seen.baseline.rps !== "-" && seen.treatment.rps !== "-"
      ? seen
      : null;
  });
  step(`figures a moment later: ${JSON.stringify(later)}`);
  for (const name of ["baseline", "treatment"]) {
    check(/healthy/.test(later[name].health), `${name}: no upstream health shown: ${later[name].health}`);
    check(/%$/.test(later[name].weight), `${name}: no weight shown: ${later[name].weight}`);
    check(/ms$/.test(later[name].latency), `${name}: no latency shown: ${later[name].latency}`);
  }
  check(later.treatment.comparison !== "-", "no comparison with the baseline shown");
}

async function headerShowsTheRun(page) {
  const text = async (id) => (await page.textContent(`#${id}`)).trim();
  check((await text("name")) === cfg.name, `the page names '${await text("name")}'`);
  check((await text("state")) === "running", `state '${await text("state")}'`);
  check((await text("sticky")) === "header:X-User-Id", `sticky key '${await text("sticky")}'`);
  check((await text("salt")) === cfg.name, `salt '${await text("salt")}'`);
  check(/^1 of 2/.test(await text("step")), `step '${await text("step")}'`);
}

async function chartsDraw(page, engine, selector) {
  const shown = await waitFor("the charts to be built", async () => {
    const text = (await page.textContent("#chart-engine")).trim();
    return text === "-" ? null : text;
  });
  check(shown.startsWith(engine), `charts drawn by '${shown}', expected ${engine}`);
  for (const id of ["chart-rps", "chart-errors", "chart-p50", "chart-p99"]) {
    await waitFor(`${engine} chart #${id}`, async () => (await page.locator(`#${id} ${selector}`).count()) > 0);
  }
  if (engine === "uPlot") {
    const legend = await page.textContent("#chart-rps .u-legend");
    check(legend.includes("baseline") && legend.includes("treatment"), `chart legend: ${legend}`);
  }
}

async function setWeight(page) {
  await page.selectOption("#weight-variant", "treatment");
  await page.fill("#weight-value", "30");
  await page.click("#set-weight");
  await waitFor("the page's set_weight result", async () =>
    /set_weight/.test(await page.textContent("#control-result")));
  const status = await adminGet("/status");
  const treatment = status.variants.find((v) => v.name === "treatment");
  check(treatment && treatment.share_percent === 30, `GET /status after setting 30%: ${JSON.stringify(status.variants)}`);
  step(`GET /status: treatment at ${treatment.share_percent}% in the proxy (generation ${status.generation})`);
  await waitFor("the page to show the new weight", async () => (await figures(page)).treatment.weight === "30.0%");
}

async function pauseAndResume(page) {
  await page.click("#pause");
  await waitFor("state paused", async () => (await page.textContent("#state")).trim() === "paused");
  check((await adminGet("/experiment")).state === "paused", "GET /experiment is not paused");
  await page.click("#resume");
  await waitFor("state running", async () => (await page.textContent("#state")).trim() === "running");
}

// A build without uPlot (no npm): the page draws SVG charts itself.
async function svgFallback(context) {
  const page = await context.newPage();
  const problems = [];
  watch(page, problems);
  await page.route(`${admin}/uplot.js`, (route) =>
    route.fulfill({ status: 200, contentType: "text/javascript", body: "// not bundled\n" }));
  await page.goto(admin + "/");
  await enterToken(page);
  await chartsDraw(page, "SVG", "polyline");
  await page.screenshot({ path: `${cfg.out}/dashboard-svg.png`, fullPage: true });
  check(problems.length === 0, `the SVG page: ${problems.join("; ")}`);
  await page.close();
  step("without uPlot the page draws SVG charts");
}

async function rollBack(page) {
  page.once("dialog", (dialog) => dialog.accept());
  await page.click("#rollback");
  const result = await waitFor("the rollback's result", async () => {
    const text = await page.textContent("#control-result");
    return /^rollback:/.test(text) ? text : null;
  });
  check(/treatment 0%/.test(result) && /baseline 100%/.test(result), `rollback answered: ${result}`);
  step(`rollback: ${result}`);
  // The proxy keeps the final weights for a moment after the end (the runner's linger).
  const status = await adminGet("/status");
  const share = (name) => (status.variants.find((v) => v.name === name) || {}).share_percent;
  check(share("baseline") === 100 && share("treatment") === 0,
        `GET /status after the rollback: ${JSON.stringify(status.variants)}`);
  step("GET /status after the rollback: baseline 100%, treatment 0% in the proxy");
  await waitFor("the page to say the experiment ended", async () =>
    /has ended \(rolled_back\)/.test(await page.textContent("#message")), 15_000);
  check((await page.textContent("#state")).trim() === "rolled back", "the badge does not say rolled back");
  check(await page.isDisabled("#rollback"), "controls stay enabled after the end");
}

async function main() {
  const context = await launch(cfg.profile);
  const page = context.pages()[0] || (await context.newPage());
  const problems = [];
  watch(page, problems);
  const response = await page.goto(admin + "/");
  check(response.status() === 200, `GET / answered ${response.status()}`);
  await enterToken(page);
  step("the page asked for the token; entered");
  await bothVariantsMove(page);
  await headerShowsTheRun(page);
  await chartsDraw(page, cfg.charts, cfg.charts === "uPlot" ? ".uplot canvas" : "polyline");
  // Enough points on the charts for a screenshot that shows lines.
  await waitFor("6 points on the charts", async () => (await adminGet("/experiment/live")).series.t.length >= 6, 15_000);
  await setWeight(page);
  await pauseAndResume(page);
  await waitFor("the three decisions in the log", async () => (await page.locator("#decisions tr").count()) === 3);
  await page.waitForTimeout(2_000); // the new weight on the charts
  await page.screenshot({ path: `${cfg.out}/dashboard.png`, fullPage: true });
  step(`screenshot ${cfg.out}/dashboard.png`);
  await svgFallback(context);
  check(problems.length === 0, problems.join("; "));
  await rollBack(page);
  await context.close();
  step("ok");
}

main().catch((error) => fail(error.stack || String(error)));
