// Unit tests of labelLayout (site/js/plots.js): bar labels never overlap as bars narrow.
import assert from "node:assert/strict";
import { test } from "node:test";
import { labelLayout, plotExtent } from "../../site/js/plots.js";

/** A monospace label of `chars` characters: 0.6 em per character. */
const mono = (chars) => (px) => 0.6 * px * chars;

test("labels run across while the widest fits its bar", () => {
  assert.deepEqual(labelLayout([mono(2), mono(2)], 40), {
    px: 11,
    vertical: false,
    step: 1,
    room: 18,
  });
});

test("too wide to run across: upright, at 10 px, then 9 px, with room for the text", () => {
  const four = Array.from({ length: 16 }, () => mono(4));
  const lay = labelLayout(four, 12);
  assert.equal(lay.vertical, true);
  assert.equal(lay.px, 10);
  assert.equal(lay.step, 1);
  assert.equal(lay.room, 0.6 * 10 * 4 + 8);
  assert.equal(labelLayout(four, 11).px, 9);
});

test("narrower than upright type: every step-th bar, spaced at least 11 px", () => {
  for (const bw of [10.9, 5, 1.3, 0.2]) {
    const lay = labelLayout([mono(8)], bw);
    assert.equal(lay.vertical, true);
    assert.ok(lay.step * bw >= 11, `${bw}: ${lay.step}`);
    assert.ok((lay.step - 1) * bw < 11, `${bw}: ${lay.step} is more than needed`);
  }
});

test("a marker with an undefined coordinate is left out of the axis ranges", () => {
  // The Gravity Probe A widget's marker x was undefined: every x turned NaN, no curve drawn.
  const series = [{ x: [1e5, 2e7, 4e7], y: [1e-11, 4e-10, 6e-10] }];
  const ext = plotExtent(series, { marker: [undefined, 4.26e-10] });
  assert.deepEqual(ext, { x0: 1e5, x1: 4e7, y0: 1e-11, y1: 6e-10 });
  for (const v of Object.values(ext)) assert.ok(Number.isFinite(v));
});

test("a finite marker widens the ranges; on a log axis a marker at 0 does not", () => {
  const series = [{ x: [1, 10], y: [2, 3] }];
  assert.deepEqual(plotExtent(series, { marker: [20, 1] }), { x0: 1, x1: 20, y0: 1, y1: 3 });
  assert.deepEqual(plotExtent(series, { logx: true, marker: [0, 2.5] }), {
    x0: 1,
    x1: 10,
    y0: 2,
    y1: 3,
  });
  assert.equal(plotExtent([{ x: [Number.NaN], y: [1] }]), null);
});
