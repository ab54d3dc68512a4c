// Unit tests of site/js/quirk.js: Quirk's column format into qtcore's gate-list dict.
import assert from "node:assert/strict";
import { test } from "node:test";
import { QuirkError, quirkToCircuit } from "../../site/js/quirk.js";

const bell = '{"cols":[["H"],["•","X"],["Measure","Measure"]]}';

test("a Bell circuit from a full Quirk URL maps gate by gate", () => {
  const url = `https://algassert.com/quirk#circuit=${encodeURIComponent(bell)}`;
  assert.deepEqual(quirkToCircuit(url), {
    num_qubits: 2,
    num_clbits: 2,
    ops: [
      { op: "h", qubits: [0] },
      { op: "cx", qubits: [0, 1] },
      { op: "measure", qubits: [0], clbits: [0] },
      { op: "measure", qubits: [1], clbits: [1] },
    ],
  });
  assert.deepEqual(quirkToCircuit(bell), quirkToCircuit(`circuit=${bell}&other=1`));
});

test("controls pick the controlled gate by count; swaps pair up", () => {
  const c = quirkToCircuit(
    JSON.stringify({
      cols: [
        ["•", "•", "X"],
        ["•", "•", "•", "Z"],
        [1, "Swap", "Swap"],
        ["•", "Swap", "Swap"],
        ["Z^¼", 1, "X^-½"],
        ["Bloch"],
      ],
    }),
  );
  assert.equal(c.num_qubits, 4);
  assert.equal(c.num_clbits, 0);
  assert.deepEqual(c.ops, [
    { op: "ccx", qubits: [0, 1, 2] },
    { op: "mcz", qubits: [0, 1, 2, 3] },
    { op: "swap", qubits: [1, 2] },
    { op: "cswap", qubits: [0, 1, 2] },
    { op: "t", qubits: [0] },
    { op: "sxdg", qubits: [2] },
  ]);
});

test("gates qtcore lacks are all named and nothing is imported", () => {
  assert.throws(
    () => quirkToCircuit('{"cols":[["QFT3"],["•","Y^½"],["Swap"]]}'),
    (e) =>
      e instanceof QuirkError &&
      /QFT3/.test(e.message) &&
      /Y\^½/.test(e.message) &&
      /Swap \(1 halves in one column\)/.test(e.message) &&
      /Nothing was imported/.test(e.message),
  );
  assert.throws(() => quirkToCircuit('{"cols":[["•"]]}'), /control with no gate/);
  assert.throws(() => quirkToCircuit('{"cols":[["•","•","H"]]}'), /h with 2 controls/);
});

test("malformed input gets a specific error", () => {
  assert.throws(() => quirkToCircuit("circuit={nope"), /the JSON does not parse/);
  assert.throws(() => quirkToCircuit('{"gates":[]}'), /no "cols" list/);
  assert.throws(() => quirkToCircuit('{"cols":[]}'), /the Quirk circuit is empty/);
});
