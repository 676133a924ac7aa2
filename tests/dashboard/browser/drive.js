// drive.js runs Debian's chromium (never a downloaded browser) through the
// dashboard for tests/dashboard, and prints what the page showed as JSON
// lines on stdout. Usage: node drive.js MODE URL OUTDIR [ARGS]
//
//   load URL OUTDIR      open the page, print {"ready":true} once the
//                        functions' rows are there, then sample the in-flight
//                        figures every 100 ms until a line {"throttles":N,
//                        "function":F,"view":V} arrives on stdin; wait until F's
//                        throttle total shows N, screenshot the table and V's
//                        view, and print the figures.
//   auth URL OUTDIR AKID SECRET
//                        log in through the form and print what the page shows.
//   firstload URL OUTDIR N
//                        time the page from navigation until N rows show.
"use strict";

const { chromium } = require("playwright-core");
const fs = require("fs");
const os = require("os");
const path = require("path");
const readline = require("readline");

const [mode, url, outDir, ...rest] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");

async function launch() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "reservoir-chromium-"));
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--no-first-run", "--disable-dev-shm-usage"],
    viewport: { width: 1360, height: 900 },
  });
  const close = async () => {
    await ctx.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.setDefaultTimeout(30000);
  return { page, close };
}

// figure reads one figure of the table: its data-value, data-total, data-max.
function figure(page, fn, metric, qualifier) {
  return page.evaluate(([fn, metric, qualifier]) => {
    let sel = `#functions [data-function="${fn}"][data-metric="${metric}"]`;
    if (qualifier) sel += `[data-qualifier="${qualifier}"]`;
    const n = document.querySelector(sel);
    if (!n) return null;
    return { value: n.dataset.value, total: n.dataset.total, max: n.dataset.max, text: n.textContent };
  }, [fn, metric, qualifier]);
}

function stdinLine() {
  const rl = readline.createInterface({ input: process.stdin });
  return new Promise((resolve) => rl.once("line", (l) => {
    rl.close();
    resolve(JSON.parse(l));
  }));
}

async function load() {
  const { page, close } = await launch();
  try {
    await page.goto(url + "/_reservoir/");
    await page.waitForSelector('#functions tr[data-function]');
    out({ ready: true });
    const seen = {}; // function → most in flight sampled
    let stop = false;
    const done = stdinLine().then((m) => { stop = true; return m; });
    while (!stop) {
      const all = await page.evaluate(() => Array.from(document.querySelectorAll('#functions [data-metric="inflight"]'))
        .map((n) => [n.dataset.function, Number(n.dataset.value || 0)]));
      for (const [fn, v] of all) seen[fn] = Math.max(seen[fn] || 0, v);
      await new Promise((r) => setTimeout(r, 100));
    }
    const want = await done;
    // Wait until the page has counted what the clients saw.
    await page.waitForFunction((waits) => waits.every((w) => {
      const e = document.querySelector(`#functions [data-function="${w.function}"][data-metric="${w.metric}"]`);
      return e && (w.atLeast ? Number(e.dataset.total) >= w.total : e.dataset.total === String(w.total));
    }), want.waits, { timeout: 15000 }).catch(() => {});
    const result = { sampledMax: seen, figures: {} };
    for (const fn of [want.function, want.view]) {
      result.figures[fn] = {};
      for (const m of ["inflight", "reserved", "throttles", "spillover", "invocations", "errors", "p99"]) {
        result.figures[fn][m] = await figure(page, fn, m);
      }
    }
    result.provisioned = {};
    for (const m of ["provisioned-requested", "provisioned-allocated", "provisioned-status"]) {
      result.provisioned[m] = await figure(page, want.view, m, "live");
    }
    result.pool = await page.evaluate(() => Object.fromEntries(
      Array.from(document.querySelectorAll("#pool [data-metric]")).map((n) => [n.dataset.metric, n.dataset.value])));
    await page.screenshot({ path: path.join(outDir, "dashboard.png"), fullPage: true });

    // The function's view: charts drawn, figures, timeline and log lines.
    await page.click(`#functions a[data-function="${want.view}"]`);
    await page.waitForSelector("#chart-concurrency canvas");
    await page.waitForFunction(() => Number(document.querySelector("#log").dataset.lines || 0) > 0, null, { timeout: 15000 }).catch(() => {});
    await page.waitForTimeout(1200); // one more tick drawn, for the picture
    result.view = await page.evaluate(() => ({
      name: document.querySelector("#fn-name").textContent,
      charts: document.querySelectorAll("#function-view canvas").length,
      logLines: Number(document.querySelector("#log").dataset.lines || 0),
      figures: Object.fromEntries(Array.from(document.querySelectorAll("#fn-figures [data-metric]"))
        .map((n) => [n.dataset.metric + (n.dataset.qualifier ? ":" + n.dataset.qualifier : ""), n.dataset.value])),
    }));
    await page.screenshot({ path: path.join(outDir, "dashboard-function.png"), fullPage: true });
    out(result);
  } finally {
    await close();
  }
}

