// Unit tests of site/js/circuit-model.js: ASAP layering, the grid queries, dict round trips.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  arity,
  expand,
  fmtParam,
  fromDict,
  itemAt,
  layout,
  ordered,
  span,
  steps,
  toDict,
  width,
} from "../../site/js/circuit-model.js";

test("arity counts controls and targets; variadic gates default to two controls", () => {
  assert.equal(arity({ numControls: 1, numTargets: 1 }), 2);
  assert.equal(arity({ numControls: 0, numTargets: 2 }), 2);
  assert.equal(arity({ variadic: true, numControls: 0, numTargets: 1 }), 3);
  assert.equal(arity(undefined), 1);
});

test("layout places each op at the first step its wires are free", () => {
  const items = layout([
    { op: "h", qubits: [0] },
    { op: "cx", qubits: [0, 1] },
    { op: "h", qubits: [2] },
    { op: "x", qubits: [1] },
  ]);
  assert.deepEqual(
    items.map((it) => [it.op, it.t]),
    [
      ["h", 0],
      ["cx", 1],
      ["h", 0],
      ["x", 2],
    ],
  );
});

test("a gate blocks the wires between its qubits; a barrier only its own", () => {
  const items = layout([
    { op: "cx", qubits: [0, 2] },
    { op: "h", qubits: [1] },
    { op: "barrier", qubits: [0, 2] },
    { op: "h", qubits: [1] },
  ]);
  assert.deepEqual(
    items.map((it) => it.t),
    [0, 1, 1, 2],
  );
  assert.deepEqual(span(items[0]), [0, 1, 2]);
  assert.deepEqual(span(items[2]), [0, 2]);
});

test("classical bits order measurements and the ops conditioned on them", () => {
  const items = layout([
    { op: "measure", qubits: [0], clbits: [0] },
    { op: "x", qubits: [1], if: { clbits: [0], value: 1 } },
  ]);
  assert.deepEqual(
    items.map((it) => it.t),
    [0, 1],
  );
  assert.deepEqual(items[1].cond, { clbits: [0], value: 1 });
});

test("fmtParam names simple fractions of pi and rounds the rest to 12 digits", () => {
  assert.equal(fmtParam(Math.PI), "pi");
  assert.equal(fmtParam(-Math.PI / 2), "-pi/2");
  assert.equal(fmtParam(Math.PI / 3), "pi/3");
  assert.equal(fmtParam(0.1 + 0.2), "0.3");
  assert.equal(fmtParam(1.25), "1.25");
});

test("toDict orders ops by step then lowest qubit, and fromDict inverts it", () => {
  const model = {
    n: 3,
    c: 1,
    items: [
      { op: "measure", qubits: [2], params: [], clbits: [0], cond: null, t: 2 },
      { op: "rx", qubits: [1], params: ["pi/2"], clbits: [], cond: null, t: 0 },
      { op: "h", qubits: [0], params: [], clbits: [], cond: null, t: 0 },
      { op: "cx", qubits: [0, 2], params: [], clbits: [], cond: null, t: 1 },
    ],
  };
  const d = toDict(model);
  assert.deepEqual(d, {
    num_qubits: 3,
    num_clbits: 1,
    ops: [
      { op: "h", qubits: [0] },
      { op: "rx", qubits: [1], params: ["pi/2"] },
      { op: "cx", qubits: [0, 2] },
      { op: "measure", qubits: [2], clbits: [0] },
    ],
  });
  const back = fromDict(d);
  assert.equal(back.n, 3);
  assert.equal(back.c, 1);
  assert.deepEqual(toDict(back), d);
  assert.deepEqual(
    ordered(back.items).map((it) => it.t),
    [0, 0, 1, 2],
  );
});

