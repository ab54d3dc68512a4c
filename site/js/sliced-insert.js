/**
 * Puts a block of lines into a textarea a few lines per task, so the page stays responsive.
 *
 * Chromium applies an `insertText` of several lines (an IME or dictation commit, Playwright's
 * `fill`) one line at a time, with a layout and an `input` event per line, all in one
 * main-thread task: about 0.4 ms a line, 115–130 ms for a 16-qubit, 80-gate circuit (issue 9:
 * no task over 100 ms). Here the same text goes in through `execCommand("insertText")`, line
 * by line, until a task has used `budgetMs`; the rest goes in on the next task. Chromium
 * coalesces consecutive typing into one undo step, so Ctrl+Z still takes the whole block out.
 *
 * Anything else the reader does meanwhile (a key, a pointer, leaving the box, another edit:
 * `FLUSH_ON`, listened for on the document while the block goes in) first puts in the rest at
 * once (`flush`), so that action applies after the whole block. If the box has
 * lost focus, the rest goes in at its selection with `setRangeText` (`execCommand` edits only
 * the focused element).
 */

/**
 * Time a task may spend putting lines in. Each yield lets the page lay out and paint the box
 * (a frame of its own), so short slices cost more in all: 12 ms slices made a 16-qubit typed
 * edit 0.1 s slower. 40 ms keeps a task well inside the 100 ms a long task may take.
 */
export const BUDGET_MS = 40;

/** Document events (capture) that put in the rest of a block before they take effect. */
export const FLUSH_ON = ["keydown", "pointerdown", "focusout", "beforeinput"];

/** Runs `fn` in a task of its own, soon: a message, not a timer (nested timers wait 4 ms). */
function nextTask(fn) {
  const { port1, port2 } = new MessageChannel();
  port1.onmessage = () => {
    port1.close();
    fn();
  };
  port2.postMessage(null);
}

/** The lines of `text`, each with its line break; the last may have none. */
export function slices(text) {
  return text.match(/[^\n]*\n|[^\n]+$/g) || [];
}

/**
 * @param {HTMLTextAreaElement} area the box; its selection is what the block replaces
 * @param {string} text the block
 * @param {{budgetMs?: number, now?: () => number, schedule?: (fn: () => void) => void,
 *   exec?: (text: string) => boolean, focused?: () => boolean, onDone?: () => void}} [opts]
 * @returns {{flush: () => void, readonly inserting: boolean, readonly done: boolean}}
 */
export function insertInSlices(area, text, opts = {}) {
  const budgetMs = opts.budgetMs ?? BUDGET_MS;
  const now = opts.now ?? (() => performance.now());
  const schedule = opts.schedule ?? nextTask;
  const doc = area.ownerDocument;
  const exec = opts.exec ?? ((t) => doc.execCommand("insertText", false, t));
  const focused = opts.focused ?? (() => doc.activeElement === area);
  const pieces = slices(text);
  let next = 0;
  let inserting = false; // our own edit is in progress: its events are not the reader's
  let done = false;

  const put = (piece) => {
    inserting = true;
    try {
      if (focused() && exec(piece)) return;
      area.setRangeText(piece, area.selectionStart, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input", { bubbles: true }));
    } finally {
      inserting = false;
    }
  };
  const interrupt = () => {
    if (!inserting) flush(); // our own slices' events are not the reader's
  };
  const finish = () => {
    if (done) return;
    done = true;
    for (const type of FLUSH_ON) doc.removeEventListener(type, interrupt, true);
    opts.onDone?.();
  };
  /** Puts in everything not in yet, now, and ends. */
  const flush = () => {
    if (done) return;
    if (next < pieces.length) put(pieces.slice(next).join(""));
    next = pieces.length;
    finish();
  };
  const step = () => {
    if (done) return;
    const start = now();
    while (next < pieces.length) {
      put(pieces[next++]);
      if (now() - start >= budgetMs) break;
    }
    if (next < pieces.length) schedule(step);
    else finish();
  };
  for (const type of FLUSH_ON) doc.addEventListener(type, interrupt, true);
  schedule(step);
  return {
    flush,
    get inserting() {
      return inserting;
    },
    get done() {
      return done;
    },
  };
}
