// The circuit editor inside <qt-circuit>: the gate palette, the qubit x step grid (click,
// drag and drop, keyboard), the inspector of the selected op, and undo/redo. It owns the
// model (circuit-model.js) and tells its host when the model changed; running, playing and
// the URL state live in qt-circuit.js.

import { arity, expand, itemAt, span, width } from "./circuit-model.js";
import { h } from "./widget-base.js";

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

export class CircuitEditor {
  /**
   * @param {{onChange: (source: string) => void, currentItem: () => object|null}} host
   *   `onChange` runs after every edit; `currentItem` is the op the player shows.
   */
  constructor(host) {
    this.host = host;
    this.model = { n: 2, c: 0, items: [] };
    // The widest circuit the kernel's memory allows (info.maxQubits once the worker is
    // ready) and the sentence that explains it.
    this.maxQubits = 16;
    this.maxQubitsReason = "";
    this.undoStack = [];
    this.redoStack = [];
    this.tool = "h";
    this.pending = null;
    this.selected = null;
    this.focusCell = { q: 0, t: 0 };
    this.highlighted = null;
    this.specs = {};
    this.gates = [];
    this.build();
  }

  build() {
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
    this.gridWrap = h("div", { class: "qt-grid-wrap" }, this.grid);
    this.hint = h("p", { class: "qt-hint", "aria-live": "polite" });
    this.editRow = h(
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
  }

  /** The gate registry from the worker's `info.gates`: fills the palette. */
  setGates(gates) {
    this.gates = gates;
    this.specs = Object.fromEntries(gates.map((g) => [g.name, g]));
    this.buildPalette();
  }

  /** Replace the model; `record` pushes the old one on the undo stack. No onChange. */
  replace(model, record = false) {
    if (record) {
      this.undoStack.push(this.snapshot());
      this.redoStack = [];
    }
    this.model = model;
    this.selected = null;
    this.renderGrid();
    this.renderInspector();
  }

  currentItem() {
    return this.host.currentItem();
  }

  changed(source) {
    this.renderGrid();
    this.renderInspector();
    this.host.onChange(source);
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
    const { n, c, items, raw, readonly } = this.model;
    return JSON.stringify({ n, c, items, raw, readonly });
  }

  edit(fn) {
    if (this.model.readonly) {
      this.hint.textContent =
        "This circuit has control flow (if, while, for, switch, classical variables): the grid shows it read-only; edit its OpenQASM text.";
      return;
    }
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
    if (n < 1 || n > this.maxQubits) {
      const why = this.maxQubitsReason ? `: ${this.maxQubitsReason}` : "";
      this.hint.textContent = `qubits must stay between 1 and ${this.maxQubits} (asked ${n})${why}`;
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
    if (this.model.readonly) {
      const what = it.block || `${it.op} on q[${it.qubits.join("], q[")}]`;
      this.inspector.append(
        h("strong", { text: what }),
        h("p", {
          class: "qt-hint",
          text: "Read-only: this circuit has control flow; edit its OpenQASM text below.",
        }),
      );
      return;
    }
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
    if (it.definition) {
      const n = it.definition.ops.length;
      this.inspector.append(
        h("span", { text: ` · composite gate of ${n} op${n === 1 ? "" : "s"} ` }),
        h("button", {
          type: "button",
          class: "qt-btn-small",
          text: "Expand",
          title: "Replace this gate by the ops of its definition",
          onclick: () => this.edit(() => (this.model = expand(this.model, it))),
        }),
      );
    }
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
    if (!it.qubits.includes(q)) return { text: "", role: "wire" };
    const idx = it.qubits.indexOf(q);
    if (it.block) return { text: it.op.toUpperCase(), sub: "", role: "block" };
    if (it.target) return { text: `M→${it.target}`, role: "gate" };
    if (it.op === "measure") return { text: `M→c${it.clbits[idx]}`, role: "gate" };
    if (it.op === "barrier") return { text: "┆", role: "gate" };
    if (it.op === "reset") return { text: "|0⟩", role: "gate" };
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

  /** Focus the grid's current cell (the skip link, and after every re-render that had focus). */
  focusGrid() {
    const q = Math.min(Math.max(0, this.focusCell.q), this.model.n - 1);
    const t = Math.max(0, this.focusCell.t);
    this.focusCell = { q, t };
    const cell = this.grid.querySelector(`.qt-cell[data-q="${q}"][data-t="${t}"]`);
    if (!cell) return;
    for (const c of this.grid.querySelectorAll('.qt-cell[tabindex="0"]')) c.tabIndex = -1;
    cell.tabIndex = 0;
    cell.focus();
  }

  renderGrid() {
    // Re-rendering replaces every cell: a keyboard user editing in the grid keeps focus there.
    const hadFocus = this.grid.contains(document.activeElement);
    const { n } = this.model;
    if (this.focusCell.q >= n) this.focusCell = { ...this.focusCell, q: n - 1 };
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
          if (it.definition) classes.push("qt-cell--composite");
          if (sp.length > 1) {
            if (q > sp[0]) classes.push("qt-v-up");
            if (q < sp[sp.length - 1]) classes.push("qt-v-down");
          }
          if (it.cond) classes.push("qt-cell--cond");
          if (it === this.selected) classes.push("qt-selected");
          if (it === cur) classes.push("qt-current");
          label = it.block
            ? `qubit ${q}, step ${t}: ${it.block} (read-only block)`
            : `qubit ${q}, step ${t}: ${it.op}${it.params.length ? `(${it.params.join(", ")})` : ""} on qubits ${it.qubits.join(", ")}${it.cond ? ` if c[${it.cond.clbits.join(",")}] == ${it.cond.value}` : ""}`;
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
        h(
          "div",
          { class: `qt-step${cur && cur.t === t ? " qt-current-col" : ""}`, role: "columnheader" },
          h("span", { text: String(t) }),
        ),
      );
    this.grid.replaceChildren(header, ...rows);
    if (hadFocus) this.focusGrid();
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
    if (e.key === "Escape" && this.selected) {
      this.selected = null;
      this.renderInspector();
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

  /** Mark the op `cur` (the op just applied in the frame shown; null for none). */
  highlight(cur) {
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
}
