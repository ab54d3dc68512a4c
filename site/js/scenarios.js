// Scenario library access (scenarios/index.json + files, served with the site) and the
// <qt-scenario-loader> / <qt-scenario-runner> elements.

import { linePlot } from "./plots.js";
import { publishControl, scenarioRunPayload } from "./publish.js";
import { renderError } from "./runtime.js";
import { clearState, readState, writeState } from "./urlstate.js";
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

const SITE_ROOT = new URL("../../", import.meta.url);
let indexPromise = null;

/** The library index: [{name, file, format}]. */
export function scenarioIndex() {
  if (!indexPromise) {
    indexPromise = fetch(new URL("scenarios/index.json", SITE_ROOT)).then((r) => {
      if (!r.ok) throw new Error(`scenario index: HTTP ${r.status}`);
      return r.json();
    });
    indexPromise.catch(() => (indexPromise = null));
  }
  return indexPromise;
}

/**
 * Open (or run) scenario `name` through the worker.
 * @returns {Promise<import("./protocol.js").ScenarioReply>} `{scenario, circuit?, qasm?, result?}`
 */
export async function loadScenario(rt, name, op = "load", options = {}) {
  const index = await scenarioIndex();
  const entry = index.find((e) => e.name === name);
  if (!entry) {
    throw new Error(
      `no scenario named ${JSON.stringify(name)} in this build (have: ${index.map((e) => e.name).join(", ") || "none"})`,
    );
  }
  const r = await fetch(new URL(`scenarios/${entry.file}`, SITE_ROOT));
  if (!r.ok) throw new Error(`scenario ${name}: HTTP ${r.status}`);
  const text = await r.text();
  return rt.request("scenario", { op, name, text, format: entry.format }, options);
}

function resultView(result) {
  const pre = h("pre", { class: "qt-json" });
  pre.textContent = JSON.stringify(result, null, 2);
  return pre;
}

function checksView(checks) {
  if (!checks?.length) return null;
  return h(
    "ul",
    { class: "qt-checks" },
    ...checks.map((c) =>
      h(
        "li",
        { class: c.passed ? "qt-pass" : "qt-fail" },
        h("strong", { text: c.passed ? "✓ passed " : "✗ failed " }),
        `${c.check} ${c.target ?? ""}: ${c.detail ?? ""}`,
      ),
    ),
  );
}

/** Plot a sweep table: first axis against the first output column. */
function sweepPlot(svg, table) {
  if (!table?.axes?.length) return false;
  const axis = table.axes[0].name;
  const cols = table.columns;
  const xi = cols.indexOf(axis);
  const yi = cols.findIndex(
    (c) => !["index", "seed", ...table.axes.map((a) => a.name)].includes(c),
  );
  if (xi < 0 || yi < 0) return false;
  const rows = table.rows.filter((r) => typeof r[yi] === "number");
  linePlot(svg, [{ x: rows.map((r) => r[xi]), y: rows.map((r) => r[yi]), points: true }], {
    xlabel: axis,
    ylabel: cols[yi],
  });
  return true;
}

/** <qt-scenario-runner scenario="name">: run any scenario (circuit or not) and show its result. */
class QtScenarioRunner extends QtElement {
  firstConnected() {
    this.classList.add("qt-widget");
    bindRuntime(this);
    this.status = statusLine("Loading…");
    this.out = h("div", { class: "qt-result" });
    this.error = errorPanel();
    this.progress = h("progress", {
      max: "1",
      value: "0",
      hidden: true,
      "aria-label": "Scenario progress",
    });
    this.progressText = h("span", { "aria-live": "polite" });
    this.plot = svgPlot();
    this.plotFig = h("figure", { hidden: true }, this.plot);
    this.runBtn = h("button", {
      type: "button",
      class: "md-button qt-btn",
      text: "Run scenario",
      onclick: () => this.run(),
    });
    this.cancelBtn = h("button", {
      type: "button",
      class: "md-button qt-btn",
      text: "Cancel",
      disabled: true,
      onclick: () => {
        this.rt.cancel();
        this.cancelBtn.disabled = true;
      },
    });
    this.publish = publishControl(this, scenarioRunPayload);
    this.append(
      h(
        "div",
        { class: "qt-toolbar" },
        this.runBtn,
        this.cancelBtn,
        this.publish.button,
        this.progress,
        this.progressText,
        this.status,
      ),
      this.publish.panel,
      this.error,
      this.plotFig,
      this.out,
    );
    whenRuntimeReady(
      this,
      () => {
        const saved = readState(this.wid);
        return saved?.ran ? this.run() : null;
      },
      "",
    );
  }

