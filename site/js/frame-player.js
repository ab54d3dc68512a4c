// <qtr-frame-player>: state views + player for frames that did not come from this page's
// worker: a published run's stored frames, or a live session's frames as they arrive.
// No Pyodide needed: frames are decoded by frames.js.
//
//   player.setFrames(decodeFrames(buffer));   // replay
//   player.appendFrame(decodeFrame(buffer));  // live; follows the newest frame unless the
//                                             // reader scrubbed back

import { FramePlayerElement } from "./frame-views.js";

const SPEEDS = [1, 2, 5, 10, 30];

export class QtrFramePlayer extends FramePlayerElement {
  constructor() {
    super();
    this.follow = true;
  }

  firstConnected() {
    this.classList.add("qtr-player");
    const atEnd = () => this.frameIndex >= this.frames.length - 1;
    const step = (d) => () => {
      this.showFrame(this.frameIndex + d);
      this.follow = atEnd();
    };
    const bar = this.buildPlayerBar(
      SPEEDS,
      {
        first: () => {
          this.follow = false;
          this.showFrame(0);
        },
        prev: step(-1),
        next: step(1),
        last: () => {
          this.follow = true;
          this.showFrame(this.frames.length - 1);
        },
        scrub: (v) => {
          this.follow = v >= this.frames.length - 1;
          this.showFrame(v);
        },
      },
      "no frames yet",
    );
    this.append(bar, this.buildStateViews());
  }

  /** Replace every frame (a stored run) and show the last one. */
  setFrames(frames) {
    this.frames = [...frames];
    this.follow = true;
    this.scrub.max = String(Math.max(0, this.frames.length - 1));
    if (this.frames.length) this.showFrame(this.frames.length - 1);
    else this.frameLabel.textContent = "this run has no stored frames";
  }

  /** Add one frame (live); shows it when the reader is following the newest frame. */
  appendFrame(frame) {
    this.frames.push(frame);
    this.scrub.max = String(this.frames.length - 1);
    if (this.follow && !this.playing) this.showFrame(this.frames.length - 1);
    else this.updateLabel();
  }

  playStarted() {
    this.follow = false;
  }

  playEnded() {
    this.follow = true;
  }
}

customElements.define("qtr-frame-player", QtrFramePlayer);
