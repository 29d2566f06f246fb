// graft's live dashboard (src/experiment/dashboard.h): reads the admin API it is served by
// once a second and steps the experiment through the same API. The bearer token, when the
// API needs one, is asked for on the page, kept in this tab's sessionStorage and sent only in
// the Authorization header. Everything on the page is set as text, never as HTML.
"use strict";

(() => {
  const POLL_MS = 1000;
  const REPORT_EVERY = 5;
  const TOKEN_KEY = "graft.admin-token";
  const COLORS = ["#2b6cb0", "#dd6b20", "#2f855a", "#9b2c2c", "#6b46c1", "#b7791f"];
  const FINAL_STATES = new Set(["rolled_back", "promoted", "stopped", "failed"]);
  const CHARTS = [
    { id: "chart-rps", key: "rps", scale: (v) => v },
    { id: "chart-errors", key: "error_rate", scale: (v) => (v == null ? null : v * 100) },
    { id: "chart-p50", key: "p50_ms", scale: (v) => v },
    { id: "chart-p99", key: "p99_ms", scale: (v) => v },
  ];

  const $ = (id) => document.getElementById(id);
  const view = {
    token: sessionStorage.getItem(TOKEN_KEY) || "",
    waitingForToken: false,
    ended: false, // the experiment reached a final state and its admin API closed
    names: [], // variant names, baseline first
    charts: null,
    state: "",
    decisions: -1,
    polls: 0,
    report: null, // the last GET /experiment/report
  };

  class Unauthorized extends Error {}

  // ---- the admin API -------------------------------------------------------------------

  async function api(method, path, body) {
    const headers = {};
    if (view.token) headers.Authorization = "Bearer " + view.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
    const text = await response.text();
    let parsed = null;
    try {
      parsed = JSON.parse(text);
    } catch (ignored) {
      parsed = null;
    }
    if (response.status === 401) throw new Unauthorized("the admin API wants its bearer token");
    if (!response.ok) {
      throw new Error(parsed && parsed.error ? parsed.error : `${method} ${path}: HTTP ${response.status}`);
    }
    return parsed;
  }

  // The report joins every outcome so far in the registry, under the experiment's lock: it is
  // read every REPORT_EVERY polls, not every second. It is optional (no requests yet gives an
  // error): its absence is shown, not fatal.
  async function optionalReport() {
    if (view.report && view.polls % REPORT_EVERY !== 0) return view.report;
    view.report = await api("GET", "/experiment/report").catch((error) => {
      if (error instanceof Unauthorized) throw error;
      return { error: error.message };
    });
    return view.report;
  }

  async function poll() {
    const started = performance.now();
    if (!view.waitingForToken && !view.ended) await refresh();
    if (!view.ended) setTimeout(poll, Math.max(0, POLL_MS - (performance.now() - started)));
  }

  async function refresh() {
    view.polls += 1;
    try {
      const [live, experiment, status, report] = await Promise.all([
        api("GET", "/experiment/live"),
        api("GET", "/experiment"),
        api("GET", "/status"),
        optionalReport(),
      ]);
      render(live, experiment, status, report);
      say("message", "");
    } catch (error) {
      if (error instanceof Unauthorized) {
        askForToken(view.token ? "that token was refused" : "");
      } else if (FINAL_STATES.has(view.state)) {
        view.ended = true;
        setBadge(view.state);
        say("message", `the experiment has ended (${view.state}); its admin API closed with it. ` +
            `'graft exp report ${$("name").textContent}' has the final figures.`);
        setControls();
      } else {
        say("message", `cannot read the admin API (${error.message}): the experiment may have ` +
            `ended ('graft exp status ${$("name").textContent}' says); trying again every second`);
      }
    }
  }

  // ---- the token -----------------------------------------------------------------------

  function askForToken(problem) {
    view.waitingForToken = true;
    $("token-form").hidden = false;
    $("token-error").textContent = problem;
    $("token").focus();
  }

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    view.token = $("token").value.trim();
    $("token").value = "";
    sessionStorage.setItem(TOKEN_KEY, view.token);
    $("token-form").hidden = true;
    view.waitingForToken = false;
    refresh();
  });

  // ---- rendering -----------------------------------------------------------------------

  function say(id, text) {
    $(id).textContent = text;
  }

  function number(value, digits) {
    if (value == null || Number.isNaN(value)) return "-";
    return Number(value).toFixed(digits);
  }

  function percent(value, digits = 2) {
    return value == null ? "-" : `${number(value * 100, digits)}%`;
  }

  function signedPercent(value) {
    if (value == null) return "-";
    return `${value >= 0 ? "+" : "−"}${number(Math.abs(value) * 100, 1)}%`;
  }

  // A difference of two proportions, in percentage points.
  function points(value) {
    if (value == null) return "-";
    return `${value >= 0 ? "+" : "−"}${number(Math.abs(value) * 100, 2)} pp`;
  }

  function last(values) {
    return values && values.length ? values[values.length - 1] : null;
  }

  function render(live, experiment, status, report) {
    const about = live.about;
    const names = about.variants.map((v) => v.name);
    for (const name of Object.keys(live.series.variants)) if (!names.includes(name)) names.push(name);
    if (names.join("\n") !== view.names.join("\n")) {
      view.names = names;
      buildVariants(about);
      buildCharts();
    }
    view.state = experiment.state;
    renderHeader(about, experiment, status);
    for (const name of names) renderVariant(name, live, status, report);
    renderCharts(live.series);
    renderDecisions(experiment.decisions || []);
    setControls();
  }

  function renderHeader(about, experiment, status) {
    say("name", about.name);
    setBadge(experiment.state);
    const steps = about.steps || [];
    const step = Math.min(experiment.step, steps.length - 1);
    say("step", steps.length ? `${step + 1} of ${steps.length} (treatment at ${steps[step]}%)` : "-");
    say("window", `${about.interval_ms / 1000} s, at least ${about.min_requests} requests per variant`);
    say("sticky", about.sticky);
    say("salt", about.salt || "(none)");
    say("generation", String(status.generation));
    say("updated", new Date().toLocaleTimeString());
  }

  function setBadge(state) {
    const badge = $("state");
    badge.textContent = state.replace("_", " ");
    badge.className = `badge state-${state}`;
  }

  function buildVariants(about) {
    const section = $("variants");
    section.replaceChildren();
    const select = $("weight-variant");
    select.replaceChildren();
    view.names.forEach((name, index) => {
      const spec = about.variants.find((v) => v.name === name);
      section.append(variantCard(name, index, spec));
      if (index > 0) select.append(new Option(name, name));
    });
  }

  const FIGURES = [
    ["weight", "weight"],
    ["health", "upstreams"],
    ["rps", "requests / s"],
    ["error_rate", "error rate"],
    ["latency", "p50 / p99"],
    ["requests", "requests"],
    ["errors", "errors"],
    ["outcome", "outcome"],
  ];

  function variantCard(name, index, spec) {
    const card = document.createElement("article");
    card.className = "variant";
    card.dataset.variant = name;
    const title = document.createElement("h2");
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = COLORS[index % COLORS.length];
    const role = document.createElement("small");
    role.textContent = index === 0 ? "baseline" : "treatment";
    title.append(swatch, document.createTextNode(name + " "), role);
    const env = document.createElement("p");
    env.className = "env";
    env.textContent = spec ? `environment ${spec.env}, ${spec.replicas} replica(s)` : "";
    const list = document.createElement("dl");
    const figures = index === 0 ? FIGURES : FIGURES.concat([["comparison", "vs baseline"]]);
    for (const [key, label] of figures) {
      const row = document.createElement("div");
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.dataset.figure = key;
      dd.textContent = "-";
      row.append(dt, dd);
      list.append(row);
    }
    card.append(title, env, list);
    return card;
  }

  function setFigure(name, key, text, className = "") {
    const dd = document.querySelector(`[data-variant="${CSS.escape(name)}"] [data-figure="${key}"]`);
    if (!dd) return;
    dd.textContent = text;
    dd.className = className;
  }

  function renderVariant(name, live, status, report) {
    const series = live.series.variants[name];
    const proxy = (status.variants || []).find((v) => v.name === name);
    if (proxy) {
      setFigure(name, "weight", `${number(proxy.share_percent, 1)}%`);
      const healthy = proxy.upstreams.filter((u) => u.healthy).length;
      setFigure(name, "health", `${healthy} of ${proxy.upstreams.length} healthy`,
                healthy === proxy.upstreams.length && healthy > 0 ? "good" : "bad");
    }
    if (series) {
      setFigure(name, "rps", number(last(series.rps), 1));
      setFigure(name, "error_rate", percent(last(series.error_rate)));
      setFigure(name, "latency", `${number(last(series.p50_ms), 1)} / ${number(last(series.p99_ms), 1)} ms`);
      setFigure(name, "requests", String(series.requests));
      setFigure(name, "errors", String(series.errors));
    }
    renderOutcome(name, live.about, report);
  }

  function renderOutcome(name, about, report) {
    if (!about.outcome) {
      setFigure(name, "outcome", "no outcome metric in the spec");
    } else if (report.error || !report.variants || !report.variants[name]) {
      setFigure(name, "outcome", report.error ? `not yet: ${report.error}` : "-");
    } else {
      const outcome = report.variants[name].outcome;
      setFigure(name, "outcome", `${about.outcome}: mean ${number(outcome.mean, 4)} over ${outcome.users} users`);
    }
    const comparison = report.comparisons && report.comparisons[name];
    if (!comparison) return;
    const parts = [];
    const o = comparison.outcome;
    if (about.outcome && o) {
      const interval = o.lift_ci95 ? ` [${signedPercent(o.lift_ci95[0])}, ${signedPercent(o.lift_ci95[1])}]` : "";
      parts.push(`${about.outcome} lift ${signedPercent(o.lift)}${interval}, p ${number(o.p_value, 3)}`);
    }
    const e = comparison.error_rate;
    parts.push(`error rate ${points(e.delta)} [${points(e.ci95[0])}, ${points(e.ci95[1])}]`);
    const l = comparison.latency;
    if (l.p99_ratio != null) parts.push(`p99 × ${number(l.p99_ratio, 2)}`);
    setFigure(name, "comparison", parts.join("; "));
  }

  function renderDecisions(decisions) {
    if (decisions.length === view.decisions) return;
    view.decisions = decisions.length;
    const body = $("decisions");
    body.replaceChildren();
    if (!decisions.length) {
      const row = document.createElement("tr");
      const cell = document.createElement("td");
      cell.colSpan = 4;
      cell.className = "muted";
      cell.textContent = "none yet: the controller decides at the end of each window";
      row.append(cell);
      body.append(row);
    }
    for (const decision of decisions.slice().reverse()) {
      const row = document.createElement("tr");
      row.dataset.action = decision.action;
      const cells = [
        new Date(decision.at).toLocaleTimeString(),
        decision.action,
        decision.manual ? "by hand" : "controller",
        decision.reason,
      ];
      for (const text of cells) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      body.append(row);
    }
  }

  // ---- charts: uPlot when it was bundled, else SVG drawn here ---------------------------

  function buildCharts() {
    const engine = typeof window.uPlot === "function" ? "uPlot" : "SVG";
    say("chart-engine", engine === "uPlot" ? "uPlot (MIT licence: /uplot-license.txt)" : "SVG drawn by this page");
    view.charts = CHARTS.map((spec) => {
      const element = $(spec.id);
      element.replaceChildren();
      const chart = engine === "uPlot" ? uplotChart(element) : svgChart(element);
      return { spec, chart };
    });
  }

  function renderCharts(series) {
    for (const { spec, chart } of view.charts) {
      const columns = view.names.map((name) => {
        const values = series.variants[name] ? series.variants[name][spec.key] : [];
        return values.map(spec.scale);
      });
      chart.set(series.t, columns);
    }
  }

  function uplotChart(element) {
    const options = {
      width: Math.max(element.clientWidth, 300),
      height: 180,
      // From zero, and at least 0 to 1 (an error rate of 0% is a flat line at the bottom).
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, (max || 0) * 1.1)] } },
      series: [{}].concat(view.names.map((name, index) => ({
        label: name,
        stroke: COLORS[index % COLORS.length],
        width: 2,
      }))),
      axes: [
        {
          space: 70,
          incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600],
          values: (u, splits) => splits.map((s) => new Date(s * 1000).toLocaleTimeString()),
        },
        { size: 56 },
      ],
      legend: { live: false },
    };
    const plot = new window.uPlot(options, [[]].concat(view.names.map(() => [])), element);
    window.addEventListener("resize", () => plot.setSize({ width: Math.max(element.clientWidth, 300), height: 180 }));
    return { set: (t, columns) => plot.setData([t].concat(columns)) };
  }

  const SVG = "http://www.w3.org/2000/svg";

  function svgElement(name, attributes, text) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function svgChart(element) {
    const width = 600;
    const height = 180;
    const pad = { left: 50, right: 10, top: 10, bottom: 22 };
    const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, class: "svg-chart", role: "img" });
    element.append(svg);
    const set = (t, columns) => {
      svg.replaceChildren();
      const values = columns.flat().filter((v) => v != null);
      const top = Math.max(1, ...values) * 1.1;
      const x0 = t.length ? t[0] : 0;
      const span = t.length > 1 ? t[t.length - 1] - x0 : 1;
      const x = (s) => pad.left + ((s - x0) / span) * (width - pad.left - pad.right);
      const y = (v) => height - pad.bottom - (v / top) * (height - pad.top - pad.bottom);
      svg.append(svgElement("line", { x1: pad.left, y1: y(0), x2: width - pad.right, y2: y(0), class: "axis" }));
      svg.append(svgElement("text", { x: pad.left - 4, y: y(0), class: "tick end" }, "0"));
      svg.append(svgElement("text", { x: pad.left - 4, y: y(top / 1.1) + 4, class: "tick end" }, number(top / 1.1, 1)));
      if (t.length) {
        const label = (s) => new Date(s * 1000).toLocaleTimeString();
        svg.append(svgElement("text", { x: pad.left, y: height - 6, class: "tick" }, label(t[0])));
        svg.append(svgElement("text", { x: width - pad.right, y: height - 6, class: "tick end" }, label(t[t.length - 1])));
      }
      view.names.forEach((name, index) => {
        const legend = { x: width - pad.right - 90 * (view.names.length - index), y: pad.top + 4 };
        svg.append(svgElement("text", { ...legend, class: "legend", fill: COLORS[index % COLORS.length] }, name));
      });
      columns.forEach((column, index) => {
        let points = "";
        const flush = () => {
          if (points) svg.append(svgElement("polyline", { points, fill: "none", stroke: COLORS[index % COLORS.length], "stroke-width": 2 }));
          points = "";
        };
        column.forEach((v, i) => {
          if (v == null) flush();
          else points += `${x(t[i]).toFixed(1)},${y(v).toFixed(1)} `;
        });
        flush();
      });
    };
    return { set };
  }

  // ---- controls ------------------------------------------------------------------------

  function setControls() {
    const over = view.ended || FINAL_STATES.has(view.state) || !view.state;
    $("pause").disabled = over || view.state !== "running";
    $("resume").disabled = over || view.state !== "paused";
    for (const id of ["promote", "rollback", "set-weight"]) $(id).disabled = over;
  }

  async function control(method, path, body, confirmation) {
    if (confirmation && !window.confirm(confirmation)) return;
    try {
      const decision = await api(method, path, body);
      const weights = Object.entries(decision.weights || {}).map(([k, v]) => `${k} ${v}%`).join(", ");
      say("control-result", `${decision.action}: ${decision.reason} (weights now ${weights})`);
      // These end the experiment, and its admin API with it: the next read may find it gone.
      const ending = { rollback: "rolled_back", promote: "promoted", stop: "stopped" }[decision.action];
      if (ending) view.state = ending;
    } catch (error) {
      if (error instanceof Unauthorized) askForToken(view.token ? "that token was refused" : "");
      say("control-result", `${method} ${path} failed: ${error.message}`);
    }
    await refresh();
  }

  $("weight-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const variant = $("weight-variant").value;
    const weight = Number.parseInt($("weight-value").value, 10);
    if (!variant || !(weight >= 0 && weight <= 100)) {
      say("control-result", "choose a treatment and a weight from 0 to 100");
      return;
    }
    control("PUT", "/weights", { [variant]: weight });
  });
  $("pause").addEventListener("click", () => control("POST", "/experiment/pause"));
  $("resume").addEventListener("click", () => control("POST", "/experiment/resume"));
  $("promote").addEventListener("click", () => control("POST", "/experiment/promote", undefined,
      "Promote the treatment? The experiment ends and the treatment gets all traffic."));
  $("rollback").addEventListener("click", () => control("POST", "/experiment/rollback",
      { reason: "rolled back from the dashboard" },
      "Roll back? All traffic goes to the baseline and the experiment ends."));

  setControls();
  poll();
})();
