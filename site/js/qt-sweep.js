// <qt-sweep qasm="..." param="theta" start="0" stop="6.2832" num="25" shots="400" seed="7"
//           target="1" expected="sin(x/2)**2">: sweep a circuit parameter with a progress bar
// and a live plot of P(target) with 95 % Wilson intervals. Cancel terminates the worker.
// The boxes are sent as typed: qtcore validates them and says which box is wrong.

import { linePlot } from "./plots.js";
import { publishControl, sweepRunPayload } from "./publish.js";
import { renderError } from "./runtime.js";
import { readState, writeState } from "./urlstate.js";
import {
  bindRuntime,
  errorPanel,
  h,
  QtElement,
  renderRunError,
  statusLine,
  svgPlot,
  whenRuntimeReady,
} from "./widget-base.js";

function compileExpected(expr) {
  if (!expr || !/^[\sx0-9.+\-*/()a-z_]*$/i.test(expr)) return null;
  const js = expr
    .replace(/\b(sin|cos|tan|exp|sqrt|abs|log|PI)\b/g, "Math.$1")
    .replace(/\bpi\b/g, "Math.PI");
  try {
    // eslint-disable-next-line no-new-func
    return new Function("x", `return (${js});`);
  } catch (_) {
    return null;
  }
}

class QtSweep extends QtElement {
  constructor() {
    super();
    this.points = [];
  }

  firstConnected() {
    this.classList.add("qt-widget", "qt-sweep");
    bindRuntime(this);
    const saved = readState(this.wid) || {};
    const field = (key, label, def) => {
      const input = h("input", {
        type: "text",
        value: saved[key] ?? this.getAttribute(key) ?? def,
        class: "qt-num",
        "aria-label": label,
        name: key,
      });
      this[`${key}Input`] = input;
      return h("label", {}, `${label} `, input);
    };
    this.runBtn = h("button", {
      type: "button",
      class: "md-button qt-btn",
      text: "Run sweep",
      onclick: () => this.run(),
    });
    this.cancelBtn = h("button", {
      type: "button",
      class: "md-button qt-btn",
      text: "Cancel",
      disabled: true,
      onclick: () => this.cancel(),
    });
    this.publish = publishControl(this, sweepRunPayload);
    this.progress = h("progress", { max: "1", value: "0", "aria-label": "Sweep progress" });
    this.progressText = h("span", { class: "qt-progress-text", "aria-live": "polite" });
    this.status = statusLine("Loading…");
    this.plot = svgPlot();
    this.error = errorPanel();
    this.table = h("details", { class: "qt-sweep-table", hidden: true });
    this.plotFig = h("figure", { hidden: true }, this.plot);
    this.append(
      h(
        "p",
        { class: "qt-head" },
        h("strong", { text: `Sweep ${this.getAttribute("param") || "theta"}` }),
        " · ",
        this.status,
      ),
      h(
        "div",
        { class: "qt-toolbar" },
        field("start", "start", "0"),
        field("stop", "stop", "6.283185307179586"),
        field("num", "points", "25"),
        field("shots", "shots", "400"),
        field("seed", "seed", "7"),
      ),
      h(
        "div",
        { class: "qt-toolbar" },
        this.runBtn,
        this.cancelBtn,
        this.publish.button,
        this.progress,
        this.progressText,
      ),
      this.publish.panel,
      this.error,
      this.plotFig,
      this.table,
    );
    this.expected = compileExpected(this.getAttribute("expected"));
    whenRuntimeReady(this, () => (this.hasAttribute("autorun") || saved.ran ? this.run() : null));
  }

  /** The boxes as typed (validated by qtcore, which names the box that is wrong). */
  spec() {
    return {
      start: this.startInput.value,
      stop: this.stopInput.value,
      num: this.numInput.value,
      shots: this.shotsInput.value,
      seed: this.seedInput.value,
    };
  }

  draw() {
    this.plotFig.hidden = false;
    const pts = this.points;
    const series = [
      {
        x: pts.map((p) => p.value),
        y: pts.map((p) => p.estimate.value),
        low: pts.map((p) => p.estimate.low),
        high: pts.map((p) => p.estimate.high),
        points: true,
      },
    ];
    const a = Number(this.startInput.value);
    const b = Number(this.stopInput.value);
    if (this.expected && Number.isFinite(a) && Number.isFinite(b)) {
      const xs = Array.from({ length: 101 }, (_, i) => a + ((b - a) * i) / 100);
      series.unshift({ x: xs, y: xs.map((x) => this.expected(x)) });
    }
    const target = this.getAttribute("target") || "0";
    linePlot(this.plot, series, {
      xlabel: this.getAttribute("param") || "theta",
      ylabel: `P(${target})`,
      ymin: 0,
      ymax: 1,
      title: `Estimated probability of outcome ${target} with 95 % intervals${this.expected ? "; the line is the exact value" : ""}`,
    });
  }

  async run() {
    const s = this.spec();
    this.points = [];
    this.progress.value = 0;
    this.progressText.textContent = "starting…";
    this.cancelBtn.disabled = false;
    this.runBtn.disabled = true;
    this.result = null;
    renderError(this.error, null); // no stale message while the new run starts
    const t0 = performance.now();
    writeState(this.wid, { ...s, ran: true });
    this.draw();
    try {
      /** @type {import("./protocol.js").SweepReply} */
      const r = await this.rt.request(
        "sweep",
        {
          qasm: this.getAttribute("qasm"),
          param: this.getAttribute("param") || "theta",
          target: this.getAttribute("target") || undefined,
          start: s.start,
          stop: s.stop,
          points: s.num,
          shots: s.shots,
          seed: s.seed,
        },
        {
          onProgress: (m) => {
            this.progress.value = m.done / m.total;
            this.progressText.textContent = `${m.done} / ${m.total} points`;
            if (m.info) this.points.push(m.info);
            this.draw();
          },
        },
      );
      this.points = r.points;
      this.result = r;
      this.runtimeMs = performance.now() - t0;
      this.draw();
      renderError(this.error, null);
      const kernel = r.result.provenance.kernel;
      this.progressText.textContent = `done: ${r.points.length} points, ${r.shots} shots each, ${kernel} kernel, 95 % Wilson intervals`;
      const rows = r.points.map((p) =>
        h(
          "tr",
          {},
          h("td", { text: String(Number(p.value.toPrecision(6))) }),
          h("td", { text: String(p.k) }),
          ...[p.estimate.value, p.estimate.low, p.estimate.high].map((v) =>
            h("td", { text: v.toFixed(4) }),
          ),
        ),
      );
      this.table.hidden = false;
      this.table.replaceChildren(
        h("summary", { text: "Table" }),
        h(
          "table",
          {},
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ...[r.param, `k (of ${r.shots})`, `P(${r.target})`, "95 % low", "95 % high"].map(
                (t) => h("th", { text: t }),
              ),
            ),
          ),
          h("tbody", {}, ...rows),
        ),
      );
    } catch (err) {
      this.table.hidden = true; // no stale table under a new error
      renderRunError(this.error, err, "Sweep", "Sweep cancelled; the Python runtime restarted.");
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