test("width and itemAt read the grid, including the wires a gate spans", () => {
  const model = fromDict({
    num_qubits: 3,
    ops: [
      { op: "cx", qubits: [2, 0] },
      { op: "h", qubits: [1] },
    ],
  });
  assert.equal(width(model), 2);
  assert.equal(itemAt(model, 1, 0).op, "cx");
  assert.equal(itemAt(model, 1, 1).op, "h");
  assert.equal(itemAt(model, 0, 1), null);
  assert.equal(width(fromDict({ num_qubits: 1, ops: [] })), 0);
});

test("a multi-qubit measure or reset becomes one item per qubit, as qtcore splits it", () => {
  const model = fromDict({
    num_qubits: 3,
    num_clbits: 3,
    ops: [
      { op: "h", qubits: [0] },
      { op: "measure", qubits: [0, 1, 2], clbits: [2, 0, 1] },
      { op: "reset", qubits: [0, 2] },
    ],
  });
  assert.deepEqual(
    model.items.map((it) => [it.op, it.qubits, it.clbits, it.t]),
    [
      ["h", [0], [], 0],
      ["measure", [0], [2], 1],
      ["measure", [1], [0], 0],
      ["measure", [2], [1], 0],
      ["reset", [0], [], 2],
      ["reset", [2], [], 1],
    ],
  );
  assert.equal(toDict(model).ops.length, 6);
});

test("steps() saved beside the dict restores the exact columns", () => {
  const model = {
    n: 2,
    c: 0,
    items: [
      { op: "h", qubits: [1], params: [], clbits: [], cond: null, t: 3 },
      { op: "x", qubits: [0], params: [], clbits: [], cond: null, t: 5 },
      { op: "cx", qubits: [0, 1], params: [], clbits: [], cond: null, t: 1 },
    ],
  };
  const d = toDict(model);
  const cols = steps(model);
  assert.deepEqual(cols, [1, 3, 5]);
  const back = fromDict(d, cols);
  assert.deepEqual(
    back.items.map((it) => [it.op, it.t]),
    [
      ["cx", 1],
      ["h", 3],
      ["x", 5],
    ],
  );
  // Without steps the same dict is laid out as early as possible.
  assert.deepEqual(
    fromDict(d).items.map((it) => it.t),
    [0, 1, 1],
  );
});

test("steps that do not fit the ops fall back to the early layout", () => {
  const d = {
    num_qubits: 2,
    ops: [
      { op: "h", qubits: [0] },
      { op: "cx", qubits: [0, 1] },
    ],
  };
  for (const bad of [[0], [0, 0], [2, 1], [0, 1.5], [-1, 0], "01", null]) {
    assert.deepEqual(
      fromDict(d, bad).items.map((it) => it.t),
      [0, 1],
      JSON.stringify(bad),
    );
  }
  assert.deepEqual(
    fromDict(d, [2, 7]).items.map((it) => it.t),
    [2, 7],
  );
});

test("expand replaces a composite gate by its body on its qubits, parameters substituted", () => {
  const rot = {
    num_qubits: 2,
    params: ["theta"],
    ops: [
      { op: "rz", qubits: [1], params: ["theta"] },
      { op: "cx", qubits: [1, 0] },
      { op: "rx", qubits: [0], params: ["(theta / 2.0)"] },
    ],
  };
  const model = fromDict({
    num_qubits: 3,
    ops: [
      { op: "h", qubits: [0] },
      { op: "rot", qubits: [2, 0], params: [Math.PI / 3], definition: rot },
      { op: "x", qubits: [1] },
    ],
  });
  assert.deepEqual(toDict(model).ops[1].definition, rot);
  const composite = model.items.find((it) => it.op === "rot");
  assert.deepEqual(toDict(expand(model, composite)).ops, [
    { op: "h", qubits: [0] },
    { op: "rz", qubits: [0], params: ["(pi/3)"] },
    { op: "cx", qubits: [0, 2] },
    { op: "x", qubits: [1] },
    { op: "rx", qubits: [2], params: ["((pi/3) / 2.0)"] },
  ]);
});
