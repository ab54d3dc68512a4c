// <qt-circuit>: circuit editor + QASM view + frame player + state views, all driven by the
// page's qtcore worker.
//
//   <qt-circuit id="bell" scenario="bell" shots="1024" seed="7"></qt-circuit>
//   <qt-circuit qasm="OPENQASM 2.0; ..."></qt-circuit>
//   <qt-circuit circuit='{"num_qubits": 2, "ops": [...]}'></qt-circuit>
//
// The whole view (circuit, shots, seed, current frame) round-trips through the URL hash.

import { arity, fromDict, itemAt, ordered, span, toDict, width } from "./circuit-model.js";
import { FramePlayerElement } from "./frame-views.js";
import { decodeFrames } from "./frames.js";
import { drawBars, palette } from "./plots.js";
import { circuitRunPayload, publishControl } from "./publish.js";
import { quirkToCircuit } from "./quirk.js";
import { kernelLabel, renderError } from "./runtime.js";
import { loadScenario } from "./scenarios.js";
import { readQuirkFragment, readState, writeState } from "./urlstate.js";
import { bindRuntime, errorPanel, h, statusLine } from "./widget-base.js";

const EXTRA_TOOLS = [
  {
    name: "measure",
    label: "Measure",
    title: "Measure a qubit into the classical bit of the same index",
  },
  { name: "reset", label: "Reset", title: "Reset a qubit to |0⟩" },
  { name: "barrier", label: "Barrier", title: "Barrier (no effect on the state)" },
  { name: "erase", label: "Erase", title: "Erase: click an op to delete it" },
];
const GROUPS = [
  ["Single qubit", (g) => g.numControls === 0 && g.numTargets === 1 && g.numParams === 0],
  ["Rotations", (g) => g.numControls === 0 && g.numTargets === 1 && g.numParams > 0],
  ["Controlled", (g) => g.numControls > 0 || g.variadic],
  ["Two qubit", (g) => g.numControls === 0 && g.numTargets > 1],
];
const SPEEDS = [1, 2, 5, 10, 30, 60];

function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

export class QtCircuit extends FramePlayerElement {
  constructor() {
    super();
    this.model = { n: 2, c: 0, items: [] };
    this.frameIndex = 0;
    this.gen = 0;
    this.undoStack = [];
    this.redoStack = [];
    this.tool = "h";
    this.pending = null;
    this.selected = null;
    this.focusCell = { q: 0, t: 0 };
    this.lastResult = null;
  }

  firstConnected() {
    bindRuntime(this);
    this.build();
    this.init().catch((err) => this.fail(err));
  }

  disconnectedCallback() {
    this.playing = false;
  }

