// Unit tests of kernelLabel (site/js/runtime.js): the info panel names the kernel that runs
// and, when the page fell back from WebAssembly, why.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kernelLabel } from "../../site/js/runtime.js";

const base = { qtcore: "0.1.0", pyodide: "314.0.7" };

test("the WebAssembly kernel is named, with no note", () => {
  const label = kernelLabel({ ...base, kernel: "wasm", kernels: { wasm: null, python: null } });
  assert.equal(label, "qtcore 0.1.0 · WebAssembly SIMD kernel · Pyodide 314.0.7");
});

test("a fallback to pure Python says why WebAssembly did not run", () => {
  const why = "this JavaScript engine cannot compile qtcore's WebAssembly kernel";
  const label = kernelLabel({ ...base, kernel: "python", kernels: { wasm: why, python: null } });
  assert.match(label, /pure-Python kernel/);
  assert.ok(label.endsWith(`(slower: ${why})`), label);
});

test("pure Python chosen on purpose (wasm available) carries no note", () => {
  const label = kernelLabel({ ...base, kernel: "python", kernels: { wasm: null } });
  assert.equal(label, "qtcore 0.1.0 · pure-Python kernel · Pyodide 314.0.7");
});

test("before the worker is ready", () => {
  assert.equal(kernelLabel(null), "loading…");
});
