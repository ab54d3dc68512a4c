// Unit tests of site/js/frames.js against frames built by hand from FRAMES.md's layout.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeFrame, decodeFrames, FrameError } from "../../site/js/frames.js";

/** One frame as FRAMES.md lays it out: prefix, space-padded JSON header, float64 LE data. */
function encode(header, arrays, flags = 0) {
  const names = Object.keys(arrays);
  let offset = 0;
  const table = {};
  for (const name of names) {
    table[name] = [offset, arrays[name].length];
    offset += 8 * arrays[name].length;
  }
  let json = JSON.stringify({ ...header, arrays: table });
  while ((16 + json.length) % 8 !== 0) json += " ";
  const headerBytes = new TextEncoder().encode(json);
  const buffer = new ArrayBuffer(16 + headerBytes.length + offset);
  const bytes = new Uint8Array(buffer);
  bytes.set([0x51, 0x54, 0x46, 0x52], 0);
  const dv = new DataView(buffer);
  dv.setUint16(4, 1, true);
  dv.setUint16(6, flags, true);
  dv.setUint32(8, headerBytes.length, true);
  dv.setUint32(12, offset, true);
  bytes.set(headerBytes, 16);
  let at = 16 + headerBytes.length;
  for (const name of names) {
    for (const x of arrays[name]) {
      dv.setFloat64(at, x, true);
      at += 8;
    }
  }
  return buffer;
}

function concat(...buffers) {
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out.buffer;
}

const bell = {
  step: 1,
  op: "cx q[0], q[1]",
  opName: "cx",
  qubits: [0, 1],
  executed: true,
  outcome: null,
  numQubits: 2,
  numClbits: 0,
  clbits: [],
  kernel: "python",
  summary: null,
};
const half = Math.SQRT1_2;

test("decodeFrame reads the header, flags and arrays of one frame", () => {
  const buffer = encode(
    bell,
    {
      probabilities: [0.5, 0, 0, 0.5],
      amplitudes: [half, 0, 0, 0, 0, 0, half, 0],
      bloch: [0, 0, 0, 0, 0, 0],
      marginals: [0.5, 0.5],
    },
    1,
  );
  const frame = decodeFrame(buffer);
  assert.equal(frame.version, 1);
  assert.equal(frame.flags, 1);
  assert.equal(frame.hasAmplitudes, true);
  assert.equal(frame.summarised, false);
  assert.equal(frame.size, buffer.byteLength);
  assert.equal(frame.header.opName, "cx");
  assert.deepEqual(frame.header.qubits, [0, 1]);
  assert.deepEqual([...frame.arrays.probabilities], [0.5, 0, 0, 0.5]);
  assert.deepEqual([...frame.arrays.amplitudes], [half, 0, 0, 0, 0, 0, half, 0]);
  assert.deepEqual([...frame.arrays.marginals], [0.5, 0.5]);
});

test("aligned arrays are views on the buffer, not copies", () => {
  const buffer = encode(bell, { probabilities: [0.25, 0.25, 0.25, 0.25] });
  const frame = decodeFrame(buffer);
  assert.equal(frame.arrays.probabilities.buffer, buffer);
});

test("an array at an unaligned offset is copied with the right values", () => {
  const inner = encode(bell, { probabilities: [0.125, 0.375, 0.5, 0] });
  const shifted = new ArrayBuffer(inner.byteLength + 4);
  new Uint8Array(shifted).set(new Uint8Array(inner), 4);
  const frame = decodeFrame(shifted, 4);
  assert.notEqual(frame.arrays.probabilities.buffer, shifted);
  assert.deepEqual([...frame.arrays.probabilities], [0.125, 0.375, 0.5, 0]);
});

test("the summary flag is reported", () => {
  const header = { ...bell, numQubits: 13, summary: { reason: "n > 12", topK: 1, numQubits: 13 } };
  const frame = decodeFrame(encode(header, { topIndices: [8191], topProbabilities: [1] }, 2));
  assert.equal(frame.summarised, true);
  assert.equal(frame.hasAmplitudes, false);
  assert.equal(frame.arrays.topIndices[0], 8191);
});

test("decodeFrames splits a stream of frames back to back", () => {
  const first = encode(
    { ...bell, step: -1, op: null, opName: null },
    { probabilities: [1, 0, 0, 0] },
  );
  const second = encode(bell, { probabilities: [0.5, 0, 0, 0.5] });
  const frames = decodeFrames(concat(first, second));
  assert.deepEqual(
    frames.map((f) => f.header.step),
    [-1, 1],
  );
  assert.deepEqual([...frames[1].arrays.probabilities], [0.5, 0, 0, 0.5]);
  assert.deepEqual(decodeFrames(new ArrayBuffer(0)), []);
});

test("bad magic, version, truncation and overlong arrays are FrameErrors naming the offset", () => {
  const good = encode(bell, { probabilities: [1, 0, 0, 0] });
  const badMagic = good.slice(0);
  new Uint8Array(badMagic)[0] = 0x58;
  assert.throws(() => decodeFrame(badMagic), { name: "Error", message: /bad magic at byte 0/ });
  assert.throws(() => decodeFrame(badMagic), FrameError);

  const badVersion = good.slice(0);
  new DataView(badVersion).setUint16(4, 2, true);
  assert.throws(() => decodeFrame(badVersion), /frame version 2 is not supported/);

  assert.throws(() => decodeFrame(good.slice(0, 10)), /truncated frame at byte 0: 10 bytes left/);
  assert.throws(() => decodeFrame(good.slice(0, good.byteLength - 8)), /claims \d+ bytes/);
  assert.throws(() => decodeFrames(concat(good, good.slice(0, 12))), /truncated frame at byte/);

  const overlong = encode({ ...bell, arrays: undefined }, { probabilities: [1] });
  // Rewrite the table to claim 4 values while the data holds 1: decoding must refuse.
  const text = new TextDecoder().decode(
    new Uint8Array(overlong, 16, new DataView(overlong).getUint32(8, true)),
  );
  const lying = text.replace('"probabilities":[0,1]', '"probabilities":[0,4]');
  assert.notEqual(lying, text);
  new Uint8Array(overlong).set(new TextEncoder().encode(lying), 16);
  assert.throws(() => decodeFrame(overlong), /array probabilities runs past the data/);
});