  // ------------------------------------------------------------------ setup
  build() {
    this.classList.add("qt-widget");
    this.status = statusLine(null, { live: true });
    this.stageBar = h("progress", {
      class: "qt-stage",
      max: "4",
      value: "0",
      "aria-label": "Loading the Python runtime",
    });
    this.shotsInput = h("input", {
      type: "number",
      min: "0",
      max: "10000000",
      step: "1",
      value: this.getAttribute("shots") || "1024",
      "aria-label": "Shots",
      class: "qt-num",
    });
    this.seedInput = h("input", {
      type: "number",
      min: "0",
      step: "1",
      value: this.getAttribute("seed") || "7",
      "aria-label": "Seed",
      class: "qt-num",
    });
    this.runBtn = h("button", {
      type: "button",
      class: "md-button qt-btn",
      text: "Run",
      onclick: () => this.refresh("run"),
    });
    this.cancelBtn = h("button", {
      type: "button",
      class: "md-button qt-btn",
      text: "Cancel",
      disabled: true,
      onclick: () => this.cancel(),
    });
    this.busyBar = h("progress", { class: "qt-busy", hidden: true, "aria-label": "Running" });
    this.shareBtn = h("button", {
      type: "button",
      class: "md-button qt-btn",
      text: "Copy link",
      title: "Copy a link that reproduces this view",
      onclick: () => this.share(),
    });
    this.publish = publishControl(this, circuitRunPayload);
    const toolbar = h(
      "div",
      { class: "qt-toolbar" },
      h("label", {}, "Shots ", this.shotsInput),
      h("label", {}, "Seed ", this.seedInput),
      this.runBtn,
      this.cancelBtn,
      this.shareBtn,
      this.publish.button,
      this.busyBar,
    );
    this.shotsInput.addEventListener("change", () => this.changed("settings"));
    this.seedInput.addEventListener("change", () => this.changed("settings"));

    this.palette = h("div", { class: "qt-palette", role: "toolbar", "aria-label": "Gate palette" });
    this.paramInput = h("input", {
      type: "text",
      value: "pi/2",
      class: "qt-param",
      "aria-label": "Angle for new rotation gates",
    });
    this.grid = h("div", {
      class: "qt-grid",
      role: "grid",
      "aria-label": "Circuit grid: rows are qubits, columns are steps",
    });
    this.hint = h("p", { class: "qt-hint", "aria-live": "polite" });
    const editRow = h(
      "div",
      { class: "qt-edit-row" },
      h("button", {
        type: "button",
        class: "qt-btn-small",
        text: "+ qubit",
        onclick: () => this.addQubit(1),
      }),
      h("button", {
        type: "button",
        class: "qt-btn-small",
        text: "− qubit",
        onclick: () => this.addQubit(-1),
      }),
      h("button", {
        type: "button",
        class: "qt-btn-small",
        text: "Undo",
        title: "Undo (Ctrl+Z)",
        onclick: () => this.undo(),
      }),
      h("button", {
        type: "button",
        class: "qt-btn-small",
        text: "Redo",
        title: "Redo (Ctrl+Y)",
        onclick: () => this.redo(),
      }),
      h("button", {
        type: "button",
        class: "qt-btn-small",
        text: "Clear",
        onclick: () => this.edit(() => (this.model.items = [])),
      }),
      this.hint,
    );
    this.inspector = h("div", {
      class: "qt-inspector",
      hidden: true,
      role: "group",
      "aria-label": "Selected operation",
    });

    this.qasmText = h("textarea", {
      class: "qt-qasm-text",
      rows: "8",
      spellcheck: "false",
      "aria-label": "OpenQASM source",
    });
    this.qasmError = errorPanel("qt-qasm-error");
    this.qasmText.addEventListener(
      "input",
      debounce(() => this.qasmEdited(), 450),
    );
    const qasm = h(
      "details",
      { class: "qt-qasm", open: true },
      h("summary", { text: "OpenQASM (edit to change the circuit)" }),
      this.qasmText,
      this.qasmError,
    );

    this.quirkInput = h("input", {
      type: "text",
      class: "qt-quirk-input",
      placeholder: 'https://algassert.com/quirk#circuit={"cols":[["H"],["•","X"]]}',
      "aria-label": "Quirk URL or circuit JSON",
    });
    this.quirkMsg = errorPanel();
    const quirk = h(
      "details",
      { class: "qt-quirk" },
      h("summary", { text: "Import from Quirk" }),
      h(
        "div",
        { class: "qt-row" },
        this.quirkInput,
        h("button", {
          type: "button",
          class: "md-button qt-btn",
          text: "Import",
          onclick: () => this.importQuirk(this.quirkInput.value),
        }),
      ),
      this.quirkMsg,
    );

    const player = this.buildPlayerBar(SPEEDS, {
      first: () => this.showFrame(0, true),
      prev: () => this.showFrame(this.frameIndex - 1, true),
      next: () => this.showFrame(this.frameIndex + 1, true),
      last: () => this.showFrame(this.frames.length - 1, true),
      scrub: (v) => this.showFrame(v, true),
    });
    this.countsCanvas = h("canvas", {
      class: "qt-canvas",
      role: "img",
      "aria-label": "Measurement counts",
    });
    this.countsText = h("p", { class: "qt-counts-text" });
    const views = this.buildStateViews(
      h(
        "figure",
        {},
        h("figcaption", { text: "Measurement counts" }),
        this.countsCanvas,
        this.countsText,
      ),
    );
    this.error = errorPanel();

    this.replaceChildren(
      h("div", { class: "qt-head" }, this.stageBar, this.status),
      toolbar,
      this.publish.panel,
      this.palette,
      h("div", { class: "qt-grid-wrap" }, this.grid),
      editRow,
      this.inspector,
      this.error,
      player,
      views,
      qasm,
      quirk,
    );
    this.addEventListener("keydown", (e) => this.onKey(e));
    this.status.textContent = this.rt.stage.label || "Loading…";
    const onStage = (e) => {
      this.stageBar.value = e.detail.done;
      this.status.textContent = e.detail.label;
    };
    this.rt.addEventListener("stage", onStage);
    this.rt.addEventListener("ready", (e) => {
      this.stageBar.hidden = true;
      this.status.textContent = kernelLabel(e.detail);
    });
    this.rt.addEventListener("fatal", (e) => this.fail(e.detail));
    this.themeObserver = new MutationObserver(() => this.redraw());
    this.themeObserver.observe(document.body, {
      attributes: true,
      attributeFilter: ["data-md-color-scheme"],
    });
  }