  async run() {
    this.cancelBtn.disabled = false;
    this.runBtn.disabled = true;
    this.progress.hidden = true;
    const points = [];
    const t0 = performance.now();
    try {
      const r = await loadScenario(this.rt, this.getAttribute("scenario"), "run", {
        onProgress: (m) => {
          this.progress.hidden = false;
          this.progress.value = m.done / m.total;
          this.progressText.textContent = `${m.done} / ${m.total} points`;
          points.push(m.info);
        },
      });
      renderError(this.error, null);
      writeState(this.wid, { ran: true });
      this.runtimeMs = performance.now() - t0;
      this.scenario = r.scenario;
      this.result = r.result;
      const res = r.result;
      const table = res.outputs?.table;
      this.plotFig.hidden = !sweepPlot(this.plot, table);
      this.progressText.textContent =
        res.status === "completed"
          ? res.passed
            ? "completed · all checks passed"
            : "completed · some checks failed"
          : res.status;
      this.out.replaceChildren(
        checksView(res.checks) || "",
        h("details", {}, h("summary", { text: "Outputs and provenance (JSON)" }), resultView(res)),
      );
      this.dispatchEvent(new CustomEvent("qt-result", { detail: res }));
    } catch (err) {
      renderRunError(this.error, err, "Scenario", "Cancelled; the Python runtime restarted.");
      this.progressText.textContent = points.length ? `stopped after ${points.length} points` : "";
    } finally {
      this.cancelBtn.disabled = true;
      this.runBtn.disabled = false;
    }
  }
}

/** <qt-scenario-loader>: pick any scenario of the library and open it live. */
class QtScenarioLoader extends QtElement {
  firstConnected() {
    this.classList.add("qt-widget");
    bindRuntime(this);
    this.select = h("select", { "aria-label": "Scenario" });
    this.openBtn = h("button", {
      type: "button",
      class: "md-button qt-btn",
      text: "Open",
      onclick: () => this.open(this.select.value, true),
    });
    this.error = errorPanel();
    this.slot_ = h("div", { class: "qt-loader-slot" });
    this.append(
      h("div", { class: "qt-toolbar" }, h("label", {}, "Scenario ", this.select), this.openBtn),
      this.error,
      this.slot_,
    );
    scenarioIndex()
      .then((index) => {
        if (!index.length) this.select.append(h("option", { value: "", text: "(library empty)" }));
        for (const e of index) this.select.append(h("option", { value: e.name, text: e.name }));
        const saved = readState(this.wid);
        if (saved?.name) {
          this.select.value = saved.name;
          return this.open(saved.name);
        }
        return null;
      })
      .catch((err) => renderError(this.error, err, "Scenario library"))
      .finally(() => this._resolveReady());
  }

  /**
   * Show scenario `name`. `fresh` (the Open button) drops the edits saved for the circuit
   * shown before, which would otherwise replace the new scenario's circuit; restoring from
   * the URL keeps them.
   */
  async open(name, fresh = false) {
    if (!name) return;
    const circuitId = `${this.wid}-circuit`;
    if (fresh) {
      document.getElementById(circuitId)?.remove();
      clearState(circuitId);
    }
    writeState(this.wid, { name });
    try {
      const { scenario: s, circuit } = await loadScenario(this.rt, name);
      renderError(this.error, null);
      const head = h(
        "p",
        {},
        h("strong", { text: s.title }),
        ` · ${s.kind} · `,
        h("a", {
          href: new URL(`scenarios/${name}/`, new URL("../../", import.meta.url)).href,
          text: "scenario page",
        }),
      );
      if (circuit) {
        const c = h("qt-circuit", {
          id: circuitId,
          "data-scenario": name,
          circuit: JSON.stringify(circuit),
          noise: s.document.noise ? JSON.stringify(s.document.noise) : null,
          shots: String(s.shots),
          seed: String(s.seed),
        });
        this.slot_.replaceChildren(head, c);
      } else {
        this.slot_.replaceChildren(head, h("qt-scenario-runner", { scenario: name }));
      }
    } catch (err) {
      renderError(this.error, err, `Scenario ${name}`);
    }
  }
}

customElements.define("qt-scenario-runner", QtScenarioRunner);
customElements.define("qt-scenario-loader", QtScenarioLoader);
