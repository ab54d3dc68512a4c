// <qt-circuit>: the runner and player around the circuit editor (circuit-editor.js): shots,
// seed, Run/Cancel, the requests to the page's qtcore worker, the frame player and state
// views, the counts, the QASM view, Quirk import and the URL state.
//
//   <qt-circuit id="bell" scenario="bell" shots="1024" seed="7"></qt-circuit>
//   <qt-circuit qasm="OPENQASM 2.0; ..."></qt-circuit>
//   <qt-circuit circuit='{"num_qubits": 2, "ops": [...]}'></qt-circuit>
//   <qt-circuit circuit='...' noise='{"channels": [{"type": "depolarizing", "p": 0.01}]}'>
//
// The whole view (circuit, shots, seed, current frame) round-trips through the URL hash.

import { CircuitEditor } from "./circuit-editor.js";
import { fromDict, ordered, steps, toDict } from "./circuit-model.js";
import { FramePlayerElement } from "./frame-views.js";
import { decodeFrames } from "./frames.js";
import { NoiseControls } from "./noise-controls.js";
import { drawBars, palette } from "./plots.js";
import { circuitRunPayload, publishControl } from "./publish.js";
import { quirkToCircuit } from "./quirk.js";
import { kernelLabel, renderError } from "./runtime.js";
import { loadScenario } from "./scenarios.js";
import { insertInSlices } from "./sliced-insert.js";
import { readQuirkFragment, readState, writeState } from "./urlstate.js";
import { bindRuntime, errorPanel, h, statusLine } from "./widget-base.js";

const SPEEDS = [1, 2, 5, 10, 30, 60];

