// <qt-sweep qasm="..." param="theta" start="0" stop="6.2832" num="25" shots="400" seed="7"
//           target="1" expected="sin(x/2)**2">: sweep a circuit parameter with a progress bar
// and a live plot of P(target) with 95 % Wilson intervals. Cancel terminates the worker.

import { getRuntime, kernelLabel, renderError } from "./runtime.js";
import { linePlot } from "./plots.js";
import { readState, widgetId, writeState } from "./urlstate.js";

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function compileExpected(expr) {
  if (!expr || !/^[\sx0-9.+\-*/()a-z_]*$/i.test(expr)) return null;
  const js = expr.replace(/\b(sin|cos|tan|exp|sqrt|abs|log|PI)\b/g, "Math.$1").replace(/\bpi\b/g, "Math.PI");
  try {
    // eslint-disable-next-line no-new-func
    return new Function("x", `return (${js});`);
  } catch (_) {
    return null;
  }
}

class QtSweep extends HTMLElement {
  constructor() {
    super();
    this.whenReady = new Promise((r) => (this._resolveReady = r));
    this.points = [];
  }

  connectedCallback() {
    if (this._built) return;
    this._built = true;
    this.classList.add("qt-widget", "qt-sweep");
    this.rt = getRuntime();
    this.wid = widgetId(this);
    const saved = readState(this.wid) || {};
    const field = (key, label, def) => {
      const input = h("input", { type: "text", value: saved[key] ?? this.getAttribute(key) ?? def, class: "qt-num", "aria-label": label, name: key });
      this[`${key}Input`] = input;
      return h("label", {}, `${label} `, input);
    };
    this.runBtn = h("button", { type: "button", class: "md-button qt-btn", text: "Run sweep", onclick: () => this.run() });
    this.cancelBtn = h("button", { type: "button", class: "md-button qt-btn", text: "Cancel", disabled: true, onclick: () => this.cancel() });
    this.progress = h("progress", { max: "1", value: "0", "aria-label": "Sweep progress" });
    this.progressText = h("span", { class: "qt-progress-text", "aria-live": "polite" });
    this.status = h("span", { class: "qt-status", role: "status", text: "Loading…" });
    this.plot = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    this.plot.setAttribute("class", "qt-plot");
    this.error = h("div", { class: "qt-error", role: "alert", hidden: true });
    this.table = h("details", { class: "qt-sweep-table", hidden: true });
    this.append(
      h("p", { class: "qt-head" }, h("strong", { text: `Sweep ${this.getAttribute("param") || "theta"}` }), " · ", this.status),
      h("div", { class: "qt-toolbar" }, field("start", "start", "0"), field("stop", "stop", "6.283185307179586"), field("num", "points", "25"), field("shots", "shots", "400"), field("seed", "seed", "7")),
      h("div", { class: "qt-toolbar" }, this.runBtn, this.cancelBtn, this.progress, this.progressText),
      this.error, (this.plotFig = h("figure", { hidden: true }, this.plot)), this.table);
    this.expected = compileExpected(this.getAttribute("expected"));
    this.rt.ready.then((info) => {
      this.status.textContent = kernelLabel(info);
      if (this.hasAttribute("autorun") || saved.ran) return this.run();
      return null;
    }, (err) => renderError(this.error, err, "qtcore")).finally(() => this._resolveReady());
  }

  spec() {
    return {
      start: Number(this.startInput.value),
      stop: Number(this.stopInput.value),
      num: Number(this.numInput.value),
      shots: Number(this.shotsInput.value),
      seed: Number(this.seedInput.value),
    };
  }

  draw() {
    this.plotFig.hidden = false;
    const pts = this.points;
    const series = [{ x: pts.map((p) => p.value), y: pts.map((p) => p.estimate), low: pts.map((p) => p.low), high: pts.map((p) => p.high), points: true }];
    if (this.expected) {
      const s = this.spec();
      const xs = Array.from({ length: 101 }, (_, i) => s.start + ((s.stop - s.start) * i) / 100);
      series.unshift({ x: xs, y: xs.map((x) => this.expected(x)) });
    }
    const target = this.getAttribute("target") || "0";
    linePlot(this.plot, series, { xlabel: this.getAttribute("param") || "theta", ylabel: `P(${target})`, ymin: 0, ymax: 1, title: `Estimated probability of outcome ${target} with 95 % intervals${this.expected ? "; the line is the exact value" : ""}` });
  }

  async run() {
    const s = this.spec();
    this.points = [];
    this.progress.value = 0;
    this.progressText.textContent = "starting…";
    this.cancelBtn.disabled = false;
    this.runBtn.disabled = true;
    writeState(this.wid, { ...Object.fromEntries(Object.entries(s).map(([k, v]) => [k, String(v)])), ran: true });
    this.draw();
    try {
      const r = await this.rt.request("sweep", {
        qasm: this.getAttribute("qasm"),
        param: this.getAttribute("param") || "theta",
        target: this.getAttribute("target") || undefined,
        ...s,
      }, {
        onProgress: (m) => {
          this.progress.value = m.done / m.total;
          this.progressText.textContent = `${m.done} / ${m.total} points`;
          if (m.info) this.points.push(m.info);
          this.draw();
        },
      });
      this.points = r.points;
      this.result = r;
      this.draw();
      renderError(this.error, null);
      this.progressText.textContent = `done: ${r.points.length} points, ${r.shots} shots each, ${r.kernel} kernel, ${r.interval} intervals`;
      const rows = r.points.map((p) => h("tr", {}, ...[p.value, p.estimate, p.low, p.high].map((v) => h("td", { text: v.toPrecision(5) }))));
      this.table.hidden = false;
      this.table.replaceChildren(h("summary", { text: "Table" }), h("table", {}, h("thead", {}, h("tr", {}, ...["value", "estimate", "low", "high"].map((t) => h("th", { text: t })))), h("tbody", {}, ...rows)));
    } catch (err) {
      renderError(this.error, err.code === "QT-CANCELLED" ? { message: "Sweep cancelled; the Python runtime restarted.", type: "Cancelled" } : err, "Sweep");
      this.progressText.textContent = err.code === "QT-CANCELLED" ? "cancelled" : "failed";
    } finally {
      this.cancelBtn.disabled = true;
      this.runBtn.disabled = false;
    }
  }

  cancel() {
    this.rt.cancel();
  }
}

customElements.define("qt-sweep", QtSweep);
