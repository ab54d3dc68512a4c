// The circuit editor's model: placed ops on a qubit x step grid, and conversion to and from
// qtcore's gate-list dictionary (Circuit.to_dict / Circuit.from_dict).

/** Qubits a gate needs (controls + targets; variadic gates default to 2 controls). */
export function arity(spec) {
  if (!spec) return 1;
  const controls = spec.variadic ? 2 : spec.numControls;
  return controls + spec.numTargets;
}

/**
 * The wires an item blocks in its column. A control-flow item (a block or a classical
 * assignment, `item.full`) takes its whole column (`n` wires): what it reads and writes
 * classically then has a clear place in the order of the ops around it.
 */
function span(item, n = 0) {
  if (item.full) return Array.from({ length: n }, (_, q) => q);
  const qs = item.qubits;
  if (item.op === "barrier" || qs.length === 0) return qs;
  const lo = Math.min(...qs);
  const hi = Math.max(...qs);
  const out = [];
  for (let q = lo; q <= hi; q++) out.push(q);
  return out;
}

/** Order in which ops run: by step, then by lowest qubit. */
export function ordered(items) {
  const low = (it) => (it.qubits.length ? Math.min(...it.qubits) : -1);
  return [...items].sort((a, b) => a.t - b.t || low(a) - low(b));
}

/**
 * One op per qubit for measure and reset, as qtcore's Circuit.from_dict splits them: a grid
 * item is then exactly one step of the frames the worker returns, and each row of a
 * multi-qubit measure shows its own classical bit.
 */
function splitPerQubit(ops) {
  const out = [];
  for (const op of ops) {
    const qs = op.qubits || [];
    if ((op.op === "measure" || op.op === "reset") && qs.length > 1) {
      qs.forEach((q, i) => {
        const one = { ...op, qubits: [q] };
        if (op.op === "measure") one.clbits = [(op.clbits || [])[i]];
        out.push(one);
      });
    } else out.push(op);
  }
  return out;
}

/** Structured control-flow blocks (qtcore.control) and the names of their bodies. */
export const BLOCK_KINDS = ["if", "for", "while", "switch"];

/** The bodies of a block op's JSON (`block`), by name: then/else, body, case0.., default. */
function bodiesOf(kind, block) {
  if (kind === "if") {
    const out = {};
    // biome-ignore lint/suspicious/noThenProperty: qtcore's JSON names the if body "then"
    out.then = block.then || [];
    out.else = block.else || [];
    return out;
  }
  if (kind === "while" || kind === "for") return { body: block.body || [] };
  const out = {};
  for (const [i, c] of (block.cases || []).entries()) out[`case${i}`] = c.body || [];
  out.default = block.default || [];
  return out;
}

/** A block's JSON without its bodies (what the inspector edits). */
function ctlOf(kind, block) {
  const ctl = { ...block };
  for (const k of ["then", "else", "body", "default"]) delete ctl[k];
  if (kind === "switch") ctl.cases = (block.cases || []).map((c) => ({ values: c.values }));
  return structuredClone(ctl);
}

/** True when `ops` hold control flow: blocks, assignments, measurements into variables. */
export function hasControlFlow(ops) {
  return ops.some((op) => BLOCK_KINDS.includes(op.op) || op.op === "assign" || op.var != null);
}

function itemOf(op, n) {
  const item = {
    op: op.op,
    qubits: [...(op.qubits || [])],
    params: (op.params || []).map((p) => (typeof p === "number" ? fmtParam(p) : String(p))),
    clbits: [...(op.clbits || [])],
    cond: op.if ? { clbits: [...op.if.clbits], value: op.if.value } : null,
  };
  if (op.matrix) item.matrix = op.matrix;
  if (op.label) item.label = op.label;
  if (op.definition) item.definition = op.definition;
  if (BLOCK_KINDS.includes(op.op)) {
    // Editable: the block's fields apart, each body laid out as a grid of its own.
    const block = op.block || {};
    item.ctl = ctlOf(op.op, block);
    item.bodies = {};
    for (const [key, ops] of Object.entries(bodiesOf(op.op, block)))
      item.bodies[key] = layout(ops, n);
    item.full = true;
    item.qubits = bodyQubits(item);
  } else if (op.op === "assign" || op.var != null) {
    // Classical assignments and measurements into variables: kept as qtcore wrote them.
    item.raw = structuredClone(op);
    delete item.raw.text; // the editor writes its own summary (control-blocks.js)
    if (op.var != null) item.target = `${op.var}[${op.bit ?? 0}]`;
    if (op.op === "assign") item.full = true;
  }
  return item;
}

/** Place ops as early as their qubits and classical bits allow (ASAP layering). */
export function layout(ops, n = 0) {
  const free = new Map();
  const cfree = new Map();
  let floor = 0; // the column after the last control-flow item
  const items = [];
  for (const op of splitPerQubit(ops)) {
    const item = itemOf(op, n);
    const bits = [...item.clbits, ...(item.cond ? item.cond.clbits : [])];
    let t = floor;
    if (item.full) {
      for (const v of [...free.values(), ...cfree.values()]) t = Math.max(t, v);
      floor = t + 1;
    } else {
      for (const w of span(item, n)) t = Math.max(t, free.get(w) || 0);
      for (const c of bits) t = Math.max(t, cfree.get(c) || 0);
    }
    item.t = t;
    for (const w of span(item, n)) free.set(w, t + 1);
    for (const c of bits) cfree.set(c, t + 1);
    items.push(item);
  }
  return items;
}

