// Unit tests of the editor's control-flow blocks: site/js/control-blocks.js and the block
// handling of site/js/circuit-model.js (layout, dict round trips, input checks).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  fromDict,
  hasControlFlow,
  itemAt,
  ordered,
  steps,
  toDict,
} from "../../site/js/circuit-model.js";
import {
  addCase,
  bitsText,
  blockText,
  FieldError,
  newBlock,
  parseBits,
  parseCaseValues,
  parseCondition,
  parseRange,
  parseVarName,
  refreshQubits,
  removeCase,
  scopeItems,
  simpleCondition,
} from "../../site/js/control-blocks.js";

// What qtcore's Circuit.to_dict writes for a program with every kind of block (copied from
// `print(json.dumps(qasm.loads(..., blocks=True).to_dict()))` on the program below).
//   h q[0]; c[0] = measure q[0]; int[8] n = 0;
//   if (c[0] == 1) { x q[1]; } else { h q[1]; }
//   for int i in [0:1:2] { rx(pi/4) q[0]; }
//   while (c[0] == 1) { h q[0]; c[0] = measure q[0]; }
//   switch (c) { case 0 { x q[0]; } case 1, 2 { y q[0]; } default { z q[0]; } }
// and, last, the form to_dict writes for a measurement into a classical variable.
const QTCORE = {
  num_qubits: 2,
  num_clbits: 2,
  ops: [
    { op: "h", qubits: [0] },
    { op: "measure", qubits: [0], clbits: [0] },
    {
      op: "assign",
      qubits: [],
      block: { target: "n", value: { const: 0 }, type: ["int", 8] },
      text: "int[8] n = 0",
    },
    {
      op: "if",
      qubits: [1],
      block: {
        condition: { op: "==", args: [{ bits: [0] }, { const: 1 }] },
        // biome-ignore lint/suspicious/noThenProperty: qtcore's JSON names the if body "then"
        then: [{ op: "x", qubits: [1] }],
        else: [{ op: "h", qubits: [1] }],
      },
      text: "if (c[0] == 1) {1 op} else {1 op}",
    },
    {
      op: "for",
      qubits: [0],
      block: {
        var: "i",
        type: ["int", null],
        values: null,
        range: [{ const: 0 }, { const: 1 }, { const: 2 }],
        body: [{ op: "rx", qubits: [0], params: [0.7853981633974483] }],
      },
      text: "for int i in [0:1:2] {1 op}",
    },
    {
      op: "while",
      qubits: [0],
      block: {
        condition: { op: "==", args: [{ bits: [0] }, { const: 1 }] },
        body: [
          { op: "h", qubits: [0] },
          { op: "measure", qubits: [0], clbits: [0] },
        ],
        max_iterations: 1000,
      },
      text: "while (c[0] == 1) {2 ops}",
    },
    {
      op: "switch",
      qubits: [0],
      block: {
        target: { bits: [0, 1] },
        cases: [
          { values: [{ const: 0 }], body: [{ op: "x", qubits: [0] }] },
          { values: [{ const: 1 }, { const: 2 }], body: [{ op: "y", qubits: [0] }] },
        ],
        default: [{ op: "z", qubits: [0] }],
      },
      text: "switch ({c[0], c[1]}) {case 0 {1 op} case 1, 2 {1 op} default {1 op}}",
    },
    { op: "measure", qubits: [1], var: "v", bit: 0 },
  ],
};

/** The dict without qtcore's display text (the editor writes its own). */
function withoutText(d) {
  return JSON.parse(JSON.stringify(d, (k, v) => (k === "text" ? undefined : v)));
}

