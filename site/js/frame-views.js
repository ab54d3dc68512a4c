// The frame player and state views shared by <qt-circuit> (frames from this page's worker)
// and <qtr-frame-player> (a published run's stored frames, a live session's frames):
// the player bar (first/previous/play/next/last, scrub, speed, label), the probability,
// amplitude and Bloch views, and the play loop. Subclasses hook in through
// `frameShown`, `playStarted`, `playStopped` and `playEnded`.

import { bitstring, blochSphere, drawAmplitudes, drawBars, palette } from "./plots.js";
import { h, QtElement } from "./widget-base.js";

export class FramePlayerElement extends QtElement {
  constructor() {
    super();
    this.frames = [];
    this.frameIndex = -1;
    this.playing = false;
    this.fps = 5;
  }

  /**
   * The player bar; sets this.scrub, this.playBtn, this.speedSel and this.frameLabel.
   * @param {number[]} speeds frames per second offered
   * @param {{first, prev, next, last, scrub: (value: number) => void}} nav button handlers
   * @param {string} [labelText] the frame label before the first frame
   */
  buildPlayerBar(speeds, nav, labelText = "") {
    this.scrub = h("input", {
      type: "range",
      min: "0",
      max: "0",
      value: "0",
      step: "1",
      class: "qt-scrub",
      "aria-label": "Frame",
    });
    this.scrub.addEventListener("input", () => nav.scrub(Number(this.scrub.value)));
    this.playBtn = h("button", {
      type: "button",
      class: "qt-btn-small qt-play",
      "aria-label": "Play",
      text: "▶",
      onclick: () => this.togglePlay(),
    });
    this.speedSel = h("select", {
      "aria-label": "Playback speed (frames per second)",
      class: "qt-speed",
    });
    for (const s of speeds)
      this.speedSel.append(
        h("option", { value: String(s), text: `${s} fps`, selected: s === this.fps }),
      );
    this.speedSel.addEventListener("change", () => (this.fps = Number(this.speedSel.value)));
    this.frameLabel = h("span", {
      class: "qt-frame-label",
      "aria-live": "off",
      text: labelText || null,
    });
    return h(
      "div",
      { class: "qt-player", role: "group", "aria-label": "Frame player" },
      h("button", {
        type: "button",
        class: "qt-btn-small",
        "aria-label": "First frame",
        text: "⇤",
        onclick: nav.first,
      }),
      h("button", {
        type: "button",
        class: "qt-btn-small",
        "aria-label": "Previous frame",
        text: "|◀",
        onclick: nav.prev,
      }),
      this.playBtn,
      h("button", {
        type: "button",
        class: "qt-btn-small",
        "aria-label": "Next frame",
        text: "▶|",
        onclick: nav.next,
      }),
      h("button", {
        type: "button",
        class: "qt-btn-small",
        "aria-label": "Last frame",
        text: "⇥",
        onclick: nav.last,
      }),
      this.scrub,
      this.speedSel,
      this.frameLabel,
    );
  }

  /**
   * The state views (probabilities, amplitudes, Bloch vectors + classical bits), then any
   * `extra` figures; sets this.probCanvas, ampCanvas, blochRow, clbitsOut and summaryNote.
   */
  buildStateViews(...extra) {
    this.probCanvas = h("canvas", {
      class: "qt-canvas",
      role: "img",
      "aria-label": "Probability of each basis state",
    });
    this.ampCanvas = h("canvas", {
      class: "qt-canvas",
      role: "img",
      "aria-label": "Amplitudes: bar height is magnitude, colour is phase",
    });
    this.blochRow = h("div", { class: "qt-bloch-row" });
    this.clbitsOut = h("output", { class: "qt-clbits" });
    this.summaryNote = h("p", { class: "qt-note", hidden: true });
    return h(
      "div",
      { class: "qt-views" },
      h(
        "figure",
        {},
        h("figcaption", { text: "Probabilities (qubit 0 is the rightmost bit)" }),
        this.probCanvas,
        this.summaryNote,
      ),
      h(
        "figure",
        {},
        h("figcaption", { text: "Amplitudes (height |a|, colour = phase)" }),
        this.ampCanvas,
      ),
      h(
        "figure",
        { class: "qt-bloch-fig" },
        h("figcaption", { text: "Bloch vectors per qubit" }),
        this.blochRow,
        h("p", {}, "Classical bits: ", this.clbitsOut),
      ),
      ...extra,
    );
  }

