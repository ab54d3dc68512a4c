// Noise controls for the circuit editor: which channel, how strong, after which gates, on
// which qubits. The editor sends the result as a scenario's [noise] table (qtcore's
// NoiseModel.to_dict form) with its `run` request; qtcore validates it and its error names
// the entry ("bit_flip: p must be in [0, 1], got 2.0"). Nothing is clamped here.

import { h } from "./widget-base.js";

/** Channel type -> [strength field, label] (qtcore.noise.CHANNELS). */
export const CHANNELS = {
  depolarizing: ["p", "depolarizing (1 qubit)"],
  depolarizing2: ["p", "depolarizing (2 qubits)"],
  bit_flip: ["p", "bit flip"],
  phase_flip: ["p", "phase flip"],
  amplitude_damping: ["gamma", "amplitude damping"],
  phase_damping: ["lam", "phase damping"],
};

/** A number when the text is one, else the text itself (qtcore then says what is wrong). */
function numberOrText(text) {
  const t = text.trim();
  return t !== "" && Number.isFinite(Number(t)) ? Number(t) : text;
}

/** "h, cx" -> ["h", "cx"]; "" -> null (all). */
function list(text, convert = (x) => x) {
  const parts = text
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);
  return parts.length ? parts.map(convert) : null;
}

/**
 * The editor's noise panel.
 * @param {() => void} onChange called after every edit
 */
export class NoiseControls {
  constructor(onChange) {
    this.onChange = onChange;
    this.readout = [];
    this.rows = h("div", { class: "qt-noise-rows" });
    this.summary = h("summary", { text: "Noise: none" });
    this.addBtn = h("button", {
      type: "button",
      class: "qt-btn-small qt-noise-add",
      text: "+ Add noise channel",
      onclick: () => {
        this.addRow({ type: "depolarizing", p: 0.01 });
        this.changed();
        this.rows.lastElementChild?.querySelector("select")?.focus();
      },
    });
    this.note = h("p", {
      class: "qt-hint",
      text:
        "With noise, each shot is one trajectory (Monte-Carlo); the frames show the " +
        "trajectory of the seed. Empty gates or qubits mean all.",
    });
    this.element = h(
      "details",
      { class: "qt-noise" },
      this.summary,
      this.rows,
      h("div", { class: "qt-row" }, this.addBtn),
      this.note,
    );
  }

  updateSummary() {
    const n = this.rows.children.length;
    const parts = [];
    if (n) parts.push(`${n} channel${n > 1 ? "s" : ""}`);
    if (this.readout.length) parts.push("readout errors");
    this.summary.textContent = `Noise: ${parts.join(" + ") || "none"}`;
  }

  changed() {
    this.updateSummary();
    this.onChange();
  }

  /** @param {import("./protocol.js").NoiseChannel} ch */
  addRow(ch) {
    const type = h("select", { class: "qt-noise-type", "aria-label": "Noise channel" });
    for (const [name, [, label]] of Object.entries(CHANNELS)) {
      type.append(h("option", { value: name, text: label }));
    }
    type.value = ch.type in CHANNELS ? ch.type : "depolarizing";
    const field = () => CHANNELS[type.value][0];
    const strength = h("input", {
      type: "text",
      class: "qt-num qt-noise-strength",
      value: String(ch[field()] ?? ""),
      "aria-label": "Noise strength",
    });
    const strengthLabel = h("span", { text: `${field()} ` });
    const gates = h("input", {
      type: "text",
      class: "qt-noise-gates",
      value: (ch.gates || []).join(", "),
      placeholder: "all gates",
      "aria-label": "After which gates (names, comma separated; empty: all)",
    });
    const qubits = h("input", {
      type: "text",
      class: "qt-num qt-noise-qubits",
      value: (ch.qubits || []).join(", "),
      placeholder: "all",
      "aria-label": "On which qubits (indices, comma separated; empty: all)",
    });
    const row = h(
      "div",
      { class: "qt-row qt-noise-row" },
      type,
      h("label", {}, strengthLabel, strength),
      h("label", {}, "after gates ", gates),
      h("label", {}, "on qubits ", qubits),
      h("button", {
        type: "button",
        class: "qt-btn-small",
        text: "Remove",
        "aria-label": "Remove this noise channel",
        onclick: () => {
          row.remove();
          this.changed();
        },
      }),
    );
    row.entry = () => {
      const out = { type: type.value, [field()]: numberOrText(strength.value) };
      const g = list(gates.value);
      const q = list(qubits.value, numberOrText);
      if (g) out.gates = g;
      if (q) out.qubits = q;
      return out;
    };
    type.addEventListener("change", () => {
      strengthLabel.textContent = `${field()} `;
      this.changed();
    });
    for (const input of [strength, gates, qubits])
      input.addEventListener("change", () => this.changed());
    this.rows.append(row);
  }

  /** The [noise] table, or null for none. @returns {import("./protocol.js").NoiseDocument|null} */
  get value() {
    const channels = [...this.rows.children].map((row) => row.entry());
    if (!channels.length && !this.readout.length) return null;
    const doc = { channels };
    if (this.readout.length) doc.readout = this.readout;
    return doc;
  }

  /** Show a [noise] table (from a scenario or a shared link); readout errors are kept as is. */
  set value(doc) {
    this.rows.replaceChildren();
    const readout = doc?.readout;
    this.readout = Array.isArray(readout) ? [...readout] : readout ? [readout] : [];
    const channels = [...(doc?.channels || [])];
    for (const [type] of Object.entries(CHANNELS)) {
      // shorthand form {depolarizing: {p, ...}} or a list of them
      const v = doc?.[type];
      for (const e of Array.isArray(v) ? v : v ? [v] : []) channels.push({ type, ...e });
    }
    for (const ch of channels) this.addRow(ch);
    this.element.open = channels.length > 0 || this.readout.length > 0;
    this.updateSummary();
  }
}
