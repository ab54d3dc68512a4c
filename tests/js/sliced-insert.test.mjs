// Unit tests of site/js/sliced-insert.js with a stand-in textarea, a fake clock and a
// hand-driven task queue: what goes in per task, the order, flush, and the unfocused path.
import assert from "node:assert/strict";
import { test } from "node:test";
import { insertInSlices, slices } from "../../site/js/sliced-insert.js";

/** A textarea stand-in: `value` and a selection; `execCommand` edits it while focused. */
function box(value = "", start = 0, end = value.length) {
  const area = {
    value,
    selectionStart: start,
    selectionEnd: end,
    events: 0,
    setRangeText(text, s, e, mode) {
      assert.equal(mode, "end");
      this.value = this.value.slice(0, s) + text + this.value.slice(e);
      this.selectionStart = this.selectionEnd = s + text.length;
    },
    dispatchEvent(ev) {
      assert.equal(ev.type, "input");
      this.events += 1;
    },
    ownerDocument: fakeDocument(),
  };
  return area;
}

/** A document stand-in that keeps its capture listeners, so a test can fire them. */
function fakeDocument() {
  const listeners = new Map();
  return {
    listeners,
    addEventListener(type, fn, capture) {
      assert.equal(capture, true);
      listeners.set(type, [...(listeners.get(type) || []), fn]);
    },
    removeEventListener(type, fn) {
      listeners.set(
        type,
        (listeners.get(type) || []).filter((f) => f !== fn),
      );
    },
    fire(type) {
      for (const fn of listeners.get(type) || []) fn({ type });
    },
  };
}

/** Tasks run one at a time by the test; each piece costs `cost` ms on the fake clock. */
function harness(area, { cost = 1, focused = true, budgetMs = 5 } = {}) {
  const queue = [];
  const calls = [];
  let clock = 0;
  let isFocused = focused;
  let doneCount = 0;
  const ctl = insertInSlices(area, harness.text, {
    budgetMs,
    now: () => clock,
    schedule: (fn) => queue.push(fn),
    focused: () => isFocused,
    exec: (t) => {
      assert.ok(ctl.inserting, "events of our own slices are marked as ours");
      calls.push(t);
      area.setRangeText(t, area.selectionStart, area.selectionEnd, "end");
      clock += cost;
      return true;
    },
    onDone: () => (doneCount += 1),
  });
  return {
    ctl,
    calls,
    runTask: () => queue.shift()(),
    pending: () => queue.length,
    blur: () => (isFocused = false),
    doneCount: () => doneCount,
  };
}

test("slices keeps every character and each line break with its line", () => {
  assert.deepEqual(slices("a\nbb\n\nc"), ["a\n", "bb\n", "\n", "c"]);
  assert.deepEqual(slices("a\n"), ["a\n"]);
  assert.deepEqual(slices(""), []);
  for (const t of ["x", "\n\n", "OPENQASM 2.0;\nqreg q[2];\nh q[0];\n"])
    assert.equal(slices(t).join(""), t);
});

test("nothing goes in during the event; each task puts in lines until its budget is used", () => {
  harness.text = Array.from({ length: 20 }, (_, i) => `h q[${i}];\n`).join("");
  const area = box("old text");
  const h = harness(area, { cost: 1, budgetMs: 5 });
  assert.equal(area.value, "old text", "the first slice waits for a task of its own");
  h.runTask();
  assert.equal(h.calls.length, 5, "a task stops once 5 ms are used");
  assert.equal(area.value, harness.text.split("\n").slice(0, 5).join("\n") + "\n");
  let tasks = 1;
  while (h.pending()) {
    h.runTask();
    tasks += 1;
  }
  assert.equal(tasks, 4);
  assert.equal(area.value, harness.text, "the selection (all the old text) is replaced");
  assert.equal(h.doneCount(), 1);
  assert.ok(h.ctl.done);
  assert.ok(!h.ctl.inserting);
});

test("the block replaces only the selection, text around it stays", () => {
  harness.text = "x q[0];\ny q[1];\n";
  const area = box("before|after", 7, 7);
  const h = harness(area);
  while (h.pending()) h.runTask();
  assert.equal(area.value, "before|x q[0];\ny q[1];\nafter");
  assert.equal(area.selectionStart, "before|x q[0];\ny q[1];\n".length);
});

test("flush puts in the rest at once, ends once, and later tasks do nothing", () => {
  harness.text = Array.from({ length: 30 }, (_, i) => `x q[${i}];\n`).join("");
  const area = box("");
  const h = harness(area, { cost: 2, budgetMs: 4 });
  h.runTask();
  assert.equal(h.calls.length, 2);
  h.ctl.flush();
  assert.equal(area.value, harness.text);
  assert.equal(h.calls.length, 3, "the rest is one insertion");
  assert.equal(h.doneCount(), 1);
  while (h.pending()) h.runTask();
  h.ctl.flush();
  assert.equal(h.doneCount(), 1, "onDone is called once");
  assert.equal(area.value, harness.text);
});

test("once the box has lost focus the rest goes in at its selection, with an input event", () => {
  harness.text = "a;\nb;\nc;\nd;\n";
  const area = box("", 0, 0);
  const h = harness(area, { cost: 1, budgetMs: 2 });
  h.runTask();
  assert.equal(area.value, "a;\nb;\n");
  h.blur();
  area.events = 0;
  h.runTask();
  assert.equal(area.value, "a;\nb;\nc;\nd;\n");
  assert.equal(h.calls.length, 2, "execCommand only while the box has focus");
  assert.equal(area.events, 2, "each setRangeText insertion is announced");
});

test("a block of no text ends on its first task", () => {
  harness.text = "";
  const area = box("keep");
  const h = harness(area);
  assert.equal(h.doneCount(), 0);
  h.runTask();
  assert.equal(h.doneCount(), 1);
  assert.equal(area.value, "keep");
});

test("a key, pointer, focus change or other edit on the page puts in the rest first", () => {
  for (const type of ["keydown", "pointerdown", "focusout", "beforeinput"]) {
    harness.text = Array.from({ length: 30 }, (_, i) => `x q[${i}];\n`).join("");
    const area = box("");
    const h = harness(area, { cost: 2, budgetMs: 4 });
    h.runTask();
    assert.equal(h.calls.length, 2);
    area.ownerDocument.fire(type);
    assert.equal(area.value, harness.text, type);
    assert.equal(h.doneCount(), 1);
    const left = [...area.ownerDocument.listeners.values()].flat();
    assert.deepEqual(left, [], "its listeners are gone once the block is in");
  }
});
