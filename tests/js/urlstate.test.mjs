// Unit tests of site/js/urlstate.js with a minimal location/history stand-in.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import {
  clearState,
  readQuirkFragment,
  readState,
  widgetId,
  writeState,
} from "../../site/js/urlstate.js";

beforeEach(() => {
  globalThis.location = { pathname: "/sandbox/", search: "?x=1", hash: "" };
  globalThis.history = {
    state: null,
    replaceState(_state, _title, url) {
      const i = url.indexOf("#");
      globalThis.location.hash = i >= 0 ? url.slice(i) : "";
      this.last = url;
    },
  };
});

test("writeState then readState round-trips unicode and nested values", () => {
  const state = { circuit: { ops: [{ op: "h", qubits: [0] }] }, title: "Bell ψ → 1/√2" };
  writeState("editor", state);
  assert.match(history.last, /^\/sandbox\/\?x=1#qt-editor=[A-Za-z0-9_-]+$/);
  assert.deepEqual(readState("editor"), state);
  assert.equal(readState("other"), null);
});

test("each widget keeps its own key; foreign fragment parts are dropped", () => {
  location.hash = `#circuit=${encodeURIComponent('{"cols":[["H"]]}')}&qt-b=old`;
  writeState("a", { v: 1 });
  writeState("b", { v: 2 });
  writeState("a", { v: 3 });
  assert.deepEqual(readState("a"), { v: 3 });
  assert.deepEqual(readState("b"), { v: 2 });
  const parts = location.hash.slice(1).split("&");
  assert.deepEqual(
    parts.map((p) => p.split("=")[0]),
    ["qt-b", "qt-a"],
  );
});

test("a corrupt value reads as null, not an exception", () => {
  location.hash = "#qt-editor=%%%notbase64";
  assert.equal(readState("editor"), null);
});

test("readQuirkFragment decodes the circuit JSON anywhere in the fragment", () => {
  const json = '{"cols":[["H"],["•","X"]]}';
  assert.equal(readQuirkFragment(`#circuit=${encodeURIComponent(json)}`), json);
  assert.equal(readQuirkFragment(`#qt-a=xyz&circuit=${encodeURIComponent(json)}`), json);
  assert.equal(readQuirkFragment("#qt-a=xyz"), null);
  assert.equal(readQuirkFragment("#circuit=%E0%A4%A"), "%E0%A4%A");
});

test("widgetId keeps an id, else names the element by tag and index", () => {
  const a = { id: "", tagName: "QT-CIRCUIT" };
  const b = { id: "", tagName: "QT-CIRCUIT" };
  globalThis.document = { querySelectorAll: () => [a, b] };
  assert.equal(widgetId({ id: "mine", tagName: "QT-CIRCUIT" }), "mine");
  assert.equal(widgetId(b), "qt-circuit-1");
  assert.equal(b.id, "qt-circuit-1");
  assert.equal(widgetId(a), "qt-circuit-0");
});

test("clearState forgets one widget and leaves the others", () => {
  writeState("a", { v: 1 });
  writeState("b", { v: 2 });
  clearState("a");
  assert.equal(readState("a"), null);
  assert.deepEqual(readState("b"), { v: 2 });
  clearState("b");
  assert.equal(history.last, "/sandbox/?x=1");
  assert.equal(location.hash, "");
});