test("qtcore's blocks become editable items and go back as qtcore wrote them", () => {
  assert.ok(hasControlFlow(QTCORE.ops));
  assert.ok(
    !hasControlFlow([
      { op: "h", qubits: [0] },
      { op: "measure", qubits: [0], clbits: [0] },
    ]),
  );
  const model = fromDict(QTCORE);
  assert.equal(model.readonly, undefined);
  const kinds = ordered(model.items).map((it) => it.op);
  assert.deepEqual(kinds, ["h", "measure", "assign", "if", "for", "while", "switch", "measure"]);
  const iff = model.items.find((it) => it.op === "if");
  assert.deepEqual(Object.keys(iff.bodies), ["then", "else"]);
  assert.deepEqual(
    iff.bodies.then.map((it) => [it.op, it.qubits, it.t]),
    [["x", [1], 0]],
  );
  assert.equal(blockText(iff, 2), "if (c[0] == 1) {1 op} else {1 op}");
  const sw = model.items.find((it) => it.op === "switch");
  assert.equal(blockText(sw, 2), "switch (c) {case 0 {1 op} case 1, 2 {1 op} default {1 op}}");
  const assign = model.items.find((it) => it.op === "assign");
  assert.equal(blockText(assign, 2), "int[8] n = 0");
  assert.equal(
    blockText(
      model.items.find((it) => it.target),
      2,
    ),
    "measure q[1] -> v[0]",
  );
  const wh = model.items.find((it) => it.op === "while");
  assert.match(blockText(wh, 2), /at most 1000 passes/);
  // Blocks and assignments take a column of their own, in program order.
  const cols = ordered(model.items).map((it) => it.t);
  assert.deepEqual(cols, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(itemAt(model, 1, 4)?.op, "for"); // its whole column, not only qubit 0
  // Numbers come back as the editor's parameter text (qtcore reads "pi/4" as the same angle).
  const d = toDict(model);
  assert.equal(d.ops[4].block.body[0].params[0], "pi/4");
  d.ops[4].block.body[0].params[0] = 0.7853981633974483;
  assert.deepEqual(d, withoutText(QTCORE));
  // A link (dict + steps) rebuilds the same model.
  assert.deepEqual(
    toDict(fromDict(JSON.parse(JSON.stringify(toDict(model))), steps(model))),
    toDict(model),
  );
});

test("a new if block takes its own column; gates placed in its body reach the dict", () => {
  const model = fromDict({
    num_qubits: 2,
    num_clbits: 1,
    ops: [
      { op: "h", qubits: [0] },
      { op: "measure", qubits: [0], clbits: [0] },
    ],
  });
  const block = newBlock("if", 2, model.c);
  model.items.push(block);
  const path = [{ index: model.items.indexOf(block), key: "then" }];
  scopeItems(model, path).push({ op: "x", qubits: [1], params: [], clbits: [], cond: null, t: 0 });
  refreshQubits(model, path);
  assert.deepEqual(block.qubits, [1]);
  assert.deepEqual(toDict(model).ops[2], {
    op: "if",
    qubits: [1],
    block: {
      condition: { op: "==", args: [{ bits: [0] }, { const: 1 }] },
      // biome-ignore lint/suspicious/noThenProperty: qtcore's JSON names the if body "then"
      then: [{ op: "x", qubits: [1] }],
      else: [],
    },
  });
  assert.equal(scopeItems(model, [{ index: 0, key: "then" }]), null); // h has no body
  assert.equal(scopeItems(model, [{ index: 2, key: "body" }]), null); // an if has no "body"
});

test("for, while and switch blocks have the JSON qtcore's from_dict reads", () => {
  const f = newBlock("for", 0, 0);
  f.bodies.body.push({ op: "rx", qubits: [0], params: ["i*pi/2"], clbits: [], cond: null, t: 0 });
  f.ctl.range = parseRange({ start: "0", step: "1", stop: "3" });
  const w = newBlock("while", 1, 1);
  const s = newBlock("switch", 2, 2);
  addCase(s, 2);
  s.bodies.case2.push({ op: "z", qubits: [1], params: [], clbits: [], cond: null, t: 0 });
  const d = toDict({ n: 2, c: 2, items: [f, w, s] });
  assert.deepEqual(d.ops[0].block, {
    var: "i",
    type: ["int", null],
    values: null,
    range: [{ const: 0 }, { const: 1 }, { const: 3 }],
    body: [{ op: "rx", qubits: [0], params: ["i*pi/2"] }],
  });
  assert.equal(d.ops[1].block.max_iterations, 1000);
  assert.deepEqual(
    d.ops[2].block.cases.map((c) => [c.values, c.body.length]),
    [
      [[{ const: 0 }], 0],
      [[{ const: 1 }], 0],
      [[{ const: 2 }], 1],
    ],
  );
  removeCase(s, 0);
  assert.deepEqual(Object.keys(s.bodies).sort(), ["case0", "case1", "default"]);
  assert.equal(s.bodies.case1.length, 1); // the z moved with its case
  assert.throws(() => newBlock("if", 0, 0), /has none yet: measure a qubit first/);
});

test("bad input is refused with a message that names the field and what is allowed", () => {
  const err = (fn) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof FieldError);
      return [e.field, e.message];
    }
    assert.fail("no error");
  };
  assert.deepEqual(parseBits("c[1]", 2), [1]);
  assert.deepEqual(parseBits("c", 3), [0, 1, 2]);
  assert.deepEqual(parseBits(" c[0:1] ", 2), [0, 1]);
  assert.deepEqual(parseBits("0, 2", 3), [0, 2]);
  assert.deepEqual(
    err(() => parseBits("c[2]", 2)),
    ["bits", "c[2] does not exist: the circuit has 2 classical bits, c[0]–c[1]"],
  );
  assert.match(err(() => parseBits("q[0]", 2))[1], /"q\[0\]" is not a classical bit/);
  assert.match(err(() => parseBits("", 2))[1], /name the classical bit/);
  assert.deepEqual(parseCondition({ bits: "c", op: "==", value: "3" }, 2), {
    op: "==",
    args: [{ bits: [0, 1] }, { const: 3 }],
  });
  assert.deepEqual(
    err(() => parseCondition({ bits: "c[0]", op: "==", value: "2" }, 1)),
    ["value", "2 is out of range for 1 bit: use 0–1"],
  );
  assert.match(
    err(() => parseCondition({ bits: "c", op: "==", value: "x" }, 2))[1],
    /whole number/,
  );
  assert.deepEqual(
    err(() => parseRange({ start: "3", step: "1", stop: "1" })),
    ["stop", "the range [3:1:1] is empty: with step 1 the stop must be ≥ 3"],
  );
  assert.deepEqual(
    err(() => parseRange({ start: "0", step: "0", stop: "1" })),
    ["step", "the step must not be 0"],
  );
  assert.deepEqual(parseRange({ start: "3", step: "-1", stop: "0" })[2], { const: 0 });
  assert.match(err(() => parseRange({ start: "0", step: "1", stop: "2000000" }))[1], /at most/);
  assert.equal(parseVarName(" k "), "k");
  assert.match(err(() => parseVarName("for"))[1], /reserved/);
  assert.match(err(() => parseVarName("2x"))[1], /not a name/);
  assert.deepEqual(parseCaseValues("1, 2", 2), [{ const: 1 }, { const: 2 }]);
  assert.match(err(() => parseCaseValues("1", 2, [1]))[1], /already handled/);
  assert.match(err(() => parseCaseValues("4", 2))[1], /out of range for 2 bits: use 0–3/);
});

