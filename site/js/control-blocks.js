// Control-flow blocks in the circuit editor's model (circuit-model.js): new blocks, the
// text of their fields, checks of what a user types into them, and the path to a body being
// edited. Pure functions: the editor (circuit-editor.js) draws and edits, qtcore runs.
//
// A block item is `{op, t, qubits, full: true, ctl, bodies}`: `ctl` is the block's JSON as
// qtcore's Circuit.to_dict writes it without its bodies (a condition, a range, switch cases),
// `bodies` maps a body name (then/else, body, case0.., default) to a list of grid items.

import { bodyQubits } from "./circuit-model.js";

/** The body names of a block, in the order the inspector offers them. */
export function bodyKeys(item) {
  if (item.op === "if") return ["then", "else"];
  if (item.op === "switch") return [...item.ctl.cases.map((_, i) => `case${i}`), "default"];
  return ["body"];
}

/** How a body is named to a reader: "then", "else", "case 1, 2", "default", "body". */
export function bodyLabel(item, key) {
  if (key.startsWith("case")) {
    const c = item.ctl.cases[Number(key.slice(4))];
    return `case ${c.values.map(exprText).join(", ")}`;
  }
  return key;
}

/** The classical bits `bits` as a reader writes them: c[0], c[1:2], c, or c[0], c[2]. */
export function bitsText(bits, numClbits = -1) {
  if (bits.length === 1) return `c[${bits[0]}]`;
  if (bits.length === numClbits && bits.every((b, i) => b === i)) return "c";
  if (bits.every((b, i) => i === 0 || b === bits[i - 1] + 1))
    return `c[${bits[0]}:${bits[bits.length - 1]}]`;
  return bits.map((b) => `c[${b}]`).join(", ");
}