  async init() {
    const info = await this.rt.ready;
    this.stageBar.hidden = true;
    this.status.textContent = kernelLabel(info);
    this.gates = info.gates;
    this.specs = Object.fromEntries(info.gates.map((g) => [g.name, g]));
    this.buildPalette();
    const saved = readState(this.wid);
    const quirk = this.isFirstCircuit() ? readQuirkFragment() : null;
    let restoreFrame = null;
    if (saved?.circuit) {
      this.model = fromDict(saved.circuit);
      if (saved.shots != null) this.shotsInput.value = saved.shots;
      if (saved.seed != null) this.seedInput.value = saved.seed;
      if (saved.fps) this.fps = saved.fps;
      restoreFrame = saved.frame ?? null;
    } else if (quirk) {
      this.importQuirk(quirk, false);
    } else if (this.getAttribute("circuit")) {
      this.model = fromDict(JSON.parse(this.getAttribute("circuit")));
    } else if (this.getAttribute("qasm")) {
      const r = await this.rt.request("qasm", { op: "loads", text: this.getAttribute("qasm") });
      this.model = fromDict(r.circuit);
    } else if (this.getAttribute("scenario")) {
      const s = await loadScenario(this.rt, this.getAttribute("scenario"));
      if (!s.circuit) throw new Error(`scenario ${this.getAttribute("scenario")} has no circuit`);
      this.model = fromDict(s.circuit);
      if (!this.hasAttribute("shots") && s.shots != null) this.shotsInput.value = s.shots;
      if (!this.hasAttribute("seed") && s.seed != null) this.seedInput.value = s.seed;
    } else {
      this.model = { n: Number(this.getAttribute("qubits") || 2), c: 0, items: [] };
    }
    this.speedSel.value = String(this.fps);
    this.renderGrid();
    await this.refresh("init", restoreFrame);
  }

  isFirstCircuit() {
    return document.querySelector("qt-circuit") === this;
  }

  fail(err) {
    renderError(this.error, err, "qtcore");
    this.stageBar.hidden = true;
    this.status.textContent = "Python runtime failed to start";
    this._resolveReady();
  }

  buildPalette() {
    this.palette.replaceChildren();
    const mk = (name, label, title) => {
      const b = h("button", {
        type: "button",
        class: "qt-tool",
        "data-tool": name,
        "aria-pressed": String(this.tool === name),
        title,
        draggable: "true",
        text: label,
      });
      b.addEventListener("click", () => this.setTool(name));
      b.addEventListener("dragstart", (e) => e.dataTransfer.setData("text/x-qt-gate", name));
      return b;
    };
    for (const [title, pred] of GROUPS) {
      const group = h("div", { class: "qt-tool-group", role: "group", "aria-label": title });
      for (const g of this.gates.filter(pred)) {
        group.append(
          mk(
            g.name,
            g.name.toUpperCase(),
            `${g.name}${g.params.length ? `(${g.params.join(", ")})` : ""}: ${g.summary}`,
          ),
        );
      }
      this.palette.append(group);
    }
    const extra = h("div", { class: "qt-tool-group", role: "group", "aria-label": "Other" });
    for (const t of EXTRA_TOOLS) extra.append(mk(t.name, t.label, t.title));
    this.palette.append(extra, h("label", { class: "qt-param-label" }, "angle ", this.paramInput));
  }

