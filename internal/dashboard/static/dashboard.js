// Reservoir's dashboard page: the account pool and one row per function,
// live from /_reservoir/api/events, and a function's view (#/fn/NAME) with
// its concurrency chart, timeline and log tail. No build step, no network
// beyond this server. Every figure carries data-metric (and data-function,
// data-qualifier where they apply) with its raw number in data-value, so
// scripts and tests can read the page.
(function () {
  "use strict";

  const API = "/_reservoir/api/";
  const LOG_CAP = 500; // log lines kept in the tail
  const SECONDS = 900; // points in the function view's charts

  const $ = (sel, root) => (root || document).querySelector(sel);
  const el = (tag, attrs, text) => {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  };

  const state = {
    account: "", region: "",
    events: null, detail: null, logs: null,
    rows: new Map(), // function name → its row's cells
    view: null, // the function view's state
    max: new Map(), // function name → the most in flight ever shown
  };

  // --- scope (account and region) --------------------------------------

  function readScope() {
    const q = new URLSearchParams(location.search);
    state.account = q.get("account") || "";
    state.region = q.get("region") || "";
  }

  function scopeQuery() {
    const q = new URLSearchParams();
    if (state.account) q.set("account", state.account);
    if (state.region) q.set("region", state.region);
    return q.toString();
  }

  function fillScopes(accounts, account, region) {
    const sel = $("#scope");
    const want = account + "/" + region;
    const have = Array.from(sel.options).map((o) => o.value).join(",");
    const list = accounts.map((a) => a.account + "/" + a.region);
    if (!list.includes(want)) list.push(want);
    if (have !== list.join(",")) {
      sel.replaceChildren(...list.map((v) => el("option", { value: v }, v.replace("/", " · "))));
    }
    sel.value = want;
  }

  $("#scope").addEventListener("change", (ev) => {
    const [account, region] = ev.target.value.split("/");
    state.account = account;
    state.region = region;
    history.replaceState(null, "", "?" + scopeQuery() + location.hash);
    state.rows.forEach((r) => r.tr.remove());
    state.rows.clear();
    state.max.clear();
    connect();
    route();
  });

  // --- figures ----------------------------------------------------------

  // setFigure writes a number into a figure, in place.
  function setFigure(node, value, text) {
    const v = value === null || value === undefined ? "" : String(value);
    if (node.dataset.value !== v) node.dataset.value = v;
    const t = text !== undefined ? text : v === "" ? "–" : v;
    if (node.textContent !== t) node.textContent = t;
  }

  function figure(metric, fn, qualifier) {
    const attrs = { "data-metric": metric, "data-value": "", class: "num" };
    if (fn !== undefined) attrs["data-function"] = fn;
    if (qualifier !== undefined) attrs["data-qualifier"] = qualifier;
    return el("span", attrs, "–");
  }

  const SVGNS = "http://www.w3.org/2000/svg";

  function sparkline(metric, fn) {
    const svg = document.createElementNS(SVGNS, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("width", "64");
    svg.setAttribute("height", "18");
    svg.setAttribute("viewBox", "0 0 64 18");
    svg.setAttribute("data-function", fn);
    svg.setAttribute("data-sparkline", metric);
    const pl = document.createElementNS(SVGNS, "polyline");
    svg.appendChild(pl);
    return svg;
  }

  function drawSpark(svg, points) {
    const top = Math.max(1, ...points);
    const step = 64 / Math.max(1, points.length - 1);
    const d = points.map((p, i) => (i * step).toFixed(1) + "," + (17 - (p / top) * 16).toFixed(1)).join(" ");
    const pl = svg.firstChild;
    if (pl.getAttribute("points") !== d) pl.setAttribute("points", d);
    const s = points.join(",");
    if (svg.dataset.values !== s) svg.dataset.values = s;
  }

  const fmtMs = (ms) => (ms === null ? "–" : ms < 10 ? ms.toFixed(2) + " ms" : ms < 1000 ? ms.toFixed(1) + " ms" : (ms / 1000).toFixed(2) + " s");

  // --- pool and table -----------------------------------------------------

  function renderPool(p) {
    setFigure($('[data-metric="pool-limit"]'), p.limit);
    setFigure($('[data-metric="pool-unreserved"]'), p.unreserved);
    setFigure($('[data-metric="pool-inflight"]'), p.inflight);
    setFigure($('[data-metric="pool-throttles"]'), p.throttlesPerMinute);
    $('[data-metric="pool-throttles"]').dataset.total = p.throttles;
    $("#pool-min").textContent = "minimum " + p.unreservedMinimum + ", reserved " + p.reserved;
    $("#pool-throttles-total").textContent = p.throttles + " since start";
  }

  const ROW_METRICS = [
    ["invocations", "invocationsPerMinute", "invocations"],
    ["errors", "errorsPerMinute", "errors"],
    ["throttles", "throttlesPerMinute", "throttles"],
    ["spillover", "spilloverPerMinute", "spillover"],
  ];

  function makeRow(name) {
    const tr = el("tr", { "data-function": name });
    const link = el("a", { href: "#/fn/" + encodeURIComponent(name), "data-function": name }, name);
    const cells = { tr, figures: {}, sparks: {}, prov: el("td", { class: "prov-cell" }), provByQ: new Map() };
    tr.appendChild(el("td")).appendChild(link);
    cells.figures.reserved = figure("reserved", name);
    tr.appendChild(el("td")).appendChild(cells.figures.reserved);
    tr.appendChild(cells.prov);
    const tdIn = el("td");
    cells.figures.inflight = figure("inflight", name);
    cells.sparks.inflight = sparkline("inflight", name);
    tdIn.append(cells.figures.inflight, cells.sparks.inflight);
    tr.appendChild(tdIn);
    for (const [metric] of ROW_METRICS) {
      const td = el("td");
      cells.figures[metric] = figure(metric, name);
      cells.sparks[metric] = sparkline(metric, name);
      td.append(cells.figures[metric], cells.sparks[metric]);
      tr.appendChild(td);
    }
    cells.figures.p99 = figure("p99", name);
    tr.appendChild(el("td")).appendChild(cells.figures.p99);
    return cells;
  }

  function provFigures(container, byQ, fn, configs) {
    const seen = new Set();
    for (const pc of configs) {
      seen.add(pc.qualifier);
      let f = byQ.get(pc.qualifier);
      if (!f) {
        const span = el("span", { class: "prov", "data-function": fn, "data-qualifier": pc.qualifier });
        f = {
          span,
          requested: figure("provisioned-requested", fn, pc.qualifier),
          allocated: figure("provisioned-allocated", fn, pc.qualifier),
          status: el("span", { "data-metric": "provisioned-status", "data-function": fn, "data-qualifier": pc.qualifier, "data-value": "" }),
        };
        span.append(pc.qualifier + ": ", f.requested, " / ", f.allocated, " ", f.status);
        byQ.set(pc.qualifier, f);
        container.appendChild(span);
      }
      setFigure(f.requested, pc.requested);
      setFigure(f.allocated, pc.allocated);
      setFigure(f.status, pc.status);
      f.status.className = "status-" + pc.status;
    }
    for (const [q, f] of byQ) {
      if (!seen.has(q)) {
        f.span.remove();
        byQ.delete(q);
      }
    }
  }

  // noteMax keeps the most in flight the page ever showed for fn, in data-max.
  function noteMax(node, fn, inflight) {
    const m = Math.max(state.max.get(fn) || 0, inflight);
    state.max.set(fn, m);
    if (node.dataset.max !== String(m)) node.dataset.max = String(m);
  }

  function fillRowFigures(c, f) {
    setFigure(c.figures.reserved, f.reserved);
    setFigure(c.figures.inflight, f.inflight);
    noteMax(c.figures.inflight, f.name, f.inflight);
    c.figures.inflight.classList.toggle("hot", f.reserved !== null && f.inflight >= f.reserved && f.reserved > 0);
    for (const [metric, perMinute, total] of ROW_METRICS) {
      setFigure(c.figures[metric], f[perMinute]);
      if (c.figures[metric].dataset.total !== String(f[total])) c.figures[metric].dataset.total = String(f[total]);
      c.figures[metric].title = f[total] + " since the server started";
    }
    setFigure(c.figures.p99, f.p99DurationMs, fmtMs(f.p99DurationMs));
  }

  function renderTable(fns) {
    const tbody = $("#functions tbody");
    const seen = new Set();
    let prev = null;
    for (const f of fns) {
      seen.add(f.name);
      let c = state.rows.get(f.name);
      if (!c) {
        c = makeRow(f.name);
        state.rows.set(f.name, c);
      }
      // Keep the server's order (by name) without rebuilding the table.
      const want = prev ? prev.nextSibling : tbody.firstChild;
      if (want !== c.tr) tbody.insertBefore(c.tr, want);
      prev = c.tr;
      fillRowFigures(c, f);
      provFigures(c.prov, c.provByQ, f.name, f.provisioned);
      drawSpark(c.sparks.inflight, f.sparklines.inflight);
      for (const [metric] of ROW_METRICS) drawSpark(c.sparks[metric], f.sparklines[metric]);
    }
    for (const [name, c] of state.rows) {
      if (!seen.has(name)) {
        c.tr.remove();
        state.rows.delete(name);
      }
    }
    $("#empty").hidden = fns.length > 0;
  }

  function onSnapshot(s) {
    if (!state.account || !state.region) {
      state.account = s.account;
      state.region = s.region;
    }
    fillScopes(s.accounts, s.account, s.region);
    renderPool(s.pool);
    renderTable(s.functions);
    document.body.dataset.snapshotTime = s.time;
    if (state.view) {
      const f = s.functions.find((x) => x.name === state.view.name);
      if (f) fillViewFigures(f);
    }
  }

  // --- streams ------------------------------------------------------------

  function setStatus(s, text) {
    const n = $("#status");
    n.dataset.state = s;
    n.textContent = text;
  }

  // onStreamError: the browser reconnects a stream by itself unless the
  // server refused it. Refused because the session is gone (401), the page
  // reloads, which shows the login form; refused otherwise (a deleted
  // function's view), it says so, and the table's stream is tried again.
  function onStreamError(es) {
    if (es.readyState !== EventSource.CLOSED) {
      setStatus("error", "reconnecting…");
      return;
    }
    fetch(API + "snapshot?" + scopeQuery(), { cache: "no-store" }).then((r) => {
      if (r.status === 401) {
        setStatus("error", "session ended");
        location.reload();
        return;
      }
      setStatus("error", "stream ended (" + r.status + ")");
      if (es === state.events) setTimeout(connect, 5000);
    }, () => {
      setStatus("error", "server unreachable");
      if (es === state.events) setTimeout(connect, 5000);
    });
  }

  function connect() {
    if (state.events) state.events.close();
    const es = new EventSource(API + "events?" + scopeQuery());
    state.events = es;
    es.addEventListener("snapshot", (ev) => {
      setStatus("live", "live");
      onSnapshot(JSON.parse(ev.data));
    });
    es.onerror = () => onStreamError(es);
  }

  // --- function view ------------------------------------------------------

  function makeViewFigures(name) {
    const box = $("#fn-figures");
    box.replaceChildren();
    const figs = {};
    const add = (label, metric) => {
      const d = el("div", { class: "figure" });
      d.appendChild(el("span", { class: "label" }, label));
      figs[metric] = figure(metric, name);
      figs[metric].className = "value";
      d.appendChild(figs[metric]);
      box.appendChild(d);
    };
    add("In flight", "inflight");
    add("Reserved", "reserved");
    add("Invocations / min", "invocations");
    add("Errors / min", "errors");
    add("Throttles / min", "throttles");
    add("Spill-over / min", "spillover");
    add("p99", "p99");
    const prov = el("div", { class: "figure" });
    prov.appendChild(el("span", { class: "label" }, "Provisioned"));
    const provBox = el("span", { class: "value" });
    prov.appendChild(provBox);
    box.appendChild(prov);
    return { figures: figs, provBox, provByQ: new Map() };
  }

  function fillViewFigures(f) {
    const v = state.view;
    if (!v) return;
    fillRowFigures(v.figs, f);
    provFigures(v.figs.provBox, v.figs.provByQ, f.name, f.provisioned);
  }

  function chartWidth() {
    return Math.max(320, $("#function-view").clientWidth - 10);
  }

  // markers draws the timeline's events as vertical lines on a chart.
  function markers(u) {
    const v = state.view;
    if (!v) return;
    const ctx = u.ctx;
    ctx.save();
    for (const ev of v.timeline) {
      const x = u.valToPos(Date.parse(ev.time) / 1000, "x", true);
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
      ctx.strokeStyle = ev.kind === "alarm" ? "#ef6c00" : "#6a1b9a";
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
    }
    ctx.restore();
  }

  function makeCharts(v) {
    const opts = (title, series) => ({
      width: chartWidth(), height: 220, title,
      scales: { x: { time: true }, y: { range: (u, lo, hi) => [0, Math.max(1, hi) * 1.1] } },
      series: [{}].concat(series),
      hooks: { draw: [markers] },
    });
    // A reconnected stream sends the view again: the old charts go first.
    if (v.concChart) v.concChart.destroy();
    if (v.thrChart) v.thrChart.destroy();
    const conc = $("#chart-concurrency");
    const thr = $("#chart-throttles");
    conc.replaceChildren();
    thr.replaceChildren();
    v.concChart = new uPlot(opts("", [
      { label: "in flight", stroke: "#1565c0", width: 2, fill: "rgba(21,101,192,.08)" },
      { label: "reserved", stroke: "#c62828", width: 1.5, dash: [6, 4] },
      { label: "provisioned allocated", stroke: "#2e7d32", width: 1.5, dash: [2, 3] },
    ]), [v.t, v.inflight, v.reserved, v.provAlloc], conc);
    v.thrChart = new uPlot(opts("", [
      { label: "throttles", stroke: "#c62828", width: 1.5 },
      { label: "spill-over", stroke: "#ef6c00", width: 1.5 },
    ]), [v.t, v.throttles, v.spillover], thr);
  }

  function renderTimeline(v) {
    const ol = $("#timeline");
    ol.replaceChildren(...v.timeline.slice().reverse().map((ev) => {
      const li = el("li", { "data-kind": ev.kind, "data-time": ev.time, "data-function": v.name });
      if (ev.qualifier) li.dataset.qualifier = ev.qualifier;
      li.textContent = new Date(ev.time).toLocaleTimeString() + " — " + (ev.kind === "alarm" ? "alarm " + ev.name + " → " + ev.state + ": " : "scaling (" + ev.state + "): ") + ev.text;
      return li;
    }));
    if (!v.timeline.length) ol.appendChild(el("li", {}, "No scaling activities or alarm changes in the last 15 minutes."));
  }

  function onDetail(d) {
    const v = state.view;
    const s = d.seconds;
    const start = Date.parse(s.start) / 1000;
    v.t = s.inflight.map((_, i) => start + i);
    v.inflight = s.inflight.slice();
    v.reserved = s.reserved.slice();
    v.provAlloc = s.provisionedAllocated.slice();
    v.throttles = s.throttles.slice();
    v.spillover = s.spillover.slice();
    v.timeline = d.timeline;
    fillViewFigures(d.function);
    makeCharts(v);
    renderTimeline(v);
  }

  function onPoint(e) {
    const v = state.view;
    if (!v || !v.t) return;
    const p = e.point;
    const t = Date.parse(p.time) / 1000;
    // A point of the chart's last second (two samples within one second)
    // replaces it; the server has added them up.
    const same = v.t.length > 0 && t <= v.t[v.t.length - 1];
    const push = (arr, x) => {
      if (same) arr[arr.length - 1] = x;
      else arr.push(x);
      if (arr.length > SECONDS) arr.shift();
    };
    push(v.t, t);
    push(v.inflight, p.inflight);
    push(v.reserved, p.reserved);
    push(v.provAlloc, p.provisionedAllocated);
    push(v.throttles, p.throttles);
    push(v.spillover, p.spillover);
    v.concChart.setData([v.t, v.inflight, v.reserved, v.provAlloc]);
    v.thrChart.setData([v.t, v.throttles, v.spillover]);
    fillViewFigures(e.function);
  }

  function appendLines(lines) {
    const log = $("#log");
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    const frag = document.createDocumentFragment();
    for (const l of lines) {
      const div = el("div", { class: "line", "data-stream": l.stream });
      div.appendChild(el("span", { class: "t" }, new Date(l.time).toLocaleTimeString()));
      div.appendChild(document.createTextNode(l.message));
      frag.appendChild(div);
    }
    log.appendChild(frag);
    while (log.childElementCount > LOG_CAP) log.firstElementChild.remove();
    log.dataset.lines = String(log.childElementCount);
    if (atEnd) log.scrollTop = log.scrollHeight;
  }

  function closeView() {
    for (const k of ["detail", "logs"]) {
      if (state[k]) state[k].close();
      state[k] = null;
    }
    if (state.view) {
      if (state.view.concChart) state.view.concChart.destroy();
      if (state.view.thrChart) state.view.thrChart.destroy();
    }
    state.view = null;
  }

  function openView(name) {
    closeView();
    $("#fn-name").textContent = name;
    $("#log").replaceChildren();
    $("#log-dropped").textContent = "";
    $("#timeline").replaceChildren();
    state.view = { name, figs: makeViewFigures(name), timeline: [] };
    const q = scopeQuery();
    const base = API + "functions/" + encodeURIComponent(name);
    const d = new EventSource(base + "?" + q);
    state.detail = d;
    d.addEventListener("detail", (ev) => onDetail(JSON.parse(ev.data)));
    d.addEventListener("point", (ev) => onPoint(JSON.parse(ev.data)));
    d.addEventListener("timeline", (ev) => {
      state.view.timeline = JSON.parse(ev.data);
      renderTimeline(state.view);
    });
    d.onerror = () => onStreamError(d);
    const l = new EventSource(base + "/logs?" + q);
    state.logs = l;
    l.onerror = () => onStreamError(l);
    l.addEventListener("lines", (ev) => appendLines(JSON.parse(ev.data)));
    l.addEventListener("dropped", (ev) => {
      $("#log-dropped").textContent = "(" + ev.data + " lines skipped: the page fell behind)";
    });
  }

  // --- routing ------------------------------------------------------------

  function route() {
    let name = null;
    const m = location.hash.match(/^#\/fn\/(.+)$/);
    if (m) name = decodeURIComponent(m[1]);
    else {
      const p = location.pathname.match(/^\/_reservoir\/fn\/([^/]+)$/);
      if (p && !location.hash) name = decodeURIComponent(p[1]);
    }
    $("#table-view").hidden = name !== null;
    $("#function-view").hidden = name === null;
    if (name === null) closeView();
    else openView(name);
  }

  window.addEventListener("hashchange", route);
  window.addEventListener("resize", () => {
    const v = state.view;
    if (v && v.concChart) {
      v.concChart.setSize({ width: chartWidth(), height: 220 });
      v.thrChart.setSize({ width: chartWidth(), height: 220 });
    }
  });

  readScope();
  connect();
  route();
})();
