// <qtr-frame-player>: state views + player for frames that did not come from this page's
// worker: a published run's stored frames, or a live session's frames as they arrive.
// No Pyodide needed: frames are decoded by frames.js.
//
//   player.setFrames(decodeFrames(buffer));   // replay
//   player.appendFrame(decodeFrame(buffer));  // live; follows the newest frame unless the
//                                             // reader scrubbed back

import { bitstring, blochSphere, drawAmplitudes, drawBars, palette } from "./plots.js";
import { h } from "./registry.js";

const SPEEDS = [1, 2, 5, 10, 30];

export class QtrFramePlayer extends HTMLElement {
  constructor() {
    super();
    this.frames = [];
    this.frameIndex = -1;
    this.follow = true;
    this.playing = false;
    this.fps = 5;
  }

  connectedCallback() {
    if (this._built) return;
    this._built = true;
    this.classList.add("qtr-player");
    this.scrub = h("input", { type: "range", min: "0", max: "0", value: "0", step: "1", class: "qt-scrub", "aria-label": "Frame" });
    this.scrub.addEventListener("input", () => {
      this.follow = Number(this.scrub.value) >= this.frames.length - 1;
      this.showFrame(Number(this.scrub.value));
    });
    this.playBtn = h("button", { type: "button", class: "qt-btn-small qt-play", "aria-label": "Play", text: "▶", onclick: () => this.togglePlay() });
    const speed = h("select", { "aria-label": "Playback speed (frames per second)", class: "qt-speed" });
    for (const s of SPEEDS) speed.append(h("option", { value: String(s), text: `${s} fps`, selected: s === this.fps }));
    speed.addEventListener("change", () => (this.fps = Number(speed.value)));
    this.label = h("span", { class: "qt-frame-label", "aria-live": "off", text: "no frames yet" });
    const step = (d) => () => {
      this.showFrame(this.frameIndex + d);
      this.follow = this.frameIndex >= this.frames.length - 1;
    };
    const bar = h("div", { class: "qt-player", role: "group", "aria-label": "Frame player" },
      h("button", { type: "button", class: "qt-btn-small", "aria-label": "First frame", text: "⇤", onclick: () => { this.follow = false; this.showFrame(0); } }),
      h("button", { type: "button", class: "qt-btn-small", "aria-label": "Previous frame", text: "|◀", onclick: step(-1) }),
      this.playBtn,
      h("button", { type: "button", class: "qt-btn-small", "aria-label": "Next frame", text: "▶|", onclick: step(1) }),
      h("button", { type: "button", class: "qt-btn-small", "aria-label": "Last frame", text: "⇥", onclick: () => { this.follow = true; this.showFrame(this.frames.length - 1); } }),
      this.scrub, speed, this.label);
    this.probCanvas = h("canvas", { class: "qt-canvas", role: "img", "aria-label": "Probability of each basis state" });
    this.ampCanvas = h("canvas", { class: "qt-canvas", role: "img", "aria-label": "Amplitudes: bar height is magnitude, colour is phase" });
    this.blochRow = h("div", { class: "qt-bloch-row" });
    this.clbits = h("output", { class: "qt-clbits" });
    this.note = h("p", { class: "qt-note", hidden: true });
    this.append(bar, h("div", { class: "qt-views" },
      h("figure", {}, h("figcaption", { text: "Probabilities (qubit 0 is the rightmost bit)" }), this.probCanvas, this.note),
      h("figure", {}, h("figcaption", { text: "Amplitudes (height |a|, colour = phase)" }), this.ampCanvas),
      h("figure", { class: "qt-bloch-fig" }, h("figcaption", { text: "Bloch vectors per qubit" }), this.blochRow, h("p", {}, "Classical bits: ", this.clbits))));
  }