  updateLabel() {
    const f = this.frames[this.frameIndex];
    if (!f) return;
    const hd = f.header;
    this.frameLabel.textContent = `frame ${this.frameIndex}/${this.frames.length - 1}: ${hd.step < 0 ? "initial state" : hd.op}${hd.executed === false ? " (skipped)" : ""}${hd.outcome != null ? ` → ${hd.outcome}` : ""}`;
  }

  /** Show frame `i` (clamped); `user` is true when the reader asked for it. */
  showFrame(i, user = false) {
    if (!this.frames.length) return;
    const k = Math.max(0, Math.min(this.frames.length - 1, i));
    this.frameIndex = k;
    this.scrub.value = String(k);
    this.updateLabel();
    this.frameShown(k, user);
    this.drawFrame(this.frames[k]);
    if (user) this.userMoved(k);
    this.dispatchEvent(new CustomEvent("qt-frame", { detail: { index: k } }));
  }

  drawFrame(f) {
    const pal = palette(this);
    const n = f.header.numQubits;
    const probs = f.arrays.probabilities;
    if (probs) {
      const labels =
        probs.length <= 256
          ? Array.from({ length: probs.length }, (_, i) => bitstring(i, n))
          : null;
      drawBars(this.probCanvas, { values: probs, labels, max: 1 }, pal);
      this.summaryNote.hidden = !f.summarised;
      if (f.summarised) this.summaryNote.textContent = "Summarised state (see the frame header).";
    } else if (f.arrays.topProbabilities) {
      const idx = f.arrays.topIndices;
      drawBars(
        this.probCanvas,
        {
          values: f.arrays.topProbabilities,
          labels: Array.from(idx, (i) => bitstring(i, n)),
          max: 1,
        },
        pal,
      );
      this.summaryNote.hidden = false;
      this.summaryNote.textContent = `Summarised: ${f.header.summary ? f.header.summary.reason : "top outcomes only"}`;
    } else {
      this.summaryNote.hidden = true;
    }
    this.ampCanvas.parentElement.hidden = !f.arrays.amplitudes;
    if (f.arrays.amplitudes) drawAmplitudes(this.ampCanvas, f.arrays.amplitudes, n, pal);
    const bloch = f.arrays.bloch;
    if (bloch) {
      if (!this.spheres || this.spheres.length !== n) {
        this.spheres = Array.from({ length: n }, (_, q) => blochSphere(`q${q}`));
        this.blochRow.replaceChildren(...this.spheres.map((s) => s.svg));
      }
      for (let q = 0; q < n; q++)
        this.spheres[q].update(bloch[3 * q], bloch[3 * q + 1], bloch[3 * q + 2]);
    }
    const bits = f.header.clbits || [];
    this.clbitsOut.textContent = bits.length
      ? `${[...bits].reverse().join("")} (c[${bits.length - 1}] … c[0])`
      : "none";
  }

  togglePlay(force) {
    const play = force ?? !this.playing;
    this.playing = play;
    this.playBtn.textContent = play ? "❚❚" : "▶";
    this.playBtn.setAttribute("aria-label", play ? "Pause" : "Play");
    if (!play) {
      this.playStopped();
      return;
    }
    this.playStarted();
    if (this.frameIndex >= this.frames.length - 1) this.showFrame(0);
    let last = performance.now();
    const tick = (now) => {
      if (!this.playing) return;
      if (now - last >= 1000 / this.fps - 1) {
        last = now;
        if (this.frameIndex >= this.frames.length - 1) {
          this.playEnded();
          this.togglePlay(false);
          return;
        }
        this.showFrame(this.frameIndex + 1);
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  // Hooks for subclasses.
  /** Frame `k` became current (before it is drawn). */
  frameShown(_k, _user) {}
  /** The reader moved to frame `k` (after it was drawn). */
  userMoved(_k) {}
  playStarted() {}
  playStopped() {}
  /** Playback reached the last frame (just before it stops). */
  playEnded() {}
}