/** The qubits a block's bodies touch, sorted (what qtcore reports as the block's qubits). */
export function bodyQubits(item) {
  const qs = new Set();
  const visit = (it) => {
    if (it.bodies) for (const body of Object.values(it.bodies)) for (const x of body) visit(x);
    else for (const q of it.qubits) qs.add(q);
  };
  visit(item);
  return [...qs].sort((a, b) => a - b);
}

export function fmtParam(x) {
  const fr = [
    [1, "pi"],
    [2, "pi/2"],
    [4, "pi/4"],
    [8, "pi/8"],
    [3, "pi/3"],
  ];
  for (const [k, name] of fr) {
    if (Math.abs(x - Math.PI / k) < 1e-12) return name;
    if (Math.abs(x + Math.PI / k) < 1e-12) return `-${name}`;
  }
  return String(Number(x.toPrecision(12)));
}

function opOf(it) {
  if (it.raw) return structuredClone(it.raw);
  if (it.bodies) {
    const block = structuredClone(it.ctl);
    const body = (key) => opsOf(it.bodies[key] || []);
    if (it.op === "if") {
      // biome-ignore lint/suspicious/noThenProperty: qtcore's JSON names the if body "then"
      block.then = body("then");
      block.else = body("else");
    } else if (it.op === "switch") {
      block.cases = it.ctl.cases.map((c, i) => ({ values: c.values, body: body(`case${i}`) }));
      block.default = body("default");
    } else block.body = body("body");
    const d = { op: it.op, qubits: bodyQubits(it), block };
    if (it.cond) d.if = { clbits: [...it.cond.clbits], value: it.cond.value };
    return d;
  }
  const d = { op: it.op, qubits: [...it.qubits] };
  if (it.params?.length) d.params = [...it.params];
  if (it.op === "measure") d.clbits = [...it.clbits];
  if (it.matrix) {
    d.matrix = it.matrix;
    d.label = it.label;
  }
  if (it.definition) d.definition = it.definition;
  if (it.cond) d.if = { clbits: [...it.cond.clbits], value: it.cond.value };
  return d;
}

function opsOf(items) {
  return ordered(items).map(opOf);
}

/** The model as qtcore's gate-list dict (Circuit.from_dict); blocks carry their bodies. */
export function toDict(model) {
  return { num_qubits: model.n, num_clbits: model.c, ops: opsOf(model.items) };
}

/**
 * A model from a gate-list dict. `steps` (from `steps(model)`, saved beside the dict in a
 * shared link) puts every op back in its column; without it, or if it does not fit the ops
 * (wrong length, not integers, out of order, two ops on one wire in a column), ops are laid
 * out as early as possible.
 */
export function fromDict(d, steps = null) {
  const n = d.num_qubits;
  const items = layout(d.ops || [], n);
  if (steps != null && fitsSteps(items, steps, n)) {
    for (const [i, it] of items.entries()) it.t = steps[i];
  }
  return { n, c: d.num_clbits || 0, items };
}

/** The column of each op, in toDict's op order (saved in links so the layout survives). */
export function steps(model) {
  return ordered(model.items).map((it) => it.t);
}

function fitsSteps(items, steps, n) {
  if (!Array.isArray(steps) || steps.length !== items.length) return false;
  const used = new Set();
  for (let i = 0; i < items.length; i++) {
    const t = steps[i];
    if (!Number.isInteger(t) || t < 0 || t > 10000 || (i && t < steps[i - 1])) return false;
    for (const w of span(items[i], n)) {
      if (used.has(`${w}@${t}`)) return false;
      used.add(`${w}@${t}`);
    }
    for (const c of [...items[i].clbits, ...(items[i].cond ? items[i].cond.clbits : [])]) {
      if (used.has(`c${c}@${t}`)) return false;
      used.add(`c${c}@${t}`);
    }
  }
  return true;
}

/**
 * The model with composite gate `item` replaced by the ops of its definition, on the item's
 * qubits, its parameter values substituted into the ops' parameter expressions.
 */
export function expand(model, item) {
  const d = toDict(model);
  const at = ordered(model.items).indexOf(item);
  const body = item.definition;
  if (at < 0 || !body) return model;
  const values = new Map((body.params || []).map((name, i) => [name, item.params[i]]));
  const sub = (p) =>
    typeof p === "string"
      ? p.replace(/[A-Za-z_][A-Za-z0-9_]*/g, (name) =>
          values.has(name) ? `(${values.get(name)})` : name,
        )
      : p;
  const ops = body.ops.map((op) => {
    const out = { ...op, qubits: op.qubits.map((q) => item.qubits[q]) };
    if (op.params) out.params = op.params.map(sub);
    if (item.cond) out.if = { clbits: [...item.cond.clbits], value: item.cond.value };
    return out;
  });
  d.ops.splice(at, 1, ...ops);
  return fromDict(d);
}

/** Number of grid columns in use. */
export function width(model) {
  return model.items.reduce((m, it) => Math.max(m, it.t + 1), 0);
}

/** The op occupying (q, t), if any (including the wires between a gate's qubits). */
export function itemAt(model, q, t) {
  return model.items.find((it) => it.t === t && span(it, model.n).includes(q)) || null;
}

export { span };