  /** Replace every frame (a stored run) and show the last one. */
  setFrames(frames) {
    this.frames = [...frames];
    this.follow = true;
    this.scrub.max = String(Math.max(0, this.frames.length - 1));
    if (this.frames.length) this.showFrame(this.frames.length - 1);
    else this.label.textContent = "this run has no stored frames";
  }

  /** Add one frame (live); shows it when the reader is following the newest frame. */
  appendFrame(frame) {
    this.frames.push(frame);
    this.scrub.max = String(this.frames.length - 1);
    if (this.follow && !this.playing) this.showFrame(this.frames.length - 1);
    else this.updateLabel();
  }

  updateLabel() {
    const f = this.frames[this.frameIndex];
    if (!f) return;
    const hd = f.header;
    this.label.textContent = `frame ${this.frameIndex}/${this.frames.length - 1}: ${hd.step < 0 ? "initial state" : hd.op}${hd.executed === false ? " (skipped)" : ""}${hd.outcome != null ? ` → ${hd.outcome}` : ""}`;
  }

  showFrame(i) {
    if (!this.frames.length) return;
    const k = Math.max(0, Math.min(this.frames.length - 1, i));
    this.frameIndex = k;
    this.scrub.value = String(k);
    this.updateLabel();
    this.draw(this.frames[k]);
    this.dispatchEvent(new CustomEvent("qt-frame", { detail: { index: k } }));
  }

  draw(f) {
    const pal = palette(this);
    const n = f.header.numQubits;
    const probs = f.arrays.probabilities;
    this.note.hidden = true;
    if (probs) {
      const labels = probs.length <= 32 ? Array.from({ length: probs.length }, (_, i) => bitstring(i, n)) : null;
      drawBars(this.probCanvas, { values: probs, labels, max: 1 }, pal);
      if (f.summarised) {
        this.note.hidden = false;
        this.note.textContent = "Summarised state (see the frame header).";
      }
    } else if (f.arrays.topProbabilities) {
      const idx = f.arrays.topIndices;
      drawBars(this.probCanvas, { values: f.arrays.topProbabilities, labels: Array.from(idx, (i) => bitstring(i, n)), max: 1 }, pal);
      this.note.hidden = false;
      this.note.textContent = `Summarised: ${f.header.summary ? f.header.summary.reason : "top outcomes only"}`;
    }
    this.ampCanvas.parentElement.hidden = !f.arrays.amplitudes;
    if (f.arrays.amplitudes) drawAmplitudes(this.ampCanvas, f.arrays.amplitudes, n, pal);
    const bloch = f.arrays.bloch;
    if (bloch) {
      if (!this.spheres || this.spheres.length !== n) {
        this.spheres = Array.from({ length: n }, (_, q) => blochSphere(`q${q}`));
        this.blochRow.replaceChildren(...this.spheres.map((s) => s.svg));
      }
      for (let q = 0; q < n; q++) this.spheres[q].update(bloch[3 * q], bloch[3 * q + 1], bloch[3 * q + 2]);
    }
    const bits = f.header.clbits || [];
    this.clbits.textContent = bits.length ? [...bits].reverse().join("") + ` (c[${bits.length - 1}] … c[0])` : "none";
  }

  togglePlay(force) {
    const play = force ?? !this.playing;
    this.playing = play;
    this.playBtn.textContent = play ? "❚❚" : "▶";
    this.playBtn.setAttribute("aria-label", play ? "Pause" : "Play");
    if (!play) return;
    this.follow = false;
    if (this.frameIndex >= this.frames.length - 1) this.showFrame(0);
    let last = performance.now();
    const tick = (now) => {
      if (!this.playing) return;
      if (now - last >= 1000 / this.fps - 1) {
        last = now;
        if (this.frameIndex >= this.frames.length - 1) {
          this.follow = true;
          this.togglePlay(false);
          return;
        }
        this.showFrame(this.frameIndex + 1);
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }
}

customElements.define("qtr-frame-player", QtrFramePlayer);
