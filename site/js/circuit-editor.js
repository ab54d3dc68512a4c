// The circuit editor inside <qt-circuit>: the gate palette, the qubit x step grid (click,
// drag and drop, keyboard), the inspector of the selected op, and undo/redo. It owns the
// model (circuit-model.js) and tells its host when the model changed; running, playing and
// the URL state live in qt-circuit.js.

import { renderBlockInspector } from "./block-inspector.js";
import { arity, BLOCK_KINDS, expand, itemAt, span, width } from "./circuit-model.js";
import {
  blockText,
  bodyLabel,
  FieldError,
  newBlock,
  parseBits,
  refreshQubits,
  scopeBlocks,
  scopeItems,
} from "./control-blocks.js";
import { h } from "./widget-base.js";

let condErrIds = 0; // ids of the gate inspector's condition error slots

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
const BLOCK_TOOLS = [
  { name: "if", label: "If", title: "If block: a body (and an else) run on a classical condition" },
  { name: "for", label: "For", title: "For loop: a body run once per value of a range" },
  {
    name: "while",
    label: "While",
    title: "While loop: a body repeated while a measured bit holds",
  },
  {
    name: "switch",
    label: "Switch",
    title: "Switch: the body of the case that matches classical bits",
  },
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
    // The body being edited: [] for the circuit itself, else a path of {index, key} steps
    // into control-flow blocks (control-blocks.js scopeItems).
    this.path = [];
    this.clipboard = null;
    this.highlighted = null;
    this.specs = {};
    this.gates = [];
    this.build();
  }

  build() {
    this.palette = h("div", { class: "qt-palette", role: "toolbar", "aria-label": "Gate palette" });
    // One tab stop for the whole palette (the chosen tool); arrows, Home/End and a letter move
    // between tools (WAI-ARIA toolbar). Each tool a tab stop was ~50 Tabs past the palette.
    this.palette.addEventListener("keydown", (e) => this.paletteKey(e));
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
    // One listener each for every cell (cells are kept across renders; see renderGrid).
    this.grid.addEventListener("click", (e) => {
      const cell = this.cellOf(e);
      if (cell) this.cellClicked(Number(cell.dataset.q), Number(cell.dataset.t));
    });
    this.grid.addEventListener("dragover", (e) => {
      if (this.cellOf(e)) e.preventDefault();
    });
    this.grid.addEventListener("drop", (e) => {
      const cell = this.cellOf(e);
      if (!cell) return;
      e.preventDefault();
      const g = e.dataTransfer.getData("text/x-qt-gate");
      if (g && g !== "erase") {
        this.setTool(g);
        this.place(Number(cell.dataset.q), Number(cell.dataset.t), g);
      }
    });
    this.scopeBar = h("div", { class: "qt-scope-bar", hidden: true, role: "group" });
    this.gridWrap = h("div", { class: "qt-grid-wrap" }, this.scopeBar, this.grid);
    this.hint = h("p", { class: "qt-hint", "aria-live": "polite" });
    this.addQubitBtn = h("button", {
      type: "button",
      class: "qt-btn-small",
      text: "+ qubit",
      title: "Add a qubit",
      onclick: () => this.addQubit(1),
    });
    this.editRow = h(
      "div",
      { class: "qt-edit-row" },
      this.addQubitBtn,
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
        title: "Remove every op of the grid shown (the circuit, or the body being edited)",
        onclick: () => this.edit(() => this.items().splice(0)),
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
    this.path = [];
    this.selected = null;
    this.renderGrid();
    this.renderInspector();
  }

  /** The items of the grid shown: the circuit's, or those of the body being edited. */
  items() {
    const items = scopeItems(this.model, this.path);
    if (items) return items;
    this.path = [];
    return this.model.items;
  }

  /** The grid shown as a model (for the grid queries of circuit-model.js). */
  view() {
    return { n: this.model.n, c: this.model.c, items: this.items() };
  }

  remove(it) {
    const items = this.items();
    const i = items.indexOf(it);
    if (i >= 0) items.splice(i, 1);
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
    const flow = h("div", {
      class: "qt-tool-group qt-tool-group--flow",
      role: "group",
      "aria-label": "Control flow",
    });
    for (const t of BLOCK_TOOLS) flow.append(mk(t.name, t.label, t.title));
    this.palette.append(
      extra,
      flow,
      h("label", { class: "qt-param-label" }, "angle ", this.paramInput),
    );
    this.rovePalette(this.tool);
  }

  /** Makes tool `name` (else the first) the palette's one tab stop; focuses it if asked. */
  rovePalette(name, focus = false) {
    const tools = [...this.palette.querySelectorAll(".qt-tool")];
    const stop = tools.find((b) => b.dataset.tool === name) || tools[0];
    for (const b of tools) b.tabIndex = b === stop ? 0 : -1;
    if (focus && stop) stop.focus();
  }

  /** Arrow keys, Home/End and type-ahead inside the palette (its tools only). */
  paletteKey(e) {
    const tool = e.target.closest?.(".qt-tool");
    if (!tool || e.altKey || e.ctrlKey || e.metaKey) return;
    const tools = [...this.palette.querySelectorAll(".qt-tool")];
    const i = tools.indexOf(tool);
    const n = tools.length;
    let next = null;
    if (e.key === "ArrowRight") next = tools[(i + 1) % n];
    else if (e.key === "ArrowLeft") next = tools[(i - 1 + n) % n];
    else if (e.key === "Home") next = tools[0];
    else if (e.key === "End") next = tools[n - 1];
    else if (e.key.length === 1 && /\S/.test(e.key)) {
      // the next tool (after this one, wrapping) whose label starts with the letter
      const k = e.key.toLowerCase();
      for (let d = 1; d <= n && !next; d++) {
        const b = tools[(i + d) % n];
        if (b.textContent.trim().toLowerCase().startsWith(k)) next = b;
      }
    }
    if (!next) return;
    e.preventDefault();
    this.rovePalette(next.dataset.tool, true);
  }

  setTool(name) {
    this.tool = name;
    this.pending = null;
    for (const b of this.palette.querySelectorAll(".qt-tool"))
      b.setAttribute("aria-pressed", String(b.dataset.tool === name));
    this.rovePalette(name);
    const spec = this.specs[name];
    this.hint.textContent = spec
      ? `${name}: click ${arity(spec) > 1 ? `${arity(spec)} qubits in one column (controls first)` : "a cell"}`
      : name === "erase"
        ? "Click an op to delete it"
        : BLOCK_KINDS.includes(name)
          ? `${name}: click a step (or press Enter on a cell) to insert the block there`
          : `${name}: click a cell`;
    this.renderGrid();
  }

  // ------------------------------------------------------------------ editing
  snapshot() {
    const { n, c, items } = this.model;
    return JSON.stringify({ model: { n, c, items }, path: this.path });
  }

  restore(text) {
    const { model, path } = JSON.parse(text);
    this.model = model;
    this.path = path;
    this.selected = null;
    this.changed("grid");
  }

  edit(fn) {
    const before = this.snapshot();
    fn();
    this.undoStack.push(before);
    if (this.undoStack.length > 200) this.undoStack.shift();
    this.redoStack = [];
    refreshQubits(this.model, this.path);
    this.selected = null;
    this.changed("grid");
  }

  undo() {
    if (!this.undoStack.length) return;
    this.redoStack.push(this.snapshot());
    this.restore(this.undoStack.pop());
  }

  redo() {
    if (!this.redoStack.length) return;
    this.undoStack.push(this.snapshot());
    this.restore(this.redoStack.pop());
  }

  // ------------------------------------------------------------------ block bodies
  /** Edit body `key` of `block` (an item of the grid shown): the grid shows that body. */
  enter(block, key) {
    this.path = [...this.path, { index: this.items().indexOf(block), key }];
    this.selected = null;
    this.pending = null;
    this.focusCell = { q: this.focusCell.q, t: 0 };
    this.renderInspector();
    this.renderGrid();
    this.focusGrid();
    this.hint.textContent = `editing the ${bodyLabel(block, key)} body of ${blockText(block, this.model.c)}: place gates as in the circuit; Escape goes back`;
  }

  /** Back to the grid around the body being edited, with its block selected. */
  leave() {
    if (!this.path.length) return;
    const { index } = this.path[this.path.length - 1];
    this.path = this.path.slice(0, -1);
    const block = this.items()[index] || null;
    this.selected = block;
    this.pending = null;
    if (block) this.focusCell = { q: this.focusCell.q, t: block.t };
    this.renderGrid();
    this.renderInspector();
    this.focusGrid();
    this.hint.textContent = block ? `back at ${blockText(block, this.model.c)}` : "";
  }

  renderScope() {
    const blocks = scopeBlocks(this.model, this.path);
    this.scopeBar.hidden = !blocks.length;
    this.scopeBar.replaceChildren();
    if (!blocks.length) return;
    const trail = ["circuit"];
    blocks.forEach((b, i) => {
      trail.push(`${blockText(b, this.model.c)} › ${bodyLabel(b, this.path[i].key)}`);
    });
    this.scopeBar.setAttribute("aria-label", "Body being edited");
    this.scopeBar.append(
      h("span", { class: "qt-scope-bar__trail", text: `Editing: ${trail.join(" › ")}` }),
      h("button", {
        type: "button",
        class: "qt-btn-small",
        text: "Back (Esc)",
        title: "Back to the grid around this body",
        onclick: () => this.leave(),
      }),
    );
  }

  /** Insert a new control-flow block of `kind` at step `t` and open its fields. */
  placeBlock(t, kind) {
    let block;
    try {
      block = newBlock(kind, t, this.model.c);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      this.hint.textContent = err.message;
      return;
    }
    this.edit(() => {
      const items = this.items();
      if (items.some((it) => it.t === t)) for (const it of items) if (it.t >= t) it.t += 1;
      items.push(block);
    });
    this.selected = block;
    this.renderGrid();
    this.renderInspector();
    this.hint.textContent = `inserted ${kind} at step ${t}: set its fields, then edit its body`;
    this.inspector.querySelector("input, select, button")?.focus();
  }

  /** Move the selected item (or the one in the focused cell) one step left or right. */
  move(it, dt) {
    const items = this.items();
    const t = it.t + dt;
    if (t < 0) {
      this.hint.textContent = "already at step 0";
      return;
    }
    const n = this.model.n;
    const wires = span(it, n);
    this.edit(() => {
      const clash = items.some(
        (x) => x !== it && x.t === t && span(x, n).some((w) => wires.includes(w)),
      );
      if (!clash) it.t = t;
      else if (dt < 0) {
        // Before what stands in the column on the left: that moves right.
        for (const x of items) if (x !== it && x.t >= t) x.t += 1;
        it.t = t;
      } else {
        // After what stands in the column on the right: a new column past it.
        for (const x of items) if (x !== it && x.t > t) x.t += 1;
        it.t = t + 1;
      }
    });
    this.focusCell = { q: this.focusCell.q, t: items.includes(it) ? it.t : t };
    this.hint.textContent = `moved ${it.op} to step ${it.t}`;
    this.renderGrid();
  }

  cut(it) {
    this.clipboard = JSON.stringify(it);
    this.edit(() => this.remove(it));
    this.hint.textContent = `cut ${it.op}: press Ctrl+V on a cell (here or in a block's body) to put it there`;
  }

  paste(q, t) {
    if (!this.clipboard) {
      this.hint.textContent = "nothing to paste: cut an op first (Ctrl+X)";
      return;
    }
    const it = JSON.parse(this.clipboard);
    const n = this.model.n;
    if (!it.full && it.qubits.length) {
      const shift = q - Math.min(...it.qubits);
      const moved = it.qubits.map((x) => x + shift);
      if (moved.some((x) => x < 0 || x >= n)) {
        this.hint.textContent = `${it.op} needs ${it.qubits.length > 1 ? "qubits" : "qubit"} ${moved.join(", ")}; this circuit has q0–q${n - 1}`;
        return;
      }
      it.qubits = moved;
    }
    it.t = t;
    this.edit(() => {
      const items = this.items();
      const wires = span(it, n);
      if (items.some((x) => x.t === t && span(x, n).some((w) => wires.includes(w))))
        for (const x of items) if (x.t >= t) x.t += 1;
      items.push(it);
    });
    this.clipboard = null;
    this.hint.textContent = `pasted ${it.op} at step ${t}`;
  }

  /** The widest circuit this browser's kernel memory allows, and why (the worker's info). */
  setQubitLimit(n, reason) {
    this.maxQubits = n;
    this.maxQubitsReason = reason || "";
    this.addQubitBtn.title = `Add a qubit (${reason || `at most ${n}`})`;
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
      if (delta < 0) dropQubits(this.model.items, n);
      this.model.c = Math.min(this.model.c, Math.max(n, this.maxClbit() + 1));
    });
  }

  maxClbit() {
    let m = -1;
    const visit = (items) => {
      for (const it of items) {
        for (const c of [...it.clbits, ...(it.cond ? it.cond.clbits : [])]) m = Math.max(m, c);
        if (it.bodies) for (const body of Object.values(it.bodies)) visit(body);
      }
    };
    visit(this.model.items);
    return m;
  }

  cellClicked(q, t) {
    this.focusCell = { q, t };
    const existing = itemAt(this.view(), q, t);
    if (this.tool === "erase") {
      if (existing) this.edit(() => this.remove(existing));
      return;
    }
    if (existing && !this.pending) {
      this.selected = existing;
      this.renderGrid();
      this.renderInspector();
      // A block's fields are what one edits next: the keyboard goes there (Escape comes back).
      if (existing.full) this.inspector.querySelector("input, select, button")?.focus();
      return;
    }
    this.place(q, t);
  }

  place(q, t, toolName = this.tool) {
    if (BLOCK_KINDS.includes(toolName)) {
      this.placeBlock(t, toolName);
      return;
    }
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
      const n = this.model.n;
      const items = this.items();
      const clash = (it) => it.t >= t && span(it, n).some((w) => span(item, n).includes(w));
      if (items.some((it) => it.t === t && clash(it))) {
        for (const it of items) if (it.t >= t) it.t += 1;
      }
      items.push(item);
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
    if (it.full || it.raw) {
      renderBlockInspector(this, it);
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
    const condErr = h("span", {
      class: "qt-field-error",
      id: `qt-cond-err-${++condErrIds}`,
      role: "alert",
      hidden: true,
    });
    condBit.setAttribute("aria-describedby", condErr.id);
    this.inspector.append(
      h("label", {}, " ", condOn, " only if c[", condBit, "] == ", condVal),
      condErr,
    );
    /** The condition's bit as typed: it must exist (nothing is added or clamped), or null. */
    const readCondBit = () => {
      try {
        const bits = parseBits(condBit.value, this.model.c, "condBit");
        if (bits.length !== 1)
          throw new FieldError("condBit", "a gate is conditioned on one classical bit");
        condErr.hidden = true;
        condBit.removeAttribute("aria-invalid");
        return bits[0];
      } catch (err) {
        if (!(err instanceof FieldError)) throw err;
        condErr.textContent = err.message;
        condErr.hidden = false;
        condBit.setAttribute("aria-invalid", "true");
        condBit.focus();
        return null;
      }
    };
    const apply = () => {
      const idx = this.items().indexOf(it);
      const bit = condOn.checked ? readCondBit() : null;
      if (condOn.checked && bit === null) return; // refused beside the field; nothing changes
      this.edit(() => {
        const target = this.items()[idx];
        target.params = inputs.map((x) => x.value.trim() || "0");
        target.cond = condOn.checked ? { clbits: [bit], value: Number(condVal.value) } : null;
      });
    };
    if (it.definition && !this.path.length) {
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
        onclick: () => this.edit(() => this.remove(it)),
      }),
      ...this.moveButtons(it),
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

  /** Move left/right and Cut for the inspector of `it` (Alt+←/→ and Ctrl+X in the grid). */
  moveButtons(it) {
    return [
      h("button", {
        type: "button",
        class: "qt-btn-small",
        text: "◀ Move",
        title: "Move one step left (Alt+←)",
        onclick: () => this.move(it, -1),
      }),
      h("button", {
        type: "button",
        class: "qt-btn-small",
        text: "Move ▶",
        title: "Move one step right (Alt+→)",
        onclick: () => this.move(it, 1),
      }),
      h("button", {
        type: "button",
        class: "qt-btn-small",
        text: "Cut",
        title: "Cut (Ctrl+X), then paste (Ctrl+V) on a cell here or in a block's body",
        onclick: () => this.cut(it),
      }),
    ];
  }

  /** Close the inspector and put the focus back on the grid. */
  closeInspector() {
    this.selected = null;
    this.renderInspector();
    this.renderGrid();
    this.focusGrid();
  }

  // ------------------------------------------------------------------ grid
  cellText(it, q) {
    const spec = this.specs[it.op];
    if (it.full) return this.blockCell(it, q);
    if (!it.qubits.includes(q)) return { text: "", role: "wire" };
    const idx = it.qubits.indexOf(q);
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

  /** A block's cell on row q: its kind on top, then what its bodies do on that qubit. */
  blockCell(it, q) {
    const head = it.raw ? "=" : it.op.toUpperCase();
    if (q === 0) return { text: head, sub: "", role: "block", head: true };
    const names = new Set();
    const visit = (items) => {
      for (const x of items) {
        if (x.bodies) {
          if (x.qubits.includes(q)) names.add(x.op.toUpperCase());
        } else if (x.qubits.includes(q)) names.add(x.op === "measure" ? "M" : x.op.toUpperCase());
      }
    };
    if (it.bodies) for (const body of Object.values(it.bodies)) visit(body);
    const text = [...names].join("·");
    return { text: text.length > 7 ? `${text.slice(0, 6)}…` : text, sub: "", role: "block" };
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
    // A keyboard user editing in the grid keeps focus there.
    const hadFocus = this.grid.contains(document.activeElement);
    const { n } = this.model;
    const view = this.view();
    this.renderScope();
    if (this.focusCell.q >= n) this.focusCell = { ...this.focusCell, q: n - 1 };
    const cols = Math.max(width(view) + 1, 6);
    const cur = this.path.length ? null : this.currentItem();
    this.highlighted = cur; // the cells below are marked as they are synced
    // Same shape as on screen: update only the cells that changed (an edit changes a few of
    // hundreds; new buttons would all be styled, laid out and painted again).
    if (!this.cells || this.cells.length !== n || this.heads.length !== cols)
      this.buildGridShape(n, cols);
    for (let q = 0; q < n; q++)
      for (let t = 0; t < cols; t++) this.syncCell(this.cells[q][t], q, t, view, cur);
    this.heads.forEach((head, t) => {
      head.className = `qt-step${cur && cur.t === t ? " qt-current-col" : ""}`;
    });
    if (hadFocus) this.focusGrid();
  }

  /** New rows of empty cells, n x cols, with the step numbers above. */
  buildGridShape(n, cols) {
    this.grid.style.setProperty("--qt-cols", cols);
    this.heads = Array.from({ length: cols }, (_, t) =>
      h("div", { class: "qt-step", role: "columnheader" }, h("span", { text: String(t) })),
    );
    const header = h(
      "div",
      { class: "qt-grid-row qt-grid-head", role: "row" },
      h("div", { class: "qt-qlabel", role: "columnheader", text: "" }),
      ...this.heads,
    );
    this.cells = [];
    const rows = [];
    for (let q = 0; q < n; q++) {
      const cells = Array.from({ length: cols }, (_, t) =>
        h("button", { type: "button", role: "gridcell", "data-q": q, "data-t": t }),
      );
      this.cells.push(cells);
      rows.push(
        h(
          "div",
          { class: "qt-grid-row", role: "row" },
          h("div", { class: "qt-qlabel", role: "rowheader", text: `q${q}` }),
          ...cells,
        ),
      );
    }
    this.grid.replaceChildren(header, ...rows);
  }

  /** Make `cell` (qubit q, step t) show the grid `view`; `cur` is the op the player shows. */
  syncCell(cell, q, t, view, cur) {
    const { n } = this.model;
    const it = itemAt(view, q, t);
    const info = it ? this.cellText(it, q) : null;
    const classes = ["qt-cell"];
    let label = `qubit ${q}, step ${t}: empty`;
    if (it) {
      const sp = span(it, n);
      classes.push(`qt-cell--${info.role}`);
      if (info.head) classes.push("qt-cell--head");
      if (it.definition) classes.push("qt-cell--composite");
      if (sp.length > 1 && !it.full) {
        if (q > sp[0]) classes.push("qt-v-up");
        if (q < sp[sp.length - 1]) classes.push("qt-v-down");
      }
      if (it.cond) classes.push("qt-cell--cond");
      if (it === this.selected) classes.push("qt-selected");
      if (it === cur) classes.push("qt-current");
      label = it.full
        ? `qubit ${q}, step ${t}: ${blockText(it, this.model.c)}${it.bodies ? " (block: Enter opens it)" : ""}`
        : it.raw
          ? `qubit ${q}, step ${t}: measure q[${it.qubits[0]}] into ${it.target}`
          : `qubit ${q}, step ${t}: ${it.op}${it.params.length ? `(${it.params.join(", ")})` : ""} on qubits ${it.qubits.join(", ")}${it.cond ? ` if c[${it.cond.clbits.join(",")}] == ${it.cond.value}` : ""}`;
    }
    if (cur && cur.t === t) classes.push("qt-current-col");
    if (this.pending && this.pending.t === t && this.pending.qubits.includes(q))
      classes.push("qt-pending");
    const focus = this.focusCell.q === q && this.focusCell.t === t;
    cell.tabIndex = focus ? 0 : -1;
    const cond =
      it?.cond && it.qubits[it.qubits.length - 1] === q
        ? `c${it.cond.clbits[0]}=${it.cond.value}`
        : "";
    const className = classes.join(" ");
    const key = [className, label, info?.text || "", info?.sub || "", cond].join("\n");
    if (cell.qtKey === key) return;
    cell.qtKey = key;
    cell.className = className;
    cell.setAttribute("aria-label", label);
    const parts = [];
    if (info?.text) parts.push(h("span", { class: "qt-cell__sym", text: info.text }));
    if (info?.sub) parts.push(h("span", { class: "qt-cell__sub", text: info.sub }));
    if (cond) parts.push(h("span", { class: "qt-cell__cond", text: cond }));
    cell.replaceChildren(...parts);
  }

  /** The grid's cell under an event, or null. */
  cellOf(e) {
    const cell = e.target.closest?.(".qt-cell");
    return cell && this.grid.contains(cell) ? cell : null;
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
      this.closeInspector();
      return;
    }
    const cell = e.target.closest?.(".qt-cell");
    if (e.key === "Escape" && this.path.length && (cell || e.target.closest?.(".qt-scope-bar"))) {
      e.preventDefault();
      this.leave();
      return;
    }
    if (!cell) return;
    let { q, t } = { q: Number(cell.dataset.q), t: Number(cell.dataset.t) };
    const here = itemAt(this.view(), q, t);
    if ((e.ctrlKey || e.metaKey) && e.key === "x" && here) {
      e.preventDefault();
      this.focusCell = { q, t };
      this.cut(here);
      return;
    }
    if ((e.ctrlKey || e.metaKey) && e.key === "v") {
      e.preventDefault();
      this.focusCell = { q, t };
      this.paste(q, t);
      return;
    }
    if (e.altKey && (e.key === "ArrowLeft" || e.key === "ArrowRight")) {
      e.preventDefault();
      if (here) {
        this.focusCell = { q, t };
        this.move(here, e.key === "ArrowLeft" ? -1 : 1);
      }
      return;
    }
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
      if (here) {
        e.preventDefault();
        this.edit(() => this.remove(here));
      }
    }
  }

  /** Mark the op `cur` (the op just applied in the frame shown; null for none). */
  highlight(cur) {
    this.highlighted = cur;
    // c.qtKey = null: the next renderGrid rewrites these cells' classes (see syncCell).
    for (const c of this.grid.querySelectorAll(".qt-current, .qt-current-col")) {
      c.classList.remove("qt-current", "qt-current-col");
      c.qtKey = null;
    }
    if (!cur) return;
    if (this.path.length) return;
    for (const c of this.grid.querySelectorAll(`[data-t="${cur.t}"]`)) {
      c.classList.add("qt-current-col");
      if (span(cur, this.model.n).includes(Number(c.dataset.q))) c.classList.add("qt-current");
      c.qtKey = null;
    }
    const heads = this.grid.querySelectorAll(".qt-step");
    if (heads[cur.t]) heads[cur.t].classList.add("qt-current-col");
  }
}

/** Remove the ops on qubits >= n, inside block bodies too. */
function dropQubits(items, n) {
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (it.bodies) for (const body of Object.values(it.bodies)) dropQubits(body, n);
    else if (it.qubits.some((q) => q >= n)) items.splice(i, 1);
  }
}