const PREC = { "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, "<=": 7 };
Object.assign(PREC, { ">": 7, ">=": 7, "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10 });
Object.assign(PREC, { "%": 10, "**": 12 });

/** An expression of qtcore's JSON form (control.expr_to_json) as OpenQASM-like text. */
export function exprText(e, numClbits = -1, prec = 0) {
  if ("const" in e) {
    const v = e.const;
    if (typeof v === "boolean") return v ? "true" : "false";
    return Math.abs(v - Math.PI) < 1e-15 ? "pi" : String(v);
  }
  if ("bits" in e) {
    const text = bitsText(e.bits, numClbits);
    return text.includes(",") ? `{${text}}` : text;
  }
  if ("var" in e) return e.var;
  if ("func" in e) return `${e.func}(${e.args.map((a) => exprText(a, numClbits)).join(", ")})`;
  if ("cast" in e) {
    const type = e.width != null ? `${e.cast}[${e.width}]` : e.cast;
    return `${type}(${exprText(e.arg, numClbits)})`;
  }
  if (e.args.length === 1) return `${e.op}${exprText(e.args[0], numClbits, 11)}`;
  const p = PREC[e.op] ?? 0;
  const text = `${exprText(e.args[0], numClbits, p)} ${e.op} ${exprText(e.args[1], numClbits, p + 1)}`;
  return p < prec ? `(${text})` : text;
}

/**
 * The condition as the inspector's three fields ({bits, op, value}) when it has that
 * simple form (`bits == value`, `bits != value`, or a single bit read as true), else null:
 * such a condition (variables, arithmetic) is edited in the OpenQASM text.
 */
export function simpleCondition(e) {
  if (e && "bits" in e && e.bits.length === 1) return { bits: e.bits, op: "==", value: 1 };
  if (!e || !["==", "!="].includes(e.op) || e.args?.length !== 2) return null;
  const [a, b] = e.args;
  if (!("bits" in a) || !("const" in b)) return null;
  const v = b.const === true ? 1 : b.const === false ? 0 : b.const;
  if (!Number.isInteger(v)) return null;
  return { bits: a.bits, op: e.op, value: v };
}

const ops = (n) => `${n} op${n === 1 ? "" : "s"}`;

/** A one-line summary of a block: `if (c[0] == 1) {2 ops} else {1 op}`. */
export function blockText(item, numClbits = -1) {
  const x = (e) => exprText(e, numClbits);
  const size = (key) => `{${ops((item.bodies[key] || []).length)}}`;
  const ctl = item.ctl;
  if (item.raw?.op === "assign") return assignText(item.raw, numClbits);
  if (item.raw?.var != null) return `measure q[${item.qubits[0]}] -> ${item.target}`;
  if (item.raw) return item.op;
  if (item.op === "if") {
    const more = item.bodies.else?.length ? ` else ${size("else")}` : "";
    return `if (${x(ctl.condition)}) ${size("then")}${more}`;
  }
  if (item.op === "while")
    return `while (${x(ctl.condition)}) ${size("body")} · at most ${ctl.max_iterations ?? 1000} passes`;
  if (item.op === "for") {
    const type = ctl.type?.[0] ?? "int";
    const it = ctl.range
      ? `[${ctl.range.map(x).join(":")}]`
      : `{${(ctl.values || []).map(x).join(", ")}}`;
    return `for ${type} ${ctl.var} in ${it} ${size("body")}`;
  }
  const cases = ctl.cases
    .map((c, i) => `case ${c.values.map(x).join(", ")} ${size(`case${i}`)}`)
    .join(" ");
  return `switch (${x(ctl.target)}) {${cases} default ${size("default")}}`;
}

function assignText(op, numClbits) {
  const b = op.block || {};
  const target = typeof b.target === "string" ? b.target : bitsText(b.target || [], numClbits);
  const type = b.type ? `${b.type[0]}${b.type[1] != null ? `[${b.type[1]}]` : ""} ` : "";
  return `${type}${target} = ${b.value ? exprText(b.value, numClbits) : "?"}`;
}

// ------------------------------------------------------------------ checks of user input

/** A rejected field: `field` names the input, `message` says what is wrong and what is allowed. */
export class FieldError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

function noBits(numClbits) {
  if (!numClbits) return "the circuit has no classical bits yet: measure a qubit first";
  if (numClbits === 1) return "the circuit has 1 classical bit, c[0]";
  return `the circuit has ${numClbits} classical bits, c[0]–c[${numClbits - 1}]`;
}

/**
 * The classical bits a user typed: `c[2]`, `2`, `c[0:1]` (both ends included, as OpenQASM
 * slices are), `c` (the whole register) or a list `c[0], c[2]`. Bits must exist.
 */
export function parseBits(text, numClbits, field = "bits") {
  const s = String(text).trim();
  if (!s) throw new FieldError(field, "name the classical bit(s) to test, e.g. c[0] or c");
  if (s === "c") {
    if (!numClbits) throw new FieldError(field, `c has no bits: ${noBits(0)}`);
    return Array.from({ length: numClbits }, (_, i) => i);
  }
  const bits = [];
  for (const part of s.split(",").map((p) => p.trim())) {
    const m = /^(?:c\[\s*(\d+)\s*(?::\s*(\d+)\s*)?\]|(\d+))$/.exec(part);
    if (!m)
      throw new FieldError(field, `"${part}" is not a classical bit: write c[0], c[0:1] or c`);
    const lo = Number(m[1] ?? m[3]);
    const hi = m[2] != null ? Number(m[2]) : lo;
    if (hi < lo) throw new FieldError(field, `the slice c[${lo}:${hi}] runs backwards`);
    for (let b = lo; b <= hi; b++) {
      if (b >= numClbits)
        throw new FieldError(field, `c[${b}] does not exist: ${noBits(numClbits)}`);
      if (bits.includes(b)) throw new FieldError(field, `c[${b}] is named twice`);
      bits.push(b);
    }
  }
  return bits;
}

function parseInt10(text, field, what) {
  const s = String(text).trim();
  if (!/^[+-]?\d+$/.test(s))
    throw new FieldError(field, `${what} must be a whole number, got "${s}"`);
  const v = Number(s);
  if (!Number.isSafeInteger(v)) throw new FieldError(field, `${what} ${s} is too large`);
  return v;
}

/** A value the bits can hold: 0 ≤ v < 2^width. */
function parseValue(text, width, field = "value") {
  const v = parseInt10(text, field, "the value");
  const top = 2 ** width - 1;
  if (v < 0 || v > top)
    throw new FieldError(
      field,
      `${v} is out of range for ${width} bit${width === 1 ? "" : "s"}: use 0–${top}`,
    );
  return v;
}

/** `{bits, op, value}` typed in the inspector as qtcore's condition JSON. */
export function parseCondition(fields, numClbits) {
  const bits = parseBits(fields.bits, numClbits, "bits");
  const value = parseValue(fields.value, bits.length, "value");
  const op = fields.op === "!=" ? "!=" : "==";
  return { op, args: [{ bits }, { const: value }] };
}

/** The most values a for loop may run over (qtcore's limit). */
export const MAX_LOOP_VALUES = 1_000_000;

/** `{start, step, stop}` (stop included) as qtcore's range JSON; empty ranges are refused. */
export function parseRange(fields) {
  const start = parseInt10(fields.start, "start", "the start");
  const stop = parseInt10(fields.stop, "stop", "the stop");
  const step = parseInt10(fields.step ?? "1", "step", "the step");
  if (step === 0) throw new FieldError("step", "the step must not be 0");
  const count = Math.floor((stop - start) / step) + 1;
  if (count < 1)
    throw new FieldError(
      "stop",
      `the range [${start}:${step}:${stop}] is empty: with step ${step} the stop must be ${step > 0 ? "≥" : "≤"} ${start}`,
    );
  if (count > MAX_LOOP_VALUES)
    throw new FieldError("stop", `the range has ${count} values; at most ${MAX_LOOP_VALUES}`);
  return [{ const: start }, { const: step }, { const: stop }];
}

const RESERVED = new Set(
  "q c pi tau euler true false if else for while in switch case default break continue let const def return measure reset barrier bit bool int uint float angle qubit gate include input output box delay end".split(
    " ",
  ),
);

/** A loop variable's name: an identifier that is not a keyword, a type or a register. */
export function parseVarName(text) {
  const s = String(text).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s))
    throw new FieldError(
      "var",
      `"${s}" is not a name: start with a letter, then letters, digits or _`,
    );
  if (RESERVED.has(s)) throw new FieldError("var", `"${s}" is reserved in OpenQASM; pick another`);
  return s;
}

/** Case values typed as `0, 2`: values of `width` bits, none used by another case. */
export function parseCaseValues(text, width, taken = [], field = "case") {
  const parts = String(text)
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (!parts.length) throw new FieldError(field, "a case needs at least one value, e.g. 0 or 1, 2");
  const out = [];
  for (const p of parts) {
    const v = parseValue(p, width, field);
    if (out.includes(v) || taken.includes(v))
      throw new FieldError(field, `the value ${v} is already handled by a case`);
    out.push(v);
  }
  return out.map((v) => ({ const: v }));
}

// ------------------------------------------------------------------ new blocks and paths

/**
 * A new block of `kind` at step `t` in a circuit of `n` qubits and `numClbits` bits, with
 * defaults the user then edits. An if, while or switch tests classical bits: with none,
 * FieldError says to measure first.
 */
export function newBlock(kind, t, numClbits) {
  const item = { op: kind, t, qubits: [], params: [], clbits: [], cond: null, full: true };
  if (kind !== "for" && !numClbits)
    throw new FieldError(
      "tool",
      `a ${kind} tests classical bits and this circuit has none yet: measure a qubit first`,
    );
  const test = { op: "==", args: [{ bits: [0] }, { const: 1 }] };
  if (kind === "if") {
    item.ctl = { condition: test };
    item.bodies = { else: [] };
    // biome-ignore lint/suspicious/noThenProperty: qtcore's JSON names the if body "then"
    item.bodies.then = [];
  } else if (kind === "while") {
    item.ctl = { condition: test, max_iterations: 1000 };
    item.bodies = { body: [] };
  } else if (kind === "for") {
    item.ctl = {
      var: "i",
      type: ["int", null],
      values: null,
      range: [{ const: 0 }, { const: 1 }, { const: 1 }],
    };
    item.bodies = { body: [] };
  } else if (kind === "switch") {
    const bits = Array.from({ length: Math.min(numClbits, 2) }, (_, i) => i);
    item.ctl = {
      target: { bits },
      cases: [{ values: [{ const: 0 }] }, { values: [{ const: 1 }] }],
    };
    item.bodies = { case0: [], case1: [], default: [] };
  } else {
    throw new FieldError("tool", `unknown block kind ${kind}`);
  }
  return item;
}

/**
 * The items of the scope at `path` (a list of `{index, key}`: the block at `items[index]`,
 * its body `key`), starting from the model's top level; null when the path no longer fits.
 */
export function scopeItems(model, path) {
  let items = model.items;
  for (const { index, key } of path) {
    const it = items[index];
    if (!it?.bodies?.[key]) return null;
    items = it.bodies[key];
  }
  return items;
}

/** The blocks along `path`, outermost first. */
export function scopeBlocks(model, path) {
  const out = [];
  let items = model.items;
  for (const { index, key } of path) {
    const it = items[index];
    if (!it?.bodies?.[key]) break;
    out.push(it);
    items = it.bodies[key];
  }
  return out;
}

/** Refresh the qubits every block on `path` shows (after its body changed). */
export function refreshQubits(model, path) {
  for (const block of scopeBlocks(model, path)) block.qubits = bodyQubits(block);
}

/** Add a switch case (the next free value) with an empty body. */
export function addCase(item, numClbits) {
  const width = item.ctl.target.bits?.length ?? numClbits;
  const used = new Set(item.ctl.cases.flatMap((c) => c.values.map((v) => v.const)));
  let v = 0;
  while (used.has(v)) v++;
  if (v > 2 ** width - 1)
    throw new FieldError("case", `every value of the ${width}-bit target already has a case`);
  const i = item.ctl.cases.length;
  item.ctl.cases.push({ values: [{ const: v }] });
  item.bodies[`case${i}`] = [];
}

/** Remove switch case `i`, renumbering the later case bodies. */
export function removeCase(item, i) {
  if (item.ctl.cases.length <= 1)
    throw new FieldError("case", "a switch needs at least one case; delete the block instead");
  const bodies = item.ctl.cases.map((_, k) => item.bodies[`case${k}`]);
  bodies.splice(i, 1);
  item.ctl.cases.splice(i, 1);
  const next = { default: item.bodies.default };
  for (const [k, b] of bodies.entries()) next[`case${k}`] = b;
  item.bodies = next;
}
