// `graft exp report NAME --html FILE` in chromium (BrowserTest.HtmlReport... in
// tests/e2e/browser_test.cc writes the file):
//   node report.mjs '{"file": PATH, "state": "rolled_back", "out": DIR, "profile": DIR}'
// The verdict comes first and names the final state; both variants have their row, their
// histogram and their traffic; the page asks for nothing but itself. Screenshot:
// OUT/report.png. Exit codes as dashboard.mjs.
import { check, config, fail, launch, step } from "./browser.mjs";

const cfg = config();

async function main() {
  const context = await launch(cfg.profile, { width: 1000, height: 1400 });
  const page = context.pages()[0] || (await context.newPage());
  const requests = [];
  page.on("request", (request) => requests.push(request.url()));
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  const url = `file://${cfg.file}`;
  await page.goto(url);

  const verdict = page.locator("#verdict");
  check((await verdict.count()) === 1, "no verdict on the page");
  const verdictText = await verdict.innerText();
  check(verdictText.startsWith(cfg.state), `the verdict says '${verdictText}', expected ${cfg.state} first`);
  const verdictBox = await verdict.boundingBox();
  const trafficBox = await page.locator("#traffic").boundingBox();
  check(verdictBox && trafficBox && verdictBox.y < trafficBox.y, "the verdict is not above the traffic chart");
  step(`verdict: ${verdictText.split("\n")[0]}`);

  for (const name of ["baseline", "treatment"]) {
    const row = page.locator("#variants td.l", { hasText: new RegExp(`^${name}$`) });
    check((await row.count()) === 1, `no metrics row for ${name}`);
    check(await row.isVisible(), `the metrics row of ${name} is not visible`);
    const histogram = page.locator("b", { hasText: new RegExp(`^${name}$`) });
    check((await histogram.count()) >= 1, `no latency histogram for ${name}`);
  }
  const traffic = await page.locator("#traffic rect").count();
  check(traffic > 2, `the traffic chart has ${traffic} bars`);
  const bars = await page.locator("svg rect").count();
  check(bars > 10, `the charts have ${bars} bars in all`);
  const decisions = await page.locator("#decisions tr").count();
  check(decisions >= 2, `the decision table has ${decisions - 1} decisions`);

  const elsewhere = requests.filter((r) => r !== url && !r.startsWith("data:"));
  check(elsewhere.length === 0, `the report asked for ${elsewhere.join(", ")}`);
  check(problems.length === 0, problems.join("; "));
  await page.screenshot({ path: `${cfg.out}/report.png`, fullPage: true });
  step(`screenshot ${cfg.out}/report.png`);
  await context.close();
  step("ok");
}

main().catch((error) => fail(error.stack || String(error)));
