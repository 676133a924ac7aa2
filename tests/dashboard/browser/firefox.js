// firefox.js loads the dashboard in Debian's Firefox ESR (never a downloaded
// browser) through puppeteer-core's WebDriver BiDi, for tests/dashboard's
// TestDashboardFirefox. Usage: node firefox.js URL FUNCTION THROTTLES OK
//
// It waits until FUNCTION's row shows THROTTLES throttles and OK invocations
// in total, opens the function's view, waits for its charts and log lines,
// and prints what the page showed as one JSON line on stdout.
"use strict";

const puppeteer = require("puppeteer-core");
const fs = require("fs");
const os = require("os");
const path = require("path");

const [url, fn, throttles, ok] = process.argv.slice(2);

(async () => {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "reservoir-firefox-"));
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: process.env.FIREFOX || "/usr/bin/firefox-esr",
    headless: true,
    userDataDir,
    args: ["--width=1360", "--height=900"],
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(30000);
    await page.goto(url + "/_reservoir/");
    const row = (metric) => `#functions [data-function="${fn}"][data-metric="${metric}"]`;
    await page.waitForFunction(
      (thr, inv, want) => {
        const t = document.querySelector(thr), i = document.querySelector(inv);
        return t && i && t.dataset.total === want[0] && i.dataset.total === want[1];
      },
      {}, row("throttles"), row("invocations"), [throttles, ok]);
    const figures = await page.$$eval(`#functions [data-function="${fn}"][data-metric]`,
      (els) => Object.fromEntries(els.map((e) => [e.dataset.metric, { value: e.dataset.value, total: e.dataset.total, max: e.dataset.max }])));
    await page.click(`#functions a[href*="${fn}"]`);
    await page.waitForFunction(() =>
      document.querySelectorAll("#function-view canvas").length >= 2 &&
      Number((document.querySelector("#log") || { dataset: {} }).dataset.lines || 0) > 0);
    const view = await page.evaluate(() => ({
      charts: document.querySelectorAll("#function-view canvas").length,
      logLines: Number(document.querySelector("#log").dataset.lines || 0),
    }));
    process.stdout.write(JSON.stringify({ browser: await browser.version(), figures, view }) + "\n");
  } finally {
    await browser.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