  setTool(name) {
    this.tool = name;
    this.pending = null;
    for (const b of this.palette.querySelectorAll(".qt-tool"))
      b.setAttribute("aria-pressed", String(b.dataset.tool === name));
    const spec = this.specs[name];
    this.hint.textContent = spec
      ? `${name}: click ${arity(spec) > 1 ? `${arity(spec)} qubits in one column (controls first)` : "a cell"}`
      : name === "erase"
        ? "Click an op to delete it"
        : `${name}: click a cell`;
    this.renderGrid();
  }

  // ------------------------------------------------------------------ editing
  snapshot() {
    return JSON.stringify({ n: this.model.n, c: this.model.c, items: this.model.items });
  }

  edit(fn) {
    this.undoStack.push(this.snapshot());
    if (this.undoStack.length > 200) this.undoStack.shift();
    this.redoStack = [];
    fn();
    this.selected = null;
    this.changed("grid");
  }

  undo() {
    if (!this.undoStack.length) return;
    this.redoStack.push(this.snapshot());
    this.model = JSON.parse(this.undoStack.pop());
    this.selected = null;
    this.changed("grid");
  }

  redo() {
    if (!this.redoStack.length) return;
    this.undoStack.push(this.snapshot());
    this.model = JSON.parse(this.redoStack.pop());
    this.selected = null;
    this.changed("grid");
  }

  addQubit(delta) {
    const n = this.model.n + delta;
    if (n < 1 || n > 16) {
      this.hint.textContent = `qubits must stay between 1 and 16 in the editor (asked ${n})`;
      return;
    }
    this.edit(() => {
      this.model.n = n;
      if (delta < 0)
        this.model.items = this.model.items.filter((it) => it.qubits.every((q) => q < n));
      this.model.c = Math.min(this.model.c, Math.max(n, this.maxClbit() + 1));
    });
  }

  maxClbit() {
    let m = -1;
    for (const it of this.model.items)
      for (const c of [...it.clbits, ...(it.cond ? it.cond.clbits : [])]) m = Math.max(m, c);
    return m;
  }

  cellClicked(q, t) {
    this.focusCell = { q, t };
    const existing = itemAt(this.model, q, t);
    if (this.tool === "erase") {
      if (existing)
        this.edit(() => (this.model.items = this.model.items.filter((it) => it !== existing)));
      return;
    }
    if (existing && !this.pending) {
      this.selected = existing;
      this.renderGrid();
      this.renderInspector();
      return;
    }
    this.place(q, t);
  }

  place(q, t, toolName = this.tool) {
    const spec = this.specs[toolName];
    const need = spec ? arity(spec) : 1;
    if (this.pending && (this.pending.t !== t || this.pending.tool !== toolName))
      this.pending = null;
    if (!this.pending) this.pending = { tool: toolName, t, qubits: [] };
    if (this.pending.qubits.includes(q)) {
      this.hint.textContent = `qubit ${q} is already part of this ${toolName}; pick another`;
      return;
    }
    this.pending.qubits.push(q);
    if (this.pending.qubits.length < need) {
      const role =
        spec && this.pending.qubits.length < (spec.variadic ? 2 : spec.numControls)
          ? "control"
          : "target";
      this.hint.textContent = `${toolName}: qubit ${q} chosen; now click the next ${role} in step ${t} (Esc cancels)`;
      this.renderGrid();
      return;
    }
    const qubits = this.pending.qubits;
    this.pending = null;
    // Anything in the way in that column moves one step right.
    const item = { op: toolName, qubits, params: [], clbits: [], cond: null, t };
    if (spec?.numParams)
      item.params = Array.from({ length: spec.numParams }, (_, i) =>
        i === 0 ? this.paramInput.value.trim() || "pi/2" : "0",
      );
    if (toolName === "measure") {
      item.clbits = [q];
    }
    this.edit(() => {
      const clash = (it) => it.t >= t && span(it).some((w) => span(item).includes(w));
      if (this.model.items.some((it) => it.t === t && clash(it))) {
        for (const it of this.model.items) if (it.t >= t) it.t += 1;
      }
      this.model.items.push(item);
      if (toolName === "measure") this.model.c = Math.max(this.model.c, q + 1);
    });
    this.hint.textContent = `placed ${toolName} on qubit${qubits.length > 1 ? "s" : ""} ${qubits.join(", ")} at step ${t}`;
  }