function debounce(fn, ms) {
  let t = null;
  const call = (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
  call.cancel = () => clearTimeout(t);
  return call;
}

/**
 * `inputType`s of the OpenQASM box that are a whole edit (a paste, a drop, a cut, an undo):
 * the box is read at once. Typing is read after a pause, so a half-typed line shows no error.
 */
const WHOLE_EDITS = new Set([
  "insertFromPaste",
  "insertFromDrop",
  "insertReplacementText",
  "deleteByCut",
  "deleteByDrag",
  "historyUndo",
  "historyRedo",
]);

/**
 * Whether a `beforeinput` of the OpenQASM box puts in several lines at once. No keystroke
 * inserts a line break as text (Enter is `insertLineBreak`), so an `insertText` of several
 * lines is a block (an IME or dictation commit, Playwright's `fill`), not a half-typed line.
 * Chromium applies it one line at a time, with an `input` event per line, all in one task.
 * @param {InputEvent} e
 */
export function insertsBlock(e) {
  return e.inputType === "insertText" && /\n/.test(e.data || "");
}

/** Outcomes listed and plotted before "show all". */
const COUNTS_TOP = 16;
/** Outcomes per block of the "show all" list above which it is split into blocks. */
const COUNTS_CHUNK = 1000;

export class QtCircuit extends FramePlayerElement {
  constructor() {
    super();
    this.frameIndex = 0;
    this.gen = 0;
    this.inFlight = 0; // run requests sent and not answered yet
    this.queued = null; // the source of an edit waiting for the run in flight, or null
    this.lastResult = null;
  }

  firstConnected() {
    bindRuntime(this);
    this.build();
    this.init().catch((err) => this.fail(err));
  }

  disconnectedCallback() {
    this.playing = false;
  }

  // ------------------------------------------------------------------ setup
  build() {
    this.classList.add("qt-widget");
    this.status = statusLine(null, { live: true });
    this.stageBar = h("progress", {
      class: "qt-stage",
      max: "4",
      value: "0",
      "aria-label": "Loading the Python runtime",
    });
    this.shotsInput = h("input", {
      type: "number",
      min: "0",
      max: "10000000",
      step: "1",
      value: this.getAttribute("shots") || "1024",
      "aria-label": "Shots",
      class: "qt-num",
    });
    this.seedInput = h("input", {
      type: "number",
      min: "0",
      step: "1",
      value: this.getAttribute("seed") || "7",
      "aria-label": "Seed",
      class: "qt-num",
    });
    this.runBtn = h("button", {
      type: "button",
      class: "md-button qt-btn",
      text: "Run",
      onclick: () => this.refresh("run"),
    });
    this.cancelBtn = h("button", {
      type: "button",
      class: "md-button qt-btn",
      text: "Cancel",
      disabled: true,
      onclick: () => this.cancel(),
    });
    // Not an indeterminate <progress>: Chromium paints that on the main thread every frame of
    // a run; this bar only moves (a transform the compositor animates, site/css/qt.css).
    this.busyBar = h(
      "div",
      { class: "qt-busy", role: "progressbar", hidden: true, "aria-label": "Running" },
      h("span", { class: "qt-busy__bar" }),
    );
    this.shareBtn = h("button", {
      type: "button",
      class: "md-button qt-btn",
      text: "Copy link",
      title: "Copy a link that reproduces this view",
      onclick: () => this.share(),
    });
    this.publish = publishControl(this, circuitRunPayload);
    const toolbar = h(
      "div",
      { class: "qt-toolbar" },
      h("label", {}, "Shots ", this.shotsInput),
      h("label", {}, "Seed ", this.seedInput),
      this.runBtn,
      this.cancelBtn,
      this.shareBtn,
      this.publish.button,
      this.busyBar,
    );
    this.shotsInput.addEventListener("change", () => this.changed("settings"));
    this.seedInput.addEventListener("change", () => this.changed("settings"));

    this.editor = new CircuitEditor({
      onChange: (source) => this.refreshSoon(source),
      currentItem: () => this.currentItem(),
    });
    this.noise = new NoiseControls(() => this.refreshSoon("noise"));

    this.qasmText = h("textarea", {
      class: "qt-qasm-text",
      rows: "8",
      spellcheck: "false",
      "aria-label": "OpenQASM source",
    });
    this.qasmError = errorPanel("qt-qasm-error");
    const qasmSoon = debounce(() => this.qasmEdited(), 450);
    // A block of lines goes in a few lines per task (sliced-insert.js: Chromium's own
    // insertion of a block is one long task, 115-130 ms at 16 qubits) and is read once, as
    // soon as it is all in: waiting for a typing pause delayed its run by 450 ms (issue 9).
    this.qasmText.addEventListener("beforeinput", (e) => {
      // a slice of ours, or typing (a block still going in is flushed by sliced-insert.js)
      if (this.qasmSlices?.inserting || !insertsBlock(e)) return;
      e.preventDefault();
      this.qasmUnread = true;
      this.qasmSlices = insertInSlices(this.qasmText, e.data, {
        onDone: () => {
          this.qasmSlices = null;
          qasmSoon.cancel();
          this.qasmEdited();
        },
      });
    });
    this.qasmText.addEventListener("input", (e) => {
      this.qasmUnread = true; // a run's reply must not overwrite text not read yet
      if (this.qasmSlices) return; // read when the block is all in
      if (!WHOLE_EDITS.has(e.inputType)) return qasmSoon();
      qasmSoon.cancel();
      this.qasmEdited();
    });
    const qasm = h(
      "details",
      { class: "qt-qasm", open: true },
      h("summary", { text: "OpenQASM (edit to change the circuit)" }),
      this.qasmText,
      this.qasmError,
    );

    this.quirkInput = h("input", {
      type: "text",
      class: "qt-quirk-input",
      placeholder: 'https://algassert.com/quirk#circuit={"cols":[["H"],["•","X"]]}',
      "aria-label": "Quirk URL or circuit JSON",
    });
    this.quirkMsg = errorPanel();
    const quirk = h(
      "details",
      { class: "qt-quirk" },
      h("summary", { text: "Import from Quirk" }),
      h(
        "div",
        { class: "qt-row" },
        this.quirkInput,
        h("button", {
          type: "button",
          class: "md-button qt-btn",
          text: "Import",
          onclick: () => this.importQuirk(this.quirkInput.value),
        }),
      ),
      this.quirkMsg,
    );

    const player = this.buildPlayerBar(SPEEDS, {
      first: () => this.showFrame(0, true),
      prev: () => this.showFrame(this.frameIndex - 1, true),
      next: () => this.showFrame(this.frameIndex + 1, true),
      last: () => this.showFrame(this.frames.length - 1, true),
      scrub: (v) => this.showFrame(v, true),
    });
    this.countsCanvas = h("canvas", {
      class: "qt-canvas",
      role: "img",
      "aria-label": "Measurement counts",
    });
    this.countsText = h("p", { class: "qt-counts-text", tabindex: "0" });
    this.countsMore = h("button", {
      type: "button",
      class: "qt-btn-small qt-counts-more",
      hidden: true,
      onclick: () => {
        this.showAllCounts = !this.showAllCounts;
        this.drawCounts();
      },
    });
    const views = this.buildStateViews(
      h(
        "figure",
        {},
        h("figcaption", { text: "Measurement counts" }),
        this.countsCanvas,
        this.countsText,
        this.countsMore,
      ),
    );
    this.error = errorPanel();
    this.views = views;
    this.staleNote = h("p", { class: "qt-stale", role: "status", hidden: true });

    const skip = h("button", {
      type: "button",
      class: "qt-skip",
      text: "Skip to the circuit grid",
      onclick: () => this.editor.focusGrid(),
    });
    this.replaceChildren(
      skip,
      h("div", { class: "qt-head" }, this.stageBar, this.status),
      toolbar,
      this.publish.panel,
      this.editor.palette,
      this.editor.gridWrap,
      this.editor.editRow,
      this.editor.inspector,
      this.noise.element,
      this.error,
      this.staleNote,
      player,
      views,
      qasm,
      quirk,
    );
    this.addEventListener("keydown", (e) => this.editor.onKey(e));
    this.status.textContent = this.rt.stage.label || "Loading…";
    const onStage = (e) => {
      this.stageBar.value = e.detail.done;
      this.status.textContent = e.detail.label;
    };
    this.rt.addEventListener("stage", onStage);
    this.rt.addEventListener("ready", (e) => {
      this.stageBar.hidden = true;
      this.status.textContent = kernelLabel(e.detail);
    });
    this.rt.addEventListener("fatal", (e) => this.fail(e.detail));
    this.themeObserver = new MutationObserver(() => this.redraw());
    this.themeObserver.observe(document.body, {
      attributes: true,
      attributeFilter: ["data-md-color-scheme"],
    });
  }

  async init() {
    const info = await this.rt.ready;
    this.stageBar.hidden = true;
    this.status.textContent = kernelLabel(info);
    if (info.maxQubits) this.editor.setQubitLimit(info.maxQubits, info.maxQubitsReason);
    this.editor.setGates(info.gates);
    const saved = readState(this.wid);
    const quirk = this.isFirstCircuit() ? readQuirkFragment() : null;
    let restoreFrame = null;
    if (saved?.circuit) {
      this.editor.model = fromDict(saved.circuit, saved.steps);
      if (saved.shots != null) this.shotsInput.value = saved.shots;
      if (saved.seed != null) this.seedInput.value = saved.seed;
      if (saved.noise) this.noise.value = saved.noise;
      if (saved.fps) this.fps = saved.fps;
      restoreFrame = saved.frame ?? null;
    } else if (quirk) {
      this.importQuirk(quirk, false);
    } else if (this.getAttribute("circuit")) {
      this.editor.model = fromDict(JSON.parse(this.getAttribute("circuit")));
      if (this.getAttribute("noise")) this.noise.value = JSON.parse(this.getAttribute("noise"));
    } else if (this.getAttribute("qasm")) {
      const r = await this.rt.request("qasm", { op: "loads", text: this.getAttribute("qasm") });
      this.editor.model = fromDict(r.circuit);
    } else if (this.getAttribute("scenario")) {
      const { scenario: s, circuit } = await loadScenario(this.rt, this.getAttribute("scenario"));
      if (!circuit) throw new Error(`scenario ${this.getAttribute("scenario")} has no circuit`);
      this.editor.model = fromDict(circuit);
      if (!this.hasAttribute("shots")) this.shotsInput.value = s.shots;
      if (!this.hasAttribute("seed")) this.seedInput.value = s.seed;
      if (s.document.noise) this.noise.value = s.document.noise;
    } else {
      this.editor.model = { n: Number(this.getAttribute("qubits") || 2), c: 0, items: [] };
    }
    this.speedSel.value = String(this.fps);
    this.editor.renderGrid();
    await this.refresh("init", restoreFrame);
  }

  isFirstCircuit() {
    return document.querySelector("qt-circuit") === this;
  }

  fail(err) {
    renderError(this.error, err, "qtcore");
    this.stageBar.hidden = true;
    this.status.textContent = "Python runtime failed to start";
    this._resolveReady();
  }

  // ------------------------------------------------------------------ running
  changed(source) {
    this.editor.changed(source);
  }

  /**
   * Run the newest input after an edit: at once when no run is in flight, else as soon as it
   * ends (its reply is for an older input and is dropped). Edits made meanwhile coalesce into
   * one run, so a burst of edits never queues a run per edit in the worker, and one edit waits
   * for no timer. The widget is `busy` from the edit until its result is on screen.
   */
  refreshSoon(source) {
    this.queued = source;
    this.gen++;
    this.setBusy(true);
    if (!this.inFlight) setTimeout(() => this.runQueued(), 0); // edits of one task: one run
  }

  runQueued() {
    if (this.inFlight || this.queued == null) return;
    this.refresh(this.queued);
  }

  setBusy(busy) {
    this.busy = busy;
    this.cancelBtn.disabled = !busy;
    clearTimeout(this._busyTimer);
    if (busy) this._busyTimer = setTimeout(() => (this.busyBar.hidden = !this.busy), 150);
    else this.busyBar.hidden = true;
    this.toggleAttribute("busy", busy);
  }

  /** The scenario name the run is published under: the widget's scenario or id. */
  scenarioName() {
    const name = this.getAttribute("scenario") || this.id || "circuit";
    return name.replace(/[^A-Za-z0-9_.-]/g, "-").replace(/^[^A-Za-z0-9]/, "c");
  }

  /** One request per edit: counts and every frame of the seeded trajectory, as a scenario. */
  async refresh(source, restoreFrame = null) {
    const gen = ++this.gen;
    this.queued = null; // this run reads the newest input
    this.inFlight++;
    this.setBusy(true);
    try {
      const t0 = performance.now();
      /** @type {import("./protocol.js").RunReply} */
      const reply = await this.rt.request("run", {
        circuit: toDict(this.editor.model),
        shots: this.shotsInput.value, // as typed: qtcore validates
        seed: this.seedInput.value,
        noise: this.noise.value,
        name: this.scenarioName(),
        frames: true,
      });
      if (gen !== this.gen) return;
      this.runtimeMs = performance.now() - t0;
      this.frames = decodeFrames(reply.buffer);
      this.frameBuffer = reply.buffer;
      this.kernel = reply.result.kernel;
      this.scrub.max = String(Math.max(0, this.frames.length - 1));
      const at = restoreFrame != null ? restoreFrame : this.frames.length - 1;
      this.showFrame(Math.min(at, this.frames.length - 1));
      this.lastResult = reply.result;
      this.lastScenario = reply.scenario;
      this.drawCounts();
      if (!this.qasmUnread && (source !== "qasm" || document.activeElement !== this.qasmText)) {
        this.qasmText.value = reply.qasm;
        renderError(this.qasmError, null);
      }
      renderError(this.error, null);
      this.markStale(false);
      this.saveState();
      this.dispatchEvent(new CustomEvent("qt-result", { detail: reply.result }));
    } catch (err) {
      if (gen !== this.gen) return;
      this.markStale(true);
      if (err.code === "QT-CANCELLED") {
        renderError(this.error, {
          message: "Run cancelled; the Python runtime restarted. Press Run to try again.",
          type: "Cancelled",
        });
      } else {
        renderError(this.error, err, "Simulation failed");
      }
    } finally {
      this.inFlight--;
      if (this.queued != null) this.runQueued();
      else if (gen === this.gen) {
        this.setBusy(false);
        this._resolveReady();
      }
    }
  }

  /**
   * After a failed or cancelled run the views still hold the last run that succeeded: say so
   * and dim them, so its counts are not read as the answer to the current input.
   */
  markStale(stale) {
    const shown = stale && this.lastResult != null;
    this.toggleAttribute("stale", shown);
    this.staleNote.hidden = !shown;
    if (shown) {
      const { shots, seed } = this.lastResult;
      this.staleNote.textContent =
        `The views below show the last run that succeeded (shots ${shots}, seed ${seed}), ` +
        "not the current input.";
    }
  }

  cancel() {
    this.gen++;
    this.queued = null;
    this.rt.cancel();
    this.setBusy(false);
    this.markStale(true);
    renderError(this.error, {
      message: "Run cancelled; the Python runtime is restarting. Press Run to try again.",
      type: "Cancelled",
    });
  }

  async qasmEdited() {
    const text = this.qasmText.value;
    try {
      // blocks: an if block the editor wrote (`if (...) { ... }`) reads back as a block.
      const r = await this.rt.request("qasm", { op: "loads", text, blocks: true });
      if (this.qasmText.value !== text) return;
      this.qasmUnread = false;
      renderError(this.qasmError, null);
      this.editor.replace(fromDict(r.circuit), true);
      this.refresh("qasm");
    } catch (err) {
      if (this.qasmText.value !== text) return;
      this.qasmUnread = false;
      renderError(this.qasmError, err, "OpenQASM");
      if (err.line != null) {
        const line = text.split("\n")[err.line - 1] ?? "";
        const pre = h("pre", { class: "qt-qasm-caret", "aria-hidden": "true" });
        pre.textContent = `${String(err.line).padStart(3)} | ${line}\n    | ${" ".repeat(Math.max(0, (err.column || 1) - 1))}^`;
        this.qasmError.insertBefore(pre, this.qasmError.children[1] || null);
      }
    }
  }

  importQuirk(text, record = true) {
    try {
      const d = quirkToCircuit(text);
      renderError(this.quirkMsg, null);
      const apply = () => (this.editor.model = fromDict(d));
      if (record) this.editor.edit(apply);
      else apply();
      this.editor.hint.textContent = `imported ${d.ops.length} op(s) from Quirk on ${d.num_qubits} qubit(s)`;
    } catch (err) {
      this.quirkMsg.closest("details").open = true;
      renderError(this.quirkMsg, err, "Quirk import");
    }
  }

  // ------------------------------------------------------------------ player + views
  currentItem() {
    const f = this.frames[this.frameIndex];
    if (!f || f.header.step < 0) return null;
    // With control flow a step is a place in the run (loops repeat ops), not an op of the
    // grid: nothing is marked rather than the wrong op.
    if (this.editor.model.items.some((it) => it.full || it.raw)) return null;
    return ordered(this.editor.model.items)[f.header.step] || null;
  }

  frameShown() {
    // re-mark only when the op changes: during playback most frames keep it
    if (this.currentItem() !== this.editor.highlighted) this.editor.highlight(this.currentItem());
  }

  userMoved(k) {
    if (this.playing && k >= this.frames.length - 1) this.togglePlay(false);
    this.saveStateSoon();
  }

  drawFrame(f) {
    if (!performance.getEntriesByName("qt-first-frame").length) performance.mark("qt-first-frame");
    super.drawFrame(f);
  }

  drawCounts() {
    const res = this.lastResult;
    if (!res) return;
    // Most frequent first, ties by bitstring: the top COUNTS_TOP unless "show all" is on.
    // Sorted once per result (50 000 outcomes take tens of ms), not at every toggle or redraw.
    if (this.sortedFor !== res) {
      this.sortedFor = res;
      this.byKey = null;
      this.byCount = Object.entries(res.counts || {}).sort(([a, x], [b, y]) =>
        y !== x ? y - x : a < b ? -1 : a > b ? 1 : 0,
      );
    }
    const entries = this.byCount;
    const pal = palette(this);
    if (!entries.length) {
      drawBars(this.countsCanvas, { values: [], labels: [] }, pal);
      this.countsText.textContent = "No shots (shots = 0): the views show the exact state.";
      this.countsMore.hidden = true;
      return;
    }
    const all = this.showAllCounts || entries.length <= COUNTS_TOP;
    const shown = all ? entries : entries.slice(0, COUNTS_TOP);
    if (all && !this.byKey)
      this.byKey = [...shown].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const bars = all ? this.byKey : shown;
    drawBars(
      this.countsCanvas,
      { values: bars.map(([, v]) => v), labels: bars.map(([k]) => k) },
      pal,
    );
    const head =
      `${res.shots} shots, seed ${res.seed}, ${res.kernel} kernel` +
      (all ? ": " : `; the ${COUNTS_TOP} most frequent of ${entries.length} outcomes: `);
    const items = shown.map(([k, v]) => `${k}: ${v}`);
    if (items.length <= COUNTS_CHUNK) this.countsText.textContent = head + items.join(", ");
    else {
      // Thousands of outcomes: blocks the browser lays out and paints only when scrolled to
      // (content-visibility: auto), still in the text and the accessibility tree.
      this.countsText.textContent = head;
      for (let i = 0; i < items.length; i += COUNTS_CHUNK) {
        const part = items.slice(i, i + COUNTS_CHUNK).join(", ");
        const last = i + COUNTS_CHUNK >= items.length;
        this.countsText.append(
          h("span", { class: "qt-counts-chunk", text: last ? part : `${part},` }),
        );
      }
    }
    this.countsText.classList.toggle("qt-counts-text--all", all && entries.length > COUNTS_TOP);
    this.countsMore.hidden = entries.length <= COUNTS_TOP;
    this.countsMore.textContent = all
      ? `Show the top ${COUNTS_TOP}`
      : `Show all ${entries.length} outcomes`;
    this.countsMore.setAttribute("aria-expanded", String(all));
  }

  redraw() {
    if (this.frames.length) this.drawFrame(this.frames[this.frameIndex]);
    this.drawCounts();
  }

  playStopped() {
    this.saveStateSoon();
  }

  // ------------------------------------------------------------------ URL state
  state() {
    return {
      circuit: toDict(this.editor.model),
      steps: steps(this.editor.model), // the column of each op: a link keeps the layout
      shots: this.shotsInput.value,
      seed: this.seedInput.value,
      noise: this.noise.value,
      frame: this.frameIndex,
      fps: this.fps,
    };
  }

  saveState() {
    writeState(this.wid, this.state());
  }

  saveStateSoon = debounce(() => this.saveState(), 200);

  async share() {
    this.saveState();
    try {
      await navigator.clipboard.writeText(location.href);
      this.editor.hint.textContent = "Link copied: it reproduces this circuit, settings and frame.";
    } catch (_) {
      this.editor.hint.textContent = `Link: ${location.href}`;
    }
  }
}

customElements.define("qt-circuit", QtCircuit);
