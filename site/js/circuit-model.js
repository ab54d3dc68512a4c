// The circuit editor's model: placed ops on a qubit x step grid, and conversion to and from
// qtcore's gate-list dictionary (Circuit.to_dict / Circuit.from_dict).

/** Qubits a gate needs (controls + targets; variadic gates default to 2 controls). */
export function arity(spec) {
  if (!spec) return 1;
  const controls = spec.variadic ? 2 : spec.numControls;
  return controls + spec.numTargets;
}

function span(item) {
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
  return [...items].sort((a, b) => a.t - b.t || Math.min(...a.qubits) - Math.min(...b.qubits));
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

/** Structured control-flow ops (qtcore.control): shown read-only, carried verbatim. */
const BLOCKS = new Set(["assign", "if", "while", "for", "switch"]);

/** True when `ops` hold control flow: blocks or measurements into classical variables. */
export function hasControlFlow(ops) {
  return ops.some((op) => BLOCKS.has(op.op) || op.var != null);
}

/** Place ops as early as their qubits and classical bits allow (ASAP layering). */
export function layout(ops) {
  const free = new Map();
  const cfree = new Map();
  const items = [];
  for (const op of splitPerQubit(ops)) {
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
    if (BLOCKS.has(op.op)) item.block = op.text || op.op;
    if (op.var != null) item.target = `${op.var}[${op.bit ?? 0}]`;
    const wires = span(item);
    const bits = [...item.clbits, ...(item.cond ? item.cond.clbits : [])];
    let t = 0;
    for (const w of wires) t = Math.max(t, free.get(w) || 0);
    for (const c of bits) t = Math.max(t, cfree.get(c) || 0);
    item.t = t;
    for (const w of wires) free.set(w, t + 1);
    for (const c of bits) cfree.set(c, t + 1);
    items.push(item);
  }
  return items;
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

/** The model as qtcore's gate-list dict (a read-only model gives back its ops verbatim). */
export function toDict(model) {
  if (model.raw) return { num_qubits: model.n, num_clbits: model.c, ops: model.raw };
  const ops = ordered(model.items).map((it) => {
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
  });
  return { num_qubits: model.n, num_clbits: model.c, ops };
}

/**
 * A model from a gate-list dict. `steps` (from `steps(model)`, saved beside the dict in a
 * shared link) puts every op back in its column; without it, or if it does not fit the ops
 * (wrong length, not integers, out of order, two ops on one wire in a column), ops are laid
 * out as early as possible.
 */
export function fromDict(d, steps = null) {
  if (hasControlFlow(d.ops || [])) {
    // Blocks are shown over the qubits they touch, in program order; the grid cannot edit
    // them, so the model keeps the ops as qtcore wrote them and runs exactly those.
    const shown = d.ops.filter((op) => (op.qubits || []).length > 0);
    return {
      n: d.num_qubits,
      c: d.num_clbits || 0,
      items: layout(shown),
      raw: d.ops,
      readonly: true,
    };
  }
  const items = layout(d.ops || []);
  if (steps != null && fitsSteps(items, steps)) {
    for (const [i, it] of items.entries()) it.t = steps[i];
  }
  return { n: d.num_qubits, c: d.num_clbits || 0, items };
}

/** The column of each op, in toDict's op order (saved in links so the layout survives). */
export function steps(model) {
  return ordered(model.items).map((it) => it.t);
}

function fitsSteps(items, steps) {
  if (!Array.isArray(steps) || steps.length !== items.length) return false;
  const used = new Set();
  for (let i = 0; i < items.length; i++) {
    const t = steps[i];
    if (!Number.isInteger(t) || t < 0 || t > 10000 || (i && t < steps[i - 1])) return false;
    for (const w of span(items[i])) {
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
  return model.items.find((it) => it.t === t && span(it).includes(q)) || null;
}

export { span };