async function auth() {
  const [akid, secret] = rest;
  const { page, close } = await launch();
  try {
    const res = await page.goto(url + "/_reservoir/");
    const result = { status: res.status(), loginForm: (await page.$("form#login")) !== null };
    await page.fill("#access_key_id", akid);
    await page.fill("#secret_access_key", "not-" + secret);
    await page.click("#login-submit");
    result.refused = (await page.$("#login-error")) !== null;
    await page.fill("#access_key_id", akid);
    await page.fill("#secret_access_key", secret);
    await page.click("#login-submit");
    await page.waitForSelector("#functions tr[data-function]");
    result.functions = await page.evaluate(() => Array.from(document.querySelectorAll("#functions tr[data-function]")).map((n) => n.dataset.function));
    result.scopes = await page.evaluate(() => Array.from(document.querySelectorAll("#scope option")).map((o) => o.value));
    const cookies = await page.context().cookies();
    result.cookies = cookies.length;
    result.cookieHttpOnly = cookies.length > 0 && cookies.every((c) => c.httpOnly && c.sameSite === "Strict");
    result.scriptSeesCookie = await page.evaluate(() => document.cookie.includes("reservoir_session"));
    await page.click("#logout");
    await page.waitForSelector("form#login");
    result.loggedOut = true;
    // Logged in again, the session ends elsewhere (a logout sent with its
    // cookie from outside the page): the open page's streams end and it
    // returns to the login form by itself.
    await page.fill("#access_key_id", akid);
    await page.fill("#secret_access_key", secret);
    await page.click("#login-submit");
    await page.waitForSelector("#functions tr[data-function]");
    const session = (await page.context().cookies()).find((c) => c.name === "reservoir_session");
    const res2 = await fetch(url + "/_reservoir/logout", { method: "POST", redirect: "manual",
      headers: { cookie: "reservoir_session=" + (session ? session.value : "") } });
    result.outsideLogout = res2.status;
    result.backToLogin = await page.waitForSelector("form#login", { timeout: 20000 }).then(() => true, () => false);
    out(result);
  } finally {
    await close();
  }
}

async function firstLoad() {
  const n = Number(rest[0]);
  const { page, close } = await launch();
  try {
    await page.goto(url + "/_reservoir/static/dashboard.css"); // the browser is up; what follows is the page alone
    const start = Date.now();
    await page.goto(url + "/_reservoir/");
    await page.waitForFunction((n) => document.querySelectorAll("#functions tr[data-function]").length >= n, n, { timeout: 30000 });
    const ms = Date.now() - start;
    const nav = await page.evaluate(() => {
      const e = performance.getEntriesByType("navigation")[0];
      return { domContentLoaded: e.domContentLoadedEventEnd, load: e.loadEventEnd };
    });
    out({ rows: n, ms, nav });
  } finally {
    await close();
  }
}

({ load, auth, firstload: firstLoad })[mode]().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + "\n");
  process.exit(1);
});