  renderInspector() {
    const it = this.selected;
    this.inspector.replaceChildren();
    if (!it) {
      this.inspector.hidden = true;
      return;
    }
    this.inspector.hidden = false;
    const spec = this.specs[it.op];
    this.inspector.append(
      h("strong", { text: `${it.op} on q[${it.qubits.join("], q[")}] (step ${it.t})` }),
    );
    const inputs = [];
    (spec ? spec.params : []).forEach((name, i) => {
      const inp = h("input", {
        type: "text",
        value: it.params[i] ?? "0",
        class: "qt-param",
        "aria-label": `${it.op} parameter ${name}`,
      });
      inputs.push(inp);
      this.inspector.append(h("label", {}, ` ${name} `, inp));
    });
    const condOn = h("input", {
      type: "checkbox",
      checked: Boolean(it.cond),
      "aria-label": "Classically controlled",
    });
    const condBit = h("input", {
      type: "number",
      min: "0",
      value: it.cond ? it.cond.clbits[0] : 0,
      class: "qt-num",
      "aria-label": "Condition classical bit",
    });
    const condVal = h(
      "select",
      { "aria-label": "Condition value" },
      h("option", { value: "1", text: "1" }),
      h("option", { value: "0", text: "0" }),
    );
    if (it.cond) condVal.value = String(it.cond.value);
    this.inspector.append(h("label", {}, " ", condOn, " only if c[", condBit, "] == ", condVal));
    const apply = () => {
      const idx = this.model.items.indexOf(it);
      this.edit(() => {
        const target = this.model.items[idx];
        target.params = inputs.map((x) => x.value.trim() || "0");
        if (condOn.checked) {
          const bit = Math.max(0, Number(condBit.value) || 0);
          target.cond = { clbits: [bit], value: Number(condVal.value) };
          this.model.c = Math.max(this.model.c, bit + 1);
        } else {
          target.cond = null;
        }
      });
    };
    this.inspector.append(
      h("button", { type: "button", class: "qt-btn-small", text: "Apply", onclick: apply }),
      h("button", {
        type: "button",
        class: "qt-btn-small",
        text: "Delete",
        onclick: () =>
          this.edit(() => (this.model.items = this.model.items.filter((x) => x !== it))),
      }),
      h("button", {
        type: "button",
        class: "qt-btn-small",
        text: "Close",
        onclick: () => {
          this.selected = null;
          this.renderInspector();
          this.renderGrid();
        },
      }),
    );
    for (const inp of inputs)
      inp.addEventListener("keydown", (e) => {
        if (e.key === "Enter") apply();
      });
  }

  // ------------------------------------------------------------------ grid
  cellText(it, q) {
    const spec = this.specs[it.op];
    if (it.op === "measure") return { text: `M→c${it.clbits[0]}`, role: "gate" };
    if (it.op === "barrier") return { text: "┆", role: "gate" };
    if (it.op === "reset") return { text: "|0⟩", role: "gate" };
    if (!it.qubits.includes(q)) return { text: "", role: "wire" };
    const idx = it.qubits.indexOf(q);
    const nc = spec ? (spec.variadic ? it.qubits.length - spec.numTargets : spec.numControls) : 0;
    if (idx < nc) return { text: "●", role: "ctrl" };
    const base = it.op.replace(/^(mc|cc|c)/, "");
    if (["cx", "ccx", "mcx"].includes(it.op)) return { text: "⊕", role: "tgt" };
    if (["swap", "cswap"].includes(it.op)) return { text: "×", role: "tgt" };
    const label = (nc > 0 ? base : it.op).toUpperCase();
    const short = (p) => (p.length > 6 ? `${p.slice(0, 5)}…` : p);
    const params = it.params?.length ? `(${it.params.map(short).join(",")})` : "";
    return { text: label, sub: params, role: "gate" };
  }