test("conditions in the three-field form, and those that are not", () => {
  assert.deepEqual(simpleCondition({ op: "!=", args: [{ bits: [0, 1] }, { const: 2 }] }), {
    bits: [0, 1],
    op: "!=",
    value: 2,
  });
  assert.deepEqual(simpleCondition({ bits: [3] }), { bits: [3], op: "==", value: 1 });
  assert.equal(simpleCondition({ op: ">", args: [{ var: "n" }, { const: 1 }] }), null);
  assert.equal(bitsText([0, 1, 2], 3), "c");
  assert.equal(bitsText([1, 2], 3), "c[1:2]");
  assert.equal(bitsText([0, 2], 3), "c[0], c[2]");
});

test("blocks nest: a for loop inside an if body keeps its path, qubits and JSON", () => {
  const model = { n: 3, c: 1, items: [] };
  const outer = newBlock("if", 0, 1);
  model.items.push(outer);
  const inner = newBlock("for", 0, 1);
  scopeItems(model, [{ index: 0, key: "then" }]).push(inner);
  const path = [
    { index: 0, key: "then" },
    { index: 0, key: "body" },
  ];
  scopeItems(model, path).push({ op: "h", qubits: [2], params: [], clbits: [], cond: null, t: 0 });
  refreshQubits(model, path);
  assert.deepEqual(inner.qubits, [2]);
  assert.deepEqual(outer.qubits, [2]); // the outer block touches what its inner body does
  const d = toDict(model);
  assert.deepEqual(d.ops[0].block.then[0].block.body, [{ op: "h", qubits: [2] }]);
  assert.deepEqual(toDict(fromDict(JSON.parse(JSON.stringify(d)))), d);
  assert.equal(scopeItems(model, [...path, { index: 0, key: "body" }]), null);
});
