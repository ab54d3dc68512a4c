// Decoder for qtcore's binary frame encoding v1 (spec: FRAMES.md at the repository root).
//
// A frame: "QTFR" | u16 version | u16 flags | u32 headerLen | u32 dataLen | JSON header |
// float64 LE data. A stream is frames back to back; every frame is a multiple of 8 bytes
// long, so the float arrays of a stream that starts at offset 0 are 8-byte aligned and are
// exposed as Float64Array views on the transferred buffer (no copy).

const MAGIC = [0x51, 0x54, 0x46, 0x52]; // "QTFR"
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextDecoder("utf-8");

export class FrameError extends Error {}

/**
 * Decode the frame that starts at `offset` of `buffer`.
 * @param {ArrayBuffer} buffer
 * @param {number} [offset]
 * @returns {{header: object, flags: number, version: number, size: number,
 *   hasAmplitudes: boolean, summarised: boolean, arrays: Record<string, Float64Array>}}
 */
export function decodeFrame(buffer, offset = 0) {
  if (buffer.byteLength - offset < 16) {
    throw new FrameError(
      `truncated frame at byte ${offset}: ${buffer.byteLength - offset} bytes left`,
    );
  }
  const bytes = new Uint8Array(buffer, offset, 4);
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== MAGIC[i])
      throw new FrameError(`bad magic at byte ${offset}: not a QTFR frame`);
  }
  const dv = new DataView(buffer, offset);
  const version = dv.getUint16(4, true);
  if (version !== 1) throw new FrameError(`frame version ${version} is not supported (only 1)`);
  const flags = dv.getUint16(6, true);
  const headerLen = dv.getUint32(8, true);
  const dataLen = dv.getUint32(12, true);
  const size = 16 + headerLen + dataLen;
  if (offset + size > buffer.byteLength) {
    throw new FrameError(
      `frame at byte ${offset} claims ${size} bytes, only ${buffer.byteLength - offset} left`,
    );
  }
  const header = JSON.parse(utf8.decode(new Uint8Array(buffer, offset + 16, headerLen)));
  const dataStart = offset + 16 + headerLen;
  const arrays = {};
  for (const [name, [byteOffset, count]] of Object.entries(header.arrays || {})) {
    if (byteOffset + 8 * count > dataLen) throw new FrameError(`array ${name} runs past the data`);
    const at = dataStart + byteOffset;
    if (LITTLE_ENDIAN && at % 8 === 0) {
      arrays[name] = new Float64Array(buffer, at, count);
    } else {
      const out = new Float64Array(count);
      const v = new DataView(buffer, at, 8 * count);
      for (let i = 0; i < count; i++) out[i] = v.getFloat64(8 * i, true);
      arrays[name] = out;
    }
  }
  return {
    header,
    flags,
    version,
    size,
    arrays,
    hasAmplitudes: (flags & 1) !== 0,
    summarised: (flags & 2) !== 0,
  };
}

/**
 * Decode a whole frame stream.
 * @param {ArrayBuffer} buffer
 */
export function decodeFrames(buffer) {
  const frames = [];
  let offset = 0;
  while (offset < buffer.byteLength) {
    const frame = decodeFrame(buffer, offset);
    frames.push(frame);
    offset += frame.size;
  }
  return frames;
}