  renderGrid() {
    const { n } = this.model;
    const cols = Math.max(width(this.model) + 1, 6);
    this.grid.style.setProperty("--qt-cols", cols);
    const rows = [];
    const cur = this.currentItem();
    this.highlighted = cur; // the cells below are marked as they are built
    for (let q = 0; q < n; q++) {
      const row = h("div", { class: "qt-grid-row", role: "row" });
      row.append(h("div", { class: "qt-qlabel", role: "rowheader", text: `q${q}` }));
      for (let t = 0; t < cols; t++) {
        const it = itemAt(this.model, q, t);
        const info = it ? this.cellText(it, q) : null;
        const classes = ["qt-cell"];
        let label = `qubit ${q}, step ${t}: empty`;
        if (it) {
          const sp = span(it);
          classes.push(`qt-cell--${info.role}`);
          if (sp.length > 1) {
            if (q > sp[0]) classes.push("qt-v-up");
            if (q < sp[sp.length - 1]) classes.push("qt-v-down");
          }
          if (it.cond) classes.push("qt-cell--cond");
          if (it === this.selected) classes.push("qt-selected");
          if (it === cur) classes.push("qt-current");
          label = `qubit ${q}, step ${t}: ${it.op}${it.params.length ? `(${it.params.join(", ")})` : ""} on qubits ${it.qubits.join(", ")}${it.cond ? ` if c[${it.cond.clbits.join(",")}] == ${it.cond.value}` : ""}`;
        }
        if (cur && cur.t === t) classes.push("qt-current-col");
        if (this.pending && this.pending.t === t && this.pending.qubits.includes(q))
          classes.push("qt-pending");
        const focus = this.focusCell.q === q && this.focusCell.t === t;
        const cell = h("button", {
          type: "button",
          role: "gridcell",
          class: classes.join(" "),
          "data-q": q,
          "data-t": t,
          tabindex: focus ? "0" : "-1",
          "aria-label": label,
        });
        if (info) {
          cell.append(h("span", { class: "qt-cell__sym", text: info.text }));
          if (info.sub) cell.append(h("span", { class: "qt-cell__sub", text: info.sub }));
          if (it.cond && it.qubits[it.qubits.length - 1] === q)
            cell.append(
              h("span", { class: "qt-cell__cond", text: `c${it.cond.clbits[0]}=${it.cond.value}` }),
            );
        }
        cell.addEventListener("click", () => this.cellClicked(q, t));
        cell.addEventListener("dragover", (e) => e.preventDefault());
        cell.addEventListener("drop", (e) => {
          e.preventDefault();
          const g = e.dataTransfer.getData("text/x-qt-gate");
          if (g && g !== "erase") {
            this.setTool(g);
            this.place(q, t, g);
          }
        });
        row.append(cell);
      }
      rows.push(row);
    }
    const header = h(
      "div",
      { class: "qt-grid-row qt-grid-head", role: "row" },
      h("div", { class: "qt-qlabel", role: "columnheader", text: "" }),
    );
    for (let t = 0; t < cols; t++)
      header.append(
        h("div", {
          class: `qt-step${cur && cur.t === t ? " qt-current-col" : ""}`,
          role: "columnheader",
          text: String(t),
        }),
      );
    this.grid.replaceChildren(header, ...rows);
  }

  onKey(e) {
    const inText = e.target.matches("textarea, input, select");
    if ((e.ctrlKey || e.metaKey) && !inText) {
      if (e.key === "z" && !e.shiftKey) {
        e.preventDefault();
        this.undo();
        return;
      }
      if (e.key === "y" || (e.key === "Z" && e.shiftKey) || (e.key === "z" && e.shiftKey)) {
        e.preventDefault();
        this.redo();
        return;
      }
    }
    if (e.key === "Escape" && this.pending) {
      this.pending = null;
      this.hint.textContent = "placement cancelled";
      this.renderGrid();
      return;
    }
    const cell = e.target.closest?.(".qt-cell");
    if (!cell) return;
    let { q, t } = { q: Number(cell.dataset.q), t: Number(cell.dataset.t) };
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[e.key]) {
      e.preventDefault();
      q = Math.min(this.model.n - 1, Math.max(0, q + moves[e.key][0]));
      t = Math.max(0, t + moves[e.key][1]);
      this.focusCell = { q, t };
      const next = this.grid.querySelector(`.qt-cell[data-q="${q}"][data-t="${t}"]`);
      if (next) {
        for (const c of this.grid.querySelectorAll('.qt-cell[tabindex="0"]')) c.tabIndex = -1;
        next.tabIndex = 0;
        next.focus();
      }
    } else if (e.key === "Delete" || e.key === "Backspace") {
      const it = itemAt(this.model, q, t);
      if (it) {
        e.preventDefault();
        this.edit(() => (this.model.items = this.model.items.filter((x) => x !== it)));
      }
    }
  }

  // ------------------------------------------------------------------ running
  changed(source) {
    this.renderGrid();
    this.renderInspector();
    this.refreshSoon(source);
  }

  refreshSoon = debounce((source) => this.refresh(source), 120);

  setBusy(busy) {
    this.busy = busy;
    this.cancelBtn.disabled = !busy;
    clearTimeout(this._busyTimer);
    if (busy) this._busyTimer = setTimeout(() => (this.busyBar.hidden = !this.busy), 150);
    else this.busyBar.hidden = true;
    this.toggleAttribute("busy", busy);
  }

  async refresh(source, restoreFrame = null) {
    const gen = ++this.gen;
    const circuit = toDict(this.model);
    const seed = Number(this.seedInput.value) || 0;
    const shots = Math.max(0, Number(this.shotsInput.value) || 0);
    this.setBusy(true);
    try {
      const fr = await this.rt.request("frames", { circuit, seed });
      if (gen !== this.gen) return;
      this.frames = decodeFrames(fr.buffer);
      this.frameBuffer = fr.buffer;
      this.kernel = fr.kernel;
      this.scrub.max = String(Math.max(0, this.frames.length - 1));
      const at = restoreFrame != null ? restoreFrame : this.frames.length - 1;
      this.showFrame(Math.min(at, this.frames.length - 1));
      const t0 = performance.now();
      const res = await this.rt.request("run", { circuit, shots, seed });
      if (gen !== this.gen) return;
      this.runtimeMs = performance.now() - t0;
      this.lastResult = res;
      this.drawCounts();
      if (source !== "qasm" || document.activeElement !== this.qasmText) {
        this.qasmText.value = res.qasm;
        renderError(this.qasmError, null);
      }
      renderError(this.error, null);
      this.saveState();
      this.dispatchEvent(new CustomEvent("qt-result", { detail: res }));
    } catch (err) {
      if (gen !== this.gen) return;
      if (err.code === "QT-CANCELLED") {
        renderError(this.error, {
          message: "Run cancelled; the Python runtime restarted. Press Run to try again.",
          type: "Cancelled",
        });
      } else {
        renderError(this.error, err, "Simulation failed");
      }
    } finally {
      if (gen === this.gen) {
        this.setBusy(false);
        this._resolveReady();
      }
    }
  }

  cancel() {
    this.gen++;
    this.rt.cancel();
    this.setBusy(false);
    renderError(this.error, {
      message: "Run cancelled; the Python runtime is restarting. Press Run to try again.",
      type: "Cancelled",
    });
  }

  async qasmEdited() {
    const text = this.qasmText.value;
    try {
      const r = await this.rt.request("qasm", { op: "loads", text });
      if (this.qasmText.value !== text) return;
      renderError(this.qasmError, null);
      this.undoStack.push(this.snapshot());
      this.redoStack = [];
      this.model = fromDict(r.circuit);
      this.selected = null;
      this.renderGrid();
      this.renderInspector();
      this.refresh("qasm");
    } catch (err) {
      if (this.qasmText.value !== text) return;
      renderError(this.qasmError, err, "OpenQASM");
      if (err.line != null) {
        const line = text.split("\n")[err.line - 1] ?? "";
        const pre = h("pre", { class: "qt-qasm-caret", "aria-hidden": "true" });
        pre.textContent = `${String(err.line).padStart(3)} | ${line}\n    | ${" ".repeat(Math.max(0, (err.column || 1) - 1))}^`;
        this.qasmError.insertBefore(pre, this.qasmError.children[1] || null);
      }
    }
  }

  importQuirk(text, record = true) {
    try {
      const d = quirkToCircuit(text);
      renderError(this.quirkMsg, null);
      const apply = () => (this.model = fromDict(d));
      if (record) this.edit(apply);
      else apply();
      this.hint.textContent = `imported ${d.ops.length} op(s) from Quirk on ${d.num_qubits} qubit(s)`;
    } catch (err) {
      this.quirkMsg.closest("details").open = true;
      renderError(this.quirkMsg, err, "Quirk import");
    }
  }

  // ------------------------------------------------------------------ player + views
  currentItem() {
    const f = this.frames[this.frameIndex];
    if (!f || f.header.step < 0) return null;
    return ordered(this.model.items)[f.header.step] || null;
  }

  frameShown() {
    // re-mark only when the op changes: during playback most frames keep it
    if (this.currentItem() !== this.highlighted) this.highlight();
  }

  userMoved(k) {
    if (this.playing && k >= this.frames.length - 1) this.togglePlay(false);
    this.saveStateSoon();
  }

  highlight() {
    const cur = this.currentItem();
    this.highlighted = cur;
    for (const c of this.grid.querySelectorAll(".qt-current, .qt-current-col"))
      c.classList.remove("qt-current", "qt-current-col");
    if (!cur) return;
    for (const c of this.grid.querySelectorAll(`[data-t="${cur.t}"]`)) {
      c.classList.add("qt-current-col");
      if (span(cur).includes(Number(c.dataset.q))) c.classList.add("qt-current");
    }
    const heads = this.grid.querySelectorAll(".qt-step");
    if (heads[cur.t]) heads[cur.t].classList.add("qt-current-col");
  }

  drawFrame(f) {
    if (!performance.getEntriesByName("qt-first-frame").length) performance.mark("qt-first-frame");
    super.drawFrame(f);
  }

  drawCounts() {
    const res = this.lastResult;
    if (!res) return;
    const entries = Object.entries(res.counts || {}).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    const pal = palette(this);
    if (!entries.length) {
      drawBars(this.countsCanvas, { values: [], labels: [] }, pal);
      this.countsText.textContent = "No shots (shots = 0): the views show the exact state.";
      return;
    }
    drawBars(
      this.countsCanvas,
      { values: entries.map(([, v]) => v), labels: entries.map(([k]) => k) },
      pal,
    );
    this.countsText.textContent =
      `${res.shots} shots, seed ${res.seed}, ${res.kernel} kernel: ` +
      entries.map(([k, v]) => `${k}: ${v}`).join(", ");
  }

  redraw() {
    if (this.frames.length) this.drawFrame(this.frames[this.frameIndex]);
    this.drawCounts();
  }

  playStopped() {
    this.saveStateSoon();
  }

  // ------------------------------------------------------------------ URL state
  state() {
    return {
      circuit: toDict(this.model),
      shots: Number(this.shotsInput.value),
      seed: Number(this.seedInput.value),
      frame: this.frameIndex,
      fps: this.fps,
    };
  }

  saveState() {
    writeState(this.wid, this.state());
  }

  saveStateSoon = debounce(() => this.saveState(), 200);

  async share() {
    this.saveState();
    try {
      await navigator.clipboard.writeText(location.href);
      this.hint.textContent = "Link copied: it reproduces this circuit, settings and frame.";
    } catch (_) {
      this.hint.textContent = `Link: ${location.href}`;
    }
  }
}

customElements.define("qt-circuit", QtCircuit);
